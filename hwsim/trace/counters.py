"""Accumulators for reads, fills and updates per level and data space."""

from __future__ import annotations

from collections import defaultdict

from hwsim.counts import DataSpaceCounts


class Counters:
    """Mutable tallies a simulation adds to; `freeze` turns them into `DataSpaceCounts`."""

    def __init__(self) -> None:
        self.reads: defaultdict[tuple[int, str], int] = defaultdict(int)
        self.fills: defaultdict[tuple[int, str], int] = defaultdict(int)
        self.updates: defaultdict[tuple[int, str], int] = defaultdict(int)

    def read(self, level: int, ds: str, n: int = 1) -> None:
        self.reads[level, ds] += int(n)

    def fill(self, level: int, ds: str, n: int = 1) -> None:
        self.fills[level, ds] += int(n)

    def update(self, level: int, ds: str, n: int = 1) -> None:
        self.updates[level, ds] += int(n)

    def freeze(self, level: int, ds: str, tile_size: int, partition_size: int) -> DataSpaceCounts:
        return DataSpaceCounts(
            reads=self.reads[level, ds],
            fills=self.fills[level, ds],
            updates=self.updates[level, ds],
            tile_size=tile_size,
            partition_size=partition_size,
            instances=1 if tile_size else 0,
        )
