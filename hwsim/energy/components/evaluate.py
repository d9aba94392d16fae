"""Evaluating a `PrimitiveQuery` with its hwcomponents model.

Energies come back from hwcomponents in joules per action and areas in m²; they are returned in
pJ and µm². Any failure of the model (CACTI producing no result, a width the model refuses...)
raises `ModelFailure` with the model's own words: it never becomes a number.
"""

from __future__ import annotations

from collections.abc import Callable

from hwsim.energy.components.model_registry import MODELS, model_class
from hwsim.energy.components.query import PrimitiveQuery, PrimitiveResult

#: Anything that turns a query into a result (the live models, a cache around them, a recording).
Evaluator = Callable[[PrimitiveQuery], PrimitiveResult]


class ModelFailure(RuntimeError):
    """A component model produced no result; the message says why."""


def evaluate_with_hwcomponents(query: PrimitiveQuery) -> PrimitiveResult:
    """Instantiate the query's model and call its actions."""
    cls = model_class(query.model)
    label = MODELS[query.model].label
    try:
        model = cls(**dict(query.parameters))
        energies = {name: getattr(model, method)().energy * 1e12 for name, method in query.actions}
        area_m2 = float(model.area)
        leak_w = float(model.leak_power)
    except Exception as err:
        raise ModelFailure(f"{label}: {err}") from err
    for name, value in energies.items():
        if not value >= 0:
            raise ModelFailure(f"{label}: action {name!r} came back as {value!r} pJ")
    return PrimitiveResult(energies, area_m2 * 1e12 if area_m2 > 0 else None, leak_w)
