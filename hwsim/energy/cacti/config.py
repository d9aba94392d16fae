"""CACTI's input file and its result row, as plain values.

hwcomponents-cacti describes an SRAM to CACTI by appending a few lines (size, ports, block size,
technology, banks, cache type) to the ``default_cfg.cfg`` shipped in its wheel; CACTI appends one
CSV row of results to ``<input file>.out``. This module writes the same input and reads that row,
so hwsim can run CACTI itself (outside site-packages) while hwcomponents-cacti keeps doing the
interpolation and scaling around it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass


@dataclass(frozen=True)
class CactiInput:
    """One CACTI run: a UCA memory of `size_bytes`, accessed `block_bytes` at a time.

    Attributes:
        size_bytes: total capacity in bytes.
        n_rw_ports: read-write ports (CACTI needs at least 1).
        block_bytes: bytes per access (the output/input bus is ``8 × block_bytes`` bits wide).
        technology_um: feature size in micrometres (``0.045`` for 45 nm).
        n_banks: UCA banks (a power of two).
        cache_type: ``"ram"`` for a scratchpad SRAM, ``"cache"`` for a tagged cache.
        tag_bits: tag width (caches only).
        associativity: ways (caches only).
        bus_bits: width of the output/input bus; None: ``8 × block_bytes`` (classic Accelergy
            keeps the word's own width when it rounds the block up to CACTI's 4-byte minimum).
    """

    size_bytes: int
    n_rw_ports: int
    block_bytes: int
    technology_um: float
    n_banks: int = 1
    cache_type: str = "ram"
    tag_bits: int = 0
    associativity: int = 1
    bus_bits: int | None = None

    def describe(self) -> str:
        return (
            f"{self.size_bytes} bytes, {self.block_bytes * 8}-bit accesses, {self.n_banks} bank(s), "
            f"{self.n_rw_ports} port(s), {self.technology_um * 1000:g} nm"
        )


@dataclass(frozen=True)
class CactiOutput:
    """The numbers hwcomponents-cacti takes from CACTI's result row (SI units)."""

    read_energy_j: float
    write_energy_j: float
    leakage_per_bank_w: float
    area_m2: float
    cycle_time_s: float
    access_time_s: float


def config_text(defaults: str, run: CactiInput) -> str:
    """The full CACTI input: the wheel's defaults followed by this run's parameters."""
    lines = [
        "",
        "############## User-Specified Hardware Attributes ##############",
        f"-size (bytes) {run.size_bytes}",
        f"-read-write port  {run.n_rw_ports}",
        f"-block size (bytes) {run.block_bytes}",
        f"-technology (u) {run.technology_um}",
        f"-output/input bus width  {run.bus_bits if run.bus_bits is not None else run.block_bytes * 8}",
        f"-UCA bank {run.n_banks}",
        f'-cache type "{run.cache_type}"',
        f"-tag size (b) {run.tag_bits}",
        f"-associativity {run.associativity}",
    ]
    return defaults.rstrip("\n") + "\n" + "\n".join(lines) + "\n"


_COLUMNS = {
    "read_energy_j": ("Dynamic read energy (nJ)", 1e-9),
    "write_energy_j": ("Dynamic write energy (nJ)", 1e-9),
    "leakage_per_bank_w": ("Standby leakage per bank(mW)", 1e-3),
    "area_m2": ("Area (mm2)", 1e-6),
    "cycle_time_s": ("Random cycle time (ns)", 1e-9),
    "access_time_s": ("Access time (ns)", 1e-9),
}


def parse_row(text: str) -> dict[str, str]:
    """The last result row of a CACTI ``.out`` file as {column: cell text}; `ValueError` if absent."""
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2:
        raise ValueError("CACTI wrote no result row")
    header = [cell.strip() for cell in rows[0]]
    last = [cell.strip() for cell in rows[-1]]
    return dict(zip(header, last, strict=False))


def parse_output(text: str) -> CactiOutput:
    """Read the last result row of a CACTI ``.out`` file; `ValueError` if it is not there."""
    row = parse_row(text)
    values = {}
    for field, (column, unit) in _COLUMNS.items():
        if column not in row:
            raise ValueError(f"CACTI output has no column {column!r}")
        values[field] = float(row[column]) * unit
    return CactiOutput(**values)
