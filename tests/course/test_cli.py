"""The report command's contract for mistakes: one line on stderr, exit 2, nothing written."""

from course.__main__ import main


def test_a_missing_study_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "report"
    missing = tmp_path / "nowhere" / "study.db"
    assert main(["--study", str(missing), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: STUDY={missing}: no study storage at {missing}"
    assert not out.exists()


def test_an_unknown_study_name_is_one_line_and_exit_2(tiny_study, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["--study", str(tiny_study), "--study-name", "other", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: STUDY_NAME=other: no such study in {tiny_study}; it holds ['tiny']"]
    assert not out.exists()
