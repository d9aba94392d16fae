"""The Q2 sweeps priced by classic Accelergy 0.3 (`hwsim.energy.classic`), and what is inside
its numbers: the register file's one-bit registers and address comparators, the MAC's adder and
array multiplier, and the SRAM organisation CACTI chose for each point.

Every number comes from `classic_ert_of_components` (the primitives exactly as classic Accelergy
prices them) or from the CACTI rows its SRAM estimate was read from (`CactiRows`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from hwsim.energy.classic.cacti_plugin import CactiRows, sram_input
from hwsim.energy.classic.ert import classic_ert_of_components
from hwsim.energy.sweeps.classic_reference import COLUMNS
from hwsim.energy.sweeps.plan import Sweep, SweepPoint

#: Timeloop charges the MAC's ``mac_random`` for every compute.
MAC_ACTION = "mac_random"


def classic_attributes(point: SweepPoint, technology: str) -> dict:
    """The attributes classic Accelergy takes for a sweep point (its MAC has one ``datawidth``
    for adder and multiplier; the component models' accumulator is 2w bits)."""
    if point.component == "intmac":
        return {"technology": technology, "datawidth": point.width}
    if point.component == "DRAM":
        return {"technology": technology, "type": "LPDDR4", "width": point.width}
    return point.attributes(technology)


def _price(components: Iterable[tuple[str, str, dict]]) -> tuple[dict, dict]:
    ert = classic_ert_of_components(list(components))
    return ert.max_energies(), dict(ert.estimators)


def classic_points(sweeps: Iterable[Sweep], technology: str) -> pd.DataFrame:
    """Every point priced by classic Accelergy, in `classic_reference`'s columns."""
    points = [p for sweep in sweeps for p in sweep.points]
    names = [f"p{i}" for i in range(len(points))]
    table, estimators = _price(
        (name, p.component, classic_attributes(p, technology))
        for name, p in zip(names, points, strict=True)
    )
    rows = []
    for name, p in zip(names, points, strict=True):
        actions = table[name]
        read = actions.get(MAC_ACTION, actions.get("read"))
        write = actions.get(MAC_ACTION, actions.get("write"))
        rows.append(
            (p.component, p.sweep, technology, p.depth, p.width, read, write, estimators.get(name))
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"depth": "Int64"})


def regfile_split(points: pd.DataFrame, technology: str) -> pd.DataFrame:
    """Classic register-file energy split into its ``width`` one-bit registers (a regfile of
    depth 1 has no comparator) and its ``depth`` address comparators of ⌈log2 depth⌉ bits."""
    rf = points[points.component == "regfile"].reset_index(drop=True)
    table, _ = _price(
        (f"r{i}", "regfile", {"technology": technology, "width": int(w), "depth": 1})
        for i, w in enumerate(rf.width)
    )
    registers = pd.Series([table[f"r{i}"]["read"] for i in range(len(rf))])
    return pd.DataFrame(
        {
            "sweep": rf.sweep,
            "width": rf.width,
            "depth": rf.depth,
            "read_pj": rf.read_pj,
            "registers_pj": registers,
            "comparators_pj": rf.read_pj - registers,
            "comparator_bits": [math.ceil(math.log2(int(d))) for d in rf.depth],
        }
    )


def mac_split(widths: Iterable[int], technology: str) -> pd.DataFrame:
    """Classic MAC energy split into its adder and its (array) multiplier, both w bits."""
    widths = list(widths)
    parts = []
    for i, w in enumerate(widths):
        attributes = {"technology": technology, "datawidth": w}
        parts += [(f"a{i}", "intadder", attributes), (f"m{i}", "intmultiplier", attributes)]
    table, _ = _price(parts)
    return pd.DataFrame(
        {
            "width": widths,
            "adder_pj": [max(table[f"a{i}"].values()) for i in range(len(widths))],
            "multiplier_pj": [max(table[f"m{i}"].values()) for i in range(len(widths))],
        }
    )


def sram_organisation(sweeps: Iterable[Sweep], technology: str) -> pd.DataFrame:
    """The array organisation CACTI chose for each SRAM point of `sweeps`: subarrays
    (``Ndwl`` × ``Ndbl``), words per row (``Nspd``), rows per subarray (the bit-line length),
    the columns of one word (8 × block bytes: CACTI's block is at least 4 bytes), the columns a
    read activates (that × Nspd: every word of the row) and the
    dynamic read and write energies (pJ)."""
    rows_of = CactiRows()
    out = []
    for sweep in sweeps:
        for p in sweep.points:
            if p.component != "SRAM":
                continue
            run = sram_input({"n_rd_ports": 0, "n_wr_ports": 0, **p.attributes(technology)})
            row = rows_of(run)
            ndwl, ndbl, nspd = (int(row[k]) for k in ("Ndwl", "Ndbl", "Nspd"))
            sets = run.size_bytes // run.block_bytes
            out.append(
                {
                    "sweep": p.sweep,
                    "width": p.width,
                    "depth": p.depth,
                    "subarrays": ndwl * ndbl,
                    "Ndwl": ndwl,
                    "Ndbl": ndbl,
                    "Nspd": nspd,
                    "rows_per_subarray": math.ceil(sets / (ndbl * nspd)),
                    "word_columns": 8 * run.block_bytes,
                    "read_columns": 8 * run.block_bytes * nspd,
                    "read_pj": float(row["Dynamic read energy (nJ)"]) * 1e3,
                    "write_pj": float(row["Dynamic write energy (nJ)"]) * 1e3,
                }
            )
    return pd.DataFrame(out)
