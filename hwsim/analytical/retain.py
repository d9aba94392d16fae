"""The retain-tile model: what a buffer that keeps its last tile receives (not Timeloop's rule).

Timeloop's nest analysis (the engine, `hwsim.analytical.kernel`) works on bounding boxes and
extrapolates from two iterations of every loop. This model answers a different question — what a
buffer that keeps exactly the points of its last tile and fetches only the points it lacks
receives, whatever moved — and so agrees with the trace simulator (`hwsim.trace`), not with
Timeloop. Tiles are exact point sets (`hwsim.analytical.geometry.ExactGeometry`), there is no
stride state machine and no link transfer; what arrives is then booked by Timeloop's
bookkeeping, the engine's own `bookkeeping`.

Every time the loops above a child level advance, the child's tile moves. Let the loops above
the child's boundary be ``j = 1..K`` (innermost first, bounds ``n_j``) and ``v_j`` the
data-space translation of one step of loop ``j``. Loop ``j`` advances
``(n_j − 1) · Π_{i>j} n_i`` times, each after the inner loops completed ``n_i − 1`` steps, so
the tile moves by ``t_j = v_j − Σ_{i<j} (n_i − 1) · v_i`` and the child receives

    D = |B| + Σ_j (n_j − 1) · Π_{i>j} n_i · (|B| − |B ∩ (B + t_j)|).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from math import prod

import numpy as np

from hwsim.analytical import kernel
from hwsim.analytical.fanout import Fanout, multicast_histogram
from hwsim.analytical.geometry import ExactGeometry, freeze_ranks
from hwsim.counts import DataSpaceCounts
from hwsim.nest import LoopNest

Vector = tuple[int, ...]


def retain_tile_total(
    steps: Sequence[tuple[int, Vector]], size: int, overlap: Callable[[Vector], int]
) -> int:
    """Elements delivered to a child that keeps its last tile (see module docstring).

    Args:
        steps: (bound, one-step translation) of the loops above the child, innermost first.
        size: points in the child's tile.
        overlap: points shared by the tile and the tile translated by a vector.
    """
    total = size
    outer = prod(n for n, _ in steps)
    below: Vector | None = None  # Σ_{i<j} (n_i − 1) · v_i
    for n, v in steps:
        outer //= n
        below = below or tuple(0 for _ in v)
        total += (
            (n - 1) * outer * (size - overlap(tuple(a - b for a, b in zip(v, below, strict=True))))
        )
        below = tuple(a + (n - 1) * b for a, b in zip(below, v, strict=True))
    return total


def retain_counts(nest: LoopNest, ds: str) -> list[DataSpaceCounts]:
    """Counts of one data space per storage level (innermost first) under the retain policy."""
    ranks = freeze_ranks(nest.problem.rank_coefficients[ds])
    geometry = ExactGeometry()
    vectors = nest.step_vectors(ds)
    arch = nest.architecture
    levels = nest.num_levels
    size = np.zeros(levels, dtype=np.int64)
    union = np.zeros(levels)
    level_fanout = np.ones(levels)
    histograms = []
    received = []
    for s in range(levels):
        ext = nest.tile_extents(s)
        size[s] = geometry.size(ranks, ext)
        steps = [
            (loop.bound, vectors[i])
            for i, loop in enumerate(nest.loops)
            if i >= nest.prefix[s] and not loop.spatial
        ]
        received.append(
            retain_tile_total(steps, int(size[s]), partial(geometry.overlap, ranks, ext))
        )
    for s in range(levels):
        below = nest.prefix[s - 1] if s else 0
        group = [i for i in range(below, nest.prefix[s]) if nest.loops[i].spatial]
        child = received[s - 1] if s else nest.temporal_iterations
        union[s] = size[s]
        histogram = {1: 1}
        if group:
            fanout = Fanout.of(
                [nest.loops[i] for i in group],
                [vectors[i] for i in group],
                arch.fanout(arch.index_of(nest.level_names[s])),
            )
            histogram = multicast_histogram(fanout.translations)
            level_fanout[s] = prod(nest.loops[i].bound for i in group)
            union[s] = geometry.size(ranks, nest.extents_below(below + len(group)))
        histograms.append([(c, n * child) for c, n in sorted(histogram.items())])
    width = max(len(h) for h in histograms)
    hv = np.zeros((levels, width))
    hc = np.zeros((levels, width), dtype=np.int64)
    for s, pairs in enumerate(histograms):
        for j, (c, v) in enumerate(pairs):
            hc[s, j], hv[s, j] = c, v
    instances = np.array([nest.instances(s) for s in range(levels)], dtype=np.int64)
    keep = np.array(nest.keep[ds], dtype=np.bool_)
    partition = np.zeros(levels, dtype=np.int64)
    counts = np.zeros((3, levels))
    kernel.bookkeeping(
        size,
        union,
        level_fanout,
        hv,
        hc,
        np.array([len(h) for h in histograms], dtype=np.int64),
        np.zeros(levels),
        keep.reshape(1, levels),
        0,
        next(d for d in nest.problem.data_spaces if d.name == ds).read_write,
        True,
        instances.reshape(1, levels),
        0,
        partition,
        counts,
        np.zeros((3, levels)),
    )
    return [
        DataSpaceCounts(
            reads=int(counts[0, s]),
            fills=int(counts[1, s]),
            updates=int(counts[2, s]),
            tile_size=int(size[s]) if keep[s] else 0,
            partition_size=int(partition[s]),
            instances=int(instances[s]) if keep[s] else 0,
        )
        for s in range(levels)
    ]
