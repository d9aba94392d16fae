"""Resuming from a checkpoint (ckpt_path): strict for the student, the teacher filled in."""

import pytest
import torch
from test_train_runs import assert_one_line_error, run_cli

from models.errors import UserError

# two batches of one epoch, then a second epoch from the checkpoint
SHORT = ["debug=default", "++trainer.limit_train_batches=2", "++trainer.limit_val_batches=1"]
SHORT += ["++trainer.limit_test_batches=1"]


@pytest.fixture(scope="module")
def quantized_checkpoint(tmp_path_factory):
    """A 4-bit ResNet-8 checkpoint of a KD run (the online teacher left out of it)."""
    from kd_fixtures import SMALL, compose_config

    import train

    cfg = compose_config(tmp_path_factory.mktemp("first"), [*SMALL, *SHORT, "model.quant.bits=4"])
    path = train.train(cfg).checkpoint_path
    assert not any(
        k.startswith("teacher.") for k in torch.load(path, weights_only=False)["state_dict"]
    )
    return path


def test_resume_loads_the_student_strictly_with_the_current_teacher(
    small_cfg, train_module, quantized_checkpoint
):
    cfg = small_cfg(*SHORT, "model.quant.bits=4", "trainer.max_epochs=2")
    cfg.ckpt_path = quantized_checkpoint
    result = train_module.train(cfg)
    state = torch.load(result.checkpoint_path, weights_only=False)
    assert state["epoch"] == 1 and state["global_step"] == 4  # went on from the first epoch


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        # quant off (the demo's float student): absmax and signed of ResNet-8's 7 convs and head
        ([], r"16 unexpected keys \(e\.g\. model\.net\..*input_quantizer\.absmax\)"),
        (["model=resnet20", "model.quant.bits=4"], r"keys missing \(e\.g\. model\.net\.stages\."),
    ],
    ids=["quantization_off", "deeper_model"],
)
def test_resume_into_a_different_student_is_one_clear_error(
    small_cfg, train_module, quantized_checkpoint, overrides, pattern
):
    cfg = small_cfg(*SHORT, *overrides)
    cfg.ckpt_path = quantized_checkpoint
    with pytest.raises(
        UserError, match=r"^ckpt_path: .* does not fit this run's model .*" + pattern
    ):
        train_module.train(cfg)


def test_unreadable_resume_checkpoints_are_one_clear_error(small_cfg, train_module, tmp_path):
    cfg = small_cfg(*SHORT)
    cfg.ckpt_path = str(tmp_path / "missing.ckpt")
    with pytest.raises(UserError, match=r"^ckpt_path: no such file: .*missing\.ckpt$"):
        train_module.train(cfg)
    (tmp_path / "junk.ckpt").write_bytes(b"junk")
    cfg.ckpt_path = str(tmp_path / "junk.ckpt")
    with pytest.raises(UserError, match=r"^ckpt_path: .*junk\.ckpt is not a readable torch"):
        train_module.train(cfg)


def test_cli_resume_from_a_missing_checkpoint_is_one_line(tmp_path):
    proc = run_cli(
        "experiment=demo", "debug=fdr", f"ckpt_path={tmp_path}/nope.ckpt", tmp_path=tmp_path
    )
    assert_one_line_error(proc, r"^error: ckpt_path: no such file: .*nope\.ckpt$")
