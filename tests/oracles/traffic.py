"""Oracle (tests only): per-level traffic of the scalar model, with its own link-transfer
accounting per recursion step (`spatial_accesses`).

What moves between levels, per instance, before Timeloop's bookkeeping.

For one data space and each storage level ``s`` (0 = innermost):

- ``size``: the tile one instance holds (bounding box or exact set, per `geometry`);
- ``received``: elements one instance receives from outside over the run — the reuse closed
  forms of `hwsim.analytical.reuse`, driven by the temporal loops above the level;
- ``multicast``: the spatial fanout below the level. Its instances receive translated copies of
  instance 0's deltas (projections are linear); copies with the same translation are one
  multicast. ``multicast[c]`` counts the distinct deltas that go to ``c`` instances, so one
  delivery of the child's deltas costs the level ``Σ_c multicast[c]`` reads;
- ``union_size``: the tile of all the fanout's instances together (Timeloop uses it to split a
  tensor into per-instance partitions).

The compute units below level 0 receive one fresh operand per compute (no reuse), so level 0 is
read ``Σ_c multicast[c] × (temporal iterations)`` times.

**Link transfers.** Timeloop also lets an instance of a fanout take its delta from a mesh
neighbour that received exactly that data at the previous step (systolic forwarding, e.g.
inputs moving diagonally in a row-stationary array). With instance deltas being translated
copies, instance ``i`` can do so when ``T_neighbour − T_i`` equals how far the delta box moved
between the two steps. Per step, the link-transfer plan is used when it needs fewer reads from
the level than multicast alone; the neighbours then count "peer" fills and reads. Neighbours
follow Timeloop's mesh numbering (row-major over the physical X extent).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from math import prod

from hwsim.analytical.fanout import Fanout, multicast_histogram
from hwsim.analytical.geometry import ExactGeometry, HullGeometry, freeze_ranks
from hwsim.nest import LoopNest
from oracles.reuse import Event, Vector, retain_tile_total, timeloop_events, timeloop_total


@dataclass(frozen=True)
class LevelTraffic:
    """Per-instance traffic of one data space at one storage level (see module docstring).

    Attributes:
        size: the tile one instance holds.
        received: elements one instance receives from outside over the run.
        fanout: instances of the spatial fanout below (1 if none).
        accesses: multicast factor → reads this level makes to serve its fanout.
        link_transfers: deltas the fanout's instances take from neighbours instead.
        union_size: the tile of all the fanout's instances together.
        instances: utilized instances of this level.
    """

    size: int
    received: int
    fanout: int
    accesses: dict[int, int]
    link_transfers: int
    union_size: int
    instances: int


def spatial_groups(nest: LoopNest) -> list[list[int]]:
    """Per storage level, indices (into `nest.loops`) of the spatial loops below it."""
    groups: list[list[int]] = [[] for _ in range(nest.num_levels)]
    for i, loop in enumerate(nest.loops):
        if loop.spatial:
            groups[loop.level].append(i)
    return groups


def spatial_accesses(
    fanout: Fanout, events: dict[Event, int], moves: list[Vector], *, links: bool
) -> tuple[dict[int, int], int]:
    """Reads per multicast factor, and link transfers, for a sequence of child deltas."""
    static = multicast_histogram(fanout.translations)
    distinct = sum(static.values())
    accesses: dict[int, int] = {}
    transfers = 0
    for (j, previous, current), weight in events.items():
        if current is None:
            continue
        size = current.size
        histogram = static
        if links and j >= 0 and previous is not None and previous.shape == current.shape:
            need = tuple(
                m + a - b for m, a, b in zip(moves[j], current.offset, previous.offset, strict=True)
            )
            linked = {k for k, offs in enumerate(fanout.neighbour_offsets) if need in offs}
            if linked:
                rest = [t for k, t in enumerate(fanout.translations) if k not in linked]
                with_links = multicast_histogram(rest)
                if sum(with_links.values()) < distinct:
                    histogram = with_links
                    transfers += len(linked) * size * weight
        for c, n in histogram.items():
            accesses[c] = accesses.get(c, 0) + n * size * weight
    return accesses, transfers


def level_traffic(nest: LoopNest, ds: str, *, reuse: str, version: str) -> list[LevelTraffic]:
    """`LevelTraffic` for every storage level of one data space, innermost first."""
    ranks = freeze_ranks(nest.problem.rank_coefficients[ds])
    geometry = HullGeometry() if reuse == "timeloop" else ExactGeometry()
    vectors = nest.step_vectors(ds)
    groups = spatial_groups(nest)
    arch = nest.architecture

    def temporal_steps(count: int) -> list[tuple[int, Vector]]:
        return [
            (loop.bound, vectors[i])
            for i, loop in enumerate(nest.loops)
            if i >= count and not loop.spatial
        ]

    received = []
    for s in range(nest.num_levels):
        ext = nest.tile_extents(s)
        steps = temporal_steps(nest.prefix[s])
        if reuse == "timeloop":
            received.append(timeloop_total(steps, HullGeometry.extent(ranks, ext), version))
        else:
            size = geometry.size(ranks, ext)
            received.append(retain_tile_total(steps, size, partial(geometry.overlap, ranks, ext)))

    out = []
    for s in range(nest.num_levels):
        group = groups[s]
        below = nest.prefix[s - 1] if s else 0
        child_received = received[s - 1] if s else nest.temporal_iterations
        size = geometry.size(ranks, nest.tile_extents(s))
        if not group:
            accesses, transfers, union = {1: child_received}, 0, size
        else:
            loops = [nest.loops[i] for i in group]
            fanout = Fanout.of(
                loops, [vectors[i] for i in group], arch.fanout(arch.index_of(nest.level_names[s]))
            )
            union = geometry.size(ranks, nest.extents_below(below + len(group)))
            if reuse == "timeloop":
                child_extent = HullGeometry.extent(ranks, nest.extents_below(below))
                events, moves = timeloop_events(
                    temporal_steps(below), child_extent, version, fresh=s == 0
                )
                accesses, transfers = spatial_accesses(fanout, events, moves, links=True)
            else:
                static = multicast_histogram(fanout.translations)
                accesses, transfers = {c: n * child_received for c, n in static.items()}, 0
        out.append(
            LevelTraffic(
                size=size,
                received=received[s],
                fanout=prod(nest.loops[i].bound for i in group),
                accesses=accesses,
                link_transfers=transfers,
                union_size=union,
                instances=nest.instances(s),
            )
        )
    return out


def link_transfers_at(nest: LoopNest, ds: str, level: int, *, version: str) -> int:
    """Link transfers Timeloop finds in the fanout below `level` for `ds` (0 without a fanout).

    Cheaper than `level_traffic`: only that level's fanout and its child's steps are analysed.
    """
    group = spatial_groups(nest)[level]
    if not group:
        return 0
    ranks = freeze_ranks(nest.problem.rank_coefficients[ds])
    vectors = nest.step_vectors(ds)
    arch = nest.architecture
    below = nest.prefix[level - 1] if level else 0
    fanout = Fanout.of(
        [nest.loops[i] for i in group],
        [vectors[i] for i in group],
        arch.fanout(arch.index_of(nest.level_names[level])),
    )
    steps = [
        (loop.bound, vectors[i])
        for i, loop in enumerate(nest.loops)
        if i >= below and not loop.spatial
    ]
    extent = HullGeometry.extent(ranks, nest.extents_below(below))
    events, moves = timeloop_events(steps, extent, version, fresh=level == 0)
    return spatial_accesses(fanout, events, moves, links=True)[1]
