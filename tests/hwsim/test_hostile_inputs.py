"""Hostile inputs to the ``hwsim`` command line, as a new user (or a fuzzer) would try them.

Every case runs the real command line (``hwsim.cli.main``) in a subprocess, with a timeout per
case, and must end the same way: exit status 2, one ``hwsim: error:`` line on stderr naming the
file (or option) and the field, nothing on stdout, no file created, no traceback, no hang. A case
whose point is a warning may print one ``hwsim: warning:`` line before the error. The cases share
one process (hwsim is imported once), so the corpus costs seconds, not a minute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from hwsim.cli import main
from hwsim.course_material import accelerator_dir, q1_spec_dir
from hwsim.spec.input_files import MAX_INPUT_BYTES
from hwsim.spec.yaml_io import MAX_DEPTH

Q1 = q1_spec_dir()
ARCH = (Q1 / "arch.yaml").read_text()
PROB = (Q1 / "prob.yaml").read_text()
MAP = (Q1 / "4-os-tiled.map.yaml").read_text()
EYERISS = accelerator_dir("eyeriss_like_q3")
ROOT = Path(__file__).resolve().parents[2]
#: Seconds one case may take before it counts as a hang (each takes well under one).
CASE_TIMEOUT_S = 30

# The Q1 architecture with an unbounded DRAM as main memory: any problem size fits.
DRAM_ARCH = """
architecture:
  version: 0.4
  nodes:
  - !Container {name: System, attributes: {technology: 45nm}}
  - !Component {name: MainMemory, class: DRAM, attributes: {width: 64, datawidth: 8}}
  - !Component {name: Buffer, class: regfile, attributes: {depth: 64, width: 8, datawidth: 8}}
  - !Component {name: MACC, class: intmac, attributes: {width: 8}}
"""
STRIDED_PROB = """
problem:
  shape:
    name: Conv1D_strided
    dimensions: [M, R, P]
    coefficients: [{name: Wstride, default: DEFAULT}]
    data_spaces:
    - {name: Weights, projection: [[[M]], [[R]]]}
    - {name: Inputs, projection: [[[R], [P, COEFFICIENT]]]}
    - {name: Outputs, projection: [[[M]], [[P]]], read_write: true}
  instance: {M: 32, R: 3, P: 16, Wstride: STRIDE}
"""
MAPPER = """
mapper:
  optimization-metrics: [delay, energy]
  timeout: 15000
  num-threads: 8
"""


def strided(stride: str = "1", default: str = "1", coefficient: str = "Wstride") -> str:
    return (
        STRIDED_PROB.replace("STRIDE", stride)
        .replace("DEFAULT", default)
        .replace("COEFFICIENT", coefficient)
    )


def alias_bomb() -> str:
    lines = ["problem:", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def deep_block_mapping() -> str:
    return (
        "problem:\n"
        + "".join("  " * i + f"k{i}:\n" for i in range(1, 3000))
        + "  " * 3000
        + "x: 1\n"
    )


@dataclass(frozen=True)
class Case:
    """One hostile run: files to write (text, or a function making the path), the arguments,
    and the words the error line must hold (the file and the field)."""

    name: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]
    files: dict[str, str | Callable[[Path], None]] = field(default_factory=dict)
    warning: bool = False


def fifo(path: Path) -> None:
    os.mkfifo(path)


def symlink_loop(path: Path) -> None:
    (path.parent / "loop_b").symlink_to(path)
    path.symlink_to(path.parent / "loop_b")


def oversized(path: Path) -> None:
    with path.open("wb") as handle:  # sparse: no 17 MiB written
        handle.truncate(MAX_INPUT_BYTES + 2**20)


def not_utf8(path: Path) -> None:
    path.write_bytes(b"problem: \xff\xfe\x00\n")


def broken_link(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere.yaml")


def plain_file(path: Path) -> None:
    path.write_text("I am a file\n")


def folder(path: Path) -> None:
    path.mkdir()


BASE = {"arch.yaml": ARCH, "prob.yaml": PROB, "map.yaml": MAP}
MODEL = ("model", "arch.yaml", "prob.yaml", "map.yaml")

CASES = [
    # ---------------------------------------------------------------- files that are not files
    Case("fifo", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "not a regular file"), {**BASE, "p.yaml": fifo}),
    Case("dev_zero", ("model", "arch.yaml", "/dev/zero", "map.yaml"), ("/dev/zero", "not a regular file"), BASE),
    Case("symlink_loop", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "symbolic link loop"), {**BASE, "p.yaml": symlink_loop}),
    Case("broken_link", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "broken symbolic link"), {**BASE, "p.yaml": broken_link}),
    Case("oversized", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "16 MiB"), {**BASE, "p.yaml": oversized}),
    Case("not_utf8", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "not a text file"), {**BASE, "p.yaml": not_utf8}),
    Case("empty_folder", ("model", "arch.yaml", "specs", "map.yaml"), ("specs", "no *.yaml file"), {**BASE, "specs": folder}),
    Case("energy_fifo", (*MODEL, "--energy", "e.json"), ("e.json", "not a regular file"), {**BASE, "e.json": fifo}),
    Case("energy_symlink_loop", (*MODEL, "--energy", "e.yaml"), ("e.yaml", "symbolic link loop"), {**BASE, "e.yaml": symlink_loop}),
    Case("network_source_fifo", ("network-energy", "layers"), ("layers", "not a regular file"), {"layers": fifo}),
    Case("network_arch_symlink_loop", ("network-energy", "prob.yaml", "--arch", "a.yaml"), ("a.yaml", "symbolic link loop"), {**BASE, "a.yaml": symlink_loop}),
    # ------------------------------------------------------------------------- hostile YAML
    Case("alias_bomb", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "line 7", "aliases expand"), {**BASE, "p.yaml": alias_bomb()}),
    Case("recursive_alias", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "line 1", "recursive alias"), {**BASE, "p.yaml": "problem: &a [*a]\n"}),
    Case("deep_flow", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "line 1", f"nested more than {MAX_DEPTH}"), {**BASE, "p.yaml": "problem: " + "[" * 5000 + "]" * 5000 + "\n"}),
    Case("deep_block", ("model", "arch.yaml", "p.yaml", "map.yaml"), ("p.yaml", "line 100", f"nested more than {MAX_DEPTH}"), {**BASE, "p.yaml": deep_block_mapping()}),
    Case("duplicate_key", MODEL, ("prob.yaml", "line 13", "duplicate key 'M'", "first on line 12"), {**BASE, "prob.yaml": PROB.replace("instance: {M: 32, R: 3, P: 16}", "instance:\n    M: 32\n    M: 8\n    R: 3\n    P: 16")}),
    Case("duplicate_key_hyphen", MODEL, ("arch.yaml", "duplicate key 'global-cycle-seconds'"), {**BASE, "arch.yaml": ARCH.replace("global_cycle_seconds: 1e-9", "global_cycle_seconds: 1e-9, global-cycle-seconds: 2e-9")}),
    # ------------------------------------------------------------------- problem instances
    Case("stride_negative", MODEL, ("prob.yaml", "problem.instance.Wstride", ">= 1"), {**BASE, "prob.yaml": strided(stride="-1")}),
    Case("stride_zero", MODEL, ("prob.yaml", "problem.instance.Wstride", ">= 1"), {**BASE, "prob.yaml": strided(stride="0")}),
    Case("coefficient_default_zero", MODEL, ("prob.yaml", "problem.shape.coefficients[0].default"), {**BASE, "prob.yaml": strided(stride="1", default="0").replace(", Wstride: 1", "")}),
    Case("projection_coefficient_negative", MODEL, ("prob.yaml", "projection[0][1].coefficient", ">= 1"), {**BASE, "prob.yaml": strided(coefficient="-2")}),
    Case("dimension_zero", MODEL, ("prob.yaml", "problem.instance.P", ">= 1"), {**BASE, "prob.yaml": PROB.replace("P: 16", "P: 0")}),
    Case("dimension_fraction", MODEL, ("prob.yaml", "problem.instance.P", "expected an integer"), {**BASE, "prob.yaml": PROB.replace("P: 16", "P: 16.5")}),
    Case("dimension_huge", MODEL, ("prob.yaml", "problem.instance.P", "at most"), {**BASE, "prob.yaml": PROB.replace("P: 16", "P: 100000000000000")}),
    Case("computes_huge", MODEL, ("prob.yaml", "problem.instance", "computes"), {**BASE, "prob.yaml": PROB.replace("{M: 32, R: 3, P: 16}", "{M: 1000000000, R: 1000000000, P: 1000000000}")}),
    # ------------------------------------------------------------------ architecture ranges
    Case("depth_huge", MODEL, ("arch.yaml", "architecture.nodes[2].attributes.depth", "at most"), {**BASE, "arch.yaml": ARCH.replace("depth: 64", "depth: 1000000000000")}),
    Case("width_huge", MODEL, ("arch.yaml", "attributes.width", "at most"), {**BASE, "arch.yaml": ARCH.replace("width: 8", "width: 100000", 1)}),
    Case("datawidth_huge", MODEL, ("arch.yaml", "attributes.datawidth", "at most"), {**BASE, "arch.yaml": ARCH.replace("datawidth: 8", "datawidth: 5000", 1)}),
    Case("misspelt_class", MODEL, ("map.yaml", "mapping[1].target", "'Buffer' is not a storage level", "'regfiel'"), {**BASE, "arch.yaml": ARCH.replace("class: regfile", "class: regfiel")}, warning=True),
    Case("bad_technology", (*MODEL, "--energy", "hwcomponents"), ("arch.yaml", "MainMemory", "technology"), {**BASE, "arch.yaml": ARCH.replace('technology: "45nm"', "technology: banana")}),
    Case("ert_bad_technology", ("ert", "arch.yaml", "--technology", "banana"), ("--technology", "45nm"), BASE),
    # ------------------------------------------------------------------------ big problems
    Case("trace_memory", ("model", "--engine", "trace", "arch.yaml", "prob.yaml", "map.yaml"), ("map.yaml", "mapping", "GiB", "--engine analytical"), {"arch.yaml": DRAM_ARCH, "prob.yaml": PROB.replace("P: 16", "P: 1073741824"), "map.yaml": MAP.replace("P=16", "P=1073741824")}),
    Case("mapspace_too_large", ("mapper", str(EYERISS / "arch.yaml"), str(EYERISS / "components"), "prob.yaml", "--out", "m.yaml"), ("prob.yaml", "problem.instance.P", "ways"), {"prob.yaml": PROB.replace("P: 16", "P: 68719476736")}),
    # ------------------------------------------------------------------------- output paths
    Case("plot_under_a_file", (*MODEL, "--plot", "afile/e.png"), ("afile/e.png", "--plot", "not a folder"), {**BASE, "afile": plain_file}),
    Case("plot_in_proc", (*MODEL, "--plot", "/proc/hwsim_e.png"), ("/proc/hwsim_e.png", "--plot"), BASE),
    Case("plot_bad_suffix", (*MODEL, "--plot", "e.txt"), ("e.txt", "--plot", ".png"), BASE),
    Case("plot_is_a_folder", (*MODEL, "--plot", "d.png"), ("d.png", "--plot", "folder"), {**BASE, "d.png": folder}),
    Case("plot_symlink_loop", (*MODEL, "--plot", "e.png"), ("e.png", "--plot", "link loop"), {**BASE, "e.png": symlink_loop}),
    Case("plot_dangling_link", (*MODEL, "--plot", "e.png"), ("e.png", "--plot", "folder does not exist"), {**BASE, "e.png": lambda path: path.symlink_to(path.parent / "no" / "e.png")}),
    Case("mapper_out_under_a_file", ("mapper", "arch.yaml", "prob.yaml", "--out", "afile/m.yaml"), ("afile/m.yaml", "--out"), {**BASE, "afile": plain_file}),
    Case("mapper_out_in_proc", ("mapper", "arch.yaml", "prob.yaml", "--out", "/proc/hwsim_m.yaml"), ("/proc/hwsim_m.yaml", "--out"), BASE),
    Case("table2_out_in_proc", ("table2", "--out", "/proc/hwsim_t2"), ("/proc/hwsim_t2", "--out"), {}),
    Case("table2_out_is_a_file", ("table2", "--out", "afile"), ("afile", "--out", "not a folder"), {"afile": plain_file}),
    Case("export_layers_under_a_file", ("export-layers", "prob.yaml", "afile/layers"), ("afile/layers", "OUT_DIR"), {**BASE, "afile": plain_file}),
    Case("network_energy_out_under_a_file", ("network-energy", "prob.yaml", "--out", "afile/n"), ("afile/n", "--out"), {**BASE, "afile": plain_file}),
    Case("sweep_components_out_in_proc", ("sweep-components", "--out", "/proc/hwsim_q2"), ("/proc/hwsim_q2", "--out"), {}),
    Case("datawidth_zero", ("network-energy", "prob.yaml", "--datawidth=0"), ("--datawidth", "got 0"), BASE),
    # ------------------------------------------------------------------ the mapper section
    Case("mapper_unknown_key", ("mapper", "arch.yaml", "prob.yaml", "m.yaml", "--out", "o.yaml"), ("m.yaml", "mapper.timeuot", "unknown mapper setting"), {**BASE, "m.yaml": MAPPER.replace("timeout", "timeuot")}),
    Case("mapper_negative_timeout", ("mapper", "arch.yaml", "prob.yaml", "m.yaml", "--out", "o.yaml"), ("m.yaml", "mapper.timeout", ">= 0"), {**BASE, "m.yaml": MAPPER.replace("15000", "-5")}),
    Case("mapper_zero_threads", ("mapper", "arch.yaml", "prob.yaml", "m.yaml", "--out", "o.yaml"), ("m.yaml", "mapper.num-threads", ">= 1"), {**BASE, "m.yaml": MAPPER.replace("num-threads: 8", "num-threads: 0")}),
    Case("mapper_bad_algorithm", ("mapper", "arch.yaml", "prob.yaml", "m.yaml", "--out", "o.yaml"), ("m.yaml", "mapper.algorithm", "random-pruned"), {**BASE, "m.yaml": MAPPER + "  algorithm: banana\n"}),
    Case("mapper_bad_metrics", ("mapper", "arch.yaml", "prob.yaml", "m.yaml", "--out", "o.yaml"), ("m.yaml", "mapper.optimization-metrics", "latency"), {**BASE, "m.yaml": MAPPER.replace("[delay, energy]", "[latency]")}),
    # ---------------------------------------------------------------- mapspace constraints
    Case("constraint_factor", ("mapper", "arch.yaml", "prob.yaml", "c.yaml", "--out", "o.yaml"), ("c.yaml", "mapspace_constraints.targets[0].factors", "M=5"), {**BASE, "c.yaml": "mapspace_constraints:\n  targets:\n  - {target: Buffer, type: temporal, factors: M=5}\n"}),
    Case("constraint_unknown_type", ("mapper", "arch.yaml", "prob.yaml", "c.yaml", "--out", "o.yaml"), ("c.yaml", "targets[0].type", "'temproal'"), {**BASE, "c.yaml": "mapspace_constraints:\n  targets:\n  - {target: Buffer, type: temproal, factors: M=8}\n"}),
    Case("constraint_unreadable_factor", ("mapper", "arch.yaml", "prob.yaml", "c.yaml", "--out", "o.yaml"), ("c.yaml", "targets[0].factors", "'M:8'"), {**BASE, "c.yaml": "mapspace_constraints:\n  targets:\n  - {target: Buffer, type: temporal, factors: M:8}\n"}),
    Case("mapper_negative_seed", ("mapper", "arch.yaml", "prob.yaml", "--seed", "-1", "--out", "o.yaml"), ("--seed", "got -1"), BASE),
    Case("reference_csv_fifo", ("sweep-components", "--reference", "r.csv", "--out", "q2"), ("r.csv", "not a regular file"), {"r.csv": fifo}),
    Case("constraint_split", ("mapper", "arch.yaml", "prob.yaml", "c.yaml", "--out", "o.yaml"), ("c.yaml", "targets[0].split", "integer"), {**BASE, "c.yaml": "mapspace_constraints:\n  targets:\n  - {target: Buffer, type: spatial, split: abc}\n"}),
]  # fmt: skip


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


#: Runs ``hwsim.cli.main`` on each job in one process (hwsim imports once, not once per case),
#: capturing its exit status, stdout and stderr; an exception escaping ``main`` is recorded with
#: its traceback, and SIGALRM stops a case that does not answer within the limit.
DRIVER = """
import contextlib, io, json, os, signal, sys, traceback
from hwsim.cli import main

def give_up(signum, frame):
    raise TimeoutError("no answer in time")

signal.signal(signal.SIGALRM, give_up)
jobs, limit = json.load(sys.stdin), int(sys.argv[1])
results = {}
for job in jobs:
    os.chdir(job["folder"])
    out, err = io.StringIO(), io.StringIO()
    signal.alarm(limit)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(job["argv"])
            except SystemExit as stop:
                status = stop.code
    except BaseException:
        status = "exception"
        err.write(traceback.format_exc())
    finally:
        signal.alarm(0)
    results[job["name"]] = {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}
print(json.dumps(results))
"""


def _build(case: Case, folder: Path) -> None:
    folder.mkdir()
    for name, content in case.files.items():
        path = folder / name
        if callable(content):
            content(path)
        else:
            path.write_text(content)


def _hwsim_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[dict, set[str], set[str]]]:
    root = tmp_path_factory.mktemp("hostile")
    before = {}
    for case in CASES:
        _build(case, root / case.name)
        before[case.name] = _tree(root / case.name)
    jobs = [{"name": c.name, "folder": str(root / c.name), "argv": list(c.argv)} for c in CASES]
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, str(CASE_TIMEOUT_S)],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=CASE_TIMEOUT_S * 4,
        env=_hwsim_env(),
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    return {c.name: (results[c.name], before[c.name], _tree(root / c.name)) for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_input_is_one_error_line_and_exit_2(case: Case, outcomes) -> None:
    result, before, after = outcomes[case.name]
    lines = result["stderr"].splitlines()
    assert result["status"] == 2, result["stderr"]
    assert result["stdout"] == ""
    warnings = [line for line in lines if line.startswith("hwsim: warning: ")]
    assert len(warnings) == (1 if case.warning else 0), result["stderr"]
    assert len(lines) == len(warnings) + 1, result["stderr"]
    assert lines[-1].startswith("hwsim: error: "), result["stderr"]
    for word in case.expect:
        assert word in lines[-1], (word, lines[-1])
    assert after == before  # nothing written


def test_cases_have_distinct_names() -> None:
    assert len({case.name for case in CASES}) == len(CASES)


# ------------------------------------------------------------- unreadable files and folders
def _files(tmp_path: Path) -> list[str]:
    for name, text in BASE.items():
        (tmp_path / name).write_text(text)
    return [str(tmp_path / name) for name in BASE]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_an_unreadable_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = _files(tmp_path)
    Path(files[1]).chmod(0)
    assert main(["model", *files]) == 2
    assert capsys.readouterr().err.strip() == f"hwsim: error: {files[1]}: permission denied"


def test_a_file_the_system_refuses_to_open_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # what a chmod 000 file does to a user who is not root, whoever runs the tests
    files = _files(tmp_path)
    real_open = Path.open

    def refuse(self: Path, *args, **kwargs):
        if str(self) == files[1]:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    assert main(["model", *files]) == 2
    assert capsys.readouterr().err.strip() == f"hwsim: error: {files[1]}: permission denied"


def test_a_folder_that_cannot_be_listed_is_an_error_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files(tmp_path)
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "prob.yaml").write_text(PROB)
    real_scandir = os.scandir

    def refuse(path=".", *args):
        if str(path) == str(specs):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path, *args)

    monkeypatch.setattr(os, "scandir", refuse)
    assert main(["model", files[0], str(specs), files[2]]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"hwsim: error: {specs}: cannot list this folder: permission denied"


# ------------------------------------------------------- what used to hang now completes
def test_the_mapper_maps_a_dimension_of_a_billion(tmp_path: Path) -> None:
    # divisors come from prime factors (10^9 = 2^9 5^9: 100 divisors), not trial division to n
    (tmp_path / "arch.yaml").write_text(DRAM_ARCH)
    (tmp_path / "prob.yaml").write_text(PROB.replace("P: 16", "P: 1000000000"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hwsim",
            "mapper",
            "arch.yaml",
            "prob.yaml",
            "--json",
            "--out",
            "m.yaml",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=CASE_TIMEOUT_S * 2,
        env=_hwsim_env(),
    )
    assert result.returncode == 0, result.stderr
    mapping = yaml.safe_load((tmp_path / "m.yaml").read_text())["mapping"]
    p_factors = 1
    for directive in mapping:
        for term in str(directive.get("factors", "")).split():
            if term.startswith("P="):
                p_factors *= int(term[2:])
    assert p_factors == 10**9


def test_ignored_timeloop_mapper_settings_are_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _files(tmp_path)
    (tmp_path / "m.yaml").write_text(MAPPER)
    out = tmp_path / "o.yaml"
    assert (
        main(["mapper", files[0], files[1], str(tmp_path / "m.yaml"), "--json", "--out", str(out)])
        == 0
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"hwsim: warning: {tmp_path / 'm.yaml'}: mapper: hwsim's search ignores Timeloop's timeout, num-threads"
    ]
    assert out.exists()
