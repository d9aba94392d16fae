"""Tiles as explicit sets of tensor elements, and where each tile sits at every step.

Elements of a data space are numbered by linearising their coordinates in the tensor's bounding
box. The tile a level holds is the set of elements its sub-nest touches; because a projection is
linear in the loop indices, every tile of a level is the same set shifted by an offset, and the
offset of each epoch (each iteration of the loops above the level) is a sum of per-loop strides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hwsim.nest import LoopNest


@dataclass(frozen=True)
class ElementNumbering:
    """Linear element ids for one data space: ``id = Σ_r coord_r · stride_r``."""

    ranks: tuple[dict[str, int], ...]
    extent: tuple[int, ...]

    @classmethod
    def of(cls, nest: LoopNest, ds: str) -> ElementNumbering:
        return cls(nest.problem.rank_coefficients[ds], nest.problem.tensor_extent(ds))

    @cached_property
    def rank_strides(self) -> tuple[int, ...]:
        strides, acc = [], 1
        for e in reversed(self.extent):
            strides.append(acc)
            acc *= e
        return tuple(reversed(strides))

    @property
    def span(self) -> int:
        """Number of ids (the bounding box volume)."""
        return int(np.prod(self.extent))

    def weight(self, dimension: str) -> int:
        """How far one step along `dimension` moves an element id."""
        return sum(
            rank.get(dimension, 0) * s
            for rank, s in zip(self.ranks, self.rank_strides, strict=True)
        )

    def ids(self, points: dict[str, np.ndarray]) -> np.ndarray:
        """Element ids of operation-space points (one array per dimension)."""
        any_array = next(iter(points.values()))
        out = np.zeros_like(any_array, dtype=np.int64)
        for dim, idx in points.items():
            w = self.weight(dim)
            if w:
                out += w * idx.astype(np.int64)
        return out


def tile_ids(numbering: ElementNumbering, extents: dict[str, int]) -> np.ndarray:
    """Sorted ids of the elements touched by an operation-space box at the origin."""
    dims = [d for d, e in extents.items() if e > 1 and numbering.weight(d)]
    if not dims:
        return np.zeros(1, dtype=np.int64)
    grids = np.meshgrid(
        *[np.arange(extents[d], dtype=np.int64) for d in dims], indexing="ij", copy=False
    )
    ids = numbering.ids({d: g.ravel() for d, g in zip(dims, grids, strict=True)})
    mask = np.zeros(int(ids.max()) + 1, dtype=bool)
    mask[ids] = True
    return np.flatnonzero(mask)


def epoch_offsets(nest: LoopNest, numbering: ElementNumbering, level: int) -> np.ndarray:
    """Id offset of the tile of `level` at every epoch, in execution order.

    Epochs are the iterations of the temporal loops above the level (outermost slowest).
    """
    above = [
        (i, loop)
        for i, loop in enumerate(nest.loops)
        if i >= nest.prefix[level] and not loop.spatial
    ]
    if not above:
        return np.zeros(1, dtype=np.int64)
    extents_before: dict[str, int] = dict.fromkeys(nest.problem.dimensions, 1)
    weights = []
    position = 0
    for i, loop in enumerate(nest.loops):
        if position < len(above) and above[position][0] == i:
            weights.append(numbering.weight(loop.dimension) * extents_before[loop.dimension])
            position += 1
        extents_before[loop.dimension] *= loop.bound
    bounds = [loop.bound for _, loop in above]
    total = int(np.prod(bounds))
    k = np.arange(total, dtype=np.int64)
    offsets = np.zeros(total, dtype=np.int64)
    radix = 1
    for bound, weight in zip(bounds, weights, strict=True):  # innermost loop varies fastest
        offsets += ((k // radix) % bound) * weight
        radix *= bound
    return offsets
