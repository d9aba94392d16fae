"""The engine's serial kernels compiled ahead of time into a plain extension module.

A whole-process call (``hwsim mapper`` on one layer) runs a few thousand rows: microseconds of
machine code, behind about 0.4 s of CPU to import numba and load its cached kernels (numba builds
its typing context before it can run any cached function). `build` compiles the serial entry
points (`SERIAL`) with numba's ahead-of-time compiler into one extension module that needs only
NumPy to load (milliseconds); `load` finds it. The module's machine code is compiled from the
same functions as numba's (`hwsim.analytical.jit`), with the argument types numba recorded when
`hwsim.precompile` ran every entry point, so the results agree by construction (tests compare
them). Large batches still load numba for its parallel kernels (`hwsim.analytical.batch`).

The module lives next to numba's cache (``hwsim/analytical/__pycache__``), named by a
fingerprint of the engine's source, NumPy's version and the Python ABI: a changed kernel is
never run from a stale module (it is simply absent until ``python -m hwsim.precompile`` runs).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import tempfile
import types
from functools import cache
from pathlib import Path

import numpy as np

from hwsim.analytical import jit, kernel

#: The serial entry points compiled ahead of time (`hwsim.analytical.batch` calls them).
SERIAL = ("tile_sizes_chunk", "tile_fits_chunk", "evaluate_chunk", "energy_chunk")


def module_name() -> str:
    """The extension module's name: a fingerprint of what its machine code depends on."""
    digest = hashlib.blake2b(digest_size=8)
    for source in (kernel.__file__, jit.__file__):
        digest.update(Path(source).read_bytes())
    digest.update(np.__version__.encode())
    return f"hwsim_kernels_{digest.hexdigest()}"


def module_path() -> Path:
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    return Path(kernel.__file__).parent / "__pycache__" / f"{module_name()}{suffix}"


@cache
def load() -> types.ModuleType | None:
    """The compiled module of the current engine source, or None where it was not built."""
    path = module_path()
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(module_name(), path)
    if spec is None or spec.loader is None:
        return None
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except ImportError:  # built for another platform or damaged: numba's kernels will do
        return None
    if not all(hasattr(module, name) for name in SERIAL):
        return None
    return module


def build() -> Path:
    """Compile `SERIAL` with the argument types numba compiled them for in this process (run
    every entry point first: `hwsim.precompile`); returns the module's path."""
    from numba import types as nbtypes
    from numba.pycc import CC

    engine = jit.compiled(kernel)
    name, path = module_name(), module_path()
    compiler = CC(name)
    for entry in SERIAL:
        dispatcher = getattr(engine, entry)
        if len(dispatcher.signatures) != 1:
            raise RuntimeError(
                f"{entry} was compiled for {len(dispatcher.signatures)} argument types; "
                "run each serial entry point once, with the types the engine uses"
            )
        compiler.export(entry, nbtypes.void(*dispatcher.signatures[0]))(dispatcher.py_func)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        compiler.output_dir = tmp
        compiler.output_file = path.name
        compiler.verbose = False
        compiler.compile()
        os.replace(Path(tmp) / path.name, path)  # atomic: a concurrent load sees all or nothing
    load.cache_clear()
    return path
