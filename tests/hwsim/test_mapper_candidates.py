"""Rows listed on demand by their cycle bound are the rows `factor_rows` lists, the bound never
exceeds a row's cycles, and the bounded delay and EDP searches find what scoring every row finds."""

from __future__ import annotations

import numpy as np
import pytest
from mapper_fixtures import SMALL_ARCH, TABLE
from spec_builders import conv1d

from hwsim.analytical.batch import energy_vectors, evaluate_batch, tile_fits
from hwsim.mapper.candidates import cycle_bounds
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, map_problem
from hwsim.mapper.space import Mapspace
from hwsim.spec.architecture import parse_architecture
from hwsim.spec.layers import conv2d_problem

#: A 4x2 mesh with nothing constrained: dimensions run along X or Y, both meshes are checked.
MESH_ARCH = parse_architecture(
    {
        "version": 0.4,
        "nodes": [
            {"name": "System", "attributes": {"technology": "45nm"}},
            {"name": "DRAM", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
            {"name": "Buffer", "class": "SRAM", "attributes": {"depth": 256, "width": 8}},
            {"name": "PE", "spatial": {"meshX": 4, "meshY": 2}},
            {"name": "RF", "class": "regfile", "attributes": {"depth": 16, "width": 8}},
            {"name": "MAC", "class": "intmac", "attributes": {"width": 8}},
        ],
    }
)


def _space(arch, problem) -> Mapspace:
    return Mapspace.build(problem, arch, parse_constraints([], arch, problem))


@pytest.mark.parametrize(
    "problem",
    [
        conv2d_problem(C=4, M=6, P=4, Q=2, R=3, S=1),
        conv2d_problem(C=2, M=8, P=2, Q=2, groups=4),
    ],
)
def test_rows_listed_on_demand_are_factor_rows_in_the_same_order(problem) -> None:
    space = _space(MESH_ARCH, problem)
    for keep in space.keep_choices[:4]:
        skeleton = space.skeleton(keep, space.default_orders())
        every = space.factor_rows(skeleton)
        found = space.candidates(skeleton)
        assert found.count == len(every) > 0
        rows, position = found.rows(0, np.inf)
        assert np.array_equal(rows, every)
        assert np.all(np.diff(position) > 0)
        bounds = cycle_bounds(skeleton, every)
        assert np.array_equal(found.levels, np.unique(bounds))
        low, high = found.levels[0], found.levels[min(2, len(found.levels) - 1)]
        middle, _ = found.rows(low, high)
        assert np.array_equal(middle, every[(bounds > low) & (bounds <= high)])


def test_cycle_bound_never_exceeds_cycles() -> None:
    problem = conv2d_problem(C=4, M=6, P=4, Q=2, R=3, S=1)
    space = _space(MESH_ARCH, problem)
    skeleton = space.skeleton(space.keep_choices[0], space.default_orders())
    rows = space.factor_rows(skeleton)
    result = evaluate_batch(skeleton, rows)
    assert np.all(result.cycles >= cycle_bounds(skeleton, rows))


@pytest.mark.parametrize("objective", ["delay", "edp"])
@pytest.mark.parametrize("arch", [SMALL_ARCH, MESH_ARCH])
def test_bounded_search_finds_what_scoring_every_row_finds(arch, objective: str) -> None:
    # loop orders fixed at every level, bypass free: a few dozen skeletons, all searched
    problem = conv1d(M=8, R=3, P=8)
    fixed = [
        {"target": level, "type": "temporal", "permutation": "PRM"}
        for level in ("DRAM", "Buffer", "RF")
    ]
    constraints = parse_constraints(
        [{"architecture_constraints": {"targets": fixed}}], arch, problem
    )
    space = Mapspace.build(problem, arch, constraints)
    found = map_problem(
        problem,
        arch,
        constraints,
        TABLE,
        MapperSettings(objective=objective, progress=False),  # type: ignore[arg-type]
    )
    assert found.exhaustive
    # every row of every skeleton, in search order: the first with the least (primary, energy)
    vectors = energy_vectors(space.skeleton(space.keep_choices[0], space.default_orders()), TABLE)
    best = None
    for keep in space.keep_choices:
        for orders in space.all_orders():
            skeleton = space.skeleton(keep, orders)
            rows = space.factor_rows(skeleton)
            rows = rows[tile_fits(skeleton, rows)]
            if not len(rows):
                continue
            result = evaluate_batch(skeleton, rows, energy=vectors)
            assert result.energy_pj is not None
            for i in np.flatnonzero(result.fits):
                energy, cycles = float(result.energy_pj[i]), float(result.cycles[i])
                key = (cycles if objective == "delay" else energy * cycles, energy)
                if best is None or key < best[0]:
                    best = (key, skeleton.mapping(rows[i]))
    assert best is not None
    primary = found.cycles if objective == "delay" else found.energy_pj * found.cycles
    assert (primary, found.energy_pj) == pytest.approx(best[0], rel=1e-12)
    assert found.mapping == best[1]
    every = sum(
        len(space.factor_rows(space.skeleton(k, o)))
        for k in space.keep_choices
        for o in space.all_orders()
    )
    # delay prunes to the fewest-cycle rows; EDP's floor (compute energy) may prune nothing
    assert found.evaluated < every if objective == "delay" else found.evaluated <= every
