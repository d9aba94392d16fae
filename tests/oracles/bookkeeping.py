"""Oracle (tests only), in exact fractions. Timeloop's bookkeeping: from per-level traffic to reads, fills and updates per instance.

This follows the steps of Timeloop's ``CollapseTiles`` (``loop-analysis/tiling.cpp``):

1. **Accesses.** A level is read once per distinct delta it sends to its fanout (per multicast
   factor ``c``, from `hwsim.analytical.traffic`).
2. **Partitions.** The outermost level's partition is its tile; going inward a partition is
   split among a spatial fanout in proportion ``tile / union of the fanout's tiles``.
3. **Parent share.** What a level is filled with per instance: the parent's deliveries times
   their multicast factors, spread over the parent's fanout.
4. **Bypass.** A level that does not keep the data space hands its accesses to the next level out:
   that level's multicast histogram is rescaled so its weighted accesses equal the bypassed
   level's accesses times its fanout.
5. **Backing store.** The outermost keeping level is never filled.
6. **Link transfers.** Deltas an instance took from a neighbour are read and filled once more
   by the level that received them ("peer" accesses; Timeloop divides the count by the level's
   utilized instances).
7. **Read-write data.** Every access is an update; the first update of each element of a
   partition needs no read: reads = accesses − partition size. An inner level's fills exclude
   the first arrival of each element too (Timeloop ``e1d76d6`` did not subtract it).

All arithmetic is exact (fractions); counts are rounded to integers at the end, like Timeloop.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor

from oracles.traffic import LevelTraffic


def round_half_up(x: Fraction) -> int:
    """C++ ``std::round`` for the non-negative counts Timeloop rounds."""
    return floor(x + Fraction(1, 2))


@dataclass(frozen=True)
class LevelCounts:
    """Per-instance counts of one data space at one level after bookkeeping."""

    reads: int
    fills: int
    updates: int
    size: int
    partition: int
    #: accesses per multicast factor (after bypass rescaling), for network statistics.
    accesses_by_multicast: dict[int, Fraction]


def bookkeeping(
    traffic: list[LevelTraffic],
    keep: tuple[bool, ...],
    *,
    read_write: bool,
    subtract_first_fill: bool = True,
) -> list[LevelCounts]:
    levels = len(traffic)
    size = [t.size for t in traffic]
    hist = [{c: Fraction(n) for c, n in t.accesses.items()} for t in traffic]
    content = [sum(h.values(), Fraction(0)) for h in hist]
    # What the parent sends each instance: its deliveries times their multicast factors, spread
    # over its fanout (computed before bypassing, as Timeloop does).
    share = [
        sum((c * v for c, v in hist[s + 1].items()), Fraction(0)) / traffic[s + 1].fanout
        if s + 1 < levels
        else Fraction(0)
        for s in range(levels)
    ]
    links = [Fraction(t.link_transfers) for t in traffic]

    partition = [0] * levels
    partition[-1] = size[-1]
    for s in range(levels - 2, -1, -1):
        parent = traffic[s + 1]
        denominator = parent.union_size if parent.fanout > 1 else size[s]
        partition[s] = (
            partition[s + 1] * size[s] // denominator if denominator else partition[s + 1]
        )

    def erase(s: int) -> None:
        size[s] = partition[s] = 0
        content[s] = share[s] = Fraction(0)
        hist[s] = {}

    for cur in range(levels):
        if keep[cur] or size[cur] == 0:
            continue
        outer = next((o for o in range(cur + 1, levels) if size[o] > 0), None)
        if outer is None:
            erase(cur)
            break
        weighted = sum(c * v for c, v in hist[outer].items())
        if weighted:
            factor = content[cur] * traffic[outer].fanout / weighted
            hist[outer] = {c: v * factor for c, v in hist[outer].items()}
        content[outer] = sum(hist[outer].values(), Fraction(0))
        links[outer] = Fraction(0)  # the bypassed level's children now read the outer level
        erase(cur)
    for cur in reversed(range(levels)):
        if not keep[cur]:
            erase(cur)
            continue
        share[cur] = Fraction(0)
        break

    # Deltas taken from a neighbour: the receiving level reads and fills them once more.
    peer = [Fraction(0)] * levels
    for s in range(1, levels):
        if links[s] and size[s - 1]:
            peer[s - 1] = links[s] / traffic[s - 1].instances
    outermost = max((s for s in range(levels) if keep[s]), default=-1)
    out = []
    for s in range(levels):
        if not keep[s] or size[s] == 0:
            out.append(LevelCounts(0, 0, 0, 0, 0, {}))
            continue
        first = 0 if (s == outermost or not subtract_first_fill) else partition[s]
        if read_write:
            reads = content[s] + peer[s] - partition[s]
            fills = share[s] + peer[s] - first
            updates = content[s]
        else:
            reads, fills, updates = content[s] + peer[s], share[s] + peer[s], Fraction(0)
        out.append(
            LevelCounts(
                round_half_up(reads),
                round_half_up(fills),
                round_half_up(updates),
                size[s],
                partition[s],
                hist[s],
            )
        )
    return out
