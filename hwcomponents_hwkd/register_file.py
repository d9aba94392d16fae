"""A standard-cell register file: flip-flop array, read multiplexer tree, write decoder.

hwcomponents has no register-file model (its Aladdin ``Register`` is one register, CACTI models
SRAM macros). `RegisterFile` is ours: an hwcomponents `ComponentModel` whose energy, area and
leakage are closed-form functions of depth, width, banks, ports and technology, derived below
from the cells a synthesis tool would use. `register_file_costs` is the same closed form as a
pure function; the model class and the function agree by construction and by test.

Circuit
-------
``D`` rows (depth) of ``W`` flip-flops (width), ``L = ⌈log2 D⌉`` address bits, one access per
cycle through one of ``P`` read-write ports, rows split over ``B`` banks of ``R = ⌈D / B⌉`` rows.

- Read port: per bit, a binary tree of ``R − 1`` 2:1 multiplexers selects the addressed row of
  the bank; address bit ``k`` drives the select pins of the ``W·R / 2^(k+1)`` multiplexers of
  level ``k``, so the select nets carry ``W·(R − 1)`` pins in all. A ``B``:1 tree (``B − 1``
  multiplexers per bit) then picks the bank, and an output driver sends the word out.
- Write port: a decoder of ``R`` AND gates, each fed one true-or-complement literal of every
  address bit, enables one row's clock gate; the write clock reaches every row's clock gate;
  ``W`` write-data lines run past all ``R`` rows of the bank to every flip-flop's D pin.

Energy per access (random address and random data, every net transition costs ``½·C·V²``)
----------------------------------------------------------------------------------------
Each address bit toggles with probability ½. A level-``k`` multiplexer output changes when its
selected leaf changes (probability ``1 − 2^-(k+1)``) and that leaf holds a different bit (½);
summed over the ``R / 2^(k+1)`` multiplexers of each level this gives, per bit,
``T(R) = ½·(R − 1) − (R − 1/R) / 6`` output toggles (≈ R/3; exact for powers of two). So::

    E_read  = ½·W·(R − 1)·e_sel + W·T(R)·e_mux            (row tree of the bank)
            + ½·W·(B − 1)·e_sel + W·T(B)·e_mux            (bank tree)
            + ½·W·e_out                                   (output driver)

    E_write = ½·L_R·R·e_dec + 2·e_en                      (row decoder, one enable falls, one rises)
            + 2·R·e_icg                                   (write clock at every row's clock gate)
            + 2·W·e_ck + ½·W·e_q                          (the written row: clock pulse, state flips)
            + ½·W·R·e_d                                   (write-data lines across the bank)
            + ½·L_B·B·e_dec                               (bank decoder)

with ``L_R = ⌈log2 R⌉`` and ``L_B = ⌈log2 B⌉``. Both grow as ``W·D`` for a single bank: the read
select nets and the write-data lines span the whole array, the flip-flop analogue of SRAM bit
lines. The decoder adds ``D·log D`` and the per-access flip-flop work adds ``W``.

Area and leakage
----------------
``A = (D·W·(a_ff + (2P − 1)·a_mux) + P·(D·(L_R − 1) + B·(L_B − 1))·a_and2 + D·a_icg
+ P·W·a_out + P·W·(B − 1)·a_mux) / utilisation``: each extra port adds a read tree, a decoder and a write-input
multiplexer per bit; an access uses one port, so ports cost area and leakage, not access energy.
Leakage is the same sum with per-cell leakage powers.

Constants
---------
Representative 45 nm standard cells at the typical corner, 1.1 V (the Nangate 45 nm Open Cell
Library's MUX2_X1, DFF_X1, AND2_X1, CLKGATE_X1, BUF_X2): input capacitances 0.9–1.9 fF, local
wire 0.2 fF/µm, cell areas 1.1–4.5 µm², 70 % placement utilisation. Other nodes scale energy,
area and leakage with hwcomponents' technology tables (Stillmaker & Baas 2017), as every
hwcomponents library model does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from hwcomponents import ActionCost, ComponentModel, action

REFERENCE_NODE_M = 45e-9
VDD = 1.1
_HALF_V2 = 0.5 * VDD * VDD  # energy of one transition per farad, in joules
WIRE_F_PER_UM = 0.2e-15


@dataclass(frozen=True)
class Cells45nm:
    """Per-transition energies (J), areas (µm²), leakages (W) and delays (s) of the cells, at 45 nm."""

    e_sel: float = _HALF_V2 * (1.9e-15 + 2.0 * WIRE_F_PER_UM)  # MUX2 select pin + 2 µm of wire
    e_mux: float = _HALF_V2 * (
        1.0e-15 + 0.9e-15 + 2.0 * WIRE_F_PER_UM
    )  # mux output: drain, next input, wire
    e_dec: float = _HALF_V2 * (1.6e-15 + 2.0 * WIRE_F_PER_UM)  # decoder AND input + wire
    e_en: float = _HALF_V2 * (
        1.5e-15 + 5.0 * WIRE_F_PER_UM
    )  # row enable: clock-gate enable pin + wire
    e_icg: float = _HALF_V2 * 1.5e-15  # clock-gate clock pin
    e_ck: float = _HALF_V2 * (0.95e-15 + 2.0e-15)  # flip-flop clock pin + internal clock nodes
    e_q: float = _HALF_V2 * 3.0e-15  # flip-flop internal state and Q node
    e_d: float = _HALF_V2 * (
        1.1e-15 + 1.4 * WIRE_F_PER_UM
    )  # flip-flop D pin + one row pitch of wire
    e_out: float = _HALF_V2 * 5.0e-15  # output driver and its local load
    a_ff: float = 4.52
    a_mux: float = 1.86
    a_and2: float = 1.06
    a_icg: float = 3.99
    a_out: float = 1.33
    utilisation: float = 0.7
    p_ff: float = 60e-9
    p_mux: float = 25e-9
    p_and2: float = 15e-9
    p_icg: float = 40e-9
    p_out: float = 20e-9
    t_mux: float = 30e-12
    t_clk_to_q: float = 80e-12


CELLS = Cells45nm()


@dataclass(frozen=True)
class RegisterFileCosts:
    """Costs of one register file at 45 nm: energies per access (J), area (µm²), leakage (W), latency (s)."""

    read_j: float
    write_j: float
    area_um2: float
    leak_w: float
    latency_s: float


def _bits(n: int) -> int:
    return math.ceil(math.log2(n)) if n > 1 else 0


def _mux_toggles(leaves: int) -> float:
    """Expected multiplexer-output toggles per bit when a random leaf of a `leaves`-leaf tree is read."""
    if leaves <= 1:
        return 0.0
    return 0.5 * (leaves - 1) - (leaves - 1 / leaves) / 6


def register_file_costs(
    depth: int, width: int, *, n_ports: int = 1, n_banks: int = 1, cells: Cells45nm = CELLS
) -> RegisterFileCosts:
    """The closed form of the module docstring, at 45 nm."""
    if depth < 1 or width < 1 or n_ports < 1 or n_banks < 1:
        raise ValueError(
            f"depth, width, ports and banks must be >= 1 (got {depth}, {width}, {n_ports}, {n_banks})"
        )
    if n_banks > depth:
        raise ValueError(f"{n_banks} banks cannot split {depth} rows")
    c, D, W, P, B = cells, depth, width, n_ports, n_banks
    R = math.ceil(D / B)
    read = (
        0.5 * W * (R - 1) * c.e_sel
        + W * _mux_toggles(R) * c.e_mux
        + 0.5 * W * (B - 1) * c.e_sel
        + W * _mux_toggles(B) * c.e_mux
        + 0.5 * W * c.e_out
    )
    write = (
        0.5 * _bits(R) * R * c.e_dec
        + 2 * c.e_en
        + 2 * R * c.e_icg
        + 2 * W * c.e_ck
        + 0.5 * W * c.e_q
        + 0.5 * W * R * c.e_d
        + 0.5 * _bits(B) * B * c.e_dec
    )
    and_gates = P * D * max(_bits(R) - 1, 0) + P * max(_bits(B) - 1, 0) * B
    area = (
        D * W * (c.a_ff + (2 * P - 1) * c.a_mux)
        + and_gates * c.a_and2
        + D * c.a_icg
        + P * W * c.a_out
        + P * W * (B - 1) * c.a_mux
    ) / c.utilisation
    leak = (
        D * W * (c.p_ff + (2 * P - 1) * c.p_mux)
        + and_gates * c.p_and2
        + D * c.p_icg
        + P * W * c.p_out
        + P * W * (B - 1) * c.p_mux
    )
    latency = c.t_clk_to_q + (_bits(R) + _bits(B)) * c.t_mux
    return RegisterFileCosts(read, write, area, leak, latency)


class RegisterFile(ComponentModel):
    """A flip-flop register file (see the module docstring for the derivation).

    Parameters
    ----------
    tech_node: the technology node in metres.
    width: bits per access (one row).
    depth: rows.
    n_rw_ports: read-write ports (area and leakage; each access uses one port).
    n_banks: banks the rows are split over (an access touches one bank).
    """

    component_name: ClassVar[list[str]] = ["regfile", "RegisterFile", "register_file"]
    priority = 0.6

    def __init__(
        self, tech_node: float, width: int, depth: int, n_rw_ports: int = 1, n_banks: int = 1
    ):
        self.width = self.assert_int("width", width)
        self.depth = self.assert_int("depth", depth)
        self.n_rw_ports = self.assert_int("n_rw_ports", n_rw_ports)
        self.n_banks = self.assert_int("n_banks", n_banks)
        self.costs = register_file_costs(
            self.depth, self.width, n_ports=self.n_rw_ports, n_banks=self.n_banks
        )
        super().__init__(leak_power=self.costs.leak_w, area=self.costs.area_um2 * 1e-12)
        self.tech_node = self.scale_tech_node(tech_node, REFERENCE_NODE_M)

    @action(bits_per_action="width")
    def read(self) -> ActionCost:
        """One read of a whole row (energy in J, latency in s)."""
        return ActionCost(
            energy=self.costs.read_j,
            throughput=1 / self.costs.latency_s,
            latency=self.costs.latency_s,
        )

    @action(bits_per_action="width")
    def write(self) -> ActionCost:
        """One write of a whole row (energy in J, latency in s)."""
        return ActionCost(
            energy=self.costs.write_j,
            throughput=1 / self.costs.latency_s,
            latency=self.costs.latency_s,
        )
