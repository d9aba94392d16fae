"""Pricing a new student of the sweep's default space, this checkout against a baseline commit.

Every student of conf/sweep/space/default.yaml (blocks x width x block; model.quant.bits does not
change the energy at the default hw.datawidth=16) is priced as a sweep trial prices it
(`codesign.energy.EnergyModel`: build the untrained student, extract its layers, map every
distinct layer, price it) on the default `hw` (conf/hw/eyeriss_like.yaml), each in a fresh,
empty mapping cache. Two worker processes, one per checkout (the baseline is `git archive`d into
a temporary folder), take the students in turn, so both see the same machine load; each has
loaded its kernels and built the energy table before the first timed student. Times are the
worker's CPU time (user + sys, torch on one thread), the figure that a loaded machine disturbs
least; wall time is printed beside it. The energies of the two must be equal.

    .venv/bin/python bench/bench_student_energy.py                  # all 90 students
    .venv/bin/python bench/bench_student_energy.py --every 10 --baseline f65ca97

Goal (issue 12, part 4): every new student priced in <= 0.5 s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: main before the mapspace was listed on demand and the delay search bounded by cycles
BASELINE = "f65ca97"
GOAL_S = 0.5

WORKER = r"""
import json, os, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
os.environ["HWKD_CACHE_DIR"] = tempfile.mkdtemp(prefix="hwkd-bench-")
import torch
torch.set_num_threads(1)
from omegaconf import OmegaConf
from codesign.energy import EnergyModel
hw = OmegaConf.to_container(OmegaConf.load(os.path.join(sys.argv[1], "conf/hw/eyeriss_like.yaml")))
model = EnergyModel(hw, 32)
def price(student):
    os.environ["HWKD_CACHE_DIR"] = tempfile.mkdtemp(prefix="hwkd-bench-")  # nothing mapped yet
    cfg = OmegaConf.create({"_target_": "models.resnet.build_student", **student})
    cpu, wall = time.process_time(), time.perf_counter()
    energy = model(cfg, {})
    return {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall,
            "uj": energy.total_uj, "layers": energy.mapped_layers}
price({"blocks": [1, 1, 1], "width": 4, "block": "basic"})  # kernels, energy table
price({"blocks": [1, 1, 1], "width": 6, "block": "bottleneck"})
print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps(price(json.loads(line))), flush=True)
"""


def default_space_students() -> list[dict]:
    space = yaml.safe_load((ROOT / "conf" / "sweep" / "space" / "default.yaml").read_text())
    width = space["model"]["width"]
    widths = range(width["low"], width["high"] + 1, width.get("step", 1))
    return [
        {"blocks": blocks, "width": w, "block": block}
        for blocks, w, block in itertools.product(
            space["model"]["blocks"], widths, space["model"]["block"]
        )
    ]


class Worker:
    """A process pricing students with the code of one checkout."""

    def __init__(self, root: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip() == "ready":
                break

    def price(self, student: dict) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(student) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def label(student: dict) -> str:
    return f"{student['blocks']} w{student['width']} {student['block']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"commit (default {BASELINE})")
    parser.add_argument("--every", type=int, default=1, help="price every n-th student only")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    students = default_space_students()[:: args.every]
    with tempfile.TemporaryDirectory(prefix="hwkd-baseline-") as baseline:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", baseline], input=archive.stdout, check=True)
        print(f"starting workers (baseline {args.baseline}, this checkout)...", flush=True)
        old, new = Worker(Path(baseline)), Worker(ROOT)
        rows = []
        print(
            f"\n{'student':32} {'layers':>6} {'baseline':>9} {'now':>7} {'ratio':>6}   (CPU s)"
            "   energy now/baseline"
        )
        for i, student in enumerate(students):
            pair = (old, new) if i % 2 == 0 else (new, old)  # alternate who goes first
            result = {id(w): w.price(student) for w in pair}
            a, b = result[id(old)], result[id(new)]
            rows.append((student, a, b))
            print(
                f"{label(student):32} {b['layers']:6d} {a['cpu_s']:9.3f} {b['cpu_s']:7.3f} "
                f"{a['cpu_s'] / b['cpu_s']:5.1f}x   {b['uj'] / a['uj']:.6f}",
                flush=True,
            )
        old.close()
        new.close()
    for key, name in (("cpu_s", "CPU"), ("wall_s", "wall")):
        a = [r[1][key] for r in rows]
        b = [r[2][key] for r in rows]
        print(
            f"{name}: baseline median {statistics.median(a):.3f} s, worst {max(a):.3f} s; now "
            f"median {statistics.median(b):.3f} s, worst {max(b):.3f} s; total ratio "
            f"{sum(a) / sum(b):.1f}x"
        )
    worst = max(r[2]["cpu_s"] for r in rows)
    # the sweep ranks mappings [delay, energy]: since f65ca97 delay is Timeloop's throttled cycles
    # (hwsim.analytical.cycles), so a layer whose fastest mapping is now throttled may map (and
    # price) differently; the search itself is pinned by tests/hwsim/test_mapper_golden.py
    same = sum(abs(a["uj"] - b["uj"]) <= 1e-9 * abs(a["uj"]) for _, a, b in rows)
    print(
        f"energies equal on {same} of {len(rows)} students (others: throttled cycles changed a mapping)"
    )
    print(f"goal <= {GOAL_S} s per new student (CPU): {'met' if worst <= GOAL_S else 'MISSED'}")
    if args.json:
        args.json.write_text(
            json.dumps([{"student": s, "baseline": a, "now": b} for s, a, b in rows])
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
