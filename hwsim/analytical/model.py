"""The analytical model: closed-form counts per storage level and data space.

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

from dataclasses import dataclass
from typing import Literal

from hwsim.analytical.geometry import ExactGeometry, HullGeometry, freeze_ranks
from hwsim.analytical.reuse import TIMELOOP_VERSIONS, retain_tile_total, timeloop_total
from hwsim.capacity import check_capacity
from hwsim.counts import AccessCounts, DataSpaceCounts
from hwsim.errors import SpecError
from hwsim.nest import LoopNest

Reuse = Literal["timeloop", "retain"]


@dataclass(frozen=True)
class _Raw:
    """Per-level numbers before bookkeeping (per instance)."""

    size: list[int]
    content: list[int]  # accesses arriving at the level from inside
    received: list[int]  # elements the level receives from outside (its parent's content share)
    partition: list[int]


def _raw_counts(nest: LoopNest, ds: str, reuse: Reuse, version: str) -> _Raw:
    ranks = freeze_ranks(nest.problem.rank_coefficients[ds])
    geometry = HullGeometry() if reuse == "timeloop" else ExactGeometry()
    vectors = nest.step_vectors(ds)
    levels = nest.num_levels
    size = [geometry.size(ranks, nest.tile_extents(s)) for s in range(levels)]
    received = []
    for s in range(levels):
        ext = nest.tile_extents(s)
        steps = [
            (loop.bound, vectors[i])
            for i, loop in enumerate(nest.loops)
            if i >= nest.prefix[s] and not loop.spatial
        ]
        if reuse == "timeloop":
            received.append(timeloop_total(steps, HullGeometry.extent(ranks, ext), version))
        else:
            received.append(
                retain_tile_total(steps, size[s], lambda t, e=ext: geometry.overlap(ranks, e, t))
            )
    content = [nest.computes, *received[:-1]]
    partition = [size[-1]] * levels
    return _Raw(size, content, received, partition)


def _bookkeeping(
    raw: _Raw, keep: tuple[bool, ...], read_write: bool, version: str
) -> list[tuple[int, int, int, int, int]]:
    """Timeloop's tiling post-processing → per level (reads, fills, updates, size, partition)."""
    levels = len(keep)
    size, content, partition = list(raw.size), list(raw.content), list(raw.partition)
    # Parent access share: what the parent sends to this level (computed before masking).
    share = [raw.received[s] if s + 1 < levels else 0 for s in range(levels)]

    # A bypassed level hands its accesses to the next level out that still exists.
    for cur in range(levels):
        if keep[cur]:
            continue
        outer = next((o for o in range(cur + 1, levels) if size[o] > 0), None)
        if outer is not None:
            content[outer] = content[cur]
        size[cur] = partition[cur] = content[cur] = share[cur] = 0
        if outer is None:
            break
    # The outermost level that keeps the data is its backing store: never filled.
    for cur in reversed(range(levels)):
        if not keep[cur]:
            size[cur] = partition[cur] = content[cur] = share[cur] = 0
            continue
        share[cur] = 0
        break

    out = []
    outermost = max((s for s in range(levels) if keep[s]), default=-1)
    for s in range(levels):
        if not keep[s] or size[s] == 0:
            out.append((0, 0, 0, 0, 0))
            continue
        if read_write:
            reads = content[s] - partition[s]
            fills = share[s] if version == "e1d76d6" or s == outermost else share[s] - partition[s]
            out.append((reads, fills, content[s], size[s], partition[s]))
        else:
            out.append((content[s], share[s], 0, size[s], partition[s]))
    return out


def analyze(
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
    if nest.has_spatial:
        raise SpecError(
            "spatial loops are not modelled by this analytical engine yet; use a temporal-only mapping",
            file=nest.mapping.file,
            field="mapping",
        )
    if capacity:
        check_capacity(nest)
    version = timeloop_version if reuse == "timeloop" else "master"
    per_level: dict[str, dict[str, DataSpaceCounts]] = {
        name: {} for name in reversed(nest.level_names)
    }
    for ds in nest.problem.data_spaces:
        raw = _raw_counts(nest, ds.name, reuse, version)
        rows = _bookkeeping(raw, nest.keep[ds.name], ds.read_write, version)
        for s, (reads, fills, updates, size, partition) in enumerate(rows):
            instances = nest.instances(s)
            per_level[nest.level_names[s]][ds.name] = DataSpaceCounts(
                reads=reads * instances,
                fills=fills * instances,
                updates=updates * instances,
                tile_size=size,
                partition_size=partition,
                instances=instances if size else 0,
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
