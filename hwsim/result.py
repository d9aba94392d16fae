"""The result of evaluating one mapping: counts, energies, and their exports.

`Evaluation.to_dict` gives the JSON shape consumers parse (``hwsim model --json``)::

    {"engine": str, "computes": int, "energy_pj": float,
     "cycles": int, "compute_cycles": int,
     "level_cycles": {LEVEL: {"cycles": int, "throttling": float}},
     "levels": {LEVEL: {DATASPACE: {"reads": int, "fills": int, "updates": int, "energy_pj": float}}}}

``cycles`` is Timeloop's: compute cycles slowed by the slowest level's bandwidth throttling,
plus network fill/drain latency (`hwsim.analytical.cycles`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwsim.analytical.cycles import Cycles
from hwsim.counts import AccessCounts

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Evaluation:
    """Counts of one mapped problem, priced.

    Attributes:
        counts: the engine's access counts.
        energy_pj: storage level → data space → energy (pJ).
        compute_energy_pj: energy of all computes.
        energy_table: name of the table that priced them.
        timing: Timeloop's cycles of the counts (total, compute, per level).
    """

    counts: AccessCounts
    energy_pj: Mapping[str, Mapping[str, float]]
    compute_energy_pj: float
    energy_table: str
    timing: Cycles

    @property
    def cycles(self) -> int:
        """Timeloop's cycles (bandwidth throttling and network latency included)."""
        return self.timing.total

    @property
    def engine(self) -> str:
        return self.counts.engine

    @property
    def computes(self) -> int:
        return self.counts.computes

    @property
    def total_energy_pj(self) -> float:
        return self.compute_energy_pj + sum(
            sum(spaces.values()) for spaces in self.energy_pj.values()
        )

    def level_energy_pj(self, level: str) -> float:
        return sum(self.energy_pj[level].values())

    @property
    def energy_per_compute_pj(self) -> float:
        return self.total_energy_pj / self.computes if self.computes else 0.0

    # ------------------------------------------------------------------------ exports
    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape (see module docstring)."""
        return {
            "engine": self.engine,
            "computes": self.computes,
            "energy_pj": self.total_energy_pj,
            "cycles": self.cycles,
            "compute_cycles": self.timing.compute,
            "level_cycles": {
                level: {"cycles": cycles, "throttling": throttling}
                for level, (cycles, throttling) in self.timing.levels.items()
            },
            "levels": {
                level: {
                    ds: {
                        "reads": c.reads,
                        "fills": c.fills,
                        "updates": c.updates,
                        "energy_pj": self.energy_pj[level][ds],
                    }
                    for ds, c in spaces.items()
                }
                for level, spaces in self.counts.levels.items()
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per (level, data space) plus a row for the compute level."""
        import pandas as pd

        frame = self.counts.to_dataframe()
        frame["energy_pj"] = [
            self.energy_pj[level][ds]
            for level, ds in zip(frame["level"], frame["data_space"], strict=True)
        ]
        compute = pd.DataFrame(
            [
                {
                    "level": self.counts.compute_level,
                    "data_space": "(compute)",
                    "reads": 0,
                    "fills": 0,
                    "updates": 0,
                    "tile_size": 0,
                    "partition_size": 0,
                    "instances": self.counts.compute_instances,
                    "computes": self.computes,
                    "energy_pj": self.compute_energy_pj,
                }
            ]
        )
        return pd.concat([frame, compute], ignore_index=True)

    def format_table(self) -> str:
        """A plain-text table: per level and data space, reads, fills, updates and energy."""
        header = f"{'level':<14}{'data space':<12}{'reads':>12}{'fills':>12}{'updates':>12}{'energy (pJ)':>16}"
        lines = [
            f"engine: {self.engine}   energy table: {self.energy_table}",
            header,
            "-" * len(header),
        ]
        for level, spaces in self.counts.levels.items():
            for ds, c in spaces.items():
                if not c.kept:
                    continue
                lines.append(
                    f"{level:<14}{ds:<12}{c.reads:>12,}{c.fills:>12,}{c.updates:>12,}{self.energy_pj[level][ds]:>16,.2f}"
                )
        lines.append(
            f"{self.counts.compute_level:<14}{'computes':<12}{self.computes:>12,}{'':>12}{'':>12}{self.compute_energy_pj:>16,.2f}"
        )
        lines.append("-" * len(header))
        lines.append(f"{'total':<62}{self.total_energy_pj:>16,.2f}")
        lines.append(f"{'energy per compute (pJ)':<62}{self.energy_per_compute_pj:>16,.3f}")
        lines.append(f"{'cycles':<62}{self.cycles:>16,}")
        lines += [
            f"  {level} bandwidth throttling {throttling:.2f}: {cycles:,} cycles"
            for level, (cycles, throttling) in self.timing.levels.items()
            if throttling < 1
        ]
        lines += [f"note: {n}" for n in self.counts.notes]
        return "\n".join(lines)

    def plot(self, path: str | Path, title: str | None = None) -> Path:
        """Stacked bar chart of energy per level, split by data space; returns the PNG path."""
        from hwsim.plotting import new_figure, save_figure

        levels = [*list(self.counts.levels), self.counts.compute_level]
        spaces = sorted({ds for s in self.energy_pj.values() for ds in s})
        fig, ax = new_figure(figsize=(7, 4))
        bottom = [0.0] * len(levels)
        for ds in spaces:
            values = [self.energy_pj.get(level, {}).get(ds, 0.0) for level in levels]
            ax.bar(levels, values, bottom=bottom, label=ds)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.bar([self.counts.compute_level], [self.compute_energy_pj], label="compute", color="0.5")
        ax.set_ylabel("energy (pJ)")
        ax.set_title(title or f"{self.engine}: {self.total_energy_pj:,.0f} pJ")
        ax.legend()
        return save_figure(fig, path, dpi=120)
