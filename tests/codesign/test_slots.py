"""sweep.n_trials is exact over workers: the slot rule of codesign.slots, raced by hand."""

import ast
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState
from sweep_fixtures import ROOT

from codesign.slots import admit, claim_trial, holders_below
from codesign.storage import open_storage
from codesign.worker import run_trial, run_worker
from models.preemption import Preempted


@pytest.fixture
def study(tmp_path) -> optuna.Study:
    storage = open_storage(f"sqlite:///{tmp_path}/slots.db", None)
    return optuna.create_study(storage=storage, study_name="slots")


def _objective(trial: optuna.Trial) -> float:
    return trial.suggest_float("x", 0, 1)


def test_the_race_for_the_last_slot_parks_the_later_trial(study):
    """Two workers each saw 2 of 3 slots held and each asked for a trial: the old check let both
    run (4 trials for 3); the rule runs the lower-numbered one and parks the other."""
    for _ in range(2):
        run_trial(study, _objective, claim_trial(study, 3).trial)
    first, second = study.ask(), study.ask()  # both passed the count before either was created
    assert holders_below(study, first.number) == 2 < 3
    assert holders_below(study, second.number) == 3  # it would be the 4th
    assert not admit(study, second, 3) and admit(study, first, 3)
    assert study.get_trials(deepcopy=False)[second.number].state == TrialState.WAITING
    claim = claim_trial(study, 3)  # a third worker: the parked trial is popped, and parked again
    assert claim.trial is None and not claim.full and claim.others_running == 1
    study.tell(first, 0.5)
    assert claim_trial(study, 3).full  # 3 finished, the parked trial never ran
    assert study.get_trials(deepcopy=False)[second.number].params == {}


def test_a_failed_trial_frees_its_slot_for_the_parked_one(study):
    run_trial(study, _objective, claim_trial(study, 2).trial)
    running, extra = study.ask(), study.ask()  # extra races running for the second slot
    assert admit(study, running, 2) and not admit(study, extra, 2)  # extra is parked
    study.tell(running, state=TrialState.FAIL)
    claim = claim_trial(study, 2)
    assert claim.trial is not None and claim.trial.number == extra.number  # the queued one first
    run_trial(study, _objective, claim.trial)
    finished = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(finished) == 2 and claim_trial(study, 2).full


def test_a_worker_stops_at_the_studys_size_and_a_raised_size_extends_it(study):
    ran = run_worker(study, _objective, 3, on_trial=lambda s, t: False)
    assert ran == [0, 1, 2]
    assert run_worker(study, _objective, 3, on_trial=lambda s, t: False) == []
    assert run_worker(study, _objective, 5, on_trial=lambda s, t: False) == [3, 4]


def test_a_preempted_trial_is_queued_with_its_values_and_resumed_first(study):
    def stopped(trial):
        trial.suggest_float("x", 0, 1)
        trial.set_user_attr("preempted", {"checkpoint": "c.ckpt"})
        raise Preempted(15, "c.ckpt")

    with pytest.raises(Preempted):
        run_trial(study, stopped, claim_trial(study, 2).trial)
    parked = study.get_trials(deepcopy=False)[0]
    assert parked.state == TrialState.WAITING and "x" in parked.params
    seen = []

    def objective(trial):
        seen.append((trial.number, trial.user_attrs.get("preempted"), trial.params.get("x")))
        return trial.suggest_float("x", 0, 1)

    assert run_worker(study, objective, 2, on_trial=lambda s, t: False) == [0, 1]
    assert seen[0] == (0, {"checkpoint": "c.ckpt"}, parked.params["x"])  # same values, resumed
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 2


#: Two processes pop queued trials of one SQLite study at once; prints the trial ids each got.
_POPPER = """
import sys, optuna
from codesign.storage import open_storage
study = optuna.load_study(study_name="slots", storage=open_storage(sys.argv[1], 60))
print([study._pop_waiting_trial_id() for _ in range(15)])
"""


def test_two_processes_never_claim_the_same_queued_trial_on_sqlite(study, tmp_path):
    """Optuna claims a queued trial with SELECT ... FOR UPDATE, which SQLite ignores: plain
    RDBStorage let two processes claim 6 of 40 trials twice. codesign.storage makes every SQLite
    transaction take the write lock at BEGIN."""
    for i in range(30):
        study.enqueue_trial({"x": i / 30})
    url = f"sqlite:///{tmp_path}/slots.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _POPPER, url], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    claimed = [i for p in procs for i in ast.literal_eval(p.communicate(timeout=120)[0]) if i]
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 30
