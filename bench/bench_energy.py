"""Time to build the energy table of the course's Eyeriss-like architecture, per energy source.

Workload: the course's Q3 architecture shipped with hwsim (hwsim/data/course/
eyeriss_like_q3: v0.3 arch + smartbuffer compound components) or any files given with --arch.
Specs are parsed once, outside the timings. Sources: ``classic`` (classic Accelergy 0.3 rules,
CACTI rows cached) and ``hwcomponents`` (component models), measured in the same run.

Measured per source, each against a fresh, private cache folder:
- cold, new process: a fresh Python builds the table with an empty cache (imports hwcomponents,
  runs CACTI and every model), timed inside that process;
- cold, in process: the models already imported, the cache empty (model evaluation only);
- warm: the cache filled and a fresh evaluator per build (so every result is read from disk and
  every compound action tree re-evaluated); median and max of --repeat builds.
Baseline: the `models` source's builds in the same run (and each source's own cold in-process
build). Goal: warm under 50 ms.

    python bench/bench_energy.py              # prints a table; --json for machine-readable output
    python bench/bench_energy.py --arch ../shared/specs/course-a2/Q3/arch --sources classic
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
DEFAULT_ARCH = [ROOT / "hwsim" / "data" / "course" / "eyeriss_like_q3"]
WARM_GOAL_MS = 50.0

CHILD = """
import sys, time
from hwsim.spec import load_specs
specs = load_specs(sys.argv[2:])
started = time.perf_counter()
from hwsim.energy import load_energy_table
load_energy_table(sys.argv[1], architecture=specs.architecture,
                  compound_components=specs.compound_components)
print((time.perf_counter() - started) * 1000)
"""


class Builder:
    """Builds one source's table; `misses` counts fresh model results / CACTI runs."""

    def __init__(self, source: str, specs):
        self.source, self.specs, self.misses = source, specs, 0

    def __call__(self):
        if self.source == "hwcomponents":
            from hwsim.energy.components import default_evaluator, energy_table_for_specs

            evaluator = default_evaluator()
            table = energy_table_for_specs(self.specs, evaluator=evaluator)
            self.misses = evaluator.misses
            return table
        from hwsim.energy.classic import classic_ert
        from hwsim.energy.classic.cacti_plugin import CactiRows

        rows = CactiRows()
        table = classic_ert(
            self.specs.architecture, compound_components=self.specs.compound_components, rows=rows
        ).to_energy_table()
        self.misses = rows.misses
        return table


def cold_new_process(source: str, arch: list[str]) -> float:
    with tempfile.TemporaryDirectory(prefix="hwkd-bench-") as cache:
        env = {**os.environ, "HWKD_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", CHILD, source, *arch],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])


def measure(source: str, arch: list[str], repeat: int) -> dict:
    from hwsim.spec import load_specs

    specs = load_specs(arch)
    build = Builder(source, specs)
    result = {
        "source": source,
        "architecture": [str(a) for a in arch],
        "cold_new_process_ms": cold_new_process(source, arch),
    }
    with tempfile.TemporaryDirectory(prefix="hwkd-bench-") as cache:
        os.environ["HWKD_CACHE_DIR"] = cache
        with tempfile.TemporaryDirectory(prefix="hwkd-bench-imports-") as other:
            os.environ["HWKD_CACHE_DIR"] = other
            Builder(source, specs)()  # imports, in a cache folder of its own
        os.environ["HWKD_CACHE_DIR"] = cache
        started = time.perf_counter()
        table = build()
        result["cold_in_process_ms"] = (time.perf_counter() - started) * 1000
        result["components"] = len(table.entries)
        result["fresh_results"] = build.misses
        warm = []
        for _ in range(repeat):
            started = time.perf_counter()
            again = build()
            warm.append((time.perf_counter() - started) * 1000)
            assert build.misses == 0 and again == table
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
    parser.add_argument(
        "--sources",
        nargs="+",
        default=["classic", "hwcomponents"],
        choices=("classic", "hwcomponents"),
    )
    parser.add_argument("--repeat", type=int, default=20, help="warm builds to time (default 20)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = {source: measure(source, args.arch, args.repeat) for source in args.sources}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"energy table of {', '.join(args.arch)}")
    for source, r in results.items():
        print(
            f"{source}: {r['components']} components, {r['fresh_results']} fresh results "
            f"({'CACTI runs' if source == 'classic' else 'model results'}) when cold"
        )
        print(f"  cold, new process (imports + everything): {r['cold_new_process_ms']:8.1f} ms")
        print(f"  cold, in process:                         {r['cold_in_process_ms']:8.1f} ms")
        print(
            f"  warm, cache filled (median of {args.repeat}):     {r['warm_median_ms']:8.2f} ms"
            f"   (max {r['warm_max_ms']:.2f} ms)"
        )
        goal = "met" if r["warm_goal_met"] else "NOT met"
        print(
            f"  cold / warm: {r['speedup_cold_over_warm']:.0f}x; goal warm < {WARM_GOAL_MS:.0f} ms: {goal}"
        )
    if {"classic", "hwcomponents"} <= set(results):
        c, m = results["classic"], results["hwcomponents"]
        print(
            "classic / models (baseline): "
            f"cold new process {c['cold_new_process_ms'] / m['cold_new_process_ms']:.2f}x, "
            f"cold in process {c['cold_in_process_ms'] / m['cold_in_process_ms']:.2f}x, "
            f"warm {c['warm_median_ms'] / m['warm_median_ms']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
