import lightning as L
import pytest
import torch
from kd_fixtures import TINY
from transformers import Dinov2Config, Dinov2Model

from models.data.datamodule import ImageDataModule
from models.data.sources import Synthetic
from models.data.views import ImageClassifier, ImageInput
from models.distill import DistillationModule
from models.errors import UserError
from models.resnet import build_student
from models.teachers import Dinov2Classifier, FrozenTeacher, checkpoint_teacher, dinov2_teacher

IMAGES = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)


def tiny_teacher(**kwargs):
    return dinov2_teacher(TINY, num_classes=10, image_size=56, **kwargs)


def save_course_format(path, pooling="cls"):
    """A checkpoint in the course's format: {backbone.*, classifier.*}."""
    torch.manual_seed(0)
    net = Dinov2Classifier(Dinov2Model(Dinov2Config(**TINY)), 10, pooling)
    torch.save(net.state_dict(), path)
    return net


@pytest.mark.parametrize("pooling", ["cls", "cls+mean"])
def test_dinov2_loads_backbone_classifier_state_dict(tmp_path, pooling):
    saved = save_course_format(tmp_path / "t.pth", pooling).eval()
    teacher = tiny_teacher(checkpoint=str(tmp_path / "t.pth")).eval()
    assert teacher.net.pooling == pooling  # read from the head's input width
    with torch.no_grad():
        assert torch.allclose(teacher(IMAGES), saved(teacher.input(IMAGES)))


def test_dinov2_accepts_wrapped_and_prefixed_state_dicts(tmp_path):
    saved = save_course_format(tmp_path / "t.pth")
    wrapped = {"state_dict": {f"module.{k}": v for k, v in saved.state_dict().items()}}
    torch.save(wrapped, tmp_path / "w.pth")
    teacher = tiny_teacher(checkpoint=str(tmp_path / "w.pth"))
    assert torch.equal(teacher.net.classifier.weight, saved.classifier.weight)


def test_dinov2_pooled_output_is_the_class_token():
    teacher = tiny_teacher().eval()
    x = teacher.input(IMAGES)
    with torch.no_grad():
        pooled = teacher.net.backbone(pixel_values=x).pooler_output
        assert torch.allclose(teacher.net(x), teacher.net.classifier(pooled))


def test_bad_checkpoint_paths_give_one_clear_message(tmp_path):
    with pytest.raises(UserError, match=r"^teacher\.checkpoint: no such file: .*missing\.pth$"):
        tiny_teacher(checkpoint=str(tmp_path / "missing.pth"))
    (tmp_path / "junk.pth").write_bytes(b"junk")
    with pytest.raises(
        UserError, match=r"teacher\.checkpoint: .*junk\.pth is not a readable torch checkpoint"
    ):
        tiny_teacher(checkpoint=str(tmp_path / "junk.pth"))
    with pytest.raises(UserError, match=r"^teacher\.path: no such file"):
        checkpoint_teacher(str(tmp_path / "missing.ckpt"))


def test_checkpoint_that_does_not_fit_the_config_says_why(tmp_path):
    save_course_format(tmp_path / "t.pth")
    bigger = {**TINY, "hidden_size": 64}
    with pytest.raises(
        UserError,
        match=r"^teacher\.backbone\.hidden_size=64 but .*t\.pth has hidden_size 32: "
        r"set teacher\.backbone\.hidden_size=32, or null",
    ):
        dinov2_teacher(bigger, checkpoint=str(tmp_path / "t.pth"), image_size=56)
    with pytest.raises(
        UserError, match=r"^teacher\.num_classes=7 but the head in .* has 10 outputs"
    ):
        dinov2_teacher(TINY, num_classes=7, checkpoint=str(tmp_path / "t.pth"), image_size=56)


def test_pretrained_weights_that_cannot_load_give_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"teacher\.pretrained: could not load DINOv2 weights"):
        dinov2_teacher(TINY, pretrained=str(tmp_path / "empty"), load_pretrained=True)


def test_checkpoint_teacher_loads_a_whole_module(tmp_path):
    net = build_student("resnet8", width=8).eval()
    torch.save(net, tmp_path / "net.pt")
    teacher = checkpoint_teacher(str(tmp_path / "net.pt")).eval()
    with torch.no_grad():
        assert torch.equal(teacher(IMAGES), net(teacher.input(IMAGES)))
    torch.save(net.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(UserError, match="neither a whole module"):
        checkpoint_teacher(str(tmp_path / "bare.pt"))


def _bn_teacher():
    net = build_student("resnet8", width=8)
    for m in net.modules():  # make the running statistics non-trivial
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
    return ImageClassifier(net, ImageInput(32, (0.5,) * 3, (0.25,) * 3))


@pytest.mark.parametrize("make_teacher", [_bn_teacher, tiny_teacher], ids=["resnet_bn", "dinov2"])
def test_teacher_is_frozen_after_training_steps(make_teacher):
    teacher = make_teacher()
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    student = ImageClassifier(
        build_student("resnet8", width=8), ImageInput(32, (0.5,) * 3, (0.25,) * 3)
    )
    module = DistillationModule(
        student, torch.optim.SGD, teacher=teacher, alpha=0.9, cache="off", calibration_batches=0
    )
    dm = ImageDataModule(Synthetic(n_train=64, n_test=16), batch_size=16, val_size=16)
    trainer = L.Trainer(
        fast_dev_run=2, accelerator="cpu", logger=False, enable_progress_bar=False,
        enable_model_summary=False,
    )  # fmt: skip
    student_before = student.net.head.weight.clone()
    trainer.fit(module, datamodule=dm)
    assert not torch.equal(student.net.head.weight, student_before)  # the student did train
    assert isinstance(module.teacher, FrozenTeacher)
    assert not any(m.training for m in module.teacher.modules())
    assert not any(p.requires_grad for p in module.teacher.parameters())
    for k, v in module.teacher.teacher.state_dict().items():  # weights and BN statistics
        assert torch.equal(v, before[k]), k


def _lightning_checkpoint(path, net_config, net):
    """What DistillationModule's checkpoints hold, written by hand."""
    state = {f"model.net.{k}": v for k, v in net.state_dict().items()}
    input_spec = {"size": 32, "mean": [0.5] * 3, "std": [0.25] * 3}
    hparams = {"net_config": net_config, "input_spec": input_spec}
    torch.save({"state_dict": state, "hyper_parameters": hparams}, path)


STUDENT8 = {
    "_target_": "models.resnet.build_student",
    "arch": "resnet8",
    "width": 8,
    "shortcut": "A",
}


def test_a_checkpoint_saved_before_shortcut_types_loads_as_the_projections_it_has(tmp_path):
    """Configs saved before `model.shortcut` existed have no such key: their blocks projected."""
    legacy = {k: v for k, v in STUDENT8.items() if k != "shortcut"}
    net = build_student("resnet8", width=8, shortcut="B").eval()
    _lightning_checkpoint(tmp_path / "old.ckpt", legacy, net)
    teacher = checkpoint_teacher(str(tmp_path / "old.ckpt")).eval()
    with torch.no_grad():
        assert torch.equal(teacher(IMAGES), net(teacher.input(IMAGES)))


def test_checkpoint_teacher_loads_a_student_checkpoint_strictly(tmp_path):
    net = build_student("resnet8", width=8).eval()
    _lightning_checkpoint(tmp_path / "s.ckpt", STUDENT8, net)
    teacher = checkpoint_teacher(str(tmp_path / "s.ckpt")).eval()
    with torch.no_grad():
        assert torch.equal(teacher(IMAGES), net(teacher.input(IMAGES)))
    wider = build_student("resnet8", width=16)  # weights that do not fit the saved net_config
    _lightning_checkpoint(tmp_path / "w.ckpt", STUDENT8, wider)
    with pytest.raises(
        UserError,
        match=r"^teacher\.path: .*w\.ckpt does not fit its own net_config: .* is \(16, 3, 3, 3\)",
    ):
        checkpoint_teacher(str(tmp_path / "w.ckpt"))


def test_checkpoint_teacher_points_a_teacher_run_to_its_teacher_pth(tmp_path):
    # task=teacher runs save net_config=None (train.py): their .ckpt is not a checkpoint teacher
    _lightning_checkpoint(
        tmp_path / "t.ckpt", None, Dinov2Classifier(Dinov2Model(Dinov2Config(**TINY)), 10)
    )
    with pytest.raises(
        UserError,
        match=r"task=teacher run; .*teacher=dinov2_small teacher\.checkpoint=.*teacher\.pth",
    ):
        checkpoint_teacher(str(tmp_path / "t.ckpt"))
