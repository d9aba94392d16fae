"""Spatial mappings against real Timeloop: two small fanout cases (Timeloop master, v0.4 files with
a spatial container) and two Eyeriss layers mapped by timeloop-mapper (v3.0, Q3 v0.3 files,
smartbuffer components, bypass, multicast, spatial reduction). The inputs are read from
../shared; the expected totals (reads, fills, updates, utilized instances) are the project's copy.
"""

from __future__ import annotations

import pytest
from shared_material import shared_path

from hwsim.analytical.model import analyze
from hwsim.energy.pricing import price
from hwsim.energy.table import load_energy_table
from hwsim.nest import LoopNest
from hwsim.spec import load_specs

CASES = {
    "case_000": {
        "Buffer/Weights": (768, 96, 0, 4),
        "Buffer/Inputs": (768, 72, 0, 4),
        "Buffer/Outputs": (512, 0, 768, 4),
        "MainMemory/Weights": (96, 0, 0, 1),
        "MainMemory/Inputs": (18, 0, 0, 1),
        "MainMemory/Outputs": (0, 0, 256, 1),
    },
    "case_001": {
        "Buffer/Weights": (480, 160, 0, 4),
        "Buffer/Inputs": (480, 64, 0, 4),
        "Buffer/Outputs": (384, 0, 480, 4),
        "MainMemory/Weights": (160, 0, 0, 1),
        "MainMemory/Inputs": (16, 0, 0, 1),
        "MainMemory/Outputs": (0, 0, 96, 1),
    },
}
LAYERS = {
    "u0_C3_M16_R3_s1_P32": (
        {
            "psum_spad/Outputs": (393216, 0, 442368, 96),
            "weights_spad/Weights": (442368, 3456, 0, 96),
            "ifmap_spad/Inputs": (442368, 39168, 0, 96),
            "shared_glb/Inputs": (9792, 3468, 0, 1),
            "shared_glb/Outputs": (0, 0, 16384, 1),
            "DRAM/Weights": (432, 0, 0, 1),
            "DRAM/Inputs": (3468, 0, 0, 1),
            "DRAM/Outputs": (0, 0, 16384, 1),
        },
        442368,
        5154761.47,
    ),
    "u2_C16_M32_R3_s2_P16": (
        {
            "psum_spad/Outputs": (1081344, 0, 1179648, 96),
            "weights_spad/Weights": (1179648, 73728, 0, 96),
            "ifmap_spad/Inputs": (1179648, 50688, 0, 96),
            "shared_glb/Inputs": (50688, 17424, 0, 1),
            "shared_glb/Outputs": (0, 0, 8192, 1),
            "DRAM/Weights": (9216, 0, 0, 1),
            "DRAM/Inputs": (17424, 0, 0, 1),
            "DRAM/Outputs": (0, 0, 8192, 1),
        },
        1179648,
        11320495.70,
    ),
}


def check(counts, expected: dict[str, tuple[int, int, int, int]]) -> None:
    for key, want in expected.items():
        level, ds = key.split("/")
        c = counts.levels[level][ds]
        assert (c.reads, c.fills, c.updates, c.instances) == want, key
    kept = {
        f"{lvl}/{ds}" for lvl, spaces in counts.levels.items() for ds, c in spaces.items() if c.kept
    }
    assert kept == set(expected)


@pytest.mark.parametrize("case", list(CASES))
def test_small_fanout_cases(case: str) -> None:
    folder = shared_path("reference", "timeloop", "spatial", case)
    specs = load_specs([folder / "arch.yaml", folder / "prob.yaml", folder / "map.yaml"])
    nest = LoopNest.build(specs.problem, specs.architecture, specs.mapping())
    check(analyze(nest), CASES[case])


@pytest.mark.parametrize("layer", list(LAYERS))
def test_eyeriss_layers_counts_and_energy(layer: str) -> None:
    expected, computes, energy = LAYERS[layer]
    folder = shared_path("reference", "timeloop", "eyeriss", layer)
    arch = shared_path("specs", "course-a2", "Q3", "arch", "eyeriss_like.yaml")
    specs = load_specs([arch, folder / "prob.yaml", folder / "timeloop-mapper.map.yaml"])
    nest = LoopNest.build(specs.problem, specs.architecture, specs.mapping())
    counts = analyze(nest, timeloop_version="v3.0")
    assert counts.computes == computes
    check(counts, expected)
    for ert in ("timeloop-mapper.ERT.yaml", "timeloop-mapper.ERT_summary.yaml"):
        result = price(counts, specs.architecture, load_energy_table(folder / ert))
        assert result.total_energy_pj == pytest.approx(energy, abs=0.05)
