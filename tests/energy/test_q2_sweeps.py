"""The Q2 study: energies positive and monotone where physics says so, fits, plots, summary."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from shared_material import shared_path

from hwsim.energy.sweeps.classic_reference import classic_reference, load_reference_csv
from hwsim.energy.sweeps.fit import FittedSweeps, fit_power_law, fit_sweeps
from hwsim.energy.sweeps.plan import q2_sweeps
from hwsim.energy.sweeps.report import summary_markdown
from hwsim.energy.sweeps.run import run_sweeps
from hwsim.errors import SpecError

NEEDS_MODELS = True


def _points(recorded) -> pd.DataFrame:
    return run_sweeps(q2_sweeps(), technology="45nm", evaluator=recorded)


def test_the_four_sweeps_of_the_assignment() -> None:
    sweeps = {(s.component, s.sweep): s for s in q2_sweeps()}
    assert [p.width for p in sweeps["SRAM", "width_sweep"].points] == [
        16,
        32,
        64,
        128,
        256,
        512,
        1024,
        2048,
    ]
    assert {p.depth for p in sweeps["SRAM", "width_sweep"].points} == {8192}
    assert [p.depth for p in sweeps["regfile", "depth_sweep"].points] == [
        512,
        1024,
        2048,
        4096,
        8192,
    ]
    assert {p.width for p in sweeps["regfile", "depth_sweep"].points} == {128}
    assert [p.width for p in sweeps["DRAM", "width_sweep"].points] == [
        16,
        32,
        64,
        128,
        256,
        512,
        1024,
        2048,
    ]
    mac = sweeps["intmac", "width_sweep"].points
    assert [p.width for p in mac] == [2, 4, 8, 16, 32, 64]
    assert mac[0].attributes("45nm") == {
        "technology": "45nm",
        "multiplier_width": 2,
        "adder_width": 4,
    }


def test_energies_are_positive_and_monotone_where_physics_says_so(recorded) -> None:
    df = _points(recorded)
    assert len(df) == 8 + 5 + 8 + 5 + 8 + 6
    for (component, sweep), group in df.groupby(["component", "sweep"]):
        varied = "depth" if sweep == "depth_sweep" else "width"
        group = group.sort_values(varied)
        columns = ["compute_pj"] if component == "intmac" else ["read_pj", "write_pj"]
        for column in columns:
            values = group[column].to_numpy()
            assert np.all(values > 0), (component, sweep, column)
            # a wider SRAM costs more per access; a deeper register file costs more; DRAM and MAC grow with width
            assert np.all(np.diff(values) > 0), (component, sweep, column, values)
        if component != "DRAM":
            assert np.all(np.diff(group.area_um2.to_numpy()) > 0)
    dram = df[df.component == "DRAM"]
    assert np.allclose(dram.read_pj / dram.width, 8.0)
    assert (
        dram.notes[dram.width == 2048]
        .iloc[0]
        .startswith("a 2048-bit access is 32 bursts of the 64-bit LPDDR4")
    )


def test_sram_matches_classic_cacti_where_both_run_cacti_on_the_same_array(recorded) -> None:
    df = _points(recorded)
    ref = classic_reference()
    merged = df[df.component == "SRAM"].merge(
        ref[ref.component == "SRAM"], on=["sweep", "width", "depth"], suffixes=("", "_ref")
    )
    same = merged[merged.width >= 32]
    assert np.allclose(same.read_pj, same.read_pj_ref, rtol=1e-5) and np.allclose(
        same.write_pj, same.write_pj_ref, rtol=1e-5
    )


def test_power_law_fit() -> None:
    x = [1, 2, 4, 8]
    fit = fit_power_law(x, [3 * v**1.5 for v in x])
    assert fit.exponent == pytest.approx(1.5) and fit.coefficient == pytest.approx(3)
    assert fit.r_squared == pytest.approx(1) and fit.max_relative_error < 1e-12
    assert fit.local_exponents == pytest.approx((1.5, 1.5, 1.5))
    bent = fit_power_law(x, [1 + v for v in x])
    assert bent.r_squared < 1 and bent.local_exponents[0] < bent.local_exponents[-1]
    with pytest.raises(ValueError):
        fit_power_law([1, 2], [0, 1])


def test_fitted_exponents_of_the_models(recorded) -> None:
    fits = fit_sweeps(_points(recorded), source="hwcomponents").set_index(
        ["component", "sweep", "quantity"]
    )
    exponent = fits.exponent
    assert exponent["regfile", "width_sweep", "read"] == pytest.approx(1.0, abs=0.01)
    assert exponent["regfile", "depth_sweep", "read"] == pytest.approx(1.0, abs=0.01)
    assert exponent["DRAM", "width_sweep", "read"] == pytest.approx(1.0, abs=1e-9)
    assert 1.8 < exponent["intmac", "width_sweep", "compute"] < 2.0  # multiplier ∝ w², adder ∝ w
    assert 1.0 < exponent["SRAM", "width_sweep", "read"] < 1.4
    assert 0.3 < exponent["SRAM", "depth_sweep", "read"] < 1.0  # subarrays keep bit lines short
    assert exponent["SRAM", "depth_sweep", "area"] == pytest.approx(1.0, abs=0.1)


def test_summary_explains_every_component_and_compares_generations(recorded) -> None:
    df = _points(recorded)
    text = summary_markdown(FittedSweeps.of(df, classic_reference()), technology="45nm")
    for heading in (
        "## Power laws",
        "### SRAM",
        "### Register file",
        "### DRAM",
        "### Integer MAC",
        "## Where the two model generations differ",
    ):
        assert heading in text
    for phrase in (
        "bit line",
        "sense amplifier",
        "decoder",
        "flip-flop",
        "multiplexer",
        "w²",
        "pJ/bit",
        "bursts",
    ):
        assert phrase in text
    assert "Identical for words of 32 bits or more" in text
    assert "nan" not in text.lower().replace("nanomet", "")
    without = summary_markdown(FittedSweeps.of(df), technology="45nm")
    assert "No classic Accelergy reference" in without and "generations differ" not in without


def _fitted(frame: pd.DataFrame, component: str, sweep: str, column: str) -> str | None:
    """The exponent of one line of `frame`, fitted here, as the summary prints it (None: no line)."""
    rows = frame[(frame.component == component) & (frame.sweep == sweep)]
    varied = "depth" if sweep == "depth_sweep" else "width"
    rows = rows.sort_values(varied)
    if column not in rows or rows[column].isna().all():
        return None
    fit = fit_power_law(rows[varied].astype(float), rows[column].astype(float))
    return f"{fit.exponent:.2f}"


def test_summary_reports_the_exponents_of_the_points(recorded) -> None:
    df = _points(recorded)
    ref = classic_reference()
    ref_mac = ref.component == "intmac"  # the classic intmac's mac_random is filed as read_pj
    text = summary_markdown(FittedSweeps.of(df, ref), technology="45nm")

    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith(("| SRAM |", "| regfile |", "| DRAM |", "| intmac |"))
        and ("width" in line.split("|")[2] or "depth" in line.split("|")[2])
    ]
    assert len(rows) == 6
    for component, sweep_cell, _, *cells in rows:
        sweep = "width_sweep" if sweep_cell.startswith("width") else "depth_sweep"
        printed = [m[1] if (m := re.match(r"\*\*(-?\d+\.\d\d)\*\*", c)) else None for c in cells]
        expected = [
            _fitted(df, component, sweep, column)
            for column in ("read_pj", "write_pj", "compute_pj", "area_um2")
        ]
        if component == "intmac":
            expected += [None, _fitted(ref[ref_mac], component, sweep, "read_pj")]
        else:
            expected += [_fitted(ref, component, sweep, c) for c in ("read_pj", "write_pj")]
        assert printed == expected, (component, sweep)

    def a(component: str, sweep: str, column: str = "read_pj") -> str:
        value = _fitted(df, component, sweep, column)
        assert value is not None
        return value

    for component, heading in (
        ("SRAM", "SRAM (CACTI)"),
        ("regfile", "Register file (hwkd flip-flop model)"),
    ):
        assert (
            f"### {heading}: width a = {a(component, 'width_sweep')} read, "
            f"{a(component, 'width_sweep', 'write_pj')} write; depth b = {a(component, 'depth_sweep')} read, "
            f"{a(component, 'depth_sweep', 'write_pj')} write"
        ) in text
    assert f"### DRAM (LPDDR4): a = {a('DRAM', 'width_sweep')}" in text
    assert f"### Integer MAC (Aladdin): a = {a('intmac', 'width_sweep', 'compute_pj')}" in text
    classic_rf = _fitted(ref, "regfile", "width_sweep", "read_pj")
    assert f"(its width exponent is {classic_rf})" in text


def test_shipped_classic_numbers_equal_the_reference_file() -> None:
    path = shared_path("reference", "accelergy-classic", "q2.csv")
    full = load_reference_csv(path)
    ours = classic_reference()
    at45 = full[full.technology == "45nm"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, at45, check_dtype=False)


def test_reference_csv_errors(tmp_path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        load_reference_csv(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("component,width\nSRAM,16\n")
    with pytest.raises(SpecError, match="lacks columns"):
        load_reference_csv(bad)


def test_classic_reference_is_what_the_course_reports() -> None:
    ref = classic_reference().set_index(["component", "sweep", "width", "depth"])
    assert ref.loc[("intmac", "width_sweep", 8, 64), "read_pj"] == 0.5608  # the Table-1 MAC
    assert math.isclose(ref.loc[("DRAM", "width_sweep", 64, 8192), "read_pj"], 512.0)
