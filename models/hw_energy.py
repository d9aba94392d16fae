"""The one place where training meets the accelerator model: a student's inference energy.

Calls hwsim as agreed with its owners (imports are lazy so training works without it):
    models.workloads.extract_workloads(model, input_shape) -> list[hwsim.spec.Problem]
    hwsim.load_architecture(name_or_path)
    hwsim.energy.load_energy_table(name_or_path)
    hwsim.network_energy(workloads, arch, energy_table) -> NetworkEnergy
        .total_energy_pj, .to_dataframe(), .to_dict(), .to_csv(path), .plot(path)
"""

from collections.abc import Mapping
from pathlib import Path

from torch import nn

from models.errors import UserError


def estimate_energy(
    model: nn.Module,
    input_shape: tuple[int, ...],
    hw_cfg: Mapping,
    out_dir: str | Path | None = None,
) -> dict:
    """Inference energy of `model` on hw_cfg.arch with hw_cfg.energy; per-layer rows included.

    hw_cfg.datawidth is the accelerator's word width in bits: `train.py` sets it to
    model.quant.bits for a quantized student (hw.datawidth otherwise). With `out_dir`, also writes
    energy.csv (per layer) and energy.png there.
    """
    from hwsim import SpecError, load_architecture, network_energy
    from hwsim.energy import load_energy_table
    from models.workloads import extract_workloads

    datawidth = int(hw_cfg.get("datawidth", 16))
    was_training = model.training
    model.eval()
    try:
        workloads = extract_workloads(model, tuple(input_shape))
    finally:
        model.train(was_training)
    try:
        arch = load_architecture(hw_cfg["arch"])
        table = load_energy_table(hw_cfg["energy"])
        energy = network_energy(workloads, arch, table)
    except SpecError as e:  # a bad hw.arch / hw.energy file or name
        raise UserError(f"hw: {e}") from e
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        energy.to_csv(out_dir / "energy.csv")
        energy.plot(out_dir / "energy.png")
    return {
        "total_pj": float(energy.total_energy_pj),
        "arch": str(hw_cfg["arch"]),
        "energy_table": str(hw_cfg["energy"]),
        "datawidth": datawidth,
        "layers": energy.to_dataframe().to_dict(orient="records"),
    }
