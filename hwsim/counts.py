"""Access counts: what an engine produces before any energy is attached.

Counts follow Timeloop's definitions, totalled over all utilized instances of a level:

- ``reads``: scalar reads a level sends inward (to the next storage level or to the MACs);
- ``fills``: scalar writes arriving from the level outside;
- ``updates``: partial-sum writes arriving from inside (read-write data spaces only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class DataSpaceCounts:
    """Counts for one data space at one storage level.

    Attributes:
        reads, fills, updates: totals over utilized instances.
        tile_size: words of this data space one instance holds (its working set).
        partition_size: words of the whole tensor that one instance is responsible for.
        instances: utilized instances of the level.
    """

    reads: int = 0
    fills: int = 0
    updates: int = 0
    tile_size: int = 0
    partition_size: int = 0
    instances: int = 1

    @property
    def writes(self) -> int:
        """Fills plus updates."""
        return self.fills + self.updates

    @property
    def kept(self) -> bool:
        return self.tile_size > 0


@dataclass(frozen=True)
class AccessCounts:
    """Per-level, per-data-space counts plus compute operations.

    Attributes:
        engine: which engine produced them (``analytical`` or ``trace``) and its policy.
        computes: MAC operations.
        levels: storage level → data space → counts, outermost level first.
        compute_level: name of the compute level.
        compute_instances: utilized compute units.
        cycles: compute cycles, temporal iterations (one MAC per unit per cycle); Timeloop's
            cycles with bandwidth throttling are `hwsim.analytical.cycles.counts_cycles`.
        notes: remarks on how the counts were obtained.
    """

    engine: str
    computes: int
    levels: Mapping[str, Mapping[str, DataSpaceCounts]]
    compute_level: str = "MAC"
    compute_instances: int = 1
    cycles: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __getitem__(self, level: str) -> Mapping[str, DataSpaceCounts]:
        return self.levels[level]

    def to_dataframe(self) -> pd.DataFrame:
        """One row per (level, data space)."""
        import pandas as pd

        rows = [
            {
                "level": level,
                "data_space": ds,
                "reads": c.reads,
                "fills": c.fills,
                "updates": c.updates,
                "tile_size": c.tile_size,
                "partition_size": c.partition_size,
                "instances": c.instances,
            }
            for level, spaces in self.levels.items()
            for ds, c in spaces.items()
        ]
        return pd.DataFrame(rows)

    def level_totals(self, level: str) -> DataSpaceCounts:
        """Counts of one level summed over data spaces."""
        spaces = self.levels[level].values()
        return DataSpaceCounts(
            reads=sum(c.reads for c in spaces),
            fills=sum(c.fills for c in spaces),
            updates=sum(c.updates for c in spaces),
            tile_size=sum(c.tile_size for c in spaces),
        )
