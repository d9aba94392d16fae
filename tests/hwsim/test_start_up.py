"""What a whole-process ``hwsim`` call loads: only what its command uses.

Users call ``hwsim mapper`` once per layer, like timeloop-mapper, so start-up is part of every
call. These are behaviour tests (which modules a fresh interpreter holds), not timings.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import hwsim
import hwsim.spec.yaml_io as yaml_io

REPO = Path(__file__).resolve().parents[2]
#: Modules a one-layer call does not need: tqdm is shown only for long searches, AccelForge
#: only by its backend.
HEAVY = ("pandas", "numba", "torch", "matplotlib", "tqdm", "accelforge")


def loaded_after(statement: str) -> list[str]:
    """The `HEAVY` modules a fresh interpreter holds after running `statement`."""
    code = f"{statement}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


@pytest.mark.parametrize(
    "statement",
    [
        "import hwsim",
        "import hwsim.cli",
        "import hwsim.commands.mapper",  # what `hwsim mapper` imports before it maps
        "import hwsim.commands.model, hwsim.evaluate",  # `hwsim model`: counts one mapping
        "import hwsim.commands.network_energy",
    ],
)
def test_start_up_imports_neither_pandas_nor_numba_nor_torch(statement: str) -> None:
    assert loaded_after(statement) == []


def test_data_frames_still_come_with_pandas() -> None:
    assert loaded_after(
        "from hwsim.counts import AccessCounts\nAccessCounts(engine='analytical', computes=0, levels={}).to_dataframe()"
    ) == ["pandas"]


def test_the_package_exports_resolve_on_use() -> None:
    from hwsim.evaluate import evaluate_files
    from hwsim.spec import load_specs

    assert hwsim.evaluate_files is evaluate_files
    assert hwsim.load_specs is load_specs
    assert {"evaluate_files", "load_specs", "network_energy"} <= set(dir(hwsim))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        hwsim.nonsense  # noqa: B018


def _python_loader_module():
    """hwsim.spec.yaml_io as it is where PyYAML has no libyaml (the pure-Python parser)."""
    c_loader = yaml.CSafeLoader
    try:
        del yaml.CSafeLoader
        spec = importlib.util.spec_from_file_location("yaml_io_python", yaml_io.__file__)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        yaml.CSafeLoader = c_loader
    assert module._SafeLoader is yaml.SafeLoader
    return module


def test_libyaml_and_python_parsers_read_every_shipped_spec_alike() -> None:
    assert yaml_io._SafeLoader is yaml.CSafeLoader  # the wheels ship libyaml: it is what runs
    python = _python_loader_module()
    files = sorted((REPO / "hwsim" / "data").rglob("*.yaml"))
    files += sorted((REPO / "tests" / "data" / "timeloop_corpus").rglob("*.yaml"))[:120]
    assert len(files) > 100
    for path in files:
        text = path.read_text()
        assert repr(yaml_io.parse_yaml_text(text)) == repr(python.parse_yaml_text(text)), path


#: hwsim modules a one-layer ``hwsim mapper`` call priced from an ERT file does not need: the
#: component models and classic Accelergy (tables built from models), the trace engine, and
#: numpy's random generators (a search that enumerates draws nothing).
NOT_ON_THE_MAPPER_PATH = (
    "hwsim.energy.components",
    "hwsim.energy.classic",
    "hwsim.energy.cacti",
    "hwsim.trace",
    "numpy.random",
    *HEAVY,
)


def test_a_one_layer_mapper_call_loads_only_what_it_uses(tmp_path: Path) -> None:
    run = REPO / "tests" / "data" / "timeloop_mapper_run"
    argv = [
        "mapper",
        str(REPO / "hwsim" / "data" / "course" / "eyeriss_like_q3"),
        str(run / "prob.yaml"),
        "--energy",
        str(run / "eyeriss_like.ERT.yaml"),
        "--json",
        "--out",
        str(tmp_path / "map.yaml"),
    ]
    code = (
        "import sys\nfrom hwsim.cli import main\n"
        f"status = main({argv!r})\n"
        f"print(status, *(m for m in {NOT_ON_THE_MAPPER_PATH!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.split()[-1:] == ["0"], done.stdout[-500:]
    assert (tmp_path / "map.yaml").is_file()


@pytest.mark.parametrize(
    "preset", [{}, {"OPENBLAS_NUM_THREADS": "2", "PYDANTIC_DISABLE_PLUGINS": ""}]
)
def test_the_process_entry_point_sets_defaults_and_freezes_start_up(preset, tmp_path) -> None:
    # `hwsim.cli.entry` (the console script, python -m hwsim): environment defaults a variable
    # already set overrides, the collector back on after start-up, what start-up built frozen
    code = (
        "import gc, os, sys\nfrom hwsim.cli import entry\n"
        f"sys.argv = ['hwsim', 'model', {str(tmp_path / 'missing.yaml')!r}]\n"
        "status = entry()\n"
        "print(status, os.environ['OPENBLAS_NUM_THREADS'], repr(os.environ['PYDANTIC_DISABLE_PLUGINS']),"
        " gc.isenabled(), gc.get_freeze_count() > 1000)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENBLAS_NUM_THREADS", "PYDANTIC_DISABLE_PLUGINS")
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**env, **preset},
    )
    threads, plugins = (preset["OPENBLAS_NUM_THREADS"], "''") if preset else ("1", "'__all__'")
    assert done.stdout.split() == ["2", threads, plugins, "True", "True"], done.stdout
    assert "missing.yaml" in done.stderr  # the user mistake, on one line
