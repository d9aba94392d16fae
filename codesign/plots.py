"""The study's two figures: the accuracy-energy front, and where the chosen student's energy goes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

FEASIBLE, INFEASIBLE, FRONT, FLOOR = "#1f77b4", "#9e9e9e", "#d62728", "#2ca02c"


def plot_pareto(
    trials: pd.DataFrame,
    floor: float,
    path: Path,
    *,
    chosen: int | None = None,
    color_by_area: bool = False,
    title: str = "",
) -> Path:
    """Accuracy against energy of every complete trial: feasible, infeasible, the front (a
    staircase), the accuracy floor, and the chosen trial starred; pruned and failed trials are
    counted in the caption."""
    done = trials[trials["state"].eq("complete")].copy()
    done["acc_pct"] = done["accuracy"].astype(float) * 100
    feasible = done["feasible"].astype("boolean").fillna(True).astype(bool)
    front = done[done["pareto"].astype(bool)].sort_values("energy_uj")
    fig, ax = plt.subplots(figsize=(7.5, 5))
    ok, bad = done[feasible], done[~feasible]
    by_area = color_by_area and ok["area_mm2"].notna().any()
    colors = {"c": ok["area_mm2"], "cmap": "viridis"} if by_area else {"color": FEASIBLE}
    points = ax.scatter(
        ok["energy_uj"], ok["acc_pct"], s=36, zorder=3, label=f"feasible ({len(ok)})", **colors
    )
    if by_area:
        fig.colorbar(points, ax=ax, label="on-chip area (mm²)")
    ax.scatter(
        bad["energy_uj"],
        bad["acc_pct"],
        facecolors="none",
        edgecolors=INFEASIBLE,
        s=36,
        zorder=2,
        label=f"infeasible ({len(bad)})",
    )
    if len(front) and not color_by_area:  # a staircase only makes sense for two objectives
        x, y = front["energy_uj"], front["acc_pct"]
        ax.plot(x, y, drawstyle="steps-post", color=FRONT, lw=1.2, zorder=2)
        ax.scatter(
            x,
            y,
            facecolors="none",
            edgecolors=FRONT,
            s=110,
            lw=1.6,
            zorder=4,
            label=f"Pareto front ({len(front)})",
        )
    ax.axhline(floor * 100, color=FLOOR, ls="--", lw=1.2, label=f"accuracy floor {floor:.0%}")
    if chosen is not None and chosen in set(done["number"]):
        row = done[done["number"] == chosen].iloc[0]
        ax.scatter(
            [row["energy_uj"]],
            [row["acc_pct"]],
            marker="*",
            s=260,
            color="gold",
            edgecolors="black",
            zorder=5,
            label=f"chosen (#{chosen})",
        )
    label_all = len(done) <= 40
    for _, row in done.iterrows():
        if label_all or row["pareto"]:
            ax.annotate(
                f"#{row['number']}",
                (row["energy_uj"], row["acc_pct"]),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
                color="#444",
            )
    if len(done) and done["energy_uj"].max() > 8 * done["energy_uj"].min():
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("energy per inference (µJ)")
    ax.set_ylabel("accuracy (%)")
    others = trials["state"].value_counts().drop("complete", errors="ignore")
    caption = ", ".join(f"{n} {state}" for state, n in others.items())
    ax.set_title(title + (f"\n(not shown: {caption})" if caption else ""), fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_layer_energy(
    layers: Sequence[Mapping[str, Any]], levels: Sequence[str], path: Path, title: str = ""
) -> Path:
    """Stacked bars: energy of every layer of one student, split by storage level and compute."""
    frame = pd.DataFrame(list(layers))
    parts = [
        lv for lv in levels if f"energy_pj[{lv}]" in frame and frame[f"energy_pj[{lv}]"].sum() > 0
    ]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.38 * len(frame) + 2), 4.5))
    bottom = pd.Series(0.0, index=frame.index)
    for lv in parts:
        values = frame[f"energy_pj[{lv}]"].fillna(0.0) * 1e-6
        ax.bar(range(len(frame)), values, bottom=bottom, label=lv)
        bottom = bottom + values
    ax.set_xticks(range(len(frame)), frame["layer"], rotation=70, fontsize=7)
    ax.set_ylabel("energy per inference (µJ)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the bars
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
