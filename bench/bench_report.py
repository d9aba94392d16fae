"""Wall time of the report command on a warm install, split into its parts.

Runs ``python -m course`` once, in a fresh process, as ``make report`` does (the demo study, or
--study), into a temporary folder, and reads the time of each part from the timings.json it
writes: finding the study, Q1, the structure (class list and pdoc API pages), Q2 (both model
generations' sweeps), Q3 (the study's report) and writing report.md/.html; "start-up" is the rest
of the process's wall time (interpreter and imports). "Warm install" means the component caches
(~/.cache/hwkd) and the demo study exist, as after `make run` and one `make report`.

Baseline, measured in the same run: the individual commands the report stands for, each in its
own process — ``hwsim table2``, ``pdoc hwsim``, ``hwsim sweep-components``,
``python -m codesign.report`` — whose summed wall time the report is compared with.

    python bench/bench_report.py [--study outputs/sweeps/demo/study.db] [--no-baseline] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "outputs" / "sweeps" / "demo" / "study.db"
PARTS = ("study", "Q1", "structure", "Q2", "Q3", "write")


def timed(command: list[str]) -> float:
    """Wall seconds of `command` run in the project root; its output is discarded."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def report_run(study: Path, out: Path) -> dict[str, float]:
    total = timed([sys.executable, "-m", "course", "--study", str(study), "--out", str(out)])
    parts = json.loads((out / "timings.json").read_text())
    return {**parts, "start-up": total - sum(parts.values()), "total": total}


def baseline_run(study: Path, out: Path) -> dict[str, float]:
    hwsim = [sys.executable, "-m", "hwsim"]
    return {
        "hwsim table2": timed([*hwsim, "table2", "--out", str(out / "table2")]),
        "pdoc hwsim": timed([sys.executable, "-m", "pdoc", "hwsim", "-o", str(out / "api")]),
        "hwsim sweep-components": timed([*hwsim, "sweep-components", "--out", str(out / "q2")]),
        "codesign.report": timed(
            [sys.executable, "-m", "codesign.report", str(study), "--out", str(out / "q3")]
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", type=Path, default=DEMO, help="study storage (default: demo)")
    parser.add_argument("--no-baseline", action="store_true", help="time the report only")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    if not args.study.is_file():
        print(
            f"error: no study at {args.study}: run `make run` first (a warm install)",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        report = report_run(args.study, Path(tmp) / "report")
        baseline = {} if args.no_baseline else baseline_run(args.study, Path(tmp) / "baseline")
    if args.json:
        print(json.dumps({"report": report, "baseline": baseline}, indent=2))
        return 0
    total = report["total"]
    print(f"make report (python -m course), one run on a warm install: {total:.1f} s wall")
    for part in (*PARTS, "start-up"):
        print(f"  {part:<10} {report[part]:6.1f} s  {report[part] / total:5.1%}")
    if baseline:
        summed = sum(baseline.values())
        print(f"baseline, the individual commands in their own processes: {summed:.1f} s")
        for name, seconds in baseline.items():
            print(f"  {name:<24} {seconds:6.1f} s")
        print(f"report / individual commands: {total / summed:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
