"""Compiled per-row kernels of the batch evaluator (numba).

`hwsim.analytical.batch.evaluate_batch` prepares, in Python, everything that depends only on the
`Skeleton` or on a level's spatial fanout configuration, and hands this module flat arrays;
the kernels then walk the rows (in parallel chunks) and compute for each row exactly what the
NumPy path computes, with the same floating-point operations in the same order, so the two
backends agree bit for bit.

Arguments travel in three tuples of arrays, unpacked on the kernels' first line, so that a call
site cannot put two same-typed arrays in each other's place: ``layout`` (`KernelLayout.arrays`:
``slot_dim, temporal, prefix, group_ptr, group_slots, coef, terms, keep, read_write,
capacity``), ``fanout`` (``hist_ptr, hist_c, hist_n, off_ptr, off_vec``) and ``out`` (``reads,
fills, updates, instances, cycles, computes, fits, links``); besides them each row kernel takes
``bounds``, ``cfg`` and two flags.

Data layout (``L`` slots innermost first, ``D`` problem dimensions, ``S`` data spaces,
``R`` ranks — the largest rank count of any data space; a data space with fewer ranks is padded
with all-zero coefficient rows, which give extent 1 and never move — and ``V`` storage levels,
innermost first):

- ``bounds`` (N, L) int64: one mapping per row, 1 where a slot is unused.
- ``slot_dim`` (L,) int64: each slot's dimension; ``temporal`` (L,) bool.
- ``prefix`` (V + 1,) int64: ``prefix[s]`` slots lie below level ``s`` (``prefix[0] = 0``);
  level ``s``'s tile is what slots ``[0, prefix[s + 1])`` walk.
- ``group_ptr`` (V + 1,) int64 and ``group_slots``: CSR lists of the spatial slots of each level
  (the fanout below it; they come first among the level's slots).
- ``coef`` (S, R, D) int64: rank coefficients of each data space; ``terms`` (S, T, 3) int64:
  the same as (rank, dimension, coefficient) triples of its non-zero coefficients, sorted by
  rank and padded with rank ``R`` (a rank's extent is ``1 + Σ coefficient × (dimension extent
  − 1)``).
- ``keep`` (S, V) bool, ``read_write`` (S,) bool, ``capacity`` (V,) int64 (−1: unbounded).
- ``cfg`` (N, V) int64: per row and level, the id of the row's fanout configuration (its spatial
  bounds and the extents below them; −1 when the level has no spatial slot). Per configuration
  ``g`` and data space ``k``, entry ``g * S + k`` of two CSR tables describes the fanout:

  - ``hist_ptr`` / ``hist_c`` / ``hist_n``: the multicast histogram — ``hist_n[j]`` distinct
    deltas go to ``hist_c[j]`` instances, sorted by ``hist_c``;
  - ``off_ptr`` / ``off_vec`` (·, R): the translation differences that a mesh neighbour offers
    (non-empty only where a link transfer is conceivable).

Outputs are written into arrays the caller allocates: ``reads``/``fills``/``updates`` (N, V, S)
float64 (totals over utilized instances, integral), ``instances`` (N, V), ``cycles`` and
``computes`` (N,) int64, ``fits`` (N,) bool and ``links`` (N, S, V) bool — whether a neighbour
could forward a delta in level ``s``'s fanout (the rows the caller re-checks with the scalar
model).

Per row, `evaluate_chunk` walks the slots once for the dimension extents below each slot, then
per data space: the bounding box at every level boundary (`_hull`), each slot's one-step
translation, the moves of the used temporal loops (`loop_moves` in the NumPy path) and which
of them are equal (decided once: a boundary further out shifts every move above it by the
same vector), and per boundary the delivery total of Timeloop's recursion (`_timeloop_total`) and
the link test (`_links_possible`); then multicast accesses and Timeloop's bookkeeping, exactly
as `hwsim.analytical.batch._counts_numpy` orders them.

Entry points come in pairs: ``*_chunk(lo, hi, ...)`` runs rows ``lo:hi`` serially,
``*_rows(...)`` shares chunks of `CHUNK` rows among threads. Everything is compiled with
``cache=True``: the machine code is stored next to this file (``__pycache__``) and loaded by
later processes instead of compiled again.
"""

from __future__ import annotations

import os

import numba
import numpy as np
from numba import njit, prange

#: Rows per work item of the parallel loops (large enough to amortise scratch allocation).
CHUNK = 512
#: Batches of fewer rows run serially (the ``*_chunk`` entry points): waking the worker threads
#: costs more than it saves there, milliseconds when other processes hold the cores.
PARALLEL_ROWS = 4 * CHUNK

# Threads: numba's own work queue unless the user chose a layer. With the OpenMP layer (numba's
# first choice here) idle workers spin, so on a machine whose cores other jobs are using, two
# threads mapped a layer 15-35 % slower than one; the work queue's idle workers sleep (two
# threads then cost nothing over one, and halve the time on free cores). It is not safe for
# concurrent launches from several Python threads: `hwsim.analytical.batch` launches one at a
# time. This only decides before numba's first parallel launch in the process. (numba.config
# sets its settings through globals(), which mypy cannot see: hence the two ignores.)
if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":  # type: ignore[attr-defined]
    numba.config.THREADING_LAYER = "workqueue"  # type: ignore[attr-defined]


# ----------------------------------------------------------------------- small helpers
# Helpers take a 2-D array and a row index rather than a row view: a view costs two atomic
# reference-count updates, which in these inner loops would cost more than the arithmetic.
@njit(cache=True, inline="always")
def _box_delta(
    moves: np.ndarray, j: int, nonzero: int, rank: int, extent: np.ndarray, b: int, whole: int
) -> int:
    """`hwsim.analytical.reuse.box_delta` of move ``moves[j]`` (`nonzero` ranks moved, the first
    being `rank`) for a box ``extent[b]``."""
    if nonzero == 0:
        return 0
    if nonzero > 1:
        return whole
    shift = abs(moves[j, rank])
    if shift >= extent[b, rank]:
        return whole
    return shift * (whole // max(extent[b, rank], 1))


@njit(cache=True, inline="always")
def _hull(ext: np.ndarray, p: int, terms: np.ndarray, k: int, out: np.ndarray, b: int) -> int:
    """Bounding box of data space `k` (per rank, into ``out[b]``) of the tile whose dimension
    extents are ``ext[p]``; returns its volume. `terms` are sorted by rank."""
    volume = 1
    t = 0
    for r in range(out.shape[1]):
        span = 1
        while t < terms.shape[1] and terms[k, t, 0] == r:
            span += terms[k, t, 2] * (ext[p, terms[k, t, 1]] - 1)
            t += 1
        out[b, r] = span
        volume *= span
    return volume


@njit(cache=True)
def _timeloop_total(
    count: int,
    weight: np.ndarray,
    delta: np.ndarray,
    still: np.ndarray,
    key: np.ndarray,
    whole: int,
    legacy: bool,
    memo: np.ndarray,
    token: int,
    stack: np.ndarray,
) -> int:
    """What `hwsim.analytical.reuse.timeloop_total` adds to the first tile, over `count` used
    loops (innermost first): loop ``j`` advances ``weight[j]`` times, each time moving the tile
    (unless ``still[j]``) by a move whose box delta is ``delta[j]``; two loops' moves are equal
    when their `key`s are.

    It evaluates the same memoised recursion, ``subtree(k, state)`` — all leaves of a height-k
    subtree but its first, entered remembering loop ``state``'s move (``count``: none) — but
    iteratively, with an explicit `stack` of frames (k, state, phase, first, step), and visits
    only the states the recursion reaches (a few per height, against ``count + 1`` for a full
    table). ``memo[k, state]`` holds (total, state left, `token`): entries of an earlier call carry
    an older token, so the memo never needs clearing.
    """
    none = count
    depth = 0
    stack[0, 0] = count
    stack[0, 1] = none
    stack[0, 2] = 0
    ret_total = 0
    ret_state = none
    while depth >= 0:
        k = stack[depth, 0]
        st = stack[depth, 1]
        phase = stack[depth, 2]
        if phase == 0:  # enter: leaf or memoised, else descend into the first subtree
            if k == 0:
                ret_total, ret_state = 0, st
                depth -= 1
            elif memo[k, st, 2] == token:
                ret_total, ret_state = memo[k, st, 0], memo[k, st, 1]
                depth -= 1
            else:
                stack[depth, 2] = 1
                depth += 1
                stack[depth, 0] = k - 1
                stack[depth, 1] = st
                stack[depth, 2] = 0
        elif phase == 1:  # the first subtree left state s1: loop k - 1 advances
            j = k - 1
            s1 = ret_state
            matches = s1 == none or key[s1] == key[j]
            if legacy:
                if matches:
                    step = 0 if still[j] else delta[j]
                    s2 = j if s1 == none else s1
                else:
                    step = whole
                    s2 = none
            elif still[j]:
                step = 0
                s2 = s1
            elif matches:
                step = delta[j]
                s2 = j if s1 == none else s1
            else:
                step = whole
                s2 = none
            stack[depth, 2] = 2
            stack[depth, 3] = ret_total
            stack[depth, 4] = step
            depth += 1
            stack[depth, 0] = k - 1
            stack[depth, 1] = s2
            stack[depth, 2] = 0
        else:  # the rest of the subtree returned: combine, memoise, return
            ret_total = stack[depth, 3] + weight[k - 1] * (stack[depth, 4] + ret_total)
            memo[k, st, 0] = ret_total
            memo[k, st, 1] = ret_state
            memo[k, st, 2] = token
            depth -= 1
    return ret_total


@njit(cache=True)
def _links_possible(
    moves: np.ndarray,
    moved: np.ndarray,
    moved_rank: np.ndarray,
    count: int,
    extent: np.ndarray,
    b: int,
    offsets: np.ndarray,
    lo: int,
    hi: int,
    legacy: bool,
    fresh: bool,
) -> bool:
    """`hwsim.analytical.batch._links_possible` for one row: the child's used loops' moves
    ``moves[:count]`` (``moved[j]`` ranks nonzero, the first ``moved_rank[j]``), the child tile's
    extent ``extent[b]``, and the neighbour offsets ``offsets[lo:hi]``."""
    if count == 0 or hi == lo:
        return False
    ranks = moves.shape[1]
    innermost_whole = False
    if legacy:
        nonzero = moved[0]
        rank = moved_rank[0]
        sliding = nonzero == 1 and abs(moves[0, rank]) < extent[b, rank]
        innermost_whole = nonzero > 0 and ((nonzero == 1 and not sliding) or nonzero > 1)
    for j in range(count):
        nonzero = moved[j]
        rank = moved_rank[j]
        slide = abs(moves[j, rank])
        sliding = nonzero == 1 and slide < extent[b, rank]
        moving = nonzero > 0
        if not fresh and not (moving or (innermost_whole and j != 0)):
            continue
        for o in range(lo, hi):
            exact = True
            others = 0
            for r in range(ranks):
                diff = offsets[o, r] - moves[j, r]
                if diff != 0:
                    exact = False
                    if r != rank:
                        others += 1
            if exact:
                return True
            along = abs(offsets[o, rank] - moves[j, rank])
            if not fresh and sliding and others == 0 and along == extent[b, rank] - slide:
                return True
    return False


# ------------------------------------------------------------------------------ rows
@njit(cache=True)
def evaluate_chunk(
    lo: int,
    hi: int,
    bounds: np.ndarray,
    cfg: np.ndarray,
    layout: tuple,
    fanout: tuple,
    out: tuple,
    legacy: bool,
    subtract_first: bool,
) -> None:
    """Rows ``lo:hi`` (see the module docstring), serially; mirrors `evaluate_batch`'s NumPy
    path operation for operation. Called directly for batches too small to share out."""
    slot_dim, temporal, prefix, group_ptr, group_slots, coef, terms, keep, read_write, capacity = (
        layout
    )
    hist_ptr, hist_c, hist_n, off_ptr, off_vec = fanout
    reads, fills, updates, instances, cycles, computes, fits, links = out
    n_slots = bounds.shape[1]
    n_spaces, ranks, n_dims = coef.shape
    levels = prefix.shape[0] - 1
    widest = 1
    for g in range(hist_ptr.shape[0] - 1):
        widest = max(widest, hist_ptr[g + 1] - hist_ptr[g])
    # scratch, reused for every row of the chunk
    ext = np.ones((n_slots + 1, n_dims), dtype=np.int64)
    step = np.zeros((n_slots, ranks), dtype=np.int64)
    hull = np.zeros((levels + 1, ranks), dtype=np.int64)
    spare = np.zeros((1, ranks), dtype=np.int64)
    used = np.zeros(n_slots, dtype=np.int64)
    start = np.zeros(levels + 1, dtype=np.int64)
    below = np.zeros((n_slots + 1, ranks), dtype=np.int64)
    key = np.zeros(n_slots, dtype=np.int64)
    moves = np.zeros((n_slots, ranks), dtype=np.int64)
    weight = np.zeros(n_slots, dtype=np.int64)
    delta = np.zeros(n_slots, dtype=np.int64)
    moved = np.zeros(n_slots, dtype=np.int64)
    moved_rank = np.zeros(n_slots, dtype=np.int64)
    still = np.zeros(n_slots, dtype=np.bool_)
    local_key = np.zeros(n_slots, dtype=np.int64)
    memo = np.zeros((n_slots + 1, n_slots + 1, 3), dtype=np.int64)
    token = 0
    stack = np.zeros((n_slots + 2, 5), dtype=np.int64)
    size = np.zeros(levels, dtype=np.int64)
    received = np.zeros(levels)
    level_fanout = np.ones(levels)
    union = np.zeros(levels)
    partition = np.zeros(levels, dtype=np.int64)
    content = np.zeros(levels)
    share = np.zeros(levels)
    hv = np.zeros((levels, widest))
    hc = np.zeros((levels, widest), dtype=np.int64)
    hn = np.zeros(levels, dtype=np.int64)
    kept = np.zeros(levels)

    for i in range(lo, hi):
        # extents walked by the first p slots; cycles, computes, instances
        cyc = 1
        comp = 1
        for p in range(n_slots):
            for d in range(n_dims):
                ext[p + 1, d] = ext[p, d]
            ext[p + 1, slot_dim[p]] *= bounds[i, p]
            comp *= bounds[i, p]
            if temporal[p]:
                cyc *= bounds[i, p]
        cycles[i] = cyc
        computes[i] = comp
        for s in range(levels):
            inst = 1
            for p in range(prefix[s + 1], n_slots):
                if not temporal[p]:
                    inst *= bounds[i, p]
            instances[i, s] = inst
            fan = 1
            for j in range(group_ptr[s], group_ptr[s + 1]):
                fan *= bounds[i, group_slots[j]]
            level_fanout[s] = fan
        # used temporal loops, and where those above each level boundary begin
        n_used = 0
        for p in range(n_slots):
            if temporal[p] and bounds[i, p] > 1:
                used[n_used] = p
                n_used += 1
        n_below = 0
        for b in range(levels + 1):
            while n_below < n_used and used[n_below] < prefix[b]:
                n_below += 1
            start[b] = n_below
        for s in range(levels):
            kept[s] = 0.0

        for k in range(n_spaces):
            volume = 1
            for b in range(levels + 1):
                if b and prefix[b] == prefix[b - 1]:  # a level without loops: the same tile
                    for r in range(ranks):
                        hull[b, r] = hull[b - 1, r]
                else:
                    volume = _hull(ext, prefix[b], terms, k, hull, b)
                if b:
                    size[b - 1] = volume
            for p in range(n_slots):
                d = slot_dim[p]
                for r in range(ranks):
                    step[p, r] = coef[k, r, d] * ext[p, d]
            # Moves of the used loops, and which of them are equal. A level boundary further out
            # subtracts the same vector (the steps of the used loops below it) from every move
            # above it, so equality is decided once: `key[j]` is the first loop with j's move.
            for r in range(ranks):
                walked = 0
                for j in range(n_used):
                    below[j, r] = walked
                    walked += step[used[j], r]
                below[n_used, r] = walked
            for j in range(n_used):
                key[j] = j
                for q in range(j):
                    if key[q] != q:
                        continue
                    equal = True
                    for r in range(ranks):
                        if step[used[q], r] - below[q, r] != step[used[j], r] - below[j, r]:
                            equal = False
                            break
                    if equal:
                        key[j] = q
                        break
            # per level boundary: reuse totals (level above) and link candidates (its fanout)
            for b in range(levels + 1):
                first = start[b]
                count = n_used - first
                whole = 1
                for r in range(ranks):
                    whole *= hull[b, r]
                # a level without loops sees the same loops above and the same tile as the one
                # below it: moves, deltas and totals carry over
                same_as_below = b >= 1 and prefix[b] == prefix[b - 1]
                for j in range(0 if same_as_below else count):
                    nonzero = 0
                    rank = 0
                    for r in range(ranks):
                        m = step[used[first + j], r] - (below[first + j, r] - below[first, r])
                        moves[j, r] = m
                        if m != 0:
                            if nonzero == 0:
                                rank = r
                            nonzero += 1
                    moved[j] = nonzero
                    moved_rank[j] = rank
                    still[j] = nonzero == 0
                    delta[j] = _box_delta(moves, j, nonzero, rank, hull, b, whole)
                    weight[j] = bounds[i, used[first + j]] - 1
                    local_key[j] = key[first + j]
                if same_as_below and b >= 2:
                    received[b - 1] = received[b - 2]
                elif b:
                    token += 1
                    total = _timeloop_total(
                        count, weight, delta, still, local_key, whole, legacy, memo, token, stack
                    )
                    received[b - 1] = whole + total
                if b < levels:
                    g = cfg[i, b]
                    flag = False
                    if g >= 0:
                        e = g * n_spaces + k
                        flag = _links_possible(
                            moves,
                            moved,
                            moved_rank,
                            count,
                            hull,
                            b,
                            off_vec,
                            off_ptr[e],
                            off_ptr[e + 1],
                            legacy,
                            b == 0,
                        )
                    links[i, k, b] = flag

            # accesses per multicast factor, per level
            for s in range(levels):
                child = received[s - 1] if s else float(cyc)
                g = cfg[i, s]
                if g < 0:
                    hn[s] = 1
                    hc[s, 0] = 1
                    hv[s, 0] = child
                    union[s] = float(size[s])
                else:
                    e = g * n_spaces + k
                    hn[s] = hist_ptr[e + 1] - hist_ptr[e]
                    for j in range(hn[s]):
                        hc[s, j] = hist_c[hist_ptr[e] + j]
                        hv[s, j] = hist_n[hist_ptr[e] + j] * child
                    width = group_ptr[s + 1] - group_ptr[s]
                    union[s] = float(_hull(ext, prefix[s] + width, terms, k, spare, 0))

            # Timeloop's bookkeeping (same operations, in the same order, as the NumPy path)
            for s in range(levels):
                acc = 0.0
                for j in range(hn[s]):
                    acc += hv[s, j]
                content[s] = acc
            for s in range(levels):
                if s + 1 < levels:
                    acc = 0.0
                    for j in range(hn[s + 1]):
                        acc += hc[s + 1, j] * hv[s + 1, j]
                    share[s] = acc / level_fanout[s + 1]
                else:
                    share[s] = 0.0
            partition[levels - 1] = size[levels - 1]
            for s in range(levels - 2, -1, -1):
                denominator = union[s + 1] if level_fanout[s + 1] > 1 else float(size[s])
                partition[s] = partition[s + 1] * size[s] // max(np.int64(denominator), 1)
            for cur in range(levels):
                if keep[k, cur]:
                    continue
                if cur + 1 >= levels:
                    break
                weighted = 0.0
                for j in range(hn[cur + 1]):
                    weighted += hc[cur + 1, j] * hv[cur + 1, j]
                factor = content[cur] * level_fanout[cur + 1] / weighted if weighted > 0 else 1.0
                acc = 0.0
                for j in range(hn[cur + 1]):
                    hv[cur + 1, j] = hv[cur + 1, j] * factor
                    acc += hv[cur + 1, j]
                content[cur + 1] = acc
            outermost = -1
            for s in range(levels):
                if keep[k, s]:
                    outermost = s
            for s in range(levels):
                if not keep[k, s]:
                    reads[i, s, k] = 0.0
                    fills[i, s, k] = 0.0
                    updates[i, s, k] = 0.0
                    continue
                fill_share = 0.0 if s == outermost else share[s]
                if read_write[k]:
                    r = content[s] - partition[s]
                    if s == outermost or not subtract_first:
                        f = fill_share
                    else:
                        f = fill_share - partition[s]
                    u = content[s]
                else:
                    r, f, u = content[s], fill_share, 0.0
                inst = instances[i, s]
                reads[i, s, k] = np.floor(r + 0.5) * inst
                fills[i, s, k] = np.floor(f + 0.5) * inst
                updates[i, s, k] = np.floor(u + 0.5) * inst
                kept[s] += size[s]

        ok = True
        for s in range(levels):
            if capacity[s] >= 0 and kept[s] > capacity[s]:
                ok = False
        fits[i] = ok


@njit(cache=True, parallel=True)
def evaluate_rows(
    bounds: np.ndarray,
    cfg: np.ndarray,
    layout: tuple,
    fanout: tuple,
    out: tuple,
    legacy: bool,
    subtract_first: bool,
) -> None:
    """`evaluate_chunk` over all rows, chunks of `CHUNK` rows in parallel."""
    n = bounds.shape[0]
    chunks = (n + CHUNK - 1) // CHUNK
    for c in prange(chunks):
        evaluate_chunk(
            c * CHUNK,
            min(n, (c + 1) * CHUNK),
            bounds,
            cfg,
            layout,
            fanout,
            out,
            legacy,
            subtract_first,
        )


@njit(cache=True)
def energy_chunk(
    lo: int,
    hi: int,
    reads: np.ndarray,
    fills: np.ndarray,
    updates: np.ndarray,
    instances: np.ndarray,
    block: np.ndarray,
    table: np.ndarray,
    out: np.ndarray,
) -> None:
    """Energy of rows ``lo:hi`` per level and data space, into `out` (N, V, S): per action,
    whole vector accesses (``block[level]`` words) per utilized instance times the instances,
    times ``table[level, action]`` (read, fill, update) — as the NumPy path computes it."""
    levels, spaces = reads.shape[1], reads.shape[2]
    for i in range(lo, hi):
        for s in range(levels):
            inst = instances[i, s]
            safe = max(inst, 1)
            for k in range(spaces):
                acc = 0.0
                acc += np.ceil(reads[i, s, k] / safe / block[s] - 1e-9) * inst * table[s, 0]
                acc += np.ceil(fills[i, s, k] / safe / block[s] - 1e-9) * inst * table[s, 1]
                acc += np.ceil(updates[i, s, k] / safe / block[s] - 1e-9) * inst * table[s, 2]
                out[i, s, k] = acc


@njit(cache=True, parallel=True)
def energy_rows(
    reads: np.ndarray,
    fills: np.ndarray,
    updates: np.ndarray,
    instances: np.ndarray,
    block: np.ndarray,
    table: np.ndarray,
    out: np.ndarray,
) -> None:
    """`energy_chunk` over all rows, chunks of `CHUNK` rows in parallel."""
    n = reads.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        energy_chunk(
            c * CHUNK, min(n, (c + 1) * CHUNK), reads, fills, updates, instances, block, table, out
        )


@njit(cache=True)
def tile_fits_chunk(lo: int, hi: int, bounds: np.ndarray, layout: tuple, out: np.ndarray) -> None:
    """`hwsim.analytical.batch.tile_fits` for rows ``lo:hi``, into `out`: whether every level's
    kept tiles fit its capacity (`coef` gives the shapes, `terms` the arithmetic)."""
    slot_dim, _, prefix, _, _, coef, terms, keep, _, capacity = layout
    n_spaces, ranks, n_dims = coef.shape
    levels = prefix.shape[0] - 1
    ext = np.ones((1, n_dims), dtype=np.int64)
    spare = np.zeros((1, ranks), dtype=np.int64)
    for i in range(lo, hi):
        out[i] = True
        for d in range(n_dims):
            ext[0, d] = 1
        p = 0
        for s in range(levels):
            while p < prefix[s + 1]:
                ext[0, slot_dim[p]] *= bounds[i, p]
                p += 1
            if capacity[s] < 0:
                continue
            needed = 0
            for k in range(n_spaces):
                if keep[k, s]:
                    needed += _hull(ext, 0, terms, k, spare, 0)
            if needed > capacity[s]:
                out[i] = False
                break


@njit(cache=True, parallel=True)
def tile_fits_rows(bounds: np.ndarray, layout: tuple, out: np.ndarray) -> None:
    """`tile_fits_chunk` over all rows, chunks of `CHUNK` rows in parallel."""
    n = bounds.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        tile_fits_chunk(c * CHUNK, min(n, (c + 1) * CHUNK), bounds, layout, out)
