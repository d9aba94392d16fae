"""Evaluating mappings with the engine: one, or thousands that share one loop skeleton.

A mapper evaluates thousands of factorizations of the same loop order. A `Skeleton` fixes what
they share — for every storage level, which loops may appear (spatial ones innermost, then
temporal ones, each in permutation order), and which data spaces the level keeps — and a
matrix of loop bounds (one row per mapping, 1 where a loop is unused) says how each mapping
fills it in; a single mapping is a skeleton of its own loops and one row
(`Skeleton.from_mapping`). `evaluate_batch` tabulates here what a skeleton and each distinct
fanout configuration fix (`KernelLayout`, `_fanout_configs`: multicast histograms and link
plans from `hwsim.analytical.fanout`) and runs every row through the engine,
`hwsim.analytical.kernel`: compiled for batches, interpreted for a single row (so that one
mapping does not pay for loading numba) until the compiled kernels are loaded or the process
has spent about as long interpreting as loading them takes. Both run the same code.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import prod

import numpy as np

from hwsim.analytical import aot, kernel
from hwsim.analytical.cycles import bandwidth_limits, network_latency, throttle
from hwsim.analytical.fanout import Fanout, link_plans, multicast_histogram
from hwsim.analytical.jit import compiled, is_compiled
from hwsim.analytical.versions import version_flags
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
                    # a dimension goes on the axis of its used slot (bound > 1): a skeleton
                    # may offer it both axes, and an unused X slot must not claim it
                    if bounds[i] > 1 and slot.dimension not in xs + ys:
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
        tiles, partitions: (rows, levels, data spaces): words one instance holds, and the part
            of the tensor it is responsible for (0 where the level does not keep the data space).
        instances: (rows, levels) utilized instances.
        computes, compute_cycles: arrays of shape (rows,); compute cycles are temporal iterations.
        cycles: (rows,) Timeloop's cycles: compute cycles slowed by bandwidth, plus network
            latency (`hwsim.analytical.cycles`); what the mapper's delay and EDP rank by.
        level_cycles, throttling: (rows, levels) each level's cycles and bandwidth throttling.
        fits: whether every level's tiles fit its capacity.
        energy_pj: total energy per row (``None`` when no energy table was given).
        level_energy_pj: energy per row, level and data space (``None`` likewise).
    """

    reads: np.ndarray
    fills: np.ndarray
    updates: np.ndarray
    tiles: np.ndarray
    partitions: np.ndarray
    instances: np.ndarray
    computes: np.ndarray
    compute_cycles: np.ndarray
    cycles: np.ndarray
    level_cycles: np.ndarray
    throttling: np.ndarray
    fits: np.ndarray
    energy_pj: np.ndarray | None
    level_energy_pj: np.ndarray | None


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


def coefficient_matrix(problem: Problem, ds: str) -> np.ndarray:
    """(ranks, dimensions) int64: the coefficient of each dimension in each rank of `ds`."""
    index = {d: i for i, d in enumerate(problem.dimensions)}
    ranks = problem.rank_coefficients[ds]
    coef = np.zeros((len(ranks), len(problem.dimensions)), dtype=np.int64)
    for r, rank in enumerate(ranks):
        for d, c in rank.items():
            coef[r, index[d]] = c
    return coef


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
        dim_of = [dims.index(slot.dimension) for slot in slots]
        slot_dim = np.array(dim_of, dtype=np.int64)
        temporal = np.array([slot.axis == "T" for slot in slots], dtype=np.bool_)
        bounds_of = (0, *skeleton.prefix)
        prefix = np.array(bounds_of, dtype=np.int64)
        groups = tuple(
            tuple(i for i in range(bounds_of[s], bounds_of[s + 1]) if slots[i].axis != "T")
            for s in range(skeleton.num_levels)
        )
        group_ptr = np.cumsum([0, *(len(g) for g in groups)]).astype(np.int64)
        group_slots = np.array([i for g in groups for i in g], dtype=np.int64)
        per_space = [coefficient_matrix(problem, ds) for ds in problem.data_space_names]
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
            tuple(tuple(j for j in range(i) if dim_of[j] == dim_of[i]) for i in groups[s])
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


Histogram = tuple[tuple[int, int], ...]
#: (offset, instances linked, multicast histogram of the others)
Plan = tuple[tuple[int, ...], int, Histogram]


@lru_cache(maxsize=1 << 16)
def _fanout_tables(
    shape: tuple[tuple[int, Axis], ...],
    vectors: tuple[tuple[int, ...], ...],
    physical: tuple[int, int],
) -> tuple[Histogram, tuple[Plan, ...]]:
    """A fanout's multicast histogram (sorted (group size, groups) pairs) and its link plans
    (`hwsim.analytical.fanout.link_plans`), for live spatial loops of `shape` ((bound, axis),
    innermost first) stepping by `vectors` in one data space."""
    if not shape:
        return ((1, 1),), ()
    loops = [Loop("", bound, axis, 0) for bound, axis in shape]
    fan = Fanout.of(loops, list(vectors), physical)
    histogram = tuple(sorted(multicast_histogram(fan.translations).items()))
    plans = tuple(
        (plan.offset, plan.linked, tuple(sorted(plan.histogram.items())))
        for plan in link_plans(fan)
    )
    return histogram, plans


#: Per level signature (spatial axes, per data space the rank coefficients each spatial loop
#: steps by, the physical mesh), per configuration key: its tables, per data space, shared
#: across batches and skeletons (`_fanout_configs`). Cleared when it grows past `_MEMO_LIMIT`.
_CONFIG_MEMO: dict[tuple, dict[tuple[int, ...], tuple]] = {}
_MEMO_LIMIT = 1 << 18


def _fanout_configs(skeleton: Skeleton, layout: KernelLayout, bounds: np.ndarray):
    """Each row's fanout configuration per level, and the configurations' tables.

    A configuration is a level's spatial bounds plus the extent each live spatial loop (bound
    > 1) steps over (0 for the others: they do not move anything); it fixes every data space's
    instance translations. Returns ``cfg`` (N, V) — a global configuration id, −1 where a level
    has no spatial slot — and the CSR tables, indexed by ``id * S + data space``, of multicast
    histograms and link plans, as the kernels' ``fanout`` tuple (see `hwsim.analytical.kernel`).
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
    entries: list[tuple[Histogram, tuple[Plan, ...]]] = []
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
        memo = _CONFIG_MEMO.setdefault((axes, steps, layout.physical[s]), {})
        for key in map(tuple, keys[index].tolist()):
            entry = memo.get(key)
            if entry is None:
                entry = memo[key] = _config_tables(key, axes, steps, layout.physical[s])
            entries.extend(entry)
    return cfg, _csr_tables(entries, ranks)


def _config_tables(
    key: tuple[int, ...],
    axes: tuple[Axis, ...],
    steps: tuple[tuple[tuple[int, ...], ...], ...],
    physical: tuple[int, int],
) -> tuple[tuple[Histogram, tuple[Plan, ...]], ...]:
    """One configuration's multicast histogram and link plans, per data space."""
    width = len(axes)
    live = [j for j in range(width) if key[j] > 1]
    shape = tuple((key[j], axes[j]) for j in live)
    return tuple(
        _fanout_tables(
            shape, tuple(tuple(c * key[width + j] for c in per_slot[j]) for j in live), physical
        )
        for per_slot in steps
    )


def _csr_tables(entries: list[tuple[Histogram, tuple[Plan, ...]]], ranks: int) -> tuple:
    """The kernels' ``fanout`` tuple of the entries (configuration × data space, in order)."""
    hist_lens: list[int] = []
    hist_c: list[int] = []
    hist_n: list[int] = []
    off_lens: list[int] = []
    off_rows: list[tuple[int, ...]] = []
    off_linked: list[int] = []
    rest_lens: list[int] = []
    rest_c: list[int] = []
    rest_n: list[int] = []
    for histogram, plans in entries:
        hist_lens.append(len(histogram))
        hist_c.extend(c for c, _ in histogram)
        hist_n.extend(n for _, n in histogram)
        off_lens.append(len(plans))
        for offset, linked, rest in plans:
            off_rows.append(offset + (0,) * (ranks - len(offset)))
            off_linked.append(linked)
            rest_lens.append(len(rest))
            rest_c.extend(c for c, _ in rest)
            rest_n.extend(n for _, n in rest)
    return (
        np.cumsum([0, *hist_lens]).astype(np.int64),
        np.array(hist_c, dtype=np.int64),
        np.array(hist_n, dtype=np.float64),
        np.cumsum([0, *off_lens]).astype(np.int64),
        np.array(off_rows, dtype=np.int64).reshape(len(off_rows), ranks),
        np.array(off_linked, dtype=np.float64),
        np.cumsum([0, *rest_lens]).astype(np.int64),
        np.array(rest_c, dtype=np.int64),
        np.array(rest_n, dtype=np.float64),
    )


# ------------------------------------------------------------------------------ evaluator
_PARALLEL = threading.Lock()


#: Interpreted engine time after which a process loads the compiled kernels instead: about
#: what loading them costs (numba's import and the cached machine code), so that a process
#: evaluating mappings one by one never loses more than that to either way of running.
INTERPRETED_BUDGET_S = 0.5
#: CPU time in the ahead-of-time kernels (serial) after which a process loads numba's, whose
#: parallel entry points use every core: again about what loading numba costs, so a process
#: never spends more than twice what the better choice in hindsight would have.
AOT_BUDGET_S = 0.5
#: A batch this large costs the ahead-of-time kernels more than `AOT_BUDGET_S` on its own (a row
#: takes them 4-10 µs), so it goes straight to numba's parallel ones.
LARGE_BATCH_ROWS = 100_000
_spent = {"interpreted": 0.0, "aot": 0.0}


def _engine(rows: int):
    """The kernels to run `rows` rows with (see `hwsim.analytical.jit` and `.aot`): numba's
    once loaded; else the ahead-of-time module, where built, until this process has spent
    `AOT_BUDGET_S` in it or for a batch of `LARGE_BATCH_ROWS`; else interpreted for a single
    row until `INTERPRETED_BUDGET_S`; else numba's."""
    if is_compiled(kernel):
        return compiled(kernel)
    if (
        _spent["aot"] <= AOT_BUDGET_S
        and rows < LARGE_BATCH_ROWS
        and (ahead := aot.load()) is not None
    ):
        return ahead
    if rows > 1 or _spent["interpreted"] > INTERPRETED_BUDGET_S:
        return compiled(kernel)
    return kernel


def _run_rows(engine, parallel: str, serial: str, *args) -> None:
    """Run an engine function over all rows (the first argument's): the parallel entry point
    (numba's, `kernel.PARALLEL_ROWS` rows or more), else the serial one
    (``serial(0, rows, *args)``).

    Threads take the kernel's row chunks one at a time (dynamic scheduling), so that a thread
    the OS sets aside while other processes share the cores does not hold up the batch. One
    parallel launch at a time (numba's work-queue layer allows no more): a call made while
    another runs goes serially.
    """
    rows = len(args[0])
    parallel_entry = getattr(engine, parallel, None)  # the interpreted and AOT ones have none
    if (
        engine is not kernel
        and parallel_entry is not None
        and rows >= kernel.PARALLEL_ROWS
        and _PARALLEL.acquire(blocking=False)
    ):
        import numba

        try:
            with numba.parallel_chunksize(1):
                parallel_entry(*args)
        finally:
            _PARALLEL.release()
        return
    start, cpu = time.perf_counter(), time.thread_time()
    getattr(engine, serial)(0, rows, *args)
    if engine is kernel:
        _spent["interpreted"] += time.perf_counter() - start
    elif parallel_entry is None:  # CPU time: on a busy machine wall time says little of the work
        _spent["aot"] += time.thread_time() - cpu


def tile_sizes(skeleton: Skeleton, bounds: np.ndarray) -> np.ndarray:
    """(rows, levels, data spaces): words of each kept data space one instance holds."""
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    out = np.empty((len(bounds), skeleton.num_levels, len(skeleton.problem.data_spaces)), np.int64)
    engine = _engine(len(bounds))
    engine.tile_sizes_chunk(0, len(bounds), bounds, skeleton.kernel_layout.arrays, out)
    return out


def tile_fits(skeleton: Skeleton, bounds: np.ndarray) -> np.ndarray:
    """Rows whose kept tiles fit every level's capacity (cheap; no reuse analysis)."""
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    fits = np.empty(len(bounds), dtype=np.bool_)
    engine = _engine(len(bounds))
    _run_rows(
        engine, "tile_fits_rows", "tile_fits_chunk", bounds, skeleton.kernel_layout.arrays, fits
    )
    return fits


def evaluate_batch(
    skeleton: Skeleton,
    bounds: np.ndarray,
    *,
    version: str = "master",
    energy: MappingABC[str, MappingABC[str, float]] | None = None,
    interpreted: bool = False,
) -> BatchResult:
    """Counts (and energy, if `energy` maps level name → action → pJ) for every row of `bounds`.

    `energy` holds, per storage level, ``read``/``fill``/``update`` energies per vector access and,
    under the compute level's name, ``compute``. `version` is a Timeloop version
    (`hwsim.analytical.versions`). `interpreted` runs the engine uncompiled whatever the batch
    (the tests use it to check that both ways agree).
    """
    return _evaluate(skeleton, bounds, version, energy, interpreted)


def energy_floors(
    skeleton: Skeleton,
    bounds: np.ndarray,
    group: np.ndarray,
    energy: MappingABC[str, MappingABC[str, float]],
    *,
    version: str = "master",
    interpreted: bool = False,
    spaces: np.ndarray | None = None,
    computes: bool = True,
) -> np.ndarray:
    """(rows,): a floor on the energy of every mapping that has a row's loop bounds and orders
    the loops of each permutable group of slots in any way (``group[slot]``: the slot's group, −1
    where its place is fixed; `kernel.evaluate_chunk` says how), up to float rounding (its terms
    are summed in another order than `evaluate_batch`'s); rows whose tiles do not fit get +inf.
    With a negative energy per access a floor on a count is no floor on its price: every row
    then gets −inf (no floor).

    `spaces` (one flag per data space; default all) limits the floor to the accesses of those
    data spaces, `computes` (default) adds the computes' energy: a data space's accesses never
    depend on another's, so floors of disjoint sets of data spaces add up to one of their union
    (the optimal mapper computes the cheap ones first)."""
    group = np.ascontiguousarray(group, dtype=np.int64)
    if len(group) != len(skeleton.slots):
        raise ValueError(f"group has {len(group)} entries for {len(skeleton.slots)} slots")
    n_spaces = len(skeleton.problem.data_spaces)
    spaces = np.ones(n_spaces, dtype=np.bool_) if spaces is None else spaces
    spaces = np.ascontiguousarray(spaces, dtype=np.bool_)
    if spaces.shape != (n_spaces,):
        raise ValueError(f"spaces has shape {spaces.shape} for {n_spaces} data spaces")
    table, block = _prices(skeleton, energy)
    if (table < 0).any():
        return np.full(len(bounds), -np.inf)
    priced, _cornered, counted, fits = floor_prices(
        skeleton, bounds, version, table, block, group, spaces, interpreted=interpreted
    )
    total = priced.sum(axis=1)
    if computes:
        total += counted * energy.get(skeleton.architecture.compute.name, {}).get("compute", 0.0)
    return np.where(fits, total, np.inf)


def floor_prices(
    skeleton: Skeleton,
    bounds: np.ndarray,
    version: str,
    table: np.ndarray,
    block: np.ndarray,
    group: np.ndarray,
    spaces: np.ndarray,
    *,
    interpreted: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The engine in floor mode (`kernel.evaluate_chunk`) for `energy_floors`: per row and data
    space the priced floor (0 for data spaces not in `spaces`), whether it is the cheapest
    corner of link plans' shares (then less a rounding allowance: a count of x per instance is
    priced at between (x − 1/2) / block and (x + 1/2) / block + 1 vectors per instance, and the
    corner is the least only before rounding, so such a data space's floor gives up (1 / block
    + 1) <= 2 vectors per instance and count), and per row the computes and whether its tiles
    fit. No counts are kept: floors are no mapping's counts."""
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    n_rows, levels, n_spaces = len(bounds), skeleton.num_levels, len(skeleton.problem.data_spaces)
    unused = np.zeros((1, levels, n_spaces))  # the counts, tiles and partitions: not written
    unused_int = np.zeros((1, levels, n_spaces), dtype=np.int64)
    instances = np.empty((n_rows, levels), dtype=np.int64)
    cycles = np.empty(n_rows, dtype=np.int64)
    counted = np.empty(n_rows, dtype=np.int64)
    fits = np.empty(n_rows, dtype=np.bool_)
    out = (unused, unused, unused, instances, cycles, counted, fits, unused_int, unused_int)
    priced = np.empty((n_rows, n_spaces))
    cornered = np.empty((n_rows, n_spaces), dtype=np.bool_)
    floor = (group, table, block, cornered, spaces, priced)
    _run_engine(skeleton, bounds, version, interpreted, out, floor)
    return priced, cornered, counted, fits


def _run_engine(
    skeleton: Skeleton,
    bounds: np.ndarray,
    version: str,
    interpreted: bool,
    out: tuple,
    floor: tuple,
):
    """`kernel.evaluate_chunk` over every row of `bounds` (C-contiguous) into `out`, in the mode
    `floor` sets; returns the engine it ran (`_engine`)."""
    legacy, subtract_first = version_flags(version)
    engine = kernel if interpreted else _engine(len(bounds))
    layout = skeleton.kernel_layout
    cfg, fanout = _fanout_configs(skeleton, layout, bounds)
    _run_rows(
        engine,
        "evaluate_rows",
        "evaluate_chunk",
        bounds,
        cfg,
        layout.arrays,
        fanout,
        out,
        legacy,
        subtract_first,
        floor,
    )
    return engine


def _evaluate(
    skeleton: Skeleton,
    bounds: np.ndarray,
    version: str,
    energy: MappingABC[str, MappingABC[str, float]] | None,
    interpreted: bool,
) -> BatchResult:
    """`evaluate_batch`."""
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    n_rows, levels = len(bounds), skeleton.num_levels
    arch = skeleton.architecture
    reads = np.empty((n_rows, levels, len(skeleton.problem.data_spaces)))
    fills = np.empty_like(reads)
    updates = np.empty_like(reads)
    tiles = np.empty(reads.shape, dtype=np.int64)
    partitions = np.empty(reads.shape, dtype=np.int64)
    instances = np.empty((n_rows, levels), dtype=np.int64)
    cycles = np.empty(n_rows, dtype=np.int64)
    computes = np.empty(n_rows, dtype=np.int64)
    fits = np.empty(n_rows, dtype=np.bool_)
    out = (reads, fills, updates, instances, cycles, computes, fits, tiles, partitions)
    table, block = _prices(skeleton, energy)
    # not in floor mode: no group, and nothing of the floors' arrays is read or written
    floor = (
        np.empty(0, dtype=np.int64),
        table,
        block,
        np.zeros((0, 0), dtype=np.bool_),
        np.zeros(0, dtype=np.bool_),
        np.zeros((0, 0)),
    )
    engine = _run_engine(skeleton, bounds, version, interpreted, out, floor)
    throttled = throttle(
        reads,
        fills,
        updates,
        instances,
        cycles,
        bandwidth_limits(arch, skeleton.level_names),
        network_latency(arch),
    )
    slowest, level_cycles = throttled.cycles, throttled.level_cycles
    throttling = throttled.throttling
    level_energy = total_energy = None
    if energy is not None:
        level_energy = np.empty_like(reads)
        _run_rows(
            engine,
            "energy_rows",
            "energy_chunk",
            reads,
            fills,
            updates,
            instances,
            block,
            table,
            level_energy,
        )
        compute_energy = computes * energy.get(arch.compute.name, {}).get("compute", 0.0)
        total_energy = level_energy.sum(axis=(1, 2)) + compute_energy
    return BatchResult(
        reads=reads,
        fills=fills,
        updates=updates,
        tiles=tiles,
        partitions=partitions,
        instances=instances,
        computes=computes,
        compute_cycles=cycles,
        cycles=slowest,
        level_cycles=level_cycles,
        throttling=throttling,
        fits=fits,
        energy_pj=total_energy,
        level_energy_pj=level_energy,
    )


def _prices(
    skeleton: Skeleton, energy: MappingABC[str, MappingABC[str, float]] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per level (innermost first): pJ per vector access for read, fill, update (zeros without
    `energy`), and words per vector access."""
    energy = energy or {}
    table = np.array(
        [
            [energy.get(name, {}).get(a, 0.0) for a in ("read", "fill", "update")]
            for name in skeleton.level_names
        ],
        dtype=np.float64,
    ).reshape(skeleton.num_levels, 3)
    arch = skeleton.architecture
    block = np.array(
        [arch.storage_level(name).block_size for name in skeleton.level_names], dtype=np.float64
    )
    return table, block


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
