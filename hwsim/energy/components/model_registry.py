"""The hwcomponents model classes hwsim prices primitives with, imported only when needed.

Each model is named by a short key (``cacti-sram``, ``hwkd-regfile``...). Models are picked
explicitly, per Accelergy class, rather than by hwcomponents' priority search: with all plug-ins
installed that search would price an ``intadder`` with NeuroSim's adder and, worse, could fall back
to another model when CACTI fails. Our own models are still ordinary hwcomponents models:
`hwkd_models` lists them for ``hwcomponents.get_models(*hwkd_models())``, the way hwcomponents
discovers user models, after which ``hwcomponents.get_action_cost("regfile", ...)`` finds ours.

`model_fingerprint` identifies the code behind a model (package versions, and for hwsim's own
models a hash of their source), so cached results are never reused after the model changes.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class ModelEntry:
    """Where a model class lives, what to call it in reports, and what code its numbers depend on."""

    module: str
    class_name: str
    label: str
    packages: tuple[str, ...]
    own_modules: tuple[str, ...] = ()


_LIBRARY = ("hwcomponents", "hwcomponents-library")

MODELS: dict[str, ModelEntry] = {
    "cacti-sram": ModelEntry(
        "hwsim.energy.components.cacti_sram",
        "CactiSRAM",
        "CACTI 7 SRAM (hwcomponents-cacti)",
        ("hwcomponents", "hwcomponents-cacti"),
        ("hwsim.energy.components.cacti_sram", "hwsim.energy.cacti.config"),
    ),
    "hwkd-regfile": ModelEntry(
        "hwcomponents_hwkd.register_file",
        "RegisterFile",
        "hwkd flip-flop register file",
        ("hwcomponents",),
        ("hwcomponents_hwkd.register_file",),
    ),
    "hwkd-dram": ModelEntry(
        "hwcomponents_hwkd.dram_bursts",
        "DRAMBursts",
        "DRAM bursts (hwcomponents-cacti device energy per bit)",
        ("hwcomponents", "hwcomponents-cacti"),
        ("hwcomponents_hwkd.dram_bursts", "hwcomponents_hwkd.dram_interfaces"),
    ),
    "aladdin-intmac": ModelEntry(
        "hwcomponents_library",
        "AladdinIntMAC",
        "Aladdin integer MAC (hwcomponents-library)",
        _LIBRARY,
    ),
    "aladdin-adder": ModelEntry(
        "hwcomponents_library", "AladdinAdder", "Aladdin adder (hwcomponents-library)", _LIBRARY
    ),
    "aladdin-counter": ModelEntry(
        "hwcomponents_library", "AladdinCounter", "Aladdin counter (hwcomponents-library)", _LIBRARY
    ),
    "aladdin-multiplier": ModelEntry(
        "hwcomponents_library",
        "AladdinMultiplier",
        "Aladdin multiplier (hwcomponents-library)",
        _LIBRARY,
    ),
    "aladdin-register": ModelEntry(
        "hwcomponents_library",
        "AladdinRegister",
        "Aladdin register (hwcomponents-library)",
        _LIBRARY,
    ),
}


class ModelsNotInstalled(RuntimeError):
    """The energy extra (hwcomponents and its plug-ins) is not installed."""


def model_class(key: str) -> type:
    """The model class for `key` (imports hwcomponents on first use)."""
    entry = MODELS[key]
    try:
        module = importlib.import_module(entry.module)
    except ModuleNotFoundError as err:
        raise ModelsNotInstalled(
            f"{entry.label} needs {err.name!r}; install the energy extra: pip install -e '.[energy]' "
            f"and run python -m hwsim.energy.setup"
        ) from None
    return getattr(module, entry.class_name)


def hwkd_models() -> list[type]:
    """hwsim's own hwcomponents models, for ``hwcomponents.get_models(*hwkd_models())``."""
    return [model_class(key) for key in ("hwkd-regfile", "hwkd-dram", "cacti-sram")]


@cache
def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@cache
def _source_hash(module: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return "absent"
    return hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()[:16]


@cache
def model_fingerprint(key: str) -> str:
    """Versions of the packages and hashes of hwsim's sources that `key`'s numbers depend on."""
    entry = MODELS[key]
    parts = [f"{p}={_package_version(p)}" for p in entry.packages]
    parts += [f"{m}#{_source_hash(m)}" for m in entry.own_modules]
    return ";".join(parts)
