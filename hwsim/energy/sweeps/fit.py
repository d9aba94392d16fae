"""Power laws ``E = c · x^a`` fitted to each sweep, with how well they fit.

A sweep varies one parameter (width or depth) with the other fixed, so fitting ``log E`` against
``log x`` by least squares gives the exponent of ``E ∝ width^a · depth^b`` for that parameter. Fit
quality is reported three ways: R² of the log-log fit, the largest relative error of the fitted law
at the sweep's points, and the local exponents between neighbouring points (their spread shows
where a single power law is a poor summary, e.g. a fixed cost that dominates small widths).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hwsim.energy.sweeps.classic_reference import reference_as_points


@dataclass(frozen=True)
class PowerLawFit:
    """``y ≈ coefficient · x^exponent`` over the fitted points."""

    exponent: float
    coefficient: float
    exponent_stderr: float
    r_squared: float
    max_relative_error: float
    local_exponents: tuple[float, ...]
    points: int


def fit_power_law(x: ArrayLike, y: ArrayLike) -> PowerLawFit:
    """Least-squares fit of ``log y = log c + a·log x``; needs ≥ 2 points with positive x and y."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(xs) < 2 or np.any(xs <= 0) or np.any(ys <= 0):
        raise ValueError("a power law needs at least two points with positive values")
    lx, ly = np.log(xs), np.log(ys)
    design = np.vstack([lx, np.ones_like(lx)]).T
    (slope, intercept), *_ = np.linalg.lstsq(design, ly, rcond=None)
    fitted = slope * lx + intercept
    residual = float(np.sum((ly - fitted) ** 2))
    total = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1.0 - residual / total if total > 0 else 1.0
    stderr = (
        float(np.sqrt(residual / (len(xs) - 2) / np.sum((lx - lx.mean()) ** 2)))
        if len(xs) > 2
        else 0.0
    )
    local = tuple(float(v) for v in np.diff(ly) / np.diff(lx))
    max_err = float(np.max(np.abs(np.exp(fitted) / ys - 1.0)))
    return PowerLawFit(float(slope), float(np.exp(intercept)), stderr, r2, max_err, local, len(xs))


#: (quantity column, name in reports) fitted for each sweep when present.
QUANTITIES = (
    ("read_pj", "read"),
    ("write_pj", "write"),
    ("compute_pj", "compute"),
    ("area_um2", "area"),
)


def fit_sweeps(points: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """One fit per (component, sweep, quantity) of `points` (a `run_sweeps` or reference frame)."""
    rows = []
    for (component, sweep), group in points.groupby(["component", "sweep"], sort=False):
        varied = "depth" if sweep == "depth_sweep" else "width"
        group = group.sort_values(varied)
        for column, quantity in QUANTITIES:
            if column not in group or group[column].isna().all():
                continue
            fit = fit_power_law(group[varied].astype(float), group[column].astype(float))
            rows.append(
                {
                    "source": source,
                    "component": component,
                    "sweep": sweep,
                    "varied": varied,
                    "quantity": quantity,
                    "exponent": fit.exponent,
                    "exponent_stderr": fit.exponent_stderr,
                    "r_squared": fit.r_squared,
                    "max_relative_error": fit.max_relative_error,
                    "local_exponent_min": min(fit.local_exponents),
                    "local_exponent_max": max(fit.local_exponents),
                    "points": fit.points,
                    "from": int(group[varied].min()),
                    "to": int(group[varied].max()),
                }
            )
    return pd.DataFrame(rows)


def fit_row(fits: pd.DataFrame, component: str, sweep: str, quantity: str) -> pd.Series | None:
    """The fit of one quantity of one sweep (a `fit_sweeps` row), None if it was not fitted."""
    hit = fits[(fits.component == component) & (fits.sweep == sweep) & (fits.quantity == quantity)]
    return None if hit.empty else hit.iloc[0]


@dataclass(frozen=True)
class FittedSweeps:
    """Sweep points and the classic reference (as points), each with its fits, computed once for
    the CSV, the plots and the summary.

    Attributes:
        points: `run_sweeps` rows.
        fits: `fit_sweeps` of `points`.
        reference: reference rows in the same columns (`reference_as_points`), None without one.
        reference_fits: `fit_sweeps` of `reference`.
    """

    points: pd.DataFrame
    fits: pd.DataFrame
    reference: pd.DataFrame | None = None
    reference_fits: pd.DataFrame | None = None

    @classmethod
    def of(cls, points: pd.DataFrame, reference: pd.DataFrame | None = None) -> FittedSweeps:
        """Fit `points` and `reference` (classic rows as `classic_reference` returns them)."""
        fits = fit_sweeps(points, source="hwcomponents")
        if reference is None or reference.empty:
            return cls(points, fits)
        ref = reference_as_points(reference)
        return cls(points, fits, ref, fit_sweeps(ref, source="Accelergy 0.3"))
