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
from models.quant import QuantConv2d, QuantLinear


def word_bits(model: nn.Module, default: int) -> int:
    """Word width the accelerator needs: the widest quantized layer, else `default` (hw.datawidth).

    With model.quant.bits=4 and an 8-bit first conv this is 8: one datapath serves every layer.
    """
    bits = [m.bits for m in model.modules() if isinstance(m, QuantConv2d | QuantLinear)]
    return max(bits) if bits else int(default)


def estimate_energy(
    model: nn.Module,
    input_shape: tuple[int, ...],
    hw_cfg: Mapping,
    out_dir: str | Path | None = None,
) -> dict:
    """Inference energy of `model` on hw_cfg.arch with hw_cfg.energy; per-layer rows included.

    With `out_dir`, also writes energy.csv (per layer) and energy.png there.
    """
    import hwsim
    from hwsim.energy import load_energy_table
    from models.workloads import extract_workloads

    datawidth = word_bits(model, hw_cfg.get("datawidth", 16))
    was_training = model.training
    model.eval()
    try:
        workloads = extract_workloads(model, tuple(input_shape))
    finally:
        model.train(was_training)
    try:
        arch = hwsim.load_architecture(hw_cfg["arch"])
        table = load_energy_table(hw_cfg["energy"])
        energy = hwsim.network_energy(workloads, arch, table)
    except hwsim.SpecError as e:  # a bad hw.arch / hw.energy file or name
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
