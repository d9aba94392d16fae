"""The loop nest: a mapping flattened into one list of loops, innermost first.

Both engines start from a `LoopNest`. Storage levels are numbered from the innermost (0, next to
the compute units) outward, as in Timeloop. Each storage level contributes its spatial loops
(the fanout below it; innermost) and then its temporal loops, each group in the order of its
permutation (innermost first). Loops with a bound of 1 are dropped; they never change a tile.

``prefix[s]`` is the number of loops at or below storage level ``s``: the tile held by level
``s`` is what the loops ``loops[:prefix[s]]`` touch, and the loops ``loops[prefix[s]:]`` decide
when that tile changes.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from functools import cached_property
from math import prod
from typing import Literal

from hwsim.spec.architecture import Architecture
from hwsim.spec.mapping import Mapping
from hwsim.spec.problem import Problem

Axis = Literal["T", "X", "Y"]


@dataclass(frozen=True)
class Loop:
    """One loop: the dimension it walks, its bound, whether it is temporal (``T``) or spatial
    (``X``/``Y``), and the storage level (0 = innermost) it belongs to."""

    dimension: str
    bound: int
    axis: Axis
    level: int

    @property
    def spatial(self) -> bool:
        return self.axis != "T"

    def __str__(self) -> str:
        kind = "" if self.axis == "T" else f" (Spatial-{self.axis})"
        return f"for {self.dimension} in [0:{self.bound}){kind}"


@dataclass(frozen=True)
class LoopNest:
    """A problem mapped onto an architecture, as one loop nest.

    Attributes:
        problem, architecture, mapping: the specs it was built from.
        level_names: storage level names, innermost first.
        loops: non-trivial loops, innermost first.
        prefix: per storage level (innermost first), how many loops lie at or below it.
        keep: data space → per storage level (innermost first), whether the level stores it.
    """

    problem: Problem
    architecture: Architecture
    mapping: Mapping
    level_names: tuple[str, ...]
    loops: tuple[Loop, ...]
    prefix: tuple[int, ...]
    keep: MappingABC[str, tuple[bool, ...]]

    @classmethod
    def build(cls, problem: Problem, architecture: Architecture, mapping: Mapping) -> LoopNest:
        levels = list(reversed(mapping.levels))  # innermost first
        loops: list[Loop] = []
        prefix: list[int] = []
        for index, lvl in enumerate(levels):
            split = lvl.split
            for position, dim in enumerate(lvl.spatial_permutation):
                if lvl.spatial[dim] > 1:
                    loops.append(
                        Loop(dim, lvl.spatial[dim], "X" if position < split else "Y", index)
                    )
            for dim in lvl.permutation:
                if lvl.temporal[dim] > 1:
                    loops.append(Loop(dim, lvl.temporal[dim], "T", index))
            prefix.append(len(loops))
        keep = {ds: tuple(ds in lvl.keep for lvl in levels) for ds in problem.data_space_names}
        return cls(
            problem=problem,
            architecture=architecture,
            mapping=mapping,
            level_names=tuple(lvl.target for lvl in levels),
            loops=tuple(loops),
            prefix=tuple(prefix),
            keep=keep,
        )

    # ------------------------------------------------------------------ derived quantities
    @property
    def num_levels(self) -> int:
        return len(self.level_names)

    def extents_below(self, count: int) -> dict[str, int]:
        """Per dimension, the extent walked by the innermost `count` loops."""
        ext = dict.fromkeys(self.problem.dimensions, 1)
        for loop in self.loops[:count]:
            ext[loop.dimension] *= loop.bound
        return ext

    def tile_extents(self, level: int) -> dict[str, int]:
        """Per dimension, the extent of the operation-space tile held by storage level `level`."""
        return self.extents_below(self.prefix[level])

    @cached_property
    def computes(self) -> int:
        """Total compute operations (MACs)."""
        return prod(loop.bound for loop in self.loops)

    def instances(self, level: int) -> int:
        """Utilized instances of storage level `level`: the product of spatial loops above it."""
        return prod(loop.bound for loop in self.loops[self.prefix[level] :] if loop.spatial)

    @cached_property
    def compute_instances(self) -> int:
        """Utilized compute units: the product of all spatial loops."""
        return prod(loop.bound for loop in self.loops if loop.spatial)

    @cached_property
    def temporal_iterations(self) -> int:
        """Cycles if every compute unit does one operation per cycle."""
        return prod(loop.bound for loop in self.loops if not loop.spatial)

    def step_vectors(self, data_space: str) -> list[tuple[int, ...]]:
        """For each loop, the data-space translation (per rank) of one step of that loop."""
        ranks = self.problem.rank_coefficients[data_space]
        ext = dict.fromkeys(self.problem.dimensions, 1)
        out = []
        for loop in self.loops:
            out.append(tuple(rank.get(loop.dimension, 0) * ext[loop.dimension] for rank in ranks))
            ext[loop.dimension] *= loop.bound
        return out

    @property
    def has_spatial(self) -> bool:
        return any(loop.spatial for loop in self.loops)

    def describe(self) -> str:
        """The loop nest as text, outermost first, grouped by storage level (like Timeloop's map.txt)."""
        lines = []
        depth = 0
        for level in reversed(range(self.num_levels)):
            name = self.level_names[level]
            kept = [ds for ds in self.problem.data_space_names if self.keep[ds][level]]
            header = f"{name} [ {' '.join(kept)} ]"
            lines += [header, "-" * len(header)]
            lo = self.prefix[level - 1] if level else 0
            for loop in reversed(self.loops[lo : self.prefix[level]]):
                lines.append("|" + "  " * depth + " " + str(loop))
                depth += 1
            lines.append("")
        return "\n".join(lines)
