"""When a run of the study stops: the study holds sweep.n_trials finished trials (complete or
pruned; all runs and workers count, failed trials do not), or trials keep failing.

The size is the study's, not the run's: the same command run again after a crash finishes the
study instead of adding n_trials more, and raising sweep.n_trials extends it. Several workers may
overshoot the size by the trials they have in progress when it is reached.
"""

from __future__ import annotations

import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class StopRules:
    """An Optuna callback (see module docstring); `gave_up` holds why it stopped on failures."""

    def __init__(self, n_trials: int, max_failures_in_a_row: int):
        self.n_trials = int(n_trials)
        self.max_failures = max(1, int(max_failures_in_a_row))
        self.failures: list[str] = []
        self.gave_up: str | None = None
        self._size = MaxTrialsCallback(self.n_trials, states=FINISHED)  # the study's, all runs

    def remaining(self, study: optuna.Study) -> int:
        return self.n_trials - len(study.get_trials(deepcopy=False, states=FINISHED))

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.state == TrialState.FAIL:
            self.failures.append(f"#{trial.number}: {trial.user_attrs.get('fail_reason', '?')}")
        else:
            self.failures.clear()
        if len(self.failures) >= self.max_failures:
            self.gave_up = (
                f"{len(self.failures)} trials failed in a row (sweep.max_failures_in_a_row="
                f"{self.max_failures}); the last, {self.failures[-1]}"
            )
            study.stop()
        else:
            self._size(study, trial)
