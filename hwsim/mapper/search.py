"""The native mapper: search the constrained mapspace with the engine (Timeloop's rules, compiled).

For every bypass choice and loop order (a `Skeleton`), all valid factorizations are evaluated in
one batch by the engine (`hwsim.analytical.batch`) and the best row kept. When the number of loop orders
times factorizations fits the evaluation budget the search is exhaustive — the course's Q3
Eyeriss constraints fix every loop order, so it always is there. Otherwise loop orders are
sampled (seeded, so the result is deterministic) and the best mappings found are refined by
trying every order of their non-trivial loops. Rows whose tiles overflow a level are dropped
before ranking. For delay and EDP only rows whose cycle bound (the product of their temporal
bounds, `hwsim.mapper.candidates`; for EDP times the compute energy) can tie the best key found
are listed and scored: the same mapping as scoring every row, at a fraction of the cost.

Objectives: ``energy`` (pJ), ``delay`` (cycles, energy breaks ties, as Timeloop's
``[delay, energy]``) and ``edp`` (energy × cycles). Cycles are Timeloop's: compute cycles slowed
by bandwidth throttling, plus network latency (`hwsim.analytical.cycles`).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import prod
from typing import Any, Literal, get_args

import numpy as np

from hwsim.analytical.batch import Skeleton, energy_vectors, evaluate_batch, tile_fits
from hwsim.analytical.versions import version_flags
from hwsim.energy.table import EnergyTable
from hwsim.errors import SpecError
from hwsim.evaluate import evaluate
from hwsim.mapper.candidates import Candidates
from hwsim.mapper.constraints import MapspaceConstraints
from hwsim.mapper.space import Mapspace
from hwsim.progress import progress_bar
from hwsim.result import Evaluation
from hwsim.spec.architecture import Architecture
from hwsim.spec.mapping import Mapping
from hwsim.spec.problem import Problem

Objective = Literal["energy", "delay", "edp"]
#: ``sampled``: this module's search; ``optimal``: `hwsim.mapper.optimal` (proven optimal);
#: ``auto``: optimal where the sampled search would sample (an open mapspace).
SearchMode = Literal["auto", "sampled", "optimal"]


@dataclass(frozen=True)
class MapperSettings:
    """Search settings.

    Attributes:
        objective: what to minimise.
        budget: factorizations (over all skeletons) evaluated at most before sampling.
        max_skeletons: loop-order × bypass combinations visited at most before sampling.
        seed: seeds the sampling, so a search is reproducible.
        refine: how many of the best mappings get the orders of their non-trivial loops tried
            (at most `refine_orders` each) when the search sampled.
        timeloop_version: Timeloop rules the model follows.
        progress: show a progress bar on long searches.
        search: which search the native backend runs (`SearchMode`).
        time_limit_s: the optimal search's time limit (0: none); past it, its answer is not
            proven optimal.
    """

    objective: Objective = "energy"
    budget: int = 500_000
    max_skeletons: int = 64
    seed: int = 0
    refine: int = 4
    refine_orders: int = 120
    timeloop_version: str = "master"
    progress: bool = True
    search: SearchMode = "auto"
    time_limit_s: float = 60.0

    def __post_init__(self) -> None:
        if self.objective not in get_args(Objective):
            raise SpecError(
                f"unknown mapper objective {self.objective!r}; choose one of "
                f"{list(get_args(Objective))}"
            )
        version_flags(self.timeloop_version)
        for name in ("budget", "max_skeletons"):
            if getattr(self, name) < 1:
                raise SpecError(f"mapper {name} must be at least 1, got {getattr(self, name)}")
        if self.seed < 0:
            raise SpecError(f"mapper seed must be >= 0, got {self.seed}")
        if self.search not in get_args(SearchMode):
            raise SpecError(
                f"unknown mapper search {self.search!r}; choose one of {list(get_args(SearchMode))}"
            )
        if self.time_limit_s < 0:
            raise SpecError(f"mapper time limit must be >= 0 s, got {self.time_limit_s}")

    def key(self) -> str:
        return "/".join(
            str(x)
            for x in (
                self.objective,
                self.budget,
                self.max_skeletons,
                self.seed,
                self.refine,
                self.refine_orders,
                self.timeloop_version,
                self.search,
            )
        )


@dataclass(frozen=True)
class MapperResult:
    """The best mapping found, its evaluation, and how the search went.

    Attributes:
        mapping: the best mapping.
        evaluation: its counts and energy (`hwsim.evaluate`).
        evaluated: mappings evaluated; valid: of which fit every level.
        skeletons: loop orders × bypass choices visited; exhaustive: whether that was all of them.
        seconds: wall time.
        proven_optimal: whether the mapping is proven the best of the whole mapspace
            (`hwsim.mapper.optimal`; the notes say why not).
    """

    mapping: Mapping
    evaluation: Evaluation
    evaluated: int
    valid: int
    skeletons: int
    exhaustive: bool
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    proven_optimal: bool = False

    @property
    def cycles(self) -> int:
        """Its cycles, Timeloop's (bandwidth throttling included): the evaluation's, never a
        second copy that could disagree with it."""
        return self.evaluation.cycles

    @property
    def energy_pj(self) -> float:
        return self.evaluation.total_energy_pj

    @classmethod
    def of_row(
        cls,
        problem: Problem,
        architecture: Architecture,
        table: EnergyTable,
        settings: MapperSettings,
        skeleton: Skeleton,
        row: np.ndarray,
        **accounting: Any,
    ) -> MapperResult:
        """The best row of a search written back as an ordinary mapping and evaluated again by
        `hwsim.evaluate` (the engine's counts for it, priced by `table`), with the search's
        `accounting` (the other fields)."""
        mapping = skeleton.mapping(row)
        evaluation = evaluate(
            problem, architecture, mapping, energy=table, timeloop_version=settings.timeloop_version
        )
        return cls(mapping=mapping, evaluation=evaluation, **accounting)


def objective_keys(
    energy: np.ndarray, cycles: np.ndarray, objective: Objective
) -> tuple[np.ndarray, np.ndarray]:
    """(primary, secondary) sort keys: delay is ranked by cycles, then energy."""
    if objective == "energy":
        return energy, cycles
    if objective == "delay":
        return cycles, energy
    if objective == "edp":
        return energy * cycles, energy
    raise SpecError(f"unknown mapper objective {objective!r}")


def _space_rows(space: Mapspace, budget: int) -> tuple[int, int]:
    """(rows of the whole space, mean rows per skeleton), the sum stopping once past `budget`.

    Rows differ widely between bypass choices (a level keeping fewer data spaces admits larger
    tiles), so every keep choice is counted; they do not depend on loop order, so one order per
    keep choice counts for all `order_count` of them. The mean is over the choices counted.
    """
    orders = space.order_count()
    total = counted = 0
    for keep in space.keep_choices:
        total += space.factor_count(space.skeleton(keep, space.default_orders())) * orders
        counted += 1
        if total > budget:
            break
    return total, total // max(1, counted * orders)


def map_problem(
    problem: Problem,
    architecture: Architecture,
    constraints: MapspaceConstraints,
    table: EnergyTable,
    settings: MapperSettings = MapperSettings(),
) -> MapperResult:
    """Find the best mapping of `problem` on `architecture` under `constraints`."""
    start = time.perf_counter()
    space = Mapspace.build(problem, architecture, constraints)
    orders_total = space.order_count()
    skeletons_total = orders_total * len(space.keep_choices)
    rows_total, rows_per_skeleton = _space_rows(space, settings.budget)
    exhaustive = skeletons_total <= settings.max_skeletons and rows_total <= settings.budget
    # factorizations drawn per skeleton when a skeleton alone exceeds its share of the budget
    row_limit = max(1000, settings.budget // max(1, min(skeletons_total, settings.max_skeletons)))
    rng = random.Random(settings.seed)

    plan: list[tuple[dict[str, tuple[bool, ...]], tuple[tuple[str, ...], ...]]] = []
    if exhaustive:
        for keep in space.keep_choices:
            plan += [(keep, orders) for orders in space.all_orders()]
    else:
        per = max(
            1,
            min(
                settings.max_skeletons, settings.budget // max(1, min(rows_per_skeleton, row_limit))
            ),
        )
        keeps = list(space.keep_choices)
        for _ in range(per):
            keep = rng.choice(keeps)
            orders = tuple(tuple(rng.sample(p.free, len(p.free))) for p in space.plans)
            plan.append((keep, orders))
        plan[0] = (keeps[0], space.default_orders())
        unique = dict.fromkeys((tuple(sorted(k.items())), o) for k, o in plan)  # dedupe
        plan = [(dict(k), o) for k, o in unique]

    # per level, energy per vector access: the same for every skeleton of the space
    vectors = energy_vectors(space.skeleton(space.keep_choices[0], space.default_orders()), table)
    limit = None if exhaustive else row_limit
    scorer = _Scorer(settings, vectors)
    skeletons = [space.skeleton(keep, orders) for keep, orders in plan]
    bar = progress_bar(
        skeletons, desc=f"mapping {problem.name}", shown=settings.progress and len(plan) >= 50
    )
    bounded = settings.objective in ("delay", "edp")
    candidates = [
        space.candidates(sk, limit=limit, seed=settings.seed)
        for sk in (skeletons if bounded else [])
    ]
    scored: Iterable[Scored] = (
        _scored_by_cycle_bound(
            skeletons, candidates, scorer, _bound_scale(space, vectors, settings.objective)
        )
        if bounded
        else (scorer(sk, space.factor_rows(sk, limit=limit, seed=settings.seed)) for sk in bar)
    )
    best: list[tuple[tuple[float, float], Skeleton, np.ndarray]] = []
    for skeleton, (_, rows, primary, secondary) in zip(skeletons, scored, strict=True):
        order = np.lexsort((secondary, primary))[: max(1, settings.refine)]
        for i in order:
            best.append(((float(primary[i]), float(secondary[i])), skeleton, rows[i]))
        best.sort(key=lambda item: item[0])
        del best[max(1, settings.refine) :]
    bar.close()
    evaluated, valid = scorer.evaluated, scorer.valid
    if not best:
        raise SpecError(
            f"no valid mapping of {problem.name} fits {architecture.name} under the constraints "
            f"({evaluated} candidates evaluated; check capacities, fanouts and fixed factors)"
        )
    notes: list[str] = []
    skipped = sum(c.count for c in candidates) - evaluated
    if skipped > 0:
        notes.append(
            f"{skipped:,} more mappings not scored: their cycle bound shows none beats the best"
        )
    if not exhaustive:
        notes.append(
            f"sampled {len(plan)} of {orders_total * len(space.keep_choices)} loop orders × bypass choices"
        )
        best = _refine(space, best, vectors, settings) or best
    _score, skeleton, row = best[0]
    return MapperResult.of_row(
        problem,
        architecture,
        table,
        settings,
        skeleton,
        row,
        evaluated=evaluated,
        valid=valid,
        skeletons=len(plan),
        exhaustive=exhaustive,
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
        proven_optimal=exhaustive,
    )


#: (index of the rows that fit among those given, those rows, primary key, secondary key)
Scored = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class _Scorer:
    """Evaluates rows of a skeleton (`Scored`, in row order); counts the rows it was given (`evaluated`) and those that fit (`valid`)."""

    settings: MapperSettings
    vectors: dict[str, dict[str, float]]
    evaluated: int = 0
    valid: int = 0

    def __call__(self, skeleton: Skeleton, rows: np.ndarray) -> Scored:
        self.evaluated += len(rows)
        index = np.flatnonzero(tile_fits(skeleton, rows))
        kept, primaries, secondaries = [index[:0]], [np.zeros(0)], [np.zeros(0)]
        chunks = np.array_split(index, max(1, len(index) // 20000 + 1)) if len(index) else []
        for chunk in chunks:
            result = evaluate_batch(
                skeleton, rows[chunk], version=self.settings.timeloop_version, energy=self.vectors
            )
            ok = np.flatnonzero(result.fits)
            self.valid += len(ok)
            assert result.energy_pj is not None  # priced: the batch was given energy vectors
            primary, secondary = objective_keys(
                result.energy_pj[ok], result.cycles[ok].astype(np.float64), self.settings.objective
            )
            kept.append(chunk[ok])
            primaries.append(primary)
            secondaries.append(secondary)
        index = np.concatenate(kept)
        return index, rows[index], np.concatenate(primaries), np.concatenate(secondaries)


def _scored_by_cycle_bound(
    skeletons: list[Skeleton], candidates: list[Candidates], scorer: _Scorer, scale: float
) -> list[Scored]:
    """Per skeleton, those of its rows (`candidates`: as `Mapspace.factor_rows` gives them)
    that could have the best primary key, scored, in row order.

    A row's cycles are at least its bound (`hwsim.mapper.candidates`), so its primary key is at
    least `scale` times its bound (delay: 1; edp: the compute energy, a floor of every row's
    energy). Rows are scored in rising bound while that floor does not exceed the best key
    found: every row that could tie or beat the best is scored, in the order the full search
    would have met it, so the result is the same.
    """
    parts: list[list[tuple[np.ndarray, Scored]]] = [[] for _ in skeletons]
    fewest, below = np.inf, 0
    for level in np.unique(np.concatenate([c.levels for c in candidates] or [np.zeros(0)])):
        if level * scale > fewest:
            break
        for k, (skeleton, found) in enumerate(zip(skeletons, candidates, strict=True)):
            rows, position = found.rows(below, level)
            if not len(rows):
                continue
            scored = scorer(skeleton, rows)
            parts[k].append((position[scored[0]], scored))
            if len(scored[0]):
                fewest = min(fewest, float(scored[2].min()))
        below = level
    out = []
    for skeleton, pieces in zip(skeletons, parts, strict=True):
        if not pieces:
            empty = np.zeros(0, dtype=np.int64)
            out.append((empty, np.zeros((0, len(skeleton.slots)), np.int64), empty, empty))
            continue
        position = np.concatenate([p for p, _ in pieces])
        order = np.argsort(position, kind="stable")
        _, rows, primary, secondary = (
            np.concatenate([s[i] for _, s in pieces])[order] for i in range(4)
        )
        out.append((position[order], rows, primary, secondary))
    return out


def _bound_scale(space: Mapspace, vectors: dict[str, dict[str, float]], objective: str) -> float:
    """What a row's primary key is at least, per unit of its cycle bound: 1 for delay; for edp
    the compute energy (every row computes every MAC; storage energy only adds), a hair lower so
    that rounding never prunes a row that ties."""
    if objective == "delay":
        return 1.0
    arch, problem = space.architecture, space.problem
    macs = prod(problem.size(dim) for dim in problem.dimensions)
    return macs * vectors[arch.compute.name]["compute"] * (1 - 1e-9)


def _refine(space: Mapspace, best, vectors, settings: MapperSettings):
    """Try orders of the non-trivial free loops of the best mappings (bounded), each order a
    skeleton of its own scored by the engine like every other candidate."""
    rng = random.Random(settings.seed + 1)
    improved = list(best)
    for _, skeleton, row in best[: settings.refine]:
        bounds_of = {
            (slot.level, slot.axis, slot.dimension): b
            for slot, b in zip(skeleton.slots, row, strict=True)
        }
        per_level = []
        for s, plan in enumerate(space.plans):
            used = [d for d in plan.free if bounds_of.get((s, "T", d), 1) > 1]
            per_level.append(list(itertools.permutations(used)))
        choices = list(itertools.product(*per_level))
        if len(choices) > settings.refine_orders:
            choices = rng.sample(choices, settings.refine_orders)
        for choice in choices:
            orders = tuple(
                tuple(used) + tuple(d for d in plan.free if d not in used)
                for plan, used in zip(space.plans, choice, strict=True)
            )
            candidate = space.skeleton(dict(skeleton.keep), orders)
            new_row = np.array(
                [[bounds_of.get((sl.level, sl.axis, sl.dimension), 1) for sl in candidate.slots]]
            )
            result = evaluate_batch(
                candidate, new_row, version=settings.timeloop_version, energy=vectors
            )
            assert result.energy_pj is not None  # priced: the batch was given energy vectors
            primary, secondary = objective_keys(
                result.energy_pj, result.cycles.astype(np.float64), settings.objective
            )
            improved.append(((float(primary[0]), float(secondary[0])), candidate, new_row[0]))
    improved.sort(key=lambda item: item[0])
    return improved[: len(best)]
