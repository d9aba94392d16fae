"""Cycles as Timeloop computes them: the compute cycles, slowed by each level's bandwidth.

The one home of the rule; the batch evaluator applies it to every row (so `analyze`, the mapper's
``delay``/``edp`` objectives and ``hwsim model`` all get it from here), and `counts_cycles`
applies it to any engine's `AccessCounts`. Timeloop's rule (``BufferLevel::ComputePerformance``
and ``Topology``; the same in v3.0 and master), per storage level:

1. Demand, per data space: the scalar reads and the scalar writes (fills + updates) of one
   utilized instance, each divided by the compute cycles (temporal iterations: one compute per
   unit per cycle). Read and write demand are summed over data spaces, in problem order.
   (Timeloop divides the per-instance counts by X·Y expansion / average replication first: 1
   whenever the factors divide the dimensions, as they do here.)
2. Throttling: ``min(1, read_bandwidth / read demand, write_bandwidth / write demand,
   shared_bandwidth / (read + write demand))`` over the limits the level specifies and exceeds.
3. The level's cycles: ``ceil(compute cycles / throttling)``.

The run takes the slowest level, plus every storage level's ``network_fill_latency`` and
``network_drain_latency`` (Timeloop adds them once, for its inferred networks). Timeloop's
arithmetic is reproduced operation by operation in float64, so the ceilings agree exactly.
Not modelled: master's ``per_dataspace_bandwidth_consumption_scale`` and its layout-based bank
conflicts (both off unless configured), sparse formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hwsim.counts import AccessCounts
from hwsim.spec.architecture import Architecture


@dataclass(frozen=True)
class Throttled:
    """Cycles of a batch of rows (see module docstring).

    Attributes:
        cycles: (rows,) the run's cycles: slowest level plus network latency.
        level_cycles: (rows, levels) each storage level's cycles.
        throttling: (rows, levels) each level's bandwidth throttling (1: not limiting).
    """

    cycles: np.ndarray
    level_cycles: np.ndarray
    throttling: np.ndarray


def bandwidth_limits(arch: Architecture, level_names: tuple[str, ...]) -> np.ndarray:
    """(levels, 3) read, write and shared words per cycle per instance; ``inf`` where none."""
    return np.array(
        [
            [np.inf if b is None else float(b) for b in arch.storage_level(name).bandwidths]
            for name in level_names
        ],
        dtype=np.float64,
    ).reshape(len(level_names), 3)


def network_latency(arch: Architecture) -> int:
    """Cycles Timeloop adds once for the networks' fill and drain."""
    return sum(level.network_latency for level in arch.storage)


def throttle(
    reads: np.ndarray,
    fills: np.ndarray,
    updates: np.ndarray,
    instances: np.ndarray,
    compute_cycles: np.ndarray,
    limits: np.ndarray,
    latency: int = 0,
) -> Throttled:
    """Timeloop's cycles of every row.

    Args:
        reads, fills, updates: (rows, levels, data spaces) totals over utilized instances.
        instances: (rows, levels) utilized instances.
        compute_cycles: (rows,) temporal iterations.
        limits: `bandwidth_limits`; latency: `network_latency`.
    """
    rows, levels, spaces = reads.shape
    compute = compute_cycles.astype(np.float64)[:, None]
    throttling = np.ones((rows, levels))
    limited = np.flatnonzero(np.isfinite(limits).any(axis=1))  # only these can throttle
    if len(limited):
        per_instance = np.maximum(instances[:, limited], 1).astype(np.float64)
        read_demand = np.zeros((rows, len(limited)))
        write_demand = np.zeros((rows, len(limited)))
        for k in range(spaces):  # in problem order, as Timeloop accumulates them
            read_demand = read_demand + (reads[:, limited, k] / per_instance) / compute
            written = (fills[:, limited, k] + updates[:, limited, k]) / per_instance
            write_demand = write_demand + written / compute
        worst = np.ones((rows, len(limited)))
        for j, demand in enumerate((read_demand, write_demand, write_demand + read_demand)):
            limit = limits[limited, j]
            over = demand > limit
            if over.any():
                ratio = limit / np.where(over, demand, 1.0)
                worst = np.where(over, np.minimum(worst, ratio), worst)
        throttling[:, limited] = worst
    level_cycles = np.ceil(compute / throttling).astype(np.int64)
    slowest = np.maximum(compute_cycles.astype(np.int64), level_cycles.max(axis=1, initial=0))
    return Throttled(slowest + latency, level_cycles, throttling)


@dataclass(frozen=True)
class Cycles:
    """Cycles of one mapping.

    Attributes:
        total: the run's cycles (Timeloop's ``Cycles``).
        compute: temporal iterations (one compute per unit per cycle).
        levels: storage level → (its cycles, its bandwidth throttling), outermost first.
        network_latency: cycles added for network fill and drain.
    """

    total: int
    compute: int
    levels: Mapping[str, tuple[int, float]]
    network_latency: int = 0


def counts_cycles(counts: AccessCounts, arch: Architecture) -> Cycles:
    """Timeloop's cycles for `counts` (any engine's) on `arch`."""
    names = tuple(counts.levels)
    spaces = list(dict.fromkeys(ds for level in counts.levels.values() for ds in level))
    order = {ds: k for k, ds in enumerate(spaces)}
    shape = (1, len(names), len(spaces))
    reads, fills, updates = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    instances = np.ones((1, len(names)), dtype=np.int64)
    for s, name in enumerate(names):
        for ds, c in counts.levels[name].items():
            k = order[ds]
            reads[0, s, k], fills[0, s, k], updates[0, s, k] = c.reads, c.fills, c.updates
            if c.instances:
                instances[0, s] = c.instances
    latency = network_latency(arch)
    result = throttle(
        reads,
        fills,
        updates,
        instances,
        np.array([counts.cycles], dtype=np.int64),
        bandwidth_limits(arch, names),
        latency,
    )
    return Cycles(
        total=int(result.cycles[0]),
        compute=counts.cycles,
        levels={
            name: (int(result.level_cycles[0, s]), float(result.throttling[0, s]))
            for s, name in enumerate(names)
        },
        network_latency=latency,
    )
