"""Energy tables: component → action → energy per access (pJ), plus area where known.

hwsim prices every counted action with an `EnergyTable`. A table can be built from

- a plain named table shipped with hwsim (`named_table`, e.g. ``table1``: the assignment's
  Table 1), or any mapping (`EnergyTable.from_mapping`);
- an Accelergy energy reference table, ``*.ERT.yaml`` or ``*.ERT_summary.yaml``
  (`load_ert_file`), so numbers from an existing Timeloop/Accelergy install are reproduced
  exactly: Timeloop charges each action's maximum energy over its argument variants;
- component models (``hwsim.energy.components``, built on hwcomponents).

Entries are looked up by component name first, then by component class, so a table keyed by
class (``SRAM``, ``regfile``, ``intmac``) prices any architecture built from those classes.
Storage actions are ``read``, ``fill`` and ``update`` (``fill`` and ``update`` fall back to
``write``); the compute action is ``compute`` (falling back to ``mac_random``, ``mac``).
Energies are per access of the component's full width (a vector of ``block_size`` words).
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwsim.course_material import TABLE1
from hwsim.errors import SpecError
from hwsim.spec.yaml_io import load_yaml_file

if TYPE_CHECKING:
    import pandas as pd

#: Fallback chains: the first action a component defines is used.
ACTION_ALIASES: dict[str, tuple[str, ...]] = {
    "read": ("read",),
    "fill": ("fill", "write"),
    "write": ("write",),
    "update": ("update", "write"),
    "compute": ("compute", "mac_random", "mac", "multiply_accumulate"),
    "leak": ("leak", "idle"),
}


@dataclass(frozen=True)
class ComponentEnergy:
    """Per-action energies (pJ per access) of one component, with where they came from.

    Attributes:
        name: component name or class the entry is keyed by.
        actions: action name → energy in pJ.
        area_um2: area in µm² when the model gives it.
        source: model or file that produced the numbers (``table1``, a path, ``CACTI``...).
        notes: modelling remarks shown in reports (e.g. "2 DRAM bursts per access").
    """

    name: str
    actions: Mapping[str, float]
    area_um2: float | None = None
    source: str = ""
    notes: str = ""

    def energy(self, action: str) -> float | None:
        for candidate in ACTION_ALIASES.get(action, (action,)):
            if candidate in self.actions:
                return float(self.actions[candidate])
        return None


def _quantity(value: Any, what: str, *, file: str | None, field: str) -> float:
    """`value` as a float: a finite, non-negative number (not a bool, not text), else a `SpecError`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
    ):
        raise SpecError(
            f"{what} must be a finite non-negative number, got {value!r}", file=file, field=field
        )
    return float(value)


def _component_energy(
    key: str,
    actions: Mapping[Any, Any],
    area: Any,
    source: str,
    *,
    file: str | None,
    where: str,
    area_where: str | None = None,
) -> ComponentEnergy:
    """One checked entry; `where` locates the actions in the file, `area_where` the area."""
    energies = {
        str(action): _quantity(value, "energy", file=file, field=f"{where}.{action}")
        for action, value in actions.items()
    }
    area_um2 = (
        None
        if area is None
        else _quantity(area, "area_um2", file=file, field=area_where or f"{where}.area_um2")
    )
    return ComponentEnergy(key, energies, area_um2, source)


def canonical_component_name(name: str) -> str:
    """``system.eyeriss.PE[0..167].ifmap_spad`` → ``ifmap_spad``; ``DRAM[1..1]`` → ``DRAM``."""
    without_ranges = re.sub(
        r"\[\d+\.\.\d+\]", "", str(name)
    )  # ranges contain dots: drop them first
    return without_ranges.split(".")[-1]


@dataclass(frozen=True)
class EnergyTable:
    """An immutable component → action → pJ table.

    Attributes:
        name: a short label (``table1``, an ERT file name, ``hwcomponents``).
        entries: component name or class → `ComponentEnergy`.
    """

    name: str
    entries: Mapping[str, ComponentEnergy] = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_mapping(
        cls,
        name: str,
        table: Mapping[str, Mapping[str, float]],
        *,
        source: str = "",
        file: str | None = None,
    ) -> EnergyTable:
        """Build from ``{component_or_class: {action: pJ}}``; an ``area_um2`` key is taken as area.

        Anything else (a component that is not a mapping, an energy or area that is not a finite
        non-negative number) is a `SpecError` naming `file` and the field."""
        if not isinstance(table, Mapping):
            raise SpecError(f"expected {{component: {{action: pJ}}}}, got {table!r}", file=file)
        entries = {}
        for key, actions in table.items():
            if not isinstance(actions, Mapping):
                raise SpecError(
                    f"expected {{action: pJ}}, got {actions!r}", file=file, field=str(key)
                )
            actions = dict(actions)
            area = actions.pop("area_um2", None)
            entries[str(key)] = _component_energy(
                str(key), actions, area, source or name, file=file, where=str(key)
            )
        return cls(name, entries)

    # ------------------------------------------------------------------------ lookups
    def entry(self, component: str, component_class: str | None = None) -> ComponentEnergy | None:
        """The entry for a component: by name, then by class (``None`` if neither is present)."""
        for key in (component, canonical_component_name(component), component_class):
            if key and key in self.entries:
                return self.entries[key]
        return None

    def energy(self, component: str, action: str, component_class: str | None = None) -> float:
        """Energy (pJ) of one `action` on `component`; a missing entry is a `SpecError`."""
        entry = self.entry(component, component_class)
        if entry is None:
            known = ", ".join(sorted(self.entries)) or "none"
            cls = f" (class {component_class})" if component_class else ""
            raise SpecError(
                f"energy table {self.name!r} has no entry for component {component!r}{cls}; entries: {known}"
            )
        value = entry.energy(action)
        if value is None:
            raise SpecError(
                f"energy table {self.name!r}: component {component!r} has no action {action!r} "
                f"(it defines {sorted(entry.actions)})"
            )
        return value

    # ------------------------------------------------------------------------ exports
    def to_dict(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key, entry in self.entries.items():
            out[key] = {
                "actions": dict(entry.actions),
                "area_um2": entry.area_um2,
                "source": entry.source,
            }
            if entry.notes:
                out[key]["notes"] = entry.notes
        return out

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "components": self.to_dict()}, indent=2)

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        rows = [
            {
                "component": key,
                "action": action,
                "energy_pj": value,
                "area_um2": e.area_um2,
                "source": e.source,
            }
            for key, e in self.entries.items()
            for action, value in e.actions.items()
        ]
        return pd.DataFrame(
            rows, columns=["component", "action", "energy_pj", "area_um2", "source"]
        )


# ---------------------------------------------------------------------------- named tables
NAMED_TABLES: dict[str, Mapping[str, Mapping[str, float]]] = {"table1": TABLE1}


def named_table(name: str) -> EnergyTable:
    """One of the tables shipped with hwsim (``table1``)."""
    if name not in NAMED_TABLES:
        raise SpecError(f"unknown energy table {name!r}; named tables are {sorted(NAMED_TABLES)}")
    return EnergyTable.from_mapping(name, NAMED_TABLES[name], source=f"named table {name}")


# ------------------------------------------------------------------------ Accelergy ERT files
def _ert_max_energies(tables: Iterable[Any], file: str, at: str) -> dict[str, ComponentEnergy]:
    entries: dict[str, ComponentEnergy] = {}
    for i, table in enumerate(tables):
        if not isinstance(table, Mapping) or "name" not in table:
            raise SpecError("each table needs a name", file=file, field=f"{at}[{i}]")
        listed = table.get("actions") or []
        if not isinstance(listed, list):
            raise SpecError(
                f"expected a list of actions, got {listed!r}", file=file, field=f"{at}[{i}].actions"
            )
        actions: dict[str, float] = {}
        for j, action in enumerate(listed):
            where = f"{at}[{i}].actions[{j}]"
            if not isinstance(action, Mapping) or "name" not in action:
                raise SpecError("each action needs a name", file=file, field=where)
            # ERT_summary: max_energy (or energy for argument-less actions); ERT: energy per variant.
            field = "max_energy" if "max_energy" in action else "energy"
            if action.get(field) is None:
                raise SpecError("action has no energy", file=file, field=where)
            value = _quantity(action[field], "energy", file=file, field=f"{where}.{field}")
            key = str(action["name"])
            actions[key] = max(value, actions.get(key, float("-inf")))
        name = canonical_component_name(str(table["name"]))
        entries[name] = ComponentEnergy(name, actions, None, file)
    return entries


#: Top-level key of each Accelergy energy-table file → the key of its list of component tables.
ERT_SECTIONS = {"ERT": "tables", "ERT_summary": "table_summary"}


def load_ert_file(path: str | Path) -> EnergyTable:
    """Read an Accelergy ``*.ERT.yaml`` or ``*.ERT_summary.yaml`` file (max energy per action)."""
    path = Path(path)
    return ert_table(load_yaml_file(path), path)


def ert_table(document: Any, path: Path) -> EnergyTable:
    """The table of an ERT or ERT_summary `document` already read from `path`."""
    file = str(path)
    if not isinstance(document, Mapping):
        raise SpecError("expected an ERT or ERT_summary document", file=file)
    section = next((key for key in ERT_SECTIONS if key in document), None)
    if section is None:
        raise SpecError("expected a top-level 'ERT' or 'ERT_summary' key", file=file)
    body = document[section] or {}
    if not isinstance(body, Mapping):
        raise SpecError(
            f"expected a mapping with {ERT_SECTIONS[section]!r}, got {body!r}",
            file=file,
            field=section,
        )
    at = f"{section}.{ERT_SECTIONS[section]}"
    tables = body.get(ERT_SECTIONS[section])
    if not isinstance(tables, list):
        raise SpecError("expected a list of component tables", file=file, field=at)
    return EnergyTable(path.name, _ert_max_energies(tables, file, at))


def exported_table(name: str, components: Any, file: str) -> EnergyTable:
    """A table in `EnergyTable.to_json`'s form: ``{components: {name: {actions, area_um2, ...}}}``."""
    if not isinstance(components, Mapping):
        raise SpecError(
            f"expected {{component: {{actions: {{action: pJ}}, area_um2: µm²}}}}, got {components!r}",
            file=file,
            field="components",
        )
    entries = {}
    for key, value in components.items():
        where = f"components.{key}"
        if not isinstance(value, Mapping):
            raise SpecError(
                f"expected {{actions: {{action: pJ}}, area_um2: µm²}}, got {value!r}",
                file=file,
                field=where,
            )
        actions = value.get("actions") or {}
        if not isinstance(actions, Mapping):
            raise SpecError(
                f"expected {{action: pJ}}, got {actions!r}", file=file, field=f"{where}.actions"
            )
        entries[str(key)] = _component_energy(
            str(key),
            actions,
            value.get("area_um2"),
            file,
            file=file,
            where=f"{where}.actions",
            area_where=f"{where}.area_um2",
        )
    return EnergyTable(name, entries)
