"""Energy tables from component models (hwcomponents, CACTI, Aladdin, and hwsim's own).

``build_energy_table(architecture)`` prices every component of an architecture spec, honouring
its attributes and compound components, and returns an `hwsim.energy.table.EnergyTable`::

    from hwsim.spec import load_specs
    from hwsim.energy.components import energy_table_for_specs

    table = energy_table_for_specs(load_specs(["arch.yaml", "components/"]))
    table.to_dataframe()

Needs the energy extra (``pip install -e '.[energy]'``) and, once per machine,
``python -m hwsim.energy.setup`` (makes CACTI run). Layout: `primitives` maps Accelergy classes
to model queries, `compound` evaluates compound action trees, `cacti_sram` runs CACTI, `cache`
keeps results on disk; hwsim's own hwcomponents models (register file, DRAM bursts) live in the
plug-in package `hwcomponents_hwkd`.
"""

from hwsim.energy.components.table_builder import (
    build_energy_table,
    default_evaluator,
    energy_table_for_specs,
)

__all__ = ["build_energy_table", "default_evaluator", "energy_table_for_specs"]
