"""The analytical model vectorised over many mappings that share one loop skeleton.

A mapper evaluates thousands of factorizations of the same loop order. A `Skeleton` fixes what
they share — for every storage level, which loops may appear (spatial ones innermost, then
temporal ones, each in permutation order), and which data spaces the level keeps — and a
matrix of loop bounds (one row per mapping, 1 where a loop is unused) says how each mapping
fills it in. `evaluate_batch` computes, for all rows at once with NumPy, exactly what
`hwsim.analytical.model.analyze` computes for each (same Timeloop rules; tested to agree):

- tile extents and bounding-box sizes from cumulative products of the bounds;
- the per-level delivery totals of Timeloop's recursion, by the same dynamic programme as
  `hwsim.analytical.reuse.timeloop_total`, tabulated over every possible remembered stride so
  that all rows advance together (unused loops are skipped, as Timeloop drops them);
- spatial multicast histograms, computed once per distinct fanout configuration;
- Timeloop's bookkeeping (bypass rescaling, partitions, first-read elision) and pricing.

Rows whose fanout could use neighbour link transfers are re-evaluated with the scalar model.

Two backends compute the same numbers, bit for bit (tested): ``numpy`` (`_counts_numpy`), the
reference above, and ``numba`` (`_counts_numba`, the default), which tabulates here what a
skeleton and each distinct fanout configuration fix (`KernelLayout`, `_fanout_configs`) and runs
everything per row in the compiled kernel of `hwsim.analytical.kernel` — about 20× faster.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import prod
from typing import Literal

import numpy as np

from hwsim.analytical.reuse import TIMELOOP_VERSIONS
from hwsim.analytical.traffic import Fanout, multicast_histogram
from hwsim.errors import SpecError
from hwsim.nest import Axis, Loop
from hwsim.spec.architecture import Architecture
from hwsim.spec.mapping import LevelMapping, Mapping
from hwsim.spec.problem import Problem


@dataclass(frozen=True)
class Slot:
    """A loop position in a skeleton: dimension, axis (``T``, ``X``, ``Y``) and storage level."""

    dimension: str
    axis: Axis
    level: int


@dataclass(frozen=True)
class Skeleton:
    """Loop positions shared by a batch of mappings (see module docstring).

    Attributes:
        problem, architecture: what is mapped where.
        level_names: storage levels, innermost first.
        slots: loop positions, innermost first; per level its spatial slots then temporal ones.
        keep: data space → per level (innermost first), whether the level keeps it.
        split: per level, how many of its spatial slots come first in its permutation's X part
            (used only to write mappings back out).
    """

    problem: Problem
    architecture: Architecture
    level_names: tuple[str, ...]
    slots: tuple[Slot, ...]
    keep: MappingABC[str, tuple[bool, ...]]

    @cached_property
    def prefix(self) -> tuple[int, ...]:
        out, count = [], 0
        for s in range(len(self.level_names)):
            count += sum(1 for slot in self.slots if slot.level == s)
            out.append(count)
        return tuple(out)

    @property
    def num_levels(self) -> int:
        return len(self.level_names)

    @cached_property
    def kernel_layout(self) -> KernelLayout:
        """Flat arrays of this skeleton for the compiled kernel (built once per skeleton)."""
        return KernelLayout.of(self)

    @classmethod
    def from_mapping(
        cls, problem: Problem, architecture: Architecture, mapping: Mapping
    ) -> tuple[Skeleton, np.ndarray]:
        """The skeleton of one mapping (every loop of every level) and its bounds row."""
        slots: list[Slot] = []
        bounds: list[int] = []
        levels = list(reversed(mapping.levels))
        for index, lvl in enumerate(levels):
            for position, dim in enumerate(lvl.spatial_permutation):
                slots.append(Slot(dim, "X" if position < lvl.split else "Y", index))
                bounds.append(lvl.spatial[dim])
            for dim in lvl.permutation:
                slots.append(Slot(dim, "T", index))
                bounds.append(lvl.temporal[dim])
        keep = {ds: tuple(ds in lvl.keep for lvl in levels) for ds in problem.data_space_names}
        skeleton = cls(
            problem, architecture, tuple(lvl.target for lvl in levels), tuple(slots), keep
        )
        return skeleton, np.array([bounds], dtype=np.int64)

    def mapping(self, bounds: np.ndarray) -> Mapping:
        """The `Mapping` one row of bounds stands for."""
        dims = self.problem.dimensions
        out = []
        for s, name in enumerate(self.level_names):
            mine = [(i, slot) for i, slot in enumerate(self.slots) if slot.level == s]
            temporal = dict.fromkeys(dims, 1)
            spatial = dict.fromkeys(dims, 1)
            perm: list[str] = []
            xs: list[str] = []
            ys: list[str] = []
            for i, slot in mine:
                if slot.axis == "T":
                    temporal[slot.dimension] *= int(bounds[i])
                    if slot.dimension not in perm:
                        perm.append(slot.dimension)
                else:
                    spatial[slot.dimension] *= int(bounds[i])
                    target = xs if slot.axis == "X" else ys
                    if slot.dimension not in xs + ys:
                        target.append(slot.dimension)
            perm += [d for d in dims if d not in perm]
            spatial_perm = xs + ys + [d for d in dims if d not in xs + ys]
            keep = frozenset(ds for ds, flags in self.keep.items() if flags[s])
            out.append(
                LevelMapping(
                    target=name,
                    temporal=temporal,
                    permutation=tuple(perm),
                    spatial=spatial,
                    spatial_permutation=tuple(spatial_perm),
                    split=len(xs),
                    keep=keep,
                )
            )
        return Mapping(levels=tuple(reversed(out)))


@dataclass(frozen=True)
class BatchResult:
    """Counts (totals over utilized instances) for every row of a batch.

    Attributes:
        reads, fills, updates: arrays of shape (rows, levels, data spaces), levels innermost first.
        computes, cycles: arrays of shape (rows,).
        fits: whether every level's tiles fit its capacity.
        energy_pj: total energy per row (``None`` when no energy table was given).
        level_energy_pj: energy per row, level and data space (``None`` likewise).
        rescored: rows re-evaluated with the scalar model (possible link transfers).
        suspects: (rows, levels, data spaces) bool: the fanouts below a level where a mesh
            neighbour might forward a data space's deltas (link transfers): the rows the
            re-scoring examines. The counts of every other fanout are exact without it.
    """

    reads: np.ndarray
    fills: np.ndarray
    updates: np.ndarray
    computes: np.ndarray
    cycles: np.ndarray
    fits: np.ndarray
    energy_pj: np.ndarray | None
    level_energy_pj: np.ndarray | None
    rescored: np.ndarray
    suspects: np.ndarray


# ----------------------------------------------------------------------------- the DP
def _box_delta(moves: np.ndarray, extent: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Vectorised `hwsim.analytical.reuse.box_delta`: moves (N, K, R), extent (N, R)."""
    nonzero = moves != 0
    count = nonzero.sum(axis=2)
    rank = nonzero.argmax(axis=2)
    shift = np.abs(np.take_along_axis(moves, rank[:, :, None], axis=2)[:, :, 0])
    ext = np.take_along_axis(
        np.broadcast_to(extent[:, None, :], moves.shape), rank[:, :, None], axis=2
    )[:, :, 0]
    partial = np.where(shift < ext, shift * (whole[:, None] // np.maximum(ext, 1)), whole[:, None])
    return np.where(count == 0, 0, np.where(count > 1, whole[:, None], partial))


def loop_moves(bounds: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """How a child's tile moves when loop j advances in Timeloop's recursion: the loop's own step
    minus one step of every used loop inside it (they wrap from iteration #1 to #0)."""
    used = (bounds > 1)[:, :, None]
    inner = np.cumsum(np.where(used, steps, 0), axis=1) - np.where(used, steps, 0)
    return steps - inner


def _check_version(version: str) -> None:
    """Only the known Timeloop versions: the kernels tell them apart by ``!= "master"`` and
    ``!= "e1d76d6"``, so any other string would silently run as v3.0."""
    if version not in TIMELOOP_VERSIONS:
        raise SpecError(
            f"unknown timeloop_version {version!r}; choose one of {list(TIMELOOP_VERSIONS)}"
        )


def timeloop_totals(
    bounds: np.ndarray, steps: np.ndarray, extent: np.ndarray, version: str
) -> np.ndarray:
    """Vectorised `hwsim.analytical.reuse.timeloop_total`.

    Args:
        bounds: (N, K) loop bounds above the child, innermost first (1 = unused loop).
        steps: (N, K, R) data-space translation of one step of each loop.
        extent: (N, R) the child's tile bounding box.
    """
    _check_version(version)
    n_rows, k_loops = bounds.shape
    whole = np.prod(extent, axis=1)
    if k_loops == 0:
        return whole.astype(np.float64)
    moves = loop_moves(bounds, steps)
    delta = _box_delta(moves, extent, whole).astype(np.float64)
    stationary = ~np.any(moves != 0, axis=2)
    none = k_loops
    # Moves are compared by value: hash each to one integer (61-bit random weights).
    weights = np.random.default_rng(7).integers(1, 2**61, size=(moves.shape[2],), dtype=np.int64)
    ids = (moves * weights[None, None, :]).sum(axis=2)  # (N, K)
    state_ids = np.vstack([ids.T, np.full((1, n_rows), np.iinfo(np.int64).min)])  # row `none`
    legacy = version != "master"
    total = np.zeros((k_loops + 1, n_rows))
    state = np.tile(np.arange(k_loops + 1)[:, None], (1, n_rows))
    for k in range(k_loops):
        act = np.flatnonzero(bounds[:, k] > 1)  # unused loops are skipped, as Timeloop drops them
        if not len(act):
            continue
        st = state[:, act]
        same = state_ids[st, act] == ids[act, k][None, :]
        is_none = st == none
        d = delta[act, k][None, :]
        still = stationary[act, k][None, :]
        if legacy:
            step = np.where(is_none | same, np.where(still, 0.0, d), whole[act][None, :])
            new_state = np.where(is_none, k, np.where(same, st, none))
        else:
            step = np.where(still, 0.0, np.where(is_none | same, d, whole[act][None, :]))
            new_state = np.where(still, st, np.where(is_none, k, np.where(same, st, none)))
        rest = total[new_state, act]
        after = state[new_state, act]
        total[:, act] = total[:, act] + (bounds[act, k] - 1)[None, :] * (step + rest)
        state[:, act] = after
    return whole + total[none]


def _links_possible(
    moves: np.ndarray,
    live: np.ndarray,
    extent: np.ndarray,
    offsets: set[tuple[int, ...]],
    *,
    legacy: bool,
    fresh: bool = False,
) -> np.ndarray:
    """Rows where a neighbour could forward a delta (a superset of where Timeloop does).

    A step's delta box and the previous one have equal shapes only if both are whole tiles or
    both slid by the same amount along one rank; the box then moved by the loop's move, give or
    take the tile extent minus the slide along that rank. A link needs a neighbour's translation
    difference to equal that displacement. Compute units (`fresh`) receive a whole operand at
    every step, moving or not.
    """
    single = (moves != 0).sum(axis=2) == 1
    rank = (moves != 0).argmax(axis=2)
    slide = np.abs(np.take_along_axis(moves, rank[:, :, None], axis=2)[:, :, 0])
    ext = np.take_along_axis(
        np.broadcast_to(extent[:, None, :], moves.shape), rank[:, :, None], axis=2
    )[:, :, 0]
    sliding = single & (slide < ext)
    moving = np.any(moves != 0, axis=2)
    # A step that does not move the tile delivers nothing, except under v3.0 right after the
    # innermost loop delivered a whole tile (its remembered stride then mismatches): the same
    # whole tile comes again, which a neighbour holding it could forward.
    zero_may_refetch = np.zeros_like(moving)
    if legacy:
        rows = np.arange(moves.shape[0])
        first = live[:, :, 0].argmax(axis=1)
        whole = (single & ~sliding) | ((moves != 0).sum(axis=2) > 1)
        innermost_whole = moving[rows, first] & whole[rows, first] & live[rows, first, 0]
        zero_may_refetch = innermost_whole[:, None] & (
            np.arange(moves.shape[1])[None, :] != first[:, None]
        )
    out = np.zeros(moves.shape[0], dtype=bool)
    for offset in offsets:
        o = np.array(offset)[None, None, :]
        diff = o - moves
        exact = np.all(diff == 0, axis=2)
        along = np.take_along_axis(diff, rank[:, :, None], axis=2)[:, :, 0]
        others = (diff != 0).sum(axis=2) - (along != 0)
        shifted = sliding & (others == 0) & (np.abs(along) == ext - slide)
        if fresh:
            candidate = exact & live[:, :, 0]
        else:
            candidate = (exact | shifted) & live[:, :, 0] & (moving | zero_may_refetch)
        out |= np.any(candidate, axis=1)
    return out


class _Hulls:
    """Bounding-box extents per rank of the tile walked by the first p slots: (N, R), computed
    on first use for each p (float matmul is exact here: extents and coefficients are small)."""

    def __init__(self, ext_at: np.ndarray, coef: np.ndarray):
        self.ext_at, self.coef = ext_at, coef.T.astype(np.float64)
        self.cache: dict[int, np.ndarray] = {}

    def __call__(self, p: int) -> np.ndarray:
        if p not in self.cache:
            self.cache[p] = (
                np.rint((self.ext_at[:, p, :] - 1).astype(np.float64) @ self.coef).astype(np.int64)
                + 1
            )
        return self.cache[p]


def distinct_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group identical rows of an integer matrix, exactly: ``(index, inverse)`` where
    ``keys[index]`` are the distinct rows in lexicographic order (first column most significant,
    as ``np.unique(keys, axis=0)``) and ``inverse[i]`` is the distinct row of row ``i``.

    Each row is packed into one integer (mixed radix over the columns' ranges: a 1-D sort,
    ~10x faster than ``np.unique(axis=0)``); a small key space is grouped with a presence table
    instead of a sort; a key space of 2**62 or more falls back to ``np.unique(axis=0)``.
    """
    n, width = keys.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if width == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    low = keys.min(axis=0)
    radix = [int(x) + 1 for x in keys.max(axis=0) - low]
    space = prod(radix)
    if space >= 2**62:
        _, index, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        return index, inverse.reshape(-1)
    packed = np.ravel_multi_index(tuple((keys - low).T), tuple(radix))
    if space <= max(4096, 8 * n):
        present = np.zeros(space, dtype=np.bool_)
        present[packed] = True
        inverse = (np.cumsum(present) - 1)[packed]
    else:
        _, inverse = np.unique(packed, return_inverse=True)
        inverse = inverse.reshape(-1)
    # any member of a group is its representative: the group's rows are identical
    index = np.empty(int(inverse.max()) + 1, dtype=np.int64)
    index[inverse] = np.arange(n, dtype=np.int64)
    return index, inverse


def _extents(skeleton: Skeleton, bounds: np.ndarray) -> np.ndarray:
    """ext[:, p, d]: extent of dimension d walked by the first p slots."""
    dims = skeleton.problem.dimensions
    index = {d: i for i, d in enumerate(dims)}
    ext = np.ones((bounds.shape[0], len(skeleton.slots) + 1, len(dims)), dtype=np.int64)
    for p, slot in enumerate(skeleton.slots):
        ext[:, p + 1] = ext[:, p]
        ext[:, p + 1, index[slot.dimension]] *= bounds[:, p]
    return ext


def _coefficients(problem: Problem, ds: str) -> np.ndarray:
    index = {d: i for i, d in enumerate(problem.dimensions)}
    ranks = problem.rank_coefficients[ds]
    coef = np.zeros((len(ranks), len(problem.dimensions)), dtype=np.int64)
    for r, rank in enumerate(ranks):
        for d, c in rank.items():
            coef[r, index[d]] = c
    return coef


def tile_fits(
    skeleton: Skeleton, bounds: np.ndarray, *, backend: Backend | None = None
) -> np.ndarray:
    """Rows whose kept tiles fit every level's capacity (cheap; no reuse analysis)."""
    bounds = np.asarray(bounds, dtype=np.int64)
    if resolve_backend(backend) == "numba":
        kernel, layout = _kernel_module(), skeleton.kernel_layout
        fits = np.empty(len(bounds), dtype=np.bool_)
        _run_rows(
            kernel.tile_fits_rows,
            kernel.tile_fits_chunk,
            np.ascontiguousarray(bounds),
            layout.arrays,
            fits,
        )
        return fits
    ext = _extents(skeleton, bounds)
    prefix = skeleton.prefix
    fits = np.ones(bounds.shape[0], dtype=bool)
    needed = np.zeros((bounds.shape[0], skeleton.num_levels), dtype=np.int64)
    for ds in skeleton.problem.data_space_names:
        coef = _coefficients(skeleton.problem, ds)
        for s in range(skeleton.num_levels):
            if skeleton.keep[ds][s]:
                needed[:, s] += np.prod((ext[:, prefix[s], :] - 1) @ coef.T + 1, axis=1)
    for s, name in enumerate(skeleton.level_names):
        capacity = skeleton.architecture.storage_level(name).effective_size
        if capacity is not None:
            fits &= needed[:, s] <= capacity
    return fits


def _deduplicated_totals(
    bounds: np.ndarray, steps: np.ndarray, extent: np.ndarray, version: str
) -> np.ndarray:
    """`timeloop_totals`, computed once per distinct (bounds, steps, extent) row.

    Rows of a batch often share what lies above a level (e.g. everything outside the global
    buffer), so the recursion runs on the distinct rows only and the results are scattered back.
    """
    keys = np.concatenate([bounds, steps.reshape(len(bounds), -1), extent], axis=1)
    if len(keys) < 64:
        return timeloop_totals(bounds, steps, extent, version)
    first, inverse = distinct_rows(keys)
    if len(first) > 0.8 * len(keys):
        return timeloop_totals(bounds, steps, extent, version)
    return timeloop_totals(bounds[first], steps[first], extent[first], version)[inverse]


# ------------------------------------------------------------------------------ evaluator
Backend = Literal["numba", "numpy"]
BACKENDS: tuple[Backend, ...] = ("numba", "numpy")


def _kernel_module():
    """`hwsim.analytical.kernel`, imported on first use (importing numba takes a while)."""
    from hwsim.analytical import kernel

    return kernel


def resolve_backend(backend: Backend | None = None) -> Backend:
    """The backend `evaluate_batch` uses: `backend` if given, else ``$HWSIM_BATCH_BACKEND``, else
    ``numba`` (a dependency; ``numpy`` is the reference the tests compare it with)."""
    chosen = backend or os.environ.get("HWSIM_BATCH_BACKEND") or "numba"
    if chosen not in BACKENDS:
        raise ValueError(f"unknown batch backend {chosen!r}; choose one of {BACKENDS}")
    return chosen


_PARALLEL = threading.Lock()


def _run_rows(parallel, serial, *args) -> None:
    """Run a kernel over all rows (the first argument's): the parallel entry point, or the
    serial one (``serial(0, rows, *args)``) for batches below `kernel.PARALLEL_ROWS`.

    Threads take the kernel's row chunks one at a time (dynamic scheduling), so that a thread
    the OS sets aside while other processes share the cores does not hold up the batch. One
    parallel launch at a time (numba's work-queue layer allows no more): a call made while
    another runs goes serially.
    """
    rows = len(args[0])
    if rows >= _kernel_module().PARALLEL_ROWS and _PARALLEL.acquire(blocking=False):
        import numba

        try:
            with numba.parallel_chunksize(1):
                parallel(*args)
        finally:
            _PARALLEL.release()
    else:
        serial(0, rows, *args)


@dataclass
class _Counts:
    """What either backend computes before link re-scoring and pricing (see `BatchResult`).

    `risky` maps a row to the (data space, level) pairs whose fanout might use link transfers.
    """

    reads: np.ndarray
    fills: np.ndarray
    updates: np.ndarray
    instances: np.ndarray
    computes: np.ndarray
    cycles: np.ndarray
    fits: np.ndarray
    risky: dict[int, set[tuple[str, int]]]


def evaluate_batch(
    skeleton: Skeleton,
    bounds: np.ndarray,
    *,
    version: str = "master",
    energy: MappingABC[str, MappingABC[str, float]] | None = None,
    rescore_links: bool = True,
    backend: Backend | None = None,
) -> BatchResult:
    """Counts (and energy, if `energy` maps level name → action → pJ) for every row of `bounds`.

    `energy` holds, per storage level, ``read``/``fill``/``update`` energies per vector access and,
    under the compute level's name, ``compute``. `backend` picks the compiled per-row kernel
    (``numba``, `hwsim.analytical.kernel`) or the NumPy reference (``numpy``); both give
    identical results (see `resolve_backend` for the default).
    """
    _check_version(version)
    bounds = np.asarray(bounds, dtype=np.int64)
    chosen = resolve_backend(backend)
    if chosen == "numba":
        counts = _counts_numba(skeleton, bounds, version)
    else:
        counts = _counts_numpy(skeleton, bounds, version)
    reads, fills, updates = counts.reads, counts.fills, counts.updates
    instances, computes = counts.instances, counts.computes
    problem, arch = skeleton.problem, skeleton.architecture
    spaces = problem.data_space_names

    suspects = np.zeros(reads.shape, dtype=bool)
    for row, pairs in counts.risky.items():
        for ds, s in pairs:
            suspects[row, s, spaces.index(ds)] = True
    rescored = np.zeros(len(bounds), dtype=bool)
    if rescore_links and counts.risky:
        from hwsim.analytical.model import analyze
        from hwsim.analytical.traffic import link_transfers_at
        from hwsim.nest import LoopNest

        for row, pairs in counts.risky.items():
            nest = LoopNest.build(problem, arch, skeleton.mapping(bounds[row]))
            if not any(link_transfers_at(nest, ds, s, version=version) for ds, s in pairs):
                continue  # no neighbour forwards anything: the vectorised counts are exact
            rescored[row] = True
            scalar = analyze(nest, timeloop_version=version, capacity=False)
            for s, name in enumerate(skeleton.level_names):
                for k, ds in enumerate(spaces):
                    c = scalar.levels[name][ds]
                    reads[row, s, k], fills[row, s, k], updates[row, s, k] = (
                        c.reads,
                        c.fills,
                        c.updates,
                    )

    level_energy = total_energy = None
    if energy is not None:
        if chosen == "numba":
            table = np.array(
                [
                    [energy.get(name, {}).get(a, 0.0) for a in ("read", "fill", "update")]
                    for name in skeleton.level_names
                ],
                dtype=np.float64,
            ).reshape(skeleton.num_levels, 3)
            block = np.array(
                [arch.storage_level(name).block_size for name in skeleton.level_names],
                dtype=np.float64,
            )
            kernel = _kernel_module()
            level_energy = np.empty_like(reads)
            _run_rows(
                kernel.energy_rows,
                kernel.energy_chunk,
                reads,
                fills,
                updates,
                instances,
                block,
                table,
                level_energy,
            )
        else:
            level_energy = np.zeros_like(reads)
            safe_instances = np.maximum(instances, 1)
            for s, name in enumerate(skeleton.level_names):
                level = arch.storage_level(name)
                level_table = energy.get(name, {})
                for action, values in (("read", reads), ("fill", fills), ("update", updates)):
                    per_instance = values[:, s, :] / safe_instances[:, s, None]
                    vectors = (
                        np.ceil(per_instance / level.block_size - 1e-9) * instances[:, s, None]
                    )
                    level_energy[:, s, :] += vectors * level_table.get(action, 0.0)
        compute_energy = computes * energy.get(arch.compute.name, {}).get("compute", 0.0)
        total_energy = level_energy.sum(axis=(1, 2)) + compute_energy
    return BatchResult(
        reads=reads,
        fills=fills,
        updates=updates,
        computes=computes,
        cycles=counts.cycles,
        fits=counts.fits,
        energy_pj=total_energy,
        level_energy_pj=level_energy,
        rescored=rescored,
        suspects=suspects,
    )


def _counts_numpy(skeleton: Skeleton, bounds: np.ndarray, version: str) -> _Counts:
    """The NumPy reference: every step vectorised over all rows at once."""
    problem, arch = skeleton.problem, skeleton.architecture
    n_rows = bounds.shape[0]
    dims = problem.dimensions
    dim_index = {d: i for i, d in enumerate(dims)}
    slots = skeleton.slots
    levels = skeleton.num_levels
    prefix = (0, *skeleton.prefix)  # prefix[s + 1] = loops at or below level s
    spaces = problem.data_space_names

    ext_at = _extents(skeleton, bounds)
    temporal = np.array([slot.axis == "T" for slot in slots], dtype=bool)
    temporal_iterations = np.prod(np.where(temporal[None, :], bounds, 1), axis=1)
    computes = np.prod(bounds, axis=1)
    instances = np.stack(
        [
            np.prod(
                np.where(~temporal[None, prefix[s + 1] :], bounds[:, prefix[s + 1] :], 1), axis=1
            )
            for s in range(levels)
        ],
        axis=1,
    )

    reads = np.zeros((n_rows, levels, len(spaces)))
    fills = np.zeros_like(reads)
    updates = np.zeros_like(reads)
    fits = np.ones(n_rows, dtype=bool)
    sizes_kept = np.zeros((n_rows, levels))
    risky: dict[int, set[tuple[str, int]]] = {}  # row → (data space, level) that might link

    for k, ds in enumerate(problem.data_spaces):
        coef = _coefficients(problem, ds.name)
        # one-step translation of every slot: (N, L, R)
        dim_of = np.array([dim_index[s.dimension] for s in slots], dtype=np.int64)
        step = coef[:, dim_of].T[None, :, :] * np.take_along_axis(
            ext_at[:, :-1, :], dim_of[None, :, None], axis=2
        )
        hull = _Hulls(ext_at, coef)

        size = np.stack([np.prod(hull(prefix[s + 1]), axis=1) for s in range(levels)], axis=1)
        received = np.zeros((n_rows, levels))
        for s in range(levels):
            above = [i for i in range(prefix[s + 1], len(slots)) if temporal[i]]
            received[:, s] = _deduplicated_totals(
                bounds[:, above], step[:, above], hull(prefix[s + 1]), version
            )

        # spatial fanout below each level: accesses per multicast factor
        accesses: list[dict[int, np.ndarray]] = []
        fanout = np.ones((n_rows, levels))
        union = size.astype(np.float64).copy()
        for s in range(levels):
            group = [i for i in range(prefix[s], prefix[s + 1]) if not temporal[i]]
            child = received[:, s - 1] if s else temporal_iterations.astype(np.float64)
            if not group:
                accesses.append({1: child})
                continue
            fanout[:, s] = np.prod(bounds[:, group], axis=1)
            union[:, s] = np.prod(hull(prefix[s] + len(group)), axis=1)
            keys = np.concatenate([bounds[:, group], step[:, group].reshape(n_rows, -1)], axis=1)
            first, inverse = distinct_rows(keys)
            physical = arch.fanout(arch.index_of(skeleton.level_names[s]))
            ranks = coef.shape[0]
            g = len(group)
            # per distinct fanout configuration: multicast histogram and neighbour offsets
            per_config_counts: list[dict[int, int]] = []
            offsets_of: dict[tuple[int, ...], list[int]] = {}
            for config, row in enumerate(keys[first]):
                live = [j for j in range(g) if row[j] > 1]
                if not live:
                    per_config_counts.append({1: 1})
                    continue
                loops = [
                    Loop(slots[group[j]].dimension, int(row[j]), slots[group[j]].axis, s)
                    for j in live
                ]
                vectors = [
                    tuple(int(x) for x in row[g + j * ranks : g + (j + 1) * ranks]) for j in live
                ]
                fan = Fanout.of(loops, vectors, physical)
                per_config_counts.append(multicast_histogram(fan.translations))
                for offset in {o for offs in fan.neighbour_offsets for o in offs}:
                    offsets_of.setdefault(offset, []).append(config)
            hist: dict[int, np.ndarray] = {}
            for c in sorted({c for counts in per_config_counts for c in counts}):
                per_config = np.array(
                    [counts.get(c, 0) for counts in per_config_counts], dtype=np.float64
                )
                hist[c] = per_config[inverse] * child
            above_t = [i for i in range(prefix[s], len(slots)) if temporal[i]]
            if offsets_of and above_t:
                moves_all = loop_moves(bounds[:, above_t], step[:, above_t])
                live_all = (bounds[:, above_t] > 1)[:, :, None]
                child_hull = hull(prefix[s])
                flagged_all = np.zeros(n_rows, dtype=bool)
                for offset, configs in offsets_of.items():
                    idx = np.flatnonzero(np.isin(inverse, configs))
                    flagged_all[idx] |= _links_possible(
                        moves_all[idx],
                        live_all[idx],
                        child_hull[idx],
                        {offset},
                        legacy=version != "master",
                        fresh=s == 0,
                    )
                for row in np.flatnonzero(flagged_all):
                    risky.setdefault(int(row), set()).add((ds.name, s))
            accesses.append(hist)

        # ---------------------------------------------------------- Timeloop's bookkeeping
        keep = skeleton.keep[ds.name]
        content = [sum(h.values()) for h in accesses]
        share = [
            (sum(c * v for c, v in accesses[s + 1].items()) / fanout[:, s + 1])
            if s + 1 < levels
            else np.zeros(n_rows)
            for s in range(levels)
        ]
        partition: list[np.ndarray] = [size[:, -1]] * levels  # the outermost's: its tile
        for s in range(levels - 2, -1, -1):
            denominator = np.where(fanout[:, s + 1] > 1, union[:, s + 1], size[:, s])
            partition[s] = (
                partition[s + 1] * size[:, s] // np.maximum(denominator, 1).astype(np.int64)
            )
        for cur in range(levels):
            if keep[cur]:
                continue
            if cur + 1 >= levels:
                break
            weighted = sum(c * v for c, v in accesses[cur + 1].items())
            factor = np.where(
                weighted > 0,
                content[cur] * fanout[:, cur + 1] / np.where(weighted > 0, weighted, 1),
                1.0,
            )
            accesses[cur + 1] = {c: v * factor for c, v in accesses[cur + 1].items()}
            content[cur + 1] = sum(accesses[cur + 1].values())
        outermost = max((s for s in range(levels) if keep[s]), default=-1)
        for s in range(levels):
            if not keep[s]:
                continue
            fill_share = np.zeros(n_rows) if s == outermost else share[s]
            if ds.read_write:
                r = content[s] - partition[s]
                f = fill_share - (0 if (s == outermost or version == "e1d76d6") else partition[s])
                u = content[s]
            else:
                r, f, u = content[s], fill_share, np.zeros(n_rows)
            reads[:, s, k] = np.floor(r + 0.5) * instances[:, s]
            fills[:, s, k] = np.floor(f + 0.5) * instances[:, s]
            updates[:, s, k] = np.floor(u + 0.5) * instances[:, s]
            sizes_kept[:, s] += size[:, s]

    for s, name in enumerate(skeleton.level_names):
        capacity = arch.storage_level(name).effective_size
        if capacity is not None:
            fits &= sizes_kept[:, s] <= capacity

    return _Counts(reads, fills, updates, instances, computes, temporal_iterations, fits, risky)


# ------------------------------------------------------------------- the compiled backend
@dataclass(frozen=True)
class KernelLayout:
    """What the kernel needs of a `Skeleton`, as flat arrays (see `hwsim.analytical.kernel`).

    Besides the kernel's own arrays it keeps, per level, the spatial slots (`groups`), for each
    of them the slots below it that walk the same dimension (`below`; their bounds multiply to
    the extent the spatial loop steps over) and the physical mesh (`physical`): what identifies
    a fanout configuration.
    """

    slot_dim: np.ndarray
    temporal: np.ndarray
    prefix: np.ndarray
    group_ptr: np.ndarray
    group_slots: np.ndarray
    coef: np.ndarray
    terms: np.ndarray
    keep: np.ndarray
    read_write: np.ndarray
    capacity: np.ndarray
    groups: tuple[tuple[int, ...], ...]
    below: tuple[tuple[tuple[int, ...], ...], ...]
    physical: tuple[tuple[int, int], ...]

    @cached_property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """The kernels' ``layout`` argument: the ten arrays above, in their order."""
        return (
            self.slot_dim,
            self.temporal,
            self.prefix,
            self.group_ptr,
            self.group_slots,
            self.coef,
            self.terms,
            self.keep,
            self.read_write,
            self.capacity,
        )

    @classmethod
    def of(cls, skeleton: Skeleton) -> KernelLayout:
        problem, arch = skeleton.problem, skeleton.architecture
        dims = problem.dimensions
        slots = skeleton.slots
        slot_dim = np.array([dims.index(slot.dimension) for slot in slots], dtype=np.int64)
        temporal = np.array([slot.axis == "T" for slot in slots], dtype=np.bool_)
        prefix = np.array((0, *skeleton.prefix), dtype=np.int64)
        groups = tuple(
            tuple(i for i in range(prefix[s], prefix[s + 1]) if not temporal[i])
            for s in range(skeleton.num_levels)
        )
        group_ptr = np.cumsum([0, *(len(g) for g in groups)]).astype(np.int64)
        group_slots = np.array([i for g in groups for i in g], dtype=np.int64)
        per_space = [_coefficients(problem, ds) for ds in problem.data_space_names]
        ranks = max(c.shape[0] for c in per_space)
        coef = np.zeros((len(per_space), ranks, len(dims)), dtype=np.int64)
        for k, c in enumerate(per_space):
            coef[k, : c.shape[0]] = c
        nonzero = [np.argwhere(c) for c in coef]
        terms = np.zeros((len(per_space), max(1, *(len(t) for t in nonzero)), 3), dtype=np.int64)
        terms[:, :, 0] = ranks  # padding: past the last rank
        for k, where in enumerate(nonzero):  # argwhere lists them by rank
            for t, (r, d) in enumerate(where):
                terms[k, t] = (r, d, coef[k, r, d])
        keep = np.array(
            [skeleton.keep[ds] for ds in problem.data_space_names], dtype=np.bool_
        ).reshape(len(per_space), skeleton.num_levels)
        capacity = np.array(
            [
                -1 if (size := arch.storage_level(name).effective_size) is None else size
                for name in skeleton.level_names
            ],
            dtype=np.int64,
        )
        below = tuple(
            tuple(tuple(j for j in range(i) if slot_dim[j] == slot_dim[i]) for i in groups[s])
            for s in range(skeleton.num_levels)
        )
        physical = tuple(arch.fanout(arch.index_of(name)) for name in skeleton.level_names)
        read_write = np.array([ds.read_write for ds in problem.data_spaces], dtype=np.bool_)
        return cls(
            slot_dim,
            temporal,
            prefix,
            group_ptr,
            group_slots,
            coef,
            terms,
            keep,
            read_write,
            capacity,
            groups,
            below,
            physical,
        )


@lru_cache(maxsize=1 << 16)
def _fanout_tables(
    shape: tuple[tuple[int, Axis], ...],
    vectors: tuple[tuple[int, ...], ...],
    physical: tuple[int, int],
) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, ...], ...]]:
    """A fanout's multicast histogram (sorted (group size, groups) pairs) and the translation
    differences its mesh neighbours offer, for live spatial loops of `shape` ((bound, axis),
    innermost first) stepping by `vectors` in one data space."""
    if not shape:
        return ((1, 1),), ()
    loops = [Loop("", bound, axis, 0) for bound, axis in shape]
    fan = Fanout.of(loops, list(vectors), physical)
    histogram = tuple(sorted(multicast_histogram(fan.translations).items()))
    offsets = tuple(sorted({o for offs in fan.neighbour_offsets for o in offs}))
    return histogram, offsets


#: Per level signature (spatial axes, per data space the rank coefficients each spatial loop
#: steps by, the physical mesh), per configuration key: its CSR table pieces, shared across
#: batches and skeletons (`_fanout_configs`). Cleared when it grows past `_MEMO_LIMIT` keys.
_CONFIG_MEMO: dict[tuple, dict[tuple[int, ...], tuple]] = {}
_MEMO_LIMIT = 1 << 18


def _fanout_configs(skeleton: Skeleton, layout: KernelLayout, bounds: np.ndarray):
    """Each row's fanout configuration per level, and the configurations' tables.

    A configuration is a level's spatial bounds plus the extent each live spatial loop (bound
    > 1) steps over (0 for the others: they do not move anything); it fixes every data space's
    instance translations. Returns ``cfg`` (N, V) — a global configuration id, −1 where a level
    has no spatial slot — and the CSR tables, indexed by ``id * S + data space``, of multicast
    histograms and neighbour offsets, as the kernels' ``fanout`` tuple ``(hist_ptr, hist_c,
    hist_n, off_ptr, off_vec)`` (see `hwsim.analytical.kernel`).
    """
    n_rows = len(bounds)
    levels = skeleton.num_levels
    coef = layout.coef
    n_spaces, ranks = coef.shape[:2]
    rank_counts = [
        len(skeleton.problem.rank_coefficients[ds]) for ds in skeleton.problem.data_space_names
    ]
    cfg = np.full((n_rows, levels), -1, dtype=np.int64)
    configs = 0
    hist_lens: list[int] = []
    hist_c: list[int] = []
    hist_n: list[int] = []
    off_lens: list[int] = []
    off_rows: list[tuple[int, ...]] = []
    if sum(len(entry) for entry in _CONFIG_MEMO.values()) > _MEMO_LIMIT:
        _CONFIG_MEMO.clear()
    for s, group in enumerate(layout.groups):
        if not group or not n_rows:
            continue
        width = len(group)
        keys = np.empty((n_rows, 2 * width), dtype=np.int64)
        for j, i in enumerate(group):
            keys[:, j] = bounds[:, i]
        for j, lower in enumerate(layout.below[s]):
            keys[:, width + j] = np.prod(bounds[:, list(lower)], axis=1) if lower else 1
        keys[:, width:] = np.where(keys[:, :width] > 1, keys[:, width:], 0)
        index, inverse = distinct_rows(keys)
        cfg[:, s] = configs + inverse
        configs += len(index)
        axes = tuple(skeleton.slots[i].axis for i in group)
        # per data space and spatial slot: the rank coefficients of the slot's dimension
        steps = tuple(
            tuple(tuple(coef[k, : rank_counts[k], layout.slot_dim[i]].tolist()) for i in group)
            for k in range(n_spaces)
        )
        memo = _CONFIG_MEMO.setdefault((axes, steps, layout.physical[s], ranks), {})
        for key in map(tuple, keys[index].tolist()):
            entry = memo.get(key)
            if entry is None:
                entry = memo[key] = _config_tables(key, axes, steps, layout.physical[s], ranks)
            hist_lens += entry[0]
            hist_c += entry[1]
            hist_n += entry[2]
            off_lens += entry[3]
            off_rows += entry[4]
    hist_ptr = np.cumsum([0, *hist_lens]).astype(np.int64)
    off_ptr = np.cumsum([0, *off_lens]).astype(np.int64)
    return cfg, (
        hist_ptr,
        np.array(hist_c, dtype=np.int64),
        np.array(hist_n, dtype=np.float64),
        off_ptr,
        np.array(off_rows, dtype=np.int64).reshape(len(off_rows), ranks),
    )


def _config_tables(
    key: tuple[int, ...],
    axes: tuple[Axis, ...],
    steps: tuple[tuple[tuple[int, ...], ...], ...],
    physical: tuple[int, int],
    ranks: int,
) -> tuple[list[int], list[int], list[int], list[int], list[tuple[int, ...]]]:
    """One configuration's pieces of `_fanout_configs`' CSR tables, per data space: histogram
    lengths, group sizes, group counts, offset counts, offsets (padded to `ranks`)."""
    width = len(axes)
    live = [j for j in range(width) if key[j] > 1]
    shape = tuple((key[j], axes[j]) for j in live)
    out: tuple[list, list, list, list, list] = ([], [], [], [], [])
    for per_slot in steps:
        vectors = tuple(tuple(c * key[width + j] for c in per_slot[j]) for j in live)
        histogram, offs = _fanout_tables(shape, vectors, physical)
        out[0].append(len(histogram))
        out[1].extend(c for c, _ in histogram)
        out[2].extend(n for _, n in histogram)
        out[3].append(len(offs))
        out[4].extend(o + (0,) * (ranks - len(o)) for o in offs)
    return out


def _counts_numba(skeleton: Skeleton, bounds: np.ndarray, version: str) -> _Counts:
    """The compiled backend: fanout configurations tabulated here, every row in the kernel."""
    kernel = _kernel_module()
    layout = skeleton.kernel_layout
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    n_rows, levels = len(bounds), skeleton.num_levels
    spaces = skeleton.problem.data_space_names
    cfg, fanout = _fanout_configs(skeleton, layout, bounds)
    reads = np.empty((n_rows, levels, len(spaces)))
    fills = np.empty_like(reads)
    updates = np.empty_like(reads)
    instances = np.empty((n_rows, levels), dtype=np.int64)
    cycles = np.empty(n_rows, dtype=np.int64)
    computes = np.empty(n_rows, dtype=np.int64)
    fits = np.empty(n_rows, dtype=np.bool_)
    links = np.empty((n_rows, len(spaces), levels), dtype=np.bool_)
    out = (reads, fills, updates, instances, cycles, computes, fits, links)
    _run_rows(
        kernel.evaluate_rows,
        kernel.evaluate_chunk,
        bounds,
        cfg,
        layout.arrays,
        fanout,
        out,
        version != "master",
        version != "e1d76d6",
    )
    risky: dict[int, set[tuple[str, int]]] = {}
    for row, k, s in zip(*np.nonzero(links), strict=True):
        risky.setdefault(int(row), set()).add((spaces[k], int(s)))
    return _Counts(reads, fills, updates, instances, computes, cycles, fits, risky)


def energy_vectors(skeleton: Skeleton, table) -> dict[str, dict[str, float]]:
    """Per level name, the table's energy per vector access for read/fill/update (and compute)."""
    arch = skeleton.architecture
    out: dict[str, dict[str, float]] = {}
    for name in skeleton.level_names:
        level = arch.storage_level(name)
        if level.pass_through:
            out[name] = {}
            continue
        out[name] = {
            a: table.energy(level.name, a, level.class_name) for a in ("read", "fill", "update")
        }
    out[arch.compute.name] = {
        "compute": table.energy(arch.compute.name, "compute", arch.compute.class_name)
    }
    return out
