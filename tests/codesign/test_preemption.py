"""A scheduler's stop (SIGTERM, SIGUSR1/2): checkpoint, queue the trial again, exit non-zero;
the next run goes on from the checkpoint."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from sweep_fixtures import ROOT, TINY, subprocess_env
from test_workers_and_cli import _sweep


def _wait_for(path_glob: str, folder: Path, proc: subprocess.Popen, seconds: float = 240) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = sorted(folder.glob(path_glob))
        if found:
            return found[0]
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        time.sleep(0.2)
    raise TimeoutError(path_glob)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGUSR1])
def test_a_stopped_sweep_queues_its_trial_and_the_next_run_resumes_it(
    tmp_path, mapping_cache, stop
):
    study_dir = tmp_path / "study"
    args = ("sweep.n_trials=2", "trainer.max_epochs=4", f"hydra.run.dir={study_dir}")
    worker = _sweep(*args, tmp_path=tmp_path, cache=mapping_cache)
    # stop it once its first trial has finished an epoch (a checkpoint to go on from)
    _wait_for("trials/0000/checkpoints/epoch_000.ckpt", study_dir, worker)
    worker.send_signal(stop)
    _, err = worker.communicate(timeout=120)
    assert worker.returncode == 128 + stop, err[-3000:]
    assert f"stopped by {stop.name}; checkpoint " in err
    storage = f"sqlite:///{study_dir}/study.db"
    parked = optuna.load_study(study_name="demo", storage=storage).trials[0]
    checkpoint = parked.user_attrs["preempted"]["checkpoint"]
    assert parked.state.name == "WAITING" and Path(checkpoint).is_file()
    assert (study_dir / "trials.csv").is_file()  # the reports show what there is

    again = _sweep(*args, tmp_path=tmp_path, cache=mapping_cache)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-3000:]
    trials = optuna.load_study(study_name="demo", storage=storage).trials
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE"]  # not a third one
    resumed = trials[0]
    assert resumed.params == parked.params
    assert resumed.user_attrs["config"]["ckpt_path"] == checkpoint
    assert (
        "Restoring states from the checkpoint"
        in (study_dir / "trials" / "0000" / "train.log").read_text()
    )
    assert len(resumed.user_attrs["val_curve"]) < 4  # only the epochs after the checkpoint


@pytest.mark.slow
def test_train_py_stopped_by_sigterm_saves_a_checkpoint_and_exits_143(tmp_path, mapping_cache):
    run_dir = tmp_path / "run"
    own = [a for a in TINY if not a.startswith("sweep.")]
    proc = subprocess.Popen(
        [
            sys.executable,
            "train.py",
            *own,
            "trainer.max_epochs=4",
            f"hydra.run.dir={run_dir}",
            f"paths.cache_dir={tmp_path}/cache",
        ],
        cwd=ROOT,
        env=subprocess_env(tmp_path, mapping_cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for("checkpoints/epoch_000.ckpt", run_dir, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-3000:]  # it used to exit 0 without a result
    checkpoint = run_dir / "checkpoints" / "preempted.ckpt"
    assert checkpoint.is_file() and not (run_dir / "result.json").exists()
    assert f"continue with ckpt_path={checkpoint}" in err
