"""A trial's inference energy, computed before training: it depends only on the architecture.

The untrained student is built from the trial's `model` config and priced on the trial's
accelerator with `models.hw_energy.estimate_energy` (hwsim maps each distinct layer once and keeps
the mappings on disk, so a repeated layer shape costs milliseconds). Results are also remembered
in memory, keyed by everything they depend on, so a repeated architecture costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig

from codesign.accelerator import area_mm2, build_accelerator, describe
from models.complexity import count_parameters
from models.config_dict import config_dict
from models.hw_energy import estimate_energy, hardware_config, load_hardware


@dataclass(frozen=True)
class ArchitectureEnergy:
    """Energy of one inference of a student on an accelerator (per-layer rows in pJ, from hwsim)."""

    total_uj: float
    by_level_uj: dict[str, float]
    layers: list[dict[str, Any]]
    student: dict[str, Any]  # blocks, widths, block, shortcut, bits, depth
    accelerator: dict[str, Any]  # name, PE array, buffer depths
    area_mm2: float | None
    datawidth: int
    energy_table: str  # hw.energy
    objective: str  # the mapper's, as a metric list: [delay, energy]
    macs: int
    params: int
    mapped_layers: int = 0  # layers the mapper searched now (0: on-disk cache or remembered)


class EnergyModel:
    """Energy of (model config, accelerator values) on hw_cfg (`hw` group), remembered."""

    def __init__(self, hw_cfg: Mapping, image_size: int):
        self.hw = dict(hw_cfg)
        self.input_shape = (1, 3, int(image_size), int(image_size))
        self._seen: dict[str, ArchitectureEnergy] = {}
        self._hardware: dict[str, Any] = {}

    def __call__(
        self, model_cfg: DictConfig, accelerator_values: Mapping[str, Any]
    ) -> ArchitectureEnergy:
        model = config_dict(model_cfg, "model", resolve=True)
        key = json.dumps(
            [model, dict(accelerator_values), self.hw, self.input_shape],
            sort_keys=True,
            default=str,
        )
        if key in self._seen:
            return replace(self._seen[key], mapped_layers=0)
        net = instantiate(model_cfg)
        accelerator = build_accelerator(self.hw["arch"], accelerator_values)
        bits = (model.get("quant") or {}).get("bits")
        hw = hardware_config({**self.hw, "arch": accelerator}, bits)
        datawidth = hw["datawidth"]
        hardware_key = json.dumps(
            [dict(accelerator_values), datawidth], sort_keys=True, default=str
        )
        if hardware_key not in self._hardware:  # one accelerator and table per design, not trial
            self._hardware[hardware_key] = load_hardware(hw)
        energy = estimate_energy(net, self.input_shape, hw, hardware=self._hardware[hardware_key])
        result = ArchitectureEnergy(
            total_uj=energy["total_pj"] * 1e-6,
            by_level_uj={k: v * 1e-6 for k, v in energy["by_level_pj"].items()},
            layers=energy["layers"],
            student=student_summary(net, model),
            accelerator=describe(accelerator),
            area_mm2=area_mm2(self.hw["arch"], accelerator_values, datawidth),
            datawidth=datawidth,
            energy_table=energy["energy_table"],
            objective=energy["objective"],
            macs=sum(int(row["macs"]) for row in energy["layers"]),  # hwsim's count, no 2nd pass
            params=count_parameters(net),
            mapped_layers=sum(not row.get("cached", False) for row in energy["layers"]),
        )
        self._seen[key] = result
        return result


def student_summary(net, model: Mapping[str, Any]) -> dict[str, Any]:
    """What the report names a student by: blocks per stage, stage widths, block and shortcut
    types, bits, depth."""
    blocks = [len(stage) for stage in net.stages]
    widths = list(model.get("widths") or [int(model["width"]) * 2**i for i in range(len(blocks))])
    block = str(model.get("block", "basic"))
    per_block = (
        3 if block == "bottleneck" else 2
    )  # ResNet-(6n+2) / -(9n+2), as models.resnet names them
    return {
        "blocks": blocks,
        "widths": widths,
        "block": block,
        "shortcut": str(model.get("shortcut", "A")).upper(),
        "bits": (model.get("quant") or {}).get("bits"),
        "depth": 2 + per_block * sum(blocks),
    }
