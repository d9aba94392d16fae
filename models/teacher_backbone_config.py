"""The DINOv2 backbone config a checkpoint was trained with, read from its tensor shapes.

A checkpoint of any size loads without spelling out its config: hidden size, depth, patch size,
image size (its position-embedding grid), MLP ratio and input channels come from the weights.
The number of attention heads changes no shape, so it cannot be read: it is taken as hidden/64
(every published DINOv2: ViT-S/14 384/6, B 768/12, L 1024/16, g 1536/24) unless the config gives
it. Values the config gives win, and must agree with the checkpoint.
"""

import math
from collections.abc import Mapping

import torch

from models.errors import UserError

HEAD_DIM = 64  # every published DINOv2


def backbone_config_from(state: Mapping[str, torch.Tensor]) -> dict[str, int | float]:
    """Dinov2Config fields that the shapes of {backbone.*, ...} (this project's layout) fix."""
    patch = state["backbone.embeddings.patch_embeddings.projection.weight"]  # (D, C, p, p)
    positions = state["backbone.embeddings.position_embeddings"].shape[1] - 1  # grid^2 (+ cls)
    fc1 = state["backbone.encoder.layer.0.mlp.fc1.weight"]  # (mlp_ratio * D, D)
    hidden, channels, patch_size = patch.shape[0], patch.shape[1], patch.shape[2]
    layers = {int(k.split(".")[3]) for k in state if k.startswith("backbone.encoder.layer.")}
    return {
        "hidden_size": hidden,
        "num_hidden_layers": max(layers) + 1,
        "patch_size": patch_size,
        "image_size": math.isqrt(positions) * patch_size,
        "mlp_ratio": fc1.shape[0] // hidden
        if fc1.shape[0] % hidden == 0
        else fc1.shape[0] / hidden,
        "num_channels": channels,
    }


def resolve_backbone_config(
    given: Mapping, state: Mapping[str, torch.Tensor], field: str, source: str
) -> dict:
    """`given` (the teacher.backbone config) completed from the checkpoint `state`; a given value
    that contradicts the checkpoint is one error naming `field`.<name> and `source`."""
    read = backbone_config_from(state)
    if isinstance(read["mlp_ratio"], float):  # transformers' Dinov2Config takes an integer ratio
        raise UserError(
            f"{source}: its MLP width is {read['mlp_ratio']:g} x its hidden size "
            f"{read['hidden_size']}; a DINOv2 teacher needs a whole multiple"
        )
    config = dict(given)
    for name, value in read.items():
        if config.get(name) is None:
            config[name] = value
        elif not _agrees(name, config, value):
            raise UserError(
                f"{field}.{name}={config[name]} but {source} has {name} {_shown(value)}"
                f"{_grid(read) if name == 'image_size' else ''}: set {field}.{name}="
                f"{_shown(value)}, or null to take the checkpoint's"
            )
    hidden = config["hidden_size"]
    if config.get("num_attention_heads") is None:
        if hidden % HEAD_DIM:
            raise UserError(
                f"{field}.num_attention_heads: not stored in {source}'s weights and its hidden size "
                f"{hidden} is no multiple of {HEAD_DIM} (DINOv2's head size): set it"
            )
        config["num_attention_heads"] = hidden // HEAD_DIM
    if hidden % config["num_attention_heads"]:
        raise UserError(
            f"{field}.num_attention_heads={config['num_attention_heads']} does not divide the "
            f"hidden size {hidden} of {source}"
        )
    return config


def _agrees(name: str, config: Mapping, value: int | float) -> bool:
    if name == "image_size":  # same position grid: 518 and 520 px are both 37 patches of 14
        return int(config[name]) // int(config["patch_size"]) == value // config["patch_size"]
    return math.isclose(float(config[name]), float(value))


def _shown(value: int | float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _grid(read: Mapping) -> str:
    grid = read["image_size"] // read["patch_size"]
    return f" (a {grid}x{grid} grid of position embeddings, {read['patch_size']} px patches)"
