"""The mapper's objective as people write it: hwsim's name, or Timeloop's metric list.

Timeloop's mapper ranks mappings by its ``optimization-metrics`` in order (the course's Q3
mapper.yaml: ``[delay, energy]``); hwsim's objectives rank by a first key and break ties with a
second (`hwsim.mapper.search.objective_keys`), so each is one such list:

    energy = [energy, delay]      delay = [delay, energy]      edp = [edp, energy]

A one-metric list (``[delay]``) is the objective of that name, ties broken as above.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import get_args

from hwsim.errors import SpecError
from hwsim.mapper.search import Objective

#: objective -> the metric list it ranks by (first key, tie-break)
METRICS: dict[Objective, tuple[str, str]] = {
    "energy": ("energy", "delay"),
    "delay": ("delay", "energy"),
    "edp": ("edp", "energy"),
}
assert set(METRICS) == set(get_args(Objective))
#: what `parse_objective` understands, for error messages
CHOICES = ", ".join(f"{name} = [{', '.join(order)}]" for name, order in METRICS.items())


def parse_objective(value: str | Iterable[str]) -> Objective:
    """`value` as hwsim's objective: ``"delay"``, ``["delay", "energy"]`` or ``"[delay, energy]"``
    all give ``"delay"``. Anything else is a `SpecError` listing what is understood."""
    text = value.strip().strip("[]") if isinstance(value, str) else None
    names: Sequence[object]
    try:
        names = text.split(",") if text is not None else list(value)
    except TypeError:
        names = [value]
    metrics = tuple(str(name).strip().lower() for name in names)
    for objective, order in METRICS.items():
        if metrics in (order, order[:1]):
            return objective
    raise SpecError(f"unknown mapper objective {_shown(value)}: use one of {CHOICES}")


def objective_label(objective: str) -> str:
    """How reports name an objective: its metric list, ``[delay, energy]``."""
    return "[" + ", ".join(METRICS[parse_objective(objective)]) + "]"


def _shown(value) -> str:
    if isinstance(value, str):
        return repr(value)
    try:
        return "[" + ", ".join(str(v) for v in value) + "]"
    except TypeError:
        return repr(value)
