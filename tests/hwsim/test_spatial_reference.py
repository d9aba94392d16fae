"""Spatial mappings against real Timeloop: two small fanout cases (Timeloop master, v0.4 files with
a spatial container) and two Eyeriss layers mapped by timeloop-mapper (v3.0, Q3 v0.3 files,
smartbuffer components, bypass, multicast, spatial reduction). The inputs and Timeloop's results
(reads, fills, updates, utilized instances per level and data space, computes, total energy) are
read from ../shared, side by side.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shared_material import shared_path

from hwsim.analytical.model import analyze
from hwsim.energy.pricing import price
from hwsim.energy.sources import load_energy_table
from hwsim.nest import LoopNest
from hwsim.spec import load_specs

CASES = ["case_000", "case_001"]
LAYERS = ["u0_C3_M16_R3_s1_P32", "u2_C16_M32_R3_s2_P16"]


def timeloop_result(path: Path) -> tuple[dict[str, tuple[int, int, int, int]], dict[str, Any]]:
    """Timeloop's recorded result: ``level/data space`` → (reads, fills, updates, instances) of
    every data space it keeps, and the whole record (computes, energy_pj...)."""
    recorded = json.loads(path.read_text())
    counts = {
        f"{level}/{ds}": (c["reads"], c["fills"], c["updates"], c["instances"])
        for level, spaces in recorded["levels"].items()
        for ds, c in spaces.items()
    }
    return counts, recorded


def check(counts, expected: dict[str, tuple[int, int, int, int]]) -> None:
    for key, want in expected.items():
        level, ds = key.split("/")
        c = counts.levels[level][ds]
        assert (c.reads, c.fills, c.updates, c.instances) == want, key
    kept = {
        f"{lvl}/{ds}" for lvl, spaces in counts.levels.items() for ds, c in spaces.items() if c.kept
    }
    assert kept == set(expected)


@pytest.mark.parametrize("case", CASES)
def test_small_fanout_cases(case: str) -> None:
    folder = shared_path("reference", "timeloop", "spatial", case)
    expected, _ = timeloop_result(folder / "result.json")
    specs = load_specs([folder / "arch.yaml", folder / "prob.yaml", folder / "map.yaml"])
    nest = LoopNest.build(specs.problem, specs.architecture, specs.mapping())
    check(analyze(nest), expected)


@pytest.mark.parametrize("layer", LAYERS)
def test_eyeriss_layers_counts_and_energy(layer: str) -> None:
    folder = shared_path("reference", "timeloop", "eyeriss", layer)
    expected, recorded = timeloop_result(folder / "timeloop-result.json")
    arch = shared_path("specs", "course-a2", "Q3", "arch", "eyeriss_like.yaml")
    specs = load_specs([arch, folder / "prob.yaml", folder / "timeloop-mapper.map.yaml"])
    nest = LoopNest.build(specs.problem, specs.architecture, specs.mapping())
    counts = analyze(nest, timeloop_version="v3.0")
    assert counts.computes == recorded["computes"]
    check(counts, expected)
    for ert in ("timeloop-mapper.ERT.yaml", "timeloop-mapper.ERT_summary.yaml"):
        result = price(counts, specs.architecture, load_energy_table(folder / ert))
        assert result.total_energy_pj == pytest.approx(recorded["energy_pj"], abs=0.05)
