"""The `sweep` section of the config, checked once before anything runs: a mistake is one
UserError naming the field, and the study starts only from settings that make sense together."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal, NoReturn, overload

from omegaconf import DictConfig, ListConfig, OmegaConf

from codesign.accelerator import check_accelerator_keys
from codesign.objectives import Constraints, Objectives
from codesign.pruning import AccuracyCurve
from codesign.report import CHOICES
from codesign.space import SearchSpace
from codesign.storage import storage_url
from models.config_dict import config_dict
from models.errors import UserError
from models.hw_energy import hardware_config

#: sweep.seed of worker i is sweep.seed + i * this (codesign.study adds the trials so far).
WORKER_SEED_STRIDE = 1_000_003


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
    workers: int  # worker processes this command starts (codesign.local_workers)
    worker: int | str | None  # this worker's index or name (set for workers of a launcher)

    @classmethod
    def from_config(cls, s: DictConfig, train_cfg: DictConfig, output_dir: Path) -> SweepSettings:
        """`s` is cfg.sweep, `train_cfg` the trials' recipe (cfg without `sweep`)."""
        read = _Reader(s)
        space = SearchSpace.from_config(s.space, train_cfg)
        hw = train_cfg.hw
        if not hw.get("enabled", True):
            raise UserError(
                "hw.enabled=false: the sweep minimises energy, it needs hw (the accelerator)"
            )
        check_accelerator_keys(str(hw.arch), list(space.accelerator(dict.fromkeys(space.keys))))
        objectives = Objectives.from_config(read.items("objectives"), read.text("metric"))
        known = {f.name for f in fields(Constraints)}  # Constraints names any other key
        constraints = Constraints.from_config(
            {
                key: read.number(f"constraints.{key}", nullable=key != "min_accuracy")
                if key in known
                else value
                for key, value in read.mapping("constraints").items()
            }
        )
        hardware_config(  # a bad hw.datawidth or hw.objective stops the study here
            config_dict(hw, "hw", resolve=True), train_cfg.model.quant.bits
        )
        curve = None
        if read.boolean("prune.enabled"):
            curve = AccuracyCurve.from_config(read.items("prune.curve"), constraints.min_accuracy)
        heartbeat_s = read.integer("heartbeat_s", nullable=True, minimum=0)
        worker = read.value("worker")
        if worker is not None and (isinstance(worker, bool) or not isinstance(worker, int | str)):
            read._refuse("worker", worker, "an integer, a name or null")
        seed = read.integer("seed", nullable=True)
        if seed is not None and isinstance(worker, int):
            # workers started together must not draw the same points: open_study adds the
            # trials so far to the seed, so the workers' seeds are set far apart
            seed += WORKER_SEED_STRIDE * worker
        return cls(
            study_name=read.text("study_name"),
            storage=storage_url(read.text("storage", nullable=True), output_dir),
            n_trials=read.integer("n_trials", minimum=0),
            timeout=read.number("timeout", nullable=True, minimum=0),
            seed=seed,
            space=space,
            objectives=objectives,
            constraints=constraints,
            curve=curve,
            choose=read.text("choose", choices=CHOICES),
            max_failures_in_a_row=read.integer("max_failures_in_a_row", minimum=1),
            heartbeat_s=heartbeat_s or None,
            report=read.boolean("report"),
            sampler=read.mapping("sampler"),
            workers=read.integer("workers", minimum=1),
            worker=worker,
        )

    def study_attrs(self, train_cfg: DictConfig) -> dict[str, Any]:
        """What the study keeps so that its report needs nothing but the storage."""
        return {
            "objectives": list(self.objectives.names),
            "metric": self.objectives.metric,
            "constraints": asdict(self.constraints),
            "choose": self.choose,
            "space": self.space.describe(),
            "sampler": str(self.sampler.get("_target_", "?")).rsplit(".", 1)[-1],
            "hw_arch": str(train_cfg.hw.arch),
        }


class _Reader:
    """Values of `sweep.<key>` with the type the study needs; anything else is a UserError naming
    the key (Hydra's command line makes `sweep.seed=abc` a string, `sweep.objectives=null` None)."""

    def __init__(self, s: DictConfig):
        self.s = s

    def value(self, key: str) -> Any:
        return OmegaConf.select(self.s, key, throw_on_missing=True)

    @overload
    def integer(
        self, key: str, nullable: Literal[False] = False, minimum: int | None = None
    ) -> int: ...
    @overload
    def integer(self, key: str, nullable: bool, minimum: int | None = None) -> int | None: ...
    def integer(self, key: str, nullable: bool = False, minimum: int | None = None) -> int | None:
        value = self.value(key)
        if value is None and nullable:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self._refuse(key, value, "an integer" + (" or null" if nullable else ""))
        if minimum is not None and value < minimum:
            self._refuse(key, value, f"an integer >= {minimum}")
        return value

    @overload
    def number(
        self, key: str, nullable: Literal[False] = False, minimum: float | None = None
    ) -> float: ...
    @overload
    def number(self, key: str, nullable: bool, minimum: float | None = None) -> float | None: ...
    def number(
        self, key: str, nullable: bool = False, minimum: float | None = None
    ) -> float | None:
        value = self.value(key)
        if value is None and nullable:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            self._refuse(key, value, "a number" + (" or null" if nullable else ""))
        if minimum is not None and value < minimum:
            self._refuse(key, value, f"a number >= {minimum:g}")
        return float(value)

    def boolean(self, key: str) -> bool:
        value = self.value(key)
        if not isinstance(value, bool):
            self._refuse(key, value, "true or false")
        return value

    @overload
    def text(
        self, key: str, nullable: Literal[False] = False, choices: tuple[str, ...] = ()
    ) -> str: ...
    @overload
    def text(self, key: str, nullable: bool, choices: tuple[str, ...] = ()) -> str | None: ...
    def text(self, key: str, nullable: bool = False, choices: tuple[str, ...] = ()) -> str | None:
        value = self.value(key)
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self._refuse(key, value, "a string" + (" or null" if nullable else ""))
        if choices and value not in choices:
            self._refuse(key, value, f"one of {list(choices)}")
        return str(value)

    def items(self, key: str) -> list:
        value = self.value(key)
        if not isinstance(value, ListConfig):
            self._refuse(key, value, "a list")
        items = OmegaConf.to_container(value)
        assert isinstance(items, list), "a ListConfig's container is a list"
        return items

    def mapping(self, key: str) -> DictConfig:
        value = self.value(key)
        if not isinstance(value, DictConfig):
            self._refuse(key, value, "a mapping")
        return value

    @staticmethod
    def _refuse(key: str, value: Any, wanted: str) -> NoReturn:
        shown = "null" if value is None else repr(_plain(value))
        raise UserError(f"sweep.{key}={shown} must be {wanted}")


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value) if isinstance(value, DictConfig | ListConfig) else value
