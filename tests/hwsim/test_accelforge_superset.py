"""The accelforge bridge's relaxed mode: FFM maps the superset without the temporal constraints,
and only its mappings that satisfy every constraint (hwsim's check) may be returned.

Skipped when AccelForge is not installed (``pip install 'hwkd[accelforge]'``).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from absent import require_module
from mapper_fixtures import SMALL_ARCH, TABLE
from spec_builders import conv1d

from hwsim.errors import SpecError
from hwsim.mapper.accelforge_bridge import (
    _score,
    map_with_accelforge,
    relaxed,
    search_superset,
    violations,
)
from hwsim.mapper.backends import backend
from hwsim.mapper.constraints import LoopConstraints, parse_constraints
from hwsim.mapper.search import MapperSettings
from hwsim.mapper.task import MappingTask
from hwsim.spec.mapping import bind_mapping

require_module("accelforge", "the accelforge backend needs pip install 'hwkd[accelforge]'")

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

PROBLEM = conv1d(M=2, R=3, P=4)
#: RF keeps only Weights and the PEs split M: a mapspace small enough for FFM to map quickly
EXPRESSIBLE = (
    {"target": "RF", "type": "bypass", "keep": ["Weights"], "bypass": ["Outputs"]},
    {"target": "PE", "type": "spatial", "factors": "M=2 R=1 P=1", "permutation": "MRP", "split": 3},
)
#: RF loops over half of P, innermost (FFM's best mapping of the superset loops over all of it)
RF_RULE = {"target": "RF", "type": "temporal", "factors": "P=2", "permutation": "P"}


def task_with(*rules: dict, base: tuple[dict, ...] = EXPRESSIBLE) -> MappingTask:
    """PROBLEM on SMALL_ARCH under `base` and `rules`, for energy."""
    constraints = parse_constraints(
        [{"mapspace_constraints": {"targets": [*base, *rules]}}], SMALL_ARCH, PROBLEM
    )
    return MappingTask(PROBLEM, SMALL_ARCH, constraints, TABLE, MapperSettings(progress=False))


def rf_loops(temporal: dict[str, int], permutation: str) -> list[dict]:
    """A mapping of PROBLEM: RF loops as given, the rest of each dimension at DRAM."""
    rest = {d: PROBLEM.size(d) // temporal.get(d, 1) for d in PROBLEM.dimensions}
    return [
        {"target": "DRAM", "type": "temporal", "factors": rest, "permutation": "MRP"},
        {"target": "RF", "type": "temporal", "factors": temporal, "permutation": permutation},
    ]


@pytest.mark.parametrize(
    ("temporal", "permutation", "broken"),
    [
        ({"P": 2, "R": 3}, "PRM", []),  # P innermost, as required
        ({"P": 2, "R": 1}, "RPM", []),  # R's loop of bound 1 has no place in the order
        ({"P": 2, "R": 3}, "RPM", ["RF loop order P"]),
        ({"P": 4, "R": 3}, "PRM", ["RF temporal P=2"]),
    ],
)
def test_temporal_factors_and_loop_order_are_checked(
    temporal: dict[str, int], permutation: str, broken: list[str]
) -> None:
    task = task_with(RF_RULE, base=())
    mapping = bind_mapping(rf_loops(temporal, permutation), SMALL_ARCH, PROBLEM)
    assert violations(mapping, task) == broken


def test_a_maximum_and_outer_loops_are_checked() -> None:
    rule = {"target": "RF", "type": "temporal", "factors": "R<=1", "permutation": "_P"}
    task = task_with(rule, base=())
    mapping = bind_mapping(rf_loops({"R": 3, "P": 2}, "PRM"), SMALL_ARCH, PROBLEM)
    assert violations(mapping, task) == ["RF temporal R<=1", "RF loop order _ P"]
    assert violations(mapping, relaxed(task)) == []


def test_relaxed_drops_only_the_temporal_constraints() -> None:
    bypass = {"target": "RF", "type": "bypass", "keep": ["Weights"], "bypass": ["Outputs"]}
    task = task_with(RF_RULE, bypass)
    rf = relaxed(task).constraints.level("RF")
    assert rf.temporal == LoopConstraints()
    assert rf.keep == task.constraints.level("RF").keep == {"Weights"}
    assert rf.bypass == {"Outputs"}


def test_strict_mode_still_refuses_a_temporal_constraint() -> None:
    with pytest.raises(SpecError, match=r"temporal factor constraints .* at RF P=2"):
        map_with_accelforge(task_with(RF_RULE))


@pytest.mark.slow
def test_relaxed_mode_returns_the_best_of_ffms_mappings_that_satisfy_the_constraints() -> None:
    task = task_with(RF_RULE)
    search = search_superset(task)
    candidates = search.run.projection.candidates
    satisfying = [c for c in candidates if not violations(c.mapping, task)]
    assert 0 < len(satisfying) < len(candidates)
    # each candidate's record of what it breaks is hwsim's check of the full task
    assert all(list(c.broken) == violations(c.mapping, task) for c in candidates)
    score = {id(c): _score(c.evaluation, "energy") for c in candidates}
    assert search.constrained is not None
    assert score[id(search.constrained)] == min(score[id(c)] for c in satisfying)
    # FFM's best of the superset breaks the constraint, and is better than any that keeps it
    assert search.unconstrained.broken
    assert score[id(search.unconstrained)] == min(score.values())
    assert score[id(search.unconstrained)] < score[id(search.constrained)]

    found = map_with_accelforge(task, relax=True)
    assert violations(found.mapping, task) == []
    assert found.mapping.levels == search.constrained.mapping.levels
    assert found.energy_pj == search.constrained.evaluation.total_energy_pj
    assert any("relaxed:" in note for note in found.notes)
    # no better than the exhaustive native search of the same constrained mapspace
    native = backend("native").map(replace(task, settings=replace(task.settings, budget=10**9)))
    assert native.energy_pj <= found.energy_pj + 1e-6


@pytest.mark.slow
def test_relaxed_mode_says_how_many_mappings_it_checked_when_none_qualifies() -> None:
    # R=3 at both RF and DRAM: no mapping of R=3 can satisfy both
    task = task_with(
        {"target": "RF", "type": "temporal", "factors": "R=3"},
        {"target": "DRAM", "type": "temporal", "factors": "R=3"},
    )
    search = search_superset(task)
    assert search.constrained is None and search.unconstrained.broken
    with pytest.raises(
        SpecError,
        match=r"none of AccelForge's \d+ mapping\(s\) of .* \(\d+ Timeloop forms\) satisfies "
        r"the constraints it cannot express; most often broken: .*temporal R=3",
    ):
        map_with_accelforge(task, relax=True)
