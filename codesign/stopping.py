"""When a run of the study stops: the study holds sweep.n_trials finished trials (complete or
pruned; all runs and workers count, failed trials do not), or trials keep failing.

The size is the study's, not the run's: the same command run again after a crash finishes the
study instead of adding n_trials more, and raising sweep.n_trials extends it. It is exact over
any number of workers: codesign.slots gives a trial to a worker only while a slot is free.
"""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from codesign.slots import FINISHED


class StopRules:
    """After each trial (codesign.worker's on_trial): True stops this worker when trials keep
    failing; `gave_up` says why."""

    def __init__(self, n_trials: int, max_failures_in_a_row: int):
        self.n_trials = int(n_trials)
        self.max_failures = max(1, int(max_failures_in_a_row))
        self.failures: list[str] = []
        self.gave_up: str | None = None

    def remaining(self, study: optuna.Study) -> int:
        return self.n_trials - len(study.get_trials(deepcopy=False, states=FINISHED))

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
        if trial.state == TrialState.FAIL:
            self.failures.append(f"#{trial.number}: {trial.user_attrs.get('fail_reason', '?')}")
        else:
            self.failures.clear()
        if len(self.failures) >= self.max_failures:
            self.gave_up = (
                f"{len(self.failures)} trials failed in a row (sweep.max_failures_in_a_row="
                f"{self.max_failures}); the last, {self.failures[-1]}"
            )
            return True
        return False
