"""Discrete augmentation views and the image inputs of the networks.

Random crop with zero padding p and horizontal flip is a discrete augmentation: a view is one of
(2 flips) x (2p+1)^2 crop offsets — 162 views for p=4. Naming each view by an integer lets the
teacher's logits for every (image, view) be computed once and looked up later (logit_cache), while
the student and the teacher still see exactly the same pixels.

Everything here works on whole batches on the training device: no per-image Python.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.errors import UserError


@dataclass(frozen=True)
class ViewGrid:
    """Crop offsets 0, step, ..., 2*pad of the zero-padded image, each optionally flipped."""

    pad: int = 4
    step: int = 1
    flip: bool = True

    def __post_init__(self):
        if self.pad < 0 or self.step < 1:
            raise UserError(
                f"data.augment: need pad >= 0 and step >= 1, got pad={self.pad}, step={self.step}"
            )

    @property
    def offsets(self) -> tuple[int, ...]:
        return tuple(range(0, 2 * self.pad + 1, self.step))

    @property
    def n_views(self) -> int:
        return (2 if self.flip else 1) * len(self.offsets) ** 2

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n uniformly random view ids (CPU, int64)."""
        return torch.randint(self.n_views, (n,), generator=generator)

    def decode(self, view: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """view (B,) -> flip (B,) bool, crop row offset (B,), crop column offset (B,) in pixels."""
        n = len(self.offsets)
        flip, rest = view // (n * n), view % (n * n)
        return flip.bool(), (rest // n) * self.step, (rest % n) * self.step


def render_views(images: torch.Tensor, views: torch.Tensor, grid: ViewGrid) -> torch.Tensor:
    """Crop-and-flip each image to its view: (B, C, H, W) uint8, (B,) ids -> (B, C, H, W) uint8."""
    b, c, h, w = images.shape
    flip, dy, dx = grid.decode(views.to(images.device))
    padded = F.pad(images, (grid.pad,) * 4)  # (B, C, H+2p, W+2p), zeros outside the image
    rows = dy[:, None] + torch.arange(h, device=images.device)  # (B, H)
    cols = dx[:, None] + torch.arange(w, device=images.device)  # (B, W)
    cols = torch.where(flip[:, None], cols.flip(1), cols)  # mirrored crop = crop then flip
    bi = torch.arange(b, device=images.device)[:, None, None, None]
    ci = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[bi, ci, rows[:, None, :, None], cols[:, None, None, :]]


class ImageInput(nn.Module):
    """uint8 images (B, 3, H, W) -> the float input a network expects: resized, normalised."""

    mean: torch.Tensor  # buffers (1, 3, 1, 1), registered in __init__
    std: torch.Tensor

    def __init__(self, size: int, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        self.size = int(size)
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float().div_(255)  # (B, 3, H, W) in [0, 1]
        if x.shape[-1] != self.size or x.shape[-2] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return (x - self.mean) / self.std  # (B, 3, size, size)

    def spec(self) -> dict:
        """Plain description, saved in checkpoints and hashed into the logit-cache key."""
        return {
            "size": self.size,
            "mean": self.mean.flatten().tolist(),
            "std": self.std.flatten().tolist(),
        }

    def extra_repr(self) -> str:
        return f"size={self.size}"


class ImageClassifier(nn.Module):
    """A network together with its input transform: uint8 views in, logits (B, classes) out."""

    def __init__(self, net: nn.Module, image_input: ImageInput):
        super().__init__()
        self.net = net
        self.input = image_input

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(self.input(images))
