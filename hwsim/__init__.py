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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Public name → the module that defines it. Imported on first use (module ``__getattr__``), so
#: that ``import hwsim`` and the command line load only what they use: a whole-process call such
#: as ``hwsim mapper`` must not pay for pandas, numba or the energy models it does not touch.
_EXPORTS = {
    "Accelerator": "hwsim.accelerators",
    "load_accelerator": "hwsim.accelerators",
    "SpecError": "hwsim.errors",
    "count": "hwsim.evaluate",
    "evaluate": "hwsim.evaluate",
    "evaluate_files": "hwsim.evaluate",
    "NetworkEnergy": "hwsim.network",
    "network_energy": "hwsim.network",
    "Architecture": "hwsim.spec",
    "Mapping": "hwsim.spec",
    "Problem": "hwsim.spec",
    "bind_mapping": "hwsim.spec",
    "load_architecture": "hwsim.spec",
    "load_problem": "hwsim.spec",
    "load_specs": "hwsim.spec",
}

# no __all__: pdoc documents only the submodules a package's __all__ names


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hwsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
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
