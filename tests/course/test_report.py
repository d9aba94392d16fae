"""The whole report on the tiny study: report.md and report.html with every section, Q2's
exponents equal to hwsim's fits of the same points, the API pages beside it. Slow: it prices the
Q2 sweeps with CACTI in a private cache (nothing touches the user's)."""

import pytest

from course.assemble import build_report
from course.classic_sweeps import classic_points
from hwsim.energy.components import default_evaluator
from hwsim.energy.sweeps.classic_reference import classic_reference, reference_as_points
from hwsim.energy.sweeps.fit import fit_sweeps
from hwsim.energy.sweeps.plan import q2_sweeps
from hwsim.energy.sweeps.run import run_sweeps

pytestmark = pytest.mark.slow

#: (Markdown heading, the id of the HTML heading)
SECTIONS = (
    ("## Q1: memory accesses and energy of five mappings", "q1-memory-accesses-and-energy"),
    ("## The simulator's structure", "the-simulators-structure"),
    ("## Q2: how component energy scales with width and depth", "q2-how-component-energy"),
    ("## Q3: co-design of the student and its accelerator", "q3-co-design-of-the-student"),
)


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HWKD_CACHE_DIR", str(tmp_path_factory.mktemp("hwkd_cache")))
        yield


@pytest.fixture(scope="module")
def built(private_cache, tiny_study, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return build_report(out, study=str(tiny_study), root=out)


def test_markdown_and_html_hold_every_section_and_figure(built):
    html = built.html.read_text()
    for heading, anchor in SECTIONS:
        assert f"\n{heading}\n" in built.text
        assert f'<h2 id="{anchor}' in html
    out = built.markdown.parent
    for figure in ("table2.png", "q2_SRAM.png", "q2_regfile.png", "q2_DRAM.png", "q2_intmac.png"):
        assert (out / figure).is_file() and f"]({figure})" in built.text
    assert (out / "q3" / "pareto.png").is_file() and "](q3/pareto.png)" in built.text
    assert (out / "api" / "hwsim" / "trace" / "simulator.html").is_file()
    assert "api/hwsim/trace/simulator.html#TraceSimulator" in built.text
    assert html.count("<table>") >= 6
    assert set(built.timings) == {"study", "Q1", "structure", "Q2", "Q3", "write"}


def test_q2_exponents_are_hwsims_fits_of_the_same_points(built):
    sweeps = q2_sweeps()
    models = fit_sweeps(
        run_sweeps(sweeps, technology="45nm", evaluator=default_evaluator()), source="hwcomponents"
    )
    classic = classic_points(sweeps, "45nm")
    classic_fits = fit_sweeps(reference_as_points(classic), source="classic")
    for fits in (models, classic_fits):
        for fit in fits.itertuples():
            if fit.quantity == "area":
                continue
            cell = f"**{fit.exponent:.2f}** (R² {fit.r_squared:.3f}; local "
            assert cell in built.text, (fit.component, fit.sweep, fit.quantity)
    # classic's numbers are the real tool's, and its register file is nearly flat in width
    assert (
        classic[["read_pj", "write_pj"]].to_numpy().tolist()
        == classic_reference()[["read_pj", "write_pj"]].to_numpy().tolist()
    )
    assert "**Register file (Aladdin table): width a = 0.03, depth b = 1.05" in built.text
    # 8192 comparators of ⌈log2 8192⌉ = 13 bits at 0.029015 pJ × 13/32 each
    assert "the 8192 comparators of 13 bits cost 96.56 pJ" in built.text
