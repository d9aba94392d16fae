"""Time to build the energy table of an Eyeriss-like architecture from component models.

Workload: hwsim's Eyeriss-like architecture (tests/energy/specs/eyeriss_like.yaml: the course's Q3
geometry, v0.4 form, built-in smartbuffer classes) or any files given with --arch (e.g. the
course's Q3 folder with its compound components). Specs are parsed once, outside the timings.

Measured, each against a fresh, private cache folder:
- cold, new process: a fresh Python builds the table with an empty cache (imports hwcomponents,
  runs CACTI and every model), timed inside that process;
- cold, in process: the models already imported, the cache empty (model evaluation only);
- warm: the cache filled and a fresh evaluator per build (so every result is read from disk and
  every compound action tree re-evaluated); median and max of --repeat builds.
Baseline: the cold in-process build. Goal: warm under 50 ms.

    python bench/bench_energy.py              # prints a table; --json for machine-readable output
    python bench/bench_energy.py --arch ../shared/specs/course-a2/Q3/arch
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARCH = [ROOT / "tests" / "energy" / "specs" / "eyeriss_like.yaml"]
WARM_GOAL_MS = 50.0

CHILD = """
import sys, time
from hwsim.spec import load_specs
specs = load_specs(sys.argv[1:])
started = time.perf_counter()
from hwsim.energy.components import energy_table_for_specs
energy_table_for_specs(specs)
print((time.perf_counter() - started) * 1000)
"""


def cold_new_process(arch: list[str]) -> float:
    with tempfile.TemporaryDirectory(prefix="hwkd-bench-") as cache:
        env = {**os.environ, "HWKD_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", CHILD, *arch],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])


def measure(arch: list[str], repeat: int) -> dict:
    from hwsim.energy.components import default_evaluator, energy_table_for_specs
    from hwsim.spec import load_specs

    specs = load_specs(arch)
    result = {
        "architecture": [str(a) for a in arch],
        "components": None,
        "cold_new_process_ms": cold_new_process(arch),
    }
    with tempfile.TemporaryDirectory(prefix="hwkd-bench-") as cache:
        os.environ["HWKD_CACHE_DIR"] = cache
        energy_table_for_specs(
            load_specs(DEFAULT_ARCH), evaluator=default_evaluator(use_cache=False)
        )  # imports
        evaluator = default_evaluator()
        started = time.perf_counter()
        table = energy_table_for_specs(specs, evaluator=evaluator)
        result["cold_in_process_ms"] = (time.perf_counter() - started) * 1000
        result["components"] = len(table.entries)
        result["model_results"] = evaluator.misses
        warm = []
        for _ in range(repeat):
            evaluator = default_evaluator()
            started = time.perf_counter()
            again = energy_table_for_specs(specs, evaluator=evaluator)
            warm.append((time.perf_counter() - started) * 1000)
            assert evaluator.misses == 0 and again == table
    result["warm_median_ms"] = statistics.median(warm)
    result["warm_max_ms"] = max(warm)
    result["speedup_cold_over_warm"] = result["cold_in_process_ms"] / result["warm_median_ms"]
    result["warm_goal_ms"] = WARM_GOAL_MS
    result["warm_goal_met"] = result["warm_median_ms"] < WARM_GOAL_MS
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arch",
        nargs="+",
        default=[str(p) for p in DEFAULT_ARCH],
        help="architecture files or folders",
    )
    parser.add_argument("--repeat", type=int, default=20, help="warm builds to time (default 20)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    r = measure(args.arch, args.repeat)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(
        f"energy table of {', '.join(r['architecture'])}: {r['components']} components, {r['model_results']} model results"
    )
    print(f"  cold, new process (imports + CACTI + models): {r['cold_new_process_ms']:8.1f} ms")
    print(
        f"  cold, in process (CACTI + models):            {r['cold_in_process_ms']:8.1f} ms   (baseline)"
    )
    print(
        f"  warm, from the cache (median of {args.repeat}):        {r['warm_median_ms']:8.2f} ms   (max {r['warm_max_ms']:.2f} ms)"
    )
    goal = "met" if r["warm_goal_met"] else "NOT met"
    print(
        f"  cold / warm: {r['speedup_cold_over_warm']:.0f}x; goal warm < {WARM_GOAL_MS:.0f} ms: {goal}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
