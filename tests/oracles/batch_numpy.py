"""Oracle (tests only): the batch evaluator's former NumPy backend, every step vectorised over
all rows at once (NumPy arrays rather than a per-row walk), kept to check the engine on whole
batches. It does not plan link transfers: rows where a mesh neighbour might forward a delta are
listed in `risky` and their counts left out of comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwsim.analytical.batch import Skeleton, coefficient_matrix, distinct_rows
from hwsim.analytical.fanout import Fanout, multicast_histogram
from hwsim.nest import Loop


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


def timeloop_totals(
    bounds: np.ndarray, steps: np.ndarray, extent: np.ndarray, version: str
) -> np.ndarray:
    """Vectorised `hwsim.analytical.reuse.timeloop_total`.

    Args:
        bounds: (N, K) loop bounds above the child, innermost first (1 = unused loop).
        steps: (N, K, R) data-space translation of one step of each loop.
        extent: (N, R) the child's tile bounding box.
    """
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


def extents(skeleton: Skeleton, bounds: np.ndarray) -> np.ndarray:
    """ext[:, p, d]: extent of dimension d walked by the first p slots."""
    dims = skeleton.problem.dimensions
    index = {d: i for i, d in enumerate(dims)}
    ext = np.ones((bounds.shape[0], len(skeleton.slots) + 1, len(dims)), dtype=np.int64)
    for p, slot in enumerate(skeleton.slots):
        ext[:, p + 1] = ext[:, p]
        ext[:, p + 1, index[slot.dimension]] *= bounds[:, p]
    return ext


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


def numpy_counts(skeleton: Skeleton, bounds: np.ndarray, version: str) -> _Counts:
    """The NumPy reference: every step vectorised over all rows at once."""
    problem, arch = skeleton.problem, skeleton.architecture
    n_rows = bounds.shape[0]
    dims = problem.dimensions
    dim_index = {d: i for i, d in enumerate(dims)}
    slots = skeleton.slots
    levels = skeleton.num_levels
    prefix = (0, *skeleton.prefix)  # prefix[s + 1] = loops at or below level s
    spaces = problem.data_space_names

    ext_at = extents(skeleton, bounds)
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
        coef = coefficient_matrix(problem, ds.name)
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


def numpy_tile_fits(skeleton: Skeleton, bounds: np.ndarray) -> np.ndarray:
    """Rows whose kept tiles fit every level's capacity."""
    ext = extents(skeleton, bounds)
    prefix = skeleton.prefix
    fits = np.ones(bounds.shape[0], dtype=bool)
    needed = np.zeros((bounds.shape[0], skeleton.num_levels), dtype=np.int64)
    for ds in skeleton.problem.data_space_names:
        coef = coefficient_matrix(skeleton.problem, ds)
        for s in range(skeleton.num_levels):
            if skeleton.keep[ds][s]:
                needed[:, s] += np.prod((ext[:, prefix[s], :] - 1) @ coef.T + 1, axis=1)
    for s, name in enumerate(skeleton.level_names):
        capacity = skeleton.architecture.storage_level(name).effective_size
        if capacity is not None:
            fits &= needed[:, s] <= capacity
    return fits


def numpy_energy(skeleton: Skeleton, counts, energy) -> np.ndarray:
    """Energy per row, level and data space of `counts` (vector accesses times energies)."""
    level_energy = np.zeros_like(counts.reads)
    safe_instances = np.maximum(counts.instances, 1)
    for s, name in enumerate(skeleton.level_names):
        level = skeleton.architecture.storage_level(name)
        level_table = energy.get(name, {})
        for action, values in (
            ("read", counts.reads),
            ("fill", counts.fills),
            ("update", counts.updates),
        ):
            per_instance = values[:, s, :] / safe_instances[:, s, None]
            vectors = np.ceil(per_instance / level.block_size - 1e-9) * counts.instances[:, s, None]
            level_energy[:, s, :] += vectors * level_table.get(action, 0.0)
    return level_energy
