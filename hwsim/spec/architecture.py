"""Architectures: a hierarchy of storage levels above a compute level, with spatial fanout.

Two Timeloop forms are read, both unchanged:

- v0.4 (``nodes:`` with ``!Container``, ``!Component``, ``!Parallel``): containers pass their
  attributes (``technology``...) down and multiply the instance count of everything below them by
  their ``spatial: {meshX, meshY}``. Like Timeloop's front end, a container (or component) with a
  spatial fanout inserts a pass-through level ``inter_<name>_spatial`` that holds no data; a
  spatial mapping directive targeting the container lands on it.
- v0.2/v0.3 (``subtree:``/``local:``): names such as ``PE[0..167]`` give instance counts, and a
  ``meshX`` attribute gives the X extent of the instance mesh.

Components are classified the way Timeloop does it, by substring of the class name: ``DRAM``,
``SRAM``, ``regfile``, ``smartbuffer``, ``storage`` are storage; ``mac``, ``intmac``, ``fpmac``,
``compute`` are compute. Storage capacity follows Timeloop: ``entries``, else
``depth × block_size`` words, else ``sizeKB``; the word width comes from ``word_bits``,
``word_width`` or ``datawidth`` (default 16 bits) and the block size from ``block_size`` or
``width / word_bits``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hwsim.errors import SpecError, SpecWarning
from hwsim.spec.expressions import ExpressionError, accelergy_functions, evaluate_attribute
from hwsim.spec.validation import expect_int, expect_positive
from hwsim.spec.yaml_io import Tagged, normalize_key

_FROZEN = ConfigDict(extra="forbid", frozen=True)

STORAGE_CLASS_MARKERS = ("DRAM", "SRAM", "regfile", "smartbuffer", "storage")
COMPUTE_CLASS_MARKERS = ("mac", "intmac", "fpmac", "compute")
#: Classes of interconnect, left out of the hierarchy without a warning (lower case).
NETWORK_MARKERS = ("network", "noc", "wire", "router", "bus")
DEFAULT_WORD_BITS = 16

Kind = Literal["storage", "compute", "other"]


def classify(class_name: str) -> Kind:
    """Timeloop's rule: a class is storage or compute when its name contains a marker."""
    if any(m in class_name for m in STORAGE_CLASS_MARKERS):
        return "storage"
    if any(m in class_name for m in COMPUTE_CLASS_MARKERS):
        return "compute"
    return "other"


class Component(BaseModel):
    """One component of the architecture with its resolved attributes and instance count.

    Attributes:
        name: the component's name without an instance range (``PE[0..167]`` → ``PE``).
        class_name: its class (``SRAM``, ``regfile``, ``smartbuffer_RF``, ``intmac``...).
        kind: ``storage``, ``compute`` or ``other`` (networks and unknown classes).
        attributes: its own attributes over those inherited from enclosing containers.
        instances: total number of instances in the system.
        mesh_x, mesh_y: the instance mesh (``mesh_x × mesh_y == instances``).
        path: names of the enclosing containers, outermost first.
        constraints: v0.4 inline constraints, as written.
        pass_through: True for the data-less ``inter_<name>_spatial`` levels.
    """

    model_config = _FROZEN
    name: str
    class_name: str
    kind: Kind
    attributes: Mapping[str, Any]
    instances: int = 1
    mesh_x: int = 1
    mesh_y: int = 1
    path: tuple[str, ...] = ()
    constraints: Mapping[str, Any] = {}
    pass_through: bool = False

    def attribute(self, *names: str, default: Any = None) -> Any:
        """The first of `names` present in the attributes (``-`` and ``_`` are equivalent)."""
        for name in names:
            if name in self.attributes:
                return self.attributes[name]
        return default


class StorageLevel(Component):
    """A storage level: capacity in words, word and block size."""

    @cached_property
    def word_bits(self) -> int:
        return int(
            self.attribute("word_bits", "word_width", "datawidth", default=DEFAULT_WORD_BITS)
        )

    @cached_property
    def block_size(self) -> int:
        """Words per access (vector width): ``block_size``, else ``width / word_bits``, else 1."""
        explicit = self.attribute("block_size", "n_words")
        if explicit is not None:
            return int(explicit)
        width = self.attribute("width", "memory_width", "data_storage_width")
        cluster = int(self.attribute("cluster_size", default=1))
        if width is not None and int(width) >= self.word_bits:
            return max(1, int(width) // cluster // self.word_bits)
        return 1

    @cached_property
    def size(self) -> int | None:
        """Capacity in words per instance; ``None`` when unbounded (e.g. DRAM without depth)."""
        if self.pass_through:
            return 0
        entries = self.attribute("entries")
        if entries is not None:
            return int(entries)
        depth = self.attribute("depth", "memory_depth", "data_storage_depth")
        if depth is not None:
            return int(depth) * self.block_size
        size_kb = self.attribute("sizeKB")
        if size_kb is not None:
            return int(float(size_kb) * 1024 * 8 // self.word_bits)
        return None

    @cached_property
    def effective_size(self) -> int | None:
        """Capacity available to tiles: ``size / multiple_buffering`` (Timeloop's rule)."""
        if self.size is None:
            return None
        return int(self.size // float(self.attribute("multiple_buffering", default=1.0)))

    @cached_property
    def bandwidths(self) -> tuple[float | None, float | None, float | None]:
        """(read, write, shared) words per cycle per instance, ``None`` where unlimited.

        Timeloop's reading: the deprecated ``bandwidth`` gives read = write = bandwidth / 2;
        ``read_bandwidth``, ``write_bandwidth`` and ``shared_bandwidth`` are taken as written.
        """
        half = self.attribute("bandwidth")
        read = self.attribute("read_bandwidth", default=None if half is None else half / 2)
        write = self.attribute("write_bandwidth", default=None if half is None else half / 2)
        return read, write, self.attribute("shared_bandwidth")

    @cached_property
    def network_latency(self) -> int:
        """Cycles the network to the level below adds once: fill plus drain latency."""
        return sum(int(self.attribute(key, default=0)) for key in LATENCIES)

    @cached_property
    def technology_kind(self) -> Literal["DRAM", "SRAM"]:
        if "DRAM" in self.class_name or self.attribute("technology") == "DRAM":
            return "DRAM"
        return "SRAM"


class ComputeLevel(Component):
    """The compute (MAC) level."""

    @cached_property
    def datawidth(self) -> int:
        return int(
            self.attribute("datawidth", "width", "multiplier_width", default=DEFAULT_WORD_BITS)
        )


class Architecture(BaseModel):
    """A memory hierarchy: storage levels (outermost first) above one compute level.

    Attributes:
        name: the top container's name.
        version: the Timeloop spec version it was read from (``"0.4"``, ``"0.3"``...).
        storage: storage levels, outermost (e.g. DRAM) first, pass-through spatial levels included.
        compute: the compute level.
        components: every component in the file, in order (networks and unknown classes too).
        attributes: attributes of the top container (``technology``, ``global_cycle_seconds``...).
        file: the file it was read from (errors about its components name it), if any.
    """

    model_config = _FROZEN
    name: str = "system"
    version: str = "0.4"
    storage: tuple[StorageLevel, ...]
    compute: ComputeLevel
    components: tuple[Component, ...] = ()
    attributes: Mapping[str, Any] = {}
    file: str | None = None

    @property
    def storage_names(self) -> tuple[str, ...]:
        return tuple(level.name for level in self.storage)

    def storage_level(self, name: str) -> StorageLevel:
        for level in self.storage:
            if level.name == name:
                return level
        raise KeyError(name)

    def index_of(self, name: str) -> int:
        """Position of a storage level, outermost = 0."""
        return self.storage_names.index(name)

    def fanout(self, index: int) -> tuple[int, int]:
        """(X, Y) spatial fanout from storage level `index` to the next level inward."""
        outer = self.storage[index]
        inner = self.storage[index + 1] if index + 1 < len(self.storage) else self.compute
        fx = inner.mesh_x // max(outer.mesh_x, 1)
        fy = inner.mesh_y // max(outer.mesh_y, 1)
        return max(fx, 1), max(fy, 1)


# ---------------------------------------------------------------------------- parsing helpers
_RANGE = re.compile(r"^(?P<base>[^\[]+)\[(?P<lo>\d+)\.\.(?P<hi>\d+)\]$")


def split_instance_range(name: str) -> tuple[str, int]:
    """``PE[0..167]`` → ``("PE", 168)``; a plain name has one instance."""
    match = _RANGE.match(name.strip())
    if not match:
        return name.strip(), 1
    lo, hi = int(match["lo"]), int(match["hi"])
    return match["base"], hi - lo + 1


def _attrs(node: Mapping[str, Any], where: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A node's attributes (keys with ``_`` for ``-``) and, per key, its field path in the file."""
    attrs = node.get("attributes") or {}
    if not isinstance(attrs, Mapping):
        raise SpecError("attributes must be a mapping", field=f"{where}.attributes")
    values = {normalize_key(str(k)): v for k, v in attrs.items()}
    fields = {normalize_key(str(k)): f"{where}.attributes.{k}" for k in attrs}
    return values, fields


def _mapping(node: Mapping[str, Any], key: str, where: str, expected: str) -> Mapping[str, Any]:
    value = node.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(f"expected {expected}, got {value!r}", field=f"{where}.{key}")
    return value


#: Attributes hwsim reads as numbers (capacity, word and block size, buffering, MAC width).
STORAGE_INTEGERS = (
    "word_bits",
    "word_width",
    "datawidth",
    "block_size",
    "n_words",
    "width",
    "memory_width",
    "data_storage_width",
    "cluster_size",
    "entries",
    "depth",
    "memory_depth",
    "data_storage_depth",
)
#: Words per cycle per instance (Timeloop's bandwidth limits; see `hwsim.analytical.cycles`).
BANDWIDTHS = ("read_bandwidth", "write_bandwidth", "shared_bandwidth", "bandwidth")
#: Cycles added once per run (Timeloop's inferred-network fill and drain latencies).
LATENCIES = ("network_fill_latency", "network_drain_latency")
STORAGE_NUMBERS = ("sizeKB", "multiple_buffering", *BANDWIDTHS)
COMPUTE_INTEGERS = ("datawidth", "width", "multiplier_width")

#: Widest word (bits) a storage level or MAC may have; also the bound of ``--datawidth``.
MAX_WORD_BITS = 1024
#: Sane upper bounds of the numbers above: a register file of depth 10^12 or a 100000-bit
#: word is a typo, and would make the component models run for ever or overflow.
STORAGE_LIMITS: dict[str, float] = {
    **dict.fromkeys(("word_bits", "word_width", "datawidth"), MAX_WORD_BITS),
    **dict.fromkeys(("width", "memory_width", "data_storage_width"), 65536),
    **dict.fromkeys(("block_size", "n_words", "cluster_size"), 65536),
    **dict.fromkeys(("depth", "memory_depth", "data_storage_depth"), 2**32),
    "entries": 2**40,
    "sizeKB": 2**30,
    "multiple_buffering": 64,
    **dict.fromkeys(BANDWIDTHS, 2**40),
    **dict.fromkeys(LATENCIES, 2**40),
}
COMPUTE_LIMITS: dict[str, float] = dict.fromkeys(COMPUTE_INTEGERS, MAX_WORD_BITS)
#: Most instances of one component (a 1024 x 1024 PE array).
MAX_INSTANCES = 2**20


def _resolve(attrs: Mapping[str, Any], key: str) -> Any:
    """A string attribute may be arithmetic over the others (``depth: rows * 2``), as Accelergy
    allows; other values are returned as written."""
    value = attrs[key]
    if not isinstance(value, str):
        return value
    bindings = {k: v for k, v in attrs.items() if k != key}
    try:
        return evaluate_attribute(value, bindings, accelergy_functions(0.4))
    except (ExpressionError, TypeError, ValueError, ArithmeticError):
        return value


def _numeric_attributes(
    kind: Kind, attrs: dict[str, Any], fields: Mapping[str, str]
) -> dict[str, Any]:
    """`attrs` with the numbers hwsim reads checked and resolved; a bad one is a `SpecError` at
    the field that wrote it (the component's own attributes or an enclosing container's)."""
    integers = (*STORAGE_INTEGERS, *LATENCIES) if kind == "storage" else COMPUTE_INTEGERS
    numbers = STORAGE_NUMBERS if kind == "storage" else ()
    limits = STORAGE_LIMITS if kind == "storage" else COMPUTE_LIMITS
    out = dict(attrs)
    for key in (*integers, *numbers):
        if key in attrs and attrs[key] is not None:
            field = fields.get(key, f"attributes.{key}")
            value = _resolve(attrs, key)
            out[key] = (
                expect_int(
                    value, field, minimum=0 if key in LATENCIES else 1, maximum=int(limits[key])
                )
                if key in integers
                else expect_positive(value, field, maximum=limits[key])
            )
    return out


def _make(
    cls_name: str,
    name: str,
    attrs: dict[str, Any],
    *,
    instances: int,
    mesh_x: int,
    path: tuple[str, ...],
    constraints: Mapping[str, Any] | None = None,
    pass_through: bool = False,
    fields: Mapping[str, str] | None = None,
) -> Component:
    """One component; the numeric attributes of storage and compute levels are validated here
    (`fields`: attribute → its field path in the file, for errors)."""
    kind = "storage" if pass_through else classify(cls_name)
    if kind in ("storage", "compute") and not pass_through:
        attrs = _numeric_attributes(kind, attrs, fields or {})
    mesh_x = max(1, min(mesh_x, instances))
    mesh_y = max(1, instances // mesh_x)
    kwargs: dict[str, Any] = dict(
        name=name,
        class_name=cls_name,
        kind=kind,
        attributes=attrs,
        instances=instances,
        mesh_x=mesh_x,
        mesh_y=mesh_y,
        path=path,
        constraints=dict(constraints or {}),
        pass_through=pass_through,
    )
    if kind == "storage":
        return StorageLevel(**kwargs)
    if kind == "compute":
        return ComputeLevel(**kwargs)
    return Component(**kwargs)


def _pass_through(
    name: str, mesh_x: int, mesh_y: int, path: tuple[str, ...], constraints: Mapping[str, Any]
) -> Component:
    """Timeloop's front end puts a data-less level ``inter_<name>_spatial`` above a fanout."""
    return _make(
        "dummy_storage",
        f"inter_{name}_spatial",
        {"width": 1, "depth": 1, "datawidth": 1},
        instances=mesh_x * mesh_y,
        mesh_x=mesh_x,
        path=path,
        constraints=constraints,
        pass_through=True,
    )


def _parse_v04(nodes: Any, field: str) -> tuple[list[Component], dict[str, Any], str]:
    """Walk v0.4 nodes as Timeloop's front end does (see module docstring)."""
    if not isinstance(nodes, list):
        raise SpecError("expected a list of !Container/!Component nodes", field=field)
    components: list[Component] = []
    inherited: dict[str, Any] = {}
    inherited_fields: dict[str, str] = {}
    top_attrs: dict[str, Any] = {}
    top_name = "system"
    mesh_x, mesh_y = 1, 1
    path: list[str] = []
    first = True

    def visit(node_list: list[Any], where: str, in_parallel: bool) -> None:
        nonlocal mesh_x, mesh_y, first, top_name, top_attrs
        for i, node in enumerate(node_list):
            here = f"{where}[{i}]"
            if not isinstance(node, Mapping):
                raise SpecError("expected a !Container or !Component node", field=here)
            tag = (
                node.tag
                if isinstance(node, Tagged)
                else ("Component" if "class" in node else "Container")
            )
            if tag in ("Parallel", "Hierarchical", "Pipelined"):
                visit(node.get("nodes") or [], f"{here}.nodes", tag == "Parallel")
                continue
            if tag == "Nothing":
                continue
            if "name" not in node:
                raise SpecError("node has no name", field=here)
            name = str(node["name"])
            attrs, fields = _attrs(node, here)
            spatial = _mapping(node, "spatial", here, "a mapping {meshX: ..., meshY: ...}")
            fx = expect_int(spatial.get("meshX", 1), f"{here}.spatial.meshX", maximum=MAX_INSTANCES)
            fy = expect_int(spatial.get("meshY", 1), f"{here}.spatial.meshY", maximum=MAX_INSTANCES)
            if mesh_x * mesh_y * fx * fy > MAX_INSTANCES:
                raise SpecError(
                    f"{mesh_x * mesh_y * fx * fy:,} instances below this node, more than "
                    f"hwsim models ({MAX_INSTANCES:,})",
                    field=f"{here}.spatial",
                )
            constraints = _mapping(node, "constraints", here, "a mapping {spatial: ..., ...}")
            if tag in ("Container",) or "class" not in node:
                inherited.update(attrs)
                inherited_fields.update(fields)
                if first:
                    top_name, top_attrs = name, dict(attrs)
                first = False
                path.append(name)
                if fx * fy != 1:
                    if in_parallel:
                        raise SpecError(
                            "a container with a spatial fanout cannot sit under !Parallel",
                            field=here,
                        )
                    components.append(
                        _pass_through(name, mesh_x, mesh_y, tuple(path[:-1]), constraints)
                    )
                    mesh_x, mesh_y = mesh_x * fx, mesh_y * fy
                continue
            first = False
            if tag != "Component" and tag not in ("Storage", "Compute", "Network"):
                raise SpecError(f"unknown node tag !{tag}", field=here)
            cls_name = str(node.get("class", ""))
            merged = {**inherited, **attrs}
            if fx * fy != 1:
                spatial_only = (
                    {"spatial": constraints["spatial"]} if constraints.get("spatial") else {}
                )
                components.append(_pass_through(name, mesh_x, mesh_y, tuple(path), spatial_only))
                mesh_x, mesh_y = mesh_x * fx, mesh_y * fy
            components.append(
                _make(
                    cls_name,
                    name,
                    merged,
                    instances=mesh_x * mesh_y,
                    mesh_x=mesh_x,
                    path=tuple(path),
                    constraints=constraints,
                    fields={**inherited_fields, **fields},
                )
            )

    visit(nodes, field, False)
    return components, top_attrs, top_name


def _parse_tree(root: Mapping[str, Any], field: str) -> tuple[list[Component], dict[str, Any], str]:
    """Walk the v0.2/v0.3 ``subtree``/``local`` form (one subtree per level, as Timeloop requires)."""
    components: list[Component] = []
    inherited: dict[str, Any] = {}
    inherited_fields: dict[str, str] = {}
    top_attrs: dict[str, Any] = {}
    top_name = "system"
    multiplicity = 1
    path: list[str] = []
    node: Mapping[str, Any] = root
    where = field
    depth = 0
    while "subtree" in node:
        subtrees = node["subtree"]
        if not isinstance(subtrees, list) or len(subtrees) != 1:
            raise SpecError("each level must have exactly one subtree", field=f"{where}.subtree")
        node = subtrees[0]
        where = f"{where}.subtree[0]"
        if not isinstance(node, Mapping) or "name" not in node:
            raise SpecError("a subtree needs a name", field=where)
        base, count = split_instance_range(str(node["name"]))
        multiplicity *= count
        if multiplicity > MAX_INSTANCES:
            raise SpecError(
                f"{multiplicity:,} instances, more than hwsim models ({MAX_INSTANCES:,})",
                field=f"{where}.name",
            )
        path.append(base)
        attrs, fields = _attrs(node, where)
        inherited.update(attrs)
        inherited_fields.update(fields)
        if depth == 0:
            top_name, top_attrs = base, dict(attrs)
        depth += 1
        for j, local in enumerate(node.get("local") or []):
            lwhere = f"{where}.local[{j}]"
            if not isinstance(local, Mapping) or "name" not in local or "class" not in local:
                raise SpecError("a local component needs a name and a class", field=lwhere)
            lbase, lcount = split_instance_range(str(local["name"]))
            local_attrs, local_fields = _attrs(local, lwhere)
            merged = {**inherited, **local_attrs}
            merged_fields = {**inherited_fields, **local_fields}
            instances = multiplicity * lcount
            if instances > MAX_INSTANCES:
                raise SpecError(
                    f"{instances:,} instances, more than hwsim models ({MAX_INSTANCES:,})",
                    field=f"{lwhere}.name",
                )
            mesh_x = instances
            if merged.get("meshX") is not None:
                mesh_x = expect_int(merged["meshX"], merged_fields["meshX"])
                if instances % mesh_x:
                    raise SpecError(
                        f"{instances} instances of {lbase} do not fill a mesh {mesh_x} wide "
                        "(meshX must divide the instance count)",
                        field=merged_fields["meshX"],
                    )
            components.append(
                _make(
                    str(local["class"]),
                    lbase,
                    merged,
                    instances=instances,
                    mesh_x=mesh_x,
                    path=tuple(path),
                    fields=merged_fields,
                )
            )
    return components, top_attrs, top_name


def parse_architecture(document: Any, *, file: str | None = None) -> Architecture:
    """Build an `Architecture` from the value under a file's top-level ``architecture`` key."""
    if not isinstance(document, Mapping):
        raise SpecError("expected a mapping", file=file, field="architecture")
    version = str(document.get("version", "0.4"))
    try:
        if "nodes" in document:
            components, top_attrs, top_name = _parse_v04(document["nodes"], "architecture.nodes")
        elif "subtree" in document:
            components, top_attrs, top_name = _parse_tree(document, "architecture")
        else:
            raise SpecError(
                "expected 'nodes' (v0.4) or 'subtree' (v0.2/v0.3)", field="architecture"
            )
    except SpecError as err:
        raise err.at(file=file) from None

    for c in components:
        if c.kind == "other" and not any(m in c.class_name.lower() for m in NETWORK_MARKERS):
            warnings.warn(
                SpecWarning(
                    f"{file or 'architecture'}: component {c.name!r} has class {c.class_name!r}, "
                    f"neither storage ({', '.join(STORAGE_CLASS_MARKERS)}) nor compute "
                    f"({', '.join(COMPUTE_CLASS_MARKERS)}): left out of the hierarchy, as "
                    "Timeloop does"
                ),
                stacklevel=2,
            )
    storage = [c for c in components if isinstance(c, StorageLevel)]
    compute = [c for c in components if isinstance(c, ComputeLevel)]
    if not compute:
        raise SpecError(
            "no compute level: the innermost component must be a MAC (class mac/intmac/fpmac/compute)",
            file=file,
            field="architecture",
        )
    if len(compute) > 1:
        names = [c.name for c in compute]
        raise SpecError(f"more than one compute level: {names}", file=file, field="architecture")
    if not storage:
        raise SpecError(
            "no storage level (classes DRAM/SRAM/regfile/smartbuffer/storage)",
            file=file,
            field="architecture",
        )
    names = [s.name for s in storage]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(
            f"storage level names repeat: {duplicates}", file=file, field="architecture"
        )
    return Architecture(
        name=top_name,
        version=version,
        storage=tuple(storage),
        compute=compute[0],
        components=tuple(components),
        attributes=top_attrs,
        file=file,
    )
