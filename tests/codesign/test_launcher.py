"""Workers as jobs of Hydra's submitit launcher (sweep/cluster=local: submitit's local executor
runs sweep/cluster=slurm's job array as local processes), one preempted and requeued."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from sweep_fixtures import ROOT, TINY, subprocess_env
from test_workers_and_cli import CLI_SPACE


def _job_processes(folder: Path) -> list[int]:
    """The processes running submitit jobs of `folder` (`python -m submitit.core._submit`)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"submitit.core._submit" in args and any(str(folder).encode() in a for a in args):
            pids.append(int(proc.name))
    return pids


@pytest.mark.slow
def test_submitit_jobs_are_workers_of_one_study_and_a_preempted_one_is_requeued(
    tmp_path, mapping_cache
):
    logs = tmp_path / "logs"
    study_dir = logs / "sweeps" / "demo"
    args = ["sweep.py", "-m", *TINY, *CLI_SPACE, "sweep/cluster=local", "trainer.max_epochs=3",
            f"paths.log_dir={logs}", f"paths.cache_dir={tmp_path}/cache", "sweep.worker=range(2)"]  # fmt: skip
    driver = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=subprocess_env(tmp_path, mapping_cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not list(study_dir.glob("trials/*/checkpoints/epoch_000.ckpt")):  # a job trains
        assert time.monotonic() < deadline and driver.poll() is None, driver.communicate()[0]
        time.sleep(0.2)
    jobs = _job_processes(study_dir / ".submitit")
    assert len(jobs) == 2
    for pid in jobs:  # the whole array preempted: SLURM's signal before the end, here SIGUSR2
        os.kill(pid, signal.SIGUSR2)
    out, _ = driver.communicate(timeout=600)
    assert driver.returncode == 0, out[-3000:]

    study = optuna.load_study(study_name="demo", storage=f"sqlite:///{study_dir}/study.db")
    trials = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len(trials) == 4  # exactly n, none lost
    # and nothing else but, at most, a parked trial: a requeued job that raced the other to the
    # queued trial asked for a new one past the last slot (codesign.slots), sampled and ran nothing
    others = [t for t in study.trials if t.state.name != "COMPLETE"]
    assert all(t.state.name == "WAITING" and not t.params for t in others), others
    assert {t.user_attrs["worker"].rsplit("/", 1)[1] for t in trials} == {"w0", "w1"}
    resumed = [t for t in trials if t.user_attrs.get("preempted")]
    assert resumed and all(t.user_attrs["preempted"]["signal"] == "SIGUSR2" for t in resumed)
    # the job that was training saved a checkpoint, and its trial went on from it (a job caught
    # before its trial trained has none: that trial starts again)
    trained = [t for t in resumed if t.user_attrs["preempted"]["checkpoint"]]
    assert trained
    assert all(
        t.user_attrs["config"]["ckpt_path"] == t.user_attrs["preempted"]["checkpoint"]
        for t in trained
    )
    job_logs = "".join(p.read_text() for p in study_dir.glob(".submitit/*/*_log.*"))
    assert "Requeued job" in job_logs and "Job completed successfully" in job_logs
