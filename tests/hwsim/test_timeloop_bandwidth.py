"""Cycles against real Timeloop on recorded cases with bandwidth limits
(tests/data/timeloop_bandwidth; see its README): read, write, shared and the deprecated
``bandwidth`` on one or several levels, values that throttle and values that do not (some exactly
at the demand), network fill/drain latency, spatial fanouts. The run's cycles and every level's
cycles must equal Timeloop's, from single-mapping evaluation and from the batch evaluator;
each level's throttling must match what Timeloop printed (two decimals).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from hwsim.analytical.batch import Skeleton, evaluate_batch
from hwsim.analytical.cycles import counts_cycles
from hwsim.analytical.model import analyze
from hwsim.nest import LoopNest
from hwsim.spec import load_specs

CORPUS = Path(__file__).resolve().parents[1] / "data" / "timeloop_bandwidth"
CASES = sorted(p.name for p in CORPUS.glob("case*"))
VERSIONS = ("v3.0",)


@cache
def _case(case: str):
    folder = CORPUS / case
    recorded = json.loads((folder / "result.json").read_text())
    specs = load_specs([folder / "arch.yaml", folder / "prob.yaml", folder / "map.yaml"])
    return specs, specs.mapping(), recorded


def test_corpus_is_present() -> None:
    assert len(CASES) >= 50
    scenarios = {_case(case)[2]["scenario"] for case in CASES}
    assert {"unthrottled", "read", "write", "shared", "latency", "exact_limit"} <= scenarios
    throttled = [
        case
        for case in CASES
        if any(
            float(level["throttling_printed"]) < 1
            for level in _case(case)[2]["timeloop"]["v3.0"]["levels"].values()
        )
    ]
    assert len(throttled) >= len(CASES) // 2


@pytest.mark.parametrize("case", CASES)
def test_cycles_equal_timeloop(case: str) -> None:
    specs, mapping, recorded = _case(case)
    arch = specs.architecture
    nest = LoopNest.build(specs.problem, arch, mapping)
    skeleton, bounds = Skeleton.from_mapping(specs.problem, arch, mapping)
    for version in VERSIONS:
        expected = recorded["timeloop"][version]
        assert expected["status"] == "ok"
        timing = counts_cycles(analyze(nest, timeloop_version=version), arch)
        assert timing.compute == expected["compute_cycles"]
        assert timing.total == expected["cycles"]
        batch = evaluate_batch(skeleton, bounds.repeat(2, axis=0), version=version)
        assert batch.cycles.tolist() == [expected["cycles"]] * 2
        for level, want in expected["levels"].items():
            cycles, throttling = timing.levels[level]
            assert cycles == want["cycles"], level
            assert f"{throttling:.2f}" == want["throttling_printed"], level
            s = skeleton.level_names.index(level)
            assert batch.level_cycles[0, s] == want["cycles"], level
