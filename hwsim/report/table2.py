"""The assignment's Table 2: every mapping of a spec folder, from both engines side by side.

For each mapping: reads and writes (fills + updates) per storage level, compute uses and total
energy, from the analytical engine (Timeloop's rules) and the trace simulator. Where the two
differ, the report says which counts differ and why: Timeloop does not keep a tile's overlap
when the direction in which the tile moves changes (for instance when an inner loop that indexes
the data wraps around at an outer-loop boundary), while the trace's buffer keeps whatever it
still holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hwsim.course_material import q1_spec_dir
from hwsim.energy.sources import load_energy_table
from hwsim.energy.table import EnergyTable
from hwsim.errors import SpecError
from hwsim.evaluate import evaluate
from hwsim.result import Evaluation
from hwsim.spec.files import load_specs
from hwsim.spec.input_files import files_in_folder
from hwsim.spec.mapping import bind_mapping
from hwsim.spec.yaml_io import load_yaml_file


def default_spec_dir() -> Path:
    """The project's copy of the course's Q1 specs (`hwsim.course_material`)."""
    return q1_spec_dir()


@dataclass(frozen=True)
class Table2:
    """Evaluations of several mappings by two engines.

    Attributes:
        mappings: mapping names (file stems), in order.
        analytical, trace: mapping name → evaluation.
        levels: storage level names, outermost first.
        timeloop_version: the Timeloop rules the analytical engine followed.
    """

    mappings: tuple[str, ...]
    analytical: dict[str, Evaluation]
    trace: dict[str, Evaluation]
    levels: tuple[str, ...]
    timeloop_version: str

    def rows(self) -> list[dict[str, object]]:
        out = []
        for name in self.mappings:
            for engine, result in (
                ("analytical", self.analytical[name]),
                ("trace", self.trace[name]),
            ):
                row: dict[str, object] = {"mapping": name, "engine": engine}
                for level in self.levels:
                    totals = result.counts.level_totals(level)
                    row[f"{level} reads"] = totals.reads
                    row[f"{level} writes"] = totals.writes
                row["MAC uses"] = result.computes
                row["energy (pJ)"] = round(result.total_energy_pj, 2)
                out.append(row)
        return out

    def to_dataframe(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows())

    def differences(self, name: str) -> list[str]:
        """Human-readable lines for the counts where the engines disagree on one mapping."""
        a, t = self.analytical[name].counts, self.trace[name].counts
        lines = []
        for level in self.levels:
            for ds, ca in a.levels[level].items():
                ct = t.levels[level][ds]
                for field in ("reads", "fills", "updates"):
                    va, vt = getattr(ca, field), getattr(ct, field)
                    if va != vt:
                        lines.append(f"{level} {ds} {field}: Timeloop rules {va:,}, trace {vt:,}")
        return lines

    def to_markdown(self) -> str:
        frame = self.to_dataframe()
        header = "| " + " | ".join(frame.columns) + " |"
        rule = (
            "|"
            + "|".join("---" if c in ("mapping", "engine") else "---:" for c in frame.columns)
            + "|"
        )
        body = [
            "| "
            + " | ".join(
                f"{v:,}"
                if isinstance(v, int)
                else (f"{v:,.2f}" if isinstance(v, float) else str(v))
                for v in row
            )
            + " |"
            for row in frame.itertuples(index=False)
        ]
        lines = [
            "# Table 2: memory accesses and energy per mapping",
            "",
            f"Analytical engine: Timeloop's nest-analysis rules (version {self.timeloop_version}). "
            "Trace engine: walks the loop nest with buffers that keep their current tile. "
            "Writes are fills plus updates. Energies from the energy table "
            f"`{next(iter(self.analytical.values())).energy_table}`.",
            "",
            header,
            rule,
            *body,
            "",
            "## Where the engines differ, and why",
            "",
        ]
        any_diff = False
        for name in self.mappings:
            diffs = self.differences(name)
            if not diffs:
                continue
            any_diff = True
            lines.append(f"**{name}**")
            lines += [f"- {d}" for d in diffs]
            lines.append("")
        if any_diff:
            lines += [
                "Timeloop keeps the part of a tile that is still needed only while the tile keeps sliding "
                "in the same direction. When an inner loop that indexes the data wraps around (at the "
                "boundary of an outer loop), the tile jumps back, Timeloop treats the move as a new "
                "stride and re-fetches the whole tile. The trace's buffer keeps every element it still "
                "holds, so it re-fetches only what is missing: it can reuse across an outer-loop boundary.",
                "",
            ]
        else:
            lines.append("The two engines agree on every count.")
        return "\n".join(lines)

    def plot(self, path: str | Path) -> Path:
        """Grouped bar chart: per mapping, one stacked bar per engine (energy by level)."""
        import matplotlib
        import numpy as np

        from hwsim.plotting import new_figure, save_figure

        fig, ax = new_figure(figsize=(10, 4.5))
        x = np.arange(len(self.mappings))
        width = 0.38
        parts = [*self.levels, "compute"]
        colors = matplotlib.color_sequences["tab10"]
        for k, (engine, results) in enumerate(
            (("analytical", self.analytical), ("trace", self.trace))
        ):
            bottom = np.zeros(len(self.mappings))
            for i, part in enumerate(parts):
                values = np.array(
                    [
                        results[m].compute_energy_pj
                        if part == "compute"
                        else results[m].level_energy_pj(part)
                        for m in self.mappings
                    ]
                )
                ax.bar(
                    x + (k - 0.5) * width,
                    values,
                    width,
                    bottom=bottom,
                    color=colors[i % len(colors)],
                    alpha=1.0 if engine == "analytical" else 0.55,
                    edgecolor="black",
                    linewidth=0.4,
                    label=f"{part} ({engine})",
                )
                bottom += values
        ax.set_xticks(x, self.mappings, rotation=15)
        ax.set_ylabel("energy (pJ)")
        ax.set_title("Energy breakdown per mapping: analytical (solid) vs trace (light)")
        ax.legend(fontsize=7, ncol=2)
        return save_figure(fig, path, dpi=130)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``table2.md``, ``table2.csv`` and ``table2.png`` into `out_dir`."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        md, csv = out / "table2.md", out / "table2.csv"
        md.write_text(self.to_markdown())
        self.to_dataframe().to_csv(csv, index=False)
        return [md, csv, self.plot(out / "table2.png")]


def mapping_label(path: Path) -> str:
    """``1-ws.map.yaml`` → ``ws``; ``Q1_os-tiled.map2.yaml`` → ``os-tiled.map2``."""
    stem = path.name.removesuffix(".yaml").removesuffix(".map")
    return re.sub(r"^(\d+-|Q\d+_)", "", stem)


def _mapping_files(spec_dir: Path) -> tuple[list[Path], list[Path]]:
    specs, mappings = [], []
    for path in files_in_folder(spec_dir):
        document = load_yaml_file(path)
        if isinstance(document, dict) and "mapping" in document:
            mappings.append(path)
        else:
            specs.append(path)
    return specs, mappings


def build_table2(
    spec_dir: str | Path | None = None,
    *,
    energy: str | Path | EnergyTable = "table1",
    timeloop_version: str = "master",
) -> Table2:
    """Evaluate every mapping under `spec_dir` (default: the course Q1 specs) with both engines."""
    spec_dir = Path(spec_dir) if spec_dir else default_spec_dir()
    if not spec_dir.is_dir():
        raise SpecError("not a directory", file=str(spec_dir))
    spec_files, mapping_files = _mapping_files(spec_dir)
    if not mapping_files:
        raise SpecError(
            "no mapping files (YAML with a top-level 'mapping' key) found", file=str(spec_dir)
        )
    base = load_specs(spec_files)
    base.require("architecture", "problem")
    assert base.architecture is not None and base.problem is not None
    table = load_energy_table(
        energy, architecture=base.architecture, compound_components=base.compound_components
    )
    analytical, trace, names = {}, {}, []
    for path in mapping_files:
        name = mapping_label(path)
        names.append(name)
        mapping = load_specs([path]).mapping_document
        bound = bind_mapping(mapping, base.architecture, base.problem, file=str(path))
        analytical[name] = evaluate(
            base.problem, base.architecture, bound, energy=table, timeloop_version=timeloop_version
        )
        trace[name] = evaluate(base.problem, base.architecture, bound, energy=table, engine="trace")
    return Table2(
        tuple(names), analytical, trace, base.architecture.storage_names, timeloop_version
    )
