"""What a mapper backend is asked to map: one `MappingTask`, the same for every backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hwsim.energy.table import EnergyTable
from hwsim.evaluate import evaluate
from hwsim.mapper.constraints import MapspaceConstraints
from hwsim.mapper.search import MapperSettings
from hwsim.spec.architecture import Architecture
from hwsim.spec.problem import Problem


@dataclass(frozen=True)
class MappingTask:
    """What to map: the specs, the constraints, how to price, how to search.

    Attributes:
        files: the original YAML files, for backends that run external tools.
    """

    problem: Problem
    architecture: Architecture
    constraints: MapspaceConstraints
    table: EnergyTable
    settings: MapperSettings
    files: tuple[Path, ...] = ()

    def evaluate(self, mapping):
        """hwsim's counts and energy of `mapping` for this task (the same for every backend)."""
        return evaluate(
            self.problem,
            self.architecture,
            mapping,
            energy=self.table,
            timeloop_version=self.settings.timeloop_version,
        )
