"""The trade-off in words, from the complete trials alone: how accuracy and energy move with
width, depth, T, α and the other searched keys.

Trends are Spearman rank correlations (ρ, over the complete trials), worded as "rises" or "falls"
when |ρ| >= 0.5, "tends to" when |ρ| >= 0.2, "no clear trend" below; each names the median of
the lowest and highest setting. Categorical keys get per-choice medians. Energy does not depend
on T, α, the learning rate or the epochs (same network), and the text says so when it holds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: (label, trials.csv column) of the variables every study discusses, when they vary.
ARCHITECTURE = (("width (first stage)", "width0"), ("depth", "depth"))
TRAINING_ONLY = ("kd.T", "kd.alpha", "optim.optimizer.lr", "trainer.max_epochs")
LABELS = {
    "kd.T": "T",
    "kd.alpha": "α",
    "optim.optimizer.lr": "learning rate",
    "trainer.max_epochs": "epochs",
    "block": "block type",
    "bits": "quantization bits (none: full precision)",
}


def discuss(trials: pd.DataFrame, searched: Sequence[str]) -> list[str]:
    """Markdown bullets (see module docstring)."""
    done = trials[trials["state"].eq("complete")].copy()
    if len(done) < 2:
        return [f"Only {len(done)} complete trial(s): too few to say how the objectives move."]
    done["width0"] = done["widths"].map(_first_width)
    lines = []
    numeric = [(label, col) for label, col in ARCHITECTURE] + [
        (LABELS.get(k, k), k) for k in searched if k in done and not k.startswith("model.")
    ]
    for label, col in numeric:
        values = pd.to_numeric(done[col], errors="coerce")
        if values.nunique() >= 2 and values.notna().sum() >= 3:
            # T, α, lr, epochs do not change the network: their energy "trend" is sampling noise
            lines.append(_numeric_line(done, label, values, energy=col not in TRAINING_ONLY))
    for key in ("block", "bits", *[k for k in searched if k.startswith("accelerator.")]):
        if key in done and done[key].map(_label).nunique() >= 2 and not _is_numeric(done[key]):
            lines.append(_categorical_line(done, LABELS.get(key, key), done[key].map(_label)))
    lines += _energy_facts(done, searched)
    lines += _pruned_facts(trials, done, searched)
    if len(done) < 10:
        lines.append(
            f"With {len(done)} complete trials these trends are indicative only; a longer study "
            "(sweep.n_trials) firms them up."
        )
    return lines


def _numeric_line(done: pd.DataFrame, label: str, x: pd.Series, energy: bool = True) -> str:
    """Trend of accuracy (and energy) with x: ρ, and the medians at its lowest and highest settings
    (below and above its median when it takes many values)."""
    parts = []
    many = x.nunique() > 5
    cut = x.median()
    low, high = (x <= cut, x > cut) if many else (x == x.min(), x == x.max())
    if many and not high.any():
        low, high = x < cut, x >= cut
    where = (
        (f"{label} ≤ {_fmt(cut)}", f"{label} > {_fmt(cut)}")
        if many
        else (f"{_fmt(x.min())}", f"{_fmt(x.max())}")
    )
    for name, col, unit in (("accuracy", "accuracy", " %"), ("energy", "energy_uj", " µJ")):
        if name == "energy" and not energy:
            continue
        y = done[col].astype(float) * (100 if col == "accuracy" else 1)
        rho = _spearman(x, y)
        parts.append(
            f"{name} {_trend(rho)} (ρ = {rho:+.2f}; median {y[low].median():.3g}{unit} at "
            f"{where[0]}, {y[high].median():.3g}{unit} at {where[1]})"
        )
    return f"**{label}**: " + "; ".join(parts) + "."


def _categorical_line(done: pd.DataFrame, label: str, x: pd.Series) -> str:
    groups = done.groupby(x)
    parts = [
        f"{choice}: {g['accuracy'].median() * 100:.3g} % / {g['energy_uj'].median():.3g} µJ (n={len(g)})"
        for choice, g in groups
    ]
    return f"**{label}** (median accuracy / energy): " + "; ".join(parts) + "."


def _energy_facts(done: pd.DataFrame, searched: Sequence[str]) -> list[str]:
    lines = []
    if done["macs"].notna().sum() >= 3 and done["macs"].nunique() >= 2:
        per_mac = done["energy_uj"].astype(float) * 1e6 / done["macs"].astype(float)
        rho = _spearman(done["macs"].astype(float), done["energy_uj"].astype(float))
        lines.append(
            f"**Energy and MACs**: energy follows the MAC count (ρ = {rho:+.2f}) at "
            f"{per_mac.min():.3g}–{per_mac.max():.3g} pJ per MAC; what moves pJ/MAC is the "
            "layers' shapes (data reuse on the array) and the word width."
        )
    widths = list(done["datawidth"].dropna().unique()) if "datawidth" in done else []
    if "bits" in done and done["bits"].map(_label).nunique() >= 2 and len(widths) == 1:
        lines.append(
            f"**Quantization bits** move accuracy only: every student ran on {int(widths[0])}-bit "
            "words (hw.datawidth); hw.datawidth=student gives each its own bits, and the energy "
            "with them."
        )
    training = [LABELS.get(k, k) for k in TRAINING_ONLY if k in searched]
    arch_cols = [c for c in ("blocks", "widths", "block", "bits", "accelerator") if c in done]
    same_network = done[arch_cols].apply(lambda r: "|".join(map(str, r)), axis=1)
    spread = done.groupby(same_network)["energy_uj"].agg(np.ptp)
    if training and len(spread) and float(spread.max()) == 0.0:
        lines.append(
            f"**{', '.join(training)}** change the training, not the network: students with the "
            "same architecture have the same energy, so these only move accuracy."
        )
    return lines


def _pruned_facts(trials: pd.DataFrame, done: pd.DataFrame, searched: Sequence[str]) -> list[str]:
    """What set the pruned (hopeless) trials apart: the searched key whose median moved most."""
    pruned = trials[
        trials["state"].eq("pruned")
        & trials["prune_reason"].fillna("").astype(str).str.contains("accuracy")
    ]
    best = None
    for key in searched:
        if key not in trials:
            continue
        everything = pd.to_numeric(trials[key], errors="coerce")
        a, b = (
            pd.to_numeric(pruned[key], errors="coerce"),
            pd.to_numeric(done[key], errors="coerce"),
        )
        spread = everything.max() - everything.min()
        if a.notna().sum() == 0 or b.notna().sum() == 0 or not spread > 0:
            continue
        shift = (a.median() - b.median()) / spread
        if best is None or abs(shift) > abs(best[1]):
            best = (key, shift, a.median(), b.median())
    if best is None or abs(best[1]) < 0.25:
        return []
    key, _, in_pruned, in_done = best
    return [
        f"**Pruned runs** ({len(pruned)}, stopped for low accuracy) had median "
        f"{LABELS.get(key, key)} = {_fmt(in_pruned)}, against {_fmt(in_done)} for complete ones."
    ]


def _spearman(x: pd.Series, y: pd.Series) -> float:
    both = pd.concat([x.astype(float), y.astype(float)], axis=1).dropna()
    if len(both) < 2 or both.iloc[:, 0].nunique() < 2 or both.iloc[:, 1].nunique() < 2:
        return 0.0
    return float(both.corr(method="spearman").to_numpy()[0, 1])  # pandas' own ranks: no SciPy


def _trend(rho: float) -> str:
    if abs(rho) >= 0.5:
        return "rises" if rho > 0 else "falls"
    if abs(rho) >= 0.2:
        return "tends to rise" if rho > 0 else "tends to fall"
    return "shows no clear trend"


def _first_width(widths) -> float | None:
    if widths is None or (isinstance(widths, float) and np.isnan(widths)):
        return None
    values = json.loads(widths) if isinstance(widths, str) else widths
    return float(values[0])


def _label(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_numeric(column: pd.Series) -> bool:
    return bool(pd.to_numeric(column, errors="coerce").notna().all())


def _fmt(value: float) -> str:
    return f"{value:.3g}"
