"""The analytical model against real Timeloop output on the five course Q1 mappings.

GOLDEN holds the project's own copy of the counts Timeloop printed (../shared/reference/timeloop/
q1/course-q1-timeloop.json): (reads, fills, updates) per level and data space. Only the counts
that differ between versions are listed per version; everything else is shared.
"""

from __future__ import annotations

import json

import pytest
from shared_material import shared_path

from hwsim.analytical.model import analyze
from hwsim.nest import LoopNest
from hwsim.report.table2 import default_spec_dir, mapping_label
from hwsim.spec import load_specs

MAPPINGS = ["ws", "os-untiled", "os-untiled.map2", "os-tiled", "os-tiled.map2"]

# Counts common to every mapping and version: MAC-side reads and partial-sum traffic.
COMMON = {
    ("Buffer", "Weights"): {"reads": 1536, "updates": 0},
    ("Buffer", "Inputs"): {"reads": 1536, "updates": 0},
    ("Buffer", "Outputs"): {"reads": 1024, "fills": 0, "updates": 1536},
    ("MainMemory", "Outputs"): {"reads": 0, "fills": 0, "updates": 512},
}
# (weights fetched, inputs fetched) from MainMemory into the Buffer, per version.
FETCHED = {
    "master": {
        "ws": (96, 288),
        "os-untiled": (96, 576),
        "os-untiled.map2": (1536, 18),
        "os-tiled": (96, 72),
        "os-tiled.map2": (192, 18),
    },
    "v3.0": {
        "ws": (96, 288),
        "os-untiled": (96, 576),
        "os-untiled.map2": (1536, 48),
        "os-tiled": (96, 72),
        "os-tiled.map2": (192, 20),
    },
}
FETCHED["e1d76d6"] = FETCHED["v3.0"]


def golden(version: str, mapping: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    weights, inputs = FETCHED[version][mapping]
    out = {}
    for key, counts in COMMON.items():
        out[key] = (counts.get("reads", 0), counts.get("fills", 0), counts.get("updates", 0))
    out["Buffer", "Weights"] = (1536, weights, 0)
    out["Buffer", "Inputs"] = (1536, inputs, 0)
    out["MainMemory", "Weights"] = (weights, 0, 0)
    out["MainMemory", "Inputs"] = (inputs, 0, 0)
    if version == "e1d76d6":  # counted the first write of each output tile as a fill
        out["Buffer", "Outputs"] = (1024, 512, 1536)
    return out


def nest_for(mapping: str) -> LoopNest:
    spec_dir = default_spec_dir()
    files = [spec_dir / "arch.yaml", spec_dir / "prob.yaml"]
    files += [p for p in spec_dir.glob("*.map*.yaml") if mapping_label(p) == mapping]
    specs = load_specs(files)
    return LoopNest.build(specs.problem, specs.architecture, specs.mapping())


@pytest.mark.parametrize("version", ["master", "v3.0", "e1d76d6"])
@pytest.mark.parametrize("mapping", MAPPINGS)
def test_counts_equal_timeloop(mapping: str, version: str) -> None:
    counts = analyze(nest_for(mapping), timeloop_version=version)
    assert counts.computes == 1536
    for (level, ds), expected in golden(version, mapping).items():
        c = counts.levels[level][ds]
        assert (c.reads, c.fills, c.updates) == expected, (level, ds)


def test_golden_copy_matches_shared_reference() -> None:
    """The project's golden numbers are exactly those of the real tools."""
    reference = json.loads(
        shared_path("reference", "timeloop", "q1", "course-q1-timeloop.json").read_text()
    )
    versions = {
        "timeloop-master-4cf6d4c": "master",
        "timeloop-v3.0": "v3.0",
        "timeloop-e1d76d6": "e1d76d6",
    }
    for key, version in versions.items():
        for mapping in MAPPINGS:
            entry = reference[key][
                f"Q1_{mapping.replace('.map2', '')}.map{'2' if mapping.endswith('2') else ''}.yaml"
            ]
            for level, spaces in entry["levels"].items():
                for ds, c in spaces.items():
                    assert golden(version, mapping)[level, ds] == (
                        c["reads"],
                        c["fills"],
                        c["updates"],
                    )


def test_course_files_give_the_same_counts_as_the_shipped_copy() -> None:
    q1 = shared_path("specs", "course-a2", "Q1")
    for mapping in MAPPINGS:
        name = f"Q1_{mapping.replace('.map2', '')}.map{'2' if mapping.endswith('2') else ''}.yaml"
        specs = load_specs(
            [q1 / "arch" / "Q1_arch.yaml", q1 / "prob" / "Q1_prob.yaml", q1 / "map" / name]
        )
        ours = analyze(LoopNest.build(specs.problem, specs.architecture, specs.mapping()))
        shipped = analyze(nest_for(mapping))
        assert ours.levels == shipped.levels
