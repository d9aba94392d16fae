"""Compile the engine's numba kernels ahead of use: ``python -m hwsim.precompile``.

It also builds the serial kernels into an extension module that loads without numba
(`hwsim.analytical.aot`), which whole-process calls on one layer use, and writes the bytecode of
every hwsim module: Python writes it on a module's first import unless PYTHONDONTWRITEBYTECODE is
set, as containers often do, and then every call compiles hwsim's modules again (a tenth of a
one-layer ``hwsim mapper`` call).

numba compiles each kernel entry point (serial and parallel: counts, energy, tile fits, tile
sizes) on its first call — about 10 s on two cores — and keeps the machine code next to the sources
(``cache=True``). `make` runs this once at install, so that the first mapping a user asks for (the
first trial of a sweep, say) costs what later ones do. Idempotent: with the cache filled it only
loads the kernels (well under a second).
"""

from __future__ import annotations

import compileall
import time
from pathlib import Path

import hwsim
from hwsim.accelerators import load_accelerator
from hwsim.analytical import aot, kernel
from hwsim.analytical.batch import evaluate_batch, tile_fits, tile_sizes
from hwsim.analytical.jit import compiled
from hwsim.analytical.kernel import PARALLEL_ROWS
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.space import Mapspace
from hwsim.spec.layers import conv2d_problem


def compile_kernels() -> float:
    """Call every kernel entry point once on a small Eyeriss-like layer; returns the seconds."""
    start = time.perf_counter()
    compiled(kernel)  # numba's kernels from here on, even where the AOT module exists
    accelerator = load_accelerator("eyeriss_like_q3")
    arch = accelerator.architecture
    problem = conv2d_problem(C=16, M=16, P=8, Q=8, R=3, S=3)
    space = Mapspace.build(
        problem, arch, parse_constraints(list(accelerator.constraints), arch, problem)
    )
    skeleton = space.skeleton(space.keep_choices[0], space.default_orders())
    rows = space.factor_rows(skeleton)  # 5,200 distinct rows: enough for the parallel entry
    assert len(rows) >= PARALLEL_ROWS
    # unit energies: the values do not matter, the kernels' types do
    energy = {name: {"read": 1.0, "fill": 1.0, "update": 1.0} for name in skeleton.level_names}
    energy[arch.compute.name] = {"compute": 1.0}
    for batch in (rows, rows[:2]):  # the parallel, then the serial entry points
        tile_fits(skeleton, batch)
        tile_sizes(skeleton, batch)
        evaluate_batch(skeleton, batch, energy=energy)
    return time.perf_counter() - start


def build_aot() -> str:
    """`hwsim.analytical.aot.build` (after `compile_kernels`), unless built; what happened.

    Optional: without a C compiler (numba's AOT compiler links with one) every call loads
    numba's kernels instead, which only costs start-up time."""
    start = time.perf_counter()
    if aot.load() is not None:
        return "serial kernels already compiled ahead of time"
    try:
        aot.build()
    except Exception as err:  # any failure of the optional build leaves numba's kernels in use
        reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        return f"serial kernels not compiled ahead of time ({reason}); calls load numba instead"
    return f"serial kernels compiled ahead of time ({time.perf_counter() - start:.1f} s)"


def compile_bytecode() -> bool:
    """Write the bytecode of every hwsim module that lacks it or whose source changed."""
    return bool(compileall.compile_dir(Path(hwsim.__file__).parent, quiet=1))


if __name__ == "__main__":
    print(f"hwsim: batch kernels compiled and cached ({compile_kernels():.1f} s)")
    print(f"hwsim: {build_aot()}")
    if not compile_bytecode():
        raise SystemExit("hwsim: could not write the bytecode of every module (see above)")
