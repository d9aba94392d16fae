"""hwsim: memory-access simulation and energy estimation for loop-nest dataflows.

Reads Timeloop-format YAML (architecture, problem, mapping), counts reads, fills and updates per
storage level and data space with one of two engines, and prices them with per-action energies:

- `hwsim.analytical`: closed-form counts that reproduce Timeloop's nest analysis;
- `hwsim.trace`: a simulator that walks the loop nest and moves tiles through the hierarchy.

Typical use::

    import hwsim
    result = hwsim.evaluate_files(["arch.yaml", "prob.yaml", "map.yaml"], energy="table1")
    print(result.format_table())
    result.to_dataframe()

hwsim never imports torch; `models.workloads` is the only bridge from PyTorch models.
"""

from hwsim.accelerators import Accelerator, load_accelerator
from hwsim.errors import SpecError
from hwsim.evaluate import count, evaluate, evaluate_files
from hwsim.network import NetworkEnergy, network_energy
from hwsim.spec import (
    Architecture,
    Mapping,
    Problem,
    bind_mapping,
    load_architecture,
    load_problem,
    load_specs,
)
