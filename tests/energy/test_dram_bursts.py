"""Wide DRAM accesses as whole bursts of the device interface."""

from __future__ import annotations

import pytest
from absent import require_module

from hwcomponents_hwkd.dram_interfaces import burst_plan

NEEDS_MODELS = True


@pytest.mark.parametrize(
    ("width", "device", "plan"),
    [
        (16, "LPDDR4", (1, 16)),
        (64, "LPDDR4", (1, 64)),
        (65, "LPDDR4", (2, 64)),
        (2048, "LPDDR4", (32, 64)),
        (100, "DDR3", (2, 64)),
        (1024, "HBM2", (1, 1024)),
        (4096, "HBM4", (1, 4096)),
    ],
)
def test_burst_plan(width, device, plan) -> None:
    assert burst_plan(width, device) == plan


def test_impossible_accesses_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1024 bits"):
        burst_plan(64, "HBM2")
    with pytest.raises(ValueError, match="not modelled"):
        burst_plan(64, "GDDR7")


def test_burst_energy_is_the_devices_per_bit_energy() -> None:
    require_module("hwcomponents_cacti", "needs the energy extra: pip install -e '.[energy]'")
    from hwcomponents_hwkd.dram_bursts import DRAMBursts

    for width in (16, 64, 128, 2048):
        model = DRAMBursts(width)
        assert model.read().energy * 1e12 == pytest.approx(8.0 * width)
        assert model.write().energy * 1e12 == pytest.approx(8.0 * width)
    # A 100-bit access still moves two whole 64-bit bursts.
    assert DRAMBursts(100).read().energy * 1e12 == pytest.approx(8.0 * 128)
    assert DRAMBursts(2048, "HBM2").read().energy * 1e12 == pytest.approx(6.25 * 2048)
