"""One call from specs to a priced result: `evaluate` and `evaluate_files`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from hwsim.analytical.model import Reuse, analyze
from hwsim.energy.pricing import price
from hwsim.energy.sources import HWCOMPONENTS_SOURCE, load_energy_table
from hwsim.energy.table import EnergyTable, named_table
from hwsim.errors import SpecError
from hwsim.nest import LoopNest
from hwsim.result import Evaluation
from hwsim.spec.architecture import Architecture
from hwsim.spec.files import load_specs
from hwsim.spec.mapping import Mapping, bind_mapping
from hwsim.spec.problem import Problem

Engine = Literal["analytical", "trace"]


def count(
    problem: Problem,
    architecture: Architecture,
    mapping: Mapping | Any,
    *,
    engine: Engine = "analytical",
    reuse: Reuse = "timeloop",
    timeloop_version: str = "master",
):
    """Access counts of a mapped problem (no energy). `mapping` may be raw Timeloop directives."""
    if not isinstance(mapping, Mapping):
        mapping = bind_mapping(mapping, architecture, problem)
    nest = LoopNest.build(problem, architecture, mapping)
    if engine == "analytical":
        return analyze(nest, reuse=reuse, timeloop_version=timeloop_version)
    if engine == "trace":
        from hwsim.trace.simulator import simulate  # loaded when asked for: not on a mapper's path

        return simulate(nest)
    raise SpecError(f"unknown engine {engine!r}; choose 'analytical' or 'trace'")


def evaluate(
    problem: Problem,
    architecture: Architecture,
    mapping: Mapping | Any,
    *,
    engine: Engine = "analytical",
    energy: str | Path | EnergyTable = "table1",
    reuse: Reuse = "timeloop",
    timeloop_version: str = "master",
    compound_components: Iterable[Any] = (),
) -> Evaluation:
    """Counts and energy of one mapping.

    Args:
        problem, architecture: the workload and the hardware.
        mapping: a bound `Mapping` or raw Timeloop mapping directives.
        engine: ``"analytical"`` (closed form) or ``"trace"`` (walks the nest).
        energy: a named table (``"table1"``), ``"hwcomponents"`` (component models of `architecture`),
            an ERT file, or an `EnergyTable` (pass one to price many mappings with one table).
        reuse: analytical reuse policy, ``"timeloop"`` or ``"retain"`` (the trace's policy).
        timeloop_version: ``"master"``, ``"v3.0"`` or ``"e1d76d6"`` (analytical, timeloop reuse).
        compound_components: raw ``compound_components`` documents, for ``energy="hwcomponents"``.
    """
    counts = count(
        problem,
        architecture,
        mapping,
        engine=engine,
        reuse=reuse,
        timeloop_version=timeloop_version,
    )
    table = load_energy_table(
        energy, architecture=architecture, compound_components=compound_components
    )
    return price(counts, architecture, table)


def default_energy_table(arch: Architecture) -> str:
    """``table1`` if it prices every component of `arch`, else ``models``."""
    table1 = named_table("table1")
    components = [*(level for level in arch.storage if not level.pass_through), arch.compute]
    covered = all(table1.entry(c.name, c.class_name) is not None for c in components)
    return "table1" if covered else HWCOMPONENTS_SOURCE


def evaluate_files(
    paths: Iterable[str | Path],
    *,
    engine: Engine = "analytical",
    energy: str | Path | EnergyTable | None = None,
    reuse: Reuse = "timeloop",
    timeloop_version: str = "master",
) -> Evaluation:
    """Like ``timeloop-model *.yaml``: read the files, evaluate the mapping they contain.

    Without `energy`: an ERT among the files; else the assignment's Table 1 when it prices every
    component (the Q1 architecture); else the component models.
    """
    specs = load_specs(paths)
    mapping = specs.mapping()
    assert specs.problem is not None and specs.architecture is not None
    if energy is None:
        energy = (
            specs.energy_tables[0]
            if specs.energy_tables
            else default_energy_table(specs.architecture)
        )
    return evaluate(
        specs.problem,
        specs.architecture,
        mapping,
        engine=engine,
        energy=energy,
        reuse=reuse,
        timeloop_version=timeloop_version,
        compound_components=specs.compound_components,
    )
