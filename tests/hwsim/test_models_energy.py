"""``energy="hwcomponents"`` (component models of the architecture) through `evaluate` and ``hwsim table2``.

CACTI is replayed from the energy tests' recording (``tests/energy/recorded/cacti_sram.json``), in a
private ``HWKD_CACHE_DIR``; the other models run live (they are fast).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from absent import require_module

import hwsim.energy.components as components
from hwsim.cli import main
from hwsim.energy.components.evaluate import evaluate_with_hwcomponents
from hwsim.energy.components.query import PrimitiveQuery, PrimitiveResult
from hwsim.energy.sources import load_energy_table
from hwsim.evaluate import evaluate
from hwsim.report.table2 import build_table2, default_spec_dir
from hwsim.spec import load_specs

for _module in ("hwcomponents", "hwcomponents_cacti", "hwcomponents_library"):
    require_module(_module, "needs the energy extra: pip install -e '.[energy]'")

RECORDING = Path(__file__).resolve().parents[1] / "energy" / "recorded" / "cacti_sram.json"
Q1 = default_spec_dir()
MAPPING = """
mapping:
- {target: MainMemory, type: temporal, factors: R=1 P=16 M=4, permutation: PRM}
- {target: Buffer, type: temporal, factors: R=3 P=1 M=8, permutation: RPM}
"""


@pytest.fixture(autouse=True)
def replay_cacti(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = json.loads(RECORDING.read_text())

    def evaluator(query: PrimitiveQuery) -> PrimitiveResult:
        if query.model != "cacti-sram":
            return evaluate_with_hwcomponents(query)
        return PrimitiveResult.from_json(recorded[query.key()])

    monkeypatch.setenv("HWKD_CACHE_DIR", str(tmp_path / "hwkd-cache"))
    monkeypatch.setattr(
        "hwsim.energy.components.table_builder.evaluate_with_hwcomponents", evaluator
    )


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the architectures `load_energy_table("hwcomponents", ...)` priced, in order."""
    seen: list[str] = []
    build = components.build_energy_table

    def counting(architecture, **kwargs):
        seen.append(architecture.name)
        return build(architecture, **kwargs)

    # `load_energy_table` imports it from the package when a table is asked for
    monkeypatch.setattr(components, "build_energy_table", counting)
    return seen


def test_evaluate_prices_with_the_component_models(tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text(MAPPING)
    specs = load_specs([Q1 / "arch.yaml", Q1 / "prob.yaml", tmp_path / "map.yaml"])
    result = evaluate(specs.problem, specs.architecture, specs.mapping(), energy="hwcomponents")
    table = load_energy_table("hwcomponents", architecture=specs.architecture)
    assert result.energy_table == "hwcomponents"
    assert result.total_energy_pj > 0
    assert result.compute_energy_pj == pytest.approx(
        result.computes * table.energy("MACC", "compute", "intmac")
    )
    same = evaluate(specs.problem, specs.architecture, specs.mapping(), energy=table)
    assert same.total_energy_pj == result.total_energy_pj


def test_table2_prices_every_mapping_with_one_models_table(builds: list[str]) -> None:
    table = build_table2(energy="hwcomponents")
    assert len(builds) == 1  # one table for all mappings and both engines
    assert {e.energy_table for e in (*table.analytical.values(), *table.trace.values())} == {
        "hwcomponents"
    }


def test_table2_cli_with_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["table2", "--energy", "hwcomponents", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "| ws " in out and "energy (pJ)" in out
    assert (tmp_path / "out" / "table2.csv").exists()
