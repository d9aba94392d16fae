"""Accelerators: an architecture with everything needed to map onto it and price it.

An `Accelerator` bundles the architecture, its compound components, its mapspace constraints and
mapper settings — what ``timeloop-mapper`` reads besides the problem. `load_accelerator` takes
a name shipped with hwsim or Timeloop files (a folder is read recursively, like the course's Q3
folder):

- ``eyeriss_like_q3``: the course's Q3 Eyeriss-like architecture (v0.3, 14×12 PEs, 16-bit words,
  LPDDR4, smartbuffer components, row-stationary constraints).

`datawidth` re-targets every storage level and the MACs to another word width (a quantized
student runs on 8-bit words): each storage row then holds ``width / datawidth`` words, so the same
SRAM holds more of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim.course_material import ACCELERATORS, accelerator_dir
from hwsim.errors import SpecError
from hwsim.spec.architecture import MAX_WORD_BITS, Architecture, ComputeLevel, StorageLevel
from hwsim.spec.files import load_specs


@dataclass(frozen=True)
class Accelerator:
    """An architecture plus its compound components, constraints and mapper settings.

    Attributes:
        name: a short label (the shipped name or the file/folder given).
        architecture: the hardware.
        compound_components: raw ``compound_components`` documents (for component models).
        constraints: raw constraint documents (see `hwsim.mapper.constraints.parse_constraints`).
        mapper: the ``mapper`` settings document, if any (kept for reference).
        sources: files it was read from.
        mapper_file: the file that holds `mapper`, if any.
    """

    name: str
    architecture: Architecture
    compound_components: tuple[Any, ...] = ()
    constraints: tuple[Any, ...] = ()
    mapper: Any = None
    sources: tuple[str, ...] = field(default_factory=tuple)
    mapper_file: str | None = None

    def with_datawidth(self, bits: int) -> Accelerator:
        """The same accelerator with `bits`-bit words in every storage level and MAC."""
        return Accelerator(
            f"{self.name}@{bits}b",
            retarget_datawidth(self.architecture, bits),
            self.compound_components,
            self.constraints,
            self.mapper,
            self.sources,
            self.mapper_file,
        )


def load_accelerator(
    spec: str | Path | Accelerator | Iterable[str | Path], *, datawidth: int | None = None
) -> Accelerator:
    """A shipped accelerator by name, or one read from Timeloop files/folders."""
    if isinstance(spec, Accelerator):
        accelerator = spec
    else:
        if isinstance(spec, str | Path):
            text = str(spec)
            paths = [accelerator_dir(text)] if text in ACCELERATORS else [Path(text)]
            label = text
        else:
            paths = [Path(p) for p in spec]
            label = "+".join(p.name for p in paths)
        for path in paths:
            if not path.exists() and not path.is_symlink():  # a link loop: load_specs says so
                raise SpecError(
                    f"not a shipped accelerator ({', '.join(ACCELERATORS)}) and no such file or folder",
                    file=str(path),
                )
        specs = load_specs(paths)
        specs.require("architecture")
        assert specs.architecture is not None
        accelerator = Accelerator(
            label,
            specs.architecture,
            specs.compound_components,
            specs.constraints,
            specs.mapper,
            tuple(str(p) for p in paths),
            specs.sources.get("mapper"),
        )
    return accelerator if datawidth is None else accelerator.with_datawidth(datawidth)


def retarget_datawidth(arch: Architecture, bits: int) -> Architecture:
    """Every storage level and the compute level re-targeted to `bits`-bit words."""
    if not 1 <= bits <= MAX_WORD_BITS:
        raise SpecError(f"datawidth must be 1 to {MAX_WORD_BITS} bits, got {bits}")
    storage: list[StorageLevel] = []
    for level in arch.storage:
        if level.pass_through:
            storage.append(level)
            continue
        attrs = dict(level.attributes)
        width = level.attribute("width", "memory_width", "data_storage_width")
        old_bits = level.word_bits
        for key in ("word_bits", "word_width", "datawidth"):
            attrs.pop(key, None)
        attrs["word_bits"] = bits
        if "block_size" in attrs or "n_words" in attrs:
            if width is not None and int(width) >= bits:
                attrs["block_size"] = max(1, int(width) // bits)
            else:  # keep the bits per access: scale the words per access
                attrs["block_size"] = max(1, int(level.block_size) * old_bits // bits)
            attrs.pop("n_words", None)
        storage.append(StorageLevel(**{**level.model_dump(), "attributes": attrs}))
    compute_attrs = {**arch.compute.attributes, "datawidth": bits}
    compute = ComputeLevel(**{**arch.compute.model_dump(), "attributes": compute_attrs})
    names = {level.name: level for level in storage}
    components = tuple(
        names.get(c.name, compute if c.name == compute.name else c) for c in arch.components
    )
    return Architecture(
        **{**dict(arch), "storage": tuple(storage), "compute": compute, "components": components}
    )


def resize_accelerator(
    accelerator: Accelerator,
    *,
    pe_columns: int | None = None,
    pe_rows: int | None = None,
    storage_depths: dict[str, int] | None = None,
) -> Accelerator:
    """A design-space variant: another PE array and/or other buffer depths.

    The PE array is the widest instance mesh in the architecture (14 columns × 12 rows for
    Eyeriss): components spanning its full X (Y) extent get `pe_columns` (`pe_rows`) instead, so
    per-column buffers follow the columns and per-PE scratchpads the whole array.
    `storage_depths` maps a storage level to its new depth in rows (``depth``/``memory_depth``).
    """
    arch = accelerator.architecture
    full_x = max(c.mesh_x for c in arch.components)
    full_y = max(c.mesh_y for c in arch.components)
    new_x = pe_columns or full_x
    new_y = pe_rows or full_y
    if new_x < 1 or new_y < 1:
        raise SpecError(f"PE array must be at least 1x1, got {new_x}x{new_y}")
    depths = dict(storage_depths or {})
    unknown = sorted(set(depths) - set(arch.storage_names))
    if unknown:
        raise SpecError(
            f"unknown storage level(s) {unknown}; levels are {list(arch.storage_names)}"
        )

    def resized(component):
        mesh_x = new_x if component.mesh_x == full_x and full_x > 1 else component.mesh_x
        mesh_y = new_y if component.mesh_y == full_y and full_y > 1 else component.mesh_y
        attrs = dict(component.attributes)
        if "meshX" in attrs:
            attrs["meshX"] = mesh_x
        if component.name in depths:
            key = next(
                (k for k in ("depth", "memory_depth", "data_storage_depth") if k in attrs), "depth"
            )
            attrs[key] = int(depths[component.name])
        data = {
            **component.model_dump(),
            "attributes": attrs,
            "mesh_x": mesh_x,
            "mesh_y": mesh_y,
            "instances": mesh_x * mesh_y,
        }
        return type(component)(**data)

    storage = tuple(resized(s) for s in arch.storage)
    compute = resized(arch.compute)
    by_name = {c.name: c for c in (*storage, compute)}
    components = tuple(by_name.get(c.name, c) for c in arch.components)
    label = (
        f"{accelerator.name}[{new_x}x{new_y}"
        + "".join(f",{k}={v}" for k, v in sorted(depths.items()))
        + "]"
    )
    new_arch = Architecture(
        **{**dict(arch), "storage": storage, "compute": compute, "components": components}
    )
    return Accelerator(
        label,
        new_arch,
        accelerator.compound_components,
        accelerator.constraints,
        accelerator.mapper,
        accelerator.sources,
        accelerator.mapper_file,
    )


def accelerator_area_um2(accelerator: Accelerator, table) -> float | None:
    """On-chip area: every storage and compute component's area (from `table`) times its
    instances; off-chip DRAM does not count. ``None`` when the table has no area for some on-chip
    component (e.g. an ERT file)."""
    arch = accelerator.architecture
    total = 0.0
    for component in (*arch.storage, arch.compute):
        if (
            getattr(component, "pass_through", False)
            or getattr(component, "technology_kind", "") == "DRAM"
        ):
            continue
        entry = table.entry(component.name, component.class_name)
        if entry is None or entry.area_um2 is None:
            return None
        total += entry.area_um2 * component.instances
    return total
