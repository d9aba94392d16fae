"""Mapper backends: the timeloop backend against a recorded timeloop-mapper run (no binary needed: a
stand-in on PATH replays the recorded outputs), and the backend registry."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hwsim.energy.sources import load_energy_table
from hwsim.errors import SpecError
from hwsim.mapper.backends import (
    MappingTask,
    TimeloopBackend,
    backend,
    parse_timeloop_stats,
    result_from_timeloop_outputs,
)
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, map_problem
from hwsim.spec import load_specs

RUN = Path(__file__).resolve().parents[1] / "data" / "timeloop_mapper_run"
INPUTS = [
    RUN / "eyeriss_like.yaml",
    RUN / "smartbuffer_RF.yaml",
    RUN / "smartbuffer_SRAM.yaml",
    RUN / "eyeriss_like_arch_constraints.yaml",
    RUN / "eyeriss_like_map_constraints.yaml",
    RUN / "mapper.yaml",
    RUN / "prob.yaml",
    RUN / "eyeriss_like.ERT.yaml",
]


def task() -> MappingTask:
    specs = load_specs(INPUTS)
    constraints = parse_constraints(list(specs.constraints), specs.architecture, specs.problem)
    table = load_energy_table(RUN / "eyeriss_like.ERT.yaml")
    settings = MapperSettings(timeloop_version="v3.0", progress=False)
    return MappingTask(
        specs.problem, specs.architecture, constraints, table, settings, tuple(INPUTS)
    )


def test_stats_parser_reads_precise_energy_and_cycles() -> None:
    summary = parse_timeloop_stats((RUN / "timeloop-mapper.stats.txt").read_text())
    assert summary == {"energy_pj": pytest.approx(472035.71), "cycles": 384.0}


def test_hwsim_reproduces_the_recorded_mapping_exactly() -> None:
    t = task()
    result = result_from_timeloop_outputs(
        t, RUN / "timeloop-mapper.map.yaml", RUN / "timeloop-mapper.stats.txt", 2.3
    )
    assert result.evaluation.total_energy_pj == pytest.approx(472035.71, abs=0.05)
    assert result.cycles == 384
    assert "timeloop reported 472035.71 pJ" in result.notes[0]


def test_timeloop_backend_shells_out(tmp_path: Path, monkeypatch) -> None:
    # A stand-in timeloop-mapper that writes the recorded outputs into its working folder.
    fake = tmp_path / "bin" / "timeloop-mapper"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\ncp "{RUN}/timeloop-mapper.map.yaml" "{RUN}/timeloop-mapper.stats.txt" .\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    result = backend("timeloop").map(task())
    assert result.evaluation.total_energy_pj == pytest.approx(472035.71, abs=0.05)


def test_native_mapper_is_no_worse_than_the_recorded_search() -> None:
    t = task()
    native = map_problem(t.problem, t.architecture, t.constraints, t.table, t.settings)
    assert native.energy_pj <= 472035.71 + 0.01


def test_missing_binary_and_unknown_backend_are_clear_errors(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SpecError, match="needs 'timeloop-mapper' on PATH"):
        TimeloopBackend().map(task())
    with pytest.raises(SpecError, match="unknown mapper backend 'ruby'"):
        backend("ruby")
