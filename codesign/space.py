"""The search space: dotted keys of the training config (and `accelerator.*`) with their ranges.

Written in YAML under `sweep.space` (conf/sweep/space/*.yaml), nested as the training config::

    kd:
      T: {low: 1.0, high: 8.0, log: true}      # float range (log: sample the exponent)
    model:
      width: {low: 8, high: 24, step: 4}       # integer range: integer bounds on an integer key
      block: [basic, separable]                # choices (any YAML value, lists included)
      quant: {bits: null}                      # not searched

`{type: float|int|categorical, ...}` forces a kind; `{choices: [...]}` is the long form of a list.
Flat dotted keys (`kd.T: {low: 1, high: 8}`) work too; where one key is given both ways (a flat
file that starts from a nested one, a command-line override of a flat file), the later entry of
the composed config wins, as in any Hydra merge. Nested keys are what Hydra's command line
writes: `sweep.space.trainer.max_epochs=[20,40]` or `sweep.space.kd.T.high=6` changes an entry,
`sweep.space.model.quant.bits=null` drops it, `'+sweep.space.optim.optimizer.momentum=[0.8,0.9]'`
adds one, `'~sweep.space' '+sweep.space={kd:{alpha:[0.1,0.5]},model:{width:[4,8]}}'` replaces
the space.
Optuna stores choices that are not plain scalars (e.g. `[2, 2, 2]`) as their JSON text; `decode`
gives the value back.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import optuna
from omegaconf import DictConfig, OmegaConf

from models.config_dict import config_dict
from models.errors import UserError

#: Keys under this prefix describe the accelerator, not the training config.
ACCELERATOR = "accelerator."

_PLAIN = (type(None), bool, int, float, str)


@dataclass(frozen=True)
class Param:
    """One searched key: its Optuna distribution and, for structured choices, their labels."""

    key: str
    distribution: optuna.distributions.BaseDistribution
    labels: Mapping[str, Any] = field(default_factory=dict)  # JSON label -> choice

    def suggest(self, trial: optuna.Trial) -> Any:
        d = self.distribution
        if isinstance(d, optuna.distributions.FloatDistribution):
            return trial.suggest_float(self.key, d.low, d.high, step=d.step, log=d.log)
        if isinstance(d, optuna.distributions.IntDistribution):
            return trial.suggest_int(self.key, d.low, d.high, step=d.step, log=d.log)
        assert isinstance(d, optuna.distributions.CategoricalDistribution), "Optuna's third kind"
        return self.decode(trial.suggest_categorical(self.key, d.choices))

    def decode(self, stored: Any) -> Any:
        """The config value of a stored parameter value."""
        return self.labels.get(stored, stored) if isinstance(stored, str) else stored

    @property
    def is_accelerator(self) -> bool:
        return self.key.startswith(ACCELERATOR)


@dataclass(frozen=True)
class SearchSpace:
    params: tuple[Param, ...]

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.params]

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Sample every key for `trial`: {dotted key: config value}."""
        return {p.key: p.suggest(trial) for p in self.params}

    def training(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if not k.startswith(ACCELERATOR)}

    def accelerator(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k[len(ACCELERATOR) :]: v for k, v in values.items() if k.startswith(ACCELERATOR)}

    def describe(self) -> dict[str, str]:
        """{key: a short text of its range} (for the report and the study's attributes)."""
        return {p.key: describe_range(p) for p in self.params}

    @classmethod
    def from_config(
        cls, space: Mapping | None, train_cfg: DictConfig | None = None, where: str = "sweep.space"
    ) -> SearchSpace:
        """The space of `sweep.space`; with the training config, keys are checked against it and
        a range with integer bounds on a float setting ({low: 0, high: 1} for kd.alpha) is float."""
        if not space:
            raise UserError(
                f"{where} is empty: choose a space with sweep/space=<file> (conf/sweep/space/)"
            )
        plain = config_dict(space, where)
        entries: dict[str, Any] = {}
        for key, spec in _entries(plain):
            entries[key] = spec  # a key given flat and nested: the later entry (see module doc)
        params = []
        for key, spec in entries.items():
            if spec is not None:
                current = (
                    None if train_cfg is None else OmegaConf.select(train_cfg, key, default=None)
                )
                params.append(
                    _param(key, spec, f"{where}[{key!r}]", float_setting=isinstance(current, float))
                )
        if not params:
            raise UserError(f"{where}: every entry is null, nothing to search")
        result = cls(tuple(params))
        if train_cfg is not None:
            result.check_keys(train_cfg, where)
        return result

    def check_keys(self, train_cfg: DictConfig, where: str = "sweep.space") -> None:
        """Every training key must exist in the training config (a typo would be silently added)."""
        missing = object()
        known = None
        for p in self.params:
            if (
                p.is_accelerator
                or OmegaConf.select(train_cfg, p.key, default=missing) is not missing
            ):
                continue
            known = known if known is not None else list(_dotted_keys(train_cfg))
            close = difflib.get_close_matches(p.key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UserError(
                f"{where}[{p.key!r}] is not a key of the training config{hint}; "
                "see the keys with `python train.py --cfg job`"
            )


_SPEC_FIELDS = {"type", "choices", "low", "high", "step", "log"}


def _entries(space: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, spec) of flat and nested entries; a dict is a spec when it has spec fields."""
    for key, spec in space.items():
        path = f"{prefix}{key}"
        if isinstance(spec, dict) and spec and not (set(spec) & _SPEC_FIELDS):
            yield from _entries(spec, path + ".")
        else:
            yield path, spec


def _param(key: str, spec: Any, where: str, float_setting: bool = False) -> Param:
    if isinstance(spec, list):
        spec = {"choices": spec}
    if not isinstance(spec, dict):
        raise UserError(f"{where}: give a list of choices or {{low, high}}, not {spec!r}")
    kind = spec.get("type") or ("categorical" if "choices" in spec else None)
    known = {"type", "choices"} if kind == "categorical" else {"type", "low", "high", "step", "log"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise UserError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(known)}")
    if kind == "categorical":
        return _categorical(key, spec.get("choices"), where)
    if "low" not in spec or "high" not in spec:
        raise UserError(f"{where}: a range needs both low and high")
    low, high, step, log = spec["low"], spec["high"], spec.get("step"), bool(spec.get("log", False))
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
        raise UserError(f"{where}: low and high must be numbers, got {low!r} and {high!r}")
    if kind is None:
        integral = all(isinstance(v, int) for v in (low, high)) and isinstance(step, int | None)
        kind = "int" if integral and not float_setting else "float"
    if kind not in ("int", "float"):
        raise UserError(f"{where}: type must be float, int or categorical, not {kind!r}")
    if low > high or (log and low <= 0):
        raise UserError(f"{where}: need low <= high (and low > 0 with log), got {low}..{high}")
    if step is not None and log:
        raise UserError(f"{where}: step and log cannot be combined")
    if kind == "int":
        return Param(
            key,
            optuna.distributions.IntDistribution(int(low), int(high), log=log, step=int(step or 1)),
        )
    return Param(
        key, optuna.distributions.FloatDistribution(float(low), float(high), log=log, step=step)
    )


def _categorical(key: str, choices: Any, where: str) -> Param:
    if not isinstance(choices, list) or not choices:
        raise UserError(f"{where}: choices must be a non-empty list")
    if all(isinstance(c, _PLAIN) for c in choices):
        return Param(key, optuna.distributions.CategoricalDistribution(choices))
    labels = {json.dumps(c): c for c in choices}
    if len(labels) != len(choices):
        raise UserError(f"{where}: choices repeat")
    return Param(key, optuna.distributions.CategoricalDistribution(list(labels)), labels)


def describe_range(p: Param) -> str:
    d = p.distribution
    if isinstance(d, optuna.distributions.CategoricalDistribution):
        return "{" + ", ".join("null" if c is None else str(c) for c in d.choices) + "}"
    numeric = optuna.distributions.FloatDistribution | optuna.distributions.IntDistribution
    assert isinstance(d, numeric), "Optuna's other two kinds"
    text = f"{d.low:g} .. {d.high:g}"
    if d.log:
        text += " (log)"
    if d.step not in (None, 1):
        text += f" step {d.step:g}"
    return text


def _dotted_keys(cfg: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(cfg, DictConfig):
        for k in cfg:
            path = f"{prefix}{k!s}"
            yield path
            try:
                child = cfg._get_node(k)
            except Exception:  # an unresolvable interpolation: keep the key, skip its children
                continue
            yield from _dotted_keys(child, path + ".")
