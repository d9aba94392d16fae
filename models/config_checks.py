"""The training config's numbers, checked before anything runs.

A wrong type or range here would otherwise surface late and far from its cause (a TypeError inside
the optimizer, a division by zero inside Lightning's data loading) or not at all (a run that
never ends). Each check refuses its value with a UserError naming the key.

trainer.max_epochs must be >= 1: Lightning's -1 ("no limit") is refused, because the learning-rate
schedule (warm-up, then cosine decay over the run's steps) needs the run's length up front.
"""

from __future__ import annotations

import math
from typing import Any

from omegaconf import DictConfig, OmegaConf

from models.errors import UserError

_ABSENT = object()


def check_training_config(cfg: DictConfig) -> None:
    """Raise UserError for the first value of `cfg` (conf/train.yaml composed) that cannot work."""
    _integer(cfg, "seed")
    _integer(cfg, "num_threads", low=1, optional=True)
    _integer(cfg, "data.batch_size", low=1)
    _integer(cfg, "data.eval_batch_size", low=1, optional=True)
    _integer(
        cfg, "trainer.max_epochs", low=1, why="the learning-rate schedule needs the run's length"
    )
    _integer(cfg, "model.width", low=1, optional=True)
    _integer(cfg, "model.depth", low=1, optional=True)
    _number(cfg, "optim.optimizer.lr", low=0.0, open_low=True)
    _number(cfg, "optim.optimizer.weight_decay", low=0.0, optional=True)
    _number(cfg, "optim.optimizer.momentum", low=0.0, high=1.0, optional=True)
    _number(cfg, "optim.warmup_epochs", low=0.0, optional=True)
    _number(cfg, "optim.min_lr_ratio", low=0.0, high=1.0, optional=True)
    _number(cfg, "kd.alpha", low=0.0, high=1.0)
    _number(cfg, "kd.T", low=0.0, open_low=True)
    _number(cfg, "kd.label_smoothing", low=0.0, high=1.0, open_high=True, optional=True)
    if cfg.kd.cache not in ("auto", "off"):
        raise UserError(f"kd.cache={cfg.kd.cache!r} must be 'auto' or 'off'")


def _value(cfg: DictConfig, key: str) -> Any:
    return OmegaConf.select(cfg, key, default=_ABSENT)


def _integer(
    cfg: DictConfig, key: str, low: int | None = None, optional: bool = False, why: str = ""
) -> None:
    value = _value(cfg, key)
    if value is _ABSENT or (optional and value is None):
        return
    wanted = "an integer" + (f" >= {low}" if low is not None else "")
    if not isinstance(value, int) or isinstance(value, bool):
        raise UserError(f"{key}={value!r} must be {wanted}")
    if low is not None and value < low:
        raise UserError(f"{key}={value} must be {wanted}" + (f" ({why})" if why else ""))


def _number(
    cfg: DictConfig,
    key: str,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
    optional: bool = False,
) -> None:
    value = _value(cfg, key)
    if value is _ABSENT or (optional and value is None):
        return
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or (low is not None and (value <= low if open_low else value < low))
        or (high is not None and (value >= high if open_high else value > high))
    ):
        raise UserError(f"{key}={value!r} must be {_range(low, high, open_low, open_high)}")


def _range(low, high, open_low, open_high) -> str:
    if low is not None and high is not None:
        return f"a number in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
    if low is not None:
        return f"a number {'>' if open_low else '>='} {low:g}"
    return "a number"
