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
import json
import os
import tempfile
import types
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

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
def load() -> types.SimpleNamespace | None:
    """The serial entry points of the compiled module of the current engine source (None where
    it was not built), each checking its arguments' types first: machine code compiled ahead of
    time does not check them (a wrong one crashes the process), so a call whose types differ
    from those it was compiled for runs numba's kernel instead."""
    path = module_path()
    name = path.name.split(".")[0]
    expected_path = path.with_name(f"{name}.json")
    if not path.is_file() or not expected_path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        expected = json.loads(expected_path.read_text())
    except (ImportError, OSError, ValueError):  # another platform's or damaged: numba's will do
        return None
    if not all(hasattr(module, name) and name in expected for name in SERIAL):
        return None
    return types.SimpleNamespace(
        **{name: _checked(name, getattr(module, name), expected[name]) for name in SERIAL}
    )


def _checked(name: str, function: Callable, expected: list) -> Callable:
    def call(*args: Any) -> None:
        if [_describe(a) for a in args] == expected:
            function(*args)
        else:
            getattr(jit.compiled(kernel), name)(*args)

    call.__name__ = call.__qualname__ = name
    return call


def _describe(value: Any) -> Any:
    """A value's numba type in plain JSON terms (what `_describe_type` says of that type)."""
    if isinstance(value, np.ndarray):
        layout = "C" if value.flags.c_contiguous else "F" if value.flags.f_contiguous else "A"
        return ["array", value.dtype.str, value.ndim, layout, bool(value.flags.writeable)]
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, np.integer | np.floating):
        return value.dtype.str
    if isinstance(value, int | float):  # numba types Python numbers as 64-bit
        return np.dtype(np.int64 if isinstance(value, int) else np.float64).str
    if isinstance(value, tuple):
        return ["tuple", [_describe(v) for v in value]]
    return f"unsupported {type(value).__name__}"


def _describe_type(nbtype: Any) -> Any:
    """A numba argument type in the terms of `_describe` (build time, numba loaded)."""
    from numba import types as nbtypes

    if isinstance(nbtype, nbtypes.Array):
        dtype = np.dtype(str(nbtype.dtype)).str
        return ["array", dtype, nbtype.ndim, nbtype.layout, bool(nbtype.mutable)]
    if isinstance(nbtype, nbtypes.Boolean):
        return "bool"
    if isinstance(nbtype, nbtypes.Integer | nbtypes.Float):
        return np.dtype(str(nbtype)).str
    if isinstance(nbtype, nbtypes.BaseTuple):
        members = nbtype.types  # type: ignore[attr-defined]  # numba ships no stubs for it
        return ["tuple", [_describe_type(t) for t in members]]
    raise RuntimeError(
        f"argument type {nbtype} has no check; the engine's entry points take arrays"
    )


def build() -> Path:
    """Compile `SERIAL` with the argument types numba compiled them for in this process (run
    every entry point first: `hwsim.precompile`); returns the module's path."""
    from numba import types as nbtypes
    from numba.pycc import CC

    engine = jit.compiled(kernel)
    name, path = module_name(), module_path()
    compiler = CC(name)
    expected = {}
    for entry in SERIAL:
        dispatcher = getattr(engine, entry)
        if len(dispatcher.signatures) != 1:
            raise RuntimeError(
                f"{entry} was compiled for {len(dispatcher.signatures)} argument types; "
                "run each serial entry point once, with the types the engine uses"
            )
        signature = dispatcher.signatures[0]
        expected[entry] = [_describe_type(t) for t in signature]
        compiler.export(entry, nbtypes.void(*signature))(dispatcher.py_func)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        compiler.output_dir = tmp
        compiler.output_file = path.name
        compiler.verbose = False
        compiler.compile()
        # the types first, then the module: `load` needs both, so it never sees half a build
        (Path(tmp) / "expected.json").write_text(json.dumps(expected))
        os.replace(Path(tmp) / "expected.json", path.with_name(f"{name}.json"))
        os.replace(Path(tmp) / path.name, path)
    for old in path.parent.glob("hwsim_kernels_*"):  # earlier engine sources' modules
        if old.name.split(".")[0] != name:
            old.unlink(missing_ok=True)
    load.cache_clear()
    return path
