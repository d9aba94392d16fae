"""Oracle (tests only): Timeloop's delivery recursion written out plainly, per mapping, in exact
integers — the scalar model the engine (`hwsim.analytical.kernel`) replaced, kept to check it.

How many elements a level receives over a run: closed forms for two reuse policies.

Every time the loops above a child level advance, the child's tile moves. What it must receive is
the new tile minus what it keeps. Let the loops above the child's boundary be ``j = 1..K``
(innermost first, bounds ``n_j``) and let ``v_j`` be the data-space translation of one step of
loop ``j``. When loop ``j`` advances and the loops below it wrap around, the tile moves by

    t_j = v_j − Σ_{i<j} (number of steps loop i took) · v_i.

**Retain-tile policy** (`retain_tile_total`, what the trace simulator does): the child keeps its
last tile and fetches the points it lacks, whatever moved. Loop ``j`` advances
``(n_j − 1) · Π_{i>j} n_i`` times, each after the inner loops completed ``n_i − 1`` steps:

    D = |B| + Σ_j (n_j − 1) · Π_{i>j} n_i · (|B| − |B ∩ (B + t_j)|).

**Timeloop policy** (`timeloop_total`): Timeloop's nest analysis runs only iterations #0 and #1
of every loop and scales iteration #1 by ``n − 1``, so the inner loops "wrap" from index 1 and
``t_j = v_j − Σ_{i<j} v_i``. The leaves of this binary recursion form a ruler sequence: leaf
``x`` moves by ``t_j`` for ``j`` the lowest loop at index 1, and weighs ``Π (n_i − 1)`` over its
index-1 loops. Timeloop also refuses sliding-window reuse whenever the direction of movement
changes; the stride state machine differs by version:

- master (2024+): a zero move (stationary tile) costs nothing and leaves the remembered stride
  alone; a non-zero move is subtracted if no stride is remembered (then remembered) or equals
  the remembered one; otherwise the whole tile is re-fetched and the memory is cleared;
- v3.0: the first move is remembered even when it is zero, so a tile that was stationary and
  then slides (an outer loop whose inner loops are all irrelevant) is re-fetched whole.

A subtraction of two equal-sized boxes keeps only the part that slid in: ``|t_r| · Π_{s≠r} e_s``
when they differ along one rank ``r`` by less than its extent, else the whole box.
`timeloop_total` evaluates the recursion exactly by dynamic programming over
(subtree height, remembered stride): O(K²) instead of 2^K leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from math import prod

from hwsim.analytical.retain import retain_tile_total  # noqa: F401 (the retain rule is the library's own model, not an oracle of it)

Vector = tuple[int, ...]
Step = tuple[int, Vector]  # (loop bound, translation of one step)

TIMELOOP_VERSIONS = ("master", "v3.0", "e1d76d6")


def _sub(a: Vector, b: Vector, times: int = 1) -> Vector:
    return tuple(x - times * y for x, y in zip(a, b, strict=True))


def box_delta(shift: Vector, extent: Sequence[int]) -> int:
    """Points of a box that are not in the same box translated by `shift` (Timeloop's AAHR rule)."""
    moved = [r for r, t in enumerate(shift) if t]
    whole = prod(extent)
    if not moved:
        return 0
    if len(moved) > 1:
        return whole  # differs along two ranks: Timeloop keeps nothing
    r = moved[0]
    t = abs(shift[r])
    if t >= extent[r]:
        return whole
    return t * (whole // extent[r])


def extrapolated_moves(steps: Sequence[Step], ranks: int) -> list[Vector]:
    """t_j = v_j − Σ_{i<j} v_i: how the tile moves when loop j advances and the loops inside it
    wrap from Timeloop's representative iteration #1 back to #0."""
    moves: list[Vector] = []
    below: Vector = tuple(0 for _ in range(ranks))
    for _, v in steps:
        moves.append(_sub(v, below))
        below = tuple(a + b for a, b in zip(below, v, strict=True))
    return moves


def timeloop_total(steps: Sequence[Step], extent: Sequence[int], version: str = "master") -> int:
    """Elements delivered to a child whose tile is a box of `extent`, per Timeloop's nest analysis."""
    if version not in TIMELOOP_VERSIONS:
        raise ValueError(f"unknown Timeloop version {version!r}; choose one of {TIMELOOP_VERSIONS}")
    extent = tuple(extent)
    whole = prod(extent)
    bounds = [n for n, _ in steps]
    moves = extrapolated_moves(steps, len(extent))
    zero: Vector = tuple(0 for _ in extent)
    legacy = version != "master"

    def advance(state: Vector | None, move: Vector) -> tuple[int, Vector | None]:
        stationary = move == zero
        if legacy:
            if state is None:
                return (0 if stationary else box_delta(move, extent)), move
            if move == state:
                return (0 if stationary else box_delta(move, extent)), state
            return whole, None
        if stationary:
            return 0, state
        if state is None:
            return box_delta(move, extent), move
        if move == state:
            return box_delta(move, extent), state
        return whole, None

    @cache
    def subtree(k: int, state: Vector | None) -> tuple[int, Vector | None]:
        # All leaves of a height-k subtree except its first, entered with `state`.
        if k == 0:
            return 0, state
        first, s1 = subtree(k - 1, state)
        delta, s2 = advance(s1, moves[k - 1])
        rest, s3 = subtree(k - 1, s2)
        return first + (bounds[k - 1] - 1) * (delta + rest), s3

    total, _ = subtree(len(steps), None)
    return whole + total


# ------------------------------------------------------------------------ per-leaf events
@dataclass(frozen=True)
class Delta:
    """What a child receives at one step: a box of `shape` at `offset` from its tile's origin."""

    shape: Vector
    offset: Vector

    @property
    def size(self) -> int:
        return prod(self.shape)


#: (index of the loop whose advance produced the step, or -1 for the first step; the previous
#: step's delta; this step's delta). ``None`` is an empty delta.
Event = tuple[int, Delta | None, Delta | None]


def _box_delta_shape(shift: Vector, extent: Vector) -> Delta:
    """The part of a box that is not in the box translated back by `shift` (see `box_delta`)."""
    moved = [r for r, t in enumerate(shift) if t]
    whole = Delta(extent, tuple(0 for _ in extent))
    if len(moved) != 1 or abs(shift[moved[0]]) >= extent[moved[0]]:
        return whole
    r, t = moved[0], shift[moved[0]]
    shape = tuple(abs(t) if i == r else e for i, e in enumerate(extent))
    offset = tuple((extent[r] - t if t > 0 else 0) if i == r else 0 for i in range(len(extent)))
    return Delta(shape, offset)


def timeloop_events(
    steps: Sequence[Step], extent: Sequence[int], version: str = "master", *, fresh: bool = False
) -> tuple[dict[Event, int], list[Vector]]:
    """Weighted steps of Timeloop's recursion, classified by what moved (see `timeloop_total`).

    Returns the weight of every distinct `Event` and the per-loop moves ``t_j``. With
    `fresh`, every step delivers the whole tile (the compute units keep nothing).
    Used where a spatial fanout needs each step's delta as a box, to find multicasts and the
    neighbour-to-neighbour link transfers Timeloop models.
    """
    extent = tuple(extent)
    bounds = [n for n, _ in steps]
    moves = extrapolated_moves(steps, len(extent))
    zero: Vector = tuple(0 for _ in extent)
    whole = Delta(extent, zero)
    legacy = version != "master"

    def advance(state: Vector | None, move: Vector) -> tuple[Delta | None, Vector | None]:
        if fresh:
            return whole, None
        stationary = move == zero
        if legacy:
            if state is None:
                return (None if stationary else _box_delta_shape(move, extent)), move
            if move == state:
                return (None if stationary else _box_delta_shape(move, extent)), state
            return whole, None
        if stationary:
            return None, state
        if state is None or move == state:
            return _box_delta_shape(move, extent), (move if state is None else state)
        return whole, None

    def add(into: dict[Event, int], events: dict[Event, int], times: int) -> None:
        for key, weight in events.items():
            into[key] = into.get(key, 0) + weight * times

    @cache
    def subtree(
        k: int, state: Vector | None, last: Delta | None
    ) -> tuple[tuple[tuple[Event, int], ...], Vector | None, Delta | None]:
        if k == 0:
            return (), state, last
        first, s1, d1 = subtree(k - 1, state, last)
        delta, s2 = advance(s1, moves[k - 1])
        rest, s3, d3 = subtree(k - 1, s2, delta)
        events: dict[Event, int] = {}
        add(events, dict(first), 1)
        add(events, {(k - 1, d1, delta): 1}, bounds[k - 1] - 1)
        add(events, dict(rest), bounds[k - 1] - 1)
        return tuple(events.items()), s3, d3

    inner, _, _ = subtree(len(steps), None, whole)
    events: dict[Event, int] = {(-1, None, whole): 1}
    add(events, dict(inner), 1)
    return events, moves
