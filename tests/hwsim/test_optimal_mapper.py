"""The optimal mapper finds the minimum of the whole mapspace: checked against brute force.

The brute force shares nothing with the search but the engine: every bypass choice, every order
of every level's loops (unused ones included, so the symmetry the search relies on is checked
too), every ordered factorization of every dimension (no capacity pruning: the engine's ``fits``
rejects what overflows), mesh limits applied by hand.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mapper_fixtures import Q3_CLASSIC_TABLE, SMALL_ARCH, TABLE, small_arch
from spec_builders import conv1d

from hwsim.accelerators import load_accelerator
from hwsim.analytical.batch import energy_vectors, evaluate_batch
from hwsim.cli import main
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.optimal import WideLayout, map_optimal, search
from hwsim.mapper.search import MapperSettings
from hwsim.mapper.space import Mapspace, ordered_factorizations
from hwsim.spec.layers import conv2d_problem

OBJECTIVES = ("energy", "delay", "edp")


def keep_all(problem, levels=("DRAM", "Buffer", "RF")):
    targets = [
        {"target": t, "type": "bypass", "keep": list(problem.data_space_names)} for t in levels
    ]
    return [{"mapspace_constraints": {"targets": targets}}]


def brute_force(space: Mapspace) -> dict[str, tuple[float, float]]:
    """Per objective, the smallest (primary, secondary) key of every valid mapping."""
    vectors = energy_vectors(space.skeleton(space.keep_choices[0], space.default_orders()), TABLE)
    best = dict.fromkeys(OBJECTIVES, (math.inf, math.inf))
    for keep in space.keep_choices:
        for orders in space.all_orders():
            skeleton = space.skeleton(keep, orders)
            per_dim = []
            for dim in space.problem.dimensions:
                idx = [i for i, slot in enumerate(skeleton.slots) if slot.dimension == dim]
                size = space.problem.size(dim)
                per_dim.append((idx, ordered_factorizations(size, ((None, size),) * len(idx))))
            rows = []
            for combo in itertools.product(*(splits for _, splits in per_dim)):
                row = np.ones(len(skeleton.slots), dtype=np.int64)
                for (idx, _), split in zip(per_dim, combo, strict=True):
                    row[idx] = split
                if fits_mesh(space, skeleton, row):
                    rows.append(row)
            if not rows:
                continue
            result = evaluate_batch(skeleton, np.array(rows), energy=vectors)
            ok = result.fits
            energy, cycles = result.energy_pj[ok], result.cycles[ok].astype(float)
            for objective, (primary, secondary) in {
                "energy": (energy, cycles),
                "delay": (cycles, energy),
                "edp": (energy * cycles, energy),
            }.items():
                for key in zip(primary.tolist(), secondary.tolist(), strict=True):
                    best[objective] = min(best[objective], key)
    return best


def fits_mesh(space: Mapspace, skeleton, row) -> bool:
    for s, plan in enumerate(space.plans):
        fx, fy = plan.fanout
        on = {"X": {}, "Y": {}}
        for slot, bound in zip(skeleton.slots, row, strict=True):
            if slot.level == s and slot.axis != "T" and bound > 1:
                on[slot.axis][slot.dimension] = bound
        if math.prod(on["X"].values()) > fx or math.prod(on["Y"].values()) > fy:
            return False
        if set(on["X"]) & set(on["Y"]):
            return False
    return True


def assert_matches_brute_force(problem, arch, constraints) -> None:
    """The search finds brute force's minimum per objective, both with its default waves (one
    wave evaluates a small space whole) and one factorization per wave, its floors completed
    one factorization at a time (the floors exclude all they can, at every stage)."""
    space = Mapspace.build(problem, arch, parse_constraints(constraints, arch, problem))
    expected = brute_force(space)
    for objective in OBJECTIVES:
        for waves, refine_rows in ((None, None), ((1, 1), 1)):
            settings_ = MapperSettings(objective=objective, progress=False)
            found = search(space, TABLE, settings_, waves=waves, refine_rows=refine_rows)
            assert found.proven, found.reason
            assert found.score[0] == pytest.approx(expected[objective][0], rel=1e-12), objective
            assert found.score[1] == pytest.approx(expected[objective][1], rel=1e-12), objective


def test_optimal_equals_brute_force_on_a_small_space() -> None:
    problem = conv1d(M=2, R=2, P=4)
    assert_matches_brute_force(problem, SMALL_ARCH, keep_all(problem))


def test_optimal_equals_brute_force_on_a_2x2_mesh_with_free_bypass() -> None:
    problem = conv1d(M=2, R=1, P=4)
    arch = small_arch(buffer=8, rf=3, mesh=(2, 2))
    # the buffer may keep or bypass each data space: eight bypass choices
    assert_matches_brute_force(problem, arch, keep_all(problem, ("DRAM", "RF")))


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    m=st.sampled_from([1, 2, 3, 4]),
    r=st.sampled_from([1, 2, 3]),
    p=st.sampled_from([2, 4, 6]),
    buffer=st.integers(4, 24),
    rf=st.integers(2, 6),
    mesh=st.sampled_from([(2, 1), (2, 2), (4, 1)]),
)
def test_optimal_equals_brute_force_on_random_small_cases(m, r, p, buffer, rf, mesh) -> None:
    problem = conv1d(M=m, R=r, P=p)
    assert_matches_brute_force(problem, small_arch(buffer, rf, mesh), keep_all(problem))


def test_every_order_of_a_factorization_is_the_same_factorization() -> None:
    """The wide rows of one factorization: each dimension's bounds multiply to its size, every
    order of the used loops appears once, and writing a row back gives that order."""
    problem = conv1d(M=4, R=3, P=6)
    arch = small_arch(buffer=16, rf=4, mesh=(2, 2))
    space = Mapspace.build(problem, arch, parse_constraints(keep_all(problem), arch, problem))
    layout = WideLayout.of(space, space.keep_choices[0])
    rows = space.factor_rows(layout.compact)
    row = rows[np.argmax((rows > 1).sum(axis=1))][None]  # the most loops used
    orders = list(layout.orders(tuple(layout.used_masks(row)[0].tolist())))
    wide = layout.widen(row, orders)
    assert len(orders) > 2 and len({tuple(w) for w in wide}) == len(orders)
    for order, w in zip(orders, wide, strict=True):
        for dim in problem.dimensions:
            cols = [i for i, slot in enumerate(layout.wide.slots) if slot.dimension == dim]
            assert math.prod(w[cols]) == problem.size(dim)
        skeleton, back = layout.compact_mapping(space, w)
        for s, free, _cols, _base in layout.free_levels:
            used = [
                slot.dimension
                for slot, b in zip(skeleton.slots, back, strict=True)
                if slot.level == s and slot.axis == "T" and b > 1
            ]
            assert used == [
                free[j] for j in order[layout.free_levels.index((s, free, _cols, _base))]
            ]
        bounds = {
            (sl.level, sl.axis, sl.dimension): b for sl, b in zip(skeleton.slots, back, strict=True)
        }
        compact = {
            (sl.level, sl.axis, sl.dimension): b
            for sl, b in zip(layout.compact.slots, row[0], strict=True)
        }
        assert bounds == compact


def test_the_mapping_written_back_scores_what_the_search_found() -> None:
    problem = conv1d(M=4, R=3, P=6)
    arch = small_arch(buffer=16, rf=4, mesh=(2, 2))
    constraints = parse_constraints(keep_all(problem), arch, problem)
    for objective in OBJECTIVES:
        settings_ = MapperSettings(objective=objective, progress=False)
        result = map_optimal(problem, arch, constraints, TABLE, settings_)
        found = search(Mapspace.build(problem, arch, constraints), TABLE, settings_)
        assert result.proven_optimal and result.exhaustive
        energy, cycles = result.energy_pj, float(result.cycles)
        primary = {"energy": energy, "delay": cycles, "edp": energy * cycles}[objective]
        assert primary == pytest.approx(found.score[0], rel=1e-9)


def test_a_time_limit_reached_is_reported_as_not_proven() -> None:
    problem = conv1d(M=4, R=3, P=6)
    arch = small_arch(buffer=16, rf=4, mesh=(2, 2))
    space = Mapspace.build(problem, arch, parse_constraints(keep_all(problem), arch, problem))
    found = search(space, TABLE, MapperSettings(progress=False, time_limit_s=1e-9))
    assert not found.proven
    assert "not proven optimal: the time limit" in found.reason


def test_floors_skip_factorizations_without_changing_the_answer() -> None:
    problem = conv1d(M=4, R=3, P=6)
    arch = small_arch(buffer=16, rf=4, mesh=(2, 2))
    space = Mapspace.build(problem, arch, parse_constraints(keep_all(problem), arch, problem))
    for objective in OBJECTIVES:
        settings_ = MapperSettings(objective=objective, progress=False)
        whole = search(space, TABLE, settings_)  # one wave: every mapping evaluated
        pruned = search(space, TABLE, settings_, waves=(1, 1))
        assert whole.skipped == 0 and whole.evaluated == whole.mappings
        assert pruned.skipped > 0 and pruned.evaluated + pruned.skipped == pruned.mappings
        assert pruned.score == whole.score, objective
        name = {"delay": "cycles", "energy": "energy", "edp": "EDP"}[objective]
        assert f"excluded by their {name} floor" in pruned.reason
    # a 2x2 mesh runs 72 computes in no fewer than 72 / 4 cycles
    assert search(space, TABLE, MapperSettings(objective="delay", progress=False)).score[0] == 18
    # the proven energy minimum is a floor on every mapping's energy: a tighter EDP bound
    energy = search(space, TABLE, MapperSettings(objective="energy", progress=False))
    edp = search(space, TABLE, MapperSettings(objective="edp", progress=False), waves=(1, 1))
    tight = search(
        space,
        TABLE,
        MapperSettings(objective="edp", progress=False),
        energy_floor=energy.score[0],
        waves=(1, 1),
    )
    assert tight.score == edp.score and tight.skipped >= edp.skipped


def test_mapper_cli_says_proven_optimal(tmp_path: Path, capsys) -> None:
    problem = conv2d_problem(C=2, M=4, P=4, Q=2, R=1, S=1)
    (tmp_path / "prob.yaml").write_text(yaml.safe_dump(problem.to_timeloop()))
    (tmp_path / "energy.yaml").write_text(
        yaml.safe_dump(
            {
                "DRAM": {"read": 100.0, "write": 100.0},
                "SRAM": {"read": 6.0, "write": 7.0},
                "intmac": {"compute": 0.5},
            }
        )
    )
    nodes = [
        {"name": "System", "attributes": {"technology": "45nm"}},
        {"name": "DRAM", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
        {
            "name": "Buffer",
            "class": "SRAM",
            "attributes": {"depth": 32, "width": 8, "datawidth": 8},
        },
        {"name": "MAC", "class": "intmac", "attributes": {"width": 8}},
    ]
    arch = tmp_path / "arch.yaml"
    arch.write_text(yaml.safe_dump({"architecture": {"version": 0.4, "nodes": nodes}}))
    files = [str(tmp_path / "prob.yaml"), str(arch), "--energy", str(tmp_path / "energy.yaml")]
    args = ["mapper", *files, "--search", "optimal", "--out", str(tmp_path / "a.yaml")]
    assert main(args) == 0
    assert "proven optimal" in capsys.readouterr().out.splitlines()
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["proven_optimal"] is True


def test_the_result_reports_timeloops_throttled_cycles():
    # a depthwise layer on the course's Q3 accelerator: the delay optimum computes in 1152 cycles
    # but its spads' 2 words/cycle throttle it to 1440 (hwsim.analytical.cycles); the result must
    # report (and rank by) the throttled cycles, not the compute cycles
    accelerator = load_accelerator("eyeriss_like_q3")
    arch = accelerator.architecture
    problem = conv2d_problem(C=1, M=1, P=8, Q=8, R=3, S=3, stride=1, groups=96)
    constraints = parse_constraints(list(accelerator.constraints), arch, problem)
    settings = MapperSettings(objective="delay", progress=False, search="optimal")
    result = map_optimal(problem, arch, constraints, Q3_CLASSIC_TABLE, settings)
    assert result.proven_optimal
    assert result.evaluation.counts.cycles == 1152
    assert result.cycles == result.evaluation.cycles == 1440
