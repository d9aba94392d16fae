"""A study as tables: every trial (trials.csv) and the Pareto front (pareto.csv).

Columns of trials.csv: number, state, feasible (Optuna's view of the trial's constraints), pareto,
accuracy (the study's metric), val_acc, test_acc, energy_uj, area_mm2, then the searched keys
as stored (structured choices as JSON text), the student (depth, blocks, widths, block, shortcut, bits),
accelerator, datawidth, energy_table (hw.energy) and objective (the mapper's) that priced it, macs,
params, energy per storage level (energy_uj[<level>]), epochs,
energy_s, train_s, total_s, fail_reason, prune_reason, worker (who ran it), run_dir and
checkpoint. The `pareto`
column and pareto.csv are Optuna's front (`Study.best_trials`).
"""

from __future__ import annotations

import optuna
import pandas as pd

HEAD = ("number", "state", "feasible", "pareto", "accuracy", "val_acc", "test_acc", "energy_uj",
        "area_mm2")  # fmt: skip
STUDENT = ("depth", "blocks", "widths", "block", "shortcut", "bits")
MACHINE = ("accelerator", "datawidth", "energy_table", "objective", "macs", "params")
TAIL = ("epochs", "energy_s", "train_s", "total_s", "fail_reason", "prune_reason", "worker",
        "run_dir", "checkpoint")  # fmt: skip


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial, in trial order (see module docstring)."""
    trials = study.get_trials(deepcopy=False)
    front = {t.number for t in study.best_trials} if study.directions else set()
    params = list(dict.fromkeys(k for t in trials for k in t.params))
    levels = list(dict.fromkeys(k for t in trials for k in _energy(t).get("by_level_uj") or {}))
    rows = []
    for t in trials:
        a, energy = t.user_attrs, _energy(t)
        result, timing = a.get("result") or {}, a.get("time") or {}
        student = energy.get("student") or {}
        by_level = energy.get("by_level_uj") or {}
        row = {
            "number": t.number,
            "state": t.state.name.lower(),
            "feasible": _feasible(t),
            "pareto": t.number in front,
            "accuracy": result.get("accuracy"),
            "val_acc": result.get("val_acc"),
            "test_acc": result.get("test_acc"),
            "energy_uj": energy.get("total_uj"),
            "area_mm2": energy.get("area_mm2"),
            **{k: t.params.get(k) for k in params},
            **{k: _cell(student.get(k)) for k in STUDENT},
            "accelerator": (energy.get("accelerator") or {}).get("name"),
            "datawidth": energy.get("datawidth"),
            "energy_table": energy.get("energy_table"),
            "objective": energy.get("objective"),
            "macs": energy.get("macs"),
            "params": energy.get("params"),
            **{f"energy_uj[{lv}]": by_level.get(lv) for lv in levels},
            "epochs": len(a["val_curve"]) if a.get("val_curve") is not None else None,
            "energy_s": timing.get("energy_s"),
            "train_s": timing.get("train_s"),
            "total_s": timing.get("total_s"),
            "fail_reason": a.get("fail_reason") or _silent_failure(t),
            "prune_reason": a.get("prune_reason"),
            "worker": a.get("worker"),
            "run_dir": a.get("run_dir"),
            "checkpoint": result.get("checkpoint"),
        }
        rows.append(row)
    columns = [*HEAD, *params, *STUDENT, *MACHINE, *(f"energy_uj[{lv}]" for lv in levels), *TAIL]
    return pd.DataFrame(rows, columns=columns)


def pareto_frame(trials: pd.DataFrame) -> pd.DataFrame:
    """The rows of trials_frame that Optuna puts on the front, best accuracy first."""
    return (
        trials.loc[trials["pareto"].astype(bool)]
        .sort_values("accuracy", ascending=False)
        .reset_index(drop=True)
    )


def _energy(trial: optuna.trial.FrozenTrial) -> dict:
    """The trial's `energy` attribute (codesign.trial), {} before it was priced."""
    return trial.user_attrs.get("energy") or {}


def _silent_failure(trial: optuna.trial.FrozenTrial) -> str | None:
    if trial.state != optuna.trial.TrialState.FAIL:
        return None
    return "no reason recorded: its worker stopped (killed, or missed heartbeats)"


def _feasible(trial: optuna.trial.FrozenTrial) -> bool | None:
    constraints = trial.constraints
    return all(v <= 0 for v in constraints.values()) if constraints else None


def _cell(value):
    return str(list(value)) if isinstance(value, list | tuple) else value
