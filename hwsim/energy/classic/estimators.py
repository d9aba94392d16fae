"""Which classic plug-in prices a primitive action, and what it answers.

Classic Accelergy asks every installed estimation plug-in how accurate it would be for a
(class, attributes, action, arguments) request and takes the most accurate; on a tie the first
one asked wins. The plug-ins of the course's toolchain, in the order Accelergy 0.3 found them:
the CACTI plug-in (SRAM 70, DRAM 95), the Aladdin tables (70 for what they cover), and
Accelergy's own ``dummy_table`` (0.1 for anything: 1 pJ per action, 0 for ``idle``). An answer
from ``dummy_table`` is a placeholder, not an estimate: `PrimitiveEstimate.placeholder` says
so, and `placeholder_reason` explains why no real plug-in took the request.

Every primitive estimate is rounded to Accelergy's precision (5 decimals) before it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwsim.energy.classic import aladdin, cacti_plugin
from hwsim.energy.classic.cacti_plugin import RowSource

#: Decimal places of every energy classic Accelergy writes (its default ``precision``).
PRECISION = 5

CACTI = "Cacti"
ALADDIN = "Aladdin_table"
DUMMY = "dummy_table"
DUMMY_ACCURACY = 0.1


@dataclass(frozen=True)
class PrimitiveEstimate:
    """One primitive action priced: energy (pJ, rounded) and the estimator that priced it."""

    energy_pj: float
    estimator: str

    @property
    def placeholder(self) -> bool:
        return self.estimator == DUMMY


def estimate(
    class_name: str,
    attributes: Mapping[str, Any],
    action: str,
    arguments: Mapping[str, Any] | None,
    rows: RowSource,
) -> PrimitiveEstimate:
    """Price one primitive action as classic Accelergy would (first most-accurate plug-in)."""
    candidates = (
        (CACTI, cacti_plugin.accuracy(class_name, attributes, action)),
        (ALADDIN, aladdin.accuracy(class_name, attributes)),
        (DUMMY, DUMMY_ACCURACY),
    )
    best, best_accuracy = DUMMY, 0.0
    for name, accuracy in candidates:
        if accuracy > best_accuracy:
            best, best_accuracy = name, accuracy
    if best == CACTI:
        if class_name == "DRAM":
            energy = cacti_plugin.dram_energy(attributes, action)
        else:
            energy = cacti_plugin.sram_energy(attributes, action, arguments, rows)
    elif best == ALADDIN:
        energy = aladdin.energy(class_name, attributes, action, arguments)
    else:
        energy = _dummy(class_name, attributes, action)
    return PrimitiveEstimate(round(energy, PRECISION), best)


def _dummy(class_name: str, attributes: Mapping[str, Any], action: str) -> float:
    if action == "idle":
        return 0
    if class_name == "SRAM" and attributes.get("depth") == 0:
        return 0
    return 1


def placeholder_reason(class_name: str, attributes: Mapping[str, Any]) -> str:
    """Why no real plug-in priced a component of `class_name` with these attributes."""
    node = attributes.get("technology")
    if class_name == "SRAM":
        return (
            f"technology {node}: CACTI takes SRAMs of at least 64 bytes at 22-180 nm, the Aladdin "
            "tables SRAMs of at most 128 x 32 bits at 40/45 nm"
        )
    if class_name == "DRAM":
        return (
            f"DRAM type {attributes.get('type')!r}: the CACTI plug-in's table has "
            f"{', '.join(cacti_plugin.DRAM_PJ_PER_BIT)}"
        )
    if class_name in aladdin.SUPPORTED_CLASSES:
        return f"technology {node}: the Aladdin tables cover only 40 nm and 45 nm"
    return f"no classic plug-in prices class {class_name!r}"
