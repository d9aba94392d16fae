"""What one component model is asked (`PrimitiveQuery`) and what it answers (`PrimitiveResult`).

A query names a model, the keyword arguments its constructor takes, and the actions to price; it
is a frozen value with a canonical text form (`PrimitiveQuery.key`), which keys the on-disk cache
and the recorded test fixtures. A result holds energies in pJ per access, area in µm² and leakage
in W, and round-trips through JSON exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PrimitiveQuery:
    """One model evaluation.

    Attributes:
        model: a key of `hwsim.energy.components.model_registry.MODELS` (``cacti-sram``...).
        parameters: the model constructor's keyword arguments, sorted by name.
        actions: (action as hwsim names it, model method to call), sorted.
    """

    model: str
    parameters: tuple[tuple[str, Any], ...]
    actions: tuple[tuple[str, str], ...]

    @classmethod
    def make(
        cls, model: str, parameters: Mapping[str, Any], actions: Mapping[str, str]
    ) -> PrimitiveQuery:
        return cls(model, tuple(sorted(parameters.items())), tuple(sorted(actions.items())))

    def key(self) -> str:
        """Canonical JSON text of the query (stable across runs and machines)."""
        return json.dumps(
            {
                "model": self.model,
                "parameters": dict(self.parameters),
                "actions": dict(self.actions),
            },
            sort_keys=True,
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class PrimitiveResult:
    """A model's answer: pJ per access for each action, area (µm², None if not modelled), leakage (W)."""

    actions: Mapping[str, float]
    area_um2: float | None
    leak_w: float

    def to_json(self) -> dict[str, Any]:
        return {"actions": dict(self.actions), "area_um2": self.area_um2, "leak_w": self.leak_w}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PrimitiveResult:
        actions = {str(k): float(v) for k, v in data["actions"].items()}
        area = data.get("area_um2")
        return cls(actions, None if area is None else float(area), float(data["leak_w"]))
