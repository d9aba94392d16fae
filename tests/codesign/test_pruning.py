"""Early stop of hopeless runs: the accuracy curve, and a real run recorded as pruned."""

import optuna
import pytest

import sweep
from codesign.pruning import AccuracyCurve
from models.errors import UserError


def test_the_curve_rises_toward_the_floor():
    curve = AccuracyCurve.from_config([[0.25, 0.6], [0.5, 0.8]], floor=0.85)
    assert curve.bar(0.1) is None  # no bar before the first point
    assert curve.bar(0.25) == pytest.approx(0.51)
    assert curve.bar(0.375) == pytest.approx(0.595)  # linear in between
    assert curve.bar(0.5) == curve.bar(1.0) == pytest.approx(0.68)  # level after the last point


@pytest.mark.parametrize("curve", [[[0.5, 0.5], [0.25, 0.6]], [[1.5, 0.5]], [["a"]], []])
def test_a_bad_curve_is_a_user_error(curve):
    with pytest.raises(UserError, match=r"sweep\.prune\.curve"):
        AccuracyCurve.from_config(curve, floor=0.85)


def test_a_run_under_the_curve_is_pruned_at_once(sweep_cfg):
    # a floor of 100 % reached by the curve after the first (only) epoch: every run is hopeless
    cfg = sweep_cfg(
        "sweep.n_trials=2",
        "sweep.prune.enabled=true",
        "sweep.prune.curve=[[1.0,1.0]]",
        "sweep.constraints.min_accuracy=1.0",
    )
    result = sweep.run_sweep(cfg)
    assert result.counts == {"pruned": 2}
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    for trial in study.trials:
        assert "under the pruning curve's 100.0%" in trial.user_attrs["prune_reason"]
        assert len(trial.user_attrs["val_curve"]) == 1 and "result" not in trial.user_attrs
