"""Classic Accelergy 0.3 numbers for the Q2 sweeps at 45 nm: the reference the plots overlay.

Accelergy 0.3 with its CACTI plug-in (SRAM), Aladdin tables (regfile, intmac) and the LPDDR4 table
(8 pJ/bit), as the course ran it; ``read_pj``/``write_pj`` are the max energies Timeloop charges (for
the intmac both are ``mac_random``). hwsim keeps this small copy so the plots show the reference
without any file; `load_reference_csv` reads a full reference file in the same format
(``component,sweep,technology,depth,width,read_pj,write_pj,estimator``), e.g. other nodes.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from hwsim.errors import SpecError
from hwsim.spec.input_files import read_input_text

COLUMNS = ["component", "sweep", "technology", "depth", "width", "read_pj", "write_pj", "estimator"]

#: (component, sweep, depth, width, read pJ, write pJ, estimator) at 45 nm.
CLASSIC_45NM: tuple[tuple[str, str, int, int, float, float, str], ...] = (
    ("SRAM", "width_sweep", 8192, 16, 9.17274, 4.96353, "Cacti"),
    ("SRAM", "width_sweep", 8192, 32, 11.7855, 8.67501, "Cacti"),
    ("SRAM", "width_sweep", 8192, 64, 25.8695, 19.6486, "Cacti"),
    ("SRAM", "width_sweep", 8192, 128, 50.2566, 46.968, "Cacti"),
    ("SRAM", "width_sweep", 8192, 256, 124.61, 118.033, "Cacti"),
    ("SRAM", "width_sweep", 8192, 512, 274.521, 333.304, "Cacti"),
    ("SRAM", "width_sweep", 8192, 1024, 753.784, 871.35, "Cacti"),
    ("SRAM", "width_sweep", 8192, 2048, 1815.87, 2623.93, "Cacti"),
    ("SRAM", "depth_sweep", 512, 128, 7.91635, 14.0524, "Cacti"),
    ("SRAM", "depth_sweep", 1024, 128, 10.7481, 23.2224, "Cacti"),
    ("SRAM", "depth_sweep", 2048, 128, 20.3074, 27.5274, "Cacti"),
    ("SRAM", "depth_sweep", 4096, 128, 39.332, 36.0435, "Cacti"),
    ("SRAM", "depth_sweep", 8192, 128, 50.2566, 46.968, "Cacti"),
    ("regfile", "width_sweep", 8192, 16, 96.70592, 96.70592, "Aladdin_table"),
    ("regfile", "width_sweep", 8192, 32, 96.84992, 96.84992, "Aladdin_table"),
    ("regfile", "width_sweep", 8192, 64, 97.13792, 97.13792, "Aladdin_table"),
    ("regfile", "width_sweep", 8192, 128, 97.71392, 97.71392, "Aladdin_table"),
    ("regfile", "width_sweep", 8192, 256, 98.86592, 98.86592, "Aladdin_table"),
    ("regfile", "width_sweep", 8192, 512, 101.16992, 101.16992, "Aladdin_table"),
    ("regfile", "width_sweep", 8192, 1024, 105.77792, 105.77792, "Aladdin_table"),
    ("regfile", "width_sweep", 8192, 2048, 114.99392, 114.99392, "Aladdin_table"),
    ("regfile", "depth_sweep", 512, 128, 5.33016, 5.33016, "Aladdin_table"),
    ("regfile", "depth_sweep", 1024, 128, 10.4368, 10.4368, "Aladdin_table"),
    ("regfile", "depth_sweep", 2048, 128, 21.57856, 21.57856, "Aladdin_table"),
    ("regfile", "depth_sweep", 4096, 128, 45.71904, 45.71904, "Aladdin_table"),
    ("regfile", "depth_sweep", 8192, 128, 97.71392, 97.71392, "Aladdin_table"),
    ("DRAM", "width_sweep", 8192, 16, 128, 128, "Cacti"),
    ("DRAM", "width_sweep", 8192, 32, 256, 256, "Cacti"),
    ("DRAM", "width_sweep", 8192, 64, 512, 512, "Cacti"),
    ("DRAM", "width_sweep", 8192, 128, 1024, 1024, "Cacti"),
    ("DRAM", "width_sweep", 8192, 256, 2048, 2048, "Cacti"),
    ("DRAM", "width_sweep", 8192, 512, 4096, 4096, "Cacti"),
    ("DRAM", "width_sweep", 8192, 1024, 8192, 8192, "Cacti"),
    ("DRAM", "width_sweep", 8192, 2048, 16384, 16384, "Cacti"),
    ("intmac", "width_sweep", 64, 2, 0.03907, 0.03907, "Aladdin_table"),
    ("intmac", "width_sweep", 64, 4, 0.14556, 0.14556, "Aladdin_table"),
    ("intmac", "width_sweep", 64, 8, 0.5608, 0.5608, "Aladdin_table"),
    ("intmac", "width_sweep", 64, 16, 2.20035, 2.20035, "Aladdin_table"),
    ("intmac", "width_sweep", 64, 32, 8.7157, 8.7157, "Aladdin_table"),
    ("intmac", "width_sweep", 64, 64, 34.6914, 34.6914, "Aladdin_table"),
)


def classic_reference() -> pd.DataFrame:
    """The shipped 45 nm reference rows."""
    rows = [(c, s, "45nm", d, w, r, wr, e) for c, s, d, w, r, wr, e in CLASSIC_45NM]
    return pd.DataFrame(rows, columns=COLUMNS)


def reference_as_points(reference: pd.DataFrame) -> pd.DataFrame:
    """Reference rows in `run_sweeps`' columns: the intmac's ``mac_random`` (filed as read/write)
    moves to ``compute_pj``, as the component models report it."""
    points = reference.copy()
    mac = points.component == "intmac"
    points["compute_pj"] = points.read_pj.where(mac)
    points.loc[mac, ["read_pj", "write_pj"]] = float("nan")
    return points


def load_reference_csv(path: str | Path) -> pd.DataFrame:
    """A reference file in the format above; a missing, unreadable or non-regular file, or a
    missing column, is a `SpecError`."""
    try:
        frame = pd.read_csv(io.StringIO(read_input_text(path)))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise SpecError(f"not a CSV file: {err}", file=str(path)) from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise SpecError(
            f"reference CSV lacks columns {missing}; expected {COLUMNS}", file=str(path)
        )
    return frame[COLUMNS]
