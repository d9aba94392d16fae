"""Counts of one mapped problem: `analyze`.

With ``reuse="timeloop"`` (the default) the mapping goes through the engine
(`hwsim.analytical.kernel`, via `hwsim.analytical.batch.evaluate_batch`) as a batch of one row —
the very code that scores the mapper's candidates — and comes back as `AccessCounts`.
``reuse="retain"`` is the separate retain-tile model (`hwsim.analytical.retain`), which agrees
with the trace simulator rather than with Timeloop.
"""

from __future__ import annotations

from typing import Literal

from hwsim.analytical.batch import Skeleton, evaluate_batch
from hwsim.analytical.capacity import capacity_error
from hwsim.analytical.retain import retain_counts
from hwsim.analytical.versions import version_flags
from hwsim.counts import AccessCounts, DataSpaceCounts
from hwsim.errors import SpecError
from hwsim.nest import LoopNest

Reuse = Literal["timeloop", "retain"]


def analyze(
    nest: LoopNest,
    *,
    reuse: Reuse = "timeloop",
    timeloop_version: str = "master",
    capacity: bool = True,
) -> AccessCounts:
    """Counts for a mapped problem.

    Args:
        nest: the problem mapped onto the architecture.
        reuse: ``"timeloop"`` (Timeloop's nest analysis) or ``"retain"`` (a buffer keeps its
            last tile; agrees with the trace simulator).
        timeloop_version: ``"master"`` (current), ``"v3.0"`` or ``"e1d76d6"`` (March 2023);
            only used with ``reuse="timeloop"``.
        capacity: check that every level's tiles fit its capacity (a `SpecError` if not).
    """
    version_flags(timeloop_version)
    if reuse not in ("timeloop", "retain"):
        raise SpecError(f"unknown reuse policy {reuse!r}; choose 'timeloop' or 'retain'")
    skeleton, bounds = Skeleton.from_mapping(nest.problem, nest.architecture, nest.mapping)
    if reuse == "retain":
        if capacity and (error := capacity_error(skeleton, bounds[0], nest.mapping.file)):
            raise error
        per_space = {ds: retain_counts(nest, ds) for ds in nest.problem.data_space_names}
        levels = {
            name: {ds: rows[s] for ds, rows in per_space.items()}
            for s, name in enumerate(nest.level_names)
        }
        engine = "analytical[retain]"
    else:
        result = evaluate_batch(skeleton, bounds, version=timeloop_version)
        if capacity and not result.fits[0]:
            error = capacity_error(skeleton, bounds[0], nest.mapping.file)
            assert error is not None  # the engine and the message apply the same rule
            raise error
        levels = {}
        for s, name in enumerate(skeleton.level_names):
            levels[name] = {}
            for k, ds in enumerate(nest.problem.data_space_names):
                kept = bool(result.tiles[0, s, k])
                levels[name][ds] = DataSpaceCounts(
                    reads=int(result.reads[0, s, k]),
                    fills=int(result.fills[0, s, k]),
                    updates=int(result.updates[0, s, k]),
                    tile_size=int(result.tiles[0, s, k]),
                    partition_size=int(result.partitions[0, s, k]),
                    instances=int(result.instances[0, s]) if kept else 0,
                )
        engine = f"analytical[timeloop/{timeloop_version}]"
    return AccessCounts(
        engine=engine,
        computes=nest.computes,
        levels={name: levels[name] for name in reversed(nest.level_names)},
        compute_level=nest.architecture.compute.name,
        compute_instances=nest.compute_instances,
        cycles=nest.temporal_iterations,
        notes=nest.mapping.warnings,
    )
