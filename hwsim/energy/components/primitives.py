"""Accelergy primitive classes → hwcomponents model queries.

Each builder reads a component's attributes the way Accelergy names them and returns the model
query that prices it, with the notes a reader needs to trust the number (a wide DRAM access split
into bursts, a narrow SRAM word CACTI cannot build directly, a node CACTI interpolates). Class
names match case-insensitively, ignoring ``_`` and ``-`` (``SRAM``, ``regfile``, ``intmac``...).

| class | model | attributes read |
| --- | --- | --- |
| SRAM | CACTI via hwcomponents-cacti | width, depth, technology, n_rdwr_ports (+ n_rd/n_wr_ports), n_banks |
| regfile | hwkd register file | width, depth, technology, n_rdwr_ports, n_banks |
| DRAM | device bursts (hwcomponents-cacti) | width, type (LPDDR4 default) |
| intmac, mac | Aladdin MAC | multiplier_width (or datawidth, width), adder_width (2× default), technology |
| intadder, adder | Aladdin adder | width (or datawidth), technology |
| counter, multiplier, register | Aladdin | width (or datawidth), technology |

``width`` also reads ``memory_width`` / ``data_storage_width``, or ``block_size × word_bits``;
``depth`` also reads ``memory_depth`` / ``data_storage_depth``, or ``entries`` / ``sizeKB``
converted to rows of ``width`` bits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hwcomponents_hwkd.dram_interfaces import PJ_PER_BIT, burst_plan
from hwsim.energy.components.attributes import ComponentAttributes
from hwsim.energy.components.query import PrimitiveQuery

CACTI_NODES_NM = (22, 32, 45, 65, 90)


@dataclass(frozen=True)
class Primitive:
    """How to price one primitive component.

    Attributes:
        query: the model evaluation.
        notes: remarks shown with the numbers.
        aliases: other names a compound component may use for the query's actions.
    """

    query: PrimitiveQuery
    notes: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)


def normalize_class(name: str) -> str:
    """``smartbuffer_SRAM`` → ``smartbuffersram``: how primitive and compound class names match."""
    return name.lower().replace("_", "").replace("-", "")


# ---------------------------------------------------------------------------------- geometry
def access_width(attrs: ComponentAttributes) -> int:
    """Bits per access: ``width`` (or an alias), else ``block_size × word_bits``."""
    if attrs.first("width", "memory_width", "data_storage_width") is not None:
        return attrs.integer("width", "memory_width", "data_storage_width")
    if attrs.first("block_size") is not None and attrs.first("word_bits", "datawidth") is not None:
        return attrs.integer("block_size") * attrs.integer("word_bits", "datawidth")
    raise attrs.error(
        "missing attribute 'width' (also read as memory_width, data_storage_width, block_size × word_bits)"
    )


def rows(attrs: ComponentAttributes, width: int) -> int:
    """Rows of `width` bits: ``depth`` (or an alias), else from ``entries`` or ``sizeKB``."""
    if attrs.first("depth", "memory_depth", "data_storage_depth") is not None:
        return attrs.integer("depth", "memory_depth", "data_storage_depth")
    word_bits = attrs.integer("word_bits", "datawidth", default=16)
    if attrs.first("entries") is not None:
        return max(1, math.ceil(attrs.integer("entries") * word_bits / width))
    if attrs.first("sizeKB") is not None:
        try:
            size_kb = float(attrs.values["sizeKB"])
        except (TypeError, ValueError):
            raise attrs.error(
                f"attribute 'sizeKB' must be a number, got {attrs.values['sizeKB']!r}"
            ) from None
        return max(1, math.ceil(size_kb * 8192 / width))
    raise attrs.error(
        "missing attribute 'depth' (also read as memory_depth, data_storage_depth, entries, sizeKB)"
    )


def ports(attrs: ComponentAttributes) -> tuple[int, tuple[str, ...]]:
    rw = attrs.integer("n_rdwr_ports", "n_rw_ports", default=1)
    extra = attrs.integer("n_rd_ports", minimum=0, default=0) + attrs.integer(
        "n_wr_ports", minimum=0, default=0
    )
    if extra:
        return rw + extra, (f"{extra} read-only/write-only port(s) modelled as read-write ports",)
    return rw, ()


# --------------------------------------------------------------------------------- builders
def _sram(attrs: ComponentAttributes) -> Primitive:
    width = access_width(attrs)
    depth = rows(attrs, width)
    n_ports, notes = ports(attrs)
    banks = attrs.integer("n_banks", default=1)
    tech = attrs.technology()
    notes += _cacti_notes(width, depth, banks, tech.nanometres)
    query = PrimitiveQuery.make(
        "cacti-sram",
        {
            "tech_node": tech.metres,
            "width": width,
            "depth": depth,
            "size": width * depth,
            "n_rw_ports": n_ports,
            "n_banks": banks,
        },
        {"read": "read", "write": "write"},
    )
    return Primitive(query, notes)


def _cacti_notes(width: int, depth: int, banks: int, nm: float) -> tuple[str, ...]:
    """What hwcomponents-cacti (``_Memory._interp_size``/``_interp_tech_node``) does around CACTI.

    It evaluates words of at least 32 bits rounded up to whole bytes, at least ``64 × n_banks`` rows
    and a power-of-two bank count, then scales energy, area and leakage back to the asked width and
    depth (not the bank count). Between its technology files it runs CACTI at the two neighbouring
    nodes and interpolates linearly; outside 22–90 nm, on either side, it runs CACTI at 22 nm and
    scales energy by √(node/22) and area by node/22.
    """
    notes = []
    cacti_banks = 2 ** math.ceil(math.log2(banks))
    cacti_width = max(math.ceil(width / 8) * 8, 32)
    cacti_depth = max(depth, 64 * banks)
    if (cacti_width, cacti_depth, cacti_banks) != (width, depth, banks):
        unscaled = f", not back to {banks} banks" if cacti_banks != banks else ""
        notes.append(
            f"CACTI evaluated {cacti_depth}×{cacti_width} bits in {cacti_banks} bank(s) (it needs ≥32-bit byte-multiple "
            f"words, ≥64 rows per bank and a power-of-two bank count); hwcomponents-cacti scaled the result to "
            f"{depth}×{width}{unscaled}"
        )
    low, high = CACTI_NODES_NM[0], CACTI_NODES_NM[-1]
    if nm not in CACTI_NODES_NM:
        if low < nm < high:
            below = max(n for n in CACTI_NODES_NM if n < nm)
            above = min(n for n in CACTI_NODES_NM if n > nm)
            notes.append(
                f"CACTI has no {nm:g} nm node: interpolated between {below} and {above} nm"
            )
        else:
            notes.append(
                f"CACTI has no {nm:g} nm node: hwcomponents-cacti ran it at {low} nm and scaled energy "
                f"by √({nm:g}/{low}) = {math.sqrt(nm / low):.3g}, area by {nm / low:.3g}"
            )
    return tuple(notes)


def _regfile(attrs: ComponentAttributes) -> Primitive:
    width = access_width(attrs)
    depth = rows(attrs, width)
    n_ports, notes = ports(attrs)
    banks = attrs.integer("n_banks", default=1)
    if banks > depth:
        raise attrs.error(f"n_banks ({banks}) cannot exceed depth ({depth})")
    tech = attrs.technology()
    query = PrimitiveQuery.make(
        "hwkd-regfile",
        {
            "tech_node": tech.metres,
            "width": width,
            "depth": depth,
            "n_rw_ports": n_ports,
            "n_banks": banks,
        },
        {"read": "read", "write": "write"},
    )
    return Primitive(query, notes)


def _dram(attrs: ComponentAttributes) -> Primitive:
    width = access_width(attrs)
    device = attrs.text("type", "dram_type", default="LPDDR4").upper()
    try:
        bursts, bits = burst_plan(width, device)
    except ValueError as err:
        raise attrs.error(str(err)) from None
    energy = f"{PJ_PER_BIT[device]:g} pJ/bit"
    if bursts > 1:
        note = f"a {width}-bit access is {bursts} bursts of the {bits}-bit {device} interface ({energy})"
    else:
        note = f"one {width}-bit {device} transfer ({energy})"
    query = PrimitiveQuery.make(
        "hwkd-dram", {"width": width, "type": device}, {"read": "read", "write": "write"}
    )
    return Primitive(query, (note, "off-chip: no area or leakage modelled"))


def _operand_width(attrs: ComponentAttributes) -> int:
    return attrs.integer("width", "datawidth")


def _intmac(attrs: ComponentAttributes) -> Primitive:
    multiplier = attrs.integer("multiplier_width", "datawidth", "width")
    adder = attrs.integer("adder_width", default=2 * multiplier)
    tech = attrs.technology()
    query = PrimitiveQuery.make(
        "aladdin-intmac",
        {"tech_node": tech.metres, "multiplier_width": multiplier, "adder_width": adder},
        {"compute": "mac"},
    )
    note = f"{multiplier}×{multiplier}-bit multiplier + {adder}-bit accumulator adder (Aladdin, scaled from 40 nm)"
    aliases = {"mac_random": "compute", "mac_reused": "compute", "mac": "compute"}
    return Primitive(query, (note,), aliases)


def _aladdin(
    model: str, actions: Mapping[str, str], aliases: Mapping[str, str]
) -> Callable[[ComponentAttributes], Primitive]:
    def build(attrs: ComponentAttributes) -> Primitive:
        query = PrimitiveQuery.make(
            model, {"tech_node": attrs.technology().metres, "width": _operand_width(attrs)}, actions
        )
        return Primitive(query, (), aliases)

    return build


_ADDER = _aladdin("aladdin-adder", {"add": "add"}, {"count": "add", "increment": "add"})
_COUNTER = _aladdin("aladdin-counter", {"count": "count"}, {"add": "count", "increment": "count"})
_MULTIPLIER = _aladdin(
    "aladdin-multiplier",
    {"multiply": "multiply"},
    {"mult_random": "multiply", "compute": "multiply"},
)
_REGISTER = _aladdin("aladdin-register", {"read": "read", "write": "write"}, {"access": "read"})

#: normalized class name → builder.
PRIMITIVES: dict[str, Callable[[ComponentAttributes], Primitive]] = {
    "sram": _sram,
    "regfile": _regfile,
    "registerfile": _regfile,
    "dram": _dram,
    "intmac": _intmac,
    "mac": _intmac,
    "intadder": _ADDER,
    "adder": _ADDER,
    "counter": _COUNTER,
    "intmultiplier": _MULTIPLIER,
    "multiplier": _MULTIPLIER,
    "register": _REGISTER,
    "reg": _REGISTER,
}


def primitive_for(attrs: ComponentAttributes) -> Primitive | None:
    """The primitive pricing `attrs`' class, or None when the class is not a known primitive."""
    builder = PRIMITIVES.get(normalize_class(attrs.class_name))
    return builder(attrs) if builder else None


def known_primitive_classes() -> list[str]:
    """The primitive class names (normalized: any case, with ``_`` or ``-``, also matches)."""
    return sorted(PRIMITIVES)
