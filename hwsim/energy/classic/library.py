"""Accelergy 0.3's primitive component library: default attributes and actions of each class.

Classic Accelergy completes a primitive component's attributes with its class defaults (the
``primitive_component.lib.yaml`` that ships with Accelergy 0.3) before asking the estimation
plug-ins, and enumerates every value of each action argument range (``address_delta:
0..n_banks``). The defaults matter for energy: a compound component's address generator is an
``intadder`` that never sets ``datawidth``, so it is priced at the library's 16 bits, whatever
the memory depth; a component without ``technology`` is at 65 nm, which the Aladdin tables do
not cover. These are facts of that release, written down here as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PrimitiveClass:
    """One class of the library.

    Attributes:
        name: class name (``regfile``, ``SRAM``, ``intmac``...).
        defaults: attribute name → default value (keys with ``_``, as hwsim normalises them).
        actions: action name → {argument: range text such as ``"0..n_banks"``} (empty: none).
    """

    name: str
    defaults: Mapping[str, Any]
    actions: Mapping[str, Mapping[str, str]]


_DELTAS = {"data_delta": "0..1", "address_delta": "0..1"}
_BANKED_DELTAS = {"data_delta": "0..1", "address_delta": "0..n_banks"}
_TECH = {"technology": "65nm"}
_LATENCY = {"latency": "5ns"}
_FP = {"exponent": 8, "mantissa": 24, "sign": 0}
_MULT_ACTIONS: dict[str, Mapping[str, str]] = {
    "mult_random": {},
    "mult_reused": {},
    "mult_gated": {},
    "idle": {},
}
_MAC_ACTIONS: dict[str, Mapping[str, str]] = {
    "mac_random": {},
    "mac_reused": {},
    "mac_gated": {},
    "idle": {},
}


def _cls(
    name: str, defaults: Mapping[str, Any], *actions: str | tuple[str, Mapping]
) -> PrimitiveClass:
    table: dict[str, Mapping[str, str]] = {}
    for action in actions:
        if isinstance(action, tuple):
            table[action[0]] = dict(action[1])
        else:
            table[action] = {}
    return PrimitiveClass(name, {**_TECH, **defaults}, table)


#: Accelergy 0.3's primitive classes (share/primitive_component_libs/primitive_component.lib.yaml).
PRIMITIVE_CLASSES: dict[str, PrimitiveClass] = {
    c.name: c
    for c in (
        _cls("bitwise", {"datawidth": 16, **_LATENCY, "num": 1}, "process", "idle"),
        _cls("intadder", {"datawidth": 16, "num_pipeline_stages": 1, **_LATENCY}, "add", "idle"),
        _cls("fpadder", {**_FP, "num_pipeline_stages": 1, **_LATENCY}, "add", "idle"),
        _cls(
            "intmultiplier",
            {"datawidth": 16, "num_pipeline_stages": 1, **_LATENCY},
            *_MULT_ACTIONS,
        ),
        _cls("fpmultiplier", {**_FP, "num_pipeline_stages": 1, **_LATENCY}, *_MULT_ACTIONS),
        _cls(
            "regfile",
            {"width": 16, "depth": 1, "n_ports": 2, **_LATENCY},
            ("read", _DELTAS),
            ("write", _DELTAS),
            "idle",
        ),
        _cls("reg", {"datawidth": 16, **_LATENCY}, "access"),
        _cls(
            "SRAM",
            {
                "width": 64,
                "depth": 512,
                "n_rd_ports": 0,
                "n_wr_ports": 0,
                "n_rdwr_ports": 1,
                "n_banks": 1,
                **_LATENCY,
            },
            ("read", _BANKED_DELTAS),
            ("write", _BANKED_DELTAS),
            "idle",
        ),
        _cls("DRAM", {"type": "LPDDR4", "width": 64}, "read", "write", "idle"),
        _cls("counter", {"width": 16, **_LATENCY}, "count", "idle"),
        _cls("FIFO", {"datawidth": 16, "depth": 2, **_LATENCY}, "push", "pop", "idle"),
        _cls("intmac", {"datawidth": 16, "num_pipeline_stages": 2, **_LATENCY}, *_MAC_ACTIONS),
        _cls("fpmac", {**_FP, "num_pipeline_stages": 3, **_LATENCY}, *_MAC_ACTIONS),
        _cls(
            "crossbar",
            {"n_inputs": 1, "n_outputs": 1, "datawidth": 16, **_LATENCY},
            "transfer_random",
            "transfer_repeated",
            "idle",
        ),
        _cls(
            "wire",
            {"length": "1um", **_LATENCY},
            "transfer_random",
            "transfer_repeated",
            "idle",
        ),
        _cls("serializer", {"ratio": 4, "datawidth": 64}, "serialize", "idle"),
        _cls("deserializer", {"ratio": 4, "datawidth": 16}, "deserialize", "idle"),
        _cls("comparator", {"datawidth": 8}, "compare", "idle"),
    )
}


def primitive_class(name: str) -> PrimitiveClass | None:
    """The library class `name` (exact spelling, as classic Accelergy matched it)."""
    return PRIMITIVE_CLASSES.get(name)


def with_defaults(cls: PrimitiveClass, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """`attributes` completed with the class defaults (given values win)."""
    return {**cls.defaults, **attributes}
