"""Batch evaluator speed: the engine (compiled numba kernel) against the NumPy oracle, in one run.

(a) one large layer, ``conv2d_problem(C=48, M=96, P=8, Q=8)`` on the shipped ``eyeriss_like_q3``
    accelerator under its constraints (one skeleton, ~157k factorizations): rows/s of
    `evaluate_batch` (in the mapper's 20k-row chunks) against the NumPy oracle of
    tests/oracles/batch_numpy.py (the former NumPy backend; it leaves link transfers out, so
    results are compared on the rows where it sees none), then the whole `map_problem`;
(b) the eight unique conv shapes of a CIFAR ResNet-32 mapped with `map_problem` (rows/s =
    factorizations evaluated / wall time of the search).

Energies: the ERT classic Accelergy produced for the Q3 accelerator when ../shared/reference is
there (as in bench_mapper.py), else hwsim's ``table1``; Timeloop rules v3.0. The first numba call
in the process (cache load or compilation) is timed separately.

    python bench/bench_batch.py [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from layer_shapes import ERT, resnet32_layers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from oracles.batch_numpy import numpy_counts, numpy_energy

from hwsim.accelerators import load_accelerator
from hwsim.analytical.batch import energy_vectors, evaluate_batch, tile_fits
from hwsim.energy.sources import load_energy_table
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, map_problem
from hwsim.mapper.space import Mapspace
from hwsim.spec.layers import conv2d_problem

BACKENDS = ("numpy", "numba")  # the oracle, the engine
CHUNK = 20_000  # rows per evaluate_batch call, as the mapper splits them
VERSION = "v3.0"


def large_layer(accelerator, table) -> dict:
    """(a): evaluate_batch rows/s per backend on every factorization of the large layer."""
    layer = conv2d_problem(C=48, M=96, P=8, Q=8)
    constraints = parse_constraints(list(accelerator.constraints), accelerator.architecture, layer)
    space = Mapspace.build(layer, accelerator.architecture, constraints)
    skeletons = [
        space.skeleton(keep, orders) for keep in space.keep_choices for orders in space.all_orders()
    ]
    batches = []
    for skeleton in skeletons:
        rows = space.factor_rows(skeleton)
        batches.append((skeleton, rows[tile_fits(skeleton, rows)]))
    n_rows = sum(len(rows) for _, rows in batches)

    # first numba call of the process: loading the cached machine code (or compiling it)
    skeleton, rows = batches[0]
    energy = energy_vectors(skeleton, table)
    start = time.perf_counter()
    evaluate_batch(skeleton, rows[:CHUNK], version=VERSION, energy=energy)
    first_call_s = time.perf_counter() - start

    seconds, results = {}, {}
    for backend in BACKENDS:
        start = time.perf_counter()
        out = []
        for skeleton, rows in batches:
            energy = energy_vectors(skeleton, table)
            for chunk in np.array_split(rows, max(1, len(rows) // CHUNK + 1)):
                if backend == "numba":
                    result = evaluate_batch(skeleton, chunk, version=VERSION, energy=energy)
                    out.append((result.reads, result.level_energy_pj, None))
                else:
                    counts = numpy_counts(skeleton, chunk, VERSION)
                    level = numpy_energy(skeleton, counts, energy)
                    out.append((counts.reads, level, sorted(counts.risky)))
        seconds[backend] = time.perf_counter() - start
        results[backend] = out
    identical = True
    for (reads, level, risky), (engine_reads, engine_level, _) in zip(
        results["numpy"], results["numba"], strict=True
    ):
        safe = np.ones(len(reads), dtype=bool)
        safe[risky] = False
        identical &= np.array_equal(reads[safe], engine_reads[safe])
        identical &= np.array_equal(level[safe], engine_level[safe])
    mapper = map_layer(layer, accelerator, table)
    return {
        "layer": "conv C=48 M=96 P=Q=8",
        "rows": n_rows,
        "first_numba_call_s": first_call_s,
        "evaluate_s": seconds,
        "rows_per_s": {b: n_rows / s for b, s in seconds.items()},
        "speedup": seconds["numpy"] / seconds["numba"],
        "identical": bool(identical),
        "map_problem_s": mapper["seconds"],
    }


def map_layer(layer, accelerator, table) -> dict:
    """One map_problem run."""
    constraints = parse_constraints(list(accelerator.constraints), accelerator.architecture, layer)
    settings = MapperSettings(timeloop_version=VERSION, progress=False)
    start = time.perf_counter()
    found = map_problem(layer, accelerator.architecture, constraints, table, settings)
    return {"seconds": time.perf_counter() - start, "evaluated": found.evaluated}


def resnet32(accelerator, table) -> dict:
    """(b): map_problem over the ResNet-32 unique layers."""
    rows = []
    for name, layer in resnet32_layers():
        run = map_layer(layer, accelerator, table)
        rows.append({"layer": name, "evaluated": run["evaluated"], "seconds": run["seconds"]})
    total = sum(r["seconds"] for r in rows)
    evaluated = sum(r["evaluated"] for r in rows)
    return {
        "layers": rows,
        "evaluated": evaluated,
        "seconds": total,
        "rows_per_s": evaluated / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="numba threads (default: all cores)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        import numba

        numba.set_num_threads(args.threads)
    accelerator = load_accelerator("eyeriss_like_q3")
    table = load_energy_table(ERT if ERT.exists() else "table1")
    report = {"energy_table": str(ERT) if ERT.exists() else "table1"}
    report["large_layer"] = large_layer(accelerator, table)
    report["resnet32"] = resnet32(accelerator, table)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return
    a, b = report["large_layer"], report["resnet32"]
    print(
        f"energy table: {report['energy_table']}; first numba call {a['first_numba_call_s']:.2f} s"
    )
    print(f"\n(a) {a['layer']}: {a['rows']:,} rows, evaluate_batch in {CHUNK:,}-row chunks")
    for backend, label in zip(BACKENDS, ("NumPy oracle", "engine"), strict=True):
        print(
            f"  {label:<13}{a['evaluate_s'][backend]:7.2f} s  "
            f"{a['rows_per_s'][backend]:>11,.0f} rows/s"
        )
    print(
        f"  speed-up {a['speedup']:.1f}x; identical results: {a['identical']}; "
        f"map_problem {a['map_problem_s']:.2f} s"
    )
    print(f"\n(b) ResNet-32 unique layers, map_problem: {b['evaluated']:,} rows in all")
    print(f"  {'layer':<16}{'rows':>9}{'seconds':>9}")
    for r in b["layers"]:
        print(f"  {r['layer']:<16}{r['evaluated']:>9,}{r['seconds']:>9.2f}")
    print(f"  total {b['seconds']:.2f} s ({b['rows_per_s']:,.0f} rows/s)")


if __name__ == "__main__":
    main()
