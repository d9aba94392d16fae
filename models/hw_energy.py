"""The one place where training meets the accelerator model: a student's inference energy.

The student's layers become hwsim problems (`models.workloads.extract_workloads`); hwsim maps each
distinct layer on the accelerator and prices it:
    hwsim.load_accelerator(name_or_path, datawidth=bits)
    hwsim.energy.load_energy_table(source, architecture=..., compound_components=...)   (load_hardware)
    hwsim.network_energy(workloads, accelerator, table, settings=...) -> NetworkEnergy
The `hw` config group says how: `hardware_config` turns it into the values these calls take (the
word width, the mapper objective), and every result names the energy table and the objective.
Imports are lazy, so training works without hwsim's optional parts.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import nn

from models.errors import UserError

#: hw.datawidth=student: the accelerator's words take the student's model.quant.bits (co-design)
STUDENT_WIDTH = "student"


def hardware_config(hw_cfg: Mapping, student_bits: int | None) -> dict[str, Any]:
    """hw_cfg (the `hw` group) with a word width in bits and hwsim's name of the objective.

    hw.datawidth is the accelerator's word width: a number of bits (16: the course's architecture
    as published, whatever the student's precision), or ``student`` for the student's
    model.quant.bits (a full-precision student keeps the architecture's own width).
    hw.objective is hwsim's name (energy, delay, edp) or Timeloop's metric list ([delay, energy]).
    """
    from hwsim.errors import SpecError
    from hwsim.mapper.objectives import CHOICES, parse_objective

    hw = dict(hw_cfg)
    try:
        hw["objective"] = parse_objective(hw["objective"])
    except SpecError:
        raise UserError(f"hw.objective={hw['objective']!r} is unknown; use {CHOICES}") from None
    width = hw.get("datawidth")
    if width == STUDENT_WIDTH:
        width = student_bits or _own_width(hw["arch"])
    elif isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise UserError(
            f"hw.datawidth={width!r} must be the accelerator's word width in bits (e.g. 16) or "
            f"{STUDENT_WIDTH!r} (the student's model.quant.bits)"
        )
    hw["datawidth"] = int(width)
    return hw


def pricing_label(energy: Mapping) -> str:
    """What produced an energy (`estimate_energy`'s dict): its energy table and mapper objective."""
    return f"energy table {energy['energy_table']}, mapper objective {energy['objective']}"


def load_hardware(hw_cfg: Mapping):
    """(accelerator, energy table) of hw_cfg.arch at hw_cfg.datawidth bits and hw_cfg.energy.

    hw_cfg is `hardware_config`'s. `train.py` calls it before training, so a bad hw.* value (or an
    hwsim without its network energy: ImportError) is reported at once.
    """
    from hwsim import SpecError, load_accelerator, network_energy  # noqa: F401 (all of it here)
    from hwsim.energy import load_energy_table
    from hwsim.mapper.search import MapperSettings  # noqa: F401

    try:
        width = hw_cfg.get("datawidth")  # none: the architecture's own
        accelerator = load_accelerator(hw_cfg["arch"], datawidth=int(width) if width else None)
        table = load_energy_table(
            hw_cfg["energy"],
            architecture=accelerator.architecture,
            compound_components=accelerator.compound_components,
        )
    except SpecError as e:  # a bad hw.arch / hw.energy file or name
        raise UserError(f"hw: {e}") from e
    return accelerator, table


def estimate_energy(
    model: nn.Module,
    input_shape: tuple[int, ...],
    hw_cfg: Mapping,
    out_dir: str | Path | None = None,
    hardware=None,
) -> dict:
    """Inference energy of `model` on hw_cfg.arch with hw_cfg.energy; per-layer rows included.

    hw_cfg is `hardware_config`'s: hw_cfg.datawidth is the accelerator's word width in bits (the
    architecture's own when absent), hw_cfg.objective the mapper's (hwsim's default when absent). `hardware` is what
    `load_hardware(hw_cfg)` returned, when already loaded. With `out_dir`, also writes energy.csv
    (per layer) and energy.png there. The result names the energy table and the objective.
    """
    from hwsim import SpecError, network_energy
    from hwsim.mapper.search import MapperSettings
    from models.workloads import extract_workloads

    workloads = extract_workloads(model, tuple(input_shape))  # in eval mode, then as it was
    accelerator, table = hardware if hardware is not None else load_hardware(hw_cfg)
    try:
        settings = MapperSettings(progress=False)
        if hw_cfg.get("objective") is not None:
            settings = MapperSettings(objective=hw_cfg["objective"], progress=False)
        energy = network_energy(workloads, accelerator, table, settings=settings, progress=False)
    except SpecError as e:  # a bad hw.objective, or a spec that fails only when mapping
        raise UserError(f"hw: {e}") from e
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        energy.to_csv(out_dir / "energy.csv")
        energy.plot(out_dir / "energy.png")
    from hwsim.energy.sources import source_name
    from hwsim.mapper.objectives import objective_label

    return {
        "total_pj": float(energy.total_energy_pj),
        "arch": str(hw_cfg["arch"]),
        "energy_table": source_name(str(hw_cfg["energy"])),
        "objective": objective_label(settings.objective),
        "datawidth": int(hw_cfg.get("datawidth") or accelerator.architecture.compute.datawidth),
        "by_level_pj": energy.by_level(),
        "layers": energy.to_dataframe().to_dict(orient="records"),
    }


def _own_width(arch) -> int:
    """The word width of hw.arch as it is written (its compute level's datawidth)."""
    from hwsim import SpecError, load_accelerator

    try:
        return int(load_accelerator(arch).architecture.compute.datawidth)
    except SpecError as e:
        raise UserError(f"hw: {e}") from e
