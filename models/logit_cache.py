"""Teacher-logit cache: the teacher's logits for every (training image, view), computed once.

A ViT-S teacher at 224 px costs ~20x a ResNet student's training step. Because the augmentation is
discrete (views.py), the logits for every image in every view can be stored once and looked up by
(image row, view id) in every later epoch, run and sweep trial, while student and teacher still see
the same pixels.

On disk, under <cache_dir>/teacher_logits/<key>/:
    logits.npy  float16 (N, V, C), memory-mapped
    sums.npy    uint64 (N,): a checksum (blake2b, 8 bytes) of each row's logits as written
    done.npy    bool (N,): rows whose V views are all written (resume point)
    meta.json   what the key stands for
The key hashes the teacher's weights and input transform, the data set's content, the view grid
and the source of the code that computes the logits (`hwsim.disk_cache.source_fingerprint`), so a
different teacher, data set or rule can never read stale logits. Building fills only missing rows,
shows a progress bar, and can be interrupted and resumed.

Nothing is trusted as found: a file that is missing, truncated, of another shape or with a damaged
header makes the whole cache be built again (numpy would zero-fill a truncated memmap); a row
flagged done counts only if its logits still match its checksum, else it is computed again; and
a teacher whose logits are not finite is refused (`NonFiniteLogits`), never stored.

Sweep workers, on one machine or many sharing the cache folder, build it once: the first to
take the folder's lock (`lock`) builds, the others wait for it (saying so once), then find every
row done and compute nothing; a worker that finds a half-built cache (its builder was killed)
resumes it from the done flags. What this relies on:
- the lock is `filelock.FileLock`: flock(2) on POSIX, released by the kernel when its holder dies.
  Local disks, NFSv4 and Lustre/GPFS mounted with flock support give it across machines; on a
  file system without locks, give each machine its own paths.cache_dir (each builds once);
- a new cache's files are written under temporary names, fsync'ed and renamed into place
  (rename is atomic on POSIX file systems, NFS included): done.npy, renamed last, exists only
  when logits.npy is whole;
- rows are flagged done only after their logits are written, and both are msync'ed (flush) in
  that order before the lock is released; the files are mapped again after taking the lock, so
  a worker on another machine sees what the last builder wrote (NFS close-to-open consistency).
"""

import contextlib
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from filelock import FileLock, Timeout
from numpy.lib.format import open_memmap
from tqdm.auto import tqdm

from hwsim.disk_cache import source_fingerprint
from models.data.views import ViewGrid, render_views
from models.errors import UserError

log = logging.getLogger(__name__)

#: The code the cached logits depend on besides the teacher's weights: how views are rendered
#: and how the teacher and this cache compute and store them.
CODE = ("models.data.views", "models.teachers", "models.logit_cache")
#: Rows checked at once (bounds the memory of a check: 4096 x 162 views x 10 classes x 2 bytes)
VERIFY_ROWS = 4096


class NonFiniteLogits(UserError):
    """The teacher gives NaN or infinite logits (float16 overflows above 65504)."""


def row_checksums(logits: np.ndarray) -> np.ndarray:
    """blake2b (8 bytes) of each row of `logits` (k, V, C), as uint64 (k,)."""
    rows = np.ascontiguousarray(logits).reshape(len(logits), int(np.prod(logits.shape[1:])))
    return np.array(
        [int.from_bytes(hashlib.blake2b(r.tobytes(), digest_size=8).digest()) for r in rows],
        dtype=np.uint64,
    )


def module_fingerprint(module: torch.nn.Module, extra: object = None) -> str:
    """sha256 of a module's state dict (names, shapes, dtypes, values) and `extra`."""
    h = hashlib.sha256(repr(extra).encode())
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


@contextlib.contextmanager
def _file_lock(path: Path):
    """The cache folder's lock; waiting for another builder is said once."""
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.info("teacher-logit cache %s: another worker is building it; waiting", path.parent)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def _check_finite(logits: np.ndarray, rows: np.ndarray) -> None:
    bad = ~np.isfinite(logits).reshape(len(logits), -1).all(axis=1)
    if bad.any():
        raise NonFiniteLogits(
            f"teacher: its logits are not finite (NaN, or beyond float16's 65504) for "
            f"{int(bad.sum())} of {len(rows)} training images (first: row {int(rows[bad][0])}); "
            "check the teacher (teacher.*)"
        )


def _create(path: Path, dtype, shape) -> None:
    """An empty .npy file at `path`, written under a temporary name, synced and renamed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    open_memmap(tmp, "w+", dtype, shape).flush()
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _whole(path: Path, dtype, shape) -> bool:
    """Whether `path` is a readable .npy file of this dtype and shape, all of its bytes present
    (opened read-only: numpy's r+ mode would zero-fill a truncated file)."""
    try:
        array = np.load(path, mmap_mode="r")
    except (OSError, ValueError, EOFError):
        return False
    return array.dtype == np.dtype(dtype) and array.shape == tuple(shape)


class TeacherLogitCache:
    def __init__(self, directory: Path, n_images: int, n_views: int, n_classes: int, meta: dict):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.shape = (n_images, n_views, n_classes)
        files = {
            "logits.npy": (np.float16, self.shape),
            "sums.npy": (np.uint64, (n_images,)),
            "done.npy": (np.bool_, (n_images,)),  # last: it exists only when the others are whole
        }
        with _file_lock(self.directory / "lock"):
            found = [name for name in files if (self.directory / name).exists()]
            damaged = [
                name
                for name, (dt, sh) in files.items()
                if not _whole(self.directory / name, dt, sh)
            ]
            if damaged:
                if found:
                    log.warning(
                        "teacher-logit cache %s: %s damaged; building it again",
                        self.directory,
                        ", ".join(damaged),
                    )
                _write_text(self.directory / "meta.json", json.dumps(meta, indent=2))
                for name, (dtype, shape) in files.items():
                    _create(self.directory / name, dtype, shape)
        self._map()

    def _map(self) -> None:
        """Map the files (again): what other workers wrote since is seen (module docstring)."""
        self.logits = open_memmap(self.directory / "logits.npy", "r+")
        self.sums = open_memmap(self.directory / "sums.npy", "r+")
        self.done = open_memmap(self.directory / "done.npy", "r+")

    @classmethod
    def for_teacher(cls, root, teacher_fingerprint: str, train_set, grid: ViewGrid, n_classes: int):
        meta = {
            "teacher": teacher_fingerprint,
            "data": train_set.fingerprint,
            "data_name": train_set.name,
            "grid": asdict(grid),
            "shape": [len(train_set), grid.n_views, n_classes],
            "code": source_fingerprint(*CODE),
        }
        key = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:20]
        return cls(
            Path(root).expanduser() / "teacher_logits" / key,
            len(train_set),
            grid.n_views,
            n_classes,
            meta,
        )

    def missing(self, rows: np.ndarray) -> np.ndarray:
        """The rows of `rows` not flagged done, or whose logits no longer match their checksum."""
        done = rows[self.done[rows]]
        altered = np.concatenate(
            [
                part[row_checksums(self.logits[part]) != self.sums[part]]
                for part in np.array_split(done, max(1, len(done) // VERIFY_ROWS))
            ]
        )
        if len(altered):
            log.warning(
                "teacher-logit cache %s: %d rows fail their checksum; computing them again",
                self.directory,
                len(altered),
            )
            self.done[altered] = False
        return rows[~self.done[rows]]

    def fill(
        self,
        teacher,  # uint8 views (B, 3, H, W) -> logits (B, C)
        images: torch.Tensor,  # (N, 3, H, W) uint8, the source's whole train set, on the device
        rows,  # rows needed by this run
        grid: ViewGrid,
        batch_size: int = 512,
        autocast=contextlib.nullcontext,  # e.g. the trainer's precision context
        progress: bool = True,
    ) -> int:
        """Compute every view of each missing row; returns the number of rows computed."""
        rows = np.asarray(torch.as_tensor(rows).cpu(), dtype=np.int64)
        with _file_lock(self.directory / "lock"):
            self._map()
            todo = self.missing(np.unique(rows))
            if len(todo) == 0:
                return 0
            n_views = grid.n_views
            per_step = max(1, batch_size // n_views)  # images per teacher batch, all their views
            all_views = torch.arange(n_views, device=images.device)
            bar = tqdm(
                total=len(todo),
                desc="teacher logits",
                unit="img",
                disable=not progress,
                mininterval=0.5 if sys.stderr.isatty() else 30,  # few lines in CI logs
            )
            last_flush = time.monotonic()
            for start in range(0, len(todo), per_step):
                chunk = todo[start : start + per_step]  # (k,)
                chunk_t = torch.as_tensor(chunk, device=images.device)
                views = all_views.repeat(len(chunk))  # (k*V,) 0..V-1, 0..V-1, ...
                pixels = render_views(images[chunk_t].repeat_interleave(n_views, 0), views, grid)
                with torch.no_grad(), autocast():
                    logits = teacher(pixels).float()  # (k*V, C)
                with np.errstate(over="ignore"):  # an overflow is refused just below
                    stored = logits.view(len(chunk), n_views, -1).cpu().numpy().astype(np.float16)
                _check_finite(stored, chunk)
                self.logits[chunk] = stored
                self.sums[chunk] = row_checksums(stored)
                self.done[chunk] = True  # after the logits, so a crash never marks unwritten rows
                bar.update(len(chunk))
                if time.monotonic() - last_flush > 30:
                    self._flush()
                    last_flush = time.monotonic()
            self._flush()
            bar.close()
            return len(todo)

    def _flush(self) -> None:
        self.logits.flush()
        self.sums.flush()
        self.done.flush()

    def table(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """All logits as one (N, V, C) float16 tensor on `device` for lookups by [row, view]."""
        self._map()
        return torch.from_numpy(np.array(self.logits)).to(device)
