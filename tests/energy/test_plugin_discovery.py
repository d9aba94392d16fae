"""hwsim's register-file and DRAM models are found by hwcomponents' own plug-in discovery
(installed top-level packages named ``hwcomponents_*``), in a fresh interpreter, without hwsim."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from absent import require_module

require_module("hwcomponents", "needs the energy extra: pip install -e '.[energy]'")

PROBE = """
import json, sys
import hwcomponents
from hwcomponents.find_models import installed_models
models = {m.__name__: m.__module__ for m in installed_models()}
cost = hwcomponents.get_action_cost("regfile", {"depth": 64, "width": 8, "tech_node": 45e-9}, "read", {})
print(json.dumps({"models": models, "read_pj": cost.energy * 1e12, "hwsim": "hwsim" in sys.modules}))
"""

LIGHT = """
import sys
import hwcomponents_hwkd.dram_interfaces
print(sorted(m for m in sys.modules if m.split(".")[0] in ("hwsim", "hwcomponents", "hwcomponents_cacti")))
"""


def test_hwcomponents_discovers_our_models() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd="/"
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["models"]["RegisterFile"].startswith("hwcomponents_hwkd.register_file")
    assert result["models"]["DRAMBursts"].startswith("hwcomponents_hwkd.dram_bursts")
    assert not result["hwsim"]  # the plug-in's models do not pull in hwsim (pandas, pydantic...)
    # the discovered model is ours: the same number our table builder uses
    from hwcomponents_hwkd.register_file import register_file_costs

    expected = register_file_costs(depth=64, width=8).read_j * 1e12
    assert result["read_pj"] == pytest.approx(expected, rel=1e-9)


def test_the_dram_interface_table_imports_without_hwcomponents_or_hwsim() -> None:
    """hwsim describes DRAM accesses with it on the cache's warm path, energy extra or not."""
    out = subprocess.run(
        [sys.executable, "-c", LIGHT], capture_output=True, text=True, check=True, cwd="/"
    )
    assert out.stdout.strip() == "[]"
