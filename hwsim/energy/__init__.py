"""Energy per action: tables (`table`), component models (`components`), CACTI (`cacti`), the Q2
scaling study (`sweeps`), and ``python -m hwsim.energy.setup``.

The table API is re-exported here; the component models are imported only when used.
"""

from hwsim.energy.sources import load_energy_table
from hwsim.energy.table import (
    ComponentEnergy,
    EnergyTable,
    load_ert_file,
    named_table,
)

__all__ = ["ComponentEnergy", "EnergyTable", "load_energy_table", "load_ert_file", "named_table"]
