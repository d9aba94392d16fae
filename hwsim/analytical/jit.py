"""One source, run two ways: the engine's functions interpreted, or compiled by numba.

`hwsim.analytical.kernel` is written in the subset of Python that numba compiles, as plain
functions marked with `kernel`. Called directly they run as ordinary Python (no numba import:
a single mapping costs a few milliseconds, not the half second that loading numba and its
cached machine code takes). `compiled(module)` gives the same functions compiled: numba
dispatchers built from the functions' own code, whose globals name each other's compiled
versions. Both ways run the same code, so they agree by construction.

Compiled functions use ``cache=True``: the machine code is stored next to the source
(``__pycache__``) and loaded by later processes instead of compiled again.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from functools import cache
from typing import Any

_OPTIONS = "__numba_options__"
_LOADED: set[str] = set()  # modules whose compiled functions exist in this process


def kernel(**options: Any) -> Callable[[Callable], Callable]:
    """Mark a function as part of the engine; `options` go to ``numba.njit`` when compiled."""

    def mark(fn: Callable) -> Callable:
        setattr(fn, _OPTIONS, options)
        return fn

    return mark


@cache
def compiled(module: types.ModuleType) -> types.SimpleNamespace:
    """`module`'s marked functions compiled with numba (``prange`` becomes numba's)."""
    import numba

    # Threads: numba's own work queue unless the user chose a layer. With the OpenMP layer idle
    # workers spin, so on a machine whose cores other jobs use, two threads mapped a layer
    # 15-35 % slower than one; the work queue's idle workers sleep. It is not safe for concurrent
    # launches from several Python threads: `hwsim.analytical.batch` launches one at a time.
    # numba.config sets its settings through globals(), which mypy cannot see.
    if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":  # type: ignore[attr-defined]
        numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]

    namespace = dict(vars(module))
    namespace["prange"] = numba.prange
    names = [name for name, value in vars(module).items() if hasattr(value, _OPTIONS)]
    for name in names:
        fn = namespace[name]
        clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__)
        clone.__qualname__, clone.__doc__ = fn.__qualname__, fn.__doc__
        namespace[name] = numba.njit(cache=True, **getattr(fn, _OPTIONS))(clone)
    _LOADED.add(module.__name__)
    return types.SimpleNamespace(**{name: namespace[name] for name in names})


def is_compiled(module: types.ModuleType) -> bool:
    """Whether `compiled(module)` has run in this process (numba and the kernels are loaded)."""
    return module.__name__ in _LOADED
