"""Two workers of one study on a real PostgreSQL server, one of them killed mid-trial."""

import signal
import socket
import time

import optuna
import pandas as pd
import pytest
from servers import postgres_server
from test_workers_and_cli import _sweep

from codesign.storage import open_storage


@pytest.mark.slow
def test_workers_on_postgresql_lose_only_a_killed_workers_trial_which_is_retried(
    tmp_path, mapping_cache
):
    host = socket.gethostname()
    with postgres_server() as url:
        workers = [
            _sweep(
                f"sweep.storage={url}",
                "sweep.n_trials=4",
                "sweep.heartbeat_s=1",
                "trainer.max_epochs=3",
                f"sweep.worker={i}",
                f"paths.output_dir={tmp_path}/study",
                f"hydra.run.dir={tmp_path}/study/workers/{i}",
                tmp_path=tmp_path,
                cache=mapping_cache,
            )
            for i in (0, 1)
        ]
        storage = open_storage(url, None)  # retries while the workers create the schema
        deadline = time.monotonic() + 300
        killed = None
        while killed is None:  # worker 0's trial, once it has drawn its values and is training
            assert time.monotonic() < deadline and workers[0].poll() is None, workers[0].stderr
            killed = next(
                (
                    t
                    for t in _trials(storage)
                    if t.state.name == "RUNNING" and t.user_attrs.get("worker") == f"{host}/w0"
                ),
                None,
            )
            time.sleep(0.2)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=30)
        _, err = workers[1].communicate(timeout=600)  # it retries the killed trial itself
        assert workers[1].returncode == 0, err[-3000:]
        trials = _trials(storage)

    assert trials[killed.number].state.name == "FAIL"
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retried) == 1 and retried[0].params == killed.params  # same values, once
    assert retried[0].state.name == "COMPLETE" and retried[0].user_attrs["worker"] == f"{host}/w1"
    finished = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(finished) == 4  # exactly sweep.n_trials, the killed one not counted
    assert {t.state.name for t in trials} <= {"COMPLETE", "FAIL", "WAITING"}
    table = pd.read_csv(tmp_path / "study" / "trials.csv")  # refreshed by the survivor
    assert table.loc[killed.number, "fail_reason"].startswith("no reason recorded: its worker")
    assert (table["state"] == "complete").sum() == 4


def _trials(storage) -> list[optuna.trial.FrozenTrial]:
    try:
        return optuna.load_study(study_name="demo", storage=storage).trials
    except KeyError:  # not created yet
        return []
