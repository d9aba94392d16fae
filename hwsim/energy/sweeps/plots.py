"""One log-log PNG per swept component: energy per access (and area where modelled) against the
swept parameter, component models as filled markers and solid lines, classic Accelergy 0.3 as
hollow markers on dashed lines labelled "reference data". Legends carry the fitted exponents.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter

from hwsim.energy.sweeps.fit import FittedSweeps, fit_row
from hwsim.energy.sweeps.plan import fixed_parameter

TITLES = {
    "SRAM": "SRAM (CACTI 7 via hwcomponents-cacti)",
    "regfile": "Register file (hwkd flip-flop model)",
    "DRAM": "DRAM (LPDDR4, bursts of the 64-bit interface)",
    "intmac": "Integer MAC (Aladdin; multiplier w, accumulator 2w)",
}
SWEEP_TITLES = {"width_sweep": "width sweep", "depth_sweep": "depth sweep"}
STYLES = {
    "read": ("o", "tab:blue"),
    "write": ("s", "tab:orange"),
    "compute": ("D", "tab:green"),
    "area": ("^", "tab:purple"),
}


def _exponent(
    fits: pd.DataFrame | None, component: str, sweep: str, quantity: str, symbol: str
) -> str:
    fit = fit_row(fits, component, sweep, quantity) if fits is not None else None
    return "" if fit is None else f" ∝ {symbol}^{fit.exponent:.2f}"


def _axes_style(ax: plt.Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7.5)


def plot_component(
    component: str,
    study: FittedSweeps,
    path: Path,
    reference_label: str = "Accelergy 0.3 (reference data)",
) -> Path:
    """Write the PNG of one component (legends carry `study`'s fits; the classic curves are
    labelled `reference_label`); returns its path."""
    ours = study.points[study.points.component == component]
    reference = study.reference
    ref = reference[reference.component == component] if reference is not None else None
    sweeps = list(dict.fromkeys(ours.sweep))
    has_area = ours.area_um2.notna().any()
    rows = 2 if has_area else 1
    fig, axes = plt.subplots(
        rows, len(sweeps), figsize=(6.2 * len(sweeps), 4.4 * rows), squeeze=False
    )
    technology = ours.technology.iloc[0] if len(ours) else ""
    for col, sweep in enumerate(sweeps):
        group = ours[ours.sweep == sweep]
        varied = group.varied.iloc[0]
        group = group.sort_values(varied)
        x = group[varied].astype(float)
        symbol = "W" if varied == "width" else "D"
        xlabel = "width (bits)" if varied == "width" else "depth (rows)"
        ax = axes[0][col]
        for quantity in ("read", "write", "compute"):
            y = group[f"{quantity}_pj"]
            if y.notna().any():
                marker, colour = STYLES[quantity]
                ax.plot(
                    x,
                    y,
                    marker=marker,
                    color=colour,
                    label=f"{quantity}, models{_exponent(study.fits, component, sweep, quantity, symbol)}",
                )
        if ref is not None and len(ref[ref.sweep == sweep]):
            r = ref[ref.sweep == sweep].sort_values(varied)
            rx = r[varied].astype(float)
            for quantity in ("read", "write", "compute"):
                column = f"{quantity}_pj"
                if not r[column].notna().any():
                    continue
                marker, colour = STYLES[quantity]
                exponent = _exponent(study.reference_fits, component, sweep, quantity, symbol)
                ax.plot(
                    rx,
                    r[column],
                    linestyle="--",
                    marker=marker,
                    markersize=11,
                    markerfacecolor="none",
                    markeredgewidth=1.2,
                    color=colour,
                    alpha=0.8,
                    zorder=3,
                    label=f"{quantity}, {reference_label}{exponent}",
                )
        if component == "DRAM":
            ax.axvline(
                64,
                color="grey",
                linestyle=":",
                linewidth=1,
                label="64-bit LPDDR4 interface: wider = bursts",
            )
        ax.set_title(f"{SWEEP_TITLES[sweep]}{fixed_parameter(component, sweep)}")
        _axes_style(ax, xlabel, "energy per access (pJ)")
        if has_area:
            ax = axes[1][col]
            marker, colour = STYLES["area"]
            ax.plot(
                x,
                group.area_um2,
                marker=marker,
                color=colour,
                label=f"area, models{_exponent(study.fits, component, sweep, 'area', symbol)}",
            )
            _axes_style(ax, xlabel, "area per instance (µm²)")
    fig.suptitle(f"{TITLES.get(component, component)} at {technology}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
