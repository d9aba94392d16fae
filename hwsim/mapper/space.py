"""The mapspace of one problem on one architecture under constraints.

A point of the mapspace is a choice of (1) which data spaces each level keeps, (2) the loop order
at each level, and (3) every loop bound. (1) and (2) fix a `Skeleton`; (3) is one row of a bounds
matrix, so the mapper evaluates all factorizations of a skeleton in one vectorised batch.

Per level (innermost first) the candidate loops are:

- spatial loops, when the level has a fanout below it, for each dimension not fixed to 1; a
  dimension runs along X or Y as the ``split`` constraint says, else along the only mesh axis
  wider than 1, else along either (a row may not use both);
- temporal loops for each dimension not fixed to 1, ordered as the permutation constraint says:
  its listed dimensions innermost (and after ``_`` outermost), the free ones in between.

Each dimension's size is split into ordered factors over its candidate loops, honouring fixed
and maximum factors; spatial factors must fit the mesh along each axis.
`Mapspace.candidates` gives the same rows grouped by their cycle bound and listed on demand
(`hwsim.mapper.candidates`), so a search that needs only the fewest-cycle rows never lists the
others.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from math import prod

import numpy as np

from hwsim.analytical.batch import Skeleton, Slot, distinct_rows, tile_fits
from hwsim.errors import SpecError
from hwsim.mapper.candidates import Candidates, lazy_candidates, materialised_candidates
from hwsim.mapper.constraints import MapspaceConstraints
from hwsim.nest import Axis
from hwsim.spec.architecture import Architecture
from hwsim.spec.problem import Problem


@cache
def divisors(n: int) -> tuple[int, ...]:
    """The divisors of `n` >= 1, ascending (from its prime factors: trial division to sqrt n)."""
    primes: list[tuple[int, int]] = []
    rest, p = n, 2
    while p * p <= rest:
        if rest % p == 0:
            power = 0
            while rest % p == 0:
                rest //= p
                power += 1
            primes.append((p, power))
        p += 1 if p == 2 else 2
    if rest > 1:
        primes.append((rest, 1))
    out = [1]
    for prime, power in primes:
        out = [d * prime**k for d in out for k in range(power + 1)]
    return tuple(sorted(out))


@cache
def count_factorizations(n: int, limits: tuple[tuple[int | None, int], ...]) -> int:
    """How many tuples `ordered_factorizations(n, limits)` holds, without listing them."""
    if not limits:
        return 1 if n == 1 else 0
    (required, upper), rest = limits[0], limits[1:]
    choices = [required] if required is not None else divisors(n)
    return sum(count_factorizations(n // d, rest) for d in choices if d <= upper and n % d == 0)


@cache
def ordered_factorizations(
    n: int, limits: tuple[tuple[int | None, int], ...]
) -> tuple[tuple[int, ...], ...]:
    """All ways to write n as an ordered product over slots; each slot (required, max)."""
    if not limits:
        return ((),) if n == 1 else ()
    (required, upper), rest = limits[0], limits[1:]
    out = []
    choices = [required] if required is not None else divisors(n)
    for d in choices:
        if d > upper or n % d:
            continue
        for tail in ordered_factorizations(n // d, rest):
            out.append((d, *tail))
    return tuple(out)


@dataclass(frozen=True)
class LevelPlan:
    """Candidate loops of one level: spatial (dimension, axis) pairs and the temporal order parts."""

    spatial: tuple[tuple[str, Axis], ...]
    inner: tuple[str, ...]
    free: tuple[str, ...]
    outer: tuple[str, ...]
    fanout: tuple[int, int]

    def orders(self) -> int:
        return prod(range(1, len(self.free) + 1))


@dataclass(frozen=True)
class Mapspace:
    """The constrained mapspace (see module docstring).

    Attributes:
        problem, architecture, constraints: what is being mapped.
        plans: per storage level, innermost first, its candidate loops.
        keep_choices: the bypass combinations allowed: data space → per level (innermost first).
    """

    problem: Problem
    architecture: Architecture
    constraints: MapspaceConstraints
    plans: tuple[LevelPlan, ...]
    keep_choices: tuple[dict[str, tuple[bool, ...]], ...]

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(reversed(self.architecture.storage_names))

    @classmethod
    def build(
        cls, problem: Problem, architecture: Architecture, constraints: MapspaceConstraints
    ) -> Mapspace:
        names = tuple(reversed(architecture.storage_names))
        plans = []
        for name in names:
            level = architecture.storage_level(name)
            lc = constraints.level(name)
            fx, fy = architecture.fanout(architecture.index_of(name))
            spatial: list[tuple[str, Axis]] = []
            if fx * fy == 1:
                for dim, n in lc.spatial.factors.items():
                    if n > 1:
                        raise lc.spatial.error(
                            dim,
                            f"spatial factor {dim}={n} at {_shown(name)}: the level has no "
                            "spatial fanout below it",
                        )
            if fx * fy > 1:
                sc = lc.spatial
                axes_of = sc.axes(problem.dimensions, (fx, fy))
                for dim in sc.ordered(problem.dimensions):
                    required, upper = sc.bound_limit(dim, problem.size(dim))
                    if (required or upper) <= 1:
                        continue
                    axes = axes_of[dim]
                    width = max(fx if a == "X" else fy for a in axes)
                    if required is not None and required > width:
                        raise sc.error(
                            dim,
                            f"spatial factor {dim}={required} at {_shown(name)} needs {required} "
                            f"instances along {'/'.join(axes)}, but the mesh is {width} wide there "
                            f"(meshX={fx}, meshY={fy})",
                        )
                    spatial += [(dim, a) for a in axes]
                spatial.sort(key=lambda da: da[1])  # X loops first (innermost), then Y
            tc = lc.temporal
            movable = []
            if not level.pass_through:
                for dim in problem.dimensions:
                    required, upper = tc.bound_limit(dim, problem.size(dim))
                    if (required or upper) > 1:
                        movable.append(dim)
            inner = tuple(d for d in tc.inner if d in movable)
            outer = tuple(d for d in tc.outer if d in movable)
            free = tuple(d for d in movable if d not in inner and d not in outer)
            plans.append(LevelPlan(tuple(spatial), inner, free, outer, (fx, fy)))

        _check_fixed_factors(problem, names, constraints)

        # bypass: constrained, else free; pass-through levels keep nothing, the outermost keeps all
        options: list[list[tuple[str, int, bool]]] = []
        fixed: dict[tuple[str, int], bool] = {}
        for s, name in enumerate(names):
            level = architecture.storage_level(name)
            lc = constraints.level(name)
            for ds in problem.data_space_names:
                if level.pass_through:
                    fixed[ds, s] = False
                elif s == len(names) - 1 or ds in lc.keep:
                    fixed[ds, s] = True
                elif ds in lc.bypass:
                    fixed[ds, s] = False
                else:
                    options.append([(ds, s, True), (ds, s, False)])
        choices = []
        for combo in itertools.product(*options) if options else [()]:
            flags = dict(fixed)
            for ds, s, kept in combo:
                flags[ds, s] = kept
            choices.append(
                {
                    ds: tuple(flags[ds, s] for s in range(len(names)))
                    for ds in problem.data_space_names
                }
            )
        return cls(problem, architecture, constraints, tuple(plans), tuple(choices))

    # ------------------------------------------------------------------------ skeletons
    def order_count(self) -> int:
        return prod(plan.orders() for plan in self.plans)

    def skeleton(
        self, keep: dict[str, tuple[bool, ...]], orders: tuple[tuple[str, ...], ...]
    ) -> Skeleton:
        """The skeleton for a bypass choice and one order of the free temporal loops per level."""
        slots: list[Slot] = []
        for s, (plan, free) in enumerate(zip(self.plans, orders, strict=True)):
            slots += [Slot(dim, axis, s) for dim, axis in plan.spatial]
            slots += [Slot(dim, "T", s) for dim in (*plan.inner, *free, *plan.outer)]
        return Skeleton(self.problem, self.architecture, self.level_names, tuple(slots), keep)

    def all_orders(self) -> Iterator[tuple[tuple[str, ...], ...]]:
        return itertools.product(*[itertools.permutations(plan.free) for plan in self.plans])

    def default_orders(self) -> tuple[tuple[str, ...], ...]:
        return tuple(plan.free for plan in self.plans)

    # -------------------------------------------------------------------------- factors
    def factor_options(self, skeleton: Skeleton) -> list[tuple[list[int], np.ndarray]]:
        """Per dimension: its slot positions and every allowed split of its size over them.

        A split whose factors alone overflow some level (the other dimensions at 1) is dropped:
        tiles only grow with each factor, so no completion of it could fit (sound pruning).
        """
        problem = self.problem
        out = []
        for dim in problem.dimensions:
            idx = [i for i, slot in enumerate(skeleton.slots) if slot.dimension == dim]
            limits = []
            # a fixed spatial factor of a dimension that may run along X or Y: either slot
            # takes it, the other stays 1 (filtered below)
            either: list[tuple[int, int, int]] = []
            for k, i in enumerate(idx):
                slot = skeleton.slots[i]
                lc = self.constraints.level(skeleton.level_names[slot.level])
                loops = lc.temporal if slot.axis == "T" else lc.spatial
                required, upper = loops.bound_limit(dim, problem.size(dim))
                if slot.axis != "T":
                    fx, fy = self.plans[slot.level].fanout
                    upper = min(upper, fx if slot.axis == "X" else fy)
                    spatial = self.plans[slot.level].spatial
                    if required is not None and (dim, "X") in spatial and (dim, "Y") in spatial:
                        if slot.axis == "X":
                            either.append((k, k + 1, required))  # the Y slot comes next
                        upper = min(upper, required)
                        required = None
                limits.append((required, upper))
            ways = count_factorizations(problem.size(dim), tuple(limits))
            if ways > MAX_SPLITS:
                raise SpecError(
                    f"{dim}={problem.size(dim):,} splits {ways:,} ways over its {len(idx)} "
                    f"loops, more than the mapper enumerates ({MAX_SPLITS:,}); fix some of its "
                    "factors in the mapspace constraints",
                    field=f"problem.instance.{dim}",
                )
            options = np.array(
                ordered_factorizations(problem.size(dim), tuple(limits)), dtype=np.int64
            )
            options = options.reshape(len(options), len(idx))
            for x, y, required in either:
                options = options[
                    (options[:, x] * options[:, y] == required)
                    & ((options[:, x] == 1) | (options[:, y] == 1))
                ]
            if len(options) and idx:
                rows = np.ones((len(options), len(skeleton.slots)), dtype=np.int64)
                rows[:, idx] = options
                options = options[tile_fits(skeleton, rows)]
            out.append((idx, options))
        return out

    def factor_count(self, skeleton: Skeleton) -> int:
        """How many factor assignments `factor_rows` would consider (before fanout limits)."""
        return prod(len(options) for _, options in self.factor_options(skeleton))

    def factor_rows(
        self, skeleton: Skeleton, *, limit: int | None = None, seed: int = 0
    ) -> np.ndarray:
        """Valid assignments of loop bounds for `skeleton` (rows), fanout limits applied.

        All of them when there are at most `limit`; otherwise `limit` distinct ones drawn at
        random (or every valid one, when rounds of drawing find fewer). The draw is seeded by
        `seed` and the skeleton (its slots and bypass choice), so it is reproducible and two
        loop orders of one bypass choice get different samples.
        """
        per_dim = self.factor_options(skeleton)
        if any(len(options) == 0 for _, options in per_dim):
            return np.zeros((0, len(skeleton.slots)), dtype=np.int64)
        counts = [len(options) for _, options in per_dim]
        total = prod(counts)
        if not counts:
            return np.ones((1, len(skeleton.slots)), dtype=np.int64)
        rng = None  # made when drawing (numpy.random costs a one-layer call 5 ms to import)
        if limit is None or total <= _ENUMERATE * limit:
            grid = np.indices(counts).reshape(len(counts), -1)
            grid = grid[:, self._fits_mesh(skeleton, per_dim, grid)]
        else:
            # Draw in rounds until `limit` distinct columns pass the mesh limits: on a 4x4 mesh
            # only ~7 % of free draws do. Each round sizes its draw by the pass rate so far.
            rng = np.random.default_rng([seed, _skeleton_digest(skeleton)])
            grid = np.zeros((len(counts), 0), dtype=np.int64)
            draw = limit
            for _ in range(_ROUNDS):
                drawn = np.stack([rng.integers(0, c, size=draw) for c in counts])
                passed = self._fits_mesh(skeleton, per_dim, drawn)
                grid = _distinct_columns(np.concatenate([grid, drawn[:, passed]], axis=1))
                if grid.shape[1] >= limit:
                    break
                rate = max(passed.mean(), 1 / _ENUMERATE)
                draw = min(int((limit - grid.shape[1]) / rate * 1.25) + 1, _ENUMERATE * limit)
        if limit is not None and grid.shape[1] > limit:
            rng = rng or np.random.default_rng([seed, _skeleton_digest(skeleton)])
            grid = grid[:, np.sort(rng.choice(grid.shape[1], size=limit, replace=False))]
        return self._assemble(skeleton, per_dim, grid)

    def candidates(
        self, skeleton: Skeleton, *, limit: int | None = None, seed: int = 0
    ) -> Candidates:
        """The rows `factor_rows` gives, with their cycle bounds (`hwsim.mapper.candidates`).

        Listed on demand when `factor_rows` would list every valid row (no sampling); else the
        rows `factor_rows` draws.
        """
        per_dim = self.factor_options(skeleton)
        total = prod(len(options) for _, options in per_dim)
        listed = limit is None or total <= _ENUMERATE * limit
        if per_dim and 0 < total < 2**62 and listed:  # positions fit an int64
            sizes = tuple(self.problem.size(dim) for dim in self.problem.dimensions)
            meshes = tuple(plan.fanout for plan in self.plans)
            lazy = lazy_candidates(
                skeleton,
                per_dim,
                sizes,
                meshes,
                lambda grid: self._assemble(skeleton, per_dim, grid),
            )
            if limit is None or lazy.count <= limit:
                return lazy
        return materialised_candidates(skeleton, self.factor_rows(skeleton, limit=limit, seed=seed))

    @staticmethod
    def _assemble(
        skeleton: Skeleton, per_dim: list[tuple[list[int], np.ndarray]], grid: np.ndarray
    ) -> np.ndarray:
        """Rows of loop bounds: column j of `grid` picks option ``grid[k, j]`` of dimension k.

        Built a slot at a time into a slots-major array, then transposed once: gathering into
        strided columns of the row-major result cost three times as long."""
        columns = np.ones((len(skeleton.slots), grid.shape[1]), dtype=np.int64)
        for k, (idx, options) in enumerate(per_dim):
            for j, i in enumerate(idx):
                np.take(options[:, j], grid[k], out=columns[i])
        return np.ascontiguousarray(columns.T)

    def _fits_mesh(
        self, skeleton: Skeleton, per_dim: list[tuple[list[int], np.ndarray]], grid: np.ndarray
    ) -> np.ndarray:
        """Which columns of `grid` (as `_assemble`'s) have spatial factors that fit each level's
        mesh (a dimension on one axis only), from each dimension's options alone."""
        keep = np.ones(grid.shape[1], dtype=bool)
        slots = skeleton.slots
        for s, plan in enumerate(self.plans):
            product = {axis: np.ones(grid.shape[1], dtype=np.int64) for axis in ("X", "Y")}
            for k, (idx, options) in enumerate(per_dim):
                per_axis = {}
                for axis in ("X", "Y"):
                    cols = [
                        j for j, i in enumerate(idx) if (slots[i].level, slots[i].axis) == (s, axis)
                    ]
                    if cols:
                        per_axis[axis] = np.prod(options[:, cols], axis=1)
                        product[axis] *= per_axis[axis][grid[k]]
                if len(per_axis) == 2:  # a dimension runs along X or Y, not both
                    keep &= ((per_axis["X"] == 1) | (per_axis["Y"] == 1))[grid[k]]
            fx, fy = plan.fanout
            keep &= (product["X"] <= fx) & (product["Y"] <= fy)
        return keep


def _shown(level: str) -> str:
    """A level's name as constraints name it: ``inter_PE_spatial`` is the fanout ``PE``."""
    if level.startswith("inter_") and level.endswith("_spatial"):
        return level[len("inter_") : -len("_spatial")]
    return level


def _check_fixed_factors(
    problem: Problem, names: tuple[str, ...], constraints: MapspaceConstraints
) -> None:
    """A `SpecError` where fixed factors cannot multiply into a dimension's size (no mapping
    could honour them), naming the dimension, the level and why."""
    for dim in problem.dimensions:
        size = problem.size(dim)
        fixed = 1
        for name in names:
            lc = constraints.level(name)
            for kind, loops in (("temporal", lc.temporal), ("spatial", lc.spatial)):
                n = loops.factors.get(dim)
                if n is None or n == 1:
                    continue
                if size % (fixed * n):
                    others = f" times the fixed factors below it ({fixed})" if fixed > 1 else ""
                    raise loops.error(
                        dim,
                        f"{kind} factor {dim}={n} at {_shown(name)}{others} does not divide "
                        f"the problem's {dim}={size}",
                    )
                fixed *= n


#: Most ways one dimension may split over its loops (each is a row of a NumPy array).
MAX_SPLITS = 2_000_000
#: `factor_rows` enumerates the whole factor space when it is at most this many times `limit`
#: (then samples the valid rows), and draws at most this many times `limit` in one round.
_ENUMERATE = 16
#: Rounds of drawing `factor_rows` tries before settling for fewer than `limit` rows.
_ROUNDS = 8


def _skeleton_digest(skeleton: Skeleton) -> int:
    """A stable (process-independent) 64-bit digest of a skeleton's slots and bypass choice."""
    text = repr(
        (
            [(slot.dimension, slot.axis, slot.level) for slot in skeleton.slots],
            sorted(skeleton.keep.items()),
        )
    )
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _distinct_columns(grid: np.ndarray) -> np.ndarray:
    """The distinct columns of `grid`, sorted lexicographically, first row most significant."""
    index, _ = distinct_rows(grid.T)
    return grid[:, index]
