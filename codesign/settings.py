"""The `sweep` section of the config, checked once before anything runs: a mistake is one
UserError naming the field, and the study starts only from settings that make sense together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from codesign.accelerator import area_mm2, check_accelerator_keys
from codesign.objectives import Constraints, Objectives
from codesign.pruning import AccuracyCurve
from codesign.space import SearchSpace
from codesign.storage import storage_url
from models.errors import UserError

CHOICES = ("min_energy", "max_accuracy")


@dataclass(frozen=True)
class SweepSettings:
    study_name: str
    storage: str  # URL, or journal:<file>
    n_trials: int
    timeout: float | None
    seed: int | None
    space: SearchSpace
    objectives: Objectives
    constraints: Constraints
    curve: AccuracyCurve | None  # None: no pruning of hopeless runs
    choose: str
    max_failures_in_a_row: int
    heartbeat_s: int | None
    report: bool
    sampler: DictConfig

    @classmethod
    def from_config(cls, s: DictConfig, train_cfg: DictConfig, output_dir: Path) -> SweepSettings:
        """`s` is cfg.sweep, `train_cfg` the trials' recipe (cfg without `sweep`)."""
        space = SearchSpace.from_config(s.space, train_cfg)
        hw = train_cfg.hw
        if not hw.get("enabled", True):
            raise UserError(
                "hw.enabled=false: the sweep minimises energy, it needs hw (the accelerator)"
            )
        check_accelerator_keys(str(hw.arch), list(space.accelerator(dict.fromkeys(space.keys))))
        objectives = Objectives.from_config(s.objectives, str(s.metric))
        constraints = Constraints.from_config(OmegaConf.to_container(s.constraints))
        if ("area" in objectives.names or constraints.max_area_mm2 is not None) and area_mm2(
            str(hw.arch), {}, str(hw.energy), int(hw.datawidth)
        ) is None:
            raise UserError(f"hw.energy={hw.energy!r} has no areas: area needs hw.energy=models")
        curve = None
        if s.prune.enabled:
            curve = AccuracyCurve.from_config(
                OmegaConf.to_container(s.prune.curve), constraints.min_accuracy
            )
        if s.choose not in CHOICES:
            raise UserError(f"sweep.choose={s.choose!r} must be one of {list(CHOICES)}")
        if int(s.n_trials) < 0 or int(s.max_failures_in_a_row) < 1:
            raise UserError("sweep.n_trials must be >= 0 and sweep.max_failures_in_a_row >= 1")
        return cls(
            study_name=str(s.study_name),
            storage=storage_url(s.storage, output_dir),
            n_trials=int(s.n_trials),
            timeout=None if s.timeout is None else float(s.timeout),
            seed=None if s.seed is None else int(s.seed),
            space=space,
            objectives=objectives,
            constraints=constraints,
            curve=curve,
            choose=str(s.choose),
            max_failures_in_a_row=int(s.max_failures_in_a_row),
            heartbeat_s=int(s.heartbeat_s) if s.heartbeat_s else None,
            report=bool(s.report),
            sampler=s.sampler,
        )

    def study_attrs(self, train_cfg: DictConfig, s: DictConfig) -> dict[str, Any]:
        """What the study keeps so that its report needs nothing but the storage."""
        return {
            "objectives": list(self.objectives.names),
            "metric": self.objectives.metric,
            "constraints": OmegaConf.to_container(s.constraints),
            "choose": self.choose,
            "space": self.space.describe(),
            "sampler": str(self.sampler.get("_target_", "?")).rsplit(".", 1)[-1],
            "hw_arch": str(train_cfg.hw.arch),
        }
