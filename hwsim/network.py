"""Inference energy of a whole network: map every layer, price it, add it up.

`network_energy` takes the layers of a network as hwsim problems (`models.workloads` extracts them
from a PyTorch model), maps each distinct layer shape once with the mapper (results are cached on
disk across runs and processes), and returns a `NetworkEnergy` that keeps every layer: energy,
cycles and utilisation per layer, broken down per storage level and per data space.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwsim.accelerators import Accelerator, load_accelerator
from hwsim.energy.sources import load_energy_table
from hwsim.energy.table import EnergyTable
from hwsim.errors import SpecError
from hwsim.evaluate import evaluate
from hwsim.mapper.cache import MappingCache, cache_key
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.objectives import objective_label
from hwsim.mapper.search import MapperResult, MapperSettings, map_problem
from hwsim.progress import progress_bar
from hwsim.result import Evaluation
from hwsim.spec.architecture import Architecture
from hwsim.spec.files import load_specs
from hwsim.spec.input_files import files_in_folder
from hwsim.spec.mapping import Mapping, bind_mapping
from hwsim.spec.problem import Problem

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class LayerEnergy:
    """One layer of a network on the accelerator.

    Attributes:
        name: the layer's name (e.g. ``layer1.0.conv1``).
        problem: its workload; `repeat` counts identical independent copies (convolution groups).
        mapping: the best mapping found for it.
        evaluation: that mapping's counts and energy (one copy).
        cycles: cycles of one copy.
        cached: whether the mapping came from the on-disk cache.
    """

    name: str
    problem: Problem
    repeat: int
    mapping: Mapping
    evaluation: Evaluation
    cycles: int
    cached: bool

    @property
    def energy_pj(self) -> float:
        return self.evaluation.total_energy_pj * self.repeat

    @property
    def macs(self) -> int:
        return self.problem.macs * self.repeat

    compute_units: int = 1

    @property
    def utilization(self) -> float:
        """Fraction of the accelerator's compute units busy over the layer's cycles."""
        busy = self.cycles * self.compute_units
        return self.evaluation.computes / busy if busy else 0.0


@dataclass(frozen=True)
class NetworkEnergy:
    """Every layer of a network, mapped and priced (see module docstring).

    Attributes:
        layers: per layer, in network order (identical shapes share one mapping).
        accelerator: the accelerator's name; energy_table: the table's name.
        objective: the mapper objective each layer's mapping was chosen by (``delay``...).
    """

    layers: tuple[LayerEnergy, ...]
    accelerator: str
    energy_table: str
    objective: str = "energy"

    @property
    def pricing(self) -> str:
        """What produced the numbers, for reports: ``energy table models, mapper objective [...]``."""
        return (
            f"energy table {self.energy_table}, mapper objective {objective_label(self.objective)}"
        )

    @property
    def total_energy_pj(self) -> float:
        return sum(layer.energy_pj for layer in self.layers)

    @property
    def total_cycles(self) -> int:
        return sum(layer.cycles * layer.repeat for layer in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def by_level(self) -> dict[str, float]:
        """Energy per storage level (and ``compute``) summed over layers."""
        out: dict[str, float] = {}
        for layer in self.layers:
            for level, spaces in layer.evaluation.energy_pj.items():
                out[level] = out.get(level, 0.0) + sum(spaces.values()) * layer.repeat
            out["compute"] = (
                out.get("compute", 0.0) + layer.evaluation.compute_energy_pj * layer.repeat
            )
        return out

    def by_data_space(self) -> dict[str, float]:
        """Storage energy per data space summed over levels and layers."""
        out: dict[str, float] = {}
        for layer in self.layers:
            for spaces in layer.evaluation.energy_pj.values():
                for ds, value in spaces.items():
                    out[ds] = out.get(ds, 0.0) + value * layer.repeat
        return out

    def to_dataframe(self) -> pd.DataFrame:
        """One row per layer: energy (total, per level, per data space), MACs, cycles, utilisation."""
        import pandas as pd

        return pd.DataFrame(self.layer_rows())

    def layer_rows(self) -> list[dict[str, Any]]:
        """The rows of `to_dataframe` as dicts (what ``--json`` prints, without pandas)."""
        rows = []
        for layer in self.layers:
            row: dict[str, Any] = {
                "layer": layer.name,
                "shape": _shape_label(layer.problem),
                "repeat": layer.repeat,
                "macs": layer.macs,
                "energy_pj": layer.energy_pj,
                "pj_per_mac": layer.energy_pj / layer.macs if layer.macs else 0.0,
                "cycles": layer.cycles * layer.repeat,
                "utilization": layer.utilization,
                "cached": layer.cached,
            }
            for level, spaces in layer.evaluation.energy_pj.items():
                row[f"energy_pj[{level}]"] = sum(spaces.values()) * layer.repeat
            row["energy_pj[compute]"] = layer.evaluation.compute_energy_pj * layer.repeat
            for spaces in layer.evaluation.energy_pj.values():
                for ds, value in spaces.items():
                    row[f"energy_pj[{ds}]"] = (
                        row.get(f"energy_pj[{ds}]", 0.0) + value * layer.repeat
                    )
            rows.append(row)
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "accelerator": self.accelerator,
            "energy_table": self.energy_table,
            "objective": objective_label(self.objective),
            "total_energy_pj": self.total_energy_pj,
            "total_cycles": self.total_cycles,
            "total_macs": self.total_macs,
            "by_level_pj": self.by_level(),
            "by_data_space_pj": self.by_data_space(),
            "layers": self.layer_rows(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_csv(self, path: str | Path) -> Path:
        """The rows of `to_dataframe`, each naming the energy table and the mapper objective."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.to_dataframe().assign(
            energy_table=self.energy_table, objective=objective_label(self.objective)
        )
        frame.to_csv(path, index=False)
        return path

    def plot(self, path: str | Path, title: str | None = None) -> Path:
        """Stacked bars: energy of every layer, split by storage level and compute."""
        from hwsim.plotting import new_figure, save_figure

        frame = self.to_dataframe()
        parts = [
            c
            for c in frame.columns
            if c.startswith("energy_pj[") and c[10:-1] in {*self.by_level()}
        ]
        fig, ax = new_figure(figsize=(max(6, 0.35 * len(frame) + 2), 4.5))
        bottom = [0.0] * len(frame)
        for col in parts:
            values = frame[col].fillna(0.0).tolist()
            ax.bar(range(len(frame)), values, bottom=bottom, label=col[10:-1])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(range(len(frame)), frame["layer"], rotation=70, fontsize=7)
        ax.set_ylabel("energy (pJ)")
        ax.set_title(
            title
            or f"{self.accelerator}: {self.total_energy_pj / 1e6:,.2f} µJ per inference\n"
            f"({self.pricing})",
            fontsize=10,
        )
        ax.legend(fontsize=7)
        return save_figure(fig, path, dpi=130)


def _shape_label(problem: Problem) -> str:
    return " ".join(
        f"{d}{problem.size(d)}" for d in problem.dimensions if problem.size(d) > 1
    ) + "".join(f" {c}={v}" for c, v in problem.coefficient_values.items() if v != 1)


def _shape_key(problem: Problem) -> str:
    return json.dumps(
        [problem.shape.model_dump(exclude={"name"}), sorted(problem.instance.items())], default=str
    )


def network_energy(
    workloads: Sequence[Problem | tuple[str, Problem] | tuple[str, Problem, int]],
    accelerator: Accelerator | Architecture | str | Path,
    energy_table: EnergyTable | str | Path | None = None,
    *,
    settings: MapperSettings | None = None,
    cache: bool | str | Path = True,
    progress: bool = True,
) -> NetworkEnergy:
    """Map and price every layer of a network.

    Args:
        workloads: problems in network order, optionally with a name and a repeat count
            (``(name, problem, repeat)``); a problem's own name is used otherwise.
        accelerator: an `Accelerator`, an `Architecture` (no constraints), a shipped name
            (``eyeriss_like_q3``) or Timeloop files.
        energy_table: an `EnergyTable`, ``"hwcomponents"`` (component models; the default), ``"table1"``
            or an ERT file.
        settings: mapper settings (objective, budget, Timeloop version...).
        cache: reuse mappings from the on-disk cache (``True``), a cache folder, or ``False``.
    """
    settings = settings or MapperSettings(progress=False)
    if isinstance(accelerator, Architecture):
        accelerator = Accelerator("architecture", accelerator)
    else:
        accelerator = load_accelerator(accelerator)
    arch = accelerator.architecture
    table = load_energy_table(
        energy_table if energy_table is not None else "hwcomponents",
        architecture=arch,
        compound_components=accelerator.compound_components,
    )
    store = None if cache is False else MappingCache(None if cache is True else cache)
    items = [_as_item(w, i) for i, w in enumerate(workloads)]
    compute_units = arch.compute.instances
    mapped: dict[str, tuple[Mapping, Evaluation, int, bool]] = {}
    layers = []
    unique: dict[str, Problem] = {}
    for _name, problem, _repeat in items:
        unique.setdefault(_shape_key(problem), problem)
    bar = progress_bar(unique.items(), desc="mapping layers", shown=progress)
    for key, problem in bar:
        constraints = parse_constraints(list(accelerator.constraints), arch, problem)
        digest = cache_key(problem, arch, constraints, table, settings)
        mapped[key] = _mapped_layer(problem, arch, constraints, table, settings, store, digest)
    bar.close()
    for name, problem, repeat in items:
        mapping, evaluation, cycles, cached = mapped[_shape_key(problem)]
        layers.append(
            LayerEnergy(name, problem, repeat, mapping, evaluation, cycles, cached, compute_units)
        )
    return NetworkEnergy(tuple(layers), accelerator.name, table.name, settings.objective)


def _mapped_layer(
    problem: Problem,
    arch: Architecture,
    constraints: Any,
    table: EnergyTable,
    settings: MapperSettings,
    store: MappingCache | None,
    digest: str,
) -> tuple[Mapping, Evaluation, int, bool]:
    """(mapping, evaluation, cycles, from the cache) of one layer shape: the cached mapping
    re-evaluated by today's model, or a new search (stored for every other worker)."""

    found: list[MapperResult] = []  # a search made now: its evaluation is today's already

    def search() -> dict[str, Any]:
        found.append(map_problem(problem, arch, constraints, table, settings))
        return {"mapping": found[-1].mapping.to_timeloop()["mapping"]}

    if store is None:
        entry, cached = search(), False
    else:
        entry, cached = store.get_or_compute(digest, search)
    if found:
        return found[-1].mapping, found[-1].evaluation, found[-1].cycles, False
    try:
        mapping = bind_mapping(entry["mapping"], arch, problem)
    except SpecError:  # an entry that no longer fits this problem: search again, overwrite it
        entry, cached = search(), False
        mapping = bind_mapping(entry["mapping"], arch, problem)
        if store is not None:
            store.put(digest, entry)
    evaluation = evaluate(
        problem, arch, mapping, energy=table, timeloop_version=settings.timeloop_version
    )
    return mapping, evaluation, evaluation.cycles, cached


def _as_item(workload: Any, index: int) -> tuple[str, Problem, int]:
    if isinstance(workload, Problem):
        return workload.name or f"layer{index}", workload, 1
    if isinstance(workload, tuple) and len(workload) in (2, 3):
        name, problem = workload[0], workload[1]
        repeat = int(workload[2]) if len(workload) == 3 else 1
        return str(name), problem, repeat
    raise TypeError(
        f"a workload is a Problem or (name, Problem[, repeat]), got {type(workload).__name__}"
    )


def load_layer_problems(paths: Iterable[str | Path]) -> list[Problem]:
    """Problems from layer YAML files (one problem per file), in file-name order."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        files.extend(files_in_folder(p, recursive=False) if p.is_dir() else [p])
    problems = []
    for path in files:
        specs = load_specs([path])
        if specs.problem is not None:
            problems.append(specs.problem.renamed(path.stem))
    return problems
