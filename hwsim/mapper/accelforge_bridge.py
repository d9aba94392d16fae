"""Map with AccelForge, evaluate with hwsim (optional extra ``hwkd[accelforge]``).

AccelForge's mapper (FFM) searches LoopTree mappings. This bridge translates a `MappingTask`
into an AccelForge ``Spec``, runs FFM, writes each mapping it returns as Timeloop-style
directives, binds them with `bind_mapping` and evaluates them with hwsim's model, so the result
compares on equal terms with the other backends. AccelForge is imported only inside functions.

hwsim → AccelForge:

- problem: one Einsum. Dimension ``D`` becomes rank variable ``d``; data space ``X`` becomes
  tensor ``T_X`` (so no name collides with AccelForge's set keywords ``Inputs``/``Outputs``),
  with one rank per projection rank, indexed by its expression (``2*p + 1*r``); the read-write
  data space is the output.
- storage level: a ``Memory`` whose size is the capacity tiles may use (after
  ``multiple_buffering``) in bits, with the level's word width and read/write actions of one
  ``block_size`` vector priced from the task's energy table (``read`` → read, ``fill`` →
  write); no leakage or area. A pass-through level, or one the constraints let keep nothing,
  becomes a ``Container`` (when a fanout needs a node) or nothing.
- fanout: the X/Y ``spatial`` dimensions of the node just below it.
- compute: a ``Compute`` priced at the table's ``compute`` energy, one operation per cycle.
- constraints: ``keep``/``bypass`` become ``tensors.keep``/``may_keep`` (the outermost level
  keeps every tensor, as in Timeloop); spatial factors become ``loop_bounds`` of the X/Y
  dimension the ``split`` assigns (a dimension the split puts on the other axis is bounded to 1).

AccelForge → hwsim: FFM is asked for Timeloop-style "even" mappings (its private
``_timeloop_style_even`` option: each memory's tiles at no more than two depths). A LoopTree
lists, top down, where each tile's reservation starts (which already accounts for FFM lowering a
tile through a loop), temporal loops and spatial loops; a Timeloop mapping keeps all of a level's
tiles at one depth (its *cut*), and the temporal loops between two cuts are the outer level's
loops, in the LoopTree's order. Each level's cut is tried at its first tile and after every loop
down to its last tile (the last gives tiles no larger than AccelForge's own). Spatial loops
belong to the level above the node that owns the fanout; their order relative to temporal loops
is immaterial (instances run in parallel), but none may lie below the next level's cut. Loops of
bound 1 are dropped and a loop split only by reservations is one loop. A candidate is dropped when
a level would need two loops over one dimension, a dimension would run along both mesh axes, a
tile would not fit (hwsim's capacity check), or a keep/bypass or spatial constraint would be
broken; of the rest, the best by the task's objective is returned. The result is never reported
as exhaustive: FFM is optimal in its own mapspace and model, not in hwsim's.

Not expressible (a `SpecError` says which, before AccelForge runs): constraints on temporal
loops — fixed or bounded temporal factors and loop orders (``permutation``) of a level, for
dimensions larger than 1. AccelForge has no per-level temporal loop constraints or loop-order
constraints, and its ``tile_shape`` constraints bind only when a loop sits above the memory, so
such a task would be mapped as a different (less constrained) problem. The course's Q3
Eyeriss-like constraints are of this kind; its architecture, fanouts, bypass and spatial
constraints are expressible. A problem must have exactly one read-write (output) data space.

Relaxed mode (``map_with_accelforge(task, relax=True)``, `search_superset`): FFM maps
`relaxed(task)`, the task without its temporal factor and loop-order constraints (everything
else as above), so its mapspace is a superset of the task's. FFM is asked for its Pareto front
of the objective's metrics and every memory's usage (``Metrics.RESOURCE_USAGE``) rather than one
best mapping, since the best of the superset usually breaks the dropped constraints. Every level
cut of every mapping it returns is written as Timeloop levels and checked against all of the
task's constraints by `violations` (temporal factors and loop order as hwsim's mapspace reads
them); the best of those that satisfy them all, by the task's objective as hwsim evaluates it,
is returned, and a `SpecError` says how many were checked and what they broke when none does.
This is not FFM's search of the constrained mapspace: FFM prunes what it does not return, so a
mapping of the constrained mapspace that its front does not contain is never seen (on the Q3
layers u0 and u2, none of the 137-162 mappings FFM returned per layer and objective loops over
all of R at weights_spad, as the spads' row-stationary constraints require).
`SupersetSearch.unconstrained`, the best of all returned mappings, is AccelForge's answer for
the larger mapspace.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from hwsim.errors import SpecError
from hwsim.mapper.constraints import LoopConstraints
from hwsim.mapper.search import MapperResult, objective_keys
from hwsim.mapper.task import MappingTask
from hwsim.result import Evaluation
from hwsim.spec.mapping import LevelMapping, Mapping, bind_mapping

EINSUM = "layer"


@dataclass(frozen=True)
class Names:
    """hwsim ↔ AccelForge names: dimension ↔ rank variable, data space ↔ tensor."""

    rank_variable: dict[str, str]
    dimension: dict[str, str]
    tensor: dict[str, str]
    data_space: dict[str, str]


def names_for(task: MappingTask) -> Names:
    """Lower-case rank variables (``d0``, ``d1``... if lower-casing would clash); ``T_X`` tensors."""
    dims = task.problem.dimensions
    lowered = [d.lower() for d in dims]
    if len(set(lowered)) == len(dims) and all(name.isidentifier() for name in lowered):
        rank_variable = dict(zip(dims, lowered, strict=True))
    else:
        rank_variable = {d: f"d{i}" for i, d in enumerate(dims)}
    tensor = {
        ds: f"T_{ds}" if f"T_{ds}".isidentifier() else f"T{i}_"
        for i, ds in enumerate(task.problem.data_space_names)
    }
    return Names(
        rank_variable,
        {v: k for k, v in rank_variable.items()},
        tensor,
        {v: k for k, v in tensor.items()},
    )


# ------------------------------------------------------------------------ what cannot be said
def inexpressible(task: MappingTask) -> list[str]:
    """What of `task` AccelForge cannot express, one phrase per feature (empty when it can)."""
    problem = task.problem
    names = names_for(task)
    sized = [d for d in problem.dimensions if problem.size(d) > 1]
    factors, orders = [], []
    for index, level in enumerate(task.architecture.storage):
        temporal = task.constraints.level(level.name).temporal
        stores = any(_tensor_sets(task, names, index))
        # a level that stores nothing gets no temporal loops: bounds of 1 and orders hold
        bounds = [
            f"{d}={n}" for d, n in temporal.factors.items() if d in sized and (stores or n > 1)
        ]
        if stores:
            bounds += [f"{d}<={n}" for d, n in temporal.max_factors.items() if n < problem.size(d)]
        if bounds:
            factors.append(f"{level.name} {' '.join(bounds)}")
        ordered = [d for d in (*temporal.inner, *temporal.outer) if d in sized]
        if stores and ordered and len(sized) > 1:
            orders.append(f"{level.name} {' '.join(ordered)}")
    reasons = []
    if factors:
        reasons.append(
            "temporal factor constraints (it has no per-level temporal loop bounds) at "
            + ", ".join(factors)
        )
    if orders:
        reasons.append("loop-order constraints (it has none) at " + ", ".join(orders))
    outputs = [ds.name for ds in problem.data_spaces if ds.read_write]
    if len(outputs) != 1:
        reasons.append(
            f"{len(outputs)} read-write data spaces in problem {problem.name} (an Einsum has one output)"
        )
    return reasons


# ------------------------------------------------------------------------------- translation
def _workload(task: MappingTask, names: Names) -> Any:
    from accelforge.frontend.workload import Einsum, TensorAccess, Workload

    problem = task.problem
    accesses = []
    for ds in problem.data_spaces:
        projection = {}
        for i, rank in enumerate(problem.rank_coefficients[ds.name]):
            terms = [
                names.rank_variable[d] if c == 1 else f"{c}*{names.rank_variable[d]}"
                for d, c in rank.items()
                if c
            ]
            projection[f"{names.tensor[ds.name]}_{i}"] = " + ".join(terms) or "0"
        accesses.append(
            TensorAccess(name=names.tensor[ds.name], projection=projection, output=ds.read_write)
        )
    shape = [f"0 <= {names.rank_variable[d]} < {problem.size(d)}" for d in problem.dimensions]
    return Workload(
        bits_per_value={"All": task.architecture.storage[0].word_bits},
        einsums=[Einsum(name=EINSUM, tensor_accesses=accesses, iteration_space_shape=shape)],
    )


def spatial_axes(task: MappingTask, index: int) -> dict[str, str]:
    """Dimension → mesh axis the constraints fix for the fanout below storage level `index`
    (`LoopConstraints.axes`, as hwsim's mapspace reads them; absent: either axis)."""
    spatial = task.constraints.level(task.architecture.storage[index].name).spatial
    axes = spatial.axes(task.problem.dimensions, task.architecture.fanout(index))
    return {d: a[0] for d, a in axes.items() if len(a) == 1}


def _loop_bounds(task: MappingTask, names: Names, index: int, axis: str) -> list[dict[str, Any]]:
    """AccelForge ``loop_bounds`` of one mesh axis of the fanout below storage level `index`."""
    spatial = task.constraints.level(task.architecture.storage[index].name).spatial
    axes = spatial_axes(task, index)
    bounds = []
    for d in task.problem.dimensions:
        rv = names.rank_variable[d]
        if axes.get(d, axis) != axis:
            bounds.append({"expression": rv, "operator": "==", "value": 1})
        elif d in spatial.factors:
            # with two free axes the factor is their product: bound each axis, check afterwards
            exact = d in axes or spatial.factors[d] == 1
            bounds.append(
                {"expression": rv, "operator": "==" if exact else "<=", "value": spatial.factors[d]}
            )
        elif d in spatial.max_factors:
            bounds.append({"expression": rv, "operator": "<=", "value": spatial.max_factors[d]})
    return bounds


def _tensor_sets(task: MappingTask, names: Names, index: int) -> tuple[list[str], list[str]]:
    """(tensors a level must keep, tensors it may keep)."""
    level = task.architecture.storage[index]
    if level.pass_through:
        return [], []
    if index == 0:
        return list(names.tensor.values()), []
    lc = task.constraints.level(level.name)
    spaces = task.problem.data_space_names
    keep = [names.tensor[ds] for ds in spaces if ds in lc.keep]
    may = [names.tensor[ds] for ds in spaces if ds not in lc.keep and ds not in lc.bypass]
    return keep, may


def _set_expression(tensors: list[str]) -> str:
    return " | ".join(tensors) or "Nothing"


def build_spec(task: MappingTask) -> tuple[Any, Names]:
    """The AccelForge ``Spec`` of `task` (see the module docstring) and the names it uses."""
    import accelforge as af
    from accelforge.frontend.arch import Arch, Compute, Container, Memory

    names = names_for(task)
    arch, table = task.architecture, task.table
    nodes: list[Any] = []
    spatial: list[dict[str, Any]] = []  # fanout above the next node
    for index, level in enumerate(arch.storage):
        keep, may = _tensor_sets(task, names, index)
        if keep or may:
            bits = level.block_size * level.word_bits
            size = level.effective_size
            nodes.append(
                Memory(
                    name=level.name,
                    size=math.inf if size is None else size * level.word_bits,
                    leak_power=0,
                    area=0,
                    bits_per_value={"All": level.word_bits},
                    spatial=spatial,
                    tensors={"keep": _set_expression(keep), "may_keep": _set_expression(may)},
                    actions=[
                        {
                            "name": action,
                            "energy": table.energy(level.name, source, level.class_name),
                            "bits_per_action": bits,
                            "throughput": math.inf,
                        }
                        for action, source in (("read", "read"), ("write", "fill"))
                    ],
                )
            )
        elif spatial:
            nodes.append(Container(name=level.name, spatial=spatial))
        fx, fy = arch.fanout(index)
        spatial = [
            {"name": axis, "fanout": n, "loop_bounds": _loop_bounds(task, names, index, axis)}
            for axis, n in (("X", fx), ("Y", fy))
            if n > 1
        ]
    compute = arch.compute
    nodes.append(
        Compute(
            name=compute.name,
            leak_power=0,
            area=0,
            spatial=spatial,
            actions=[
                {
                    "name": "compute",
                    "energy": table.energy(compute.name, "compute", compute.class_name),
                    "throughput": 1,
                }
            ],
        )
    )
    spec = af.Spec(arch=Arch(nodes=nodes), workload=_workload(task, names))
    spec.mapper.metrics = _metrics(task.settings.objective)
    if hasattr(spec.mapper, "_timeloop_style_even"):  # private in accelforge 1.0
        spec.mapper._timeloop_style_even = True
    return spec, names


def _metrics(objective: str) -> Any:
    from accelforge.frontend.mapper.metrics import Metrics

    if objective == "energy":
        return Metrics.ENERGY
    if objective == "delay":  # cycles first, energy breaks ties: keep the Pareto front of both
        return Metrics.LATENCY | Metrics.ENERGY
    if objective == "edp":
        return Metrics.ENERGY_DELAY_PRODUCT
    raise SpecError(f"unknown mapper objective {objective!r}")


# ------------------------------------------------------------------------ LoopTree → Timeloop
@dataclass(frozen=True)
class Item:
    """One node of a LoopTree, in hwsim terms.

    Attributes:
        kind: ``store`` (where a tile's reservation starts), ``temporal`` or ``spatial`` loop.
        level: storage level index: of a store; for a spatial loop, of the level above its
            fanout; -1 for a temporal loop, whose level the cuts decide.
        dims: data spaces stored (store) or the one dimension looped over.
        bound: loop bound (1 for a store).
        axis: ``X`` or ``Y`` for a spatial loop.
    """

    kind: Literal["store", "temporal", "spatial"]
    level: int
    dims: tuple[str, ...]
    bound: int = 1
    axis: str = ""


def looptree_items(nodes: list[Any], task: MappingTask, names: Names) -> list[Item]:
    """The tile reservations and non-trivial loops of one AccelForge mapping, top down."""
    from accelforge.frontend.mapping import Reservation, Spatial, Temporal

    order = {name: i for i, name in enumerate(task.architecture.storage_names)}
    order[task.architecture.compute.name] = len(order)
    tile = {names.rank_variable[d]: task.problem.size(d) for d in task.problem.dimensions}
    items: list[Item] = []
    for node in nodes:
        if isinstance(node, Reservation):
            spaces = tuple(names.data_space[t] for t in node.purposes)
            items.append(Item("store", order[node.resource], spaces))
        elif isinstance(node, Temporal | Spatial):
            rv = node.rank_variable
            shape = int(node.tile_shape)
            if tile[rv] % shape or node.initial_tile_shape not in (None, shape):
                raise SpecError(f"AccelForge returned an imperfect loop over {rv}")
            bound, tile[rv] = tile[rv] // shape, shape
            if bound == 1:
                continue
            if isinstance(node, Temporal):
                items.append(Item("temporal", -1, (names.dimension[rv],), bound))
            else:
                owner = order[node.component] - 1
                items.append(Item("spatial", owner, (names.dimension[rv],), bound, str(node.name)))
    return items


def cut_choices(items: list[Item]) -> list[dict[int, int]]:
    """Every distinct choice of a cut for each level that stores something (see module doc).

    A cut is the position of the item just below the level's tiles; it ranges from the level's
    first tile to its last, and only positions right after a loop give new mappings.
    """
    spans: dict[int, list[int]] = {}
    for position, item in enumerate(items):
        if item.kind == "store":
            spans.setdefault(item.level, []).append(position)
    levels = sorted(spans)
    options = [
        [
            p
            for p in range(min(spans[j]), max(spans[j]) + 1)
            if p == min(spans[j]) or items[p - 1].kind != "store"
        ]
        for j in levels
    ]
    return [dict(zip(levels, cuts, strict=True)) for cuts in itertools.product(*options)]


def directives(items: list[Item], cuts: dict[int, int], task: MappingTask) -> list[dict[str, Any]]:
    """Timeloop mapping directives for one choice of cuts; `SpecError` if Timeloop cannot say it."""
    arch = task.architecture
    cut_levels = sorted(cuts)
    temporal: dict[int, list[tuple[str, int]]] = {}
    spatial: dict[int, dict[str, dict[str, int]]] = {}
    keep: dict[int, set[str]] = {}
    last_temporal: tuple[int, str] | None = None
    for position, item in enumerate(items):
        owner = max((j for j in cut_levels if cuts[j] <= position), default=0)
        if item.kind == "store":
            keep.setdefault(item.level, set()).update(item.dims)
        elif item.kind == "temporal":
            loops = temporal.setdefault(owner, [])
            if last_temporal == (owner, item.dims[0]):  # one loop split only by reservations
                loops[-1] = (item.dims[0], loops[-1][1] * item.bound)
            else:
                loops.append((item.dims[0], item.bound))
            last_temporal = (owner, item.dims[0])
        else:
            if owner > item.level:
                raise SpecError(
                    f"a spatial loop below {arch.storage_names[item.level]} lies below {arch.storage_names[owner]}'s tiles"
                )
            axes = spatial.setdefault(item.level, {"X": {}, "Y": {}})
            d = item.dims[0]
            axes[item.axis][d] = axes[item.axis].get(d, 1) * item.bound
    out: list[dict[str, Any]] = []
    spaces = task.problem.data_space_names
    for index, level in enumerate(arch.storage):
        loops = temporal.get(index, [])
        dims = [d for d, _ in loops]
        if len(set(dims)) != len(dims):
            raise SpecError(f"{level.name} would need two loops over one dimension")
        if loops:
            innermost_first = [
                *reversed(dims),
                *(d for d in task.problem.dimensions if d not in dims),
            ]
            out.append(
                {
                    "target": level.name,
                    "type": "temporal",
                    "factors": {d: n for d, n in loops},
                    "permutation": innermost_first,
                }
            )
        axes = spatial.get(index, {})
        if axes:
            both = set(axes["X"]) & set(axes["Y"])
            if both:
                raise SpecError(f"{sorted(both)} would run along both mesh axes below {level.name}")
            order = [*axes["X"], *axes["Y"]]
            out.append(
                {
                    "target": level.name,
                    "type": "spatial",
                    "factors": {**axes["X"], **axes["Y"]},
                    "permutation": [
                        *order,
                        *(d for d in task.problem.dimensions if d not in order),
                    ],
                    "split": len(axes["X"]),
                }
            )
        if not level.pass_through:
            kept = keep.get(index, set())
            out.append(
                {
                    "target": level.name,
                    "type": "datatype",
                    "keep": [ds for ds in spaces if ds in kept],
                    "bypass": [ds for ds in spaces if ds not in kept],
                }
            )
    return out


def violations(mapping: Mapping, task: MappingTask) -> list[str]:
    """Every constraint of `task` that `mapping` breaks, one phrase each: keep/bypass, spatial
    (factor, mesh axis), temporal factors and loop order, as hwsim's mapspace reads them
    (`LoopConstraints.bound_limit`, `LoopConstraints.inner`/``outer``)."""
    out = []
    for index, lm in enumerate(mapping.levels):
        lc = task.constraints.level(lm.target)
        axes = spatial_axes(task, index)
        for k, d in enumerate(lm.spatial_permutation):
            axis = "X" if k < lm.split else "Y"
            if lm.spatial[d] > 1 and axes.get(d, axis) != axis:
                out.append(f"{lm.target} spatial {d} along {axes[d]}")
        if not lc.keep <= lm.keep or lc.bypass & lm.keep:
            out.append(f"{lm.target} keep/bypass")
        for d, n in lc.spatial.factors.items():
            if lm.spatial[d] != n:
                out.append(f"{lm.target} spatial {d}={n}")
        for d, n in lc.spatial.max_factors.items():
            if lm.spatial[d] > n:
                out.append(f"{lm.target} spatial {d}<={n}")
        out += temporal_violations(lm, lc.temporal, task)
    return out


def temporal_violations(
    lm: LevelMapping, temporal: LoopConstraints, task: MappingTask
) -> list[str]:
    """The temporal factor and loop-order constraints of one level that `lm` breaks.

    Loop order as hwsim's mapspace builds it: the ``inner`` dimensions innermost, in their
    order, the ``outer`` ones outermost, the free ones in between in any order; loops of bound 1
    have no place in the order.
    """
    out = []
    for d in task.problem.dimensions:
        required, largest = temporal.bound_limit(d, task.problem.size(d))
        bound = lm.temporal[d]
        if required is not None and bound != required:
            out.append(f"{lm.target} temporal {d}={required}")
        elif bound > largest:
            out.append(f"{lm.target} temporal {d}<={largest}")
    rank = {d: (0, i) for i, d in enumerate(temporal.inner)}
    rank |= {d: (2, i) for i, d in enumerate(temporal.outer)}
    order = [rank.get(d, (1, 0)) for d in lm.permutation if lm.temporal[d] > 1]
    if order != sorted(order):
        listed = [*temporal.inner, *(["_", *temporal.outer] if temporal.outer else [])]
        out.append(f"{lm.target} loop order {' '.join(listed)}")
    return out


def _score(evaluation: Evaluation, objective: str) -> tuple[float, float]:
    """(primary, secondary) of `evaluation`, ranked as the native search ranks (`objective_keys`)."""
    primary, secondary = objective_keys(
        np.array([evaluation.total_energy_pj]),
        np.array([float(evaluation.cycles)]),
        objective,  # type: ignore[arg-type]
    )
    return float(primary[0]), float(secondary[0])


# ------------------------------------------------------------------------------------- entry
@dataclass(frozen=True)
class Candidate:
    """One Timeloop form (a choice of level cuts) of one of FFM's mappings, evaluated by hwsim.

    Attributes:
        row: which of FFM's returned mappings it comes from.
        broken: the constraints of the task it breaks (`violations`); empty when it satisfies
            them all.
    """

    mapping: Mapping
    evaluation: Evaluation
    row: int
    broken: tuple[str, ...]


@dataclass(frozen=True)
class Projection:
    """Every valid Timeloop form of FFM's mappings, and how many level cuts were tried."""

    candidates: tuple[Candidate, ...]
    tried: int
    last_reason: str


def project(
    rows: list[list[Any]], told: MappingTask, names: Names, full: MappingTask | None = None
) -> Projection:
    """Every level cut of every returned LoopTree that Timeloop can say, that fits and that
    satisfies the constraints FFM was given (`told`), evaluated; each records what it breaks of
    the `full` constraints (default: `told`'s)."""
    full = full or told
    candidates: list[Candidate] = []
    tried, last_reason = 0, "no storage nodes"
    for row, nodes in enumerate(rows):
        items = looptree_items(nodes, told, names)
        for cuts in cut_choices(items):
            tried += 1
            try:
                mapping = bind_mapping(
                    directives(items, cuts, told), told.architecture, told.problem
                )
                broken = violations(mapping, told)
                if broken:
                    raise SpecError("breaks the constraints " + ", ".join(broken))
                evaluation = told.evaluate(mapping)
            except SpecError as err:
                last_reason = err.message
                continue
            broken = violations(mapping, full) if full is not told else []
            candidates.append(Candidate(mapping, evaluation, row, tuple(broken)))
    return Projection(tuple(candidates), tried, last_reason)


def best(candidates: Iterable[Candidate], objective: str) -> Candidate | None:
    """The candidate ranked first by `objective` (as the native search ranks), or None."""
    return min(candidates, key=lambda c: _score(c.evaluation, objective), default=None)


def _flat(nodes: list[Any]) -> list[Any]:
    out = []
    for node in nodes:
        out += _flat(list(node.nodes)) if hasattr(node, "nodes") else [node]
    return out


def run_ffm(spec: Any, n_jobs: int) -> tuple[Any, Any]:
    """AccelForge's partial mappings and joined mappings for `spec`, with `n_jobs` processes."""
    from accelforge.mapper.FFM.main import join_pmappings, make_pmappings
    from accelforge.util.parallel import get_n_parallel_jobs, set_n_parallel_jobs

    saved = get_n_parallel_jobs()
    set_n_parallel_jobs(n_jobs)
    try:
        pmappings = make_pmappings(spec, print_progress=False)
        found = join_pmappings(pmappings, metrics=spec.mapper.metrics, print_progress=False)
    finally:
        set_n_parallel_jobs(saved)
    return pmappings, found


@dataclass(frozen=True)
class FFMRun:
    """One FFM run, as hwsim sees it.

    Attributes:
        projection: the valid Timeloop forms of the mappings FFM returned.
        returned: mappings FFM returned (its Pareto front).
        evaluated, valid, skeletons: FFM's partial mappings evaluated, of which valid, and its
            jobs (loop-order/storage templates).
        seconds: FFM's own search time.
        estimates: per returned mapping, AccelForge's own energy and latency of it.
    """

    projection: Projection
    returned: int
    evaluated: int
    valid: int
    skeletons: int
    seconds: float
    estimates: tuple[str, ...]


def run_accelforge(told: MappingTask, full: MappingTask, *, n_jobs: int, widen: bool) -> FFMRun:
    """Run FFM on `told` (which it must be able to express) and project what it returns.

    `widen` asks FFM to keep its Pareto front of energy (or the objective's metrics) and every
    memory's usage instead of only the best mapping, so more candidates come back.
    """
    start = time.perf_counter()
    spec, names = build_spec(told)
    if widen:
        from accelforge.frontend.mapper.metrics import Metrics

        spec.mapper.metrics = spec.mapper.metrics | Metrics.RESOURCE_USAGE
    pmappings, found = run_ffm(spec, n_jobs)
    seconds = time.perf_counter() - start
    if len(found.data) == 0:
        raise SpecError(
            f"AccelForge found no valid mapping of {told.problem.name} on {told.architecture.name}"
        )
    rows = [
        _flat(list(found.data.iloc[i]["Total<SEP>mapping"]().nodes)) for i in range(len(found.data))
    ]
    estimates = tuple(
        ", ".join(
            f"{key.split('<SEP>')[1]} {float(data[key]):.6g}"
            for key in ("Total<SEP>energy", "Total<SEP>latency")
            if key in data.index
        )
        for _, data in found.data.iterrows()
    )
    return FFMRun(
        projection=project(rows, told, names, full),
        returned=len(found.data),
        evaluated=round(pmappings.n_evaluated_pmappings()),
        valid=round(pmappings.n_valid_pmappings()),
        skeletons=sum(len(jobs) for jobs in pmappings.einsum2jobs.values()),
        seconds=seconds,
        estimates=estimates,
    )


def relaxed(task: MappingTask) -> MappingTask:
    """`task` without its temporal factor and loop-order constraints: what AccelForge can say
    of it (architecture, fanouts, keep/bypass, spatial), a superset of its mapspace."""
    levels = {
        name: replace(lc, temporal=LoopConstraints())
        for name, lc in task.constraints.levels.items()
    }
    return replace(task, constraints=replace(task.constraints, levels=levels))


@dataclass(frozen=True)
class SupersetSearch:
    """FFM's mappings of the superset mapspace (`relaxed`), checked against the full task.

    Attributes:
        run: the FFM run; its candidates' ``broken`` name the full task's constraints.
        constrained: the best candidate that satisfies every constraint, or None.
        unconstrained: the best candidate of the superset mapspace (it may break them).
        seconds: wall time, FFM and hwsim's evaluation of every candidate.
    """

    run: FFMRun
    constrained: Candidate | None
    unconstrained: Candidate
    seconds: float

    def refusal(self, task: MappingTask) -> str:
        """Why no candidate qualifies: how many were checked, what they broke most often."""
        broken = Counter(b for c in self.run.projection.candidates for b in c.broken)
        common = ", ".join(f"{b} ({n})" for b, n in broken.most_common(3))
        return (
            f"none of AccelForge's {self.run.returned} mapping(s) of {task.problem.name} "
            f"({len(self.run.projection.candidates)} Timeloop forms) satisfies the constraints it "
            f"cannot express; most often broken: {common}"
        )


def search_superset(task: MappingTask, *, n_jobs: int = 1) -> SupersetSearch:
    """Map `relaxed(task)` with FFM, asking for its whole Pareto front (`run_accelforge`),
    and rank every Timeloop form of every mapping it returns by `task`'s objective: the best
    overall, and the best that satisfies all of `task`'s constraints."""
    superset = relaxed(task)
    reasons = inexpressible(superset)
    if reasons:
        raise SpecError("AccelForge cannot express " + "; ".join(reasons))
    start = time.perf_counter()
    run = run_accelforge(superset, task, n_jobs=n_jobs, widen=True)
    candidates = run.projection.candidates
    overall = best(candidates, task.settings.objective)
    if overall is None:
        raise SpecError(
            f"none of AccelForge's {run.returned} mapping(s) of {task.problem.name} has a valid "
            f"Timeloop form ({run.projection.tried} level cuts tried; last: "
            f"{run.projection.last_reason})"
        )
    satisfying = best((c for c in candidates if not c.broken), task.settings.objective)
    return SupersetSearch(run, satisfying, overall, time.perf_counter() - start)


def map_with_accelforge(task: MappingTask, *, n_jobs: int = 1, relax: bool = False) -> MapperResult:
    """Map `task` with AccelForge's FFM; return its best mapping as hwsim evaluates it.

    Args:
        task: what to map.
        n_jobs: AccelForge's worker processes. One (in this process) is fastest for layer-sized
            problems, and the only setting in which AccelForge counts valid mappings correctly.
        relax: False: a `SpecError` says what AccelForge cannot express (module docstring).
            True: FFM maps the superset mapspace without the temporal constraints, and the
            best of its mappings that satisfy all of them is returned (`search_superset`); a
            `SpecError` when none does.
    """
    start = time.perf_counter()
    if relax:
        search = search_superset(task, n_jobs=n_jobs)
        if search.constrained is None:
            raise SpecError(search.refusal(task))
        run, chosen = search.run, search.constrained
        satisfying = sum(not c.broken for c in run.projection.candidates)
        mode = [
            "relaxed: accelforge mapped the task without its temporal factor and loop-order "
            f"constraints; {satisfying} of its {len(run.projection.candidates)} Timeloop forms "
            "satisfy them, the best of those is returned"
        ]
    else:
        reasons = inexpressible(task)
        if reasons:
            raise SpecError("AccelForge cannot express " + "; ".join(reasons))
        run = run_accelforge(task, task, n_jobs=n_jobs, widen=False)
        found = best(run.projection.candidates, task.settings.objective)
        if found is None:
            raise SpecError(
                f"none of AccelForge's {run.returned} mapping(s) of {task.problem.name} has a "
                f"valid Timeloop form ({run.projection.tried} level cuts tried; last: "
                f"{run.projection.last_reason})"
            )
        chosen, mode = found, []
    notes = [
        f"accelforge {_version()} (FFM): {run.evaluated} partial mappings evaluated, "
        f"{run.valid} valid, {run.returned} returned, in {run.seconds:.2f} s",
        *mode,
        f"accelforge's own estimate for its mapping: {run.estimates[chosen.row]} (pJ, cycles)",
        f"written as Timeloop levels: {len(run.projection.candidates)} of "
        f"{run.projection.tried} level cuts valid",
        *_pricing_notes(task),
    ]
    return MapperResult(
        mapping=chosen.mapping,
        evaluation=chosen.evaluation,
        evaluated=run.evaluated,
        valid=run.valid,
        skeletons=run.skeletons,
        exhaustive=False,
        seconds=time.perf_counter() - start,
        notes=tuple(notes),
    )


def _pricing_notes(task: MappingTask) -> list[str]:
    """Where AccelForge's objective prices differently from hwsim (updates priced as fills)."""
    differ = [
        level.name
        for level in task.architecture.storage
        if not level.pass_through
        and task.table.entry(level.name, level.class_name) is not None
        and task.table.energy(level.name, "update", level.class_name)
        != task.table.energy(level.name, "fill", level.class_name)
    ]
    if not differ:
        return []
    return [f"accelforge priced updates as fills (one write action) at {', '.join(differ)}"]


def _version() -> str:
    from importlib.metadata import version

    return version("accelforge")
