"""The native mapper: optimal on small spaces (checked by brute force with the scalar model), no worse
than Timeloop's mapper on the reference layers, deterministic, and driven by the constraints."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from mapper_fixtures import SMALL_ARCH, TABLE, batch_energy
from shared_material import shared_path
from spec_builders import conv1d

from hwsim.cli import main
from hwsim.energy.sources import load_energy_table
from hwsim.errors import SpecError
from hwsim.evaluate import evaluate
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, map_problem
from hwsim.mapper.space import Mapspace
from hwsim.spec import load_specs
from hwsim.spec.architecture import parse_architecture
from hwsim.spec.layers import conv2d_problem
from hwsim.spec.mapping import bind_mapping


def divisor_splits(n: int, parts: int):
    if parts == 1:
        yield (n,)
        return
    for d in range(1, n + 1):
        if n % d == 0:
            for rest in divisor_splits(n // d, parts - 1):
                yield (d, *rest)


def brute_force_best(problem, arch, table) -> float:
    """Every mapping of the small architecture, evaluated one by one with the scalar model."""
    dims = problem.dimensions
    best = math.inf
    # per dim: (DRAM, Buffer, PE spatial, RF) factors
    splits = [list(divisor_splits(problem.size(d), 4)) for d in dims]
    for combo in itertools.product(*splits):
        if math.prod(c[2] for c in combo) > 2:
            continue
        # loops of bound 1 may go anywhere: order only the non-trivial ones at each level
        orders = [
            [
                perm + tuple(d for d in dims if d not in perm)
                for perm in itertools.permutations(
                    [d for d, c in zip(dims, combo, strict=False) if c[level] > 1]
                )
            ]
            for level in (0, 1, 3)
        ]
        for p_dram, p_buf, p_rf in itertools.product(*orders):
            directives = [
                {
                    "target": "DRAM",
                    "type": "temporal",
                    "factors": " ".join(f"{d}={c[0]}" for d, c in zip(dims, combo, strict=False)),
                    "permutation": "".join(p_dram),
                },
                {
                    "target": "Buffer",
                    "type": "temporal",
                    "factors": " ".join(f"{d}={c[1]}" for d, c in zip(dims, combo, strict=False)),
                    "permutation": "".join(p_buf),
                },
                {
                    "target": "PE",
                    "type": "spatial",
                    "factors": " ".join(f"{d}={c[2]}" for d, c in zip(dims, combo, strict=False)),
                    "permutation": "".join(dims),
                },
                {
                    "target": "RF",
                    "type": "temporal",
                    "factors": " ".join(f"{d}={c[3]}" for d, c in zip(dims, combo, strict=False)),
                    "permutation": "".join(p_rf),
                },
            ]
            try:
                result = evaluate(
                    problem, arch, bind_mapping(directives, arch, problem), energy=table
                )
            except SpecError:  # tiles do not fit
                continue
            best = min(best, result.total_energy_pj)
    return best


@pytest.mark.slow
def test_native_mapper_is_optimal_on_a_small_space() -> None:
    problem = conv1d(M=2, R=2, P=4)
    keep_all = [
        {"target": t, "type": "bypass", "keep": list(problem.data_space_names)}
        for t in ("DRAM", "Buffer", "RF")
    ]
    constraints = parse_constraints(
        [{"mapspace_constraints": {"targets": keep_all}}], SMALL_ARCH, problem
    )
    found = map_problem(
        problem,
        SMALL_ARCH,
        constraints,
        TABLE,
        MapperSettings(progress=False, max_skeletons=100_000),
    )
    assert found.exhaustive
    assert found.energy_pj == pytest.approx(brute_force_best(problem, SMALL_ARCH, TABLE))


def test_native_mapper_result_is_valid_and_reproducible() -> None:
    problem = conv1d(M=4, R=3, P=8)
    keep_all = [
        {"target": t, "type": "bypass", "keep": list(problem.data_space_names)}
        for t in ("Buffer", "RF")
    ]
    constraints = parse_constraints(
        [{"mapspace_constraints": {"targets": keep_all}}], SMALL_ARCH, problem
    )
    exhaustive = MapperSettings(progress=False, max_skeletons=10_000)
    a = map_problem(problem, SMALL_ARCH, constraints, TABLE, exhaustive)
    b = map_problem(problem, SMALL_ARCH, constraints, TABLE, exhaustive)
    assert a.exhaustive and a.mapping == b.mapping and a.energy_pj == b.energy_pj
    # the scalar energy reported agrees with the batch model's, which the search ranked by
    assert batch_energy(problem, SMALL_ARCH, a.mapping, TABLE) == pytest.approx(a.energy_pj)
    # a tiny budget forces sampling of loop orders; the result is still valid and reproducible
    sampled = MapperSettings(progress=False, budget=50, max_skeletons=24, seed=3)
    c = map_problem(problem, SMALL_ARCH, constraints, TABLE, sampled)
    d = map_problem(problem, SMALL_ARCH, constraints, TABLE, sampled)
    assert not c.exhaustive and c.mapping == d.mapping and c.notes
    assert c.energy_pj >= a.energy_pj - 1e-6


#: No fanout, tiny buffers: keeping everything everywhere admits few factorizations, bypassing
#: admits thousands of times more.
NO_FANOUT_ARCH = parse_architecture(
    {
        "version": 0.4,
        "nodes": [
            {"name": "System", "attributes": {"technology": "45nm"}},
            {"name": "DRAM", "class": "DRAM", "attributes": {"width": 16, "datawidth": 16}},
            {"name": "GLB", "class": "SRAM", "attributes": {"depth": 16, "width": 16}},
            {"name": "RF", "class": "regfile", "attributes": {"depth": 4, "width": 16}},
            {"name": "MAC", "class": "intmac", "attributes": {"datawidth": 16}},
        ],
    }
)


def test_exhaustive_decision_counts_the_rows_of_every_bypass_choice() -> None:
    problem = conv2d_problem(C=8, M=8, P=4, Q=4, R=3, S=3)
    fixed = [
        {"target": t, "type": "temporal", "permutation": "CMPQRSN"} for t in ("DRAM", "GLB", "RF")
    ]
    constraints = parse_constraints(
        [{"mapspace_constraints": {"targets": fixed}}], NO_FANOUT_ARCH, problem
    )
    space = Mapspace.build(problem, NO_FANOUT_ARCH, constraints)
    assert space.order_count() == 1
    counts = [
        space.factor_count(space.skeleton(keep, space.default_orders()))
        for keep in space.keep_choices
    ]
    budget = 25_000
    # judged by the first keep choice alone the space would fit the budget; it is 40x larger
    assert counts[0] * len(counts) <= budget < sum(counts)
    found = map_problem(
        problem, NO_FANOUT_ARCH, constraints, TABLE, MapperSettings(progress=False, budget=budget)
    )
    assert not found.exhaustive and found.notes
    assert 0 < found.evaluated <= budget


def test_sampled_factor_rows_reach_the_limit_and_differ_between_loop_orders() -> None:
    """On a 4x4 mesh only a few percent of free draws fit the mesh: drawing continues until
    `limit` rows fit, and each skeleton gets its own (reproducible) draw."""
    arch = parse_architecture(
        {
            "version": 0.4,
            "nodes": [
                {"name": "System", "attributes": {"technology": "45nm"}},
                {"name": "DRAM", "class": "DRAM", "attributes": {"width": 64, "datawidth": 16}},
                {"name": "GLB", "class": "SRAM", "attributes": {"depth": 32768, "width": 16}},
                {"name": "PE", "spatial": {"meshX": 4, "meshY": 4}},
                {"name": "RF", "class": "regfile", "attributes": {"depth": 64, "width": 16}},
                {"name": "MAC", "class": "intmac", "attributes": {"datawidth": 16}},
            ],
        }
    )
    problem = conv2d_problem(C=16, M=16, P=16, Q=16, R=3, S=3)
    space = Mapspace.build(problem, arch, parse_constraints([], arch, problem))
    keep = space.keep_choices[0]
    first = space.skeleton(keep, space.default_orders())
    limit = 2000
    assert space.factor_count(first) > 1000 * limit
    rows = space.factor_rows(first, limit=limit)
    assert len(rows) == limit == len(np.unique(rows, axis=0))
    assert np.array_equal(rows, space.factor_rows(first, limit=limit))
    # the same bypass choice, the GLB's free loops reversed: same slots, another order
    orders = list(space.default_orders())
    orders[-2] = orders[-2][::-1]
    second = space.skeleton(keep, tuple(orders))
    canon = [
        sorted(range(len(sk.slots)), key=lambda i: repr(sk.slots[i])) for sk in (first, second)
    ]
    other = space.factor_rows(second, limit=limit)[:, canon[1]]
    assert {tuple(r) for r in rows[:, canon[0]]} != {tuple(r) for r in other}


@pytest.mark.parametrize(
    ("layer", "timeloop_energy"),
    [("u0_C3_M16_R3_s1_P32", 5154761.47), ("u2_C16_M32_R3_s2_P16", 11320495.70)],
)
def test_no_worse_than_timeloop_mapper_on_reference_layers(
    layer: str, timeloop_energy: float
) -> None:
    folder = shared_path("reference", "timeloop", "eyeriss", layer)
    specs = load_specs([shared_path("specs", "course-a2", "Q3"), folder / "prob.yaml"])
    constraints = parse_constraints(list(specs.constraints), specs.architecture, specs.problem)
    table = load_energy_table(folder / "timeloop-mapper.ERT.yaml")
    for objective in ("energy", "delay"):
        found = map_problem(
            specs.problem,
            specs.architecture,
            constraints,
            table,
            MapperSettings(objective=objective, timeloop_version="v3.0", progress=False),
        )
        assert found.exhaustive
        assert found.energy_pj <= timeloop_energy + 0.01
    # the delay objective reproduces Timeloop's cycle count (it optimised [delay, energy])
    assert found.cycles == json.loads((folder / "timeloop-result.json").read_text())["cycles"]


def test_constraints_parse_timeloop_syntax() -> None:
    problem = conv1d(M=8, R=3, P=16)
    arch = SMALL_ARCH
    cons = parse_constraints(
        [
            {
                "architecture_constraints": {
                    "targets": [
                        {
                            "target": "RF",
                            "type": "temporal",
                            "factors": "R=0 M<=2",
                            "permutation": "RM_P",
                        },
                        {
                            "target": "Buffer",
                            "type": "bypass",
                            "keep": ["Inputs"],
                            "bypass": ["Weights"],
                        },
                        {
                            "target": "PE",
                            "type": "spatial",
                            "factors": "P=2",
                            "permutation": "PMR",
                            "split": 1,
                        },
                    ]
                },
                "__file__": "c.yaml",
            }
        ],
        arch,
        problem,
    )
    rf = cons.level("RF").temporal
    assert rf.factors == {"R": 3} and rf.max_factors == {"M": 2}  # R=0 is the full dimension
    assert rf.inner == ("R", "M") and rf.outer == ("P",)
    assert cons.level("Buffer").keep == {"Inputs"} and cons.level("Buffer").bypass == {"Weights"}
    assert cons.level("inter_PE_spatial").spatial.split == 1
    found = map_problem(problem, arch, cons, TABLE, MapperSettings(progress=False))
    rf_map = found.mapping.level("RF")
    assert rf_map.temporal["R"] == 3 and rf_map.temporal["M"] <= 2
    assert found.mapping.level("inter_PE_spatial").spatial["P"] == 2
    buffer_keeps = found.mapping.level("Buffer").keep
    assert "Inputs" in buffer_keeps and "Weights" not in buffer_keeps  # Outputs left to the mapper


def test_constraint_errors_name_file_and_field() -> None:
    with pytest.raises(SpecError) as info:
        parse_constraints(
            [
                {
                    "mapspace_constraints": {
                        "targets": [{"target": "RF", "type": "temporal", "factors": "Q=2"}]
                    },
                    "__file__": "m.yaml",
                }
            ],
            SMALL_ARCH,
            conv1d(),
        )
    assert (
        info.value.file == "m.yaml"
        and info.value.field == "mapspace_constraints.targets[0].factors"
    )
    with pytest.raises(SpecError, match="unknown target 'GLB'"):
        parse_constraints(
            [{"mapspace_constraints": {"targets": [{"target": "GLB", "type": "temporal"}]}}],
            SMALL_ARCH,
            conv1d(),
        )


def test_mapper_cli_writes_a_mapping_hwsim_model_accepts(tmp_path: Path, capsys) -> None:
    folder = shared_path("reference", "timeloop", "eyeriss", "u0_C3_M16_R3_s1_P32")
    q3 = shared_path("specs", "course-a2", "Q3")
    ert = folder / "timeloop-mapper.ERT.yaml"
    out = tmp_path / "u0.map.yaml"
    assert (
        main(
            [
                "mapper",
                str(q3),
                str(folder / "prob.yaml"),
                "--energy",
                str(ert),
                "--json",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    mapped = json.loads(capsys.readouterr().out)
    assert set(mapped) == {
        "engine",
        "computes",
        "energy_pj",
        "cycles",
        "compute_cycles",
        "level_cycles",
        "levels",
        "proven_optimal",
    }
    assert (
        main(
            [
                "model",
                str(q3 / "arch"),
                str(folder / "prob.yaml"),
                str(out),
                "--energy",
                str(ert),
                "--json",
            ]
        )
        == 0
    )
    modelled = json.loads(capsys.readouterr().out)
    assert modelled["energy_pj"] == pytest.approx(mapped["energy_pj"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("objective", "latency", "unknown mapper objective 'latency'"),
        ("timeloop_version", "v3", "unknown timeloop_version 'v3'"),
        ("budget", 0, "budget must be at least 1"),
    ],
)
def test_mapper_settings_reject_unknown_values(field: str, value, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        MapperSettings(**{field: value})


def test_mapper_cli_reports_a_bad_setting_on_one_line(capsys) -> None:
    folder = shared_path("reference", "timeloop", "eyeriss", "u0_C3_M16_R3_s1_P32")
    argv = ["mapper", str(shared_path("specs", "course-a2", "Q3")), str(folder / "prob.yaml")]
    assert main([*argv, "--energy", "table1", "--budget", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "hwsim: error: --budget: must be at least 1, got 0\n"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            {"target": "RF", "type": "temporal", "factors": "P=3"},
            "temporal factor P=3 at RF does not divide the problem's P=8",
        ),
        (
            {"target": "PE", "type": "spatial", "factors": "M=4"},
            "spatial factor M=4 at PE needs 4 instances along X, but the mesh is 2 wide",
        ),
        (
            {"target": "Buffer", "type": "spatial", "factors": "M=2"},
            "spatial factor M=2 at Buffer: the level has no spatial fanout",
        ),
    ],
)
def test_impossible_fixed_factors_are_named(rule: dict, message: str) -> None:
    problem = conv1d(M=4, R=3, P=8)
    before = {"target": "Buffer", "type": "temporal", "factors": "P=2"}
    constraints = parse_constraints(
        [{"mapspace_constraints": {"targets": [before, rule]}}], SMALL_ARCH, problem
    )
    with pytest.raises(SpecError, match=message):
        map_problem(problem, SMALL_ARCH, constraints, TABLE, MapperSettings(progress=False))
    # the fixed factors below a level count too: RF P=4 and Buffer P=4 need P=16
    stacked = [{"target": t, "type": "temporal", "factors": "P=4"} for t in ("RF", "Buffer")]
    constraints = parse_constraints(
        [{"mapspace_constraints": {"targets": stacked}}], SMALL_ARCH, problem
    )
    with pytest.raises(SpecError, match=r"P=4 at Buffer times the fixed factors below it \(4\)"):
        map_problem(problem, SMALL_ARCH, constraints, TABLE, MapperSettings(progress=False))


def test_fixed_spatial_factor_on_a_two_axis_mesh_goes_along_either_axis() -> None:
    # without a split a dimension may run along X or Y; a fixed factor used to be required on
    # both slots at once, so no mapping honoured it
    arch = parse_architecture(
        {
            "version": 0.4,
            "nodes": [
                {"name": "System", "attributes": {"technology": "45nm"}},
                {"name": "DRAM", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
                {"name": "Buffer", "class": "SRAM", "attributes": {"depth": 64, "width": 8}},
                {"name": "PE", "spatial": {"meshX": 4, "meshY": 2}},
                {"name": "RF", "class": "regfile", "attributes": {"depth": 16, "width": 8}},
                {"name": "MAC", "class": "intmac", "attributes": {"width": 8}},
            ],
        }
    )
    problem = conv1d(M=4, R=3, P=8)
    for fixed in (2, 4):
        rule = {"target": "PE", "type": "spatial", "factors": f"M={fixed}"}
        constraints = parse_constraints(
            [{"mapspace_constraints": {"targets": [rule]}}], arch, problem
        )
        found = map_problem(problem, arch, constraints, TABLE, MapperSettings(progress=False))
        spatial = [level.spatial["M"] for level in found.mapping.levels]
        assert max(spatial) == fixed and math.prod(spatial) == fixed


def test_mapper_command_follows_the_mapper_files_metrics(tmp_path, capsys) -> None:
    """A mapper file's optimization-metrics ([delay, energy] in the course's) set the objective;
    nonsense there is one error naming the file and the field."""
    from hwsim.cli import main
    from hwsim.course_material import accelerator_dir
    from hwsim.mapper.settings_file import read_mapper_settings
    from hwsim.spec import load_specs

    arch = accelerator_dir("eyeriss_like_q3")
    specs = load_specs([arch])
    assert read_mapper_settings(specs.mapper, specs.sources["mapper"], warn=False) == "delay"
    bad = tmp_path / "mapper.yaml"
    bad.write_text("mapper:\n  optimization-metrics: [speed]\n")
    prob = tmp_path / "prob.yaml"
    from hwsim.spec.layers import conv2d_problem

    prob.write_text(yaml.safe_dump(conv2d_problem(C=4, M=8, P=4, Q=4, R=3, S=3).to_timeloop()))
    code = main(["mapper", str(arch / "arch.yaml"), str(arch / "components"), str(prob), str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "mapper.yaml" in err and "optimization-metrics" in err
