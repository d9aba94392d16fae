"""The study end to end: real trials and their outputs; the Pareto front and the constraint."""

from pathlib import Path

import optuna
import pandas as pd
import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf, open_dict
from sweep_fixtures import accuracy_of, pareto_mask

import sweep
from codesign import report as report_cli
from codesign.energy import EnergyModel
from codesign.storage import storage_url
from models.complexity import count_macs, count_parameters
from models.errors import UserError


def test_four_trial_study_writes_every_output(sweep_cfg, tmp_path):
    # real training and energy; W&B on the code path, disabled; every trial feasible (floor 0)
    cfg = sweep_cfg(
        "logger=wandb", "logger.wandb.mode=disabled", "sweep.constraints.min_accuracy=0"
    )
    result = sweep.run_sweep(cfg)
    assert result.counts == {"complete": 4} and result.ran == [0, 1, 2, 3]
    out = Path(result.output_dir)
    assert set(result.files) == {
        "trials_csv",
        "pareto_csv",
        "pareto_png",
        "layers_png",
        "report_md",
    }
    assert all(Path(f).stat().st_size > 0 for f in result.files.values())
    for number in result.ran:
        assert (out / "trials" / f"{number:04d}" / "result.json").is_file()

    trials = pd.read_csv(out / "trials.csv")
    assert list(trials["number"]) == [0, 1, 2, 3] and set(trials["state"]) == {"complete"}
    assert trials["accuracy"].between(0, 1).all() and (trials["energy_uj"] > 0).all()
    assert (trials["area_mm2"] > 10).all()  # the shipped Eyeriss-like chip: ~11.2 mm²
    assert {"kd.T", "kd.alpha", "model.width", "depth", "widths", "energy_uj[DRAM]"} <= set(trials)
    # what priced every trial: the configured table, the course mapper's objective, 16-bit words
    assert set(trials["energy_table"]) == {cfg.hw.energy}
    assert set(trials["objective"]) == {"[delay, energy]"}
    assert set(trials["datawidth"]) == {16} and set(trials["shortcut"]) == {"A"}

    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    first = study.trials[0]
    layers = [m for m in _student(first) if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
    assert len(first.user_attrs["energy"]["layers"]) == len(layers)  # per-layer energy, stored
    assert set(first.constraints) == {"accuracy"} and first.user_attrs["result"]["feasible"]

    # the front recomputed from trials.csv alone (not from best_trials) is the reported one
    front = set(trials.loc[pareto_mask(trials, ["accuracy", "energy"]), "number"])
    assert front == set(result.pareto) != set()
    assert set(pd.read_csv(out / "pareto.csv")["number"]) == front

    text = (out / "report.md").read_text()
    chosen = result.chosen
    assert f"## Chosen student: trial #{chosen}" in text
    pricing = f"energy table {cfg.hw.energy}, mapper objective [delay, energy]"
    assert f"on `eyeriss_like_q3` ({pricing}), subject to" in text
    for needle in (
        "| Architecture | ResNet-8: basic blocks, option-A shortcuts",
        f"; {pricing} |",  # the chosen student's Energy row
        "| Distillation | T = ",
        "| Energy |",
        "## Trade-off",
        "--config-name config",
        "python -m codesign.report",
    ):
        assert needle in text, needle

    # every output again from the storage alone, into another folder
    again = tmp_path / "again"
    assert report_cli.main([result.storage, "--study", result.study_name, "--out", str(again)]) == 0
    assert (again / "trials.csv").read_text() == (out / "trials.csv").read_text()
    assert {p.name for p in again.iterdir()} == {
        "trials.csv",
        "pareto.csv",
        "pareto.png",
        "energy_layers.png",
        "report.md",
    }


def _student(trial):
    from models.resnet import build_student

    s = trial.user_attrs["energy"]["student"]
    return build_student(blocks=s["blocks"], widths=s["widths"], block=s["block"]).modules()


def test_pareto_set_from_trials_csv_equals_optunas(sweep_cfg, fake_train):
    space = {
        "kd.alpha": {"low": 0.0, "high": 1.0},
        "model.width": [4, 8],
        "model.blocks": [[1, 1, 1], [2, 2, 2]],
    }
    result = sweep.run_sweep(sweep_cfg("sweep.n_trials=14", space=space), train_fn=fake_train)
    trials = pd.read_csv(result.files["trials_csv"])
    mask = pareto_mask(trials, ["accuracy", "energy"])
    assert set(trials.loc[mask, "number"]) == set(result.pareto)
    assert len(result.pareto) >= 2 and trials["feasible"].nunique() == 2  # a real front, both kinds


def test_the_constraint_marks_infeasible_trials(sweep_cfg, fake_train):
    result = sweep.run_sweep(sweep_cfg("sweep.n_trials=8"), train_fn=fake_train)
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    trials = pd.read_csv(result.files["trials_csv"]).set_index("number")
    for trial, cfg in zip(study.trials, fake_train.configs, strict=True):
        acc = accuracy_of(cfg)
        assert trial.constraints["accuracy"] == pytest.approx(0.85 - acc)  # stored on the trial
        assert (
            trials.loc[trial.number, "feasible"]
            == (acc >= 0.85)
            == trial.user_attrs["result"]["feasible"]
        )
    assert {t.number for t in study.best_trials} <= set(trials.index[trials["feasible"]])
    assert not trials["feasible"].all() and trials["feasible"].any()


def test_an_energy_budget_prunes_before_training(sweep_cfg, fake_train):
    cfg = sweep_cfg("sweep.n_trials=6")
    energy = EnergyModel(cfg.hw, cfg.data.image_size)
    narrow, wide = (energy(OmegaConf.merge(cfg.model, {"width": w}), {}).total_uj for w in (4, 8))
    narrow_cfg = OmegaConf.merge(cfg.model, {"width": 4})
    again = energy(narrow_cfg, {})  # remembered: the same numbers, nothing mapped now
    assert again.total_uj == narrow and again.mapped_layers == 0
    net = instantiate(narrow_cfg)  # MACs are hwsim's per-layer sum, parameters the net's
    assert (again.macs, again.params) == (
        count_macs(net, energy.input_shape),
        count_parameters(net),
    )
    budget = (narrow + wide) / 2
    with open_dict(cfg):
        cfg.sweep.constraints.max_energy_uj = budget
    result = sweep.run_sweep(cfg, train_fn=fake_train)
    trials = pd.read_csv(result.files["trials_csv"])
    wide_ones = trials[trials["model.width"] == 8]
    assert len(wide_ones) and set(wide_ones["state"]) == {"pruned"}
    assert (
        wide_ones["prune_reason"]
        .str.contains("not trained: energy .* exceeds sweep.constraints.max_energy_uj")
        .all()
    )
    assert {c.model.width for c in fake_train.configs} == {4}  # the wide ones never trained


def test_accelerator_codesign_adds_area_as_an_objective(sweep_cfg, fake_train):
    space = {
        "kd.alpha": {"low": 0.0, "high": 1.0},
        "accelerator.pe_rows": [8, 12],
        "model.width": [4],
    }
    result = sweep.run_sweep(
        sweep_cfg("sweep.n_trials=6", "sweep.objectives=[accuracy,energy,area]", space=space),
        train_fn=fake_train,
    )
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    assert len(study.directions) == 3
    trials = pd.read_csv(result.files["trials_csv"])
    by_rows = trials.groupby("accelerator.pe_rows")["area_mm2"].first()
    assert by_rows[8] < by_rows[12]  # fewer PEs, less silicon
    assert (
        trials.loc[trials["accelerator.pe_rows"] == 8, "accelerator"]
        .str.contains(r"\[14x8\]")
        .all()
    )
    assert set(trials.loc[pareto_mask(trials, ["accuracy", "energy", "area"]), "number"]) == set(
        result.pareto
    )


def test_an_area_objective_without_an_area_fails_before_training(
    sweep_cfg, fake_train, monkeypatch
):
    # an arch with an on-chip component that has no area model: this was float(None), a
    # TypeError after each trial had trained
    monkeypatch.setattr("codesign.energy.area_mm2", lambda *args: None)
    overrides = ("sweep.objectives=[accuracy,energy,area]", "sweep.max_failures_in_a_row=2")
    with pytest.raises(
        UserError, match=r"#1: config: sweep.objectives has area, but the trial has no area_mm2"
    ):
        sweep.run_sweep(sweep_cfg(*overrides), train_fn=fake_train)
    assert fake_train.configs == []  # nothing trained


@pytest.mark.parametrize("sampler", ["nsga2", "tpe", "random"])
def test_every_sampler_runs_a_constrained_study(sweep_cfg, fake_train, sampler):
    overrides = [f"sweep/sampler={sampler}", "sweep.n_trials=5"]
    if sampler == "nsga2":
        overrides.append("sweep.sampler.population_size=2")  # generations within 5 trials
    if sampler == "tpe":
        overrides.append("sweep.sampler.n_startup_trials=2")
    result = sweep.run_sweep(sweep_cfg(*overrides), train_fn=fake_train)
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    assert result.counts == {"complete": 5}
    feasible = {
        trial.number
        for trial, cfg in zip(study.trials, fake_train.configs, strict=True)
        if accuracy_of(cfg) >= 0.85
    }
    trials = pd.read_csv(result.files["trials_csv"])
    assert set(trials.loc[trials["feasible"], "number"]) == feasible  # the sampler's view too
    assert {t.number for t in study.best_trials} <= feasible  # never an infeasible trial
    assert set(trials.loc[pareto_mask(trials, ["accuracy", "energy"]), "number"]) == set(
        result.pareto
    )


def test_choose_max_accuracy_presents_the_most_accurate_feasible_trial(sweep_cfg, fake_train):
    cfg = sweep_cfg(
        "sweep.n_trials=8", "sweep.constraints.min_accuracy=0.5", "sweep.choose=max_accuracy"
    )
    result = sweep.run_sweep(cfg, train_fn=fake_train)
    front = pd.read_csv(result.files["pareto_csv"])
    assert len(front) >= 2  # a choice to make: the two widths are both feasible
    assert result.chosen == front.loc[front["accuracy"].idxmax(), "number"]
    text = Path(result.files["report_md"]).read_text()
    assert f"## Chosen student: trial #{result.chosen}" in text
    assert "Chosen as the most accurate feasible trial on the Pareto front." in text


def test_metric_test_makes_test_accuracy_the_objective_and_the_constraint(sweep_cfg, fake_train):
    result = sweep.run_sweep(sweep_cfg("sweep.metric=test"), train_fn=fake_train)
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    for trial, cfg in zip(study.trials, fake_train.configs, strict=True):
        test_acc = accuracy_of(cfg) - 0.01  # fake_train's test accuracy
        assert trial.values[0] == pytest.approx(test_acc)
        assert trial.constraints["accuracy"] == pytest.approx(0.85 - test_acc)
    trials = pd.read_csv(result.files["trials_csv"])
    assert (trials["accuracy"] == trials["test_acc"]).all()
    assert "Maximise test accuracy" in Path(result.files["report_md"]).read_text()


def test_report_false_writes_no_files_but_stores_the_study(sweep_cfg, fake_train):
    result = sweep.run_sweep(sweep_cfg("sweep.report=false"), train_fn=fake_train)
    assert result.files == {} and result.chosen is None and result.counts == {"complete": 4}
    assert not any(Path(result.output_dir).glob("*.csv"))
    assert not any(Path(result.output_dir).glob("*.md"))
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    assert len(study.trials) == 4


@pytest.mark.slow
def test_wandb_offline_logs_one_run_per_trial_and_a_summary(sweep_cfg, monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc: train.py's rule logs offline
    result = sweep.run_sweep(sweep_cfg("logger=wandb", "sweep.n_trials=2"))
    out = Path(result.output_dir)
    trial_runs = list(out.glob("trials/*/wandb/offline-run-*"))
    summary_runs = list(out.glob("wandb/offline-run-*"))
    assert len(trial_runs) == 2 and len(summary_runs) == 1
    media = summary_runs[0] / "files" / "media" / "table"
    for logged in ("trials_[0-9]*", "pareto_[0-9]*", "pareto_scatter_table_*"):  # W&B's scatter
        assert len(list(media.glob(f"{logged}.table.json"))) == 1, logged


@pytest.mark.parametrize(
    "override", ["sweep.sampler._target_=optuna.samplers.Foo", "+sweep.sampler.bogus=1"]
)
def test_a_bad_sampler_leaves_no_empty_study_behind(sweep_cfg, fake_train, override):
    cfg = sweep_cfg(override)
    with pytest.raises(UserError, match=r"^sweep\.sampler \("):
        sweep.run_sweep(cfg, train_fn=fake_train)
    storage = storage_url(cfg.sweep.storage, cfg.paths.output_dir)
    assert optuna.get_all_study_names(storage) == [] and not fake_train.configs
