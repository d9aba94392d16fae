"""Technology nodes as Accelergy writes them (``45nm``, ``"32 nm"``, ``0.045um``, ``45e-9``, ``45``).

The component models scale energy and area between nodes with the measured tables of Stillmaker
and Baas (Integration 58, 2017), which hwcomponents uses and which cover 7 nm to 130 nm; CACTI
itself has technology files from 22 nm to 90 nm and hwcomponents-cacti interpolates between them.
A node outside 7–130 nm would be an extrapolation, so it is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SUPPORTED_NM = (7.0, 130.0)

_WITH_UNIT = re.compile(
    r"^\s*(?P<value>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?P<unit>nm|um|µm|m)?\s*$"
)


@dataclass(frozen=True, order=True)
class Technology:
    """A CMOS technology node."""

    nanometres: float

    @property
    def metres(self) -> float:
        """The node in metres, as hwcomponents models take it.

        Divided, not multiplied by 1e-9: ``45 / 1e9`` is the double nearest 45e-9, so a model that
        converts back (``× 1e9``) gets exactly 45, while ``45 * 1e-9 * 1e9`` is 45.00000000000001,
        which hwcomponents-cacti would take for a node between its 45 and 65 nm files.
        """
        return self.nanometres / 1e9

    def __str__(self) -> str:
        return f"{self.nanometres:g}nm"


def parse_technology(value: Any) -> Technology:
    """Read a node; `ValueError` with the accepted forms when it is unreadable or out of range.

    A bare number is in nanometres when it is at least 1 (``45``) and in metres when it is
    smaller than 1e-3 (``45e-9``), as Accelergy and hwcomponents write them.
    """
    if isinstance(value, bool):
        raise ValueError(f"technology must be a node such as 45nm, got {value!r}")
    if isinstance(value, int | float):
        number, unit = float(value), None
    else:
        match = _WITH_UNIT.match(str(value))
        if not match:
            raise ValueError(
                f"technology must be a node such as 45nm, 0.045um or 45e-9, got {value!r}"
            )
        number, unit = float(match["value"]), match["unit"]
    if unit == "nm":
        nm = number
    elif unit in ("um", "µm"):
        nm = number * 1e3
    elif unit == "m" or (unit is None and number < 1e-3):
        nm = number * 1e9
    elif unit is None and number >= 1:
        nm = number
    else:
        raise ValueError(f"technology {value!r} is ambiguous: write it with a unit, e.g. 45nm")
    nm = round(nm, 6)
    low, high = SUPPORTED_NM
    if not low <= nm <= high:
        raise ValueError(
            f"technology {value!r} ({nm:g} nm) is outside the {low:g}–{high:g} nm the component models cover"
        )
    return Technology(nm)
