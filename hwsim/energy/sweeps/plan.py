"""The four sweeps of the assignment's Q2, as points to evaluate.

- SRAM: depth 8192 with width 16…2048, then width 128 with depth 512…8192;
- register file: the same two sweeps;
- DRAM: width 16…2048 (no depth: a large DRAM chip, LPDDR4);
- integer MAC: width 2…64, multiplier ``w`` bits, accumulator ``2w`` bits.

Widths and depths step by powers of two, as in the course's reference run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Varied = Literal["width", "depth"]


@dataclass(frozen=True)
class SweepPoint:
    """One configuration of one component (``component`` is its Accelergy class; ``depth`` is None
    where it is not a parameter)."""

    component: str
    sweep: str
    width: int
    depth: int | None

    def attributes(self, technology: str) -> dict[str, Any]:
        if self.component == "DRAM":
            return {"type": "LPDDR4", "width": self.width}
        if self.component == "intmac":
            return {
                "technology": technology,
                "multiplier_width": self.width,
                "adder_width": 2 * self.width,
            }
        return {
            "technology": technology,
            "width": self.width,
            "depth": self.depth,
            "n_rdwr_ports": 1,
            "n_banks": 1,
        }

    @property
    def label(self) -> str:
        return f"{self.component} {self.width}b" + (
            f"×{self.depth}" if self.depth is not None else ""
        )


@dataclass(frozen=True)
class Sweep:
    """Points of one component along one parameter."""

    component: str
    sweep: str
    varied: Varied
    points: tuple[SweepPoint, ...]


def _powers(low: int, high: int) -> list[int]:
    out, n = [], low
    while n <= high:
        out.append(n)
        n *= 2
    return out


#: Widths of the memory and DRAM width sweeps, depths of the memory depth sweeps, MAC widths.
WIDTHS = tuple(_powers(16, 2048))
DEPTHS = tuple(_powers(512, 8192))
MAC_WIDTHS = tuple(_powers(2, 64))
#: What the memory sweeps hold fixed: the depth of a width sweep, the width of a depth sweep.
FIXED_DEPTH = 8192
FIXED_WIDTH = 128
MEMORIES = ("SRAM", "regfile")


def fixed_parameter(component: str, sweep: str) -> str:
    """What a sweep holds fixed, for titles: `` (depth 8192)``, `` (width 128)`` or nothing."""
    if component not in MEMORIES:
        return ""
    return {"width_sweep": f" (depth {FIXED_DEPTH})", "depth_sweep": f" (width {FIXED_WIDTH})"}.get(
        sweep, ""
    )


def q2_sweeps() -> tuple[Sweep, ...]:
    sweeps = []
    for component in MEMORIES:
        sweeps.append(
            Sweep(
                component,
                "width_sweep",
                "width",
                tuple(SweepPoint(component, "width_sweep", w, FIXED_DEPTH) for w in WIDTHS),
            )
        )
        sweeps.append(
            Sweep(
                component,
                "depth_sweep",
                "depth",
                tuple(SweepPoint(component, "depth_sweep", FIXED_WIDTH, d) for d in DEPTHS),
            )
        )
    sweeps.append(
        Sweep(
            "DRAM",
            "width_sweep",
            "width",
            tuple(SweepPoint("DRAM", "width_sweep", w, None) for w in WIDTHS),
        )
    )
    sweeps.append(
        Sweep(
            "intmac",
            "width_sweep",
            "width",
            tuple(SweepPoint("intmac", "width_sweep", w, None) for w in MAC_WIDTHS),
        )
    )
    return tuple(sweeps)
