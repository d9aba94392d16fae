"""One generic CIFAR ResNet (He et al. 2016) and the registry of its named depths.

    stem 3x3 conv (w0) -> stage 1 (stride 1) -> stage 2 (stride 2) -> stage 3 (stride 2)
    -> global average pool -> linear head

A student is fixed by blocks per stage, stage widths, block type and shortcut type; `build_student`
turns the `model` config group into one, e.g. `model.depth=32`, `model.blocks=[5,5,5]`,
`model.width=16` (stage widths w, 2w, 4w), `model.widths=[16,32,64]`, `model.block=bottleneck`,
`model.shortcut=B`, `model.quant.bits=8`. The default is He et al.'s CIFAR ResNet: option-A
(parameter-free) shortcuts, so a shortcut costs the accelerator no convolution (models/blocks.py).
"""

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from models.blocks import BLOCKS, SHORTCUTS
from models.errors import UserError
from models.quant import QuantSpec, quantize_model
from models.resnet_layers import RESNETS  # the registry lives with its PyTorch-free layer shapes


class CifarResNet(nn.Module):
    def __init__(
        self,
        blocks: Sequence[int] = (3, 3, 3),
        widths: Sequence[int] = (16, 32, 64),
        block: str = "basic",
        num_classes: int = 10,
        shortcut: str = "A",
    ):
        super().__init__()
        block_cls = BLOCKS[block]
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        stages, c_in = [], widths[0]
        for i, (n, width) in enumerate(zip(blocks, widths, strict=True)):
            layers = []
            for j in range(n):
                stride = 2 if i > 0 and j == 0 else 1
                layers.append(block_cls(c_in, width, stride, shortcut))
                c_in = width * block_cls.expansion
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c_in, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 3, 32, 32) normalised
        x = self.stem(x)  # (B, w0, 32, 32)
        x = self.stages(x)  # (B, C, 8, 8)
        x = self.pool(x).flatten(1)  # (B, C)
        return self.head(x)  # (B, num_classes)


def blocks_for_depth(depth: int, block: str) -> tuple[int, int, int]:
    """ResNet-(6n+2) for basic/separable blocks (2 layers each), ResNet-(9n+2) for bottlenecks."""
    layers_per_block = 9 if block == "bottleneck" else 6
    n, rest = divmod(depth - 2, layers_per_block)
    if n < 1 or rest:
        form = "9n+2 (11, 20, 29, ...)" if block == "bottleneck" else "6n+2 (8, 14, 20, 32, ...)"
        raise UserError(f"model.depth={depth} is not a {block} ResNet depth: use {form}")
    return (n, n, n)


def build_student(
    arch: str = "resnet20",
    depth: int | None = None,
    blocks: Sequence[int] | None = None,
    width: int = 16,
    widths: Sequence[int] | None = None,
    block: str = "basic",
    num_classes: int = 10,
    quant: Mapping | QuantSpec | None = None,
    shortcut: str = "A",
) -> CifarResNet:
    """The student of the `model` config group. Precedence: blocks > depth > arch."""
    if block not in BLOCKS:
        raise UserError(f"model.block={block!r} is unknown; choose one of {sorted(BLOCKS)}")
    if str(shortcut).upper() not in SHORTCUTS:
        raise UserError(
            f"model.shortcut={shortcut!r} is unknown; choose A (parameter-free) or B (1x1 projection)"
        )
    if blocks is not None:
        blocks = tuple(int(b) for b in blocks)
        if depth is not None and blocks != blocks_for_depth(depth, block):
            raise UserError(f"model.blocks={list(blocks)} contradicts model.depth={depth}")
    elif depth is not None:
        blocks = blocks_for_depth(int(depth), block)
    elif arch in RESNETS:
        blocks = RESNETS[arch]
    else:
        raise UserError(f"model.arch={arch!r} is unknown; choose one of {list(RESNETS)}")
    widths = (
        tuple(int(w) for w in widths) if widths else tuple(width * 2**i for i in range(len(blocks)))
    )
    if len(widths) != len(blocks) or min(blocks) < 1 or min(widths) < 1:
        raise UserError(
            f"model.widths={list(widths)} and model.blocks={list(blocks)} need one positive entry per stage"
        )
    model = CifarResNet(blocks, widths, block, num_classes, str(shortcut).upper())
    spec = quant if isinstance(quant, QuantSpec) else QuantSpec(**dict(quant or {}))
    return quantize_model(model, spec)


def legacy_student_config(config: Mapping) -> dict:
    """A saved `build_student` config as written today: configs saved before shortcut types
    existed have no ``shortcut`` key, and every block of theirs projected (option B)."""
    config = dict(config)
    target = str(config.get("_target_", "models.resnet.build_student"))
    if "_target_" in config and target.endswith("build_student") and "shortcut" not in config:
        config["shortcut"] = "B"
    return config
