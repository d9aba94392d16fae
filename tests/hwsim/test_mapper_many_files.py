"""``hwsim mapper`` with many problem files: one process maps them all, each exactly as a call of
its own would (same JSON, same mapping file); a mistake names the file it is in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from hwsim.cli import main
from hwsim.course_material import accelerator_dir
from hwsim.spec.layers import conv2d_problem

Q3 = accelerator_dir("eyeriss_like_q3")
# classic Accelergy's ERT of the Q3 accelerator (shipped with the tests): no CACTI run needed
ERT = Path(__file__).resolve().parents[1] / "data" / "accelergy_classic" / "q3_base" / "ERT.yaml"
LAYERS = {
    "stem": conv2d_problem(C=3, M=8, P=8, Q=8, R=3, S=3),
    "down": conv2d_problem(C=8, M=16, P=4, Q=4, R=3, S=3, stride=2),
}


def write_layers(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, problem in LAYERS.items():
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(problem.to_timeloop("0.3"), sort_keys=False))
        paths.append(path)
    return paths


def mapper(*args: object) -> list[str]:
    return ["mapper", str(Q3), *map(str, args), "--energy", str(ERT)]


def test_many_problems_in_one_call_equal_one_call_each(tmp_path: Path, capsys) -> None:
    paths = write_layers(tmp_path / "layers")
    single = {}
    for path in paths:
        out = tmp_path / "one" / f"{path.stem}.map.yaml"
        assert main(mapper(path, "--json", "--out", out)) == 0
        single[str(path)] = (json.loads(capsys.readouterr().out), out.read_text())

    assert main(mapper(*paths, "--json", "--out", tmp_path / "many")) == 0
    together = json.loads(capsys.readouterr().out)
    assert list(together) == [str(p) for p in paths]  # in the order given
    for path in paths:
        document, mapping = single[str(path)]
        assert together[str(path)] == document
        assert (tmp_path / "many" / f"{path.stem}.map.yaml").read_text() == mapping
    # the two layers differ, so equal outputs are not one result printed twice
    assert together[str(paths[0])]["energy_pj"] != together[str(paths[1])]["energy_pj"]


def test_many_problems_print_one_titled_block_each(tmp_path: Path, capsys) -> None:
    paths = write_layers(tmp_path / "layers")
    assert main(mapper(*paths, "--out", tmp_path / "many")) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("== ")] == [
        f"== {p}" for p in paths
    ]
    assert out.count("mapping written to") == 2


def test_a_bad_problem_among_many_is_one_error_naming_its_file(tmp_path: Path, capsys) -> None:
    paths = write_layers(tmp_path / "layers")
    bad = tmp_path / "layers" / "bad.yaml"
    document = LAYERS["stem"].to_timeloop("0.3")
    document["problem"]["instance"]["C"] = -3
    bad.write_text(yaml.safe_dump(document, sort_keys=False))
    out = tmp_path / "many"
    assert main(mapper(*paths, bad, "--out", out)) == 2
    captured = capsys.readouterr()
    assert "bad.yaml" in captured.err and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert not out.exists()  # refused before any layer was mapped


def test_problem_files_that_would_share_a_mapping_file_are_refused(tmp_path: Path, capsys) -> None:
    (path,) = write_layers(tmp_path / "a")[:1]
    code = main(mapper(path, path, "--out", tmp_path / "many"))
    err = capsys.readouterr().err
    assert code == 2 and "same mapping file" in err and str(path) in err


def test_same_file_names_in_two_folders_take_the_folder_name(tmp_path: Path, capsys) -> None:
    first = write_layers(tmp_path / "u0")[0]
    second = write_layers(tmp_path / "u1")[0]
    assert main(mapper(first, second, "--json", "--out", tmp_path / "many")) == 0
    capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "many").iterdir()) == [
        "u0-stem.map.yaml",
        "u1-stem.map.yaml",
    ]


@pytest.mark.parametrize("flag", ["--json", None])
def test_one_problem_keeps_its_output(tmp_path: Path, capsys, flag: str | None) -> None:
    """One problem file: the output of before many were accepted (no title, a bare document)."""
    (path,) = write_layers(tmp_path / "layers")[:1]
    out = tmp_path / "one.map.yaml"
    assert main(mapper(path, "--out", out, *([flag] if flag else []))) == 0
    printed = capsys.readouterr().out
    assert "== " not in printed
    if flag:
        assert set(json.loads(printed)) >= {"engine", "energy_pj", "levels"}
    assert out.exists()
