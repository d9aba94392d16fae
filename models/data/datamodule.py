"""The Lightning data module: the whole data set as one uint8 tensor on the training device, cut
into shuffled batches there, each training image drawn in a random discrete view (views.py).

A batch is a `Batch` of uint8 images (B, 3, H, W), labels (B,), the images' rows in the source's
train set (B,) and their view ids (B,) — or None for validation/test, which see the plain image.
"""

import logging
from collections.abc import Callable
from typing import NamedTuple

import lightning as L
import torch

from models.data.sources import ImageSet
from models.data.views import ImageInput, ViewGrid, render_views
from models.errors import UserError

log = logging.getLogger(__name__)


class Batch(NamedTuple):
    image: torch.Tensor  # (B, 3, H, W) uint8, already in its view
    label: torch.Tensor  # (B,) int64
    index: torch.Tensor  # type: ignore[assignment]  # shadows tuple.index; (B,) int64, row in the source's train set (logit-cache key)
    view: torch.Tensor | None  # (B,) int64 view id, None when not augmented


class DeviceBatches:
    """Iterates a data set that lives on the training device in (optionally augmented) batches."""

    def __init__(
        self,
        images: torch.Tensor,  # (N, 3, H, W) uint8, on the training device
        labels: torch.Tensor,  # (N,)
        index: torch.Tensor,  # (N,)
        batch_size: int,
        grid: ViewGrid | None = None,  # None: no augmentation, no shuffling
        seed: int = 0,
        drop_last: bool = False,
        epoch: Callable[[], int] | None = None,  # the trainer's epoch, so a resumed run goes on
    ):
        self.images, self.labels, self.index = images, labels, index
        self.batch_size, self.grid, self.seed = batch_size, grid, seed
        self.drop_last = drop_last and len(labels) > batch_size
        self.epoch_source = epoch
        self.epochs_seen = 0

    def __len__(self) -> int:
        n, b = len(self.labels), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n, device, grid = len(self.labels), self.images.device, self.grid
        order, views = torch.arange(n, device=device), None
        if grid is not None:
            epoch = self.epoch_source() if self.epoch_source else self.epochs_seen
            self.epochs_seen += 1
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)  # order+views per epoch
            order = torch.randperm(n, generator=g).to(device, non_blocking=True)
            views = grid.sample(n, g).to(device, non_blocking=True)
        for i in range(len(self)):
            rows = order[i * self.batch_size : (i + 1) * self.batch_size]  # (B,)
            image = self.images[rows]  # (B, 3, H, W) uint8
            view = None
            if grid is not None and views is not None:
                view = views[i * self.batch_size : (i + 1) * self.batch_size]
                image = render_views(image, view, grid)
            yield Batch(image, self.labels[rows], self.index[rows], view)


def split_indices(n: int, val_size: int | float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded train/validation split of range(n); val_size is a count or a fraction."""
    n_val = round(val_size * n) if isinstance(val_size, float) and val_size < 1 else int(val_size)
    if not 0 <= n_val < n:
        raise UserError(f"data.val_size={val_size} leaves no training images out of {n}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[n_val:].sort().values, perm[:n_val].sort().values


class ImageDataModule(L.LightningDataModule):
    def __init__(
        self,
        source,  # anything with .load() -> (train ImageSet, test ImageSet); see sources.py
        num_classes: int = 10,
        batch_size: int = 128,
        eval_batch_size: int = 1000,
        val_size: int | float = 5000,
        train_subset: int | None = None,
        augment: dict | None = None,  # ViewGrid fields: pad, step, flip
        mean: tuple[float, ...] = (0.4914, 0.4822, 0.4465),
        std: tuple[float, ...] = (0.2470, 0.2435, 0.2616),
        image_size: int = 32,
        seed: int = 0,
    ):
        super().__init__()
        self.source, self.num_classes = source, num_classes
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.val_size, self.train_subset, self.seed = val_size, train_subset, seed
        self.grid = ViewGrid(**dict(augment or {}))
        self.mean, self.std, self.image_size = tuple(mean), tuple(std), image_size
        self.train_set: ImageSet | None = None  # the source's whole train set, on the device
        self.test_set: ImageSet | None = None
        self.train_rows: torch.Tensor | None = None  # rows of train_set, on the device
        self.val_rows: torch.Tensor | None = None
        self._loaded: tuple[ImageSet, ImageSet] | None = None

    def student_input(self) -> ImageInput:
        """How the student sees a uint8 view: scaled to [0, 1] and normalised per channel."""
        return ImageInput(self.image_size, self.mean, self.std)

    def load(self) -> tuple[ImageSet, ImageSet]:
        """Read the data set (on the CPU, once); `train.py` calls it early so bad paths fail fast."""
        if self._loaded is None:
            train, test = self.source.load()
            if len(train.classes) != self.num_classes:
                raise UserError(
                    f"data.num_classes={self.num_classes} but the data set has {len(train.classes)} classes"
                )
            self._loaded = (train, test)
        return self._loaded

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        train, test = self.load()
        device = (
            self.trainer.strategy.root_device if self.trainer is not None else torch.device("cpu")
        )
        self.train_set = ImageSet(
            train.images.to(device), train.labels.to(device), train.classes, train.name
        )
        self.test_set = ImageSet(
            test.images.to(device), test.labels.to(device), test.classes, test.name
        )
        train_rows, val_rows = split_indices(len(train), self.val_size, self.seed)
        if self.train_subset is not None:
            train_rows = train_rows[
                torch.randperm(len(train_rows), generator=torch.Generator().manual_seed(self.seed))
            ]
            train_rows = train_rows[: int(self.train_subset)].sort().values
        self.train_rows, self.val_rows = train_rows.to(device), val_rows.to(device)
        log.info(
            "data %s: %d train / %d val / %d test images on %s",
            train.name, len(train_rows), len(val_rows), len(test), device,
        )  # fmt: skip

    def _batches(self, images_set: ImageSet, rows, batch_size, grid=None, drop_last=False):
        trainer = self.trainer
        return DeviceBatches(
            images_set.images[rows],
            images_set.labels[rows],
            rows,
            batch_size,
            grid,
            self.seed,
            drop_last,
            # a new loader (a resumed run, reload_dataloaders_every_n_epochs) goes on with the
            # trainer's epoch instead of replaying epoch 0's order and views
            epoch=(lambda: trainer.current_epoch) if trainer is not None else None,
        )

    def train_dataloader(self) -> DeviceBatches:
        assert self.train_set is not None and self.train_rows is not None, "setup() comes first"
        return self._batches(
            self.train_set, self.train_rows, self.batch_size, self.grid, drop_last=True
        )

    def val_dataloader(self) -> DeviceBatches:
        assert self.train_set is not None and self.val_rows is not None, "setup() comes first"
        return self._batches(self.train_set, self.val_rows, self.eval_batch_size)

    def test_dataloader(self) -> DeviceBatches:
        assert self.test_set is not None, "setup() comes first"
        rows = torch.arange(len(self.test_set), device=self.test_set.images.device)
        return self._batches(self.test_set, rows, self.eval_batch_size)
