"""Every option of every config group composes, resolves and (where cheap) instantiates."""

import pytest
import torch
from hydra.utils import instantiate
from kd_fixtures import CONF, compose_config
from omegaconf import OmegaConf

from models.complexity import count_parameters
from models.errors import UserError
from models.hw_energy import hardware_config

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
    assert cfg.hw.arch == "eyeriss_like_q3" and cfg.hw.enabled
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


def test_defaults_are_the_course_q3_setup(tmp_path):
    """The course's student (He et al.'s ResNet-32, option-A shortcuts, 8-bit QAT) on its
    Eyeriss-like architecture as published (16-bit words), mapped by [delay, energy]."""
    cfg = compose_config(tmp_path)
    model = OmegaConf.to_container(cfg.model, resolve=True)
    assert model["arch"] == "resnet32" and model["shortcut"] == "A" and model["block"] == "basic"
    assert model["quant"]["bits"] == 8 and model["width"] == 16
    net = instantiate(cfg.model)
    assert count_parameters(net) == 464_154  # 0.46 M: ResNet-32 with option A, no projections
    assert cfg.hw.arch == "eyeriss_like_q3" and cfg.hw.datawidth == 16
    assert list(cfg.hw.objective) == ["delay", "energy"]
    hw = hardware_config(OmegaConf.to_container(cfg.hw, resolve=True), cfg.model.quant.bits)
    assert hw["datawidth"] == 16 and hw["objective"] == "delay"  # not the student's 8 bits


def test_energy_source_default_is_the_courses(tmp_path):
    """Classic Accelergy prices by default (the course's scale); the models are one override away."""
    assert compose_config(tmp_path).hw.energy == "classic"
    assert compose_config(tmp_path, ["hw.energy=hwcomponents"]).hw.energy == "hwcomponents"


@pytest.mark.parametrize(
    ("overrides", "datawidth"),
    [
        (["hw.datawidth=student"], 8),  # retargeted to the student's bits: a co-design choice
        (["hw.datawidth=student", "model.quant.bits=4"], 4),
        (["hw.datawidth=student", "model.quant.bits=null"], 16),  # float: the arch's own width
        (["model.quant.bits=4"], 16),  # the accelerator as published, whatever the student
        (["hw.datawidth=12"], 12),
    ],
)
def test_datawidth_is_the_architectures_unless_retargeted(tmp_path, overrides, datawidth):
    cfg = compose_config(tmp_path, overrides)
    hw = hardware_config(OmegaConf.to_container(cfg.hw, resolve=True), cfg.model.quant.bits)
    assert hw["datawidth"] == datawidth


@pytest.mark.parametrize(
    ("objective", "hwsim_name"),
    [
        ("[delay,energy]", "delay"),
        ("delay", "delay"),
        ("[energy,delay]", "energy"),
        ("energy", "energy"),
        ("[energy]", "energy"),
        ("edp", "edp"),
        ("[edp,energy]", "edp"),
    ],
)
def test_objective_takes_names_and_metric_lists(tmp_path, objective, hwsim_name):
    cfg = compose_config(tmp_path, [f"hw.objective={objective}"])
    assert hardware_config(OmegaConf.to_container(cfg.hw), 8)["objective"] == hwsim_name


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        (
            "hw.objective=[energy,edp]",
            r"^hw\.objective=\['energy', 'edp'\] is unknown; use energy = ",
        ),
        ("hw.objective=cost", r"^hw\.objective='cost' is unknown"),
        ("hw.datawidth=wide", r"^hw\.datawidth='wide' must be the accelerator's word width"),
        ("hw.datawidth=0", r"^hw\.datawidth=0 must be"),
    ],
)
def test_bad_hw_values_are_one_line(tmp_path, override, pattern):
    cfg = compose_config(tmp_path, [override])
    with pytest.raises(UserError, match=pattern):
        hardware_config(OmegaConf.to_container(cfg.hw), 8)


def test_the_demo_keeps_its_small_float_student(tmp_path):
    """experiment=demo stays quick: ResNet-20 in full precision, on the course's accelerator."""
    cfg = compose_config(tmp_path, ["experiment=demo"])
    assert cfg.model.arch == "resnet20" and cfg.model.quant.bits is None
    assert cfg.model.shortcut == "A" and list(cfg.hw.objective) == ["delay", "energy"]
    assert compose_config(tmp_path, ["experiment=demo", "model.quant.bits=8"]).model.quant.bits == 8
    kd = compose_config(tmp_path, ["experiment=cifar10_kd"])  # the real recipe: the course's
    assert kd.model.arch == "resnet32" and kd.model.quant.bits == 8 and kd.hw.datawidth == 16


def test_the_cpu_recipe_trains_the_course_student(tmp_path):
    """experiment=cifar10_cpu (docs/results.md): the course's student, real data, no teacher."""
    cfg = compose_config(tmp_path, ["experiment=cifar10_cpu"])
    assert cfg.model.arch == "resnet32" and cfg.model.quant.bits == 8 and cfg.model.shortcut == "A"
    assert cfg.data.source.root.endswith("cifar10-jpeg.tar.gz") and cfg.kd.alpha == 0
    assert cfg.channels_last and cfg.kd.label_smoothing == 0.1 and cfg.trainer.accelerator == "cpu"
    kd = compose_config(tmp_path, ["experiment=cifar10_cpu", "kd.alpha=0.9", "teacher=checkpoint"])
    assert kd.kd.alpha == 0.9 and kd.kd.label_smoothing == 0.1
