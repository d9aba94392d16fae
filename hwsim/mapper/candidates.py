"""The rows of one skeleton, grouped by a lower bound on their cycles, listed on demand.

A row's cycles are at least the product of its temporal loop bounds (every temporal iteration
takes a cycle; stalls only add to it), and that product is a dimension's size over its spatial
factors, multiplied over dimensions. So the delay objective never needs a row whose bound
exceeds the best cycles already found: `hwsim.mapper.search` evaluates rows in rising bound and
stops there.

`lazy_candidates` does not list rows to find their bounds: a dimension's splits that share their
spatial factors (a *spatial signature*) share the bound and the mesh check, so it joins the
signatures of the dimensions (dropping partial joins that already overflow the mesh) and expands
into rows only the signature combinations asked for, in the order `Mapspace.factor_rows` lists
them. `materialised_candidates` wraps rows already listed (sampled spaces).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod

import numpy as np

from hwsim.analytical.batch import Skeleton, distinct_rows

#: (slot positions, every allowed split over them), per dimension: `Mapspace.factor_options`.
PerDim = list[tuple[list[int], np.ndarray]]
#: (low, high) -> (rows, position): the rows whose bound is in (low, high], in listing order.
Select = Callable[[float, float], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Candidates:
    """Rows of a skeleton with their cycle bounds (see module docstring).

    Attributes:
        skeleton: the loop positions the rows fill.
        count: rows in all.
        levels: the distinct bounds, ascending.
    """

    skeleton: Skeleton
    count: int
    levels: np.ndarray
    select: Select = field(repr=False)

    def rows(self, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
        """(rows, position) of the rows whose bound is in (low, high], in listing order;
        `position` orders them among all of the skeleton's rows."""
        return self.select(low, high)


def cycle_bounds(skeleton: Skeleton, rows: np.ndarray) -> np.ndarray:
    """Per row, the product of its temporal loop bounds: a lower bound on its cycles."""
    temporal = [i for i, slot in enumerate(skeleton.slots) if slot.axis == "T"]
    return np.prod(rows[:, temporal], axis=1, dtype=np.int64)


def materialised_candidates(skeleton: Skeleton, rows: np.ndarray) -> Candidates:
    """`Candidates` of rows already listed."""
    bounds = cycle_bounds(skeleton, rows)

    def select(low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
        where = np.flatnonzero((bounds > low) & (bounds <= high))
        return rows[where], where

    return Candidates(skeleton, len(rows), np.unique(bounds), select)


def lazy_candidates(
    skeleton: Skeleton,
    per_dim: PerDim,
    sizes: tuple[int, ...],
    meshes: tuple[tuple[int, int], ...],
    assemble: Callable[[np.ndarray], np.ndarray],
) -> Candidates:
    """`Candidates` of every row of `per_dim`'s grid that fits the meshes, listed on demand.

    `sizes`: each dimension's size, in `per_dim`'s order; `meshes`: per level (innermost first)
    its fanout (meshX, meshY); `assemble(grid)` turns option indices (one column per row) into
    rows, as `Mapspace._assemble`.
    """
    slots = skeleton.slots
    spatial_cols = []  # per dimension: option columns of its spatial slots
    signatures, members = [], []  # per dimension: distinct spatial parts, options of each
    for idx, options in per_dim:
        cols = [j for j, i in enumerate(idx) if slots[i].axis != "T"]
        spatial_cols.append(cols)
        index, inverse = distinct_rows(options[:, cols])
        signatures.append(options[index][:, cols])
        order = np.argsort(inverse, kind="stable")
        splits = np.cumsum(np.bincount(inverse, minlength=len(index)))[:-1]
        members.append(np.split(order, splits))
    # join the dimensions' signatures, dropping partial joins that overflow a mesh axis
    axes = [(s, a) for s, (fx, fy) in enumerate(meshes) for a in ("X", "Y") if (fx, fy)[a == "Y"]]
    width = {(s, a): meshes[s][a == "Y"] for s, a in axes}
    combos = np.zeros((1, 0), dtype=np.int64)
    products = {key: np.ones(1, dtype=np.int64) for key in axes}
    spatial = np.ones(1, dtype=np.int64)
    for k, (idx, _options) in enumerate(per_dim):
        sig = signatures[k]
        ok = np.ones(len(sig), dtype=bool)
        factor = {}
        for key in axes:
            cols = [
                c
                for c, j in enumerate(spatial_cols[k])
                if (slots[idx[j]].level, slots[idx[j]].axis) == key
            ]
            factor[key] = np.prod(sig[:, cols], axis=1, dtype=np.int64)
        for s in range(len(meshes)):  # a dimension runs along X or Y, not both
            ok &= (factor.get((s, "X"), 1) == 1) | (factor.get((s, "Y"), 1) == 1)
        left = np.repeat(np.arange(len(combos)), len(sig))
        right = np.tile(np.arange(len(sig)), len(combos))
        keep = ok[right]
        for key in axes:
            grown = products[key][left] * factor[key][right]
            keep &= grown <= width[key]
        left, right = left[keep], right[keep]
        combos = np.concatenate([combos[left], right[:, None]], axis=1)
        for key in axes:
            products[key] = products[key][left] * factor[key][right]
        spatial = spatial[left] * np.prod(sig[right], axis=1, dtype=np.int64)
    weights = np.ones(len(combos), dtype=np.int64)
    for k in range(len(per_dim)):
        sizes_k = np.array([len(m) for m in members[k]], dtype=np.int64)
        weights *= sizes_k[combos[:, k]]
    bounds = prod(sizes) // spatial
    counts = [len(options) for _, options in per_dim]

    def select(low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
        chosen = np.flatnonzero((bounds > low) & (bounds <= high))
        if not len(chosen):
            return np.zeros((0, len(slots)), dtype=np.int64), np.zeros(0, dtype=np.int64)
        parts = []
        for c in chosen:
            grids = np.meshgrid(
                *(members[k][combos[c, k]] for k in range(len(per_dim))), indexing="ij"
            )
            parts.append(np.stack([g.reshape(-1) for g in grids]))
        grid = np.concatenate(parts, axis=1)
        position = np.ravel_multi_index(tuple(grid), tuple(counts))
        order = np.argsort(position, kind="stable")
        return assemble(grid[:, order]), position[order]

    return Candidates(skeleton, int(weights.sum()), np.unique(bounds), select)
