"""Reuse distance of each tensor under a mapping's loop nest.

An element of a tensor is used again when a loop that does not index the tensor (an
*irrelevant* loop, e.g. ``p`` for the weights ``f[m, r]``) advances. How far inside the nest
that loop sits decides where the reuse can be served: the reuse distance (MACs between two uses
of the same element, the product of the loop bounds inside it) and the footprint (distinct
elements of the tensor touched meanwhile) are small for an inner loop, so a small buffer keeps
the element; an irrelevant loop at the outer memory's level re-reads the tensor from there each
iteration. A tensor indexed by a sum of dimensions (``i[p + r]``) also has sliding-window reuse
between the loops of that sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from pathlib import Path

from hwsim.analytical.capacity import tile_sizes
from hwsim.analytical.geometry import HullGeometry, freeze_ranks
from hwsim.nest import LoopNest
from hwsim.report.table2 import default_spec_dir, mapping_label
from hwsim.spec.files import load_specs
from hwsim.spec.mapping import bind_mapping
from hwsim.spec.yaml_io import load_yaml_file


@dataclass(frozen=True)
class IrrelevantLoop:
    """One loop that does not index a tensor, and what reusing the tensor across it costs.

    Attributes:
        dimension, bound: the loop.
        position: 1 for the innermost loop of the nest, counting outward.
        level: the storage level whose loops it belongs to.
        distance_macs: MACs between two uses of an element across this loop.
        footprint: distinct elements of the tensor touched between those two uses.
        kept: whether the innermost storage level's tile of the tensor covers that footprint, so
            the reuse is served there (else the outer level sends the elements again).
    """

    dimension: str
    bound: int
    position: int
    level: str
    distance_macs: int
    footprint: int
    kept: bool

    def __str__(self) -> str:
        return f"{self.dimension.lower()}{self.bound}"


@dataclass(frozen=True)
class TensorReuse:
    """How one tensor is reused under one loop nest.

    Attributes:
        tensor: the data space.
        size: its elements.
        indexed_by: the dimensions that index it.
        sliding: the dimensions summed in one of its ranks (sliding-window reuse), if any.
        tile: elements of it the innermost storage level holds (0: bypassed).
        irrelevant: its irrelevant loops, innermost first.
    """

    tensor: str
    size: int
    indexed_by: tuple[str, ...]
    sliding: tuple[str, ...]
    tile: int
    irrelevant: tuple[IrrelevantLoop, ...]

    @property
    def lost(self) -> tuple[IrrelevantLoop, ...]:
        """The irrelevant loops whose reuse the innermost level cannot serve."""
        return tuple(loop for loop in self.irrelevant if not loop.kept)


@dataclass(frozen=True)
class NestReuse:
    """Every tensor's reuse under one mapping.

    Attributes:
        mapping: the mapping's name (as in Table 2).
        nest: the loop nest itself.
        tensors: tensor name → `TensorReuse`.
        inner_capacity: words the innermost storage level holds (None if unbounded).
        inner_level: that level's name.
    """

    mapping: str
    nest: LoopNest
    tensors: dict[str, TensorReuse]
    inner_capacity: int | None
    inner_level: str


def nest_reuse(name: str, nest: LoopNest) -> NestReuse:
    """The reuse of every tensor of `nest` (see module docstring)."""
    problem, geometry = nest.problem, HullGeometry()
    tiles = tile_sizes(nest, 0)
    tensors = {}
    for ds in problem.data_space_names:
        coefficients = problem.rank_coefficients[ds]
        ranks = freeze_ranks(coefficients)
        indexed = tuple(d for d in problem.dimensions if any(r.get(d) for r in coefficients))
        sliding = next((tuple(r) for r in coefficients if sum(1 for c in r.values() if c) > 1), ())
        irrelevant = []
        for i, loop in enumerate(nest.loops):
            if loop.dimension in indexed:
                continue
            footprint = geometry.size(ranks, nest.extents_below(i))
            irrelevant.append(
                IrrelevantLoop(
                    loop.dimension,
                    loop.bound,
                    i + 1,
                    nest.level_names[loop.level],
                    prod(inner.bound for inner in nest.loops[:i]),
                    footprint,
                    footprint <= tiles.get(ds, 0),
                )
            )
        size = geometry.size(ranks, problem.instance)
        tensors[ds] = TensorReuse(ds, size, indexed, sliding, tiles.get(ds, 0), tuple(irrelevant))
    inner = nest.level_names[0]
    capacity = nest.architecture.storage_level(inner).effective_size
    return NestReuse(name, nest, tensors, capacity, inner)


def describe_nest(nest: LoopNest) -> str:
    """``MainMemory[m16 r3] Buffer[m2 p16]``: each level's loops, outermost first."""
    groups = []
    for level in reversed(range(nest.num_levels)):
        loops = [f"{lp.dimension.lower()}{lp.bound}" for lp in nest.loops if lp.level == level]
        groups.append(f"{nest.level_names[level]}[{' '.join(reversed(loops))}]")
    return " ".join(groups)


def course_nests(spec_dir: str | Path | None = None) -> dict[str, LoopNest]:
    """Mapping name (as Table 2 names it) → its loop nest, for every mapping under `spec_dir`."""
    folder = Path(spec_dir) if spec_dir else default_spec_dir()
    paths = sorted(folder.rglob("*.yaml"))
    documents = {path: load_yaml_file(path) for path in paths}
    mappings = [p for p, d in documents.items() if isinstance(d, dict) and "mapping" in d]
    base = load_specs([p for p in paths if p not in mappings])
    base.require("architecture", "problem")
    assert base.architecture is not None and base.problem is not None
    nests = {}
    for path in mappings:
        bound = bind_mapping(
            load_specs([path]).mapping_document, base.architecture, base.problem, file=str(path)
        )
        nests[mapping_label(path)] = LoopNest.build(base.problem, base.architecture, bound)
    return nests
