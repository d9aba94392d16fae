"""Q3 on the tiny study: the chosen student, the pricing settings read from the study, and the
trade-off numbers (tiny_study.py's table)."""

from pathlib import Path

import pytest
from tiny_study import CHOSEN

from course.q3 import build_q3, find_study, q3_markdown


@pytest.fixture(scope="module")
def q3(tiny_study, tmp_path_factory):
    source = find_study(str(tiny_study), None, Path("."))
    return build_q3(source, tmp_path_factory.mktemp("q3"))


def test_the_chosen_student_is_codesign_reports(q3):
    assert int(q3.report.chosen["number"]) == CHOSEN and q3.chosen.number == CHOSEN
    text = q3_markdown(q3, "q3")
    study_report = q3.report.files["report_md"].read_text()
    assert "| Accuracy | val 88.0 %, test 87.0 % |" in study_report
    assert "| Accuracy | val 88.0 %, test 87.0 % |" in text
    assert "![accuracy against energy](q3/pareto.png)" in text
    assert "![energy of the chosen student per layer](q3/energy_layers.png)" in text
    assert (Path(q3.report.files["pareto_png"])).is_file()


def test_energy_source_and_mapper_objective_come_from_the_study(q3):
    text = q3_markdown(q3, "q3")
    assert "`hw.energy=classic` (classic Accelergy 0.3, as the course ran it)" in text
    assert "`hw.objective=edp`" in text
    assert "in 8-bit words" in text


def test_trade_off_numbers(q3):
    text = q3_markdown(q3, "q3")
    assert "3 of 4 complete students reach the 85% floor; their energies span 100–300 µJ" in text
    assert "Meeting the floor costs 2.50× the energy of the cheapest student below it (#0" in text
    assert "the most accurate student (#2) gains 5.0 accuracy points for +200 µJ (3.00×" in text
    assert "40 µJ per point" in text
    # layers: 100 pJ·1e6 over 5e6 MACs = 20 pJ/MAC; fc takes 70 % at 17.5 pJ/MAC, 60 % weights
    assert "cost 20 pJ per MAC on average" in text
    assert "`fc` (C8 M8 R3 S3 P4000 Q1), takes 70% of the energy at 17.5 pJ per MAC" in text
    assert "moving its Weights is the largest data share (60%), the MACs themselves 50%" in text


def test_the_demo_study_is_announced(tiny_study, tmp_path):
    demo = tmp_path / "outputs" / "sweeps" / "demo" / "study.db"
    demo.parent.mkdir(parents=True)
    demo.write_bytes(tiny_study.read_bytes())
    source = find_study(None, None, tmp_path)
    assert source.demo and not source.ran_demo and source.name == "tiny"
    text = q3_markdown(build_q3(source, tmp_path / "q3"), "q3")
    assert "**No study was given, so this is the demo study**" in text


def test_without_a_study_the_demo_study_is_run_first(tiny_study, tmp_path):
    # a stand-in sweep.py: writes the tiny study where `sweep.py experiment=demo` writes its own
    (tmp_path / "sweep.py").write_text(
        "import shutil, sys, pathlib\n"
        "assert sys.argv[1:] == ['experiment=demo']\n"
        "out = pathlib.Path('outputs/sweeps/demo')\n"
        "out.mkdir(parents=True)\n"
        f"shutil.copy({str(tiny_study)!r}, out / 'study.db')\n"
    )
    source = find_study(None, None, tmp_path)
    assert source.demo and source.ran_demo and source.name == "tiny"
