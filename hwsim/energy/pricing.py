"""Pricing counts with an energy table, the way Timeloop does.

A storage level is accessed a vector (``block_size`` words) at a time: per instance, each
action's scalar count is rounded up to whole vectors (the engine's
`hwsim.analytical.kernel.vector_accesses`, which the batch evaluator applies too), and every vector access costs the table's
energy for that action. Reads cost ``read``; fills cost ``fill`` (else ``write``); updates cost
``update`` (else ``write``). Each compute costs ``compute`` (else ``mac_random``). Pass-through
spatial levels hold no data and cost nothing. The result also carries Timeloop's cycles of the
counts (`hwsim.analytical.cycles`).
"""

from __future__ import annotations

from hwsim.analytical.cycles import counts_cycles
from hwsim.analytical.kernel import vector_accesses
from hwsim.counts import AccessCounts
from hwsim.energy.table import EnergyTable
from hwsim.result import Evaluation
from hwsim.spec.architecture import Architecture


def price(counts: AccessCounts, arch: Architecture, table: EnergyTable) -> Evaluation:
    """Attach energies to `counts`; a component missing from `table` is a `SpecError`."""
    energies: dict[str, dict[str, float]] = {}
    for level_name, spaces in counts.levels.items():
        level = arch.storage_level(level_name)
        energies[level_name] = {}
        for ds, c in spaces.items():
            if level.pass_through or not (c.reads or c.fills or c.updates):
                energies[level_name][ds] = 0.0
                continue
            total = 0.0
            for action, n in (("read", c.reads), ("fill", c.fills), ("update", c.updates)):
                if n:
                    per_access = table.energy(level.name, action, level.class_name)
                    total += vector_accesses(n, c.instances, level.block_size) * per_access
            energies[level_name][ds] = total
    compute = arch.compute
    compute_energy = counts.computes * table.energy(compute.name, "compute", compute.class_name)
    return Evaluation(
        counts=counts,
        energy_pj=energies,
        compute_energy_pj=compute_energy,
        energy_table=table.name,
        timing=counts_cycles(counts, arch),
    )
