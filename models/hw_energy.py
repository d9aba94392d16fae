"""The one place where training meets the accelerator model: a student's inference energy.

The student's layers become hwsim problems (`models.workloads.extract_workloads`); hwsim maps each
distinct layer on the accelerator (re-targeted to the student's word width) and prices it:
    hwsim.load_accelerator(name_or_path, datawidth=bits)
    hwsim.energy.load_energy_table(source, architecture=..., compound_components=...)   (load_hardware)
    hwsim.network_energy(workloads, accelerator, table, settings=...) -> NetworkEnergy
Imports are lazy, so training works without hwsim's optional parts.
"""

from collections.abc import Mapping
from pathlib import Path

from torch import nn

from models.errors import UserError


def load_hardware(hw_cfg: Mapping):
    """(accelerator, energy table) of hw_cfg.arch at hw_cfg.datawidth bits and hw_cfg.energy.

    `train.py` calls it before training, so a bad hw.* value (or an hwsim without its network
    energy: ImportError) is reported at once.
    """
    from hwsim import SpecError, load_accelerator, network_energy  # noqa: F401 (all of it here)
    from hwsim.energy import load_energy_table
    from hwsim.mapper.search import MapperSettings  # noqa: F401

    objective = hw_cfg.get("objective", "energy")
    if objective not in ("energy", "delay", "edp"):
        raise UserError(f"hw.objective={objective!r}: use energy, delay or edp")
    try:
        accelerator = load_accelerator(hw_cfg["arch"], datawidth=int(hw_cfg.get("datawidth", 16)))
        table = load_energy_table(
            hw_cfg.get("energy", "models"),
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

    hw_cfg.datawidth is the accelerator's word width in bits: `train.py` sets it to
    model.quant.bits for a quantized student (hw.datawidth otherwise). `hardware` is what
    `load_hardware(hw_cfg)` returned, when already loaded. With `out_dir`, also writes energy.csv
    (per layer) and energy.png there.
    """
    from hwsim import SpecError, network_energy
    from hwsim.mapper.search import MapperSettings
    from models.workloads import extract_workloads

    datawidth = int(hw_cfg.get("datawidth", 16))
    workloads = extract_workloads(model, tuple(input_shape))  # in eval mode, then as it was
    accelerator, table = hardware if hardware is not None else load_hardware(hw_cfg)
    try:
        settings = MapperSettings(objective=hw_cfg.get("objective", "energy"), progress=False)
        energy = network_energy(workloads, accelerator, table, settings=settings, progress=False)
    except SpecError as e:  # a bad hw.objective, or a spec that fails only when mapping
        raise UserError(f"hw: {e}") from e
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        energy.to_csv(out_dir / "energy.csv")
        energy.plot(out_dir / "energy.png")
    return {
        "total_pj": float(energy.total_energy_pj),
        "arch": str(hw_cfg["arch"]),
        "energy_table": str(hw_cfg.get("energy", "models")),
        "datawidth": datawidth,
        "by_level_pj": energy.by_level(),
        "layers": energy.to_dataframe().to_dict(orient="records"),
    }
