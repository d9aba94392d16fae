"""What a study prints: one line per trial and a table at the end; the rest goes to log files.

The terminal shows the `sweep` logger (conf/sweep.yaml gives it a plain format) and errors from
anywhere. Lightning's banners, tips and warnings, Python warnings and anything printed during a
trial go to that trial's `train.log` (trials/<number>/train.log) and to the study's `sweep.log`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from optuna.trial import FrozenTrial

#: Loggers of libraries that print to the terminal on their own instead of through the root.
LIBRARY_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")
FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"


class SweepOnly(logging.Filter):
    """Lets through the sweep's own records, and errors of anyone."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".")[0] == "sweep" or record.levelno >= logging.ERROR


def quiet_terminal() -> None:
    """Terminal handlers show only SweepOnly records; libraries log through the root's handlers
    (so into sweep.log and the trial logs); Python warnings become log records."""
    root = logging.getLogger()
    for handler in root.handlers:
        if _is_terminal(handler) and not any(isinstance(f, SweepOnly) for f in handler.filters):
            handler.addFilter(SweepOnly())
    for name in LIBRARY_LOGGERS:
        lib = logging.getLogger(name)
        for handler in [h for h in lib.handlers if _is_terminal(h)]:
            lib.removeHandler(handler)
        lib.propagate = True
    logging.captureWarnings(True)


@contextlib.contextmanager
def trial_log(path: Path) -> Iterator[None]:
    """Everything logged or printed while the block runs also goes to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(handler.stream), contextlib.redirect_stderr(handler.stream):
            yield
    finally:
        root.removeHandler(handler)
        handler.close()


def progress_line(
    trial: FrozenTrial, n_trials: int, metric: str = "val", show_worker: bool = False
) -> str:
    """`trial 3/16 [w1] complete  86.2 % val, 3.104 µJ, feasible  width=8 kd.T=2.3  41 s`; a
    failed trial ends with its reason (a pruned one's is in trials.csv)."""
    a = trial.user_attrs
    energy = (a.get("energy") or {}).get("total_uj")
    result = a.get("result") or {}
    state = trial.state.name.lower()
    if a.get("preempted") and state == "waiting":
        state = "preempted, queued"
    parts = [f"trial {trial.number + 1:>{len(str(n_trials))}}/{n_trials}"]
    if show_worker and a.get("worker"):
        parts.append(f"[{a['worker'].rsplit('/', 1)[-1]}]")
    parts.append(f"{state:<8}")
    measured = []
    if result.get("accuracy") is not None:
        measured.append(f"{100 * result['accuracy']:.1f} % {metric}")
    if energy is not None:
        measured.append(f"{energy:.4g} µJ")
    if result.get("feasible") is not None:
        measured.append("feasible" if result["feasible"] else "infeasible")
    parts.append(", ".join(measured) or "-")
    parts.append(" ".join(f"{_short(k)}={_value(v)}" for k, v in trial.params.items()))
    parts.append(f"{(a.get('time') or {}).get('total_s', 0):.0f} s")
    if a.get("fail_reason"):
        parts.append(f"({a['fail_reason'][:100]})")
    return "  ".join(parts)


#: Columns of the end-of-study table (trials.csv's names) and how they are shown.
SUMMARY = {
    "number": "#",
    "worker": "worker",
    "state": "state",
    "accuracy": "acc %",
    "energy_uj": "µJ",
    "feasible": "feasible",
    "pareto": "front",
    "total_s": "s",
}


def summary_table(trials: pd.DataFrame, searched: list[str]) -> str:
    """The study's trials as a fixed-width table: number, worker, state, accuracy, energy, the
    front, time and the searched values."""
    if not len(trials):
        return "(no trials)"
    columns = [c for c in SUMMARY if c in trials] + [k for k in searched if k in trials]
    table = trials[columns].copy()
    if "accuracy" in table:
        table["accuracy"] = (100 * table["accuracy"]).round(1)
    if "energy_uj" in table:
        table["energy_uj"] = table["energy_uj"].map(lambda v: f"{v:.4g}" if pd.notna(v) else "")
    if "total_s" in table:
        table["total_s"] = table["total_s"].round(0)
    if "pareto" in table:
        table["pareto"] = table["pareto"].map({True: "*", False: ""})
    table = table.rename(columns={**SUMMARY, **{k: _short(k) for k in searched}})
    return table.to_string(index=False, na_rep="")


def _short(key: str) -> str:
    """A searched key as the line shows it: its last part (`lr`, `width`), `kd.T` kept whole."""
    last = key.rsplit(".", 1)[-1]
    return key if len(last) < 2 else last


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, Mapping):
        return str(dict(value))
    return str(value).replace(" ", "")


def _is_terminal(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) in (
        sys.stdout,
        sys.stderr,
        sys.__stdout__,
        sys.__stderr__,
    )
