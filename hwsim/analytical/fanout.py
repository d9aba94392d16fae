"""A level's spatial fanout: which instances share a delta (multicast) and which can take it
from a mesh neighbour (link transfers).

The instances of a fanout receive translated copies of instance 0's deltas (projections are
linear); copies with the same translation are one multicast. Timeloop also lets an instance take
its delta from a mesh neighbour that received exactly that data at the previous step (systolic
forwarding, e.g. inputs moving diagonally in a row-stationary array): instance ``i`` can do so
when ``T_neighbour − T_i`` equals how far the delta box moved between the two steps. Per step,
the link plan is used when it needs fewer reads from the level than multicast alone. Neighbours
follow Timeloop's mesh numbering (row-major over the physical X extent).

The engine (`hwsim.analytical.kernel`) gets these as tables per fanout configuration from
`hwsim.analytical.batch`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from math import prod

from hwsim.nest import Axis, Loop

Vector = tuple[int, ...]


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


@dataclass(frozen=True)
class LinkPlan:
    """What happens when a step's delta moved by `offset`: `linked` instances take it from a
    neighbour, and the level serves the others with multicast `histogram`."""

    offset: Vector
    linked: int
    histogram: dict[int, int]


def link_plans(fanout: Fanout) -> list[LinkPlan]:
    """The link plans worth using (fewer reads from the level than multicast alone), one per
    translation difference the fanout's neighbours offer, sorted by offset."""
    distinct = len(set(fanout.translations))
    plans = []
    for offset in sorted({o for offs in fanout.neighbour_offsets for o in offs}):
        linked = {k for k, offs in enumerate(fanout.neighbour_offsets) if offset in offs}
        rest = [t for k, t in enumerate(fanout.translations) if k not in linked]
        histogram = multicast_histogram(rest)
        if sum(histogram.values()) < distinct:
            plans.append(LinkPlan(offset, len(linked), histogram))
    return plans
