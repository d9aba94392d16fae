"""Mapper backends behind one interface: ``native`` (default), ``timeloop``, ``accelforge``.

Every backend takes a `MappingTask` (problem, architecture, constraints, energy table, settings)
and returns a `MapperResult` whose mapping hwsim then evaluates with its own model, so results
from different backends are compared on equal terms.

- ``native``: `hwsim.mapper.optimal.map_optimal` when asked (``search="optimal"``) or when the
  mapspace is open (``auto``), else `hwsim.mapper.search.map_problem`.
- ``timeloop``: writes the task's files, runs ``timeloop-mapper`` (must be on PATH) and reads the
  mapping it found back from ``timeloop-mapper.map.yaml`` (and its stats for reference).
- ``accelforge``: maps with AccelForge (optional extra ``hwkd[accelforge]``) where it can express
  the architecture; otherwise a clear error says why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

import yaml

from hwsim.errors import SpecError
from hwsim.mapper.optimal import is_open, map_optimal
from hwsim.mapper.search import MapperResult, map_problem
from hwsim.mapper.space import Mapspace
from hwsim.mapper.task import MappingTask
from hwsim.spec.files import load_specs
from hwsim.spec.mapping import bind_mapping


class Backend(Protocol):
    name: str

    def map(self, task: MappingTask) -> MapperResult: ...


class NativeBackend:
    """hwsim's own searches: optimal (`hwsim.mapper.optimal`) or sampled (`map_problem`)."""

    name = "native"

    def map(self, task: MappingTask) -> MapperResult:
        args = (task.problem, task.architecture, task.constraints, task.table, task.settings)
        mode = task.settings.search
        if mode == "auto":
            space = Mapspace.build(task.problem, task.architecture, task.constraints)
            mode = "optimal" if is_open(space, task.settings) else "sampled"
        if mode == "optimal":
            return map_optimal(*args)
        return map_problem(*args)


#: Stats-file lines Timeloop prints: per component and data space "Energy (total) : x pJ",
#: and the summary's cycles.
_STATS_ENERGY = re.compile(r"^\s*Energy \(total\)\s*:\s*([0-9.eE+-]+)\s*pJ", re.M)
_STATS_CYCLES = re.compile(r"^\s*Cycles:\s*(\d+)", re.M)


def parse_timeloop_stats(text: str) -> dict[str, float]:
    """Total energy (pJ, the sum of every component's "Energy (total)", to 0.01 pJ rather than the
    summary's rounded µJ) and cycles of a ``timeloop-*.stats.txt``."""
    out: dict[str, float] = {}
    energies = _STATS_ENERGY.findall(text)
    cycles = _STATS_CYCLES.findall(text)
    if energies:
        out["energy_pj"] = sum(float(e) for e in energies)
    if cycles:
        out["cycles"] = float(cycles[-1])
    return out


def result_from_timeloop_outputs(
    task: MappingTask, map_yaml: Path, stats: Path | None, seconds: float
) -> MapperResult:
    """Evaluate the mapping Timeloop found (``timeloop-mapper.map.yaml``) with hwsim's model."""
    document = load_specs([map_yaml]).mapping_document
    mapping = bind_mapping(document, task.architecture, task.problem, file=str(map_yaml))
    evaluation = task.evaluate(mapping)
    notes = []
    if stats is not None and stats.exists():
        summary = parse_timeloop_stats(stats.read_text())
        if "energy_pj" in summary:
            notes.append(
                f"timeloop reported {summary['energy_pj']:.2f} pJ, {summary.get('cycles', 0):.0f} cycles"
            )
    return MapperResult(
        mapping=mapping,
        evaluation=evaluation,
        evaluated=0,
        valid=0,
        skeletons=0,
        exhaustive=False,
        seconds=seconds,
        notes=tuple(notes),
    )


class TimeloopBackend:
    """Shells out to ``timeloop-mapper`` (found on PATH or given explicitly)."""

    name = "timeloop"

    def __init__(self, binary: str | None = None, timeout_s: float = 600):
        self.binary = binary
        self.timeout_s = timeout_s

    def map(self, task: MappingTask) -> MapperResult:
        binary = self.binary or shutil.which("timeloop-mapper")
        if binary is None:
            raise SpecError("the timeloop backend needs 'timeloop-mapper' on PATH (not found)")
        if not task.files:
            raise SpecError("the timeloop backend needs the original YAML files")
        with tempfile.TemporaryDirectory(prefix="hwsim-timeloop-") as work:
            start = time.perf_counter()
            try:
                done = subprocess.run(
                    [binary, *map(str, task.files)],
                    cwd=work,
                    capture_output=True,
                    text=True,
                    timeout=self.timeout_s,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise SpecError(
                    f"timeloop-mapper did not finish within {self.timeout_s:.0f} s"
                ) from None
            seconds = time.perf_counter() - start
            map_yaml = Path(work) / "timeloop-mapper.map.yaml"
            if done.returncode != 0 or not map_yaml.exists():
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                raise SpecError(
                    f"timeloop-mapper failed (exit {done.returncode}): {' | '.join(tail)}"
                )
            return result_from_timeloop_outputs(
                task, map_yaml, Path(work) / "timeloop-mapper.stats.txt", seconds
            )


class AccelForgeBackend:
    """Maps with AccelForge (optional dependency)."""

    name = "accelforge"

    def map(self, task: MappingTask) -> MapperResult:
        try:
            import accelforge  # noqa: F401
        except ImportError:
            raise SpecError(
                "the accelforge backend needs the optional extra: pip install 'hwkd[accelforge]'"
            ) from None
        from hwsim.mapper.accelforge_bridge import map_with_accelforge

        return map_with_accelforge(task)


BACKENDS: dict[str, type] = {
    "native": NativeBackend,
    "timeloop": TimeloopBackend,
    "accelforge": AccelForgeBackend,
}


def backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise SpecError(f"unknown mapper backend {name!r}; choose one of {sorted(BACKENDS)}")
    return BACKENDS[name]()


def mapping_yaml(result: MapperResult) -> str:
    """The best mapping as a Timeloop mapping YAML document."""
    document: dict[str, Any] = result.mapping.to_timeloop()
    return yaml.safe_dump(document, sort_keys=False)
