"""Mapper speed and quality on the eight unique layer shapes of a CIFAR ResNet-32.

Architecture: the course's Q3 Eyeriss-like accelerator with both constraint files (shipped with
hwsim as ``eyeriss_like_q3``); energies: the ERT that classic Accelergy produced for it
(../shared/reference/timeloop/eyeriss/u0_*/timeloop-mapper.ERT.yaml), so both mappers price
actions identically; Timeloop rules v3.0 (the reference's version).

Baseline: the classic ``timeloop-mapper`` with the course's mapper.yaml (random-pruned, 8 threads,
victory condition 500). When it is on PATH (or given with --timeloop-mapper) it runs in the same
run; otherwise the times recorded in ../shared/reference/timeloop/eyeriss (3.4 s for u0, 8.2 s for
u2, ~66 s for all eight layers on this machine) are used and the report says so.

    python bench/bench_mapper.py [--timeloop-mapper PATH] [--objective energy|delay]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import yaml
from layer_shapes import ERT, resnet32_layers

from hwsim.accelerators import load_accelerator
from hwsim.course_material import accelerator_dir
from hwsim.energy.sources import load_energy_table
from hwsim.mapper.backends import parse_timeloop_stats
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, map_problem

RECORDED = {"u0 stem": (5154761.47, 3.4), "u2 stage2 down": (11320495.70, 8.2)}
RECORDED_TOTAL_S = 66.0


def run_timeloop(binary: str, problem, work: Path) -> tuple[float, float]:
    """(energy pJ, wall seconds) of one timeloop-mapper run on the Q3 folder."""
    work.mkdir(parents=True, exist_ok=True)
    prob = work / "prob.yaml"
    prob.write_text(yaml.safe_dump(problem.to_timeloop("0.3"), sort_keys=False))
    q3 = accelerator_dir("eyeriss_like_q3")
    files = [
        q3 / "arch.yaml",
        *sorted((q3 / "components").glob("*.yaml")),
        *sorted((q3 / "constraints").glob("*.yaml")),
        q3 / "mapper.yaml",
        prob,
        ERT,
    ]
    start = time.perf_counter()
    subprocess.run(
        [binary, *map(str, files)], cwd=work, capture_output=True, check=True, timeout=900
    )
    seconds = time.perf_counter() - start
    summary = parse_timeloop_stats((work / "timeloop-mapper.stats.txt").read_text())
    return summary["energy_pj"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeloop-mapper", default=shutil.which("timeloop-mapper"))
    parser.add_argument("--objective", choices=["energy", "delay", "edp"], default="energy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not ERT.exists():
        raise SystemExit(f"reference ERT not found: {ERT}")
    accelerator = load_accelerator("eyeriss_like_q3")
    table = load_energy_table(ERT)
    settings = MapperSettings(objective=args.objective, timeloop_version="v3.0", progress=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, problem in resnet32_layers():
            constraints = parse_constraints(
                list(accelerator.constraints), accelerator.architecture, problem
            )
            start = time.perf_counter()
            found = map_problem(problem, accelerator.architecture, constraints, table, settings)
            ours_s = time.perf_counter() - start
            row = {
                "layer": name,
                "ours_s": ours_s,
                "ours_pj": found.energy_pj,
                "ours_cycles": found.cycles,
                "evaluated": found.evaluated,
            }
            if args.timeloop_mapper:
                row["timeloop_pj"], row["timeloop_s"] = run_timeloop(
                    args.timeloop_mapper, problem, Path(tmp) / name.split()[0]
                )
                row["baseline"] = "measured"
            elif name in RECORDED:
                row["timeloop_pj"], row["timeloop_s"] = RECORDED[name]
                row["baseline"] = "recorded"
            rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'layer':<16}{'ours s':>8}{'TL s':>8}{'speed-up':>10}{'ours pJ':>14}{'TL pJ':>14}{'E ratio':>9}  baseline"
    )
    for r in rows:
        tl_s, tl_pj = r.get("timeloop_s"), r.get("timeloop_pj")
        speed = f"{tl_s / r['ours_s']:>9.1f}x" if tl_s else f"{'-':>10}"
        ratio = f"{r['ours_pj'] / tl_pj:>9.3f}" if tl_pj else f"{'-':>9}"
        print(
            f"{r['layer']:<16}{r['ours_s']:>8.2f}{(tl_s or float('nan')):>8.2f}{speed}{r['ours_pj']:>14,.0f}"
            f"{(tl_pj or float('nan')):>14,.0f}{ratio}  {r.get('baseline', 'none')}"
        )
    ours_total = sum(r["ours_s"] for r in rows)
    measured = [r for r in rows if r.get("baseline") == "measured"]
    tl_total = (
        sum(r["timeloop_s"] for r in measured) if len(measured) == len(rows) else RECORDED_TOTAL_S
    )
    source = (
        "measured in this run"
        if len(measured) == len(rows)
        else "recorded in ../shared (about 66 s)"
    )
    print(
        f"\ntotal: ours {ours_total:.2f} s, classic timeloop-mapper {tl_total:.1f} s ({source}): {tl_total / ours_total:.1f}x faster"
    )


if __name__ == "__main__":
    main()
