"""The optimal mapper: every mapping of the mapspace, scored by the engine or excluded by a sound bound.

A mapping is a bypass choice, a loop order per level and every loop bound. This search visits
all of them implicitly and says whether its answer is proven optimal:

1. **Capacity.** Per bypass choice, every factorization (`Mapspace.factor_rows`, mesh limits
   applied) whose tiles fit every level (`tile_fits`). A tile only grows with each loop bound
   below it, so `Mapspace.factor_options` may drop a split of one dimension that overflows with
   every other dimension at 1: no completion of it fits. Capacity does not depend on loop order.
2. **Symmetry.** The engine walks only the *used* temporal loops of a row (bound > 1,
   `hwsim.analytical.kernel.evaluate_chunk`): a loop of bound 1 has no step, no weight and no
   extent, so where it sits changes nothing. The loop orders of a factorization are therefore
   the permutations of its used loops at each level whose order is free — not of every
   dimension (6! × 6! orders become Π |used|!). Every such order is evaluated.
3. **Floors.** Every factorization gets a floor on the primary key of all the mappings it
   stands for (all orders of its used loops), and factorizations are visited in rising order
   of it, a wave at a time; once the next floor exceeds the best score found, every mapping
   left is excluded and the best is proven optimal:

   - cycles: the compute cycles, the product of the temporal bounds
     (`hwsim.mapper.candidates.cycle_bounds`; Timeloop's bandwidth throttling and network
     latency only add); delay breaks ties by energy, so factorizations whose cycle floor ties
     the fewest cycles found are then ranked, and excluded, by their energy floor;
   - energy: `hwsim.analytical.batch.energy_floors`, the engine run with Timeloop's delivery
     recursion relaxed so that its minimum over the orders of each free level is exact to
     compute (`hwsim.analytical.kernel._relaxed_total`: every move pays only its box delta;
     a level's loops then interact with other levels only through sums and products, so the
     minimum over all orders is each level's minimum, found by dynamic programming over the
     subsets of its loops), with link transfers bounded by the cheapest corner of their
     shares; never below the computes' energy;
   - EDP: the two floors multiplied.

   Energy and EDP floors come in two stages (`_Floors`): one data space's for every
   factorization, the others' only for those the best found so far does not exclude. The first
   wave visits the best of the factorizations whose floors were completed first (those with the
   least first-stage floors); from then on a factorization is visited only once its floor is
   complete and the least left.

   On ResNet-32's layers on the course's Eyeriss-like accelerator (architecture constraints
   only) the floors exclude 99 % or more of the 0.5 to 15 million mappings per objective.

No other pruning is used: the engine's counts depend on the exact order of the used loops
(Timeloop's stride state machine and link transfers), so orders are never merged by a rule that
the engine does not obey by construction, and a floor never assumes more reuse than some order
could give (tests compare every floor with every order's energy). The result is proven optimal
when the search runs to its end; a time limit reached first says so and how much was left. The
best row is written back as an ordinary mapping and evaluated again by `hwsim.evaluate`.

The loop orders of one bypass choice share one wide `Skeleton`: a level with free order gets
one copy of its free dimensions per position (``|free|`` blocks), and a row puts the bound of
the ``i``-th innermost used loop in block ``i``; unused copies stay 1. So all orders of all
factorizations run through the engine in large batches.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from math import factorial, prod

import numpy as np

from hwsim.analytical.batch import (
    BatchResult,
    Skeleton,
    Slot,
    energy_floors,
    energy_vectors,
    evaluate_batch,
    tile_fits,
)
from hwsim.energy.table import EnergyTable
from hwsim.errors import SpecError
from hwsim.mapper.candidates import cycle_bounds
from hwsim.mapper.constraints import MapspaceConstraints
from hwsim.mapper.search import MapperResult, MapperSettings, objective_keys
from hwsim.mapper.space import Mapspace
from hwsim.nest import Axis
from hwsim.spec.architecture import Architecture
from hwsim.spec.problem import Problem

#: Rows per engine batch (bounds one batch's memory; large enough to keep the threads busy).
BATCH_ROWS = 200_000


def row_cycles(result: BatchResult) -> np.ndarray:
    """The cycles the delay and EDP objectives rank by: the one place to swap in another model
    of cycles (it must stay at least `cycle_bounds`, or the delay bound is no longer sound)."""
    return result.cycles.astype(np.float64)


def is_open(space: Mapspace, settings: MapperSettings) -> bool:
    """Whether the sampling mapper (`hwsim.mapper.search.map_problem`) would sample this space
    rather than evaluate all of it: too many loop orders, or too many factorizations."""
    skeletons = space.order_count() * len(space.keep_choices)
    if skeletons > settings.max_skeletons:
        return True
    rows = 0
    for keep in space.keep_choices:
        rows += space.factor_count(space.skeleton(keep, space.default_orders()))
        if rows * space.order_count() > settings.budget:
            return True
    return False


@dataclass(frozen=True)
class WideLayout:
    """One bypass choice's wide skeleton and where each loop of a compact row goes in it.

    Attributes:
        compact: the skeleton of the default orders (factorizations are its rows).
        wide: the skeleton with one block of free dimensions per position at free levels.
        fixed_from, fixed_to: compact → wide columns of loops whose place is fixed.
        free_levels: per level with a free order: (level, its free dimensions, compact column
            of each, first wide column of its blocks).
    """

    compact: Skeleton
    wide: Skeleton
    fixed_from: np.ndarray
    fixed_to: np.ndarray
    free_levels: tuple[tuple[int, tuple[str, ...], tuple[int, ...], int], ...]

    @classmethod
    def of(cls, space: Mapspace, keep: dict[str, tuple[bool, ...]]) -> WideLayout:
        compact = space.skeleton(keep, space.default_orders())
        column = {
            (slot.level, slot.axis, slot.dimension): i for i, slot in enumerate(compact.slots)
        }
        slots: list[Slot] = []
        fixed: list[tuple[int, int]] = []
        free_levels = []
        for s, plan in enumerate(space.plans):
            placed: list[tuple[str, Axis]] = [*plan.spatial, *((d, "T") for d in plan.inner)]
            if len(plan.free) > 1:
                for dim, axis in placed:
                    fixed.append((column[s, axis, dim], len(slots)))
                    slots.append(Slot(dim, axis, s))
                free_levels.append(
                    (s, plan.free, tuple(column[s, "T", d] for d in plan.free), len(slots))
                )
                slots += [Slot(dim, "T", s) for _block in plan.free for dim in plan.free]
                placed = [(dim, "T") for dim in plan.outer]
            else:
                placed += [(dim, "T") for dim in (*plan.free, *plan.outer)]
            for dim, axis in placed:
                fixed.append((column[s, axis, dim], len(slots)))
                slots.append(Slot(dim, axis, s))
        wide = Skeleton(
            space.problem, space.architecture, space.level_names, tuple(slots), compact.keep
        )
        pairs = np.array(fixed, dtype=np.int64).reshape(-1, 2)
        return cls(compact, wide, pairs[:, 0], pairs[:, 1], tuple(free_levels))

    def groups(self) -> np.ndarray:
        """Per compact slot, the free level (its index in `free_levels`) whose order it may take
        any place in, −1 where its place is fixed (`hwsim.analytical.batch.energy_floors`)."""
        out = np.full(len(self.compact.slots), -1, dtype=np.int64)
        for g, (_s, _free, cols, _base) in enumerate(self.free_levels):
            out[list(cols)] = g
        return out

    def used_masks(self, rows: np.ndarray) -> np.ndarray:
        """(rows, free levels): bit j set where free dimension j of the level has bound > 1."""
        out = np.zeros((len(rows), len(self.free_levels)), dtype=np.int64)
        for k, (_s, _free, cols, _base) in enumerate(self.free_levels):
            for j, c in enumerate(cols):
                out[:, k] |= (rows[:, c] > 1).astype(np.int64) << j
        return out

    def orders(self, masks: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], ...]]:
        """Every order of the used loops: per free level, free-dimension indices innermost first."""
        used = [
            tuple(j for j in range(len(free)) if mask >> j & 1)
            for (_s, free, _c, _b), mask in zip(self.free_levels, masks, strict=True)
        ]
        return itertools.product(*[itertools.permutations(u) for u in used])

    def widen(self, rows: np.ndarray, orders: list[tuple[tuple[int, ...], ...]]) -> np.ndarray:
        """Wide rows for every (order, row) pair, order-major: rows that share one used-loop
        pattern (the patterns `orders` permutes)."""
        n, width = len(rows), len(self.wide.slots)
        out = np.ones((len(orders), n, width), dtype=np.int64)
        out[:, :, self.fixed_to] = rows[None, :, self.fixed_from]
        # each used loop's compact column, in a fixed order; per order, its wide column
        sources = (
            [
                cols[j]
                for (_s, _f, cols, _b), perm in zip(self.free_levels, orders[0], strict=True)
                for j in sorted(perm)
            ]
            if orders
            else []
        )
        targets = [
            [
                base + perm.index(j) * len(free) + j
                for (_s, free, _c, base), perm in zip(self.free_levels, order, strict=True)
                for j in sorted(perm)
            ]
            for order in orders
        ]
        if sources:
            t = np.array(targets, dtype=np.int64)
            out[np.arange(len(orders))[:, None], :, t] = rows[:, sources].T[None]
        return out.reshape(len(orders) * n, width)

    def compact_mapping(self, space: Mapspace, wide_row: np.ndarray) -> tuple[Skeleton, np.ndarray]:
        """The ordinary skeleton and row of one wide row (its used loops in their order)."""
        orders = list(space.default_orders())
        for s, free, _cols, base in self.free_levels:
            used = []
            for position in range(len(free)):
                for j, dim in enumerate(free):
                    if wide_row[base + position * len(free) + j] > 1:
                        used.append(dim)
            orders[s] = (*used, *(d for d in free if d not in used))
        skeleton = space.skeleton(dict(self.compact.keep), tuple(orders))
        bound: dict[tuple[int, str, str], int] = {}
        for i, slot in enumerate(self.wide.slots):
            key = (slot.level, slot.axis, slot.dimension)
            bound[key] = bound.get(key, 1) * int(wide_row[i])
        row = np.array([bound.get((sl.level, sl.axis, sl.dimension), 1) for sl in skeleton.slots])
        return skeleton, row


@dataclass(frozen=True)
class Search:
    """How an optimal search went: the best wide row and the accounting behind the claim."""

    layout: WideLayout | None
    row: np.ndarray | None
    score: tuple[float, float]
    mappings: int
    evaluated: int
    skipped: int
    proven: bool
    reason: str


def map_optimal(
    problem: Problem,
    architecture: Architecture,
    constraints: MapspaceConstraints,
    table: EnergyTable,
    settings: MapperSettings | None = None,
    *,
    energy_floor: float | None = None,
) -> MapperResult:
    """The best mapping of `problem` on `architecture` under `constraints`, proven optimal unless
    `settings.time_limit_s` ran out first (see module docstring).

    `energy_floor`: a known lower bound on the energy of every mapping of this mapspace (the
    proven energy optimum, say): no factorization's energy floor is taken below it, which
    tightens the EDP floors (the computes' energy is such a bound in any case).
    """
    start = time.perf_counter()
    settings = settings or MapperSettings()
    space = Mapspace.build(problem, architecture, constraints)
    found = search(space, table, settings, energy_floor=energy_floor)
    if found.row is None or found.layout is None:
        raise SpecError(
            f"no valid mapping of {problem.name} fits {architecture.name} under the constraints "
            "(check capacities, fanouts and fixed factors)"
        )
    skeleton, row = found.layout.compact_mapping(space, found.row)
    return MapperResult.of_row(
        problem,
        architecture,
        table,
        settings,
        skeleton,
        row,
        evaluated=found.evaluated,
        valid=found.evaluated,
        skeletons=len(space.keep_choices),
        exhaustive=found.proven,
        seconds=time.perf_counter() - start,
        notes=(found.reason,),
        proven_optimal=found.proven,
    )


def search(
    space: Mapspace,
    table: EnergyTable,
    settings: MapperSettings,
    *,
    energy_floor: float | None = None,
    waves: tuple[int, int] | None = None,
    refine_rows: int | None = None,
) -> Search:
    """Visit every mapping of `space` (module docstring); the best by `settings.objective`.
    `energy_floor`: as `map_optimal`'s; `waves`: mappings evaluated before the floors are
    compared with the best score again, first and later (default `WAVES`); `refine_rows`:
    factorizations whose energy floor is completed at a time (default `REFINE_ROWS`)."""
    start = time.perf_counter()
    objective = settings.objective
    vectors = energy_vectors(space.skeleton(space.keep_choices[0], space.default_orders()), table)
    global_floor = _compute_energy(space, vectors)
    if energy_floor is not None:
        global_floor = max(global_floor, energy_floor)
    floors = _Floors(space, vectors, settings, global_floor)
    # every factorization of every bypass choice, with its used-loop pattern and a floor of
    # every mapping it stands for (all orders of its used loops): complete, or for energy and
    # EDP at first only that of the computes and one data space (`_Floors`)
    parts = []
    for keep in space.keep_choices:
        layout = WideLayout.of(space, keep)
        rows = space.factor_rows(layout.compact)
        rows = rows[tile_fits(layout.compact, rows)]
        parts.append((layout, rows, layout.used_masks(rows)))
    floors.choose_stages(parts)
    ranking = _Ranking.of([floors.initial(layout, rows) for layout, rows, _m in parts])
    counts = [_order_counts(masks) for _l, _r, masks in parts]
    ranking.orders = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    mappings = int(ranking.orders.sum())
    ranking.sort(0)
    refine_rows = refine_rows or REFINE_ROWS

    best_score = (np.inf, np.inf)
    best_layout: WideLayout | None = None
    best_row: np.ndarray | None = None
    evaluated = 0

    def outcome(proven: bool, reason: str) -> Search:  # the search so far, as a claim
        skipped = mappings - evaluated if proven else 0
        return Search(
            best_layout, best_row, best_score, mappings, evaluated, skipped, proven, reason
        )

    def out_of_time() -> bool:
        return bool(settings.time_limit_s) and time.perf_counter() - start > settings.time_limit_s

    def timed_out() -> Search:
        return outcome(
            False,
            f"not proven optimal: the time limit ({settings.time_limit_s:g} s) "
            f"ran out after {evaluated:,} of {mappings:,} mappings",
        )

    def refine(lo: int, hi: int) -> None:
        """Complete the floors of the factorizations at ranks ``lo:hi`` not yet complete, then
        rank everything from `lo` again (floors only rise)."""
        todo = np.flatnonzero(~ranking.complete[lo:hi]) + lo
        for p, (layout, rows, _m) in enumerate(parts):
            mine = todo[ranking.part[todo] == p]
            if len(mine):
                floors.complete(layout, rows[ranking.index[mine]], ranking, mine)
        ranking.sort(lo)

    def visit(ranks: np.ndarray) -> Search | None:
        """Evaluate every order of the factorizations at `ranks` that are not yet visited and
        whose floor the best found so far (it improves meanwhile) does not exclude; a `Search`
        when the time limit runs out."""
        nonlocal best_score, best_layout, best_row, evaluated
        for p, (layout, rows, masks) in enumerate(parts):
            alive = ranking.floor[ranks] <= best_score[0] * (1 + FLOOR_MARGIN)
            mine = ranks[(ranking.part[ranks] == p) & alive & ~ranking.visited[ranks]]
            ranking.visited[mine] = True
            mine = ranking.index[mine]
            for pattern in np.unique(masks[mine], axis=0):
                group = rows[mine[(masks[mine] == pattern).all(axis=1)]]
                orders = list(layout.orders(tuple(pattern.tolist())))
                per = max(1, BATCH_ROWS // len(group))
                for at in range(0, len(orders), per):
                    if out_of_time():
                        return timed_out()
                    wide = layout.widen(group, orders[at : at + per])
                    result = evaluate_batch(
                        layout.wide, wide, version=settings.timeloop_version, energy=vectors
                    )
                    evaluated += len(wide)
                    assert result.energy_pj is not None  # priced: given energy vectors
                    ok = np.flatnonzero(result.fits)
                    if not len(ok):
                        continue
                    primary, secondary = objective_keys(
                        result.energy_pj[ok], row_cycles(result)[ok], objective
                    )
                    i = int(np.lexsort((secondary, primary))[0])
                    score = (float(primary[i]), float(secondary[i]))
                    if score < best_score:
                        best_score, best_layout, best_row = score, layout, wide[ok[i]]
        return None

    first_wave, later_waves = waves or WAVES
    if not ranking.complete.all():
        # a first best to exclude by: complete the floors of the most promising factorizations
        # (the least first-stage floors) and visit the best of those
        refine(0, refine_rows)
        chosen = np.flatnonzero(ranking.complete)
        wave_end = int(np.searchsorted(np.cumsum(ranking.orders[chosen]), first_wave)) + 1
        if (stopped := visit(chosen[:wave_end])) is not None:
            return stopped
    done = 0  # factorizations visited or excluded (a prefix of the ranking)
    wave = first_wave
    # delay: the factorizations whose cycle floor ties the fewest cycles found can only win on
    # energy; once reached, they are ranked by their energy floor (`tie_end`: where they end)
    tie_end = 0
    while done < len(ranking) and not ranking.floor[done] > best_score[0] * (1 + FLOOR_MARGIN):
        if objective == "delay" and done >= tie_end and ranking.floor[done] == best_score[0]:
            tie_end = done + int(np.searchsorted(ranking.floor[done:], best_score[0], side="right"))
            ties = slice(done, tie_end)
            for p, (layout, rows, _m) in enumerate(parts):
                mine = np.flatnonzero(ranking.part[ties] == p) + done
                ranking.second[mine] = floors.energy(layout, rows[ranking.index[mine]])
            ranking.permute(np.argsort(ranking.second[ties], kind="stable") + done, ties)
        if done < tie_end and ranking.second[done] > best_score[1] * (1 + FLOOR_MARGIN):
            done = tie_end  # no tie left can use less energy
            continue
        # the next wave: factorizations in rank order up to `wave` mappings, none above the best
        limit = best_score[0] * (1 + FLOOR_MARGIN)
        alive = done + int(np.searchsorted(ranking.floor[done:], limit, side="right"))
        stop = done + int(np.searchsorted(np.cumsum(ranking.orders[done:]), wave)) + 1
        stop = min(stop, alive)
        if done < tie_end:
            energy_limit = best_score[1] * (1 + FLOOR_MARGIN)
            ties_left = ranking.second[done:tie_end]
            stop = min(stop, done + int(np.searchsorted(ties_left, energy_limit, side="right")))
        stop = max(stop, done + 1)
        if not ranking.complete[done:stop].all():
            if out_of_time():
                return timed_out()
            refine(done, min(alive, done + max(refine_rows, stop - done)))
            continue
        if (stopped := visit(np.arange(done, stop))) is not None:
            return stopped
        done = stop
        wave = later_waves
    how = f"{evaluated:,} of {mappings:,} mappings evaluated"
    if evaluated < mappings:
        how += f", {mappings - evaluated:,} excluded by their {_FLOOR_NAME[objective]} floor"
        how += " (or, tying on cycles, energy floor)" if tie_end else ""
    return outcome(True, f"proven optimal ({how}, in {time.perf_counter() - start:.2f} s)")


#: Mappings per wave: the first (enough to find a score close to the best), and later ones
#: (large batches for the engine's threads).
WAVES = (5_000, 50_000)
#: Factorizations whose energy floor is completed at a time (large batches for the engine).
REFINE_ROWS = 20_000
#: A factorization is excluded only when its floor exceeds the best score by this much more
#: (float rounding of sums taken in another order).
FLOOR_MARGIN = 1e-9
_FLOOR_NAME = {"delay": "cycles", "energy": "energy", "edp": "EDP"}
#: Factorizations of each bypass choice whose per-data-space floors choose the first data space.
SAMPLE_ROWS = 1_000


@dataclass
class _Ranking:
    """The factorizations of every bypass choice as columns, in rank order from a point on:
    bypass choice (`part`) and row (`index`), floor, the energy floor and cycles behind it,
    whether the floor is complete (`_Floors`), loop orders, energy floor (delay's ties), and
    whether the factorization was visited."""

    part: np.ndarray
    index: np.ndarray
    floor: np.ndarray
    energy: np.ndarray
    cycles: np.ndarray
    complete: np.ndarray
    orders: np.ndarray
    second: np.ndarray
    visited: np.ndarray

    @classmethod
    def of(cls, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]]) -> _Ranking:
        """From per bypass choice (at least one): (floor, energy floor, cycles, complete)."""
        n = sum(len(f) for f, _e, _c, _d in parts)
        return cls(
            part=np.concatenate([np.full(len(f), p) for p, (f, *_r) in enumerate(parts)]),
            index=np.concatenate([np.arange(len(f)) for f, *_r in parts]),
            floor=np.concatenate([f for f, *_r in parts]).astype(np.float64),
            energy=np.concatenate([e for _f, e, *_r in parts]).astype(np.float64),
            cycles=np.concatenate([c for _f, _e, c, _d in parts]).astype(np.float64),
            complete=np.concatenate([np.full(len(f), d, dtype=np.bool_) for f, _e, _c, d in parts]),
            orders=np.zeros(n, dtype=np.int64),
            second=np.full(n, -np.inf),
            visited=np.zeros(n, dtype=np.bool_),
        )

    def __len__(self) -> int:
        return len(self.floor)

    def permute(self, order: np.ndarray, where: slice) -> None:
        for column in vars(self).values():
            column[where] = column[order]

    def sort(self, lo: int) -> None:
        """Rank everything from `lo` on by floor (stable)."""
        self.permute(np.argsort(self.floor[lo:], kind="stable") + lo, slice(lo, None))


class _Floors:
    """Floors of the factorizations on the primary key (module docstring), for `search`.

    Energy and EDP floors are computed in two stages: the computes and one data space for every
    factorization (`initial`), the other data spaces only for the factorizations that the best
    found does not exclude by then (`complete`). A data space's accesses never depend on
    another's, so the stages add up to the floor of all of them
    (`hwsim.analytical.batch.energy_floors`). The first data space is the one with the most
    energy in a sample of factorizations (where floors differ most). On ResNet-32's layers the
    first stage alone excludes half or more of the factorizations, and two stages cost 15-35 %
    less CPU than one; a stage per data space costs more than two (each engine pass has a
    fixed cost per row).
    """

    def __init__(
        self,
        space: Mapspace,
        vectors: dict[str, dict[str, float]],
        settings: MapperSettings,
        global_floor: float,
    ):
        self.vectors = vectors
        self.settings = settings
        self.global_floor = global_floor
        self.n_spaces = len(space.problem.data_spaces)
        self.first: np.ndarray | None = None  # the first stage's data spaces; None: one stage

    def choose_stages(self, parts: list) -> None:
        """The first stage's data space (delay's floors, cycles, take one stage)."""
        if self.settings.objective == "delay" or self.n_spaces < 2:
            return
        energy = np.zeros(self.n_spaces)
        for layout, rows, _masks in parts:
            sample = rows[:: max(1, len(rows) // SAMPLE_ROWS)][:SAMPLE_ROWS]
            for k in range(self.n_spaces):
                only = np.arange(self.n_spaces) == k
                floors = self._raw(layout, sample, only, computes=False)
                energy[k] += floors[np.isfinite(floors)].sum()
        self.first = np.arange(self.n_spaces) == int(np.argmax(energy))

    def initial(
        self, layout: WideLayout, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """(floor, energy floor, cycles, complete) of each row of `rows`."""
        cycles = cycle_bounds(layout.compact, rows).astype(np.float64)
        if self.settings.objective == "delay":
            return cycles, np.full(len(rows), -np.inf), cycles, True
        energy = self._raw(layout, rows, self.first, computes=True)
        return self._floor(energy, cycles), energy, cycles, self.first is None

    def complete(
        self, layout: WideLayout, rows: np.ndarray, ranking: _Ranking, where: np.ndarray
    ) -> None:
        """Add the other data spaces to the first-stage floors of `rows` (at `where`)."""
        assert self.first is not None  # else every floor is complete from the start
        more = self._raw(layout, rows, ~self.first, computes=False)
        ranking.energy[where] += more
        ranking.floor[where] = self._floor(ranking.energy[where], ranking.cycles[where])
        ranking.complete[where] = True

    def energy(self, layout: WideLayout, rows: np.ndarray) -> np.ndarray:
        """The complete energy floor of each row (delay's ties)."""
        return np.maximum(self._raw(layout, rows, None, computes=True), self.global_floor)

    def _floor(self, energy: np.ndarray, cycles: np.ndarray) -> np.ndarray:
        energy = np.maximum(energy, self.global_floor)
        if self.settings.objective == "energy":
            return energy
        return np.where(energy >= 0, energy * cycles, -np.inf)

    def _raw(
        self, layout: WideLayout, rows: np.ndarray, spaces: np.ndarray | None, *, computes: bool
    ) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        return energy_floors(
            layout.compact,
            rows,
            layout.groups(),
            self.vectors,
            version=self.settings.timeloop_version,
            spaces=spaces,
            computes=computes,
        )


def _order_counts(masks: np.ndarray) -> np.ndarray:
    """(rows,): the loop orders of each row's used-loop pattern (``masks``, (rows, free
    levels)): Π |used|! over the free levels."""
    out = np.ones(len(masks), dtype=np.int64)
    for column in masks.T:
        used = np.zeros(len(masks), dtype=np.int64)
        for bit in range(int(column.max(initial=0)).bit_length()):
            used += (column >> bit) & 1
        out *= np.array([factorial(n) for n in range(used.max(initial=0) + 1)])[used]
    return out


def _compute_energy(space: Mapspace, vectors: dict[str, dict[str, float]]) -> float:
    """A floor on any mapping's energy: the computes' energy, when no energy per access is
    negative (then every other term of the total is >= 0); else no floor."""
    if any(v < 0 for level in vectors.values() for v in level.values()):
        return -np.inf
    computes = prod(space.problem.size(d) for d in space.problem.dimensions)
    return computes * vectors[space.architecture.compute.name]["compute"]
