"""CACTI: failures surface as errors that say why (fast, with stand-in executables); real CACTI
runs, the rebuild from the wheel's sources, and the recorded fixture checked against live CACTI
(slow)."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from hwsim.energy.cacti.config import CactiInput, CactiOutput
from hwsim.energy.components import build_energy_table
from hwsim.energy.components.query import PrimitiveQuery
from hwsim.energy.errors import EnergyModelError
from hwsim.report.table2 import default_spec_dir
from hwsim.spec import load_architecture

NEEDS_MODELS = True
Q1_ARCH = default_spec_dir() / "arch.yaml"


def stand_in(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_cacti_that_cannot_start_is_an_error_naming_the_component_and_the_fix(
    tmp_path, monkeypatch
) -> None:
    broken = stand_in(
        tmp_path,
        "cacti",
        'import sys\nsys.stderr.write("./cacti: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38\' not found\\n")\nsys.exit(1)\n',
    )
    monkeypatch.setenv("HWKD_CACTI", str(broken))
    with pytest.raises(EnergyModelError) as caught:
        build_energy_table(load_architecture(Q1_ARCH))
    message = str(caught.value)
    assert message.startswith("component 'MainMemory' (class SRAM): CACTI 7 SRAM")
    assert "does not run on this machine" in message and "GLIBC_2.38" in message
    assert "python -m hwsim.energy.setup" in message


def test_a_cacti_run_without_a_result_is_never_a_number(tmp_path, monkeypatch) -> None:
    silent = stand_in(tmp_path, "cacti", "import sys\nsys.exit(0)\n")
    monkeypatch.setenv("HWKD_CACTI", str(silent))
    with pytest.raises(EnergyModelError, match=r"'MainMemory'.*CACTI"):
        build_energy_table(load_architecture(Q1_ARCH))


class CactiCalls:
    """Stands in for CACTI: records every run hwcomponents-cacti asks for, answers fixed numbers."""

    def __init__(self) -> None:
        self.runs: list[CactiInput] = []

    def __call__(self, run: CactiInput) -> CactiOutput:
        self.runs.append(run)
        return CactiOutput(1e-12, 2e-12, 1e-6, 1e-9, 1e-9, 1e-9)

    def nodes_nm(self) -> list[float]:
        return [round(run.technology_um * 1000, 9) for run in self.runs]


@pytest.fixture
def cacti_calls(monkeypatch) -> CactiCalls:
    calls = CactiCalls()
    monkeypatch.setattr("hwsim.energy.components.cacti_sram.run_cacti", calls)
    return calls


def sram_query(technology: str, width: int = 128, depth: int = 1024, banks: int = 1):
    from hwsim.energy.components.attributes import ComponentAttributes
    from hwsim.energy.components.primitives import primitive_for

    attrs = {"technology": technology, "width": width, "depth": depth, "n_banks": banks}
    return primitive_for(ComponentAttributes("Mem", "SRAM", attrs))


@pytest.mark.parametrize(("technology", "node_nm"), [("45nm", 45), ("90nm", 90), ("22nm", 22)])
def test_a_cacti_node_is_one_cacti_run_at_that_node(cacti_calls, technology, node_nm) -> None:
    from hwsim.energy.components.evaluate import evaluate_with_hwcomponents

    primitive = sram_query(technology)
    evaluate_with_hwcomponents(primitive.query)
    assert cacti_calls.nodes_nm() == [node_nm]
    assert cacti_calls.runs[0].technology_um == node_nm / 1000
    assert not any("node" in note for note in primitive.notes)


@pytest.mark.parametrize(
    ("technology", "width", "depth", "banks", "nodes_nm", "node_note"),
    [
        ("50nm", 128, 1024, 1, [45, 65], "interpolated between 45 and 65 nm"),
        ("130nm", 128, 1024, 1, [22], "ran it at 22 nm and scaled energy by √(130/22)"),
        ("16nm", 128, 1024, 1, [22], "ran it at 22 nm and scaled energy by √(16/22)"),
        ("45nm", 16, 100, 3, [45], None),
        ("45nm", 12, 8192, 4, [45], None),
    ],
)
def test_the_notes_say_what_hwcomponents_cacti_ran(
    cacti_calls, technology, width, depth, banks, nodes_nm, node_note
) -> None:
    from hwsim.energy.components.evaluate import evaluate_with_hwcomponents

    primitive = sram_query(technology, width, depth, banks)
    evaluate_with_hwcomponents(primitive.query)
    assert cacti_calls.nodes_nm() == nodes_nm
    node_notes = [n for n in primitive.notes if "node" in n]
    if node_note is None:
        assert node_notes == []
    else:
        assert len(node_notes) == 1 and node_note in node_notes[0]
    run = cacti_calls.runs[0]
    bits = run.block_bytes * 8
    evaluated = f"CACTI evaluated {run.size_bytes * 8 // bits}×{bits} bits in {run.n_banks} bank(s)"
    geometry = [n for n in primitive.notes if n.startswith("CACTI evaluated")]
    if (run.size_bytes * 8 // bits, bits, run.n_banks) == (depth, width, banks):
        assert geometry == []
    else:
        assert len(geometry) == 1 and geometry[0].startswith(evaluated), (geometry, evaluated)


def test_the_node_is_rounded_whoever_builds_the_model(cacti_calls) -> None:
    from hwsim.energy.components.cacti_sram import CactiSRAM

    for nm in (45, 90):
        CactiSRAM(tech_node=nm * 1e-9, width=128, depth=1024, size=128 * 1024)
    assert cacti_calls.nodes_nm() == [45, 90]


@pytest.mark.slow
def test_setup_makes_cacti_work_and_does_not_rebuild_it_the_second_time(
    capsys, monkeypatch
) -> None:
    from hwsim.energy.setup import main

    assert main([]) == 0

    def no_rebuild(*args, **kwargs):
        raise AssertionError("CACTI rebuilt although it already works")

    monkeypatch.setattr("hwsim.energy.cacti.binary.build", no_rebuild)
    assert main([]) == 0  # the second time only proves that it works (timed in bench_energy)
    assert "CACTI works" in capsys.readouterr().out


@pytest.mark.slow
def test_cacti_rebuilds_from_the_wheel_sources(tmp_path) -> None:
    import shutil

    from hwsim.energy.cacti.binary import build, probe

    binary, work = build()
    try:
        status = probe(binary)
        assert status.works, status.detail
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.slow
def test_recorded_cacti_matches_live(recorded) -> None:
    """Every number the fast tests replay equals what CACTI computes now."""
    from hwsim.energy.components.evaluate import evaluate_with_hwcomponents

    for key, expected in recorded.recorded.items():
        data = json.loads(key)
        query = PrimitiveQuery.make(data["model"], data["parameters"], data["actions"])
        live = evaluate_with_hwcomponents(query).to_json()
        assert live["actions"] == pytest.approx(expected["actions"], rel=1e-9), key
        assert live["area_um2"] == pytest.approx(expected["area_um2"], rel=1e-9), key
        assert live["leak_w"] == pytest.approx(expected["leak_w"], rel=1e-9), key


@pytest.mark.slow
def test_hwsim_runs_cacti_exactly_as_hwcomponents_cacti_does() -> None:
    from hwcomponents_cacti import SRAM

    from hwsim.energy.components.cacti_sram import CactiSRAM

    for width, depth, banks in [(128, 1024, 1), (16, 8192, 1)]:
        args = {
            "tech_node": 45e-9,
            "width": width,
            "depth": depth,
            "size": width * depth,
            "n_banks": banks,
        }
        ours, theirs = CactiSRAM(**args), SRAM(**args)
        assert ours.read().energy == theirs.read().energy
        assert ours.write().energy == theirs.write().energy
        assert ours.area == theirs.area and ours.leak_power == theirs.leak_power


@pytest.mark.slow
def test_a_configuration_cacti_rejects_is_reported_with_cactis_words(tmp_path, monkeypatch) -> None:
    from hwsim.energy.cacti.binary import executable

    real = executable()
    picky = stand_in(
        tmp_path,
        "cacti",
        "import os, sys\n"
        "text = open(sys.argv[2]).read()\n"
        "if '-size (bytes) 8192\\n' in text:\n"
        f"    os.execv({str(real)!r}, [{str(real)!r}] + sys.argv[1:])\n"
        "print('ERROR: no valid data array organizations found')\nsys.exit(1)\n",
    )
    monkeypatch.setenv("HWKD_CACTI", str(picky))
    with pytest.raises(
        EnergyModelError,
        match=r"CACTI found no valid organisation for .*no valid data array organizations",
    ):
        build_energy_table(load_architecture(Q1_ARCH))


@pytest.mark.slow
def test_eyeriss_like_cold_then_from_the_cache(eyeriss_like, private_cache) -> None:
    from hwsim.energy.components import default_evaluator

    assert not private_cache.exists() or not os.listdir(private_cache)
    cold = default_evaluator()
    first = build_energy_table(load_architecture(eyeriss_like), evaluator=cold)
    warm = default_evaluator()
    second = build_energy_table(load_architecture(eyeriss_like), evaluator=warm)
    assert cold.misses > 0 and warm.misses == 0 and warm.hits == cold.misses
    assert first == second
