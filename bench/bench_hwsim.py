"""Speed of hwsim's engines.

Workloads: (a) the course Q1 problem (M=32, R=3, P=16) with its tiled output-stationary
mapping; (b) a CIFAR ResNet layer (C=16, M=16, P=Q=32, R=S=3) on a 3-level hierarchy
(DRAM → 32 K-word global buffer → 64-word register file → MAC).

Baseline: the trace simulator's stepwise walk (one compute at a time in Python), measured in the
same run on (a) and on a slice of (b). Reported: simulated MACs per second for the trace walks,
evaluations per second (and ms per evaluation) for the analytical model, and ratios to the
baseline. The analytical model is the engine: ``analyze`` runs it compiled once a process has
used it for a while (steady state, measured here), and interpreted for the first mappings (the
"interpreted" rows: what a one-off ``hwsim model`` pays, without loading numba). Goals:
analytical < 1 ms per conv-layer mapping; trace >= 5 M MACs/s.

    python bench/bench_hwsim.py            # prints a table; --json for machine-readable output
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from hwsim.analytical.batch import Skeleton, evaluate_batch
from hwsim.analytical.model import analyze
from hwsim.nest import LoopNest
from hwsim.report.table2 import default_spec_dir
from hwsim.spec import bind_mapping, load_specs
from hwsim.spec.architecture import parse_architecture
from hwsim.spec.layers import conv2d_problem
from hwsim.trace.simulator import simulate

THREE_LEVELS = {
    "version": 0.4,
    "nodes": [
        {"name": "System", "attributes": {"technology": "45nm"}},
        {
            "name": "DRAM",
            "class": "DRAM",
            "attributes": {"width": 64, "datawidth": 16, "block_size": 1},
        },
        {
            "name": "GlobalBuffer",
            "class": "SRAM",
            "attributes": {"depth": 32768, "width": 16, "datawidth": 16},
        },
        {
            "name": "RegisterFile",
            "class": "regfile",
            "attributes": {"depth": 64, "width": 16, "datawidth": 16},
        },
        {"name": "MAC", "class": "intmac", "attributes": {"datawidth": 16}},
    ],
}
LAYER_MAPPING = [
    {"target": "DRAM", "type": "temporal", "factors": "Q=8 M=2", "permutation": "QMCPRSN"},
    {
        "target": "GlobalBuffer",
        "type": "temporal",
        "factors": "C=16 P=32 Q=4 M=8",
        "permutation": "CPQMRSN",
    },
    {"target": "RegisterFile", "type": "temporal", "factors": "R=3 S=3", "permutation": "RSCMPQN"},
]


def q1_nest() -> LoopNest:
    d = default_spec_dir()
    specs = load_specs([d / "arch.yaml", d / "prob.yaml", d / "4-os-tiled.map.yaml"])
    return LoopNest.build(specs.problem, specs.architecture, specs.mapping())


def layer_nest(P: int = 32, Q: int = 32) -> LoopNest:
    arch = parse_architecture(THREE_LEVELS)
    problem = conv2d_problem(C=16, M=16, P=P, Q=Q, R=3, S=3)
    mapping = [dict(d) for d in LAYER_MAPPING]
    if (P, Q) != (32, 32):  # a slice for the stepwise baseline
        mapping[0]["factors"] = "Q=1 M=2"
        mapping[1]["factors"] = f"C=16 P={P} Q={Q} M=8"
    return LoopNest.build(problem, arch, bind_mapping(mapping, arch, problem))


def interpreted(nest: LoopNest) -> Callable[[], object]:
    """One evaluation of `nest`'s mapping by the engine, interpreted."""

    def run() -> object:
        skeleton, bounds = Skeleton.from_mapping(nest.problem, nest.architecture, nest.mapping)
        return evaluate_batch(skeleton, bounds, interpreted=True)

    return run


def best_time(fn: Callable[[], object], repeat: int, min_time: float = 0.2) -> float:
    """Best per-call time over `repeat` batches, each at least `min_time` seconds long."""
    fn()  # warm caches once
    best = float("inf")
    for _ in range(repeat):
        calls, start = 0, time.perf_counter()
        while True:
            fn()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed / calls)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    q1, layer, slice_ = q1_nest(), layer_nest(), layer_nest(P=8, Q=4)
    rows = []

    def record(
        workload: str, what: str, nest: LoopNest, fn: Callable[[], object], repeat: int
    ) -> None:
        seconds = best_time(fn, repeat)
        rows.append(
            {
                "workload": workload,
                "engine": what,
                "macs": nest.computes,
                "seconds": seconds,
                "macs_per_s": nest.computes / seconds,
            }
        )

    record("Q1", "trace stepwise (baseline)", q1, lambda: simulate(q1, mode="stepwise"), 3)
    record("Q1", "trace vectorized", q1, lambda: simulate(q1), args.repeat)
    record("Q1", "analytical, interpreted", q1, interpreted(q1), args.repeat)
    record("Q1", "analytical (timeloop rules)", q1, lambda: analyze(q1), args.repeat)
    record(
        "layer slice",
        "trace stepwise (baseline)",
        slice_,
        lambda: simulate(slice_, mode="stepwise"),
        1,
    )
    record("ResNet layer", "trace vectorized", layer, lambda: simulate(layer), args.repeat)
    record("ResNet layer", "analytical, interpreted", layer, interpreted(layer), args.repeat)
    record(
        "ResNet layer", "analytical (timeloop rules)", layer, lambda: analyze(layer), args.repeat
    )
    record(
        "ResNet layer",
        "analytical (retain)",
        layer,
        lambda: analyze(layer, reuse="retain"),
        args.repeat,
    )

    baseline = {
        "Q1": rows[0]["macs_per_s"],
        "ResNet layer": rows[4]["macs_per_s"],
        "layer slice": rows[4]["macs_per_s"],
    }
    for row in rows:
        row["speedup_vs_stepwise"] = row["macs_per_s"] / baseline[row["workload"]]
        row["evals_per_s"] = 1.0 / row["seconds"]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'workload':<14}{'engine':<30}{'MACs':>10}{'ms/eval':>10}{'evals/s':>10}{'MACs/s':>12}{'x stepwise':>12}"
    )
    for r in rows:
        print(
            f"{r['workload']:<14}{r['engine']:<30}{r['macs']:>10,}{r['seconds'] * 1e3:>10.3f}"
            f"{r['evals_per_s']:>10,.0f}{r['macs_per_s'] / 1e6:>11.2f}M{r['speedup_vs_stepwise']:>12,.0f}"
        )


if __name__ == "__main__":
    main()
