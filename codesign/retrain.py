"""How to train a trial's student again with train.py, as report.md prints it.

Two forms: the sweep's training settings as train.py overrides plus the trial's values (readable:
the experiment, what conf/sweep/experiment/<it>.yaml sets, the command line's training keys), and
the trial's whole training config saved as trials/<number>/config.yaml (exact):
`python train.py --config-dir <trial dir> --config-name config`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

from codesign.space import ACCELERATOR
from models.config_dict import config_dict

CONF = Path(__file__).resolve().parents[1] / "conf"


def sweep_overrides() -> list[str]:
    """The training settings of the running sweep as train.py overrides; [] outside a Hydra run
    (e.g. a config composed by a test)."""
    try:
        hydra_cfg = HydraConfig.get()
    except ValueError:
        return []
    choices = hydra_cfg.runtime.choices
    out = [f"experiment={choices['experiment']}"] if choices.get("experiment") else []
    file = CONF / "sweep" / "experiment" / f"{choices.get('sweep/experiment')}.yaml"
    if choices.get("sweep/experiment") and file.is_file():
        written = config_dict(OmegaConf.load(file), str(file))
        values = {k: v for k, v in written.items() if k not in ("defaults", "sweep")}
        out += [f"{k}={override_value(v)}" for k, v in _flatten(values)]
    out += [
        o
        for o in hydra_cfg.overrides.task
        if not o.lstrip("+~").startswith(("sweep", "hydra", "experiment="))
    ]
    return out


def retrain_command(overrides: list[str], params: Mapping[str, Any]) -> str:
    """`python train.py <sweep overrides> <the trial's values>` (accelerator values left out)."""
    own = [f"{k}={override_value(v)}" for k, v in params.items() if not k.startswith(ACCELERATOR)]
    return " ".join(["python train.py", *overrides, *own])


def save_config(cfg: DictConfig, path: Path, base: DictConfig) -> Path:
    """The trial's training config as a file train.py runs as is (a new run directory, the energy
    step on again as in `base`)."""
    out = copy.deepcopy(cfg)
    with open_dict(out):
        out.paths.output_dir = base.paths._get_node("output_dir")._value()  # ${hydra:...} again
        out.hw.enabled = base.hw.enabled
    path.parent.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(out, path)
    return path


def override_value(value: Any) -> str:
    """A value as Hydra's command line writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[" + ",".join(override_value(v) for v in value) + "]"
    if isinstance(value, str) and value.startswith("["):
        return value.replace(" ", "")  # a structured choice stored as JSON: [2, 2, 2] -> [2,2,2]
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _flatten(values: dict, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for k, v in values.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v
