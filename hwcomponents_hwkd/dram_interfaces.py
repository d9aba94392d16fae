"""Interface widths of the DRAM devices hwcomponents-cacti models, and how a wide access splits.

hwcomponents-cacti's LPDDR4, LPDDR and DDR3 models cover at most 64-bit transfers; HBM2 and HBM3
at least 1024 bits, HBM4 at least 2048. An access wider than a narrow device's interface moves as
``⌈width / interface⌉`` bursts of the full interface; an access narrower than a wide device's
minimum cannot be made. Pure data, importable without hwcomponents (the cache's warm path).
"""

from __future__ import annotations

import math

#: device → (narrowest, widest) transfer in bits; None = no upper limit.
INTERFACE_BITS: dict[str, tuple[int, int | None]] = {
    "LPDDR4": (1, 64),
    "LPDDR": (1, 64),
    "DDR3": (1, 64),
    "HBM2": (1024, None),
    "HBM3": (1024, None),
    "HBM4": (2048, None),
}

#: Energy per bit moved (pJ), as hwcomponents-cacti models each device; for notes only.
PJ_PER_BIT = {"LPDDR4": 8.0, "LPDDR": 40.0, "DDR3": 70.0, "HBM2": 6.25, "HBM3": 4.05, "HBM4": 3.2}


def burst_plan(width: int, device: str) -> tuple[int, int]:
    """(bursts per access, bits per burst) for a `width`-bit access; `ValueError` when impossible."""
    if device not in INTERFACE_BITS:
        raise ValueError(
            f"DRAM type {device!r} is not modelled; types: {', '.join(INTERFACE_BITS)}"
        )
    narrowest, widest = INTERFACE_BITS[device]
    if width < narrowest:
        raise ValueError(
            f"a {device} device transfers at least {narrowest} bits; a {width}-bit access does not "
            f"fit it (use an LPDDR4, LPDDR or DDR3 type for narrow accesses)"
        )
    if widest is None or width <= widest:
        return 1, width
    return math.ceil(width / widest), widest
