"""Whole data sets as uint8 tensors: torchvision CIFAR-10, image folders (a directory or a .tar/.tar.gz
archive laid out train/<class>/*, test/<class>/*), and a deterministic synthetic set.

A source is a small frozen value (what to load, from where); `load()` returns the train and test
`ImageSet`s. Decoded image folders are kept in the cache directory as .npz so that later runs (every
sweep trial) skip JPEG decoding.
"""

import hashlib
import io
import logging
import tarfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

import numpy as np
import torch
import torch.nn.functional as F

from models.errors import UserError

log = logging.getLogger(__name__)

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclass(frozen=True, eq=False)
class ImageSet:
    images: torch.Tensor  # (N, 3, H, W) uint8
    labels: torch.Tensor  # (N,) int64
    classes: tuple[str, ...]
    name: str

    def __len__(self) -> int:
        return len(self.labels)

    @cached_property
    def fingerprint(self) -> str:
        """Content hash: the logit cache is keyed by it, so a changed data set gets a new cache."""
        h = hashlib.sha256(self.name.encode())
        h.update(repr((tuple(self.images.shape), self.classes)).encode())
        h.update(self.images.cpu().contiguous().numpy().tobytes())
        h.update(self.labels.cpu().numpy().astype(np.int64).tobytes())
        return h.hexdigest()


def _from_hwc(images: np.ndarray, labels, classes, name: str) -> ImageSet:
    return ImageSet(
        images=torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous(),
        labels=torch.as_tensor(np.asarray(labels), dtype=torch.int64),
        classes=tuple(classes),
        name=name,
    )


@dataclass(frozen=True)
class TorchvisionCIFAR10:
    """CIFAR-10 in torchvision's format at root/cifar-10-batches-py; downloads when asked."""

    root: str
    download: bool = True

    def load(self) -> tuple[ImageSet, ImageSet]:
        from torchvision.datasets import CIFAR10

        expected = Path(self.root) / "cifar-10-batches-py"
        try:
            sets = [CIFAR10(self.root, train=t, download=self.download) for t in (True, False)]
        except RuntimeError as e:  # torchvision: "Dataset not found or corrupted"
            raise UserError(
                f"data.source.root: CIFAR-10 not found at {expected}; set data.source.download=true "
                "(needs the internet) or use data=cifar10_jpeg data.source.root=<folder or .tar.gz>"
            ) from e
        except OSError as e:  # offline download: URLError, connection errors
            raise UserError(
                f"data.source.root: could not download CIFAR-10 into {expected} ({e}); put "
                "cifar-10-batches-py there or use data=cifar10_jpeg"
            ) from e
        train, test = (_from_hwc(s.data, s.targets, s.classes, "cifar10") for s in sets)
        return train, test


@dataclass(frozen=True)
class ImageFolder:
    """root (a directory or .tar/.tar.gz archive) with train/<class>/* and test/<class>/*."""

    root: str
    cache_dir: str | None = None

    def load(self) -> tuple[ImageSet, ImageSet]:
        root = Path(self.root).expanduser()
        if not root.exists():
            raise UserError(f"data.source.root: no such directory or archive: {root}")
        cached = self._cache_file(root)
        if cached is not None and cached.exists():
            arrays = np.load(cached)
        else:
            arrays = self._decode(root)
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp.npz")
                np.savez(tmp, **arrays)  # type: ignore[arg-type]  # mypy: **arrays might hold allow_pickle
                tmp.replace(cached)  # atomic: a concurrent reader never sees half a file
        classes = tuple(str(c) for c in arrays["classes"])
        name = f"folder:{root.name}"
        return (
            _from_hwc(arrays["train_x"], arrays["train_y"], classes, name),
            _from_hwc(arrays["test_x"], arrays["test_y"], classes, name),
        )

    def _cache_file(self, root: Path) -> Path | None:
        if self.cache_dir is None:
            return None
        stat = root.stat()
        key = hashlib.sha256(f"{root.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        return (
            Path(self.cache_dir).expanduser()
            / "datasets"
            / f"{root.name}-{key.hexdigest()[:12]}.npz"
        )

    def _decode(self, root: Path) -> dict[str, np.ndarray]:
        log.info("decoding images from %s (once; kept in the cache directory)", root)
        files = _archive_files(root) if root.is_file() else _directory_files(root)
        by_split: dict[str, list[tuple[str, str, bytes]]] = {"train": [], "test": []}
        for split, label, name, data in files:
            by_split[split].append((label, name, data))
        if not by_split["train"] or not by_split["test"]:
            raise UserError(
                f"data.source.root: {root} needs images under train/<class>/ and test/<class>/"
            )
        classes = sorted({label for label, _, _ in by_split["train"]})
        stray = sorted({label for label, _, _ in by_split["test"]} - set(classes))
        if stray:
            raise UserError(f"data.source.root: {root} test/ has classes not in train/: {stray}")
        index = {c: i for i, c in enumerate(classes)}
        out = {"classes": np.array(classes)}
        for split, items in by_split.items():
            items.sort(key=lambda item: (item[0], item[1]))  # deterministic order
            images = [_decode_image(data, f"{split}/{label}/{name}") for label, name, data in items]
            shapes = {im.shape for im in images}
            if len(shapes) != 1:
                raise UserError(
                    f"data.source.root: images in {root}/{split} differ in size: {shapes}"
                )
            out[f"{split}_x"] = np.stack(images)  # (N, H, W, 3)
            out[f"{split}_y"] = np.array([index[label] for label, _, _ in items], dtype=np.int64)
        return out


def _decode_image(data: bytes, where: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    except (UnidentifiedImageError, OSError) as e:
        raise UserError(f"data.source.root: cannot decode image {where}: {e}") from e


def _split_parts(path: PurePosixPath) -> tuple[str, str] | None:
    """.../train/<class>/<file> -> ("train", "<class>")."""
    parts = path.parts
    if len(parts) >= 3 and parts[-3] in ("train", "test") and path.suffix.lower() in IMAGE_SUFFIXES:
        return parts[-3], parts[-2]
    return None


def _archive_files(archive: Path):
    try:
        with tarfile.open(archive) as tf:
            for member in tf:
                found = _split_parts(PurePosixPath(member.name)) if member.isfile() else None
                if found:
                    file = tf.extractfile(member)
                    assert file is not None, "extractfile is None only for non-files"
                    yield *found, member.name, file.read()
    except tarfile.TarError as e:
        raise UserError(f"data.source.root: {archive} is not a readable tar archive: {e}") from e


def _directory_files(root: Path):
    for path in root.rglob("*"):
        found = _split_parts(PurePosixPath(path.relative_to(root).as_posix()))
        if found and path.is_file():
            yield *found, path.name, path.read_bytes()


@dataclass(frozen=True)
class Synthetic:
    """A deterministic, learnable stand-in for CIFAR-10 (tests, demos, benchmarks).

    Each class is a smooth random colour pattern; an image is its class pattern under low-frequency
    and pixel noise. Identical for identical arguments on any machine.
    """

    n_train: int = 2000
    n_test: int = 500
    num_classes: int = 10
    image_size: int = 32
    noise: float = 0.35
    seed: int = 0

    def load(self) -> tuple[ImageSet, ImageSet]:
        g = torch.Generator().manual_seed(self.seed)
        s = self.image_size
        prototypes = F.interpolate(
            torch.rand(self.num_classes, 3, 4, 4, generator=g), size=(s, s), mode="bicubic"
        )  # (classes, 3, s, s)
        classes = tuple(f"class{i}" for i in range(self.num_classes))
        return (
            self._images(self.n_train, prototypes, g, classes),
            self._images(self.n_test, prototypes, g, classes),
        )

    def _images(self, n, prototypes, g, classes) -> ImageSet:
        s = self.image_size
        labels = torch.arange(n) % self.num_classes
        labels = labels[torch.randperm(n, generator=g)]
        x = prototypes[labels]  # (n, 3, s, s)
        blobs = F.interpolate(torch.randn(n, 3, 8, 8, generator=g), size=(s, s), mode="bilinear")
        x = x + self.noise * blobs + 0.1 * torch.randn(n, 3, s, s, generator=g)
        images = (x.clamp(0, 1) * 255).round().to(torch.uint8)
        return ImageSet(images, labels, classes, f"synthetic:{self.seed}:{self.noise}")
