"""Energy tables, pricing, and the exported result shapes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from shared_material import shared_path

from hwsim.cli import main
from hwsim.energy.sources import load_energy_table
from hwsim.energy.table import EnergyTable, named_table
from hwsim.evaluate import evaluate_files
from hwsim.report.table2 import build_table2, default_spec_dir

Q1 = default_spec_dir()
WS = [Q1 / "arch.yaml", Q1 / "prob.yaml", Q1 / "1-ws.map.yaml"]


def test_table1_values() -> None:
    t = named_table("table1")
    assert t.energy("MainMemory", "read", "SRAM") == 7.95
    assert t.energy("MainMemory", "fill", "SRAM") == 5.45  # fill falls back to write
    assert t.energy("MainMemory", "update", "SRAM") == 5.45
    assert t.energy("Buffer", "read", "regfile") == t.energy("Buffer", "update", "regfile") == 0.42
    assert t.energy("MACC", "compute", "intmac") == 0.56


def test_table_round_trips_through_json(tmp_path) -> None:
    path = tmp_path / "table.json"
    path.write_text(named_table("table1").to_json())
    again = load_energy_table(path)
    assert {k: dict(v.actions) for k, v in again.entries.items()} == {
        k: dict(v.actions) for k, v in named_table("table1").entries.items()
    }


def test_ws_energy_by_hand() -> None:
    # MainMemory: (96 + 288) reads × 7.95 + 512 updates × 5.45 = 3052.8 + 2790.4 = 5843.2 pJ.
    # Buffer: (1536·2 + 1024) reads + (96 + 288 + 1536) writes = 6016 accesses × 0.42 = 2526.72 pJ.
    # MACs: 1536 × 0.56 = 860.16 pJ. Total 9230.08 pJ.
    r = evaluate_files(WS, energy="table1")
    assert r.level_energy_pj("MainMemory") == pytest.approx(5843.2)
    assert r.level_energy_pj("Buffer") == pytest.approx(2526.72)
    assert r.compute_energy_pj == pytest.approx(860.16)
    assert r.total_energy_pj == pytest.approx(9230.08)


def test_ert_file_reproduces_timeloop_energies() -> None:
    # Timeloop v3.0 with this ERT printed MainMemory 5846.58 pJ and MACC 861.39 pJ for WS.
    ert = shared_path("reference", "timeloop", "q1", "Q1_arch.classic-accelergy-0.3.ERT.yaml")
    summary = shared_path(
        "reference", "timeloop", "q1", "Q1_arch.classic-accelergy-0.3.ERT_summary.yaml"
    )
    for path in (ert, summary):
        table = load_energy_table(path)
        assert table.energy("MainMemory", "read") == 7.95381
        assert table.energy("MainMemory", "write") == 5.45374
        assert table.energy("Buffer", "read") == 0.42018
        assert table.energy("MACC", "compute") == 0.5608
        r = evaluate_files(WS, energy=path, timeloop_version="v3.0")
        assert round(r.level_energy_pj("MainMemory"), 2) == pytest.approx(5846.58, abs=0.01)
        assert round(r.compute_energy_pj, 2) == 861.39
        assert round(r.level_energy_pj("Buffer"), 2) == pytest.approx(2527.8, abs=0.01)


def test_missing_component_is_a_clear_error() -> None:
    from hwsim.errors import SpecError

    with pytest.raises(SpecError, match="no entry for component 'DRAM'"):
        EnergyTable.from_mapping("t", {"SRAM": {"read": 1.0}}).energy("DRAM", "read", "DRAM")


def test_json_shape(capsys) -> None:
    assert main(["model", *map(str, WS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {
        "engine",
        "computes",
        "energy_pj",
        "cycles",
        "compute_cycles",
        "level_cycles",
        "levels",
    }
    assert isinstance(data["engine"], str) and data["computes"] == 1536
    assert data["cycles"] == data["compute_cycles"] == 1536  # Q1 has no bandwidth limits
    for spaces in data["levels"].values():
        for counts in spaces.values():
            assert set(counts) == {"reads", "fills", "updates", "energy_pj"}
            assert all(isinstance(counts[k], int) for k in ("reads", "fills", "updates"))
    assert data["levels"]["MainMemory"]["Inputs"]["reads"] == 288


def test_trace_engine_on_the_cli(capsys) -> None:
    assert main(["model", *map(str, WS), "--engine", "trace", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["levels"]["MainMemory"]["Inputs"]["reads"] == 78


def test_dataframe_and_plot(tmp_path) -> None:
    r = evaluate_files(WS)
    frame = r.to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert frame["energy_pj"].sum() == pytest.approx(r.total_energy_pj)
    png = r.plot(tmp_path / "e.png")
    assert png.stat().st_size > 1000


def test_table2_writes_markdown_csv_and_png(tmp_path) -> None:
    table = build_table2()
    paths = table.write(tmp_path)
    assert [p.name for p in paths] == ["table2.md", "table2.csv", "table2.png"]
    frame = pd.read_csv(tmp_path / "table2.csv")
    assert list(frame["mapping"].unique()) == [
        "ws",
        "os-untiled",
        "os-untiled.map2",
        "os-tiled",
        "os-tiled.map2",
    ]
    ws = frame[(frame.mapping == "ws") & (frame.engine == "analytical")].iloc[0]
    assert (
        ws["MainMemory reads"],
        ws["MainMemory writes"],
        ws["Buffer reads"],
        ws["Buffer writes"],
    ) == (384, 512, 4096, 1920)
    assert (
        "MainMemory Inputs reads: Timeloop rules 288, trace 78"
        in (tmp_path / "table2.md").read_text()
    )
