"""The trace simulator: walk the loop nest and move tiles through the hierarchy.

Buffer policy (the assignment's): each storage level holds the current tile of each data space it
keeps. When the loops above a level advance, the level's tile moves; elements of the new tile
that are not resident are fetched from the next level out that keeps the data space, and
elements that leave are dropped (read-only data) or written back (partial sums). A compute
reads its operands from the innermost keeping level; it reads an output before accumulating
only if that output already holds a partial sum. At the end every level writes its partial
sums back outward. The outermost keeping level is the backing store and holds every element.

Two walks implement the same policy:

- ``stepwise``: one compute at a time, in loop order, with explicit `BufferState` bitmaps and a
  partial-sum flag per output element. It is the readable reference; use it on small problems.
- ``vectorized`` (default): the same tile moves, computed for all epochs of a level at once. The
  tile of a level is one set of elements shifted by an offset per epoch (projections are
  linear), so every move is a set difference between the tile and its shifted self; the walk
  enumerates every epoch's offset and evaluates each distinct shift once against the tile's
  element bitmap. Every element enters each of its levels a first time when first touched, so
  partial-sum re-fetches are the entries beyond the first.

Neither walk uses Timeloop's heuristics: a tile keeps whatever it still overlaps, even across an
outer-loop boundary where a relevant loop resets. `hwsim.analytical` with ``reuse="retain"``
computes the same counts in closed form; with ``reuse="timeloop"`` it follows Timeloop.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from hwsim.analytical.capacity import check_capacity
from hwsim.counts import AccessCounts, DataSpaceCounts
from hwsim.errors import SpecError
from hwsim.nest import LoopNest
from hwsim.trace.buffer_state import BufferState
from hwsim.trace.counters import Counters
from hwsim.trace.hierarchy import Hierarchy
from hwsim.trace.memory import check_memory
from hwsim.trace.tiles import ElementNumbering, epoch_offsets, tile_ids

Mode = Literal["vectorized", "stepwise"]


class TraceSimulator:
    """Simulates one mapped problem (see module docstring).

    Attributes:
        nest: the problem mapped onto the architecture.
        hierarchy: which levels keep which data space.
        numbering: per data space, the element numbering.
    """

    def __init__(self, nest: LoopNest):
        if nest.has_spatial:
            raise SpecError(
                "the trace engine walks temporal loop nests only; use --engine analytical for spatial mappings",
                file=nest.mapping.file,
                field="mapping",
            )
        self.nest = nest
        self.hierarchy = Hierarchy.of(nest)
        self.numbering = {ds: ElementNumbering.of(nest, ds) for ds in nest.problem.data_space_names}
        self._tiles: dict[tuple[str, int], np.ndarray] = {}

    # ------------------------------------------------------------------------------ shared
    def _tile(self, ds: str, level: int) -> np.ndarray:
        key = (ds, level)
        if key not in self._tiles:
            self._tiles[key] = tile_ids(self.numbering[ds], self.nest.tile_extents(level))
        return self._tiles[key]

    def _touched(self, ds: str) -> int:
        """Distinct elements of `ds` the whole run touches (the outermost level's tile)."""
        return len(self._tile(ds, self.nest.num_levels - 1))

    def _result(self, counters: Counters, mode: str) -> AccessCounts:
        nest = self.nest
        levels: dict[str, dict[str, DataSpaceCounts]] = {
            name: {} for name in reversed(nest.level_names)
        }
        for ds in nest.problem.data_space_names:
            touched = self._touched(ds)
            kept = self.hierarchy.kept[ds]
            for s, name in enumerate(nest.level_names):
                size = len(self._tile(ds, s)) if s in kept else 0
                levels[name][ds] = counters.freeze(s, ds, size, touched if size else 0)
        return AccessCounts(
            engine=f"trace[{mode}]",
            computes=nest.computes,
            levels=levels,
            compute_level=nest.architecture.compute.name,
            compute_instances=1,
            cycles=nest.computes,
            notes=nest.mapping.warnings,
        )

    # -------------------------------------------------------------------------- vectorized
    def _entries(self, ds: str, level: int) -> int:
        """Elements entering `level` over the run (every epoch's tile move, exactly)."""
        tile = self._tile(ds, level)
        offsets = epoch_offsets(self.nest, self.numbering[ds], level)
        moves, counts = np.unique(offsets[:-1] - offsets[1:], return_counts=True)
        mask = np.zeros(int(tile[-1]) + 1, dtype=bool)
        mask[tile] = True
        entries = len(tile)
        for move, count in zip(moves.tolist(), counts.tolist(), strict=True):
            d = abs(move)
            shared = (
                len(tile)
                if d == 0
                else (int(np.count_nonzero(mask[d:] & mask[:-d])) if d < len(mask) else 0)
            )
            entries += count * (len(tile) - shared)
        return entries

    def run_vectorized(self) -> AccessCounts:
        counters = Counters()
        computes = self.nest.computes
        for ds in self.nest.problem.data_spaces:
            name, rw = ds.name, ds.read_write
            touched = self._touched(name)
            inner = self.hierarchy.innermost(name)
            if rw:
                counters.update(inner, name, computes)
                counters.read(inner, name, computes - touched)
            else:
                counters.read(inner, name, computes)
            for level in self.hierarchy.kept[name][:-1]:
                parent = self.hierarchy.parent(name, level)
                entries = self._entries(name, level)
                refetched = entries - touched if rw else entries
                counters.fill(level, name, refetched)
                counters.read(parent, name, refetched)
                if rw:
                    counters.update(parent, name, entries)
        return self._result(counters, "vectorized")

    # ---------------------------------------------------------------------------- stepwise
    def run_stepwise(self) -> AccessCounts:
        nest, hier = self.nest, self.hierarchy
        counters = Counters()
        spaces = nest.problem.data_spaces
        volume = [
            int(np.prod([loop.bound for loop in nest.loops[: nest.prefix[s]]]))
            for s in range(nest.num_levels)
        ]
        tiles = {(ds.name, s): self._tile(ds.name, s) for ds in spaces for s in hier.kept[ds.name]}
        offsets = {
            (ds.name, s): epoch_offsets(nest, self.numbering[ds.name], s)
            for ds in spaces
            for s in hier.kept[ds.name]
        }
        state = {
            (ds.name, s): BufferState(
                self.numbering[ds.name].span, holds_everything=s == hier.backing_store(ds.name)
            )
            for ds in spaces
            for s in hier.kept[ds.name]
        }
        partial = {
            ds.name: np.zeros(self.numbering[ds.name].span, dtype=bool)
            for ds in spaces
            if ds.read_write
        }
        # Element each compute touches: the sum of its loop indices' id strides.
        strides = {}
        for ds in spaces:
            ext = dict.fromkeys(nest.problem.dimensions, 1)
            w = []
            for loop in nest.loops:
                w.append(self.numbering[ds.name].weight(loop.dimension) * ext[loop.dimension])
                ext[loop.dimension] *= loop.bound
            strides[ds.name] = w
        index = [0] * len(nest.loops)
        element = dict.fromkeys(strides, 0)

        for k in range(nest.computes):
            for ds in spaces:
                name = ds.name
                kept = hier.kept[name]
                moved: dict[int, np.ndarray] = {}
                for s in kept:  # inner to outer: tiles move, partial sums are written back
                    if k % volume[s]:
                        continue
                    tile = tiles[name, s] + offsets[name, s][k // volume[s]]
                    entered, left = state[name, s].move_to(tile)
                    moved[s] = entered
                    if ds.read_write and len(left):
                        counters.update(hier.parent(name, s), name, len(left))
                for s in reversed(kept):  # outer to inner: missing elements are fetched
                    if s not in moved or state[name, s].holds_everything:
                        continue
                    entered = moved[s]
                    n = int(partial[name][entered].sum()) if ds.read_write else len(entered)
                    counters.read(hier.parent(name, s), name, n)
                    counters.fill(s, name, n)
                inner = kept[0]
                e = element[name]
                if ds.read_write:
                    if partial[name][e]:
                        counters.read(inner, name)
                    counters.update(inner, name)
                    partial[name][e] = True
                else:
                    counters.read(inner, name)
            # advance the loop counters (innermost fastest) and the touched elements
            for j, loop in enumerate(nest.loops):
                index[j] += 1
                for name in element:
                    element[name] += strides[name][j]
                if index[j] < loop.bound:
                    break
                for name in element:
                    element[name] -= strides[name][j] * loop.bound
                index[j] = 0
        for ds in spaces:  # final write-back of partial sums, inner to outer
            if not ds.read_write:
                continue
            for s in hier.kept[ds.name][:-1]:
                counters.update(hier.parent(ds.name, s), ds.name, len(state[ds.name, s].contents()))
        return self._result(counters, "stepwise")


def simulate(nest: LoopNest, *, mode: Mode = "vectorized", capacity: bool = True) -> AccessCounts:
    """Run the trace simulator (``mode`` ``"vectorized"`` or ``"stepwise"``)."""
    if capacity:
        check_capacity(nest)
    check_memory(nest)
    sim = TraceSimulator(nest)
    if mode == "vectorized":
        return sim.run_vectorized()
    if mode == "stepwise":
        return sim.run_stepwise()
    raise SpecError(f"unknown trace mode {mode!r}; choose 'vectorized' or 'stepwise'")
