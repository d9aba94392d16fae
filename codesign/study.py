"""The Optuna study: created on first use, resumed by any later run with the same name and storage.

The study keeps, in its user attributes, what the report needs to stand alone: objectives,
metric, constraints, the space, the training overrides of the command line, and the fixed
training config. A resumed run must keep the objectives, metric and constraints (they judge every
trial: another is a UserError); another space or recipe is pointed out in the log; the training
overrides and sweep.choose are the latest run's.

Seeding: a run's sampler is seeded with `sweep.seed` plus the number of trials the study already
has, so a single worker's study is reproducible and a resumed run does not replay the random
first trials of the previous one. Workers of one study (sweep.worker=i) have seeds far apart
(codesign.settings), so that they do not sample the same points.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import optuna
from hydra.utils import instantiate
from omegaconf import DictConfig

from codesign.objectives import Constraints, Objectives
from models.config_dict import config_dict
from models.errors import UserError

log = logging.getLogger("sweep")

#: Keys of the training config that may differ between runs of one study (machine, logging).
VOLATILE = (
    "paths",
    "num_threads",
    "logger",
    "trainer.accelerator",
    "trainer.devices",
    "trainer.enable_progress_bar",
    "trainer.enable_model_summary",
    "compile",
    "hydra",
)


#: Study attributes that are the latest run's choice (reporting), rewritten by every run.
RUN_ATTRS = ("train_overrides", "choose")


def make_sampler(sampler_cfg: DictConfig, seed: int | None) -> optuna.samplers.BaseSampler:
    """The sampler of `sweep.sampler` (an Optuna sampler class and its keywords) with `seed`."""
    target = str(sampler_cfg.get("_target_", ""))
    if not target.startswith("optuna."):
        raise UserError(f"sweep.sampler._target_={target!r}: name an Optuna sampler class")
    try:
        return instantiate(sampler_cfg, seed=seed)
    except Exception as e:
        raise UserError(f"sweep.sampler ({target}): {_cause(e)}") from e


def open_study(
    storage: optuna.storages.BaseStorage,
    name: str,
    objectives: Objectives,
    sampler_cfg: DictConfig,
    seed: int | None,
    attrs: Mapping[str, Any],
    quiet: bool = False,
) -> optuna.Study:
    """Create the study or load it; the sampler is seeded for this run (see module docstring).
    `quiet`: no "resuming" line (a worker whose parent said it)."""
    sampler = make_sampler(sampler_cfg, seed)  # a bad sampler fails before any study is created
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        directions=objectives.directions,
        load_if_exists=True,
        sampler=sampler,
    )
    if [d.name.lower() for d in study.directions] != objectives.directions:
        raise UserError(
            f"study {name!r} in this storage optimises {[d.name.lower() for d in study.directions]}, "
            f"not sweep.objectives={list(objectives.names)}: use another sweep.study_name"
        )
    existing = len(study.get_trials(deepcopy=False))
    if existing and seed is not None:
        study.sampler = make_sampler(sampler_cfg, int(seed) + existing)
    previous = study.user_attrs
    if not previous:
        for key, value in attrs.items():
            study.set_user_attr(key, value)
    else:
        _refuse_another_judge(name, previous, attrs)
        _point_out_changes(name, previous, attrs)
        for key in RUN_ATTRS:  # this run's, not the study's: the report command reuses the last
            if key in attrs and previous.get(key) != attrs[key]:
                study.set_user_attr(key, attrs[key])
    if existing and not quiet:
        log.info("resuming study %r: %d trials so far", name, existing)
    return study


def fixed_training_config(train_cfg: DictConfig) -> dict[str, Any]:
    """The training config that all trials share, without machine-specific keys."""
    container = config_dict(train_cfg, "the training config")
    for key in VOLATILE:
        parent, _, leaf = key.rpartition(".")
        node = container
        for part in parent.split(".") if parent else []:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(leaf, None)
    return container


def _refuse_another_judge(name: str, previous: Mapping[str, Any], now: Mapping[str, Any]) -> None:
    """The metric and constraints judge every trial (feasible, best_trials, report.md's floor):
    a resumed run must keep them, or its trials would be judged against another floor."""
    changes = []
    if "metric" in previous and previous["metric"] != now.get("metric"):
        changes.append(f"sweep.metric: {previous['metric']!r} -> {now.get('metric')!r}")
    if "constraints" in previous and "constraints" in now:
        was, is_ = (
            asdict(Constraints.from_config(c))
            for c in (previous["constraints"], now["constraints"])
        )
        changes += [f"sweep.constraints.{d}" for d in _differences(was, is_)]
    if changes:
        raise UserError(
            f"study {name!r} in this storage was started with another {'; '.join(changes)}: "
            "its trials were judged by the first; keep it, or use another sweep.study_name"
        )


def _point_out_changes(name: str, previous: Mapping[str, Any], now: Mapping[str, Any]) -> None:
    for key in ("space", "training"):
        if key in previous and key in now and previous[key] != now[key]:
            diffs = _differences(previous[key], now[key])
            log.warning(
                "study %r was started with another %s (%s); its earlier trials do not share it — "
                "use a new sweep.study_name for a separate study",
                name,
                key,
                "; ".join(diffs[:5]) or "changed",
            )


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            out += _differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return out
    return [] if a == b else [f"{path or 'value'}: {a!r} -> {b!r}"]


def _cause(e: BaseException) -> str:
    while e.__cause__ is not None:
        e = e.__cause__
    return str(e).splitlines()[0] if str(e).strip() else type(e).__name__
