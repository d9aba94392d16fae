"""The analytical model against real Timeloop on 309 recorded cases (tests/data/timeloop_corpus).

The corpus was produced by running the C++ ``timeloop-model`` of Timeloop v3.0 and master
(4cf6d4c) on seeded random problems (1-D and 2-D convolutions with strides and dilations, matrix
multiplies), architectures of 2–4 levels with and without fanouts, bypass, multicast, spatial
reduction and systolic link transfers; see its README. Every count of every case must match, for
both versions, from single-mapping evaluation (`analyze`: the engine, interpreted at first), from the
batch evaluator (the engine compiled) and from the scalar oracle (tests/oracles).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from oracles.scalar import scalar_analyze

from hwsim.analytical.batch import Skeleton, evaluate_batch
from hwsim.analytical.model import analyze
from hwsim.nest import LoopNest
from hwsim.spec import load_specs

CORPUS = Path(__file__).resolve().parents[1] / "data" / "timeloop_corpus"
CASES = sorted(p.name for p in CORPUS.glob("case*"))
VERSIONS = ("v3.0", "master")


@cache
def _case(case: str):
    """(specs, mapping, recorded Timeloop results per version) of one corpus case."""
    folder = CORPUS / case
    recorded = json.loads((folder / "result.json").read_text())["timeloop"]
    specs = load_specs([folder / "arch.yaml", folder / "prob.yaml", folder / "map.yaml"])
    return specs, specs.mapping(), recorded


def _expected(recorded, version: str):
    """(level, data space, (reads, fills, updates), stats) for every recorded count."""
    for level, stats in recorded[version]["storage"].items():
        for ds, want in stats["dataspaces"].items():
            yield level, ds, (want["reads_total"], want["fills_total"], want["updates_total"]), want


def test_corpus_is_present() -> None:
    assert len(CASES) == 309


@pytest.mark.parametrize("model", ["engine", "oracle"])
@pytest.mark.parametrize("case", CASES)
def test_counts_equal_timeloop(case: str, model: str) -> None:
    specs, mapping, recorded = _case(case)
    nest = LoopNest.build(specs.problem, specs.architecture, mapping)
    for version in VERSIONS:
        if model == "engine":
            counts = analyze(nest, timeloop_version=version)
        else:
            counts = scalar_analyze(nest, timeloop_version=version)
        expected = recorded[version]
        assert counts.computes == expected["computes"] and counts.cycles == expected["cycles"]
        for level, ds, totals, want in _expected(recorded, version):
            c = counts.levels[level][ds]
            assert (c.reads, c.fills, c.updates) == totals, (version, level, ds)
            assert (c.tile_size, c.partition_size, c.instances) == (
                want["utilized_capacity"],
                want["partition_size"],
                want["utilized_instances"],
            ), (version, level, ds)


@pytest.mark.parametrize("case", CASES)
def test_batch_equals_timeloop(case: str) -> None:
    # the engine compiled, the corpus case as a batch of one row (the mapper's path)
    specs, mapping, recorded = _case(case)
    skeleton, bounds = Skeleton.from_mapping(specs.problem, specs.architecture, mapping)
    spaces = specs.problem.data_space_names
    for version in VERSIONS:
        batch = evaluate_batch(skeleton, bounds.repeat(2, axis=0), version=version)
        expected = recorded[version]
        assert (batch.computes[0], batch.cycles[0]) == (expected["computes"], expected["cycles"])
        for level, ds, totals, _ in _expected(recorded, version):
            s, k = skeleton.level_names.index(level), spaces.index(ds)
            got = (batch.reads[0, s, k], batch.fills[0, s, k], batch.updates[0, s, k])
            assert got == totals, (version, level, ds)
