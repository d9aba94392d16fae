"""`python sweep.py` as users run it: two workers of one study, mistakes in one line."""

import json
import re
import signal
import socket
import subprocess
import sys
import time

import optuna
import pandas as pd
import pytest
from sweep_fixtures import ROOT, TINY, subprocess_env

import sweep
from codesign.storage import open_storage, storage_url
from models.errors import UserError

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


@pytest.mark.slow
@pytest.mark.parametrize("storage", ["study.db", "journal:shared/study.journal"])
def test_sweep_workers_2_runs_exactly_n_trials_each_with_its_worker(
    tmp_path, mapping_cache, storage
):
    """`sweep.workers=2` on SQLite and on a journal file (what workers on a shared file system
    use): exactly sweep.n_trials finished trials (two workers asked for 6 used to run 7)."""
    spec = storage.replace("study.db", f"{tmp_path}/study.db").replace(
        "shared", f"{tmp_path}/shared"
    )
    proc = _sweep(
        f"sweep.storage={spec}",
        "sweep.workers=2",
        "sweep.n_trials=6",
        f"hydra.run.dir={tmp_path}/study",
        tmp_path=tmp_path,
        cache=mapping_cache,
    )
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    trials = optuna.load_study(
        study_name="demo", storage=open_storage(storage_url(spec, "."))
    ).trials
    finished = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(finished) == 6  # exactly: none lost, none extra
    # a trial created in a race for the last slot is queued, never run (codesign.slots)
    assert all(t.state.name == "WAITING" and not t.params for t in trials if t not in finished)
    table = pd.read_csv(tmp_path / "study" / "trials.csv")
    host = socket.gethostname()
    assert set(table["worker"].dropna()) == {f"{host}/w0", f"{host}/w1"}  # both worked
    assert {int(p.name) for p in (tmp_path / "study" / "trials").iterdir()} == {
        t.number for t in finished
    }
    assert all((tmp_path / "study" / "trials" / f"{t.number:04d}" / "train.log").is_file()
               for t in finished)  # fmt: skip
    # the terminal: one line per trial and the summary table, no Lightning banners
    assert len([line for line in out.splitlines() if line.startswith("trial ")]) == 6
    assert "study demo: {'complete': 6" in out and "worker" in out
    assert "GPU available" not in out + err and "LOCAL_RANK" not in out + err


#: Command-line mistakes -> the one line they must give (exit status 2, no traceback).
MISTAKES = {
    "bad_metric": (["sweep.metric=tset"], r"^error: sweep\.metric='tset' must be 'val' or 'test'$"),
    "unknown_key": (
        ["sweep.n_trails=3"],
        r"unknown config key 'sweep\.n_trails' \(did you mean sweep\.n_trials\?\)",
    ),
    "space_typo": (
        ["+sweep.space.model.widht=[4]"],
        r"sweep\.space\['model\.widht'\] is not a key .*did you mean model\.width\?",
    ),
    "timeout": (["sweep.timeout=abc"], r"^error: sweep\.timeout='abc' must be a number or null$"),
    "seed": (["sweep.seed=abc"], r"^error: sweep\.seed='abc' must be an integer or null$"),
    "heartbeat": (["sweep.heartbeat_s=abc"], r"^error: sweep\.heartbeat_s='abc' must be an int"),
    "n_trials": (["sweep.n_trials=abc"], r"^error: sweep\.n_trials='abc' must be an integer$"),
    "n_trials_negative": (
        ["sweep.n_trials=-1"],
        r"^error: sweep\.n_trials=-1 must be an integer >= 0$",
    ),
    "floor": (
        ["sweep.constraints.min_accuracy=abc"],
        r"^error: sweep\.constraints\.min_accuracy='abc' must be a number$",
    ),
    "objectives": (["sweep.objectives=null"], r"^error: sweep\.objectives=null must be a list$"),
    "curve": (
        ["sweep.prune.enabled=true", "sweep.prune.curve=null"],
        r"^error: sweep\.prune\.curve=null must be a list$",
    ),
    "report": (["sweep.report=maybe"], r"^error: sweep\.report='maybe' must be true or false$"),
    "workers": (["sweep.workers=0"], r"^error: sweep\.workers=0 must be an integer >= 1$"),
    "space_file": (
        ["sweep/space=nosuch"],
        r"^error: no config 'sweep/space/nosuch'; choose one of: cifar10_kd, default, demo$",
    ),
}

#: Runs `python sweep.py ARGS` once per case in one process (the imports, seconds, are paid once):
#: argv = [json {case: [args]}, common args...]; prints json {case: [exit status, stderr]}.
_DRIVER = """
import contextlib, io, json, os, runpy, sys, traceback
cases, common, results = json.loads(sys.argv[1]), sys.argv[2:], {}
for case, args in cases.items():
    os.environ.pop("HYDRA_FULL_ERROR", None)  # cli() sets it for the Hydra run it starts
    sys.argv = ["sweep.py", *common, f"hydra.run.dir={os.environ['RUNS']}/{case}", *args]
    err, status = io.StringIO(), 0
    with contextlib.redirect_stderr(err):
        try:
            runpy.run_path('sweep.py', run_name='__main__')
        except SystemExit as e:
            status = e.code
        except BaseException:
            traceback.print_exc()
            status = 1
    results[case] = [status, err.getvalue()]
print("RESULTS " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory, mapping_cache) -> dict[str, tuple[int, str]]:
    """Every MISTAKES case as `python sweep.py` runs it, in one process."""
    tmp = tmp_path_factory.mktemp("mistakes")
    cases = {case: args for case, (args, _) in MISTAKES.items()}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _DRIVER,
            json.dumps(cases),
            *TINY,
            *CLI_SPACE,
            f"paths.cache_dir={tmp}/cache",
            f"sweep.storage={tmp}/study.db",
        ],
        cwd=ROOT,
        env={**subprocess_env(tmp, mapping_cache), "RUNS": str(tmp / "runs")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULTS ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return {case: tuple(result) for case, result in json.loads(lines[-1][8:]).items()}


@pytest.mark.parametrize("case", list(MISTAKES))
def test_user_mistakes_are_one_line_with_exit_status_2(mistakes, case):
    status, err = mistakes[case]
    assert status == 2, err[-3000:]
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and re.search(MISTAKES[case][1], errors[0]), err[-2000:]


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


def test_a_storage_that_cannot_be_opened_fails_at_once_without_retries(tmp_path, monkeypatch):
    (tmp_path / "folder.db").mkdir()  # a folder where the SQLite file should be
    waits: list[float] = []
    monkeypatch.setattr("codesign.storage.time.sleep", waits.append)
    with pytest.raises(UserError, match=r"folder\.db'.*unable to open database file"):
        open_storage(f"sqlite:///{tmp_path}/folder.db")
    assert waits == []  # no back-off: 8 attempts used to wait ~13 s in all
