"""`python sweep.py` as users run it: two workers on one SQLite file, mistakes in one line."""

import re
import signal
import subprocess
import sys
import time

import optuna
import pandas as pd
import pytest
from sweep_fixtures import ROOT, TINY, subprocess_env

import sweep

#: The tiny study's space, written as Hydra's command line can (nested keys).
CLI_SPACE = ["~sweep.space", "+sweep.space={kd:{alpha:{low:0.0,high:1.0}},model:{width:[4,8]}}"]


def _sweep(*args, tmp_path, cache):
    return subprocess.Popen(
        [sys.executable, "sweep.py", *TINY, *CLI_SPACE, f"paths.cache_dir={tmp_path}/cache", *args],
        cwd=ROOT,
        env=subprocess_env(tmp_path, cache),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_workers_share_one_sqlite_storage_without_losing_trials(tmp_path, mapping_cache):
    db = tmp_path / "shared.db"
    workers = [
        _sweep(
            f"sweep.storage={db}",
            f"sweep.seed={seed}",
            "sweep.n_trials=6",
            f"hydra.run.dir={tmp_path}/w{seed}",
            tmp_path=tmp_path,
            cache=mapping_cache,
        )
        for seed in (1, 2)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name="demo", storage=f"sqlite:///{db}")
    numbers = [t.number for t in study.trials]
    assert numbers == list(range(len(numbers))) and len(numbers) >= 6  # none lost, none doubled
    assert {t.state.name for t in study.trials} == {"COMPLETE"}
    ran_by = [
        {int(p.name) for p in (tmp_path / f"w{seed}" / "trials").iterdir()} for seed in (1, 2)
    ]
    assert ran_by[0] and ran_by[1] and not ran_by[0] & ran_by[1]  # both worked, no trial twice
    assert ran_by[0] | ran_by[1] == set(numbers)
    assert {t.user_attrs["run_dir"].rsplit("/", 2)[0] for t in study.trials} == {
        f"{tmp_path}/w1",
        f"{tmp_path}/w2",
    }


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["sweep.metric=tset"], r"^error: sweep\.metric='tset' must be 'val' or 'test'$"),
        (
            ["sweep.n_trails=3"],
            r"unknown config key 'sweep\.n_trails' \(did you mean sweep\.n_trials\?\)",
        ),
        (
            ["+sweep.space.model.widht=[4]"],
            r"sweep\.space\['model\.widht'\] is not a key .*did you mean model\.width\?",
        ),
    ],
    ids=["bad_metric", "unknown_key", "space_typo"],
)
def test_user_mistakes_are_one_line_with_exit_status_2(tmp_path, mapping_cache, args, pattern):
    proc = _sweep(f"hydra.run.dir={tmp_path}/run", *args, tmp_path=tmp_path, cache=mapping_cache)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err[-3000:]
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and re.search(pattern, errors[0]), err[-2000:]


def test_a_killed_worker_loses_only_its_trial_which_is_retried(
    tmp_path, mapping_cache, sweep_cfg, fake_train
):
    db = tmp_path / "study.db"
    storage = f"sqlite:///{db}"
    worker = _sweep(
        f"sweep.storage={db}",
        "sweep.n_trials=3",
        "sweep.heartbeat_s=1",
        "trainer.max_epochs=4",
        f"hydra.run.dir={tmp_path}/w",
        tmp_path=tmp_path,
        cache=mapping_cache,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # kill it once a trial is done and the next is running
        trials = _trials(db)
        states = [t.state.name for t in trials]
        running = [t for t in trials if t.state.name == "RUNNING"]
        # the running trial has drawn every searched value (it samples them one by one)
        if states.count("COMPLETE") >= 1 and running and len(running[0].params) == 2:
            break
        assert worker.poll() is None, worker.communicate()[1][-3000:]
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    before = optuna.load_study(study_name="demo", storage=storage).trials
    killed = next(t for t in before if t.state.name == "RUNNING")

    time.sleep(2.5)  # two missed heartbeats
    space = {"kd.alpha": {"low": 0.0, "high": 1.0}, "model.width": [4, 8]}  # CLI_SPACE's
    cfg = sweep_cfg("sweep.n_trials=3", f"sweep.storage={db}", "sweep.heartbeat_s=1", space=space)
    result = sweep.run_sweep(cfg, train_fn=fake_train)
    after = optuna.load_study(study_name="demo", storage=storage).trials
    for old in before:
        if old.state.name == "COMPLETE":  # finished trials are intact
            assert after[old.number].values == old.values and after[old.number].params == old.params
    assert after[killed.number].state.name == "FAIL"
    retried = [t for t in after if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retried) == 1 and retried[0].params == killed.params  # queued again, same values
    assert result.counts["complete"] == 3 and "running" not in result.counts
    trials = pd.read_csv(result.files["trials_csv"])
    assert trials.loc[killed.number, "fail_reason"].startswith("no reason recorded: its worker")


def _trials(db) -> list[optuna.trial.FrozenTrial]:
    if not db.exists():
        return []
    try:
        return optuna.load_study(study_name="demo", storage=f"sqlite:///{db}").trials
    except Exception:  # the study or its tables are not created yet
        return []
