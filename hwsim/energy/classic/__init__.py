"""Classic Accelergy 0.3 energy estimation, the course's toolchain, reimplemented in hwsim.

The energy source ``classic`` (``--energy classic``, ``hw.energy=classic``) prices any
architecture the way the course's Timeloop–Accelergy install does: its primitive library
(`library`), the Aladdin table plug-in (`aladdin`), the CACTI plug-in for SRAM and DRAM
(`cacti_plugin`), plug-in selection by accuracy with the placeholder fallback (`estimators`), and
compound components through their action trees with argument enumeration and rounding (`ert`).
Checked action by action against ERTs written by the real classic Accelergy
(tests/data/accelergy_classic).
"""

from hwsim.energy.classic.ert import (
    CLASSIC_SOURCE,
    ClassicERT,
    ErtEntry,
    Placeholder,
    classic_ert,
    load_classic_table,
)

__all__ = [
    "CLASSIC_SOURCE",
    "ClassicERT",
    "ErtEntry",
    "Placeholder",
    "classic_ert",
    "load_classic_table",
]
