"""Counts derived by hand for small cases, checked on both engines.

Notation: 1-D convolution o[m,p] += i[p+r]·w[m,r] unless stated otherwise.
"""

from __future__ import annotations

import pytest
from spec_builders import arch, conv1d, mapping, problem

from hwsim.analytical.model import analyze
from hwsim.nest import LoopNest
from hwsim.trace.simulator import simulate

ENGINES = {
    "timeloop": lambda nest: analyze(nest),
    "retain": lambda nest: analyze(nest, reuse="retain"),
    "trace": lambda nest: simulate(nest),
    "stepwise": lambda nest: simulate(nest, mode="stepwise"),
}


def counts(nest, engine):
    return {
        (level, ds): (c.reads, c.fills, c.updates)
        for level, spaces in ENGINES[engine](nest).levels.items()
        for ds, c in spaces.items()
    }


@pytest.mark.parametrize("engine", list(ENGINES))
def test_single_level_reads_every_operand_once_per_mac(engine: str) -> None:
    # One memory, no buffer: each MAC reads its weight and input (M·R·P = 2·3·4 = 24 reads each);
    # each output is updated R=3 times and read back R−1 = 2 times: 24 updates, 24 − 8 = 16 reads.
    p = conv1d(M=2, R=3, P=4)
    a = arch(("Memory", "SRAM", None))
    nest = LoopNest.build(
        p,
        a,
        mapping(
            a,
            p,
            [
                {
                    "target": "Memory",
                    "type": "temporal",
                    "factors": "M=2 R=3 P=4",
                    "permutation": "RPM",
                }
            ],
        ),
    )
    assert counts(nest, engine) == {
        ("Memory", "Weights"): (24, 0, 0),
        ("Memory", "Inputs"): (24, 0, 0),
        ("Memory", "Outputs"): (16, 0, 24),
    }


@pytest.mark.parametrize("engine", list(ENGINES))
def test_weight_stationary_two_levels(engine: str) -> None:
    # Buffer loops (inner→outer) P=4, M=2; memory loop R=3 on top.
    # Weights: the buffer tile (2 weights, one r) changes with every r → 3 tiles × 2 = 6 fetched.
    # Inputs: tile i[r : r+4] slides by 1 per r: 4 + 1 + 1 = 6 fetched (no reuse break: only one
    #   loop above the buffer).
    # Outputs: the 8 outputs stay in the buffer across r (R is irrelevant to them): written back
    #   once (8 updates at memory, no reads); buffer: 24 updates, 24 − 8 = 16 reads, no fills.
    p = conv1d(M=2, R=3, P=4)
    a = arch(("Memory", "SRAM", None), ("Buffer", "regfile", 64))
    m = mapping(
        a,
        p,
        [
            {
                "target": "Memory",
                "type": "temporal",
                "factors": "R=3 M=1 P=1",
                "permutation": "RMP",
            },
            {
                "target": "Buffer",
                "type": "temporal",
                "factors": "R=1 M=2 P=4",
                "permutation": "PMR",
            },
        ],
    )
    assert counts(LoopNest.build(p, a, m), engine) == {
        ("Memory", "Weights"): (6, 0, 0),
        ("Memory", "Inputs"): (6, 0, 0),
        ("Memory", "Outputs"): (0, 0, 8),
        ("Buffer", "Weights"): (24, 6, 0),
        ("Buffer", "Inputs"): (24, 6, 0),
        ("Buffer", "Outputs"): (16, 0, 24),
    }


@pytest.mark.parametrize("engine", list(ENGINES))
def test_output_stationary_evicts_partial_sums(engine: str) -> None:
    # Memory loops (inner→outer): M=2 then R=3; buffer loop P=4 (one m, one r at a time).
    # Outputs: the buffer tile o[m, 0:4] changes with every (r, m): 6 tiles × 4 = 24 entries; the
    # first entry of each of the 8 outputs needs no read → 16 fills and 16 memory reads; every
    # tile is written back: 24 memory updates. Buffer: 24 updates, 24 − 8 = 16 reads.
    # Weights: every (r, m) needs a new weight: 6. Inputs: the tile i[r : r+4] is stationary
    # across m and slides by one per r: 4 + 1 + 1 = 6.
    p = conv1d(M=2, R=3, P=4)
    a = arch(("Memory", "SRAM", None), ("Buffer", "regfile", 64))
    m = mapping(
        a,
        p,
        [
            {
                "target": "Memory",
                "type": "temporal",
                "factors": "R=3 M=2 P=1",
                "permutation": "MRP",
            },
            {
                "target": "Buffer",
                "type": "temporal",
                "factors": "R=1 M=1 P=4",
                "permutation": "PMR",
            },
        ],
    )
    assert counts(LoopNest.build(p, a, m), engine) == {
        ("Memory", "Weights"): (6, 0, 0),
        ("Memory", "Inputs"): (6, 0, 0),
        ("Memory", "Outputs"): (16, 0, 24),
        ("Buffer", "Weights"): (24, 6, 0),
        ("Buffer", "Inputs"): (24, 6, 0),
        ("Buffer", "Outputs"): (16, 16, 24),
    }


def test_reuse_across_an_outer_loop_boundary_differs_by_design() -> None:
    # Course WS mapping: inputs tile i[r : r+16] at the buffer, memory loops R=3 (inner), M=16.
    # Per m, r = 0, 1, 2 fetch 16 + 1 + 1. When m advances, r wraps from 2 to 0: the tile jumps
    # back by 2. Timeloop treats the jump as a new stride and re-fetches all 16: 16 × 18 = 288.
    # A buffer that keeps its tile still holds i[2:18] and needs only i[0:2], then one more per r:
    # 18 + 15 × (2 + 1 + 1) = 78.
    p = conv1d()
    a = arch(("MainMemory", "SRAM", 32768), ("Buffer", "regfile", 64))
    m = mapping(
        a,
        p,
        [
            {
                "target": "MainMemory",
                "type": "temporal",
                "factors": "R=3 P=1 M=16",
                "permutation": "RMP",
            },
            {
                "target": "Buffer",
                "type": "temporal",
                "factors": "R=1 P=16 M=2",
                "permutation": "PMR",
            },
        ],
    )
    nest = LoopNest.build(p, a, m)
    assert analyze(nest).levels["Buffer"]["Inputs"].fills == 288
    assert analyze(nest, reuse="retain").levels["Buffer"]["Inputs"].fills == 78
    assert simulate(nest).levels["Buffer"]["Inputs"].fills == 78


@pytest.mark.parametrize("engine", list(ENGINES))
def test_bypass_sends_reads_to_the_next_level_out(engine: str) -> None:
    # Weights bypass the buffer: all 24 MAC reads of weights go to memory; no buffer traffic.
    p = conv1d(M=2, R=3, P=4)
    a = arch(("Memory", "SRAM", None), ("Buffer", "regfile", 64))
    m = mapping(
        a,
        p,
        [
            {
                "target": "Memory",
                "type": "temporal",
                "factors": "R=3 M=1 P=1",
                "permutation": "RMP",
            },
            {
                "target": "Buffer",
                "type": "temporal",
                "factors": "R=1 M=2 P=4",
                "permutation": "PMR",
            },
            {
                "target": "Buffer",
                "type": "bypass",
                "bypass": ["Weights"],
                "keep": ["Inputs", "Outputs"],
            },
        ],
    )
    got = counts(LoopNest.build(p, a, m), engine)
    assert got["Memory", "Weights"] == (24, 0, 0)
    assert got["Buffer", "Weights"] == (0, 0, 0)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_strided_projection(engine: str) -> None:
    # Inputs[2p + r] with R=2, P=3, one memory level: 6 MACs, 6 input reads; the tensor spans
    # 2·2 + 1 + 1 = 6 positions, all touched (r fills the gaps).
    p = problem(
        {"R": 2, "P": 3},
        [
            {"name": "Weights", "projection": [[["R"]]]},
            {"name": "Inputs", "projection": [[["R"], ["P", "Wstride"]]]},
            {"name": "Outputs", "projection": [[["P"]]], "read_write": True},
        ],
        coefficients={"Wstride": 2},
    )
    a = arch(("Memory", "SRAM", None))
    nest = LoopNest.build(
        p,
        a,
        mapping(
            a,
            p,
            [{"target": "Memory", "type": "temporal", "factors": "R=2 P=3", "permutation": "RP"}],
        ),
    )
    got = counts(nest, engine)
    assert got["Memory", "Inputs"] == (6, 0, 0)
    assert got["Memory", "Outputs"] == (3, 0, 6)
