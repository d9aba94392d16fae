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
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import product
from math import prod

from hwsim.analytical.geometry import ExactGeometry, HullGeometry, freeze_ranks
from hwsim.analytical.reuse import retain_tile_total, timeloop_total
from hwsim.nest import LoopNest


@dataclass(frozen=True)
class LevelTraffic:
    """Per-instance traffic of one data space at one storage level (see module docstring)."""

    size: int
    received: int
    fanout: int
    multicast: dict[int, int]
    union_size: int
    instances: int

    @property
    def distinct(self) -> int:
        """Distinct deltas per delivery to the fanout (1 without spatial fanout)."""
        return sum(self.multicast.values())


def spatial_groups(nest: LoopNest) -> list[list[int]]:
    """Per storage level, indices (into `nest.loops`) of the spatial loops below it."""
    groups: list[list[int]] = [[] for _ in range(nest.num_levels)]
    for i, loop in enumerate(nest.loops):
        if loop.spatial:
            groups[loop.level].append(i)
    return groups


def multicast_histogram(vectors: list[tuple[int, ...]], bounds: list[int]) -> dict[int, int]:
    """Group the fanout's instances by the translation of their delta; count group sizes."""
    if not bounds:
        return {1: 1}
    translations = Counter(
        tuple(
            sum(i * v[r] for i, v in zip(index, vectors, strict=True))
            for r in range(len(vectors[0]))
        )
        for index in product(*[range(n) for n in bounds])
    )
    return dict(Counter(translations.values()))


def level_traffic(nest: LoopNest, ds: str, *, reuse: str, version: str) -> list[LevelTraffic]:
    """`LevelTraffic` for every storage level of one data space, innermost first."""
    ranks = freeze_ranks(nest.problem.rank_coefficients[ds])
    geometry = HullGeometry() if reuse == "timeloop" else ExactGeometry()
    vectors = nest.step_vectors(ds)
    groups = spatial_groups(nest)
    out = []
    for s in range(nest.num_levels):
        ext = nest.tile_extents(s)
        size = geometry.size(ranks, ext)
        steps = [
            (loop.bound, vectors[i])
            for i, loop in enumerate(nest.loops)
            if i >= nest.prefix[s] and not loop.spatial
        ]
        if reuse == "timeloop":
            received = timeloop_total(steps, HullGeometry.extent(ranks, ext), version)
        else:
            received = retain_tile_total(
                steps, size, lambda t, e=ext: geometry.overlap(ranks, e, t)
            )
        group = groups[s]
        below = nest.prefix[s - 1] if s else 0
        union = geometry.size(ranks, nest.extents_below(below + len(group))) if group else size
        out.append(
            LevelTraffic(
                size=size,
                received=received,
                fanout=prod(nest.loops[i].bound for i in group),
                multicast=multicast_histogram(
                    [vectors[i] for i in group], [nest.loops[i].bound for i in group]
                ),
                union_size=union,
                instances=nest.instances(s),
            )
        )
    return out
