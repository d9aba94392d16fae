"""The CACTI plug-in of classic Accelergy: SRAM through CACTI 7, DRAM from a pJ/bit table.

SRAM (``width`` × ``depth`` bits, 22–180 nm, at least 64 bytes): CACTI is asked for a ``ram``
of ``width·depth/8`` bytes (at least 64 words) with ``n_rdwr_ports + n_rd_ports + n_wr_ports``
read-write ports (at least 1), blocks of ``width/8`` bytes (at least CACTI's 4), a bus as wide as
the word, and ``n_banks`` rounded up to a power of two, in its ``itrs-lstp`` cells, optimised
for leakage. From its dynamic read/write energy E and its idle energy I (standby leakage per
bank × random cycle time × banks), an access with arguments ``address_delta`` (banks whose
address changes, 0..n_banks) and ``data_delta`` (0 or 1) costs::

    I + 0.3 · (E − I) · address_delta / n_banks + 0.7 · (E − I) · data_delta

(I when both are 0): 30 % of an access is address decoding, shared across banks, 70 % the
cells. DRAM (``type`` LPDDR4, LPDDR, DDR3, GDDR5 or HBM2): read and write cost
8, 40, 70, 14 or 3.9 pJ per bit of ``width``; idle is free.

This is the accelergy-cacti-plug-in of the Accelergy 0.3 era (commit 643e6fc); the CACTI
configuration is the wheel's ``default_cfg.cfg``, the same template as that plug-in's
``default_SRAM.cfg``. CACTI's result rows are cached on disk (`CactiRows`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim.disk_cache import JsonCache, hwkd_cache_dir
from hwsim.energy.cacti.config import CactiInput

ACCURACY = 70
DRAM_ACCURACY = 95
#: pJ per bit of an access, by DRAM type.
DRAM_PJ_PER_BIT = {"LPDDR4": 8, "LPDDR": 40, "DDR3": 70, "GDDR5": 14, "HBM2": 3.9}
#: The share of an access spent decoding the address (the rest is the cells).
ADDRESS_SHARE = 0.3
CELL_SHARE = 0.7

#: (CACTI input) → CACTI's result row {column: text}; replaced in tests.
RowSource = Callable[[CactiInput], Mapping[str, str]]


class CactiPluginInputError(ValueError):
    """An attribute the CACTI plug-in cannot use (classic Accelergy crashes on it)."""


def accuracy(class_name: str, attributes: Mapping[str, Any], action: str) -> int:
    """What the plug-in answers to "can you price this?" (0: no)."""
    if class_name == "DRAM":
        supported = attributes.get("type") in DRAM_PJ_PER_BIT and "width" in attributes
        return DRAM_ACCURACY if supported and action in ("read", "write", "idle") else 0
    if class_name == "SRAM" and action in ("read", "write", "idle"):
        size = _size_bytes(attributes)
        if size == 0:
            return ACCURACY
        node = _node_nm(attributes)
        if size < 64 or node is None or node < 22 or node > 180:
            return 0
        return ACCURACY
    return 0


def dram_energy(attributes: Mapping[str, Any], action: str) -> float:
    if "read" in action or "write" in action:
        return DRAM_PJ_PER_BIT[attributes["type"]] * _integer(attributes, "width")
    return 0


def sram_input(attributes: Mapping[str, Any]) -> CactiInput:
    """The CACTI run the plug-in makes for an SRAM (before its size and block corrections)."""
    width = _integer(attributes, "width")
    size = width * _integer(attributes, "depth") // 8
    word_bytes = width // 8
    if word_bytes == 0:
        raise CactiPluginInputError(
            f"a {width}-bit word: classic's CACTI plug-in asks CACTI for a 0-bit bus, which CACTI "
            "never answers (classic Accelergy hangs); use a width of at least 8 bits"
        )
    block = 4 if word_bytes < 4 else word_bytes  # CACTI's minimum line: 4 bytes
    if size / block < 64:
        size = block * 64  # CACTI's minimum scratchpad: 64 words
    ports = sum(_integer(attributes, p) for p in ("n_rdwr_ports", "n_rd_ports", "n_wr_ports"))
    return CactiInput(
        size_bytes=size,
        n_rw_ports=max(ports, 1),
        block_bytes=block,
        technology_um=float(int(_node_nm(attributes) or 0) / 1000),
        n_banks=_power_of_two_banks(_integer(attributes, "n_banks")),
        bus_bits=word_bytes * 8,
    )


def sram_energy(
    attributes: Mapping[str, Any],
    action: str,
    arguments: Mapping[str, Any] | None,
    rows: RowSource,
) -> float:
    """pJ of one SRAM action (unrounded)."""
    if _size_bytes(attributes) == 0:
        return 0
    run = sram_input(attributes)
    row = rows(run)
    idle = _idle_pj(row, run.n_banks)
    if action == "idle":
        return idle
    column = " Dynamic read energy (nJ)" if action == "read" else " Dynamic write energy (nJ)"
    dynamic = float(_cell(row, column)) * 10**3
    if arguments is None:
        address_delta, data_delta = 1, 1
    else:
        address_delta, data_delta = arguments["address_delta"], arguments["data_delta"]
    if address_delta == 0 and data_delta == 0:
        return idle
    banks = _integer(attributes, "n_banks")
    address = (dynamic - idle) * ADDRESS_SHARE * address_delta / banks
    cells = (dynamic - idle) * CELL_SHARE * data_delta
    return address + cells + idle


def _idle_pj(row: Mapping[str, str], banks: int) -> float:
    standby_w = float(_cell(row, " Standby leakage per bank(mW)")) * 10**-3
    per_bank_j = standby_w * float(_cell(row, " Random cycle time (ns)")) * 10**-9
    return per_bank_j * 10**12 * banks


def _cell(row: Mapping[str, str], column: str) -> str:
    key = column.strip()
    if key not in row:
        raise CactiPluginInputError(f"CACTI's result has no column {key!r}")
    return row[key]


# --------------------------------------------------------------------------- attribute reading
def _integer(attributes: Mapping[str, Any], name: str) -> int:
    value = attributes.get(name)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CactiPluginInputError(f"attribute {name!r} must be a number, got {value!r}") from None
    if not number.is_integer() or number < 0:
        raise CactiPluginInputError(
            f"attribute {name!r} must be a whole number >= 0, got {value!r}"
        )
    return int(number)


def _size_bytes(attributes: Mapping[str, Any]) -> int:
    return _integer(attributes, "width") * _integer(attributes, "depth") // 8


def _node_nm(attributes: Mapping[str, Any]) -> int | None:
    """The node in nm as the plug-in reads it (``"45nm"``, ``45``, ``"45"``); None if unreadable."""
    node = attributes.get("technology")
    if isinstance(node, str) and "nm" in node:
        node = node[:-2]
    try:
        return int(node)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _power_of_two_banks(banks: int) -> int:
    if banks < 1:
        raise CactiPluginInputError(f"attribute 'n_banks' must be >= 1, got {banks}")
    return 2 ** math.ceil(math.log2(banks))


# ------------------------------------------------------------------------------ CACTI, cached
#: The columns the plug-in reads from CACTI's result row.
USED_COLUMNS = (
    "Dynamic read energy (nJ)",
    "Dynamic write energy (nJ)",
    "Standby leakage per bank(mW)",
    "Random cycle time (ns)",
)


def checked_row(row: Any) -> Mapping[str, str]:
    """A stored CACTI row, refused (ValueError) unless every used column is a finite number >= 0."""
    if not isinstance(row, dict):
        raise ValueError("not a CACTI row")
    for column in USED_COLUMNS:
        value = float(row[column])
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{column}: {value}")
    return row


@dataclass
class CactiRows:
    """CACTI's result rows, from the on-disk cache (`hwsim.disk_cache.JsonCache`) or a fresh run.

    The key is the run's full input text plus the CACTI wheel version, so another CACTI never
    answers from this cache. `hits` and `misses` count disk hits and fresh CACTI runs.
    """

    directory: Path | None = None
    hits: int = 0
    misses: int = 0
    _memory: dict[CactiInput, Mapping[str, str]] = field(default_factory=dict, repr=False)

    def __call__(self, run: CactiInput) -> Mapping[str, str]:
        if run not in self._memory:
            from hwsim.energy.cacti.run import run_cacti_row

            key = _cache_key(run)
            cache = JsonCache(self.directory or cacti_cache_dir())
            row, cached = cache.get_or_compute(key, lambda: run_cacti_row(run), checked_row)
            self.hits += cached
            self.misses += not cached
            self._memory[run] = row
        return self._memory[run]


@functools.cache
def _cache_key(run: CactiInput) -> str:
    """The CACTI wheel version and the whole input file CACTI reads for `run`."""
    from hwsim.energy.cacti.binary import package_dir, wheel_version
    from hwsim.energy.cacti.config import config_text

    defaults = (package_dir().parent / "default_cfg.cfg").read_text()
    return f"{wheel_version()}\n{config_text(defaults, run)}"


def cacti_cache_dir() -> Path:
    return hwkd_cache_dir() / "classic-cacti"
