"""Evaluating sweep points with the component models, into one DataFrame.

Every point is priced exactly as a component of an architecture would be (same attribute reading,
same models, same cache). Columns: ``component, sweep, varied, technology, width, depth, read_pj,
write_pj, compute_pj, area_um2, leak_w, model, notes`` (memories have read/write, the MAC has
compute; DRAM has no area).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from hwsim.energy.components.builtin_compounds import builtin_library
from hwsim.energy.components.evaluate import Evaluator
from hwsim.energy.components.table_builder import ComponentPricer
from hwsim.energy.sweeps.plan import Sweep, SweepPoint

COLUMNS = [
    "component",
    "sweep",
    "varied",
    "technology",
    "width",
    "depth",
    "read_pj",
    "write_pj",
    "compute_pj",
    "area_um2",
    "leak_w",
    "model",
    "notes",
]


def run_sweeps(
    sweeps: Iterable[Sweep],
    *,
    technology: str,
    evaluator: Evaluator,
    progress: Callable[
        [Iterable[tuple[Sweep, SweepPoint]]], Iterable[tuple[Sweep, SweepPoint]]
    ] = lambda x: x,
) -> pd.DataFrame:
    """Price every point of `sweeps` at `technology`; `progress` wraps the iteration (e.g. tqdm)."""
    pricer = ComponentPricer(builtin_library(), evaluator)
    work = [(sweep, point) for sweep in sweeps for point in sweep.points]
    rows = []
    for sweep, point in progress(work):
        part = pricer.price(point.label, point.component, point.attributes(technology))
        rows.append(
            {
                "component": point.component,
                "sweep": point.sweep,
                "varied": sweep.varied,
                "technology": technology,
                "width": point.width,
                "depth": point.depth,
                "read_pj": part.actions.get("read"),
                "write_pj": part.actions.get("write"),
                "compute_pj": part.actions.get("compute"),
                "area_um2": part.area_um2,
                "leak_w": part.leak_w,
                "model": part.source,
                "notes": "; ".join(part.notes),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"depth": "Int64"})
