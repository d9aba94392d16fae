"""Capacity: every level's tiles must fit in it (Timeloop's rule, on bounding boxes).

The rule itself is the engine's `hwsim.analytical.kernel.overfull_level` (the batch evaluator
applies it to every row); here it is applied to one mapping and turned into a user error.
"""

from __future__ import annotations

import numpy as np

from hwsim.analytical import batch, kernel
from hwsim.analytical.batch import Skeleton
from hwsim.errors import SpecError
from hwsim.nest import LoopNest


def capacity_error(skeleton: Skeleton, bounds: np.ndarray, file: str | None) -> SpecError | None:
    """The `SpecError` naming the mapping file and the level whose tiles do not fit, or
    ``None`` when every level's tiles fit (one row of `bounds`)."""
    all_sizes = batch.tile_sizes(skeleton, bounds.reshape(1, -1))
    s = kernel.overfull_level(all_sizes, 0, skeleton.kernel_layout.capacity)
    sizes = all_sizes[0]
    if s < 0:
        return None
    name = skeleton.level_names[s]
    spaces = skeleton.problem.data_space_names
    detail = " + ".join(f"{ds} {sizes[s, k]}" for k, ds in enumerate(spaces) if sizes[s, k])
    held = skeleton.kernel_layout.capacity[s]
    return SpecError(
        f"tiles at {name} need {sizes[s].sum()} words ({detail}) but {name} holds {held} words",
        file=file,
        field=f"mapping (level {name})",
    )


def check_capacity(nest: LoopNest) -> None:
    """Raise a `SpecError` naming the mapping file and the level whose tiles do not fit."""
    skeleton, bounds = Skeleton.from_mapping(nest.problem, nest.architecture, nest.mapping)
    if error := capacity_error(skeleton, bounds[0], nest.mapping.file):
        raise error


def tile_sizes(nest: LoopNest, level: int) -> dict[str, int]:
    """Words of each kept data space one instance of storage level `level` holds."""
    skeleton, bounds = Skeleton.from_mapping(nest.problem, nest.architecture, nest.mapping)
    sizes = batch.tile_sizes(skeleton, bounds)[0, level]
    return {
        ds: int(sizes[k])
        for k, ds in enumerate(nest.problem.data_space_names)
        if nest.keep[ds][level]
    }
