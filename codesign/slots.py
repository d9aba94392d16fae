"""Exactly `sweep.n_trials` finished trials, however many workers share the study.

The race it closes: two workers each saw 5 of 6 trials finished, each started one, and the study
ended with 7. Checking the count before starting cannot be made atomic across processes and
machines; the storage's own trial numbers can. Every storage numbers a study's trials in
creation order, atomically (RDB: under a lock on the study's row; journal: the log's order).

The rule: a trial *holds a slot* while it is WAITING, RUNNING, COMPLETE or PRUNED; failing frees
it. A worker runs a trial only if fewer than n_trials trials numbered below it hold a slot.
A trial never takes a slot back once it failed (FAIL is final) and new trials get higher numbers,
so the holders below a trial only ever decrease: a trial found runnable stays runnable, and an
(n+1)-th runnable trial cannot exist, since the highest of them would have seen n holders below.

A trial created while another worker raced it to the last slot is *parked* (WAITING, its slot
held, nothing sampled or run): the next trial to fail makes it runnable, the next run with a
larger sweep.n_trials starts with it. A preempted trial is parked the same way, its checkpoint in
its user attributes, and a killed worker's trial comes back as a WAITING retry (heartbeat): both
are queued trials that keep their place, never extra ones.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
HOLDING = (TrialState.WAITING, TrialState.RUNNING, *FINISHED)


@dataclass(frozen=True)
class Claim:
    """What a worker got: a trial to run, or why not (the study is full or others hold the rest)."""

    trial: optuna.Trial | None
    full: bool  # n_trials trials are finished: nothing left to do
    others_running: int  # trials of other workers in progress (one of them may yet fail)


def claim_trial(study: optuna.Study, n_trials: int) -> Claim:
    """A trial this worker may run now (a queued one first), or None (see module docstring)."""
    trials = study.get_trials(deepcopy=False, states=HOLDING)
    finished = sum(t.state in FINISHED for t in trials)
    running = sum(t.state == TrialState.RUNNING for t in trials)
    if finished >= n_trials:
        return Claim(None, True, running)
    waiting = any(t.state == TrialState.WAITING for t in trials)
    if len(trials) >= n_trials and not waiting:
        return Claim(None, False, running)  # every slot is held by a trial in progress
    with warnings.catch_warnings():  # "heartbeat is supposed to be used with Study.optimize"
        warnings.filterwarnings("ignore", message=".*Heartbeat.*", category=UserWarning)
        trial = study.ask()  # the lowest queued (WAITING) trial, or a new one
    return Claim(trial if admit(study, trial, n_trials) else None, False, running)


def admit(study: optuna.Study, trial: optuna.Trial, n_trials: int) -> bool:
    """True if `trial` may run (fewer than n_trials lower-numbered holders); else it is parked."""
    if holders_below(study, trial.number) < n_trials:
        return True
    park(study, trial)
    return False


def holders_below(study: optuna.Study, number: int) -> int:
    return sum(t.number < number for t in study.get_trials(deepcopy=False, states=HOLDING))


def park(study: optuna.Study, trial: optuna.Trial) -> None:
    """Put a running trial back in the queue (WAITING), its slot, values and attributes kept."""
    study._storage.set_trial_state_values(trial._trial_id, TrialState.WAITING)
