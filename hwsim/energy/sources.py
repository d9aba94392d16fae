"""Energy sources: every way a user names where pJ per action come from, resolved to a table.

``--energy`` and ``hw.energy`` take a named table (``table1``), an Accelergy ERT or ERT_summary
file, a ``{component: {action: pJ}}`` JSON/YAML file (or one written by `EnergyTable.to_json`),
or a source that prices the architecture itself: ``classic`` (classic Accelergy 0.3, the course's
scale: `hwsim.energy.classic`) or ``hwcomponents`` (the hwcomponents component models:
`hwsim.energy.components`; ``models``, its name before, is still accepted). This module is the one
place that tells them apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hwsim.energy.table import (
    NAMED_TABLES,
    EnergyTable,
    ert_table,
    exported_table,
    named_table,
)
from hwsim.errors import SpecError
from hwsim.spec.architecture import Architecture
from hwsim.spec.input_files import read_input_text
from hwsim.spec.yaml_io import load_yaml_file

#: The source name that builds a table from component models (needs the architecture).
HWCOMPONENTS_SOURCE = "hwcomponents"
#: The source name that prices the architecture as classic Accelergy 0.3 does (``--energy
#: classic``, ``hw.energy=classic``).
CLASSIC_SOURCE = "classic"
#: Energy sources computed from the architecture itself rather than read from a table.
ARCHITECTURE_SOURCES = (HWCOMPONENTS_SOURCE, CLASSIC_SOURCE)
#: Former names, still read (studies and checkpoints that recorded them): name -> source.
FORMER_NAMES = {"models": HWCOMPONENTS_SOURCE}


def source_name(spec: str) -> str:
    """The current name of an energy source (`FORMER_NAMES` translated); anything else as is."""
    return FORMER_NAMES.get(spec, spec)


def load_energy_table(
    spec: str | Path | EnergyTable,
    *,
    architecture: Architecture | None = None,
    compound_components: Iterable[Any] = (),
) -> EnergyTable:
    """A named table (``table1``), an ERT file path, a JSON/YAML ``{component: {action: pJ}}`` file,
    ``"hwcomponents"``: every component of `architecture` priced by the component models
    (`hwsim.energy.components`; `compound_components` are raw ``compound_components`` documents),
    or ``"classic"``: priced as classic Accelergy 0.3 does (`hwsim.energy.classic`)."""
    if isinstance(spec, EnergyTable):
        return spec
    text = source_name(str(spec))
    if text in ARCHITECTURE_SOURCES:
        if architecture is None:
            raise SpecError(
                f"the {text!r} energy table prices an architecture: pass architecture=..."
            )
        # the component models and classic Accelergy load only when asked for (a tenth of a
        # whole-process call's imports otherwise, for a command that reads an ERT file)
        from hwsim.energy.classic import load_classic_table
        from hwsim.energy.components import build_energy_table

        try:
            if text == CLASSIC_SOURCE:
                return load_classic_table(
                    architecture, compound_components=tuple(compound_components)
                )
            return build_energy_table(architecture, compound_components=tuple(compound_components))
        except SpecError as err:  # a component that cannot be priced: name the architecture file
            raise err.at(file=architecture.file) from None
    if text in NAMED_TABLES:
        return named_table(text)
    path = Path(text)
    if not path.exists() and not path.is_symlink():  # a link loop: the reader says so
        raise SpecError(
            f"not a named energy table ({sorted(NAMED_TABLES)}) and no such file", file=text
        )
    if path.suffix == ".json":
        try:
            data = json.loads(read_input_text(path))
        except json.JSONDecodeError as err:
            raise SpecError(f"invalid JSON: {err}", file=text) from None
    else:
        data = load_yaml_file(path)
    if isinstance(data, Mapping) and ("ERT" in data or "ERT_summary" in data):
        return ert_table(data, path)
    if isinstance(data, Mapping) and "components" in data:
        return exported_table(path.name, data["components"], text)
    if not isinstance(data, Mapping):
        raise SpecError("expected {component: {action: pJ}}", file=text)
    return EnergyTable.from_mapping(path.name, data, source=text, file=text)
