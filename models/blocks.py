"""Residual blocks for CIFAR ResNets. Each maps (B, in, H, W) -> (B, out, H/stride, W/stride) with
out = width * expansion. Where the shape changes, the shortcut is one of He et al.'s (2016) two:

    A  parameter-free: the identity, subsampled by the stride, its new channels zeros
       (what He et al. use for their CIFAR ResNets: ResNet-32 has 0.46 M parameters)
    B  a 1x1 convolution (stride 2 where the block subsamples) + BatchNorm: the projection
"""

import torch
import torch.nn.functional as F
from torch import nn

from models.errors import UserError

SHORTCUTS = ("A", "B")


def conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """Conv (no bias: BatchNorm follows) + BatchNorm."""
    conv = nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2, groups=groups, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out))


class PaddedIdentity(nn.Module):
    """Option A: x subsampled by `stride`, with `extra` zero channels appended (no parameters)."""

    def __init__(self, stride: int, extra: int):
        super().__init__()
        self.stride, self.extra = stride, extra

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, C+extra, H/s, W/s)
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra)) if self.extra else x

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra}"


def shortcut(c_in: int, c_out: int, stride: int, kind: str) -> nn.Module:
    """The identity where the shape stays; otherwise option `kind` (module docstring)."""
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    if kind == "B":
        return conv_bn(c_in, c_out, 1, stride)
    if c_out < c_in:
        raise UserError(
            f"model.shortcut=A pads channels and cannot go from {c_in} to {c_out}: "
            "use stage widths that do not shrink, or model.shortcut=B"
        )
    return PaddedIdentity(stride, c_out - c_in)


class BasicBlock(nn.Module):
    """3x3 -> 3x3 (He et al. 2016, the CIFAR ResNet-20/32/56 block)."""

    expansion = 1

    def __init__(self, c_in: int, width: int, stride: int, shortcut_kind: str = "A"):
        super().__init__()
        self.conv1 = conv_bn(c_in, width, 3, stride)
        self.conv2 = conv_bn(width, width, 3)
        self.shortcut = shortcut(c_in, width, stride, shortcut_kind)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.conv1(x))
        return self.relu(self.conv2(out) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 -> 1x1 expand (x4), as in the CIFAR ResNet-164 of He et al."""

    expansion = 4

    def __init__(self, c_in: int, width: int, stride: int, shortcut_kind: str = "A"):
        super().__init__()
        c_out = width * self.expansion
        self.conv1 = conv_bn(c_in, width, 1)
        self.conv2 = conv_bn(width, width, 3, stride)
        self.conv3 = conv_bn(width, c_out, 1)
        self.shortcut = shortcut(c_in, c_out, stride, shortcut_kind)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.conv1(x))
        out = self.relu(self.conv2(out))
        return self.relu(self.conv3(out) + self.shortcut(x))


class SeparableBlock(nn.Module):
    """The basic block with each 3x3 conv replaced by depthwise 3x3 + pointwise 1x1 (MobileNet)."""

    expansion = 1

    def __init__(self, c_in: int, width: int, stride: int, shortcut_kind: str = "A"):
        super().__init__()
        self.dw1 = conv_bn(c_in, c_in, 3, stride, groups=c_in)
        self.pw1 = conv_bn(c_in, width, 1)
        self.dw2 = conv_bn(width, width, 3, groups=width)
        self.pw2 = conv_bn(width, width, 1)
        self.shortcut = shortcut(c_in, width, stride, shortcut_kind)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.dw1(x))
        out = self.relu(self.pw1(out))
        out = self.relu(self.dw2(out))
        return self.relu(self.pw2(out) + self.shortcut(x))


BLOCKS: dict[str, type[BasicBlock | Bottleneck | SeparableBlock]] = {
    "basic": BasicBlock,
    "bottleneck": Bottleneck,
    "separable": SeparableBlock,
}
