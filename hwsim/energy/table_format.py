"""An `EnergyTable` as an aligned text table, for people.

One row per component: its class, pJ per access for the common actions (read, write, compute),
any other actions, leakage per cycle, area per instance and the model; notes follow as numbered
footnotes so the table stays narrow.
"""

from __future__ import annotations

from collections.abc import Mapping

from hwsim.energy.table import EnergyTable

MAIN_ACTIONS = ("read", "write", "compute", "leak")
HIDDEN_ACTIONS = {"idle"}  # a compound's idle equals its leak column


def _pj(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    return f"{value:.4g}" if value < 1e5 else f"{value:.4e}"


def format_energy_table(
    table: EnergyTable, classes: Mapping[str, str] | None = None, *, title: str = ""
) -> str:
    """Text rendering of `table`; `classes` maps component → class for the class column."""
    classes = classes or {}
    header = [
        "component",
        "class",
        "read pJ",
        "write pJ",
        "compute pJ",
        "leak pJ/cycle",
        "other actions (pJ)",
        "area µm²",
        "model",
    ]
    rows: list[list[str]] = []
    notes: list[str] = []
    for name, entry in table.entries.items():
        others = ", ".join(
            f"{a} {_pj(v)}"
            for a, v in entry.actions.items()
            if a not in MAIN_ACTIONS and a not in HIDDEN_ACTIONS
        )
        model = entry.source
        if entry.notes:
            notes.append(entry.notes)
            model = f"{model} [{len(notes)}]"
        rows.append(
            [
                name,
                classes.get(name, ""),
                *(_pj(entry.energy(a)) for a in MAIN_ACTIONS),
                others or "-",
                "-" if entry.area_um2 is None else f"{entry.area_um2:,.0f}",
                model,
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 7}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [title] if title else []
    out += [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    if notes:
        out.append("")
        out += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(out)
