"""hwsim's own component models as an hwcomponents plug-in.

hwcomponents finds models in every installed top-level package named ``hwcomponents_*``; this
package holds hwsim's register-file model (`register_file`: flip-flop array, read multiplexer
tree, write decoder) and its burst-counting DRAM model (`dram_bursts`, with the device interface
widths in `dram_interfaces`), so ``hwcomponents.get_energy("regfile", ...)`` and ``hwc --list``
see them without any registration call.

The models are imported on first access (hwcomponents' discovery lists the package with ``dir``
and reads each name), and none of these modules imports hwsim: importing the plug-in costs only
its models and hwcomponents, and `dram_interfaces` (pure data, used by hwsim to describe DRAM
accesses) imports without hwcomponents installed.
"""

from __future__ import annotations

import importlib

#: model class → the module that defines it.
_MODELS = {
    "DRAMBursts": "hwcomponents_hwkd.dram_bursts",
    "RegisterFile": "hwcomponents_hwkd.register_file",
}

__all__ = sorted(_MODELS)


def __getattr__(name: str) -> type:
    if name not in _MODELS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    model = getattr(importlib.import_module(_MODELS[name]), name)
    globals()[name] = model
    return model


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODELS})
