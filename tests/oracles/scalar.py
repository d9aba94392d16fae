"""Oracle (tests only): the scalar analytical model, one mapping at a time in exact arithmetic,
kept to check the engine (`hwsim.analytical.kernel`) on mappings no recorded case covers.

Closed-form counts per storage level and data space.

For each data space and storage level (0 = innermost) it derives, without walking the nest:

1. the tile a level holds (`geometry`), and
2. how many elements each level receives from outside over the run (`reuse`), driven by the
   loops above the level's boundary;

then applies Timeloop's bookkeeping (``tiling.cpp``), which turns those into reads, fills and
updates:

- the innermost level is read once per compute; level ``s`` is read as many times as level
  ``s−1`` receives elements (its "content accesses");
- a bypassed level passes its accesses to the next level out that keeps the data space; the
  outermost keeping level is never filled;
- read-write data (partial sums): every access is an update; the first update of each element
  needs no read ("first-read elision"), so reads = accesses − partition size; an inner level's
  fills likewise exclude the first arrival of each element (except in Timeloop e1d76d6).

`reuse="timeloop"` reproduces Timeloop's nest analysis (master or v3.0/e1d76d6, see
`hwsim.analytical.reuse`) on bounding boxes; `reuse="retain"` models a buffer that keeps its last
tile and fetches only the exact points it lacks — what the trace simulator does.
"""

from __future__ import annotations

from typing import Literal

from hwsim.analytical.capacity import check_capacity
from hwsim.counts import AccessCounts, DataSpaceCounts
from hwsim.errors import SpecError
from hwsim.nest import LoopNest
from oracles.bookkeeping import bookkeeping
from oracles.reuse import TIMELOOP_VERSIONS
from oracles.traffic import level_traffic

Reuse = Literal["timeloop", "retain"]


def scalar_analyze(
    nest: LoopNest,
    *,
    reuse: Reuse = "timeloop",
    timeloop_version: str = "master",
    capacity: bool = True,
) -> AccessCounts:
    """Counts for a mapped problem.

    Args:
        nest: the problem mapped onto the architecture.
        reuse: ``"timeloop"`` (Timeloop's nest analysis) or ``"retain"`` (a buffer keeps its
            last tile; agrees with the trace simulator).
        timeloop_version: ``"master"`` (current), ``"v3.0"`` or ``"e1d76d6"`` (March 2023);
            only used with ``reuse="timeloop"``.
        capacity: check that every level's tiles fit its capacity.
    """
    if timeloop_version not in TIMELOOP_VERSIONS:
        raise SpecError(
            f"unknown timeloop_version {timeloop_version!r}; choose one of {list(TIMELOOP_VERSIONS)}"
        )
    if reuse not in ("timeloop", "retain"):
        raise SpecError(f"unknown reuse policy {reuse!r}; choose 'timeloop' or 'retain'")
    if capacity:
        check_capacity(nest)
    version = timeloop_version if reuse == "timeloop" else "master"
    per_level: dict[str, dict[str, DataSpaceCounts]] = {
        name: {} for name in reversed(nest.level_names)
    }
    for ds in nest.problem.data_spaces:
        traffic = level_traffic(nest, ds.name, reuse=reuse, version=version)
        rows = bookkeeping(
            traffic,
            nest.keep[ds.name],
            read_write=ds.read_write,
            subtract_first_fill=version != "e1d76d6",
        )
        for s, (row, t) in enumerate(zip(rows, traffic, strict=True)):
            instances = t.instances if row.size else 0
            per_level[nest.level_names[s]][ds.name] = DataSpaceCounts(
                reads=row.reads * instances,
                fills=row.fills * instances,
                updates=row.updates * instances,
                tile_size=row.size,
                partition_size=row.partition,
                instances=instances,
            )
    engine = f"analytical[{reuse}{'/' + timeloop_version if reuse == 'timeloop' else ''}]"
    return AccessCounts(
        engine=engine,
        computes=nest.computes,
        levels=per_level,
        compute_level=nest.architecture.compute.name,
        compute_instances=nest.compute_instances,
        cycles=nest.temporal_iterations,
        notes=nest.mapping.warnings,
    )
