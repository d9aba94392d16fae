"""Batch evaluator speed: the compiled numba kernel against the NumPy reference, in one run.

(a) one large layer, ``conv2d_problem(C=48, M=96, P=8, Q=8)`` on the shipped ``eyeriss_like_q3``
    accelerator under its constraints (one skeleton, ~157k factorizations): rows/s of
    `evaluate_batch` per backend (in the mapper's 20k-row chunks), then the whole
    `map_problem` per backend;
(b) the eight unique conv shapes of a CIFAR ResNet-32 mapped with `map_problem` per backend
    (rows/s = factorizations evaluated / wall time of the search).

Every comparison checks that both backends give identical results (counts, energies, the best
mapping). Energies: the ERT classic Accelergy produced for the Q3 accelerator when
../shared/reference is there (as in bench_mapper.py), else hwsim's ``table1``; Timeloop rules
v3.0. The first numba call in the process (cache load or compilation) is timed separately.

    python bench/bench_batch.py [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from layer_shapes import ERT, resnet32_layers

from hwsim.accelerators import load_accelerator
from hwsim.analytical.batch import energy_vectors, evaluate_batch, tile_fits
from hwsim.energy.sources import load_energy_table
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, map_problem
from hwsim.mapper.space import Mapspace
from hwsim.spec.layers import conv2d_problem

BACKENDS = ("numpy", "numba")
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
    evaluate_batch(skeleton, rows[:1], version=VERSION, energy=energy, backend="numba")
    evaluate_batch(skeleton, rows[:CHUNK], version=VERSION, energy=energy, backend="numba")
    first_call_s = time.perf_counter() - start

    seconds, energies = {}, {}
    for backend in BACKENDS:
        start = time.perf_counter()
        out = []
        for skeleton, rows in batches:
            energy = energy_vectors(skeleton, table)
            for chunk in np.array_split(rows, max(1, len(rows) // CHUNK + 1)):
                result = evaluate_batch(
                    skeleton, chunk, version=VERSION, energy=energy, backend=backend
                )
                out.append((result.reads, result.fills, result.updates, result.energy_pj))
        seconds[backend] = time.perf_counter() - start
        energies[backend] = out
    identical = all(
        all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        for a, b in zip(energies["numpy"], energies["numba"], strict=True)
    )
    mapper = {backend: map_layer(layer, accelerator, table, backend) for backend in BACKENDS}
    return {
        "layer": "conv C=48 M=96 P=Q=8",
        "rows": n_rows,
        "first_numba_call_s": first_call_s,
        "evaluate_s": seconds,
        "rows_per_s": {b: n_rows / s for b, s in seconds.items()},
        "speedup": seconds["numpy"] / seconds["numba"],
        "identical": identical,
        "map_problem_s": {b: m["seconds"] for b, m in mapper.items()},
        "same_mapping": mapper["numpy"]["key"] == mapper["numba"]["key"],
    }


def map_layer(layer, accelerator, table, backend: str) -> dict:
    """One map_problem run with the batch evaluator forced to `backend`."""
    constraints = parse_constraints(list(accelerator.constraints), accelerator.architecture, layer)
    settings = MapperSettings(timeloop_version=VERSION, progress=False)
    os.environ["HWSIM_BATCH_BACKEND"] = backend
    try:
        start = time.perf_counter()
        found = map_problem(layer, accelerator.architecture, constraints, table, settings)
        seconds = time.perf_counter() - start
    finally:
        del os.environ["HWSIM_BATCH_BACKEND"]
    key = (str(found.mapping), found.energy_pj, found.cycles, found.evaluated)
    return {"seconds": seconds, "evaluated": found.evaluated, "key": key}


def resnet32(accelerator, table) -> dict:
    """(b): map_problem over the ResNet-32 unique layers per backend."""
    rows = []
    for name, layer in resnet32_layers():
        runs = {backend: map_layer(layer, accelerator, table, backend) for backend in BACKENDS}
        rows.append(
            {
                "layer": name,
                "evaluated": runs["numba"]["evaluated"],
                "seconds": {b: r["seconds"] for b, r in runs.items()},
                "same_mapping": runs["numpy"]["key"] == runs["numba"]["key"],
            }
        )
    total = {b: sum(r["seconds"][b] for r in rows) for b in BACKENDS}
    evaluated = sum(r["evaluated"] for r in rows)
    return {
        "layers": rows,
        "evaluated": evaluated,
        "seconds": total,
        "rows_per_s": {b: evaluated / s for b, s in total.items()},
        "speedup": total["numpy"] / total["numba"],
        "same_mappings": all(r["same_mapping"] for r in rows),
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
    for backend in BACKENDS:
        print(
            f"  {backend:<6} {a['evaluate_s'][backend]:7.2f} s  {a['rows_per_s'][backend]:>11,.0f} rows/s"
            f"   map_problem {a['map_problem_s'][backend]:6.2f} s"
        )
    print(
        f"  speed-up {a['speedup']:.1f}x (map_problem "
        f"{a['map_problem_s']['numpy'] / a['map_problem_s']['numba']:.1f}x); identical results: "
        f"{a['identical']}, same best mapping: {a['same_mapping']}"
    )
    print(f"\n(b) ResNet-32 unique layers, map_problem: {b['evaluated']:,} rows in all")
    print(f"  {'layer':<16}{'rows':>9}{'numpy s':>9}{'numba s':>9}{'ratio':>8}")
    for r in b["layers"]:
        s = r["seconds"]
        print(
            f"  {r['layer']:<16}{r['evaluated']:>9,}{s['numpy']:>9.2f}{s['numba']:>9.2f}"
            f"{s['numpy'] / s['numba']:>7.1f}x"
        )
    print(
        f"  total: numpy {b['seconds']['numpy']:.2f} s ({b['rows_per_s']['numpy']:,.0f} rows/s), "
        f"numba {b['seconds']['numba']:.2f} s ({b['rows_per_s']['numba']:,.0f} rows/s): "
        f"{b['speedup']:.1f}x; same mappings: {b['same_mappings']}"
    )


if __name__ == "__main__":
    main()
