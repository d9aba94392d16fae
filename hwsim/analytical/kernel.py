"""The engine: Timeloop's rules, per mapping, in one implementation (interpreted or compiled).

Every count hwsim derives with Timeloop's rules comes from here: single-mapping evaluation
(`hwsim.analytical.model.analyze`), the batch evaluator (`hwsim.analytical.batch`) and so the
mapper. The functions are plain Python in the subset numba compiles (`hwsim.analytical.jit`):
`hwsim.analytical.batch` runs them compiled for batches and interpreted for a single mapping.

**Timeloop's nest analysis.** Every time the loops above a child level advance, the child's
tile (a bounding box, Timeloop's AAHR) moves, and the child receives the new tile minus what it
keeps. Timeloop runs only iterations #0 and #1 of every loop and scales iteration #1 by
``n − 1``, so the inner loops "wrap" from index 1: with loops ``j = 1..K`` above the child
(innermost first) stepping the tile by ``v_j``, loop ``j``'s advance moves it by
``t_j = v_j − Σ_{i<j} v_i``. The leaves of this binary recursion form a ruler sequence (leaf
``x`` moves by ``t_j`` for ``j`` the lowest loop at index 1, and weighs ``Π (n_i − 1)`` over its
index-1 loops); `_timeloop_total` evaluates it by dynamic programming over (subtree height,
remembered stride). Subtracting two equal boxes keeps ``|t_r| · Π_{s≠r} e_s`` when they differ
along one rank ``r`` by less than its extent, else the whole box (`_box_delta`). Timeloop
refuses sliding-window reuse whenever the direction of movement changes; the stride state
machine differs by version (`hwsim.analytical.versions`): under master a zero move costs
nothing and leaves the remembered stride alone, a non-zero move is subtracted if no stride is
remembered (then remembered) or equals the remembered one, otherwise the whole tile is
re-fetched and the memory cleared; v3.0 remembers the first move even when it is zero. The
compute units receive one fresh operand per compute. Spatial fanouts, multicast and link
transfers: `hwsim.analytical.fanout`; bookkeeping: `bookkeeping`.

`hwsim.analytical.batch.evaluate_batch` prepares, in Python, everything that depends only on the
`Skeleton` or on a level's spatial fanout configuration, and hands this module flat arrays; the
row functions then walk the rows (in parallel chunks when compiled).

Arguments travel in three tuples of arrays, unpacked on the kernels' first line, so that a call
site cannot put two same-typed arrays in each other's place: ``layout`` (`KernelLayout.arrays`:
``slot_dim, temporal, prefix, group_ptr, group_slots, coef, terms, keep, read_write,
capacity``), ``fanout`` (``hist_ptr, hist_c, hist_n, off_ptr, off_vec, off_linked, rest_ptr,
rest_c, rest_n``) and ``out`` (``reads, fills, updates, instances, cycles, computes, fits,
tiles, partitions``); besides them each row function takes ``bounds``, ``cfg`` and two version
flags (`hwsim.analytical.versions.version_flags`).

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
  ``g`` and data space ``k``, entry ``e = g * S + k`` of the CSR tables describes the fanout:

  - ``hist_ptr`` / ``hist_c`` / ``hist_n``: the multicast histogram — ``hist_n[j]`` distinct
    deltas go to ``hist_c[j]`` instances;
  - ``off_ptr`` / ``off_vec`` (·, R) / ``off_linked``: the link plans worth using — a
    translation difference that mesh neighbours offer and, when a step's delta moved by exactly
    that much, how many instances take it from their neighbour; ``rest_ptr`` / ``rest_c`` /
    ``rest_n`` (per plan): the multicast histogram of the instances still served by the level.

Outputs are written into arrays the caller allocates: ``reads``/``fills``/``updates`` (N, V, S)
float64 (totals over utilized instances, integral), ``instances`` (N, V), ``cycles`` and
``computes`` (N,) int64, ``fits`` (N,) bool, ``tiles`` and ``partitions`` (N, V, S) int64 (0
where a level does not keep a data space).

Per row, `evaluate_chunk` walks the slots once for the dimension extents below each slot, then
per data space: the bounding box at every level boundary (`_hull`), each slot's one-step
translation, the moves of the used temporal loops and which of them are equal (decided once: a
boundary further out shifts every move above it by the same vector), per boundary the delivery
total of Timeloop's recursion (`_timeloop_total`) and, where a neighbour could forward a delta
(`_links_possible`), what each link plan serves (`_link_amounts`); then multicast accesses and
Timeloop's bookkeeping (`bookkeeping`). Capacity (`overfull_level`) and pricing
(`vector_accesses`) live here too, so that every caller applies the same rule.

Entry points come in pairs: ``*_chunk(lo, hi, ...)`` runs rows ``lo:hi`` serially,
``*_rows(...)`` shares chunks of `CHUNK` rows among threads (compiled only).
"""

from __future__ import annotations

import numpy as np

from hwsim.analytical.jit import kernel

#: Rows per work item of the parallel loops (large enough to amortise scratch allocation).
CHUNK = 512
#: Batches of fewer rows run serially (the ``*_chunk`` entry points): waking the worker threads
#: costs more than it saves there, milliseconds when other processes hold the cores.
PARALLEL_ROWS = 4 * CHUNK

#: Floors (`evaluate_chunk`): the most corners of the link plans' shares tried per data space.
FLOOR_CORNERS = 64

#: Rows of `bookkeeping`'s scratch space.
ACCESSES, SHARE, LINKS = 0, 1, 2

#: ``range`` when interpreted; `hwsim.analytical.jit.compiled` puts numba's ``prange`` here.
prange = range


# ----------------------------------------------------------------------- small helpers
# Helpers take a 2-D array and a row index rather than a row view: a view costs two atomic
# reference-count updates, which in these inner loops would cost more than the arithmetic.
@kernel(inline="always")
def _box_delta(
    moves: np.ndarray, j: int, nonzero: int, rank: int, extent: np.ndarray, b: int, whole: int
) -> int:
    """Timeloop's box delta (AAHR subtraction) of move ``moves[j]`` (`nonzero` ranks moved, the first
    being `rank`) for a box ``extent[b]``."""
    if nonzero == 0:
        return 0
    if nonzero > 1:
        return whole
    shift = abs(moves[j, rank])
    if shift >= extent[b, rank]:
        return whole
    return shift * (whole // max(extent[b, rank], 1))


@kernel(inline="always")
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


@kernel()
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
    """What Timeloop's delivery recursion adds to the first tile, over `count` used
    loops (innermost first): loop ``j`` advances ``weight[j]`` times, each time moving the tile
    (unless ``still[j]``) by a move whose box delta is ``delta[j]``; two loops' moves are equal
    when their `key`s are.

    It evaluates the memoised recursion ``subtree(k, state)`` — all leaves of a height-k
    subtree but its first, entered remembering loop ``state``'s move (``count``: none) —
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


@kernel()
def _relaxed_total(
    count: int,
    first: int,
    used: np.ndarray,
    group: np.ndarray,
    step: np.ndarray,
    below: np.ndarray,
    moves: np.ndarray,
    weight: np.ndarray,
    delta: np.ndarray,
    still: np.ndarray,
    hull: np.ndarray,
    b: int,
    whole: int,
    offsets: np.ndarray,
    lo: int,
    hi: int,
    fresh: bool,
    costs: bool,
    scratch_move: np.ndarray,
    dp: np.ndarray,
    dp_sum: np.ndarray,
) -> tuple[int, bool]:
    """A floor on `_timeloop_total` over every order of the loops of each permutable group, and
    whether, in some order, a neighbour could forward a delta (`_move_links` against the link
    plans' ``offsets[lo:hi]``; `fresh`: the child is the compute units).

    Relaxed: every move costs its box delta (Timeloop charges that or the whole tile) and a zero
    move costs nothing. Loop ``j`` advances ``(n_j − 1) · Π_{i>j} n_i`` times and moves the tile
    by its step less the steps of the loops inside it (``moves[j]`` for the order given), so the
    relaxed total is a sum over loops in which a group's loops depend only on the order within
    the group (the loops inside the group count only by their sum, those outside only by their
    product). Its minimum over all orders is therefore the sum of each group's minimum, found
    by dynamic programming over the subsets of the group placed innermost (``dp``); the same
    pass sees every move a group's loop can make. Loops outside any group (``group`` −1) keep
    their place. A group of more than ``log2(len(dp))`` loops adds nothing to the total and
    counts as able to link (a weaker but still valid floor). Without `costs`, only whether a
    neighbour could forward (the total is 0): the first move that could ends the search.
    """
    ranks = step.shape[1]
    total = 0
    links = False
    j = 0
    while j < count:
        g = group[used[first + j]]
        end = j + 1
        if g >= 0:
            while end < count and group[used[first + end]] == g:
                end += 1
        if g < 0 or end - j == 1:
            if costs and not still[j]:
                outer = 1
                for q in range(j + 1, count):
                    outer *= weight[q] + 1
                total += weight[j] * outer * delta[j]
            if hi > lo and not links:
                links = _move_links(moves, j, hull, b, offsets, lo, hi, fresh)
                if links and not costs:
                    return 0, True
            j = end
            continue
        m = end - j
        if (1 << m) > dp.shape[0]:
            links = links or hi > lo
            if links and not costs:
                return 0, True
            j = end
            continue
        outer = 1
        for q in range(end, count):
            outer *= weight[q] + 1
        block = 1
        for q in range(j, end):
            block *= weight[q] + 1
        full = (1 << m) - 1
        for mask in range(full + 1):
            dp[mask] = -1
        dp[0] = 0
        for r in range(ranks):
            dp_sum[0, r] = below[first + j, r] - below[first, r]
        for mask in range(full):  # subsets before their supersets
            if mask:  # the steps inside: the set less its lowest loop, plus that loop
                low = 0
                while not mask >> low & 1:
                    low += 1
                for r in range(ranks):
                    dp_sum[mask, r] = dp_sum[mask & (mask - 1), r] + step[used[first + j + low], r]
            inside = 1
            for q in range(m):
                if mask >> q & 1:
                    inside *= weight[j + q] + 1
            for q in range(m):
                if mask >> q & 1:
                    continue
                loop = used[first + j + q]
                nonzero = 0
                rank = 0
                for r in range(ranks):
                    mv = step[loop, r] - dp_sum[mask, r]
                    scratch_move[0, r] = mv
                    if mv != 0:
                        if nonzero == 0:
                            rank = r
                        nonzero += 1
                if hi > lo and not links:
                    links = _move_links(scratch_move, 0, hull, b, offsets, lo, hi, fresh)
                    if links and not costs:
                        return 0, True
                if not costs:
                    continue
                cost = 0
                if nonzero:
                    n_q = weight[j + q] + 1
                    times = (n_q - 1) * (block // (inside * n_q)) * outer
                    cost = times * _box_delta(scratch_move, 0, nonzero, rank, hull, b, whole)
                nxt = mask | (1 << q)
                value = dp[mask] + cost
                if dp[nxt] < 0 or value < dp[nxt]:
                    dp[nxt] = value
        if costs:
            total += dp[full]
        j = end
    return total, links


@kernel()
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
    """Whether a neighbour could forward a delta to the fanout's instances (a cheap superset
    of where a link plan serves a step, so that `_link_amounts` runs only where it may): the
    child's used loops' moves ``moves[:count]`` (``moved[j]`` ranks nonzero, the first
    ``moved_rank[j]``), the child tile's extent ``extent[b]``, and the plans' offsets
    ``offsets[lo:hi]``.

    A step's delta box and the previous one have equal shapes only if both are whole tiles or
    both slid by the same amount along one rank; the box then moved by the loop's move, give or
    take the tile extent minus the slide along that rank. A step that does not move the tile
    delivers nothing, except under v3.0 right after the innermost loop delivered a whole tile
    (its remembered stride then mismatches). Compute units (`fresh`) receive a whole operand
    at every step, moving or not."""
    if count == 0 or hi == lo:
        return False
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
        if _offset_serves(moves, j, rank, slide, sliding, extent, b, offsets, lo, hi, fresh):
            return True
    return False


@kernel(inline="always")
def _offset_serves(
    moves: np.ndarray,
    j: int,
    rank: int,
    slide: int,
    sliding: bool,
    extent: np.ndarray,
    b: int,
    offsets: np.ndarray,
    lo: int,
    hi: int,
    fresh: bool,
) -> bool:
    """Whether one of the plans' ``offsets[lo:hi]`` could serve a step whose box moved by
    ``moves[j]`` (first non-zero rank `rank`, by `slide` there; `sliding` when that is its only
    non-zero rank and less than the extent): the offset equals the move, or differs only along
    `rank` by the extent less the slide (`_links_possible`)."""
    ranks = moves.shape[1]
    for o in range(lo, hi):
        exact = True
        others = 0
        for r in range(ranks):
            if offsets[o, r] - moves[j, r] != 0:
                exact = False
                if r != rank:
                    others += 1
        if exact:
            return True
        along = abs(offsets[o, rank] - moves[j, rank])
        if not fresh and sliding and others == 0 and along == extent[b, rank] - slide:
            return True
    return False


@kernel(inline="always")
def _move_links(
    moves: np.ndarray,
    j: int,
    extent: np.ndarray,
    b: int,
    offsets: np.ndarray,
    lo: int,
    hi: int,
    fresh: bool,
) -> bool:
    """Whether a neighbour could forward the delta of a step that moves the tile by
    ``moves[j]`` (the per-move test of `_links_possible`, for any state: a move of nothing
    delivers nothing a neighbour could forward)."""
    ranks = moves.shape[1]
    nonzero = 0
    rank = 0
    for r in range(ranks):
        if moves[j, r] != 0:
            if nonzero == 0:
                rank = r
            nonzero += 1
    if nonzero == 0:
        return False
    slide = abs(moves[j, rank])
    sliding = nonzero == 1 and slide < extent[b, rank]
    return _offset_serves(moves, j, rank, slide, sliding, extent, b, offsets, lo, hi, fresh)


# --------------------------------------------------------------------------- link transfers
@kernel(inline="always")
def _delta_kind(
    moves: np.ndarray, moved: np.ndarray, moved_rank: np.ndarray, j: int, extent: np.ndarray, b: int
) -> int:
    """The delta a move ``moves[j]`` leaves for a box ``extent[b]``: a slab slid in along one
    rank (encoded ``j``) or, when it moved along several ranks or by a whole extent, the whole
    box (encoded ``-1``)."""
    rank = moved_rank[j]
    if moved[j] == 1 and abs(moves[j, rank]) < extent[b, rank]:
        return j
    return -1


@kernel()
def _link_plan(
    j: int,
    previous: int,
    current: int,
    whole_kind: int,
    moves: np.ndarray,
    moved_rank: np.ndarray,
    extent: np.ndarray,
    b: int,
    offsets: np.ndarray,
    lo: int,
    hi: int,
) -> int:
    """The link plan (index from `lo`) that serves the step of loop `j`, or −1.

    Deltas are encoded as in `_link_amounts`. A neighbour holds this step's delta when it
    received, at the previous step, a box of the same shape displaced by exactly its
    translation difference: the loop's move, corrected by where each slab lies in its tile (a
    slab slid in at the far end when the move is positive)."""
    if previous > whole_kind or current > whole_kind:
        return -1
    rank = -1
    shift = 0
    if previous < whole_kind or current < whole_kind:
        if previous == whole_kind or current == whole_kind:
            return -1
        rank = moved_rank[current]
        t_now = moves[current, rank]
        t_before = moves[previous, moved_rank[previous]]
        if moved_rank[previous] != rank or abs(t_before) != abs(t_now):
            return -1
        now = extent[b, rank] - t_now if t_now > 0 else 0
        before = extent[b, rank] - t_before if t_before > 0 else 0
        shift = now - before
    for o in range(lo, hi):
        match = True
        for r in range(moves.shape[1]):
            need = moves[j, r] + (shift if r == rank else 0)
            if offsets[o, r] != need:
                match = False
                break
        if match:
            return o - lo
    return -1


@kernel()
def _link_amounts(
    count: int,
    weight: np.ndarray,
    delta: np.ndarray,
    still: np.ndarray,
    key: np.ndarray,
    moves: np.ndarray,
    moved: np.ndarray,
    moved_rank: np.ndarray,
    extent: np.ndarray,
    b: int,
    legacy: bool,
    fresh: bool,
    offsets: np.ndarray,
    lo: int,
    hi: int,
    memo: np.ndarray,
    memo_amount: np.ndarray,
    token: int,
    stack: np.ndarray,
    stack_amount: np.ndarray,
    amount: np.ndarray,
) -> None:
    """Per link plan ``offsets[lo:hi]``, the elements of the steps it serves (delta size ×
    weight), into ``amount[:hi - lo]``, over the `count` used loops above a child whose tile is
    ``extent[b]`` (`weight`, `delta`, `still`, `key` as in `_timeloop_total`).

    The same recursion as `_timeloop_total`, which also remembers the previous step's delta:
    ``subtree(k, state, last)`` with deltas encoded as a loop ``j < count`` (the slab its move
    slides in, `_delta_kind`), ``count`` (the whole tile) or ``count + 1`` (nothing). A step
    of loop ``j`` from delta ``last`` to delta ``d`` is served by plan `_link_plan`. Amounts
    are memoised per (k, state, last) like totals; `fresh` children (compute units) receive a
    whole tile at every step.
    """
    n = hi - lo
    none = count
    whole_kind = count
    nothing = count + 1
    whole = 1
    for r in range(extent.shape[1]):
        whole *= extent[b, r]
    depth = 0
    stack[0, 0] = count
    stack[0, 1] = none
    stack[0, 2] = whole_kind
    stack[0, 3] = 0
    ret_state = none
    ret_last = whole_kind
    while depth >= 0:
        k = stack[depth, 0]
        st = stack[depth, 1]
        last = stack[depth, 2]
        phase = stack[depth, 3]
        if phase == 0:  # enter: leaf or memoised, else descend into the first subtree
            if k == 0:
                for o in range(n):
                    amount[o] = 0.0
                ret_state, ret_last = st, last
                depth -= 1
            elif memo[k, st, last, 2] == token:
                for o in range(n):
                    amount[o] = memo_amount[k, st, last, o]
                ret_state, ret_last = memo[k, st, last, 0], memo[k, st, last, 1]
                depth -= 1
            else:
                stack[depth, 3] = 1
                depth += 1
                stack[depth, 0] = k - 1
                stack[depth, 1] = st
                stack[depth, 2] = last
                stack[depth, 3] = 0
        elif phase == 1:  # the first subtree returned: loop k - 1 advances
            j = k - 1
            s1 = ret_state
            for o in range(n):
                stack_amount[depth, o] = amount[o]
            if fresh:
                current, s2 = whole_kind, none
            else:
                matches = s1 == none or key[s1] == key[j]
                if legacy:
                    if matches:
                        current = (
                            nothing
                            if still[j]
                            else _delta_kind(moves, moved, moved_rank, j, extent, b)
                        )
                        s2 = j if s1 == none else s1
                    else:
                        current, s2 = whole_kind, none
                elif still[j]:
                    current, s2 = nothing, s1
                elif matches:
                    current = _delta_kind(moves, moved, moved_rank, j, extent, b)
                    s2 = j if s1 == none else s1
                else:
                    current, s2 = whole_kind, none
                if current == -1:
                    current = whole_kind
            stack[depth, 4] = _link_plan(
                j, ret_last, current, whole_kind, moves, moved_rank, extent, b, offsets, lo, hi
            )
            if current == nothing:
                stack[depth, 5] = 0
            elif current == whole_kind:
                stack[depth, 5] = whole
            else:
                stack[depth, 5] = delta[j]
            stack[depth, 3] = 2
            depth += 1
            stack[depth, 0] = k - 1
            stack[depth, 1] = s2
            stack[depth, 2] = current
            stack[depth, 3] = 0
        else:  # the rest of the subtree returned: combine, memoise, return
            j = k - 1
            plan = stack[depth, 4]
            size = stack[depth, 5]
            for o in range(n):
                step = size if o == plan else 0
                amount[o] = stack_amount[depth, o] + weight[j] * (step + amount[o])
                memo_amount[k, st, last, o] = amount[o]
            memo[k, st, last, 0] = ret_state
            memo[k, st, last, 1] = ret_last
            memo[k, st, last, 2] = token
            depth -= 1


# ------------------------------------------------------------------------ Timeloop's rules
@kernel(inline="always")
def bookkeeping(
    size: np.ndarray,
    union: np.ndarray,
    level_fanout: np.ndarray,
    hv: np.ndarray,
    hc: np.ndarray,
    hn: np.ndarray,
    transfers: np.ndarray,
    keep: np.ndarray,
    k: int,
    read_write: bool,
    subtract_first: bool,
    instances: np.ndarray,
    i: int,
    partition: np.ndarray,
    counts: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """Timeloop's bookkeeping (``CollapseTiles``, ``loop-analysis/tiling.cpp``) of one data
    space, levels innermost first; `hv` is rescaled in place.

    Args:
        size: the tile one instance of each level holds (its bounding box).
        union: the tile of all instances of the level's fanout together.
        level_fanout: instances of the fanout below each level.
        hv, hc, hn: per level, ``hn[s]`` pairs: ``hv[s, j]`` reads the level makes, each
            delivering to ``hc[s, j]`` instances (multicast).
        transfers: per level, elements its fanout's instances took from a neighbour.
        keep, k: whether each level keeps the data space (``keep[k]``).
        read_write: whether the data space is updated.
        subtract_first: whether an inner level's first fill of read-write data is free
            (Timeloop e1d76d6 did not subtract it).
        instances, i: utilized instances of each level (``instances[i]``).
        partition: out: the part of the tensor one instance of each level is responsible for.
        counts: out (3, V): reads, fills, updates, totals over utilized instances (rounded like
            C++ ``std::round``); 0 where the level does not keep the data space.
        scratch: (3, V) float64 work space: per level the accesses, the parent's share and
            the link transfers (allocating it here would cost more than the rest).

    The steps: a level is read once per delivery (per multicast pair); the outermost partition
    is its tile and going inward a partition is split among a fanout in proportion ``tile /
    union``; a level is filled with its parent's deliveries times their multicast, spread over
    the parent's fanout; a level that does not keep the data space hands its accesses to the
    next level out, whose pairs are rescaled to match (and whose link transfers no longer
    count); the outermost keeping level is never filled; deltas an instance took from a
    neighbour are read and filled once more by the level that took them (per instance);
    read-write data: every access is an update, the first update of each element needs no
    read (reads = accesses − partition), and an inner level's fills exclude each element's
    first arrival.
    """
    levels = size.shape[0]
    for s in range(levels):
        acc = 0.0
        for j in range(hn[s]):
            acc += hv[s, j]
        scratch[ACCESSES, s] = acc
        scratch[LINKS, s] = transfers[s]
    for s in range(levels):
        if s + 1 < levels:
            acc = 0.0
            for j in range(hn[s + 1]):
                acc += hc[s + 1, j] * hv[s + 1, j]
            scratch[SHARE, s] = acc / level_fanout[s + 1]
        else:
            scratch[SHARE, s] = 0.0
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
        factor = scratch[ACCESSES, cur] * level_fanout[cur + 1] / weighted if weighted > 0 else 1.0
        acc = 0.0
        for j in range(hn[cur + 1]):
            hv[cur + 1, j] = hv[cur + 1, j] * factor
            acc += hv[cur + 1, j]
        scratch[ACCESSES, cur + 1] = acc
        scratch[LINKS, cur + 1] = 0.0  # the bypassed level's children now read the outer level
    outermost = -1
    for s in range(levels):
        if keep[k, s]:
            outermost = s
    for s in range(levels):
        if not keep[k, s]:
            partition[s] = 0
            counts[0, s] = 0.0
            counts[1, s] = 0.0
            counts[2, s] = 0.0
            continue
        peer = (
            scratch[LINKS, s + 1] / instances[i, s]
            if s + 1 < levels and scratch[LINKS, s + 1] > 0
            else 0.0
        )
        fill_share = 0.0 if s == outermost else scratch[SHARE, s]
        if read_write:
            r = scratch[ACCESSES, s] - partition[s] + peer
            if s == outermost or not subtract_first:
                f = fill_share + peer
            else:
                f = fill_share + peer - partition[s]
            u = scratch[ACCESSES, s]
        else:
            r, f, u = scratch[ACCESSES, s] + peer, fill_share + peer, 0.0
        inst = instances[i, s]
        counts[0, s] = np.floor(r + 0.5) * inst
        counts[1, s] = np.floor(f + 0.5) * inst
        counts[2, s] = np.floor(u + 0.5) * inst


@kernel(inline="always")
def overfull_level(sizes: np.ndarray, i: int, capacity: np.ndarray) -> int:
    """The capacity rule: the innermost level whose kept tiles (``sizes[i]`` (V, S), words per
    instance, 0 where not kept) need more words than it holds (``capacity``, −1: unbounded),
    or −1 when everything fits."""
    for s in range(sizes.shape[1]):
        if capacity[s] < 0:
            continue
        needed = 0
        for k in range(sizes.shape[2]):
            needed += sizes[i, s, k]
        if needed > capacity[s]:
            return s
    return -1


@kernel(inline="always")
def vector_accesses(total: float, instances: int, block: float) -> float:
    """Timeloop's pricing unit: a level is accessed a vector (`block` words) at a time, so each
    instance's share of `total` scalar accesses is rounded up to whole vectors."""
    if total == 0 or instances == 0:
        return 0.0
    return np.ceil(total / instances / block - 1e-9) * instances


# ------------------------------------------------------------------------------ rows
@kernel()
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
    floor: tuple,
) -> None:
    """Rows ``lo:hi`` (see the module docstring), serially.

    ``floor = (group, table, block, cornered, spaces, priced)``: with `group` empty, the counts
    of each row into `out`. Otherwise (``group``: one entry per slot, the permutable group of its
    loop, −1 for a loop that keeps its place) counts whose price (``table`` (V, 3) per vector
    access of ``block`` (V,) words) is a floor on the energy of every mapping that orders each
    group's loops in any way, up to rounding where ``cornered`` (N, S) is set
    (`hwsim.analytical.batch.energy_floors`), for the data spaces ``spaces`` (S,) marks (the
    others get no accesses: a data space's counts never depend on another's); each data space's
    floor, priced and less that rounding allowance, goes into ``priced`` (N, S), and of `out`
    only the instances, cycles, computes and fits are written (the counts, tiles and partitions
    arrays may have a single row):

    - deliveries: `_relaxed_total` replaces Timeloop's recursion; every later step (multicast,
      bookkeeping, pricing) is non-decreasing in them;
    - link transfers: where some order could let a neighbour forward a delta (`_relaxed_total`
      sees every move; a data space whose ranks each follow one dimension never can, see the
      comment at ``halo``), the share of each plan is unknown; each count is affine in
      the shares (a bypassed level's rescaling makes it linear-fractional), so over every way
      to share the deliveries among "multicast" and the plans the price is least at a corner:
      all by multicast, or all by one plan, per level. The cheapest corner's counts are
      written and ``cornered`` set (at most `FLOOR_CORNERS` corners per data space, else
      all-zero counts)."""
    slot_dim, temporal, prefix, group_ptr, group_slots, coef, terms, keep, read_write, capacity = (
        layout
    )
    hist_ptr, hist_c, hist_n, off_ptr, off_vec, off_linked, rest_ptr, rest_c, rest_n = fanout
    reads, fills, updates, instances, cycles, computes, fits, tiles, partitions = out
    n_slots = bounds.shape[1]
    n_spaces, ranks, n_dims = coef.shape
    levels = prefix.shape[0] - 1
    widest = 1
    plans = 1
    for e in range(hist_ptr.shape[0] - 1):
        width = hist_ptr[e + 1] - hist_ptr[e]
        for o in range(off_ptr[e], off_ptr[e + 1]):
            width += rest_ptr[o + 1] - rest_ptr[o]
        widest = max(widest, width)
        plans = max(plans, off_ptr[e + 1] - off_ptr[e])
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
    stack = np.zeros((n_slots + 2, 6), dtype=np.int64)
    size = np.zeros(levels, dtype=np.int64)
    received = np.zeros(levels)
    level_fanout = np.ones(levels)
    union = np.zeros(levels)
    partition = np.zeros(levels, dtype=np.int64)
    hv = np.zeros((levels, widest))
    hc = np.zeros((levels, widest), dtype=np.int64)
    hn = np.zeros(levels, dtype=np.int64)
    transfers = np.zeros(levels)
    link_amount = np.zeros((levels, plans))
    n_plans = np.zeros(levels, dtype=np.int64)
    counts = np.zeros((3, levels))
    scratch = np.zeros((3, levels))
    # the link recursion's memo, allocated (for the used loops of the row) when a row needs it
    link_memo = np.zeros((1, 1, 1, 3), dtype=np.int64)
    link_memo_amount = np.zeros((1, 1, 1, plans))
    stack_amount = np.zeros((n_slots + 2, plans))
    amount = np.zeros(plans)
    group, price_table, price_block, cornered, spaces, priced = floor
    floor_mode = group.shape[0] > 0
    floor_plans = np.zeros(levels, dtype=np.int64)
    chosen = np.zeros(levels, dtype=np.int64)
    best_counts = np.zeros((3, levels))
    dp = np.zeros(1 << min(n_slots, 10), dtype=np.int64)
    dp_sum = np.zeros((dp.shape[0], ranks), dtype=np.int64)
    scratch_move = np.zeros((1, ranks), dtype=np.int64)
    row_tiles = np.zeros((1, levels, n_spaces), dtype=np.int64)  # floors: the capacity check

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

        for k in range(n_spaces):
            for s in range(levels):
                floor_plans[s] = 0
            # floors: a data space none of whose ranks mixes two dimensions (of size > 1) moves
            # only by whole multiples of a neighbour's spatial step times the fanout along it,
            # never by a neighbour's offset nor by a slide: no link plan can serve it
            halo = False
            if floor_mode:
                for r in range(ranks):
                    mixed = 0
                    for d in range(n_dims):
                        if coef[k, r, d] != 0 and ext[n_slots, d] > 1:
                            mixed += 1
                    halo = halo or mixed > 1
            volume = 1
            for b in range(levels + 1):
                if b and prefix[b] == prefix[b - 1]:  # a level without loops: the same tile
                    for r in range(ranks):
                        hull[b, r] = hull[b - 1, r]
                else:
                    volume = _hull(ext, prefix[b], terms, k, hull, b)
                if b:
                    size[b - 1] = volume
            if floor_mode and not spaces[k]:  # left out of this floor: its tiles only
                cornered[i, k] = False
                priced[i, k] = 0.0
                for s in range(levels):
                    row_tiles[0, s, k] = size[s] if keep[k, s] else 0
                continue
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
            # per level boundary: reuse totals (level above) and link plans (its fanout)
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
                carried = same_as_below and b >= 2
                if floor_mode:
                    p_lo = 0
                    p_hi = 0
                    if halo and b < levels and cfg[i, b] >= 0:
                        e = cfg[i, b] * n_spaces + k
                        p_lo, p_hi = off_ptr[e], off_ptr[e + 1]
                    # deliveries into the tile of a level that does not keep this data space
                    # count for nothing (bookkeeping scales them away: a bypassed level's
                    # accesses pass to the next level out in proportion), unless a level above
                    # it without loops of its own takes them over (`carried`) and keeps it
                    wanted = False
                    if b >= 1 and not carried:
                        t = b - 1
                        while t < levels:
                            if keep[k, t]:
                                wanted = True
                                break
                            if t + 2 <= levels and prefix[t + 2] == prefix[t + 1]:
                                t += 1
                            else:
                                break
                    if b and not carried and not wanted:
                        received[b - 1] = whole
                    if wanted or p_hi > p_lo:
                        total, links = _relaxed_total(
                            count,
                            first,
                            used,
                            group,
                            step,
                            below,
                            moves,
                            weight,
                            delta,
                            still,
                            hull,
                            b,
                            whole,
                            off_vec,
                            p_lo,
                            p_hi,
                            b == 0,
                            wanted,
                            scratch_move,
                            dp,
                            dp_sum,
                        )
                        if wanted:
                            received[b - 1] = whole + total
                        if links:
                            floor_plans[b] = p_hi - p_lo
                if carried:
                    received[b - 1] = received[b - 2]
                elif b and not floor_mode:
                    token += 1
                    total = _timeloop_total(
                        count, weight, delta, still, local_key, whole, legacy, memo, token, stack
                    )
                    received[b - 1] = whole + total
                if b < levels:
                    n_plans[b] = 0
                    g = cfg[i, b]
                    if g >= 0:
                        e = g * n_spaces + k
                        p_lo, p_hi = off_ptr[e], off_ptr[e + 1]
                        if (
                            not floor_mode
                            and p_hi > p_lo
                            and _links_possible(
                                moves,
                                moved,
                                moved_rank,
                                count,
                                hull,
                                b,
                                off_vec,
                                p_lo,
                                p_hi,
                                legacy,
                                b == 0,
                            )
                        ):
                            if link_memo.shape[0] < count + 1:  # sized by used loops
                                link_memo = np.zeros(
                                    (n_used + 1, n_used + 1, n_used + 2, 3), dtype=np.int64
                                )
                                link_memo_amount = np.zeros(
                                    (n_used + 1, n_used + 1, n_used + 2, plans)
                                )
                            token += 1
                            _link_amounts(
                                count,
                                weight,
                                delta,
                                still,
                                local_key,
                                moves,
                                moved,
                                moved_rank,
                                hull,
                                b,
                                legacy,
                                b == 0,
                                off_vec,
                                p_lo,
                                p_hi,
                                link_memo,
                                link_memo_amount,
                                token,
                                stack,
                                stack_amount,
                                amount,
                            )
                            n_plans[b] = p_hi - p_lo
                            for o in range(p_hi - p_lo):
                                link_amount[b, o] = amount[o]

            # floors: one pass per corner of the link plans' shares (docstring); else one pass
            corners = 1
            for s in range(levels):
                corners *= floor_plans[s] + 1
            best_price = np.inf
            for corner in range(corners if corners <= FLOOR_CORNERS else 1):
                rest = corner
                for s in range(levels):
                    if floor_mode:
                        chosen[s] = rest % (floor_plans[s] + 1)
                        rest //= floor_plans[s] + 1
                        n_plans[s] = floor_plans[s]
                        for o in range(floor_plans[s]):
                            link_amount[s, o] = 0.0
                # accesses per multicast pair, per level: the steps no link plan serves go by
                # multicast alone; those a plan serves leave its linked instances to their
                # neighbours
                for s in range(levels):
                    child = received[s - 1] if s else float(cyc)
                    g = cfg[i, s]
                    transfers[s] = 0.0
                    if g < 0:
                        hn[s] = 1
                        hc[s, 0] = 1
                        hv[s, 0] = child
                        union[s] = float(size[s])
                        continue
                    e = g * n_spaces + k
                    if floor_mode and chosen[s] > 0:  # this corner: one plan serves every step
                        link_amount[s, chosen[s] - 1] = child
                    alone = child
                    for o in range(n_plans[s]):
                        alone -= link_amount[s, o]
                    n = 0
                    for j in range(hist_ptr[e], hist_ptr[e + 1]):
                        hc[s, n] = hist_c[j]
                        hv[s, n] = hist_n[j] * alone
                        n += 1
                    for o in range(n_plans[s]):
                        plan = off_ptr[e] + o
                        transfers[s] += off_linked[plan] * link_amount[s, o]
                        for j in range(rest_ptr[plan], rest_ptr[plan + 1]):
                            hc[s, n] = rest_c[j]
                            hv[s, n] = rest_n[j] * link_amount[s, o]
                            n += 1
                    hn[s] = n
                    width = group_ptr[s + 1] - group_ptr[s]
                    union[s] = float(_hull(ext, prefix[s] + width, terms, k, spare, 0))

                bookkeeping(
                    size,
                    union,
                    level_fanout,
                    hv,
                    hc,
                    hn,
                    transfers,
                    keep,
                    k,
                    read_write[k],
                    subtract_first,
                    instances,
                    i,
                    partition,
                    counts,
                    scratch,
                )
                if corners > 1 and corners <= FLOOR_CORNERS:
                    price = 0.0
                    for s in range(levels):
                        for a in range(3):
                            price += (
                                vector_accesses(counts[a, s], instances[i, s], price_block[s])
                                * price_table[s, a]
                            )
                    if price < best_price:
                        best_price = price
                        for s in range(levels):
                            for a in range(3):
                                best_counts[a, s] = counts[a, s]
            if corners > FLOOR_CORNERS:
                for s in range(levels):
                    for a in range(3):
                        counts[a, s] = 0.0
            elif corners > 1:
                for s in range(levels):
                    for a in range(3):
                        counts[a, s] = best_counts[a, s]
            if floor_mode:
                # priced here, less the rounding allowance of a cornered data space: (1 / block
                # + 1) <= 2 vectors per instance and count (`hwsim.analytical.batch.energy_floors`)
                price = 0.0
                for s in range(levels):
                    row_tiles[0, s, k] = size[s] if keep[k, s] else 0
                    for a in range(3):
                        price += (
                            vector_accesses(counts[a, s], instances[i, s], price_block[s])
                            * price_table[s, a]
                        )
                        if corners > 1:
                            price -= 2.0 * instances[i, s] * price_table[s, a]
                cornered[i, k] = corners > 1
                priced[i, k] = price
                continue
            for s in range(levels):
                reads[i, s, k] = counts[0, s]
                fills[i, s, k] = counts[1, s]
                updates[i, s, k] = counts[2, s]
                tiles[i, s, k] = size[s] if keep[k, s] else 0
                partitions[i, s, k] = partition[s]
        if floor_mode:
            fits[i] = overfull_level(row_tiles, 0, capacity) < 0
        else:
            fits[i] = overfull_level(tiles, i, capacity) < 0


@kernel(parallel=True)
def evaluate_rows(
    bounds: np.ndarray,
    cfg: np.ndarray,
    layout: tuple,
    fanout: tuple,
    out: tuple,
    legacy: bool,
    subtract_first: bool,
    floor: tuple,
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
            floor,
        )


@kernel()
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
    `vector_accesses` (``block[level]`` words) times ``table[level, action]`` (read, fill,
    update)."""
    levels, spaces = reads.shape[1], reads.shape[2]
    for i in range(lo, hi):
        for s in range(levels):
            inst = instances[i, s]
            for k in range(spaces):
                acc = 0.0
                acc += vector_accesses(reads[i, s, k], inst, block[s]) * table[s, 0]
                acc += vector_accesses(fills[i, s, k], inst, block[s]) * table[s, 1]
                acc += vector_accesses(updates[i, s, k], inst, block[s]) * table[s, 2]
                out[i, s, k] = acc


@kernel(parallel=True)
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


@kernel(inline="always")
def _kept_sizes(
    bounds: np.ndarray,
    i: int,
    layout: tuple,
    ext: np.ndarray,
    spare: np.ndarray,
    out: np.ndarray,
    row: int,
) -> None:
    """Words of each kept data space one instance of each level holds for row `i` of `bounds`,
    into ``out[row]`` (V, S) (0 where a level does not keep it): the tiles' bounding boxes."""
    slot_dim, _, prefix, _, _, coef, terms, keep, _, _ = layout
    for d in range(ext.shape[1]):
        ext[0, d] = 1
    p = 0
    for s in range(prefix.shape[0] - 1):
        while p < prefix[s + 1]:
            ext[0, slot_dim[p]] *= bounds[i, p]
            p += 1
        for k in range(coef.shape[0]):
            out[row, s, k] = _hull(ext, 0, terms, k, spare, 0) if keep[k, s] else 0


@kernel()
def tile_sizes_chunk(lo: int, hi: int, bounds: np.ndarray, layout: tuple, out: np.ndarray) -> None:
    """`_kept_sizes` of rows ``lo:hi``, into `out` (N, V, S)."""
    coef = layout[5]
    ext = np.ones((1, coef.shape[2]), dtype=np.int64)
    spare = np.zeros((1, coef.shape[1]), dtype=np.int64)
    for i in range(lo, hi):
        _kept_sizes(bounds, i, layout, ext, spare, out, i)


@kernel()
def tile_fits_chunk(lo: int, hi: int, bounds: np.ndarray, layout: tuple, out: np.ndarray) -> None:
    """Whether every level's kept tiles fit its capacity (`overfull_level`), rows ``lo:hi``,
    into `out` (N,)."""
    coef, capacity = layout[5], layout[9]
    ext = np.ones((1, coef.shape[2]), dtype=np.int64)
    spare = np.zeros((1, coef.shape[1]), dtype=np.int64)
    sizes = np.zeros((1, layout[2].shape[0] - 1, coef.shape[0]), dtype=np.int64)
    for i in range(lo, hi):
        _kept_sizes(bounds, i, layout, ext, spare, sizes, 0)
        out[i] = overfull_level(sizes, 0, capacity) < 0


@kernel(parallel=True)
def tile_fits_rows(bounds: np.ndarray, layout: tuple, out: np.ndarray) -> None:
    """`tile_fits_chunk` over all rows, chunks of `CHUNK` rows in parallel."""
    n = bounds.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        tile_fits_chunk(c * CHUNK, min(n, (c + 1) * CHUNK), bounds, layout, out)
