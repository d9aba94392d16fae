"""Cycles as Timeloop computes them (`hwsim.analytical.cycles`): hand-derived closed forms,
the Eyeriss reference layers, and invariants of the rule.

The closed-form problem: conv1d M=4 R=2 P=8 (64 computes, a power of two so that every demand
below is exact in binary), all loops temporal at one buffer that keeps everything. Per compute
the buffer reads one weight and one input; Outputs are read back for every update but the first
of each of the 32 outputs: reads 64 + 64 + 32 = 160 (2.5 words/cycle). Writes: fills of the 8
weights and 9 inputs, 64 output updates: 81 (1.265625 words/cycle).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mapper_fixtures import TABLE
from shared_material import shared_path
from spec_builders import conv1d

from hwsim.analytical.batch import Skeleton, evaluate_batch, tile_fits
from hwsim.analytical.cycles import throttle
from hwsim.cli import main
from hwsim.errors import SpecError
from hwsim.evaluate import evaluate
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, map_problem
from hwsim.mapper.space import Mapspace
from hwsim.spec.architecture import parse_architecture
from hwsim.spec.mapping import bind_mapping

COMPUTES = 64
PROBLEM = conv1d(M=4, R=2, P=8)
MAPPING = [
    {"target": "MainMemory", "type": "temporal", "factors": "M=1 R=1 P=1", "permutation": "MRP"},
    {"target": "Buffer", "type": "temporal", "factors": "M=4 R=2 P=8", "permutation": "RPM"},
]


def _arch(buffer: dict[str, Any]):
    return parse_architecture(
        {
            "version": 0.4,
            "nodes": [
                {"name": "System", "attributes": {"technology": "45nm"}},
                {
                    "name": "MainMemory",
                    "class": "SRAM",
                    "attributes": {"depth": 4096, "width": 8, "datawidth": 8},
                },
                {
                    "name": "Buffer",
                    "class": "regfile",
                    "attributes": {"depth": 64, "width": 8, "datawidth": 8, **buffer},
                },
                {"name": "MACC", "class": "intmac", "attributes": {"width": 8}},
            ],
        }
    )


def _evaluate(buffer: dict[str, Any]):
    arch = _arch(buffer)
    return evaluate(PROBLEM, arch, bind_mapping(MAPPING, arch, PROBLEM), energy="table1")


def test_counts_behind_the_closed_forms() -> None:
    counts = _evaluate({}).counts
    buffer = counts.levels["Buffer"]
    assert sum(c.reads for c in buffer.values()) == 160
    assert sum(c.fills + c.updates for c in buffer.values()) == 81
    assert counts.cycles == COMPUTES


@pytest.mark.parametrize(
    ("buffer", "cycles", "throttling"),
    [
        ({}, 64, 1.0),  # no limits
        ({"read_bandwidth": 2.5, "write_bandwidth": 81 / 64}, 64, 1.0),  # limits met exactly
        ({"read_bandwidth": 1.25}, 128, 0.5),  # half the read bandwidth needed: twice the cycles
        ({"read_bandwidth": 1}, 160, 1 / 2.5),  # read-bound: one cycle per word read
        ({"write_bandwidth": 81 / 128}, 128, 0.5),
        ({"shared_bandwidth": 241 / 128}, 128, 0.5),  # half of read + write demand
        ({"shared_bandwidth": 241 / 64, "read_bandwidth": 2.5}, 64, 1.0),
        ({"bandwidth": 2.5}, 128, 0.5),  # deprecated: read = write = 1.25
        ({"read_bandwidth": 1.25, "write_bandwidth": 81 / 256}, 256, 0.25),  # the worst wins
    ],
)
def test_bandwidth_closed_forms(buffer: dict[str, Any], cycles: int, throttling: float) -> None:
    evaluation = _evaluate(buffer)
    assert evaluation.cycles == cycles
    assert evaluation.timing.levels["Buffer"] == (cycles, pytest.approx(throttling))
    assert evaluation.timing.levels["MainMemory"] == (64, 1.0)
    assert evaluation.timing.compute == COMPUTES


def test_network_latency_is_added_once() -> None:
    latency = {"network_fill_latency": 3, "network_drain_latency": 4, "read_bandwidth": 1.25}
    evaluation = _evaluate(latency)
    assert evaluation.cycles == 128 + 7 and evaluation.timing.network_latency == 7


def test_batch_rows_carry_the_same_cycles() -> None:
    arch = _arch({"read_bandwidth": 1.25})
    skeleton, bounds = Skeleton.from_mapping(PROBLEM, arch, bind_mapping(MAPPING, arch, PROBLEM))
    for interpreted in (True, False):
        batch = evaluate_batch(skeleton, bounds.repeat(3, axis=0), interpreted=interpreted)
        assert batch.cycles.tolist() == [128] * 3 and batch.compute_cycles.tolist() == [64] * 3
        assert batch.level_cycles[0].tolist() == [128, 64]  # innermost first
        assert batch.throttling[0].tolist() == [0.5, 1.0]


def test_model_json_carries_cycles(tmp_path, capsys) -> None:
    arch = tmp_path / "arch.yaml"
    arch.write_text(
        "architecture:\n  version: 0.4\n  nodes:\n"
        "  - {name: System, attributes: {technology: 45nm}}\n"
        "  - {name: MainMemory, class: SRAM, attributes: {depth: 4096, width: 8, datawidth: 8}}\n"
        "  - {name: Buffer, class: regfile, attributes: {depth: 64, width: 8, datawidth: 8, "
        "read_bandwidth: 1.25}}\n"
        "  - {name: MACC, class: intmac, attributes: {width: 8}}\n"
    )
    prob = tmp_path / "prob.yaml"
    prob.write_text(
        "problem:\n  shape:\n    name: conv1d\n    dimensions: [M, R, P]\n    data_spaces:\n"
        "    - {name: Weights, projection: [[[M]], [[R]]]}\n"
        "    - {name: Inputs, projection: [[[R], [P]]]}\n"
        "    - {name: Outputs, projection: [[[M]], [[P]]], read_write: true}\n"
        "  instance: {M: 4, R: 2, P: 8}\n"
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text("mapping:\n" + "".join(f"- {json.dumps(d)}\n" for d in MAPPING))
    assert main(["model", str(arch), str(prob), str(mapping), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["cycles"], out["compute_cycles"]) == (128, 64)
    assert out["level_cycles"]["Buffer"] == {"cycles": 128, "throttling": 0.5}


@pytest.mark.parametrize("value", [0, -1, "fast"])
def test_a_bad_bandwidth_is_one_spec_error(value: Any) -> None:
    with pytest.raises(SpecError, match="read_bandwidth"):
        _arch({"read_bandwidth": value})


@pytest.mark.parametrize(
    ("layer", "cycles"), [("u0_C3_M16_R3_s1_P32", 4608), ("u2_C16_M32_R3_s2_P16", 12288)]
)
def test_eyeriss_reference_layers(layer: str, cycles: int, capsys) -> None:
    # Timeloop v3.0's mapper result on the course's Eyeriss-like architecture (read/write
    # bandwidth on shared_glb and the spads; "Bandwidth throttling : 1.00" everywhere)
    folder = shared_path("reference", "timeloop", "eyeriss", layer)
    recorded = json.loads((folder / "timeloop-result.json").read_text())
    assert recorded["cycles"] == cycles
    files = [
        shared_path("specs", "course-a2", "Q3", "arch"),
        folder / "prob.yaml",
        folder / "timeloop-mapper.map.yaml",
        folder / "timeloop-mapper.ERT.yaml",
    ]
    assert main(["model", *map(str, files), "--timeloop-version", "v3.0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cycles"] == cycles
    for level, info in recorded["level_info"].items():
        assert out["level_cycles"][level] == {"cycles": info["cycles"], "throttling": 1.0}


# ------------------------------------------------------------------------------ invariants
counts = st.integers(0, 10_000)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    levels=st.integers(1, 3),
    spaces=st.integers(1, 3),
    compute=st.integers(1, 5_000),
)
def test_throttling_invariants(data, levels: int, spaces: int, compute: int) -> None:
    shape = (1, levels, spaces)

    def array(elements):
        return np.array(
            data.draw(st.lists(elements, min_size=levels * spaces, max_size=levels * spaces)),
            dtype=np.float64,
        ).reshape(shape)

    reads, fills, updates = array(counts), array(counts), array(counts)
    instances = np.array([data.draw(st.lists(st.integers(1, 4), min_size=levels, max_size=levels))])
    reads, fills, updates = (
        reads * instances[..., None],
        fills * instances[..., None],
        updates * instances[..., None],
    )
    limit = st.one_of(st.just(np.inf), st.floats(0.01, 50.0))
    limits = np.array(data.draw(st.lists(limit, min_size=3 * levels, max_size=3 * levels))).reshape(
        levels, 3
    )
    latency = data.draw(st.integers(0, 30))
    cc = np.array([compute])
    base = throttle(reads, fills, updates, instances, cc, limits, latency)
    assert base.cycles[0] >= compute + latency
    assert (base.level_cycles >= compute).all() and (base.throttling <= 1).all()
    assert base.cycles[0] == base.level_cycles.max() + latency
    # raising any one limit never raises the cycles
    s, j = data.draw(st.integers(0, levels - 1)), data.draw(st.integers(0, 2))
    raised = limits.copy()
    raised[s, j] *= data.draw(st.floats(1.0, 10.0))
    assert (
        throttle(reads, fills, updates, instances, cc, raised, latency).cycles[0] <= base.cycles[0]
    )
    # without limits, cycles are the compute cycles
    free = throttle(reads, fills, updates, instances, cc, np.full((levels, 3), np.inf))
    assert free.cycles[0] == compute


def test_delay_objective_ranks_by_throttled_cycles() -> None:
    # DRAM -> Buffer (1 word/cycle out) -> two PEs with a register file (1 word/cycle out): the
    # mapping with the fewest compute cycles is not the one with the fewest cycles
    nodes = [
        {"name": "System", "attributes": {"technology": "45nm"}},
        {"name": "DRAM", "class": "DRAM", "attributes": {"width": 8, "datawidth": 8}},
        {
            "name": "Buffer",
            "class": "SRAM",
            "attributes": {"depth": 64, "width": 8, "datawidth": 8, "read_bandwidth": 1},
        },
        {"name": "PE", "spatial": {"meshX": 2}},
        {
            "name": "RF",
            "class": "regfile",
            "attributes": {"depth": 16, "width": 8, "datawidth": 8, "read_bandwidth": 1},
        },
        {"name": "MAC", "class": "intmac", "attributes": {"width": 8}},
    ]
    arch = parse_architecture({"version": 0.4, "nodes": nodes})
    problem = conv1d(M=4, R=2, P=4)
    targets = [
        {"target": level, "type": "temporal", "permutation": "MRP"}
        for level in ("DRAM", "Buffer", "RF")
    ]
    targets += [
        {"target": "Buffer", "type": "bypass", "keep": ["Inputs", "Weights", "Outputs"]},
        {"target": "RF", "type": "bypass", "keep": ["Weights", "Outputs"], "bypass": ["Inputs"]},
    ]
    constraints = parse_constraints(
        [{"architecture_constraints": {"targets": targets}, "__file__": "c.yaml"}], arch, problem
    )
    found = map_problem(
        problem, arch, constraints, TABLE, MapperSettings(objective="delay", progress=False)
    )
    assert found.exhaustive and found.cycles == found.evaluation.cycles
    space = Mapspace.build(problem, arch, constraints)
    throttled, compute = [], []
    for keep in space.keep_choices:
        for orders in space.all_orders():
            skeleton = space.skeleton(keep, orders)
            rows = space.factor_rows(skeleton)
            batch = evaluate_batch(skeleton, rows[tile_fits(skeleton, rows)])
            throttled += batch.cycles[batch.fits].tolist()
            compute += batch.compute_cycles[batch.fits].tolist()
    assert found.cycles == min(throttled) > min(compute)


ARCH_ONLY = Path(__file__).resolve().parents[1] / "data" / "timeloop_mapper_arch_only"


@pytest.mark.parametrize("layer", sorted(p.name for p in ARCH_ONLY.glob("u*")))
def test_timeloop_mappers_own_mappings(layer: str, capsys) -> None:
    # timeloop-mapper's mappings with only the architecture constraints (free loop orders,
    # other spatial splits): the same cycles as Timeloop printed for them
    folder = ARCH_ONLY / layer
    recorded = json.loads((folder / "result.json").read_text())
    eyeriss = shared_path("reference", "timeloop", "eyeriss")
    files = [
        shared_path("specs", "course-a2", "Q3", "arch"),
        folder / "prob.yaml",
        folder / "timeloop-mapper.map.yaml",
        eyeriss / "u0_C3_M16_R3_s1_P32" / "timeloop-mapper.ERT.yaml",
    ]
    assert main(["model", *map(str, files), "--timeloop-version", "v3.0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["computes"], out["cycles"]) == (recorded["computes"], recorded["cycles"])
    assert out["energy_pj"] / 1e6 == pytest.approx(recorded["energy_uJ_printed"], abs=0.005)
