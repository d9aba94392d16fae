"""A study with more workers: the demo study's wall time with 1 and with 2 local workers, and the
teacher-logit cache built by 2 workers at once against 1 (it must be built once, not twice).

    .venv/bin/python bench/bench_workers.py               # ~6 minutes on 2 free cores
    .venv/bin/python bench/bench_workers.py --trials 8    # a smaller study

Study: `python sweep.py experiment=demo sweep.workers=W` as users run it (a process each, the
same hwsim cache folder); the 2-worker study runs first, so the 1-worker one finds every layer
shape already mapped: the ratio is, if anything, unfair to 2 workers. The workers' samplers are
seeded apart, so the two studies draw different students: the work each did (epochs, MAC-epochs)
is printed with its wall time. On 2 cores each of 2 workers trains on one thread where a single
worker trains on two: on idle cores the wall time per unit of work is about even, and the extra
process start-up shows on small studies; on shared, busy cores one process with two threads
slows down far more than two with one.

Cache: the demo's teacher-logit cache (its 1800 training images, 50 views, the tiny teacher)
built from empty by one process, then by two processes started together on a new folder; each
process reports the rows it computed. Built once means the rows add up to 1800 and the wall time
of two is about that of one (the second waits, then reads).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def run_study(workers: int, trials: int, folder: Path, env: dict) -> dict:
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "sweep.py"),
            "experiment=demo",
            f"sweep.workers={workers}",
            f"sweep.n_trials={trials}",
            f"sweep.study_name=bench_w{workers}",
            f"hydra.run.dir={folder}/w{workers}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"the {workers}-worker study failed:\n{proc.stderr[-3000:]}")
    counts = re.search(r"study bench_w\d+: (\{.*\})", proc.stdout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("trial ")]
    table = pd.read_csv(folder / f"w{workers}" / "trials.csv")
    return {
        "workers": workers,
        "wall_s": wall,
        "counts": counts.group(1),
        "lines": len(lines),
        "epochs": int(table["epochs"].fillna(0).sum()),  # the work: pruned trials stop early
        "macs": float((table["macs"] * table["epochs"].fillna(0)).sum()),
    }


#: One cache builder: the demo's data and teacher, as train.py composes them; prints its rows.
BUILDER = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
import train  # noqa: F401  (HWKD_ROOT)
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from models.logit_cache import TeacherLogitCache, module_fingerprint
with initialize_config_dir(config_dir=sys.argv[2] + "/conf", version_base="1.3"):
    cfg = compose("train", overrides=["experiment=demo", "num_threads=1"])
import lightning as L
import torch
torch.set_num_threads(1)
L.seed_everything(cfg.seed)  # as train() does: the same random tiny teacher in every process
dm = instantiate(cfg.data)
dm.load()
dm.setup("fit")
from models.teachers import FrozenTeacher
teacher = FrozenTeacher(instantiate(cfg.teacher))
start = time.perf_counter()
net = teacher.teacher
cache = TeacherLogitCache.for_teacher(sys.argv[1], module_fingerprint(net, net.input.spec()),
                                      dm.train_set, dm.grid, cfg.data.num_classes)
rows = cache.fill(teacher, dm.train_set.images, dm.train_rows, dm.grid,
                  batch_size=dm.eval_batch_size, progress=False)
print("RESULT " + json.dumps({"rows": rows, "seconds": time.perf_counter() - start}))
"""


def build_caches(n: int, folder: Path, env: dict) -> dict:
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", BUILDER, str(folder), str(ROOT)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            sys.exit(f"a cache builder failed:\n{err[-3000:]}")
        results.append(json.loads(out.split("RESULT ", 1)[1]))
    return {
        "builders": n,
        "wall_s": time.perf_counter() - start,
        "rows": [r["rows"] for r in results],
        "fill_s": [r["seconds"] for r in results],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16, help="the study's size (the demo: 16)")
    parser.add_argument("--only", choices=("study", "cache"), help="run one of the two parts")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_workers_"))
    env = {**os.environ, "HWKD_CACHE_DIR": str(tmp / "hwkd"), "WANDB_MODE": "disabled"}
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")

    if args.only != "cache":
        compare_studies(args.trials, tmp, env)
    if args.only != "study":
        compare_caches(tmp, env)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (other processes share these cores)")


def compare_studies(trials: int, tmp: Path, env: dict) -> None:
    two = run_study(2, trials, tmp / "studies", env)
    one = run_study(1, trials, tmp / "studies", env)
    print(f"\ndemo study, {trials} trials (sweep.py experiment=demo sweep.workers=W):")
    for r in (one, two):
        print(f"  {r['workers']} worker(s): {r['wall_s']:6.1f} s  {r['counts']}  {r['epochs']} "
              f"epochs, {r['macs'] / 1e6:.0f} M MAC-epochs, {r['lines']} progress lines")  # fmt: skip
    print(f"  speed-up of 2 workers (wall time): {one['wall_s'] / two['wall_s']:.2f}x")
    per_work = (one["wall_s"] / one["macs"]) / (two["wall_s"] / two["macs"])
    print(f"  per unit of work (wall time per MAC-epoch; the trials differ): {per_work:.2f}x")


def compare_caches(tmp: Path, env: dict) -> None:
    alone = build_caches(1, tmp / "cache_one", env)
    shared = build_caches(2, tmp / "cache_two", env)
    print(f"\nteacher-logit cache of the demo ({alone['rows'][0]} training images x 50 views):")
    print(f"  1 builder : {alone['wall_s']:6.1f} s wall, rows computed {alone['rows']}")
    print(f"  2 builders: {shared['wall_s']:6.1f} s wall, rows computed {shared['rows']} "
          f"(sum {sum(shared['rows'])}: built {'once' if sum(shared['rows']) == sum(alone['rows']) else 'MORE THAN ONCE'})")  # fmt: skip
    print(
        f"  wall time of 2 builders / 1: {shared['wall_s'] / alone['wall_s']:.2f} "
        "(2.00 if each built its own)"
    )


if __name__ == "__main__":
    main()
