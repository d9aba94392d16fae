"""Teachers: a DINOv2 ViT with a linear head, or any saved network — always frozen when distilling.

`dinov2_teacher` builds transformers' `Dinov2Model` + `nn.Linear` and loads a classifier saved as
{backbone.*, classifier.*} (the format of the course's `dino_small_cifar10.pth`, and what
`python train.py task=teacher` writes), as transformers' Dinov2ForImageClassification, as torch.hub's
facebookresearch/dinov2 or as timm's vit_*_patch14_dinov2 (`models.teacher_layouts`), with the
backbone's shape read from the checkpoint (`models.teacher_backbone_config`). `checkpoint_teacher` loads a `torch.save`d module or a
Lightning checkpoint written by this project. `FrozenTeacher` keeps a teacher in eval mode with no
gradients, whatever `.train()` calls reach it, so BatchNorm statistics and dropout never change.
"""

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from models.data.views import ImageClassifier, ImageInput
from models.errors import UserError
from models.teacher_backbone_config import resolve_backbone_config
from models.teacher_layouts import POOLING_WIDTHS, to_project_layout, unwrap_state_dict

if TYPE_CHECKING:  # transformers is slow to import; the functions below import it when called
    from transformers import Dinov2Model

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Dinov2Classifier(nn.Module):
    """DINOv2 backbone + linear head: (B, 3, S, S) normalised -> (B, classes).

    pooling "cls" feeds the class token (the backbone's pooled output) to the head; "cls+mean"
    concatenates it with the mean patch token, like transformers' Dinov2ForImageClassification
    and torch.hub's dinov2_vits14_lc(layers=1); "cls4+mean" concatenates the (normed) class tokens
    of the last 4 blocks and the mean patch token, like dinov2_vits14_lc(layers=4).
    """

    def __init__(self, backbone: "Dinov2Model", num_classes: int, pooling: str = "cls"):
        super().__init__()
        if pooling not in POOLING_WIDTHS:
            raise UserError(f"teacher.pooling={pooling!r}: use one of {', '.join(POOLING_WIDTHS)}")
        hidden = backbone.config.hidden_size
        self.backbone = backbone
        self.classifier = nn.Linear(hidden * POOLING_WIDTHS[pooling], num_classes)
        self.pooling = pooling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        every_block = self.pooling == "cls4+mean"
        out = self.backbone(pixel_values=x, output_hidden_states=every_block)
        tokens = out.last_hidden_state  # (B, 1 + patches, D), normed
        features = [tokens[:, 0]]  # (B, D) class token = pooler_output
        if every_block:  # hidden_states: embeddings, then each block's output before the norm
            norm = self.backbone.layernorm
            features = [norm(h[:, 0]) for h in out.hidden_states[-4:]]
        if self.pooling != "cls":
            features.append(tokens[:, 1:].mean(dim=1))
        return self.classifier(torch.cat(features, dim=-1))


class FrozenTeacher(nn.Module):
    """A teacher that never trains: eval mode, no gradients, logits as float32 constants."""

    def __init__(self, teacher: ImageClassifier):
        super().__init__()
        self.teacher = teacher.requires_grad_(False)
        self.train(False)

    def train(self, mode: bool = True) -> "FrozenTeacher":
        return super().train(False)  # Lightning calls model.train() every epoch; stay in eval

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:  # (B, 3, H, W) uint8 -> (B, C)
        return self.teacher(images).float()


def read_checkpoint(path: str | Path, field: str = "teacher.checkpoint"):
    """torch.load with one-line errors naming the config field and the file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"{field}: no such file: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # pickle, zip and torch errors all mean "not a checkpoint"
        raise UserError(f"{field}: {path} is not a readable torch checkpoint ({e})") from e


SAVED_WEIGHTS = ("model.safetensors", "pytorch_model.bin")  # what save_pretrained writes


def read_weights(path: str | Path, field: str = "teacher.checkpoint"):
    """A torch checkpoint, a .safetensors file, or a save_pretrained directory's weights."""
    path = Path(path).expanduser()
    if path.is_dir():
        found = [path / name for name in SAVED_WEIGHTS if (path / name).is_file()]
        if not found:
            raise UserError(f"{field}: {path} is a directory without {' or '.join(SAVED_WEIGHTS)}")
        path = found[0]
    if path.suffix != ".safetensors" or not path.is_file():
        return read_checkpoint(path, field)
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(path)
    except (SafetensorError, OSError) as e:
        raise UserError(f"{field}: {path} is not a readable safetensors file ({e})") from e


def read_teacher_state(path: str | Path, num_classes: int, field: str = "teacher.checkpoint"):
    """The checkpoint at `path` (see `read_weights`), in any layout `models.teacher_layouts`
    reads, as this project's {backbone.*, classifier.*}; its head must have `num_classes` outputs."""
    state = unwrap_state_dict(read_weights(path, field))
    if state is None:
        raise UserError(f"{field}: {path} holds no state dict")
    converted = to_project_layout(state, f"{field}: {path}")
    classes = converted.state["classifier.weight"].shape[0]
    if classes != num_classes:
        raise UserError(
            f"teacher.num_classes={num_classes} but the head in {field}: {path} has {classes} "
            "outputs (teacher.num_classes follows data.num_classes)"
        )
    log.info(
        "%s: %s read as the %s layout (%s head)", field, path, converted.layout, converted.pooling
    )
    return converted


def _load_pretrained_backbone(name: str) -> "Dinov2Model":
    from transformers import Dinov2Model

    try:
        return Dinov2Model.from_pretrained(name)
    except Exception as e:  # offline, unknown repo, corrupt download: all the user's to fix
        raise UserError(
            f"teacher.pretrained: could not load DINOv2 weights {name!r} ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}); go online once, or set teacher.pretrained "
            "to a local directory holding config.json and model.safetensors"
        ) from e


def dinov2_teacher(
    backbone: Mapping,
    num_classes: int = 10,
    checkpoint: str | None = None,
    pretrained: str | None = None,
    load_pretrained: bool = False,
    pooling: str = "cls",
    image_size: int = 224,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> ImageClassifier:
    """DINOv2 + head from the `teacher` config group.

    Weights come from `checkpoint` (any layout of `models.teacher_layouts`; its shapes complete
    `backbone`, and its head sets `pooling`) when given; otherwise, when
    `load_pretrained` (task=teacher), the backbone from `pretrained` (a hub id or a local
    directory) and a fresh head; otherwise random weights (tests and demos).
    """
    from transformers import Dinov2Config, Dinov2Model

    state = None
    config = dict(backbone)
    if checkpoint is not None:
        converted = read_teacher_state(checkpoint, num_classes)
        state, pooling = converted.state, converted.pooling  # the head says how it pooled
        config = resolve_backbone_config(backbone, state, "teacher.backbone", checkpoint)
    if state is None and load_pretrained and pretrained:
        net_backbone = _load_pretrained_backbone(pretrained)
    else:
        net_backbone = Dinov2Model(Dinov2Config(**config))
    net = Dinov2Classifier(net_backbone, num_classes, pooling)
    if state is not None:
        _load_strict(net, state, checkpoint)
    elif not load_pretrained:
        log.warning("teacher.checkpoint is null: the DINOv2 teacher has random weights")
    return ImageClassifier(net, ImageInput(image_size, mean, std))


def _load_strict(
    net: nn.Module,
    state: Mapping[str, torch.Tensor],
    path,
    field: str = "teacher.checkpoint",
    config: str = "teacher.backbone",
) -> None:
    details = state_dict_mismatch(net.state_dict(), state, f"{config} wants")
    if details:
        raise UserError(f"{field}: {path} does not fit {config}: {details}")
    net.load_state_dict(state)


def state_dict_mismatch(
    own: Mapping[str, torch.Tensor], state: Mapping[str, torch.Tensor], wants: str
) -> str:
    """'' when `state` has exactly the keys and shapes of `own`; else the first differences."""
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = [k for k in own if k in state and own[k].shape != state[k].shape]
    details = []
    if wrong:
        k = wrong[0]
        details.append(f"{k} is {tuple(state[k].shape)}, {wants} {tuple(own[k].shape)}")
    if missing:
        details.append(f"{len(missing)} keys missing (e.g. {missing[0]})")
    if unexpected:
        details.append(f"{len(unexpected)} unexpected keys (e.g. {unexpected[0]})")
    return "; ".join(details)


def checkpoint_teacher(
    path: str,
    image_size: int = 32,
    mean: Sequence[float] = (0.4914, 0.4822, 0.4465),
    std: Sequence[float] = (0.2470, 0.2435, 0.2616),
) -> ImageClassifier:
    """Any network saved whole (torch.save(model)) or a Lightning checkpoint of this project.

    A Lightning checkpoint carries its network config and input transform; a whole module gets
    the input transform from this config (default: CIFAR normalisation at 32 px).
    """
    obj = read_checkpoint(path, "teacher.path")
    if isinstance(obj, ImageClassifier):
        return obj
    if isinstance(obj, nn.Module):
        return ImageClassifier(obj, ImageInput(image_size, mean, std))
    hparams = obj.get("hyper_parameters", {}) if isinstance(obj, Mapping) else {}
    if isinstance(hparams, Mapping) and "net_config" in hparams and not hparams["net_config"]:
        # task=teacher runs save net_config=None: their network is a DINOv2, built from config
        raise UserError(
            f"teacher.path: {path} is a checkpoint of a task=teacher run; distil from the "
            "teacher.pth that run wrote: teacher=dinov2_small teacher.checkpoint=<run dir>/teacher.pth"
        )
    if not (isinstance(hparams, Mapping) and hparams.get("net_config")):
        raise UserError(
            f"teacher.path: {path} holds neither a whole module nor a checkpoint of this project; "
            "save the module with torch.save(model), or use teacher=dinov2_small for a "
            "{backbone.*, classifier.*} state dict"
        )
    from hydra.utils import instantiate

    from models.resnet import legacy_student_config

    net = instantiate(legacy_student_config(hparams["net_config"]))
    state = {
        k[len("model.net.") :]: v
        for k, v in (obj.get("state_dict") or {}).items()
        if k.startswith("model.net.")
    }
    _load_strict(net, state, path, field="teacher.path", config="its own net_config")
    return ImageClassifier(net, ImageInput(**hparams["input_spec"]))
