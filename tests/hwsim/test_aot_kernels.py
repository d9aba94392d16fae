"""The serial kernels compiled ahead of time (`hwsim.analytical.aot`) compute what numba's and
the interpreted engine compute, and a changed engine never runs from a stale module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from absent import absent

import hwsim.analytical.batch as batch
from hwsim.accelerators import load_accelerator
from hwsim.analytical import aot, jit, kernel
from hwsim.analytical.jit import compiled
from hwsim.course_material import accelerator_dir
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.space import Mapspace
from hwsim.spec.layers import conv2d_problem

REPO = Path(__file__).resolve().parents[2]


def eyeriss_rows(problem):
    accelerator = load_accelerator("eyeriss_like_q3")
    arch = accelerator.architecture
    space = Mapspace.build(
        problem, arch, parse_constraints(list(accelerator.constraints), arch, problem)
    )
    skeleton = space.skeleton(space.keep_choices[0], space.default_orders())
    energy = {name: {"read": 1.5, "fill": 2.0, "update": 2.5} for name in skeleton.level_names}
    energy[arch.compute.name] = {"compute": 1.0}
    return skeleton, space.factor_rows(skeleton), energy


def run_with(engine, monkeypatch, skeleton, rows, energy):
    """tile_fits, tile_sizes and evaluate_batch with `engine` serving every call, serially."""
    monkeypatch.setattr(batch, "_engine", lambda _rows: engine)
    monkeypatch.setattr(kernel, "PARALLEL_ROWS", 10**12)  # numba's serial entries too
    result = batch.evaluate_batch(skeleton, rows, version="v3.0", energy=energy)
    return batch.tile_fits(skeleton, rows), batch.tile_sizes(skeleton, rows), result


@pytest.mark.parametrize(
    "problem",
    [
        conv2d_problem(C=16, M=32, P=16, Q=16, R=3, S=3, stride=2),  # u2 of ResNet-32
        conv2d_problem(C=32, M=64, P=8, Q=8, R=1, S=1, stride=2),  # a 1x1 shortcut
    ],
)
def test_ahead_of_time_kernels_equal_numbas(problem, monkeypatch) -> None:
    ahead = aot.load()
    if ahead is None:
        absent(f"{aot.module_path().name} is not built; run python -m hwsim.precompile")
    skeleton, rows, energy = eyeriss_rows(problem)
    assert len(rows) > 1000
    fits, sizes, result = run_with(ahead, monkeypatch, skeleton, rows, energy)
    want_fits, want_sizes, want = run_with(compiled(kernel), monkeypatch, skeleton, rows, energy)
    np.testing.assert_array_equal(fits, want_fits)
    np.testing.assert_array_equal(sizes, want_sizes)
    for field in ("reads", "fills", "updates", "tiles", "partitions", "instances", "cycles"):
        np.testing.assert_array_equal(getattr(result, field), getattr(want, field), field)
    np.testing.assert_array_equal(result.fits, want.fits)
    np.testing.assert_array_equal(result.energy_pj, want.energy_pj)
    # and the interpreted engine on a few rows (it is slow): the same source, the same numbers
    few = rows[:: max(1, len(rows) // 5)]
    _, _, slow = run_with(kernel, monkeypatch, skeleton, few, energy)
    _, _, fast = run_with(ahead, monkeypatch, skeleton, few, energy)
    np.testing.assert_array_equal(slow.reads, fast.reads)
    np.testing.assert_array_equal(slow.energy_pj, fast.energy_pj)


def test_a_changed_engine_source_names_another_module(tmp_path, monkeypatch) -> None:
    before = aot.module_name()
    changed = tmp_path / "kernel.py"
    changed.write_text(Path(kernel.__file__).read_text() + "\n# one more line\n")
    monkeypatch.setattr(kernel, "__file__", str(changed))
    assert aot.module_name() != before
    assert aot.module_name().startswith("hwsim_kernels_")


def test_a_one_layer_mapper_call_runs_without_loading_numba(tmp_path) -> None:
    """What a cold `hwsim mapper` call on one layer loads: the AOT module, not numba."""
    if aot.load() is None:
        absent(f"{aot.module_path().name} is not built; run python -m hwsim.precompile")
    problem = tmp_path / "u2.yaml"
    layer = conv2d_problem(C=16, M=32, P=16, Q=16, R=3, S=3, stride=2)
    problem.write_text(yaml.safe_dump(layer.to_timeloop("0.3"), sort_keys=False))
    ert = (
        Path(__file__).resolve().parents[1] / "data" / "accelergy_classic" / "q3_base" / "ERT.yaml"
    )
    argv = ["mapper", str(accelerator_dir("eyeriss_like_q3")), str(problem), "--energy", str(ert)]
    argv += ["--json", "--out", str(tmp_path / "u2.map.yaml")]
    code = (
        "import sys, contextlib, io\nfrom hwsim.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main({argv!r}) == 0\n"
        "print('numba' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "False"
    assert (tmp_path / "u2.map.yaml").exists()


def test_arguments_of_other_types_go_to_numba_not_to_the_machine_code(monkeypatch) -> None:
    """Machine code compiled ahead of time does not check types (a wrong one would crash the
    process): a call whose types differ from the compiled ones runs numba's kernel instead."""
    ahead = aot.load()
    if ahead is None:
        absent(f"{aot.module_path().name} is not built; run python -m hwsim.precompile")
    skeleton, rows, _energy = eyeriss_rows(conv2d_problem(C=8, M=16, P=8, Q=8, R=3, S=3))
    calls = []
    numba_like = type("Kernels", (), {"tile_fits_chunk": lambda *args: calls.append(args)})
    monkeypatch.setattr(jit, "compiled", lambda _module: numba_like)
    layout = skeleton.kernel_layout.arrays
    fits = np.zeros(len(rows), dtype=np.bool_)
    ahead.tile_fits_chunk(0, len(rows), rows.astype(np.int32), layout, fits)  # int32 bounds
    ahead.tile_fits_chunk(0, len(rows), rows, layout[:-1], fits)  # a layout array missing
    assert len(calls) == 2 and not fits.any()
    ahead.tile_fits_chunk(0, len(rows), rows, layout, fits)  # the compiled types: machine code
    assert len(calls) == 2 and fits.any()
