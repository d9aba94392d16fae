"""Compound classes hwsim knows without a compound-components file: ``smartbuffer_SRAM`` and
``smartbuffer_RF``, as the course's Eyeriss-like architecture uses them.

A smart buffer is a storage array (an SRAM macro or a flip-flop register file) with two address
generators, adders as wide as the address: a read adds on the read generator, a write on the
write generator, and the other one idles. Defaults follow the course's compound files (two
read-write ports, one bank). A compound-components file given with the architecture overrides
these definitions class by class.
"""

from __future__ import annotations

from typing import Any

from hwsim.energy.components.compound import CompoundLibrary


def _smartbuffer(name: str, storage_class: str) -> dict[str, Any]:
    def uses(storage_action: str, active: int) -> dict[str, Any]:
        return {
            "name": storage_action,
            "subcomponents": [
                {"name": "storage", "actions": [{"name": storage_action}]},
                {"name": f"address_generators[{active}]", "actions": [{"name": "add"}]},
                {"name": f"address_generators[{1 - active}]", "actions": [{"name": "idle"}]},
            ],
        }

    return {
        "name": name,
        "attributes": {"n_rdwr_ports": 2, "n_banks": 1},
        "subcomponents": [
            {
                "name": "storage",
                "class": storage_class,
                "attributes": {
                    "technology": "technology",
                    "width": "width",
                    "depth": "depth",
                    "n_rdwr_ports": "n_rdwr_ports",
                    "n_banks": "n_banks",
                },
            },
            {
                "name": "address_generators[0..1]",
                "class": "intadder",
                "attributes": {"technology": "technology", "width": "max(1, ceil(log2(depth)))"},
            },
        ],
        "actions": [
            uses("read", 1),
            uses("write", 0),
            {
                "name": "idle",
                "subcomponents": [
                    {"name": "storage", "actions": [{"name": "idle"}]},
                    {"name": "address_generators[0..1]", "actions": [{"name": "idle"}]},
                ],
            },
        ],
    }


BUILTIN_DOCUMENT = {
    "version": 0.4,
    "classes": [
        _smartbuffer("smartbuffer_SRAM", "SRAM"),
        _smartbuffer("smartbuffer_RF", "regfile"),
    ],
}


def builtin_library() -> CompoundLibrary:
    return CompoundLibrary.from_documents(
        [BUILTIN_DOCUMENT], source="hwsim built-in compound components"
    )
