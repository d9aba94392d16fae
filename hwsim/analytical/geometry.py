"""Tile geometry in a data space: how big a tile is and how much of it two positions share.

A tile is what a sub-nest of loops touches in one data space: per rank, the values of
``Σ coefficient × index`` over the box of loop indices. Two geometries are offered:

- `HullGeometry`: the axis-aligned bounding box (Timeloop's AAHR). A rank with extents ``E_d``
  spans ``Σ c_d (E_d − 1) + 1`` values, gaps included (a 1×1 stride-2 convolution's input tile
  counts the skipped columns, as Timeloop does).
- `ExactGeometry`: the exact set of points. Ranks that share no dimension are independent, so
  the set is a product of 1-D sets, each kept as a bitmap; overlaps are counted exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from math import prod

import numpy as np

Ranks = tuple[tuple[tuple[str, int], ...], ...]  # per rank: ((dimension, coefficient), ...)


def freeze_ranks(rank_coefficients: Sequence[Mapping[str, int]]) -> Ranks:
    """Hashable form of per-rank coefficient maps (zero coefficients dropped)."""
    return tuple(tuple(sorted((d, c) for d, c in rank.items() if c)) for rank in rank_coefficients)


class HullGeometry:
    """Bounding-box geometry (Timeloop's axis-aligned hyper-rectangles)."""

    name = "hull"

    @staticmethod
    def extent(ranks: Ranks, ext: Mapping[str, int]) -> tuple[int, ...]:
        return tuple(sum(c * (ext[d] - 1) for d, c in rank) + 1 for rank in ranks)

    def size(self, ranks: Ranks, ext: Mapping[str, int]) -> int:
        return prod(self.extent(ranks, ext))

    def overlap(self, ranks: Ranks, ext: Mapping[str, int], shift: Sequence[int]) -> int:
        """Points shared by the tile and the tile translated by `shift`."""
        return prod(max(0, e - abs(t)) for e, t in zip(self.extent(ranks, ext), shift, strict=True))


@lru_cache(maxsize=4096)
def _line(terms: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Bitmap of the values ``Σ c·i`` for ``0 <= i < E`` over (coefficient, extent) terms."""
    length = sum(c * (e - 1) for c, e in terms) + 1
    mask = np.zeros(length, dtype=bool)
    mask[0] = True
    span = 1
    for c, e in sorted(terms, reverse=True):
        if e == 1 or c == 0:
            continue
        grown = np.zeros(length, dtype=bool)
        for k in range(e):
            grown[c * k : c * k + span] |= mask[:span]
        span += c * (e - 1)
        mask = grown
    mask.flags.writeable = False
    return mask


class ExactGeometry:
    """Exact point sets (what a buffer that stores only touched elements holds)."""

    name = "exact"

    @staticmethod
    def _independent(ranks: Ranks) -> bool:
        seen: set[str] = set()
        for rank in ranks:
            dims = {d for d, _ in rank}
            if dims & seen:
                return False
            seen |= dims
        return True

    def _lines(self, ranks: Ranks, ext: Mapping[str, int]) -> list[np.ndarray]:
        return [_line(tuple((c, ext[d]) for d, c in rank)) for rank in ranks]

    def size(self, ranks: Ranks, ext: Mapping[str, int]) -> int:
        if self._independent(ranks):
            return prod(int(line.sum()) for line in self._lines(ranks, ext))
        return len(self._points(ranks, ext))

    def overlap(self, ranks: Ranks, ext: Mapping[str, int], shift: Sequence[int]) -> int:
        if self._independent(ranks):
            total = 1
            for line, t in zip(self._lines(ranks, ext), shift, strict=True):
                t = abs(t)
                if t >= len(line):
                    return 0
                total *= int(np.count_nonzero(line[t:] & line[: len(line) - t]))
            return total
        points = self._points(ranks, ext)
        moved = {tuple(p + s for p, s in zip(point, shift, strict=True)) for point in points}
        return len(points & moved)

    @staticmethod
    def _points(ranks: Ranks, ext: Mapping[str, int]) -> set[tuple[int, ...]]:
        dims = sorted({d for rank in ranks for d, _ in rank})
        grids = np.meshgrid(*[np.arange(ext[d]) for d in dims], indexing="ij") if dims else []
        flat = {d: g.ravel() for d, g in zip(dims, grids, strict=True)}
        count = len(next(iter(flat.values()))) if flat else 1
        coords = [
            sum((c * flat[d] for d, c in rank), np.zeros(count, dtype=np.int64)) for rank in ranks
        ]
        return set(zip(*[c.tolist() for c in coords], strict=True)) if coords else {()}
