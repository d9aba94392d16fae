"""The course's material that hwsim ships, in one place (files under ``hwsim/data/course/``):

- `q1_spec_dir`: the Q1 architecture, problem (M=32, R=3, P=16) and the five mappings of the
  assignment's Table 2 (``hwsim table2``), the project's copy of the course's Q1 files;
- `TABLE1`: the assignment's Table 1, energy per action (``--energy table1``);
- `ACCELERATORS`: the Q3 Eyeriss-like architecture (``eyeriss_like_q3``: v0.3, 14×12 PEs, 16-bit
  words, LPDDR4, smartbuffer components, row-stationary constraints, the mapper's settings),
  what ``hw.arch`` and ``hwsim network-energy`` use by default.

The answers built from them (Table 2 from both engines, the Q2 sweeps, the Q3 study) are the
``course`` package's report (``make report``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _course_dir() -> Path:
    return Path(str(resources.files("hwsim") / "data" / "course"))


def q1_spec_dir() -> Path:
    """The Q1 specs: arch.yaml, prob.yaml and the five ``*.map*.yaml`` mappings."""
    return _course_dir() / "q1"


#: The assignment's Table 1 (energy per action in pJ), keyed by component class.
TABLE1: dict[str, dict[str, float]] = {
    "SRAM": {"read": 7.95, "write": 5.45},
    "regfile": {"read": 0.42, "write": 0.42},
    "intmac": {"compute": 0.56},
}

#: Accelerators shipped with hwsim: name -> folder of Timeloop files (read recursively).
ACCELERATORS: tuple[str, ...] = ("eyeriss_like_q3",)


def accelerator_dir(name: str) -> Path:
    """The folder of a shipped accelerator (a name in `ACCELERATORS`)."""
    return _course_dir() / name
