"""Weights & Biases for a study (with `logger=wandb`): one run per trial, grouped under the study,
and a summary run holding the trials and Pareto tables, a scatter of accuracy against energy
(W&B's own chart, points of the front marked), the plots and the chosen student's numbers. Without credentials everything is logged offline, as train.py does
(`wandb sync <output dir>/wandb/offline-run-*` uploads it later); `logger.wandb.mode=disabled`
turns W&B off.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf, open_dict

from models.wandb_mode import needs_offline

log = logging.getLogger("sweep")


def wandb_config(train_cfg: DictConfig) -> DictConfig | None:
    """The W&B logger's config node, or None when the study is not logged to W&B."""
    logger = train_cfg.get("logger") or {}
    node = logger.get("wandb") if isinstance(logger, DictConfig) else None
    if node is None or "WandbLogger" not in str(node.get("_target_", "")):
        return None
    return node


def configure_trial_run(
    trial_cfg: DictConfig, study_name: str, number: int, params: Mapping[str, Any]
) -> None:
    """Name the trial's W&B run and group it under the study (in place)."""
    node = wandb_config(trial_cfg)
    if node is None:
        return
    with open_dict(node):
        node.group = study_name
        node.name = f"{study_name}-trial-{number:04d}"
        node.job_type = "trial"
        node.tags = [*(node.get("tags") or []), f"study:{study_name}"]
        node.config = {
            "trial": number,
            "study": study_name,
            **{k: _plain(v) for k, v in params.items()},
        }


def finish_trial_run(failed: bool) -> None:
    """Close the trial's W&B run (Lightning leaves the last one open)."""
    wandb = sys.modules.get("wandb")  # never imported: no run to close (importing costs ~0.4 s)
    if wandb is not None and getattr(wandb, "run", None) is not None:
        wandb.finish(exit_code=1 if failed else 0)


def log_summary(train_cfg: DictConfig, study_name: str, out_dir: Path, report) -> None:
    """The study's summary run: trials and Pareto tables, the plots, the chosen trial's numbers."""
    node = wandb_config(train_cfg)
    wandb = _wandb()
    if node is None or wandb is None:
        return
    mode = _mode(node)
    if mode == "disabled":
        return
    run = wandb.init(
        project=node.get("project"),
        entity=node.get("entity"),
        group=study_name,
        job_type="summary",
        name=f"{study_name}-summary",
        tags=[*(node.get("tags") or []), f"study:{study_name}"],
        dir=str(out_dir),
        mode=mode,
        config={"study": study_name, **report.study_attrs},
        reinit="finish_previous",
    )
    try:
        run.log(
            {
                "trials": wandb.Table(dataframe=report.trials.map(str)),
                "pareto": wandb.Table(dataframe=report.pareto.map(str)),
                "pareto_scatter": wandb.plot.scatter(
                    wandb.Table(dataframe=scatter_points(report.trials)),
                    "energy_uj",
                    "accuracy",
                    title="accuracy against energy per inference (on_front: the Pareto front)",
                ),
                **{
                    f"plots/{p.stem}": wandb.Image(str(p))
                    for p in (report.files.get("pareto_png"), report.files.get("layers_png"))
                    if p is not None and Path(p).is_file()
                },
            }
        )
        if report.chosen is not None:
            run.summary.update({f"chosen/{k}": _plain(v) for k, v in report.chosen.items()})
    finally:
        run.finish()
    log.info("W&B summary run %s-summary logged (%s)", study_name, mode or "online")


def scatter_points(trials) -> Any:
    """The complete trials as the scatter's points: number, accuracy, energy, on the front."""
    done = trials[trials["state"].eq("complete")]
    return pd.DataFrame(
        {
            "number": done["number"].astype(int),
            "accuracy": done["accuracy"].astype(float),
            "energy_uj": done["energy_uj"].astype(float),
            "on_front": done["pareto"].astype(bool),
        }
    )


def _mode(node: DictConfig) -> str | None:
    if node.get("mode"):
        return str(node.mode)
    if node.get("offline") or needs_offline(node):  # the same rule as the trials' loggers
        return "offline"
    return None


def _wandb():
    try:
        import wandb
    except ImportError:
        return None
    return wandb


def _plain(value: Any) -> Any:
    if isinstance(value, DictConfig):
        return OmegaConf.to_container(value)
    return value if isinstance(value, int | float | str | bool | type(None)) else str(value)
