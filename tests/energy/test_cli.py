"""``hwsim ert`` and ``hwsim sweep-components`` (CACTI replayed)."""

from __future__ import annotations

import json

import pandas as pd

from hwsim.cli import main
from hwsim.report.table2 import default_spec_dir

NEEDS_MODELS = True
Q1_ARCH = str(default_spec_dir() / "arch.yaml")


def test_ert_prints_the_table(replay_cacti, capsys) -> None:
    assert main(["ert", Q1_ARCH]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("Energy table of") and "read pJ" in lines[1]
    assert any(line.startswith("MainMemory  SRAM") for line in lines)
    assert any(line.startswith("MACC") and "Aladdin" in line for line in lines)
    assert "[1] CACTI evaluated 32768×32 bits" in out
    assert "computed" in err


def test_ert_json_and_cache(replay_cacti, capsys, eyeriss_like, eyeriss_like_components) -> None:
    assert main(["ert", str(eyeriss_like), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert list(first["components"]) == list(eyeriss_like_components)
    glb = first["components"]["shared_glb"]
    assert (
        glb["actions"]["read"] > 0 and glb["area_um2"] > 0 and glb["source"].startswith("compound")
    )
    assert main(["ert", str(eyeriss_like), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == first
    assert " 0 computed" in captured.err  # second run: every model result from the on-disk cache


def test_ert_errors_are_one_line_with_status_2(tmp_path, capsys, replay_cacti) -> None:
    arch = tmp_path / "arch.yaml"
    arch.write_text(
        "architecture:\n  version: 0.4\n  nodes:\n  - !Container {name: S, attributes: {technology: 45nm}}\n"
        "  - !Component {name: Mem, class: SRAM, attributes: {width: 8}}\n"
        "  - !Component {name: MACC, class: intmac, attributes: {width: 8}}\n"
    )
    assert main(["ert", str(arch)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"hwsim: error: {arch}: component 'Mem' (class SRAM): missing attribute 'depth' (also read as memory_depth, data_storage_depth, entries, sizeKB)"
    )
    assert main(["ert", Q1_ARCH, "--technology", "1nm"]) == 2
    assert "outside the 7–130 nm" in capsys.readouterr().err


def test_sweep_components_writes_plots_csv_and_summary(tmp_path, replay_cacti, capsys) -> None:
    out = tmp_path / "q2"
    assert main(["sweep-components", "--out", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    assert "Q2 sweeps" in stderr  # the progress bar
    for name in ("SRAM.png", "regfile.png", "DRAM.png", "intmac.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 40 and set(points.component) == {"SRAM", "regfile", "DRAM", "intmac"}
    fits = pd.read_csv(out / "fits.csv")
    assert {"exponent", "r_squared", "local_exponent_min"} <= set(fits.columns)
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Q2") and "Accelergy 0.3" in summary
    assert str(out / "summary.md") in stdout
