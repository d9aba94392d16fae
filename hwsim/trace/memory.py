"""How much memory the trace simulator would take, checked before it allocates any.

The trace walks explicit element ids: every tile a level holds is an array of ids, the element
bitmaps span each tensor, and each level's epoch offsets have one entry per iteration of the
loops above it. A large problem (a dimension of 10^9) would need hundreds of GiB; `check_memory`
says so instead of letting NumPy fail or the machine swap.
"""

from __future__ import annotations

from math import prod

from hwsim.errors import SpecError
from hwsim.nest import LoopNest
from hwsim.trace.tiles import ElementNumbering

#: Most memory the trace simulator may use (the analytical engine needs none of it).
MAX_TRACE_BYTES = 4 * 2**30

_ID_BYTES = 8  # int64 element ids and offsets


def trace_memory_bytes(nest: LoopNest) -> int:
    """An upper estimate of the bytes the trace simulator's arrays take for `nest`."""
    total = 0
    for ds in nest.problem.data_space_names:
        numbering = ElementNumbering.of(nest, ds)
        for level in range(nest.num_levels):
            extents = nest.tile_extents(level)
            dims = [d for d, e in extents.items() if e > 1 and numbering.weight(d)]
            points = prod(extents[d] for d in dims)
            epochs = prod(
                loop.bound for loop in nest.loops[nest.prefix[level] :] if not loop.spatial
            )
            # the tile's grid, ids and bitmap; the epoch offsets with their temporaries
            total += points * _ID_BYTES * (len(dims) + 2) + numbering.span + epochs * 4 * _ID_BYTES
    return total


def check_memory(nest: LoopNest) -> None:
    """A `SpecError` when the trace of `nest` would need more than `MAX_TRACE_BYTES`."""
    need = trace_memory_bytes(nest)
    if need > MAX_TRACE_BYTES:
        raise SpecError(
            f"the trace engine would need about {need / 2**30:,.1f} GiB for this problem "
            f"(it holds every element and tile position; limit {MAX_TRACE_BYTES // 2**30} GiB): "
            "use --engine analytical",
            file=nest.mapping.file,
            field="mapping",
        )
