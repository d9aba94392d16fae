"""Every option of every config group composes, resolves and (where cheap) instantiates."""

import pytest
import torch
from hydra.utils import instantiate
from kd_fixtures import CONF, compose_config
from omegaconf import OmegaConf

GROUPS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name != "hydra")
OPTIONS = [(g, f.stem) for g in GROUPS for f in sorted((CONF / g).glob("*.yaml"))]


def test_every_group_the_issue_names_exists():
    expected = {"data", "model", "teacher", "kd", "optim", "trainer", "hw", "logger", "callbacks",
                "paths", "experiment", "debug"}  # fmt: skip
    assert expected <= set(GROUPS)


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_option_composes_and_resolves(tmp_path, group, option):
    cfg = compose_config(tmp_path, [f"{group}={option}"])
    plain = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)
    assert plain["task"]["name"] in ("student", "teacher")
    assert plain["paths"]["output_dir"].startswith(str(tmp_path))


@pytest.mark.parametrize("option", sorted(f.stem for f in (CONF / "model").glob("*.yaml")))
def test_every_model_instantiates(tmp_path, option):
    cfg = compose_config(tmp_path, [f"model={option}"])
    assert instantiate(cfg.model)(torch.zeros(1, 3, 32, 32)).shape == (1, 10)


def test_defaults_are_the_issue_recipe(tmp_path):
    cfg = compose_config(tmp_path)
    assert cfg.optim.optimizer._target_ == "torch.optim.SGD" and cfg.optim.optimizer.nesterov
    assert cfg.trainer.precision == "auto" and cfg.kd.cache == "auto"
    assert cfg.hw.arch == "eyeriss_like_q3" and cfg.hw.energy == "models" and cfg.hw.enabled
    assert list(cfg.logger) == ["csv"]
    assert list(compose_config(tmp_path, ["logger=wandb"]).logger) == ["csv", "wandb"]


def test_task_teacher_switches_optimizer_and_energy(tmp_path):
    cfg = compose_config(tmp_path, ["task=teacher"])
    assert cfg.task.name == "teacher" and cfg.kd.alpha == 0
    assert cfg.optim.optimizer._target_ == "torch.optim.AdamW" and not cfg.hw.enabled


def test_callbacks_loggers_and_optimizers_instantiate(tmp_path):
    cfg = compose_config(
        tmp_path, ["logger=wandb", "+logger.wandb.anonymous=never", "logger.wandb.mode=disabled"]
    )
    for one in cfg.callbacks.values():
        assert instantiate(one) is not None
    assert [type(instantiate(one)).__name__ for one in cfg.logger.values()] == [
        "CSVLogger",
        "WandbLogger",
    ]
    for option in ("sgd", "adamw"):
        optim = compose_config(tmp_path, [f"optim={option}"]).optim
        assert isinstance(
            instantiate(optim.optimizer)([torch.zeros(1, requires_grad=True)]),
            torch.optim.Optimizer,
        )
