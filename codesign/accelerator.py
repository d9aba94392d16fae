"""The accelerator of a trial: hw.arch, resized by the trial's `accelerator.*` values, and its area.

Keys (without the `accelerator.` prefix): `pe_rows`, `pe_columns` (the PE array) and
`depth.<storage level>` (rows of that buffer, e.g. `depth.shared_glb`), as in
`hwsim.accelerators.resize_accelerator`. The area is the component models' on-chip area (DRAM
excluded) at the trial's word width, so a quantized student's smaller MACs count, whatever
source prices the energy (classic Accelergy's tables have no area for most of its primitives'
variants: `hw.energy=classic` prices energy, the models price area).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from models.errors import UserError

DEPTH = "depth."
_ARRAY = ("pe_rows", "pe_columns")


def check_accelerator_keys(arch: str, keys: list[str], where: str = "sweep.space") -> None:
    """Fail early on a key that hw.arch cannot take (an unknown storage level or field)."""
    if not keys:
        return
    levels = _base(arch).architecture.storage_names
    for key in keys:
        if key in _ARRAY:
            continue
        if key.startswith(DEPTH) and key[len(DEPTH) :] in levels:
            continue
        raise UserError(
            f"{where}['accelerator.{key}'] is not an accelerator parameter of {arch}; use "
            f"accelerator.pe_rows, accelerator.pe_columns or accelerator.depth.<level> with a "
            f"level in {list(levels)}"
        )


def build_accelerator(arch: str, values: Mapping[str, Any]):
    """The hwsim Accelerator of hw.arch with the trial's PE array and buffer depths."""
    return _build(arch, _key(values))


def area_mm2(arch: str, values: Mapping[str, Any], datawidth: int) -> float | None:
    """On-chip area in mm² at `datawidth`-bit words, from the component models."""
    return _area_mm2(arch, _key(values), int(datawidth))


def describe(accelerator) -> dict[str, Any]:
    """PE array and buffer depths of an accelerator (for trial attributes and the report)."""
    arch = accelerator.architecture
    array = max(arch.components, key=lambda c: c.mesh_x * c.mesh_y)
    out: dict[str, Any] = {"name": accelerator.name, "pe_array": [array.mesh_y, array.mesh_x]}
    for level in arch.storage:
        depth = level.attribute("depth", "memory_depth", "data_storage_depth")
        if depth is not None:
            out[f"depth.{level.name}"] = int(depth)
    return out


@cache
def _base(arch: str):
    from hwsim import SpecError, load_accelerator

    try:
        return load_accelerator(arch)
    except SpecError as e:
        raise UserError(f"hw.arch: {e}") from e


@cache
def _build(arch: str, values: tuple[tuple[str, Any], ...]):
    from hwsim import SpecError
    from hwsim.accelerators import resize_accelerator

    base, given = _base(arch), dict(values)
    if not given:
        return base
    depths = {k[len(DEPTH) :]: int(v) for k, v in given.items() if k.startswith(DEPTH)}
    try:
        return resize_accelerator(
            base,
            pe_columns=_int(given.get("pe_columns")),
            pe_rows=_int(given.get("pe_rows")),
            storage_depths=depths or None,
        )
    except SpecError as e:
        raise UserError(f"sweep.space accelerator.*: {e}") from e


@cache
def _area_mm2(arch: str, values: tuple[tuple[str, Any], ...], datawidth: int) -> float | None:
    from hwsim.accelerators import accelerator_area_um2
    from hwsim.energy import load_energy_table

    sized = _build(arch, values).with_datawidth(datawidth)
    table = load_energy_table(
        "hwcomponents",
        architecture=sized.architecture,
        compound_components=sized.compound_components,
    )
    area = accelerator_area_um2(sized, table)
    return None if area is None else area * 1e-6


def _key(values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((str(k), v) for k, v in values.items()))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
