"""A study as tables: every trial (trials.csv) and the Pareto front (pareto.csv).

Columns of trials.csv: number, state, feasible (Optuna's view of the trial's constraints), pareto,
accuracy (the study's metric), val_acc, test_acc, energy_uj, area_mm2, then the searched keys
as stored (structured choices as JSON text), the student (depth, blocks, widths, block, bits),
accelerator, datawidth, macs, params, energy per storage level (energy_uj[<level>]), epochs,
energy_s, train_s, total_s, fail_reason, prune_reason, run_dir and checkpoint. The `pareto`
column and pareto.csv are Optuna's front (`Study.best_trials`).
"""

from __future__ import annotations

import optuna
import pandas as pd

HEAD = ("number", "state", "feasible", "pareto", "accuracy", "val_acc", "test_acc", "energy_uj",
        "area_mm2")  # fmt: skip
STUDENT = ("depth", "blocks", "widths", "block", "bits")
MACHINE = ("accelerator", "datawidth", "macs", "params")
TAIL = ("epochs", "energy_s", "train_s", "total_s", "fail_reason", "prune_reason", "run_dir",
        "checkpoint")  # fmt: skip


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial, in trial order (see module docstring)."""
    trials = study.get_trials(deepcopy=False)
    front = {t.number for t in study.best_trials} if study.directions else set()
    params = list(dict.fromkeys(k for t in trials for k in t.params))
    levels = list(
        dict.fromkeys(k for t in trials for k in t.user_attrs.get("energy_by_level_uj") or {})
    )
    rows = []
    for t in trials:
        a = t.user_attrs
        student = a.get("student") or {}
        row = {
            "number": t.number,
            "state": t.state.name.lower(),
            "feasible": _feasible(t),
            "pareto": t.number in front,
            "accuracy": a.get("accuracy"),
            "val_acc": a.get("val_acc"),
            "test_acc": a.get("test_acc"),
            "energy_uj": a.get("energy_uj"),
            "area_mm2": a.get("area_mm2"),
            **{k: t.params.get(k) for k in params},
            **{k: _cell(student.get(k)) for k in STUDENT},
            "accelerator": (a.get("accelerator") or {}).get("name"),
            "datawidth": a.get("datawidth"),
            "macs": a.get("macs"),
            "params": a.get("params"),
            **{f"energy_uj[{lv}]": (a.get("energy_by_level_uj") or {}).get(lv) for lv in levels},
            "epochs": len(a["val_curve"]) if a.get("val_curve") is not None else None,
            "energy_s": a.get("time.energy_s"),
            "train_s": a.get("time.train_s"),
            "total_s": a.get("time.total_s"),
            "fail_reason": a.get("fail_reason") or _silent_failure(t),
            "prune_reason": a.get("prune_reason"),
            "run_dir": a.get("run_dir"),
            "checkpoint": a.get("checkpoint"),
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


def _silent_failure(trial: optuna.trial.FrozenTrial) -> str | None:
    if trial.state != optuna.trial.TrialState.FAIL:
        return None
    return "no reason recorded: its worker stopped (killed, or missed heartbeats)"


def _feasible(trial: optuna.trial.FrozenTrial) -> bool | None:
    constraints = trial.constraints
    return all(v <= 0 for v in constraints.values()) if constraints else None


def _cell(value):
    return str(list(value)) if isinstance(value, list | tuple) else value
