"""The accelforge backend: AccelForge maps, hwsim evaluates; inexpressible tasks are SpecErrors.

Skipped when AccelForge is not installed (``pip install 'hwkd[accelforge]'``).
"""

from __future__ import annotations

from dataclasses import fields, replace
from math import prod

import pytest
import yaml
from absent import require_module
from mapper_fixtures import SMALL_ARCH, TABLE, batch_energy
from shared_material import shared_path
from spec_builders import conv1d

from hwsim.analytical.capacity import check_capacity
from hwsim.energy.table import named_table
from hwsim.errors import SpecError
from hwsim.evaluate import evaluate
from hwsim.mapper.accelforge_bridge import Item, cut_choices, directives
from hwsim.mapper.backends import backend, mapping_yaml
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperResult, MapperSettings
from hwsim.mapper.task import MappingTask
from hwsim.nest import LoopNest
from hwsim.report.table2 import default_spec_dir
from hwsim.spec import load_specs
from hwsim.spec.mapping import bind_mapping

require_module("accelforge", "the accelforge backend needs pip install 'hwkd[accelforge]'")

# AccelForge's own use of pandas' deprecated ``inplace=`` is not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

SETTINGS = MapperSettings(progress=False)
#: The native search with every limit raised, so it is exhaustive on Q1.
EXHAUSTIVE = replace(
    SETTINGS,
    **{f.name: 10**9 for f in fields(MapperSettings) if f.name in ("budget", "max_skeletons")},
)


def q1_task(constraints: list | None = None) -> MappingTask:
    folder = default_spec_dir()
    specs = load_specs([folder / "arch.yaml", folder / "prob.yaml"])
    parsed = parse_constraints(constraints or [], specs.architecture, specs.problem)
    return MappingTask(specs.problem, specs.architecture, parsed, named_table("table1"), SETTINGS)


def assert_valid(result: MapperResult, task: MappingTask) -> None:
    """Factors multiply to the problem, tiles fit, and hwsim re-evaluates it to the same energy."""
    mapping = result.mapping
    for d in task.problem.dimensions:
        factors = [lvl.temporal[d] * lvl.spatial[d] for lvl in mapping.levels]
        assert prod(factors) == task.problem.size(d), d
    check_capacity(LoopNest.build(task.problem, task.architecture, mapping))
    # the reported (scalar) energy agrees with the batch model's of the same mapping
    version = task.settings.timeloop_version
    assert batch_energy(
        task.problem, task.architecture, mapping, task.table, version
    ) == pytest.approx(result.energy_pj)
    # the Timeloop mapping YAML it writes binds back to the same mapping
    document = yaml.safe_load(mapping_yaml(result))["mapping"]
    assert bind_mapping(document, task.architecture, task.problem).levels == mapping.levels


def test_q1_mapping_is_valid_and_no_better_than_the_exhaustive_native_search() -> None:
    task = q1_task()
    native = backend("native").map(replace(task, settings=EXHAUSTIVE))
    assert native.exhaustive
    found = backend("accelforge").map(task)
    assert_valid(found, task)
    assert native.energy_pj - 1e-6 <= found.energy_pj <= 1.5 * native.energy_pj
    assert found.evaluated > 0 and not found.exhaustive
    assert any("accelforge's own estimate" in note for note in found.notes)


def test_fanout_bypass_and_spatial_constraints_are_honoured() -> None:
    arch = SMALL_ARCH
    problem = conv1d(M=2, R=3, P=4)
    rules = [
        {"target": "RF", "type": "bypass", "keep": ["Weights"], "bypass": ["Outputs"]},
        {
            "target": "PE",
            "type": "spatial",
            "factors": "M=2 R=1 P=1",
            "permutation": "MRP",
            "split": 3,
        },
    ]
    constraints = parse_constraints(
        [{"architecture_constraints": {"targets": rules}}], arch, problem
    )
    task = MappingTask(problem, arch, constraints, TABLE, SETTINGS)
    found = backend("accelforge").map(task)
    assert_valid(found, task)
    rf = found.mapping.level("RF")
    assert "Weights" in rf.keep and "Outputs" not in rf.keep
    assert found.mapping.level("inter_PE_spatial").spatial == {"M": 2, "R": 1, "P": 1}
    native = backend("native").map(task)
    assert found.energy_pj <= 1.5 * native.energy_pj


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        (
            {"target": "Buffer", "type": "temporal", "factors": "R=3"},
            r"temporal factor constraints .* at Buffer R=3",
        ),
        ({"target": "MainMemory", "type": "temporal", "factors": "M<=4"}, r"at MainMemory M<=4"),
        (
            {"target": "Buffer", "type": "temporal", "permutation": "PRM"},
            r"loop-order constraints .* at Buffer P R M",
        ),
    ],
)
def test_inexpressible_constraints_raise_a_spec_error_naming_them(rule: dict, named: str) -> None:
    task = q1_task([{"mapspace_constraints": {"targets": [rule]}}])
    with pytest.raises(SpecError, match=named):
        backend("accelforge").map(task)


def test_q3_eyeriss_constraints_are_named_before_any_search() -> None:
    layer = shared_path("reference", "timeloop", "eyeriss", "u0_C3_M16_R3_s1_P32")
    specs = load_specs([shared_path("specs", "course-a2", "Q3"), layer / "prob.yaml"])
    constraints = parse_constraints(list(specs.constraints), specs.architecture, specs.problem)
    task = MappingTask(specs.problem, specs.architecture, constraints, TABLE, SETTINGS)
    with pytest.raises(SpecError, match=r"psum_spad C=1 R=1 S=1 P=1 Q=1") as info:
        backend("accelforge").map(task)
    assert "DummyBuffer" not in str(info.value)  # it stores nothing, so its all-1 factors hold


def test_an_uneven_looptree_is_written_at_each_levels_best_cut() -> None:
    """AccelForge's Q1 LoopTree keeps Inputs above the M loop and Outputs, Weights below it."""
    task = q1_task()
    items = [
        Item("store", 0, ("Weights", "Outputs", "Inputs")),
        Item("store", 1, ("Inputs",)),
        Item("temporal", -1, ("M",), 32),
        Item("store", 1, ("Outputs", "Weights")),
        Item("temporal", -1, ("R",), 3),
        Item("temporal", -1, ("P",), 16),
    ]
    cuts = cut_choices(items)
    assert cuts == [{0: 0, 1: 1}, {0: 0, 1: 3}]  # Buffer's tiles above or below the M loop
    energies = {}
    for cut in cuts:
        mapping = bind_mapping(directives(items, cut, task), task.architecture, task.problem)
        try:
            energies[cut[1]] = evaluate(task.problem, task.architecture, mapping, energy=task.table)
        except SpecError as err:  # the whole M loop under Buffer: its tiles overflow 64 words
            assert "Buffer" in err.message
    assert set(energies) == {3}
    lowest = bind_mapping(directives(items, {0: 0, 1: 3}, task), task.architecture, task.problem)
    assert lowest.level("MainMemory").temporal["M"] == 32
    assert lowest.level("Buffer").permutation[:2] == ("P", "R")  # innermost first


def test_score_ranks_as_the_native_search() -> None:
    from types import SimpleNamespace

    from hwsim.mapper.accelforge_bridge import _score

    evaluation = SimpleNamespace(total_energy_pj=3.0, cycles=5)  # Timeloop's cycles, throttled
    assert _score(evaluation, "energy") == (3.0, 5.0)
    assert _score(evaluation, "delay") == (5.0, 3.0)
    assert _score(evaluation, "edp") == (15.0, 3.0)
    with pytest.raises(SpecError, match="unknown mapper objective 'latency'"):
        _score(evaluation, "latency")
