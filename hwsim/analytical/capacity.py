"""Capacity check: every level's tiles must fit in it (Timeloop's rule, on bounding boxes)."""

from __future__ import annotations

from hwsim.analytical.geometry import HullGeometry, freeze_ranks
from hwsim.errors import SpecError
from hwsim.nest import LoopNest


def tile_sizes(nest: LoopNest, level: int) -> dict[str, int]:
    """Words of each kept data space one instance of storage level `level` holds."""
    ext = nest.tile_extents(level)
    geometry = HullGeometry()
    return {
        ds: geometry.size(freeze_ranks(nest.problem.rank_coefficients[ds]), ext)
        for ds in nest.problem.data_space_names
        if nest.keep[ds][level]
    }


def check_capacity(nest: LoopNest) -> None:
    """Raise a `SpecError` naming the mapping file and the level whose tiles do not fit."""
    arch = nest.architecture
    for s, name in enumerate(nest.level_names):
        capacity = arch.storage_level(name).effective_size
        if capacity is None:
            continue
        sizes = tile_sizes(nest, s)
        needed = sum(sizes.values())
        if needed > capacity:
            detail = " + ".join(f"{ds} {n}" for ds, n in sizes.items())
            raise SpecError(
                f"tiles at {name} need {needed} words ({detail}) but {name} holds {capacity} words",
                file=nest.mapping.file,
                field=f"mapping (level {name})",
            )
