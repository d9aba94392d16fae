"""What moves between levels, per instance, before Timeloop's bookkeeping.

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

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import product
from math import prod

from hwsim.analytical.geometry import ExactGeometry, HullGeometry, freeze_ranks
from hwsim.analytical.reuse import Event, Vector, retain_tile_total, timeloop_events, timeloop_total
from hwsim.nest import Axis, Loop, LoopNest


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


def multicast_histogram(translations: list[Vector]) -> dict[int, int]:
    """Group instances by the translation of their delta; count groups per group size."""
    return dict(Counter(Counter(translations).values()))


@dataclass(frozen=True)
class Fanout:
    """A level's spatial fanout for one data space: each instance's delta translation, in
    Timeloop's instance numbering (outer spatial loops most significant), and which
    translation differences each instance's mesh neighbours offer for link transfers."""

    translations: list[Vector]
    neighbour_offsets: list[frozenset[Vector]]

    @classmethod
    def of(cls, loops: list[Loop], vectors: list[Vector], physical: tuple[int, int]) -> Fanout:
        """The fanout of spatial `loops` (innermost first) stepping by `vectors` on a
        `physical` (meshX, meshY) mesh. Built once per distinct live (bound > 1) loop shape:
        the result is shared, so it must not be modified."""
        live = tuple(
            (loop.bound, loop.axis, tuple(v)) for loop, v in zip(loops, vectors, strict=True)
        )
        return _fanout(
            tuple(item for item in live if item[0] > 1), len(vectors[0]), tuple(physical)
        )


@lru_cache(maxsize=1 << 14)
def _fanout(
    live: tuple[tuple[int, Axis, Vector], ...], ranks: int, physical: tuple[int, int]
) -> Fanout:
    """`Fanout.of` its live loops: a loop of bound 1 changes neither the translations nor the
    instance numbering nor the logical mesh."""
    translations = []
    for index in product(*[range(bound) for bound, _, _ in reversed(live)]):  # innermost fastest
        steps = list(reversed(index))
        translations.append(
            tuple(
                sum(i * v[r] for i, (_, _, v) in zip(steps, live, strict=True))
                for r in range(ranks)
            )
        )
    logical_x = prod(bound for bound, axis, _ in live if axis == "X")
    logical_y = prod(bound for bound, axis, _ in live if axis == "Y")
    h_size, v_size = max(physical[0], logical_x), max(physical[1], logical_y)
    count = len(translations)
    offsets: list[set[Vector]] = [set() for _ in range(count)]
    for v in range(v_size):
        for h in range(h_size):
            key = v * h_size + h
            if key >= count:
                continue
            for nh, nv in ((h, v - 1), (h, v + 1), (h - 1, v), (h + 1, v)):
                other = nv * h_size + nh
                if 0 <= nh < h_size and 0 <= nv < v_size and other < count:
                    offsets[key].add(
                        tuple(
                            a - b
                            for a, b in zip(translations[other], translations[key], strict=True)
                        )
                    )
    return Fanout(translations, [frozenset(o) for o in offsets])


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
