"""The Aladdin table plug-in of classic Accelergy: 40/45 nm tables scaled by width and depth.

Each table row is a 32-bit (or single/double-precision) circuit characterised at one clock
latency (``latency`` attribute, default 5 ns; rounded up to a characterised row, 7-9 ns read as
6 ns and anything above 10 ns as 10 ns): its dynamic energy per operation and its idle energy
per cycle. Classes are built from them:

- ``regfile`` (and an ``SRAM`` of at most 128 × 32 bits) is ``width`` one-bit registers plus
  ``depth`` address comparators of ``ceil(log2(depth))`` bits; a read or write with
  ``data_delta = 0`` costs the registers' idle energy, one with ``address_delta = 0`` the
  comparators' idle energy;
- ``intadder`` and ``counter`` scale linearly from the 32-bit row, ``intmultiplier``
  quadratically (an array multiplier), ``intmac`` = adder + multiplier (``mac_reused``: the
  multiplier at 85 %; ``mac_gated``: the adder's dynamic and the multiplier's idle energy);
- ``comparator``, ``crossbar``, ``bitwise``, ``reg``, floating-point units, and ``wire``
  (0.2 × 1.627 fF/µm × length × width at 1 V).

The numbers (pJ) are the plug-in's ``data/*.csv`` tables (accelergy-aladdin-plug-in, last 0.3
release e741e80); the rules follow its ``aladdin_table.py``. Only the 40 nm and 45 nm nodes are
covered; classic Accelergy falls back to its placeholder estimator for any other node.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: latency (ns) → (dynamic pJ, idle pJ) per table.
Table = Mapping[float, tuple[float, float]]

ADDER: Table = {
    0.5: (0.142, 0.0016),
    1: (0.21, 0.0023),
    2: (0.0858, 0.0048),
    3: (0.0859, 0.0071),
    4: (0.0857, 0.0095),
    5: (0.0857, 0.0119),
    6: (0.0857, 0.0143),
    10: (0.0853, 0.0238),
}
MULTIPLIER: Table = {
    0.5: (18.94, 0.15),
    1: (12.68, 0.08),
    2: (9.55, 0.1),
    3: (8.8, 0.14),
    4: (8.66, 0.19),
    5: (8.63, 0.24),
    6: (8.63, 0.29),
    10: (8.8, 0.48),
}
COMPARATOR: Table = {
    0.5: (0.03052, 1.37e-05),
    1: (0.02947, 2.51e-05),
    2: (0.028966, 4.84e-05),
    3: (0.02898, 7.27e-05),
    4: (0.02898, 9.69e-05),
    5: (0.029015, 0.0001211),
    6: (0.02898, 0.00014532),
    10: (0.02898, 0.0002422),
}
COUNTER: Table = {
    0.5: (0.2751, 0.000216649),
    1: (0.25074, 0.0003213),
    2: (0.21462, 0.0001932),
    3: (0.21441, 0.0002625),
    4: (0.211092, 0.0003303),
    5: (0.206325, 0.000406),
    6: (0.206682, 0.0004053),
    10: (0.20678, 0.0006377),
}
REGISTER: Table = {
    1: (0.009, 7e-05),
    2: (0.00901, 0.00015),
    3: (0.00901, 0.00022),
    4: (0.009, 0.0003),
    5: (0.009, 0.00037),
    6: (0.00901, 0.00044),
    10: (0.00554, 0.00074),
}
BITWISE: Table = {
    1: (0.0181, 0.001),
    2: (0.018, 0.001),
    3: (0.018, 0.002),
    4: (0.018, 0.002),
    5: (0.018, 0.003),
    6: (0.018, 0.004),
    10: (0.0181, 0.006),
}
CROSSBAR: Table = {
    2: (0.6804, 0.0003206),
    3: (0.6804, 0.0004809),
    4: (0.68068, 0.0006412),
    5: (0.68215, 0.0008015),
    6: (0.67914, 0.000961),
    10: (0.6811, 0.001603),
}
FP_SP_ADDER: Table = {
    1: (16.679, 0.159),
    2: (11.026, 0.129),
    3: (10.584, 0.182),
    4: (7.894, 0.189),
    5: (7.928, 0.228),
    6: (7.928, 0.273),
    10: (7.701, 0.458),
}
FP_DP_ADDER: Table = {
    0.5: (20.552, 0.264),
    1: (43.754, 0.4),
    2: (26.147, 0.27),
    3: (25.787, 0.368),
    4: (23.243, 0.419),
    5: (23.269, 0.526),
    6: (23.902, 0.689),
    10: (17.779, 0.905),
}
FP_SP_MULTIPLIER: Table = {
    1: (35.3, 0.3595236),
    2: (29.7, 0.3565266),
    3: (27.8, 0.44451243),
    4: (25.2, 0.54034944),
    5: (24.4, 0.63237915),
    6: (24.2, 0.75571938),
    10: (26.6, 1.3429701),
}
FP_DP_MULTIPLIER: Table = {
    0.5: (69.769, 0.527),
    1: (113.763, 0.829),
    2: (103.936, 1.169),
    3: (95.553, 1.379),
    4: (94.905, 1.814),
    5: (92.938, 2.103),
    6: (90.596, 2.427),
    10: (86.565, 3.697),
}

#: Accuracy the plug-in claims for what it supports (classic picks the highest; ties: first).
ACCURACY = 70
SUPPORTED_CLASSES = (
    "regfile",
    "SRAM",
    "counter",
    "comparator",
    "crossbar",
    "wire",
    "FIFO",
    "bitwise",
    "intadder",
    "intmultiplier",
    "intmac",
    "fpadder",
    "fpmultiplier",
    "fpmac",
    "reg",
)
_NODES = (40, "40", "40nm", 45, "45", "45nm")


class AladdinInputError(ValueError):
    """An attribute the Aladdin rules cannot use (classic Accelergy crashes on it)."""


def accuracy(class_name: str, attributes: Mapping[str, Any]) -> int:
    """What the plug-in answers to "can you price this?": 70, or 0 when it cannot."""
    if attributes.get("technology") not in _NODES or class_name not in SUPPORTED_CLASSES:
        return 0
    if class_name == "SRAM":  # small SRAMs are priced as register files
        return (
            ACCURACY
            if _number(attributes, "depth") <= 128 and _number(attributes, "width") <= 32
            else 0
        )
    return ACCURACY


def energy(
    class_name: str, attributes: Mapping[str, Any], action: str, arguments: Mapping[str, Any] | None
) -> float:
    """pJ of one action (unrounded), by the plug-in's rule for `class_name`."""
    rule = _RULES.get(class_name)
    if rule is None:
        raise AladdinInputError(f"the Aladdin tables have no rule for class {class_name!r}")
    return rule(attributes, action, arguments)


# ------------------------------------------------------------------------------- row lookup
def _latency_row(attributes: Mapping[str, Any]) -> int | float:
    """The characterised latency a component's ``latency`` attribute selects."""
    latency = attributes.get("latency", 5)
    if isinstance(latency, str) and "ns" in latency:
        latency = math.ceil(float(latency.split("ns")[0]))
    elif isinstance(latency, str) and "ps" in latency:
        latency = math.ceil(float(latency.split("ps")[0]) / 1000)
    else:
        try:
            latency = math.ceil(float(latency))
        except (TypeError, ValueError):
            raise AladdinInputError(f"attribute 'latency' is not a time: {latency!r}") from None
    if latency > 10:
        latency = 10
    elif latency > 6:
        latency = 6
    return latency


def _lookup(table: Table, attributes: Mapping[str, Any], action: str) -> float:
    """The table's dynamic energy, or its idle energy for ``idle`` (all the tables have)."""
    row = _latency_row(attributes)
    if row not in table:
        raise AladdinInputError(
            f"latency {attributes.get('latency')!r} selects a {row} ns row, which the Aladdin table does not have "
            f"(rows: {', '.join(f'{k:g}' for k in table)} ns)"
        )
    dynamic, idle = table[row]
    return idle if action == "idle" else dynamic


def _number(attributes: Mapping[str, Any], name: str) -> float:
    value = attributes.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            return float(str(value))
        except ValueError:
            raise AladdinInputError(f"attribute {name!r} must be a number, got {value!r}") from None
    return value


def _linear(nbit: float, energy_at_32: float, csv_bits: int = 32) -> float:
    """Accelergy's oneD_linear_interpolation through (0, 0) and (csv_bits, e), same operation order."""
    if nbit == csv_bits:
        return energy_at_32
    slope = (energy_at_32 - 0) / (csv_bits - 0)
    return slope * (nbit - 0) + 0


def _quadratic(nbit: float, energy_at_32: float, csv_bits: int = 32) -> float:
    """Accelergy's oneD_quadratic_interpolation through (0, 0) and (csv_bits, e)."""
    if nbit == csv_bits:
        return energy_at_32
    slope = (energy_at_32 - 0) / (csv_bits**2 - 0**2)
    return slope * (nbit**2 - 0**2) + 0


# ----------------------------------------------------------------------------------- rules
def _comparator(attributes: Mapping[str, Any], action: str, arguments=None) -> float:
    return _lookup(COMPARATOR, attributes, action) * (_number(attributes, "datawidth") / 32)


def _regfile(attributes: Mapping[str, Any], action: str, arguments) -> float:
    width = _number(attributes, "width")
    depth = _number(attributes, "depth")
    if depth == 0:
        return 0.0
    if depth < 0:
        raise AladdinInputError(f"attribute 'depth' must be >= 0, got {depth!r}")
    address_bits = math.ceil(math.log2(float(depth)))
    if action == "idle":
        register = _lookup(REGISTER, attributes, "idle")
        comparator = _comparator({"datawidth": address_bits}, "idle")
    else:
        data_delta = 1 if arguments is None else arguments.get("data_delta", 1)
        address_delta = 1 if arguments is None else arguments.get("address_delta", 1)
        register = _lookup(REGISTER, attributes, "idle" if data_delta == 0 else action)
        comparator = _comparator(
            {"datawidth": address_bits}, "idle" if address_delta == 0 else action
        )
    return register * width + comparator * depth


def _reg(attributes, action, arguments) -> float:
    return _lookup(REGISTER, attributes, action)


def _fifo(attributes, action, arguments) -> float:
    depth = _number(attributes, "depth")
    if depth == 0:
        return 0.0
    register = _lookup(REGISTER, attributes, action)
    comparator = _comparator(
        {"datawidth": math.log2(float(depth))}, "idle" if action == "idle" else "access"
    )
    return register * _number(attributes, "datawidth") + comparator


def _crossbar(attributes, action, arguments) -> float:
    energy = _lookup(CROSSBAR, attributes, action)
    return (
        energy
        * _number(attributes, "n_inputs")
        * (_number(attributes, "n_outputs") / 4)
        * (_number(attributes, "datawidth") / 32)
    )


def _counter(attributes, action, arguments) -> float:
    return _lookup(COUNTER, attributes, action) * (_number(attributes, "width") / 32)


def _wire(attributes, action, arguments) -> float:
    if action not in ("transfer", "transfer_random"):
        return 0.0
    text = str(attributes.get("length"))
    if "m" not in text:
        length_um = float(text)
    elif "mm" in text:
        length_um = float(text.split("mm")[0]) * 10**3
    elif "um" in text:
        length_um = float(text.split("um")[0])
    elif "nm" in text:
        length_um = float(text.split("nm")[0]) * 10**-3
    else:
        length_um = 0.0
    c_per_um = 1.627 * 10**-15
    return _number(attributes, "datawidth") * 0.2 * c_per_um * length_um * 1**2 * 10**12


def _intadder(attributes, action, arguments) -> float:
    return _linear(_number(attributes, "datawidth"), _lookup(ADDER, attributes, action))


def _intmultiplier(attributes, action, arguments) -> float:
    row_action = "idle" if action in ("mult_gated", "idle") else action
    energy = _quadratic(
        _number(attributes, "datawidth"), _lookup(MULTIPLIER, attributes, row_action)
    )
    return 0.85 * energy if action == "mult_reused" else energy


_MAC_TO_MULT = {"mac_gated": "mult_gated", "mac_reused": "mult_reused", "idle": "idle"}


def _intmac(attributes, action, arguments) -> float:
    adder = _intadder(attributes, action, arguments)
    multiplier = _intmultiplier(attributes, _MAC_TO_MULT.get(action, "mult_random"), arguments)
    return adder + multiplier


def _fp_bits(attributes) -> tuple[float, int, bool]:
    nbit = _number(attributes, "mantissa") + _number(attributes, "exponent")
    single = nbit <= 32
    return nbit, 32 if single else 64, single


def _fpadder(attributes, action, arguments) -> float:
    nbit, csv_bits, single = _fp_bits(attributes)
    energy = _lookup(FP_SP_ADDER if single else FP_DP_ADDER, attributes, action)
    return _linear(nbit, energy, csv_bits)


def _fpmultiplier(attributes, action, arguments) -> float:
    nbit, csv_bits, single = _fp_bits(attributes)
    row_action = "idle" if action in ("mult_gated", "idle") else action
    energy = _lookup(FP_SP_MULTIPLIER if single else FP_DP_MULTIPLIER, attributes, row_action)
    energy = _quadratic(nbit, energy, csv_bits)
    return 0.85 * energy if action == "mult_reused" else energy


def _fpmac(attributes, action, arguments) -> float:
    # The plug-in passes the mac action itself to the multiplier (only "idle" selects its idle row).
    return _fpadder(attributes, action, arguments) + _fpmultiplier(attributes, action, arguments)


def _bitwise(attributes, action, arguments) -> float:
    return _lookup(BITWISE, attributes, action)


_RULES = {
    "regfile": _regfile,
    "SRAM": _regfile,
    "reg": _reg,
    "FIFO": _fifo,
    "crossbar": _crossbar,
    "counter": _counter,
    "wire": _wire,
    "comparator": _comparator,
    "intadder": _intadder,
    "intmultiplier": _intmultiplier,
    "intmac": _intmac,
    "fpadder": _fpadder,
    "fpmultiplier": _fpmultiplier,
    "fpmac": _fpmac,
    "bitwise": _bitwise,
}
