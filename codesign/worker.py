"""One worker of a study: claim a trial, run it, store it, until the study has its trials.

Optuna's ask/tell around codesign.slots' claim (exactly sweep.n_trials over all workers), with
what Study.optimize would do: the heartbeat of the running trial (RDB storages), the stale trials
of killed workers failed and queued again, the memory of a run collected after it. A worker that
finds every slot held by other workers' running trials waits for them when a failure could free
one (heartbeat on: a killed worker's trial comes back as a retry), else it leaves.

A stop signal (models.preemption) during a trial parks it (WAITING, its checkpoint in the
`preempted` user attribute) and raises Preempted: the next worker to claim it resumes it there.
Ctrl-C fails the trial in progress and raises KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

import optuna
from optuna.trial import FrozenTrial, TrialState

from codesign.slots import claim_trial, park
from models.preemption import Preempted

log = logging.getLogger("sweep")

#: After each trial: returns True to stop this worker (e.g. too many failures in a row).
OnTrial = Callable[[optuna.Study, FrozenTrial], bool]


@runtime_checkable
class HeartbeatStorage(Protocol):
    """What a storage with heartbeats has (RDB storages; Optuna's BaseHeartbeat is private)."""

    def get_heartbeat_interval(self) -> int | None: ...

    def record_heartbeat(self, trial_id: int) -> None: ...


def run_worker(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], list[float]],
    n_trials: int,
    on_trial: OnTrial,
    timeout: float | None = None,
) -> list[int]:
    """Run trials of `study` until it holds n_trials finished ones; returns the numbers run."""
    start, ran = time.monotonic(), []
    interval = heartbeat_interval(study)
    while timeout is None or time.monotonic() - start < timeout:
        fail_stale_trials(study)
        claim = claim_trial(study, n_trials)
        if claim.trial is None:
            if claim.full or not (interval and claim.others_running):
                break
            time.sleep(min(interval, 2))  # a slot frees only if a running trial fails: look again
            continue
        ran.append(claim.trial.number)
        frozen = run_trial(study, objective, claim.trial)
        gc.collect()
        if on_trial(study, frozen):
            break
    return ran


def run_trial(
    study: optuna.Study, objective: Callable[[optuna.Trial], list[float]], trial: optuna.Trial
) -> FrozenTrial:
    """Run one claimed trial and tell the storage how it ended."""
    with heartbeat(study, trial):
        try:
            values = objective(trial)
        except optuna.TrialPruned:
            _tell(study, trial, state=TrialState.PRUNED)
        except Preempted:
            park(study, trial)
            raise
        except KeyboardInterrupt:
            _tell(study, trial, state=TrialState.FAIL)
            raise
        except Exception:  # recorded by the objective as the trial's fail_reason
            _tell(study, trial, state=TrialState.FAIL)
        else:
            _tell(study, trial, values)
    return study.get_trials(deepcopy=False)[trial.number]


def _tell(study: optuna.Study, trial: optuna.Trial, values=None, state=None) -> None:
    """Store how the trial ended, unless it already has an end (another worker found it stale
    and failed it): then that one stands, and this worker goes on."""
    stored = study.get_trials(deepcopy=False)[trial.number].state
    if stored.is_finished():
        log.warning("trial %d was already %s when it ended here", trial.number, stored.name)
        return
    study.tell(trial, values, state=state)


def heartbeat_interval(study: optuna.Study) -> int | None:
    storage = study._storage
    return storage.get_heartbeat_interval() if isinstance(storage, HeartbeatStorage) else None


def fail_stale_trials(study: optuna.Study) -> None:
    """Trials whose worker stopped beating are failed and queued again (storage's callback)."""
    if heartbeat_interval(study):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)


@contextlib.contextmanager
def heartbeat(study: optuna.Study, trial: optuna.Trial) -> Iterator[None]:
    """Record the trial's heartbeat now and every interval while it runs (RDB storages)."""
    interval = heartbeat_interval(study)
    if not interval:
        yield
        return
    storage, trial_id = study._storage, trial._trial_id
    assert isinstance(storage, HeartbeatStorage), "only a heartbeat storage has an interval"
    storage.record_heartbeat(trial_id)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            storage.record_heartbeat(trial_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
