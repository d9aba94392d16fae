"""DRAM accesses of any width, as whole transfers of a real device interface.

hwcomponents-cacti prices DRAM per bit moved (LPDDR4 8 pJ/bit, DDR3 70, LPDDR 40, HBM2 6.25,
HBM3 4.05, HBM4 3.2) but each device model covers only its own interface widths: LPDDR4, LPDDR
and DDR3 at most 64 bits, HBM2 and HBM3 at least 1024, HBM4 at least 2048. No single model covers
the 16–2048-bit accesses an architecture spec may ask for. `DRAMBursts` keeps the device model and
moves a wide access as ``⌈width / interface⌉`` back-to-back transfers (bursts) of the device's
widest interface, so the energy per bit is the device's and the burst count is reported. An
access narrower than a narrow device's interface is one transfer of that many bits; an access
narrower than a wide device's minimum (HBM) is refused, since that device cannot transfer less.
"""

from __future__ import annotations

from typing import ClassVar

from hwcomponents import ActionCost, ComponentModel, action
from hwcomponents_cacti import DDR3, HBM2, HBM3, HBM4, LPDDR, LPDDR4

from hwcomponents_hwkd.dram_interfaces import burst_plan

#: device → hwcomponents-cacti model (its interface widths are in `INTERFACE_BITS`).
DEVICE_MODELS: dict[str, type[ComponentModel]] = {
    "LPDDR4": LPDDR4,
    "LPDDR": LPDDR,
    "DDR3": DDR3,
    "HBM2": HBM2,
    "HBM3": HBM3,
    "HBM4": HBM4,
}


class DRAMBursts(ComponentModel):
    """Off-chip DRAM moving `width` bits per access as whole device bursts (zero area and leakage).

    Parameters
    ----------
    width: bits per access.
    type: the device (LPDDR4, LPDDR, DDR3, HBM2, HBM3, HBM4).
    """

    component_name: ClassVar[list[str]] = ["DRAM", "dram"]
    priority = 0.4

    def __init__(self, width: int, type: str = "LPDDR4"):
        self.width = self.assert_int("width", width)
        self.type = type
        self.bursts, self.burst_bits = burst_plan(self.width, type)
        self.device = DEVICE_MODELS[type](width=self.burst_bits)
        super().__init__(subcomponents=[self.device])

    @action
    def read(self) -> ActionCost:
        """One access: `bursts` device reads."""
        for _ in range(self.bursts):
            self.device.read()

    @action
    def write(self) -> ActionCost:
        """One access: `bursts` device writes."""
        for _ in range(self.bursts):
            self.device.write()
