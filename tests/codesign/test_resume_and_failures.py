"""A study survives its runs: resuming adds trials, failures are recorded, Ctrl-C loses nothing."""

from pathlib import Path

import optuna
import pandas as pd
import pytest
import torch
from sweep_fixtures import SPACE

import sweep
from codesign import report as report_cli
from codesign.failures import NonFiniteLoss, failure_reason
from models.errors import UserError


def _study(result) -> optuna.Study:
    return optuna.load_study(study_name=result.study_name, storage=result.storage)


def test_resuming_adds_trials_instead_of_starting_over(sweep_cfg, fake_train):
    first = sweep.run_sweep(sweep_cfg("sweep.n_trials=2"), train_fn=fake_train)
    second = sweep.run_sweep(sweep_cfg("sweep.n_trials=4"), train_fn=fake_train)
    third = sweep.run_sweep(sweep_cfg("sweep.n_trials=4"), train_fn=fake_train)
    assert (first.ran, second.ran, third.ran) == ([0, 1], [2, 3], [])  # the study's size is reached
    assert second.counts == third.counts == {"complete": 4}
    params = [t.params for t in _study(third).trials]
    assert params[2] not in params[:2] and params[3] not in params[:2]  # no replay of run 1's draws
    assert len(pd.read_csv(third.files["trials_csv"])) == 4


def test_a_journal_file_works_as_storage_and_resumes(sweep_cfg, fake_train, tmp_path):
    journal = f"journal:{tmp_path}/study.journal"
    sweep.run_sweep(sweep_cfg("sweep.n_trials=2", f"sweep.storage={journal}"), train_fn=fake_train)
    result = sweep.run_sweep(
        sweep_cfg("sweep.n_trials=3", f"sweep.storage={journal}"), train_fn=fake_train
    )
    assert result.storage == journal and result.ran == [2] and result.counts == {"complete": 3}


def test_a_trial_that_raises_is_recorded_as_failed_and_the_study_goes_on(sweep_cfg, fake_train):
    fake_train.fail_on = {2: RuntimeError("boom")}
    result = sweep.run_sweep(sweep_cfg("sweep.n_trials=3"), train_fn=fake_train)
    study = _study(result)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE"]
    assert study.trials[1].user_attrs["fail_reason"] == "RuntimeError: boom"
    assert study.trials[1].user_attrs["energy"]["total_uj"] > 0  # known before training: kept
    trials = pd.read_csv(result.files["trials_csv"])
    assert trials.loc[1, "state"] == "fail" and trials.loc[1, "fail_reason"] == "RuntimeError: boom"
    assert "- #1: RuntimeError: boom" in Path(result.files["report_md"]).read_text()


def test_trials_failing_in_a_row_stop_the_study_with_the_reason(sweep_cfg, fake_train):
    fake_train.fail_on = {i: RuntimeError("no teacher checkpoint") for i in range(1, 10)}
    with pytest.raises(
        UserError, match=r"^2 trials failed in a row .*#1: RuntimeError: no teacher"
    ):
        sweep.run_sweep(sweep_cfg("sweep.max_failures_in_a_row=2"), train_fn=fake_train)
    assert len(fake_train.configs) == 2


@pytest.mark.parametrize(
    "stop",
    [KeyboardInterrupt(), SystemExit(1)],  # SystemExit: how Lightning ends fit() on Ctrl-C
    ids=["ctrl_c", "lightning_exit"],
)
def test_ctrl_c_fails_only_the_trial_in_progress_and_the_study_resumes(sweep_cfg, fake_train, stop):
    fake_train.fail_on = {2: stop}
    stopped = sweep.run_sweep(sweep_cfg("sweep.n_trials=3"), train_fn=fake_train)
    assert stopped.interrupted and stopped.counts == {"complete": 1, "fail": 1}
    assert _study(stopped).trials[1].user_attrs["fail_reason"] == "interrupted (Ctrl-C)"
    assert stopped.files["report_md"]  # the reports are written for what is there
    resumed = sweep.run_sweep(sweep_cfg("sweep.n_trials=3"), train_fn=fake_train)
    assert not resumed.interrupted and resumed.counts == {"complete": 3, "fail": 1}


def test_a_nan_loss_fails_the_trial_with_its_reason(sweep_cfg):
    # real training at an absurd learning rate: the loss blows up within a few batches
    cfg = sweep_cfg(
        "sweep.n_trials=1",
        "sweep.max_failures_in_a_row=1",
        space={"optim.optimizer.lr": [1.0e12], "model.width": [4]},
    )
    with pytest.raises(UserError, match=r"non-finite loss: training loss became (NaN|inf)"):
        sweep.run_sweep(cfg)


def test_failure_reasons_name_out_of_memory_and_nan():
    assert failure_reason(
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
    ) == ("out of memory: CUDA out of memory. Tried to allocate 2 GiB")
    assert failure_reason(MemoryError()).startswith("out of memory")
    assert failure_reason(NonFiniteLoss("training loss became NaN at epoch 0, batch 3")) == (
        "non-finite loss: training loss became NaN at epoch 0, batch 3"
    )
    assert (
        failure_reason(UserError("model.block='x' is unknown"))
        == "config: model.block='x' is unknown"
    )


def test_sweep_choose_on_resume_is_this_runs_choice(sweep_cfg, fake_train):
    floor = "sweep.constraints.min_accuracy=0.5"  # both widths feasible: a front of two or more
    first = sweep.run_sweep(sweep_cfg("sweep.n_trials=8", floor), train_fn=fake_train)
    again = sweep.run_sweep(
        sweep_cfg("sweep.n_trials=0", floor, "sweep.choose=max_accuracy"), train_fn=fake_train
    )
    front = pd.read_csv(again.files["pareto_csv"])
    assert len(front) >= 2 and again.ran == []
    assert first.chosen == front.sort_values("energy_uj")["number"].iloc[0]
    assert again.chosen == front.sort_values("accuracy")["number"].iloc[-1] != first.chosen
    assert "the most accurate feasible trial" in Path(again.files["report_md"]).read_text()
    # the report command follows the study's last choice unless told otherwise
    assert report_cli.regenerate(again.storage).chosen["number"] == again.chosen
    assert report_cli.regenerate(again.storage, rule="min_energy").chosen["number"] == first.chosen


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("sweep.constraints.min_accuracy=0.5", r"sweep\.constraints\.min_accuracy: 0\.85 -> 0\.5"),
        ("sweep.constraints.max_energy_uj=100", r"sweep\.constraints\.max_energy_uj: None -> 100"),
        ("sweep.metric=test", r"sweep\.metric: 'val' -> 'test'"),
    ],
)
def test_resuming_with_another_floor_or_metric_is_refused(sweep_cfg, fake_train, override, named):
    first = sweep.run_sweep(sweep_cfg("sweep.n_trials=1"), train_fn=fake_train)
    with pytest.raises(UserError, match=rf"^study 'demo' .* another {named}.*sweep\.study_name"):
        sweep.run_sweep(sweep_cfg("sweep.n_trials=2", override), train_fn=fake_train)
    assert len(_study(first).trials) == 1


def test_a_key_added_on_resume_is_reported(sweep_cfg, fake_train):
    floor = "sweep.constraints.min_accuracy=0"  # every trial on the front's side of the floor
    sweep.run_sweep(sweep_cfg("sweep.n_trials=2", floor), train_fn=fake_train)
    space = {**SPACE, "optim.optimizer.lr": [0.05, 0.1]}
    result = sweep.run_sweep(sweep_cfg("sweep.n_trials=4", floor, space=space), train_fn=fake_train)
    text = Path(result.files["report_md"]).read_text()
    assert "| `optim.optimizer.lr` | {0.05, 0.1} (added by a later run) |" in text
    lr = pd.read_csv(result.files["trials_csv"])["optim.optimizer.lr"]
    assert lr.notna().sum() == 2 and lr.isna().sum() == 2
