"""Energy floors (`hwsim.analytical.batch.energy_floors`): below the energy of every loop order.

A floor is what lets the optimal mapper exclude a factorization without evaluating its orders,
so it must never exceed the engine's energy for any order of the free levels' loops. Each test
enumerates every order (`WideLayout`, whose orders the brute-force tests of the optimal mapper
check) and compares per factorization.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mapper_fixtures import Q3_CLASSIC_TABLE, TABLE, small_arch
from spec_builders import conv1d

from hwsim.accelerators import load_accelerator
from hwsim.analytical.batch import (
    _prices,  # the price tables floor_prices takes
    energy_floors,
    energy_vectors,
    evaluate_batch,
    floor_prices,
    tile_fits,
)
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.optimal import WideLayout, search
from hwsim.mapper.search import MapperSettings
from hwsim.mapper.space import Mapspace
from hwsim.spec.layers import conv2d_problem


def least_energy_per_factorization(layout: WideLayout, rows, vectors, version: str):
    """(rows,): the engine's least energy over every order of each factorization's used loops."""
    masks = layout.used_masks(rows)
    least = np.full(len(rows), np.inf)
    for pattern in np.unique(masks, axis=0):
        idx = np.flatnonzero((masks == pattern).all(axis=1))
        orders = list(layout.orders(tuple(pattern.tolist())))
        result = evaluate_batch(
            layout.wide, layout.widen(rows[idx], orders), version=version, energy=vectors
        )
        energy = np.where(result.fits, result.energy_pj, np.inf).reshape(len(orders), len(idx))
        least[idx] = energy.min(axis=0)
    return least


def check_floors(space: Mapspace, table, version: str) -> np.ndarray:
    """Assert floor <= least energy for every factorization of every bypass choice; return
    the ratios floor / least (1 where both are exact)."""
    ratios = []
    for keep in space.keep_choices:
        layout = WideLayout.of(space, keep)
        rows = space.factor_rows(layout.compact)
        rows = rows[tile_fits(layout.compact, rows)]
        vectors = energy_vectors(layout.compact, table)
        floors = energy_floors(layout.compact, rows, layout.groups(), vectors, version=version)
        least = least_energy_per_factorization(layout, rows, vectors, version)
        ok = np.isfinite(least)
        # up to float rounding (sums in another order): where a floor is exact it may exceed
        # the engine's total by an ulp; the search allows `FLOOR_MARGIN` (1e-9) for that
        above = floors[ok] > least[ok] * (1 + 1e-12)
        assert not above.any(), np.flatnonzero(above)
        ratios.append(floors[ok] / least[ok])
    return np.concatenate(ratios)


def q3_arch_only(problem):
    accelerator = load_accelerator("eyeriss_like_q3")
    arch_only = [c for c in accelerator.constraints if "architecture_constraints" in c]
    arch = accelerator.architecture
    return Mapspace.build(problem, arch, parse_constraints(arch_only, arch, problem))


def keep_all(problem, levels=("DRAM", "Buffer", "RF")):
    targets = [
        {"target": t, "type": "bypass", "keep": list(problem.data_space_names)} for t in levels
    ]
    return [{"mapspace_constraints": {"targets": targets}}]


def test_floors_on_the_course_accelerator_where_neighbours_forward_inputs() -> None:
    # Eyeriss-like Q3 with only its architecture constraints: inputs move diagonally between
    # PEs, so the floors take the cheapest corner of the link plans' shares
    problem = conv2d_problem(C=2, M=4, P=6, Q=6, R=3, S=3)
    space = q3_arch_only(problem)
    layout = WideLayout.of(space, space.keep_choices[0])
    rows = space.factor_rows(layout.compact)
    vectors = energy_vectors(layout.compact, Q3_CLASSIC_TABLE)
    table, block = _prices(layout.compact, vectors)
    spaces = np.ones(3, dtype=np.bool_)
    _priced, cornered, _computes, _fits = floor_prices(
        layout.compact, rows, "v3.0", table, block, layout.groups(), spaces
    )
    assert cornered[:, problem.data_space_names.index("Inputs")].any()
    ratios = check_floors(space, Q3_CLASSIC_TABLE, "v3.0")
    assert np.median(ratios) > 0.5  # and useful: most floors within 2x of the least energy


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    m=st.sampled_from([1, 2, 4]),
    r=st.sampled_from([1, 2, 3]),
    p=st.sampled_from([2, 4, 6]),
    buffer=st.integers(4, 24),
    rf=st.integers(2, 6),
    mesh=st.sampled_from([(2, 1), (2, 2), (4, 1)]),
    version=st.sampled_from(["v3.0", "master"]),
)
def test_floors_on_random_small_cases(m, r, p, buffer, rf, mesh, version) -> None:
    problem = conv1d(M=m, R=r, P=p)
    arch = small_arch(buffer, rf, mesh)
    constraints = parse_constraints(keep_all(problem, ("DRAM", "RF")), arch, problem)
    check_floors(Mapspace.build(problem, arch, constraints), TABLE, version)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    c=st.sampled_from([1, 2, 3]),
    m=st.sampled_from([2, 4]),
    p=st.sampled_from([2, 4, 6]),
    k=st.sampled_from([1, 3]),
    stride=st.sampled_from([1, 2]),
)
def test_floors_on_random_course_layers(c, m, p, k, stride) -> None:
    problem = conv2d_problem(C=c, M=m, P=p, Q=p, R=k, S=k, stride=stride)
    check_floors(q3_arch_only(problem), Q3_CLASSIC_TABLE, "v3.0")


def test_the_stem_layer_is_proven_optimal_from_a_few_percent_of_its_mappings() -> None:
    # ResNet-32's stem (C3 M16 P32 R3) on Q3 with only its architecture constraints:
    # 507,214 mappings. Evaluating every one of them with the engine (the search without
    # floors) gave a least energy of 5,118,367.1324 pJ at 49,152 cycles.
    problem = conv2d_problem(C=3, M=16, P=32, Q=32, R=3, S=3)
    space = q3_arch_only(problem)
    settings_ = MapperSettings(objective="energy", timeloop_version="v3.0", progress=False)
    found = search(space, Q3_CLASSIC_TABLE, settings_)
    assert found.proven and found.mappings == 507_214
    assert found.score == (pytest.approx(5_118_367.1324, rel=1e-9), 49_152)
    assert found.evaluated < 0.1 * found.mappings


def test_a_negative_energy_per_access_gives_no_floor() -> None:
    # a lower count times a negative price is a higher energy: no floor can be claimed
    problem = conv1d(M=2, R=2, P=4)
    arch = small_arch(buffer=8, rf=3, mesh=(2, 1))
    space = Mapspace.build(problem, arch, parse_constraints(keep_all(problem), arch, problem))
    layout = WideLayout.of(space, space.keep_choices[0])
    rows = space.factor_rows(layout.compact)
    vectors = energy_vectors(layout.compact, TABLE)
    vectors["Buffer"] = {**vectors["Buffer"], "read": -1.0}
    assert (energy_floors(layout.compact, rows, layout.groups(), vectors) == -np.inf).all()
    vectors["Buffer"]["read"] = 1.0
    assert np.isfinite(energy_floors(layout.compact, rows, layout.groups(), vectors)).any()


def test_floors_of_the_data_spaces_add_up() -> None:
    # the optimal mapper's stages: one data space first, the others for the factorizations
    # left; a data space's counts never depend on another's, so the parts are the whole
    problem = conv2d_problem(C=2, M=4, P=6, Q=6, R=3, S=3)
    space = q3_arch_only(problem)
    layout = WideLayout.of(space, space.keep_choices[0])
    rows = space.factor_rows(layout.compact)
    rows = rows[tile_fits(layout.compact, rows)]
    vectors = energy_vectors(layout.compact, Q3_CLASSIC_TABLE)
    groups = layout.groups()
    whole = energy_floors(layout.compact, rows, groups, vectors, version="v3.0")
    computes = energy_floors(
        layout.compact, rows, groups, vectors, version="v3.0", spaces=np.zeros(3, dtype=bool)
    )
    assert np.ptp(computes) == 0 and computes[0] > 0  # the computes' energy, every row alike
    parts = [
        energy_floors(
            layout.compact,
            rows,
            groups,
            vectors,
            version="v3.0",
            spaces=np.arange(3) == k,
            computes=False,
        )
        for k in range(3)
    ]
    assert all((part > 0).all() for part in parts)
    np.testing.assert_allclose(computes + sum(parts), whole, rtol=1e-12)
    with pytest.raises(ValueError, match="spaces"):
        energy_floors(layout.compact, rows, groups, vectors, spaces=np.ones(2, dtype=bool))
