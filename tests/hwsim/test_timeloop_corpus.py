"""The analytical model against real Timeloop on 309 recorded cases (tests/data/timeloop_corpus).

The corpus was produced by running the C++ ``timeloop-model`` of Timeloop v3.0 and master
(4cf6d4c) on seeded random problems (1-D and 2-D convolutions with strides and dilations, matrix
multiplies), architectures of 2–4 levels with and without fanouts, bypass, multicast, spatial
reduction and systolic link transfers; see its README. Every count of every case must match, for
both versions, from both the scalar and the vectorised batch model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hwsim.analytical.batch import Skeleton, evaluate_batch
from hwsim.analytical.model import analyze
from hwsim.nest import LoopNest
from hwsim.spec import load_specs

CORPUS = Path(__file__).resolve().parents[1] / "data" / "timeloop_corpus"
CASES = sorted(p.name for p in CORPUS.glob("case*"))


def test_corpus_is_present() -> None:
    assert len(CASES) == 309


@pytest.mark.parametrize("case", CASES)
def test_counts_equal_timeloop(case: str) -> None:
    folder = CORPUS / case
    recorded = json.loads((folder / "result.json").read_text())["timeloop"]
    specs = load_specs([folder / "arch.yaml", folder / "prob.yaml", folder / "map.yaml"])
    mapping = specs.mapping()
    nest = LoopNest.build(specs.problem, specs.architecture, mapping)
    skeleton, bounds = Skeleton.from_mapping(specs.problem, specs.architecture, mapping)
    spaces = specs.problem.data_space_names
    for version in ("v3.0", "master"):
        expected = recorded[version]
        counts = analyze(nest, timeloop_version=version)
        batch = evaluate_batch(skeleton, bounds, version=version)
        assert counts.computes == expected["computes"] and counts.cycles == expected["cycles"]
        for level, stats in expected["storage"].items():
            s = skeleton.level_names.index(level)
            for ds, want in stats["dataspaces"].items():
                c = counts.levels[level][ds]
                totals = (want["reads_total"], want["fills_total"], want["updates_total"])
                assert (c.reads, c.fills, c.updates) == totals, (version, level, ds)
                assert (c.tile_size, c.partition_size, c.instances) == (
                    want["utilized_capacity"],
                    want["partition_size"],
                    want["utilized_instances"],
                ), (version, level, ds)
                k = spaces.index(ds)
                assert (
                    batch.reads[0, s, k],
                    batch.fills[0, s, k],
                    batch.updates[0, s, k],
                ) == totals, (version, level, ds)
