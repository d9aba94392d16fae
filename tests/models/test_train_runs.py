"""train.py end to end on synthetic data with the tiny random DINOv2 teacher (nothing downloads)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from kd_fixtures import ROOT, compose_config

from models.errors import UserError

FDR = "debug=fdr"


@pytest.mark.parametrize("cache", ["auto", "off"])
def test_fast_dev_run_distils_and_reports(small_cfg, train_module, cache):
    cfg = small_cfg(FDR, f"kd.cache={cache}")
    result = train_module.train(cfg)
    run = Path(cfg.paths.output_dir)
    assert result.task == "student" and 0 <= result.val_acc <= 1 and 0 <= result.test_acc <= 1
    assert result.params > 0 and result.macs > 0 and result.wall_time_s > 0
    assert Path(result.checkpoint_path).is_file()
    assert json.loads((run / "result.json").read_text())["test_acc"] == result.test_acc
    cached = list((Path(cfg.paths.cache_dir) / "teacher_logits").glob("*/logits.npy"))
    assert len(cached) == (1 if cache == "auto" else 0)
    state = torch.load(result.checkpoint_path, weights_only=False)["state_dict"]
    assert not any(k.startswith("teacher.") for k in state)  # student checkpoints stay small


def test_short_run_learns_the_synthetic_task(small_cfg, train_module):
    # 8 epochs of ResNet-8 (width 8) on 720 synthetic images reach ~80 % (chance: 10 %)
    overrides = ["data.source.n_train=800", "data.source.n_test=200", "trainer.max_epochs=8"]
    cfg = small_cfg(*overrides, "kd=none", "callbacks=none")
    result = train_module.train(cfg)
    assert result.val_acc > 0.5 and result.test_acc > 0.5
    assert Path(result.checkpoint_path).is_file()
    metrics = (Path(cfg.paths.output_dir) / "csv" / "metrics.csv").read_text()
    assert "val/acc" in metrics.splitlines()[0] and "test/acc" in metrics  # CSV log, always


def test_quantized_student_trains(small_cfg, train_module):
    result = train_module.train(small_cfg(FDR, "model.quant.bits=4"))
    ckpt = torch.load(result.checkpoint_path, weights_only=False)["state_dict"]
    assert any(k.endswith("input_quantizer.absmax") and v > 0 for k, v in ckpt.items())


def test_teacher_task_writes_a_teacher_the_student_can_use(small_cfg, train_module, tmp_path):
    result = train_module.train(small_cfg(FDR, "task=teacher"))
    state = torch.load(result.checkpoint_path, weights_only=True)
    assert result.task == "teacher" and result.energy is None
    assert {k.split(".")[0] for k in state} == {"backbone", "classifier"}  # the course format
    student = train_module.train(small_cfg(FDR, f"teacher.checkpoint={result.checkpoint_path}"))
    assert student.test_acc is not None


def test_student_checkpoint_serves_as_teacher(small_cfg, train_module):
    first = train_module.train(small_cfg(FDR, "kd=none"))
    again = train_module.train(
        small_cfg(
            FDR, "teacher=checkpoint", f"teacher.path={first.checkpoint_path}", "kd.cache=off"
        )
    )
    assert again.test_acc is not None


def test_wandb_logger_runs_disabled(small_cfg, train_module):
    result = train_module.train(small_cfg(FDR, "logger=wandb", "logger.wandb.mode=disabled"))
    assert result.test_acc is not None


def test_missing_data_and_bad_checkpoint_raise_user_errors(small_cfg, train_module, tmp_path):
    no_data = [f"data.source.root={tmp_path}/none", "data.source.download=false"]
    missing = compose_config(tmp_path, ["experiment=demo", FDR, "data=cifar10", *no_data])
    with pytest.raises(UserError, match=r"CIFAR-10 not found at .*none/cifar-10-batches-py"):
        train_module.train(missing)
    bad = small_cfg(FDR, f"teacher.checkpoint={tmp_path}/nope.pth")
    with pytest.raises(UserError, match=r"^teacher\.checkpoint: no such file: .*nope\.pth$"):
        train_module.train(bad)


def run_cli(*args, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HWKD_CACHE_DIR": str(tmp_path / "cache"),
    }
    out = [f"hydra.run.dir={tmp_path}/run", "paths.log_dir=" + str(tmp_path)]
    return subprocess.run(
        [sys.executable, "train.py", *args, *out],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_one_line_error(proc, pattern):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert re.search(pattern, errors[0]), errors[0]


def test_cli_unknown_override_is_one_line(tmp_path):
    proc = run_cli("model.widht=8", tmp_path=tmp_path)
    assert_one_line_error(
        proc, r"unknown config key 'model\.widht' \(did you mean model\.width\?\)"
    )


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        (
            ["teacher.checkpoint={tmp}/nope.pth"],
            r"^error: teacher\.checkpoint: no such file: .*nope\.pth$",
        ),
        (
            ["data=cifar10", "data.source.root={tmp}/none", "data.source.download=false"],
            r"^error: data\.source\.root: CIFAR-10 not found at .*none/cifar-10-batches-py",
        ),
        (  # raised inside Hydra's instantiate: the reason must reach the line
            ["model.quant.bits=1"],
            r"^error: model\.quant\.bits must be between 2 and 16 or null, got 1$",
        ),
        (["data.augment.step=0"], r"^error: data\.augment: need pad >= 0 and step >= 1, .*step=0"),
    ],
    ids=["bad_checkpoint", "missing_data", "quant_bits", "augment_step"],
)
def test_cli_user_mistakes_are_one_line(tmp_path, overrides, pattern):
    args = ["experiment=demo", FDR, *(o.format(tmp=tmp_path) for o in overrides)]
    assert_one_line_error(run_cli(*args, tmp_path=tmp_path), pattern)


def test_wandb_goes_offline_without_credentials(monkeypatch, tmp_path):
    from omegaconf import OmegaConf

    from models.wandb_mode import needs_offline

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    assert needs_offline(OmegaConf.create({"offline": False, "mode": None}))
    assert not needs_offline(OmegaConf.create({"offline": False, "mode": "disabled"}))
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert not needs_offline(OmegaConf.create({"offline": False, "mode": None}))


def test_kd_settings_reach_every_training_step(small_cfg, train_module, monkeypatch):
    # kd_loss is tested by hand (test_kd_loss.py); this checks the config reaches it: T, α and
    # the label smoothing ε of the composed config, in every step of a real train() call
    import models.distill

    seen = []

    def recording_kd_loss(*args, **kwargs):
        seen.append((args[3], args[4], kwargs["label_smoothing"]))
        return models.losses.kd_loss(*args, **kwargs)

    monkeypatch.setattr(models.distill, "kd_loss", recording_kd_loss)
    train_module.train(small_cfg(FDR, "kd.T=3", "kd.alpha=0.6", "kd.label_smoothing=0.2"))
    assert seen and set(seen) == {(3.0, 0.6, 0.2)}
