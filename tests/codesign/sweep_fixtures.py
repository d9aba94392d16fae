"""Helpers of the sweep tests (fixtures in conftest.py): the tiny study's overrides and space,
the fake trainer's accuracy, the environment of `python sweep.py` subprocesses, and the Pareto
front recomputed from trials.csv alone (an oracle independent of Optuna's best_trials)."""

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # sweep.py and train.py live at the project root

#: A study small enough for a test: ResNet-8, one epoch on 160 synthetic images, one thread.
TINY = [
    "experiment=demo",
    "model=resnet8",
    "num_threads=1",
    "data.source.n_train=160",
    "data.source.n_test=64",
    "data.batch_size=32",
    "data.eval_batch_size=64",
    "kd.cache=off",
    "trainer.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "sweep.n_trials=4",
    "sweep.prune.enabled=false",
]
#: The searched keys of TINY studies: two architectures, the distillation knobs.
SPACE = {
    "kd.T": {"low": 1.0, "high": 8.0, "log": True},
    "kd.alpha": {"low": 0.0, "high": 1.0},
    "model.width": [4, 8],
}


def accuracy_of(cfg: DictConfig) -> float:
    """The fake trainer's accuracy: 0.70 (width 4) or 0.80 (width 8), +0.03 per extra block per
    stage, +0.15 α: the 85 % floor splits the trials."""
    blocks = sum(cfg.model.blocks or [1, 1, 1]) / 3
    return {4: 0.70, 8: 0.80}[cfg.model.width] + 0.03 * (blocks - 1) + 0.15 * float(cfg.kd.alpha)


def subprocess_env(tmp_path: Path, cache: Path) -> dict[str, str]:
    """A clean environment for `python sweep.py` (no W&B, private caches, one thread)."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HWKD_CACHE_DIR": str(cache),
        "OMP_NUM_THREADS": "1",
        "WANDB_MODE": "disabled",
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
    }


#: objective -> (trials.csv column, sign that makes it minimised)
OBJECTIVE_COLUMNS = {
    "accuracy": ("accuracy", -1.0),
    "energy": ("energy_uj", 1.0),
    "area": ("area_mm2", 1.0),
}


def pareto_mask(trials: pd.DataFrame, objectives: Sequence[str]) -> pd.Series:
    """The front of a trials table (trials.csv read back): among complete trials (feasible ones,
    when the study has constraints), those that no other trial dominates."""
    columns = [OBJECTIVE_COLUMNS[o][0] for o in objectives]
    signs = np.array([OBJECTIVE_COLUMNS[o][1] for o in objectives])
    candidates = trials["state"].eq("complete")
    feasible = trials["feasible"]
    if feasible.notna().any():  # a constrained study: the front is drawn from feasible trials
        candidates &= feasible.astype("boolean").fillna(False).astype(bool)
    points = trials.loc[candidates, columns].to_numpy(dtype=float) * signs  # all minimised
    on_front = np.ones(len(points), dtype=bool)
    for i, p in enumerate(points):
        dominated = np.all(points <= p, axis=1) & np.any(points < p, axis=1)
        on_front[i] = not dominated.any()
    mask = pd.Series(False, index=trials.index)
    mask[trials.index[candidates]] = on_front
    return mask
