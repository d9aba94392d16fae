"""`sweep.workers=N`: N worker processes of one study on this machine.

Each worker is `python sweep.py` again with the same overrides, `sweep.workers=1`, its index
(`sweep.worker=i`: recorded with its trials, and its sampler seeded with sweep.seed + i) and the
study's folder as its output (trials, storage and reports are shared; its own log goes to
workers/<i>/sweep.log). With several GPUs visible, worker i sees only GPU i mod #GPUs
(CUDA_VISIBLE_DEVICES); otherwise, unless num_threads is set, each gets its share of the CPU
cores (num_threads and OMP_NUM_THREADS). The workers print their trials' lines to this terminal.
A stop signal (SIGTERM, SIGUSR1, SIGUSR2) is passed on to every worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: Marks a process started by this module: it leaves the end-of-study summary to its parent.
CHILD_ENV = "HWKD_SWEEP_CHILD"
#: Overrides the parent sets for each worker (the user's values for them are replaced).
OWN_KEYS = ("sweep.workers", "sweep.worker", "paths.output_dir", "hydra.run.dir", "num_threads")


@dataclass(frozen=True)
class WorkerPlan:
    index: int
    args: list[str]
    env: dict[str, str]


def plan_workers(
    n: int,
    script: Path,
    overrides: Sequence[str],
    study_dir: Path,
    num_threads: int | None,
    gpus: Sequence[str],
    cpus: int,
) -> list[WorkerPlan]:
    """The command line and environment of each of `n` workers (see module docstring)."""
    kept = [o for o in overrides if o.lstrip("+~").split("=", 1)[0] not in OWN_KEYS]
    threads = num_threads or max(1, cpus // n)
    plans = []
    for i in range(n):
        env = {**os.environ, CHILD_ENV: "1", "OMP_NUM_THREADS": str(threads)}
        if len(gpus) > 1:
            env["CUDA_VISIBLE_DEVICES"] = gpus[i % len(gpus)]
        args = [
            sys.executable,
            str(script),
            *kept,
            "sweep.workers=1",
            f"sweep.worker={i}",
            f"paths.output_dir={study_dir}",
            f"hydra.run.dir={study_dir}/workers/{i}",
            f"num_threads={threads}",
        ]
        plans.append(WorkerPlan(i, args, env))
    return plans


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as CUDA_VISIBLE_DEVICES names them."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g for g in listed.split(",") if g.strip()]
    import torch

    return [str(i) for i in range(torch.cuda.device_count())]


def run_workers(plans: Sequence[WorkerPlan]) -> list[int]:
    """Start every worker, wait for all; returns their exit statuses."""
    procs = [subprocess.Popen(p.args, env=p.env) for p in plans]

    def pass_on(signum, frame) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signum)

    previous = {
        s: signal.signal(s, pass_on) for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)
    }
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, lambda *_: None)  # the terminal's
    # Ctrl-C reaches every worker itself (one process group): the parent only waits for them
    try:
        return [proc.wait() for proc in procs]
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
