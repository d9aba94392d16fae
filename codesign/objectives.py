"""What the study optimises and what a feasible trial must satisfy.

Objectives, in the order of the study's values: accuracy (maximised; a fraction, val or test per
`sweep.metric`), energy (µJ per inference, minimised) and optionally on-chip area (mm², minimised).
Constraints are set on the trial with `Trial.set_constraint(name, value)` (Optuna's successor of
`constraints_func`: the values live in the trial's system attributes, every sampler and
`Study.best_trials` read them); a value <= 0 holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import optuna

from models.errors import UserError

Direction = Literal["minimize", "maximize"]
#: objective name -> (trials.csv column, direction, axis label)
KNOWN: dict[str, tuple[str, Direction, str]] = {
    "accuracy": ("accuracy", "maximize", "accuracy"),
    "energy": ("energy_uj", "minimize", "energy per inference (µJ)"),
    "area": ("area_mm2", "minimize", "on-chip area (mm²)"),
}


@dataclass(frozen=True)
class Objectives:
    names: tuple[str, ...]
    metric: str  # val | test

    @classmethod
    def from_config(cls, names: Sequence[str], metric: str) -> Objectives:
        names = tuple(str(n) for n in names)
        unknown = [n for n in names if n not in KNOWN]
        if unknown or len(set(names)) != len(names):
            raise UserError(
                f"sweep.objectives={list(names)}: use each of {list(KNOWN)} at most once"
            )
        if names[:2] != ("accuracy", "energy"):
            raise UserError(
                f"sweep.objectives={list(names)} must start with accuracy, energy (area may follow)"
            )
        if metric not in ("val", "test"):
            raise UserError(f"sweep.metric={metric!r} must be 'val' or 'test'")
        return cls(names, metric)

    @property
    def directions(self) -> list[Direction]:
        return [KNOWN[n][1] for n in self.names]

    @property
    def columns(self) -> list[str]:
        return [KNOWN[n][0] for n in self.names]

    def values(self, measured: Mapping[str, float | None]) -> list[float]:
        """The study's values from {column: value}; see `refuse_unmeasured`."""
        values = []
        for name, column in zip(self.names, self.columns, strict=True):
            value = measured[column]
            if value is None:
                raise UserError(_unmeasured(name, column))
            values.append(float(value))
        return values

    def refuse_unmeasured(self, area_mm2: float | None) -> None:
        """Before training: a UserError when the study minimises an area that the component
        models cannot give (an on-chip component of hw.arch without an area)."""
        if "area" in self.names and area_mm2 is None:
            raise UserError(_unmeasured("area", KNOWN["area"][0]))


def _unmeasured(name: str, column: str) -> str:
    hint = ": an on-chip component of hw.arch has no area model" if name == "area" else ""
    return f"sweep.objectives has {name}, but the trial has no {column}{hint}; drop it from sweep.objectives"


@dataclass(frozen=True)
class Constraints:
    min_accuracy: float
    max_energy_uj: float | None = None
    max_area_mm2: float | None = None

    @classmethod
    def from_config(cls, cfg: Mapping) -> Constraints:
        known = {"min_accuracy", "max_energy_uj", "max_area_mm2"}
        unknown = sorted(set(cfg) - known)
        if unknown:
            raise UserError(
                f"sweep.constraints: unknown field(s) {unknown}; known: {sorted(known)}"
            )
        floor = float(cfg.get("min_accuracy", 0.0))
        if not 0.0 <= floor <= 1.0:
            raise UserError(
                f"sweep.constraints.min_accuracy={floor} is a fraction: 0..1 (0.85 is 85 %)"
            )
        return cls(floor, _opt(cfg.get("max_energy_uj")), _opt(cfg.get("max_area_mm2")))

    def before_training(self, energy_uj: float, area_mm2: float | None) -> str | None:
        """Why a trial cannot be feasible whatever its accuracy (its energy or area), or None."""
        if self.max_energy_uj is not None and energy_uj > self.max_energy_uj:
            return f"energy {energy_uj:.4g} µJ exceeds sweep.constraints.max_energy_uj={self.max_energy_uj:g}"
        if self.max_area_mm2 is not None and area_mm2 is not None and area_mm2 > self.max_area_mm2:
            return f"area {area_mm2:.4g} mm² exceeds sweep.constraints.max_area_mm2={self.max_area_mm2:g}"
        return None

    def values(self, accuracy: float, energy_uj: float, area_mm2: float | None) -> dict[str, float]:
        """{constraint name: value}, feasible when every value is <= 0."""
        out = {"accuracy": self.min_accuracy - accuracy}
        if self.max_energy_uj is not None:
            out["energy"] = energy_uj - self.max_energy_uj
        if self.max_area_mm2 is not None and area_mm2 is not None:
            out["area"] = area_mm2 - self.max_area_mm2
        return out

    def apply(
        self, trial: optuna.Trial, accuracy: float, energy_uj: float, area_mm2: float | None
    ) -> bool:
        """Set the constraints on `trial`; whether it is feasible."""
        values = self.values(accuracy, energy_uj, area_mm2)
        for name, value in values.items():
            trial.set_constraint(name, value)
        return all(v <= 0 for v in values.values())


def _opt(value) -> float | None:
    return None if value is None else float(value)
