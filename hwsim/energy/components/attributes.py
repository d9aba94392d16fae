"""Reading a component's Accelergy-style attributes, with errors that name the component.

Accelergy and Timeloop accept several spellings of the same attribute (``depth``,
``memory_depth``, ``data_storage_depth``; ``n_rdwr_ports``, ``n_rw_ports``); `ComponentAttributes`
reads the first one present, checks its range, and on a problem raises an `EnergyModelError` that
names the component, its class and the attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwsim.energy.components.technology import Technology, parse_technology
from hwsim.energy.errors import EnergyModelError, component_error
from hwsim.spec.expressions import (
    ExpressionError,
    accelergy_functions,
    evaluate_attribute,
)

DEFAULT_CYCLE_SECONDS = 1e-9


@dataclass(frozen=True)
class ComponentAttributes:
    """One component's name, class and resolved attributes (keys use ``_``, not ``-``)."""

    component: str
    class_name: str
    values: Mapping[str, Any]

    def error(self, problem: str) -> EnergyModelError:
        return component_error(self.component, self.class_name, problem)

    def first(self, *names: str) -> tuple[str, Any] | None:
        for name in names:
            if name in self.values and self.values[name] is not None:
                return name, self.values[name]
        return None

    def integer(self, *names: str, minimum: int = 1, default: int | None = None) -> int:
        """The first of `names` as an integer ≥ `minimum` (or `default` when none is given)."""
        found = self.first(*names)
        if found is None:
            if default is not None:
                return default
            also = f" (also read as {', '.join(names[1:])})" if len(names) > 1 else ""
            raise self.error(f"missing attribute {names[0]!r}{also}")
        name, raw = found
        number = self._number(name, raw)
        if not number.is_integer():
            raise self.error(f"attribute {name!r} must be an integer, got {raw!r}")
        if number < minimum:
            raise self.error(f"attribute {name!r} must be >= {minimum}, got {raw!r}")
        return int(number)

    def _number(self, name: str, raw: Any) -> float:
        """A number, or an arithmetic expression over the other attributes (``depth * 2``)."""
        if isinstance(raw, bool):
            raise self.error(f"attribute {name!r} must be an integer, got {raw!r}")
        try:
            return float(raw)
        except (TypeError, ValueError):
            pass
        try:
            value = evaluate_attribute(
                raw, {k: v for k, v in self.values.items() if k != name}, accelergy_functions(0.4)
            )
            return float(value)
        except (ExpressionError, TypeError, ValueError):
            raise self.error(f"attribute {name!r} must be an integer, got {raw!r}") from None

    def text(self, *names: str, default: str) -> str:
        found = self.first(*names)
        return default if found is None else str(found[1])

    def technology(self) -> Technology:
        found = self.first("technology")
        if found is None:
            raise self.error(
                "missing attribute 'technology' (set it on the component or an enclosing container)"
            )
        try:
            return parse_technology(found[1])
        except ValueError as err:
            raise self.error(str(err)) from None

    def cycle_seconds(self) -> float:
        """Clock period used to turn leakage power into energy per cycle (Accelergy's ``idle``)."""
        found = self.first("global_cycle_seconds", "cycle_seconds")
        if found is None:
            return DEFAULT_CYCLE_SECONDS
        try:
            value = float(found[1])
        except (TypeError, ValueError):
            raise self.error(
                f"attribute {found[0]!r} must be a number of seconds, got {found[1]!r}"
            ) from None
        if value <= 0:
            raise self.error(f"attribute {found[0]!r} must be positive, got {found[1]!r}")
        return value
