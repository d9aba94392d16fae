"""Training throughput on this machine's CPU: ResNet-20 (width 16) trained by cross-entropy only,
by distillation from the tiny DINOv2 teacher run at every step, and by distillation from the
teacher-logit cache — as images/s and as ratios to cross-entropy-only training, measured in one
run with the modes interleaved (so that a busy machine slows all of them alike).

    .venv/bin/python bench/bench_train.py                 # ~2 minutes on 2 cores
    .venv/bin/python bench/bench_train.py --vit-small     # plus the real ViT-S/14 teacher online
    .venv/bin/python bench/bench_train.py --full          # on a GPU: the full-data figures below

--full adds, on the real CIFAR-10 JPEGs (../shared) and whatever device is present: the epoch time
of ResNet-32 on all 45k training images (or --full-train-images of them) against its pure compute
time (one resident batch, same precision), and the time to build the DINOv2 ViT-S/14 logit cache
(random weights, timed on --full-images images, extrapolated to 45k x 162 views). On a CPU keep
both small, e.g. `--full --full-train-images 512 --full-images 2 --rounds 1 --batches 2`.

The issue's goals: KD with the cache costs at most 1.15x CE-only training; an epoch takes at most
1.2x its pure compute time (the data pipeline keeps the GPU busy).
"""

import argparse
import logging
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lightning as L  # noqa: E402
import torch  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import open_dict  # noqa: E402

import train  # noqa: E402

MODES = {
    "CE only": ["kd=none"],
    "KD, online tiny teacher": ["kd.cache=off"],
    "KD, logit cache": ["kd.cache=auto"],
}
VIT_SMALL = ["teacher=dinov2_small", "teacher.checkpoint=null", "kd.cache=off"]


class StepTimer(L.Callback):
    """Wall time of training batches warmup..end (loader, forward, backward, optimiser step)."""

    def __init__(self, warmup: int):
        self.warmup, self.start, self.images, self.seconds = warmup, None, 0, None

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        if batch_idx == self.warmup:
            sync()
            self.start = time.perf_counter()
        if batch_idx >= self.warmup:
            self.images += len(batch.label)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if batch_idx == trainer.num_training_batches - 1:  # before the epoch's validation
            sync()
            self.seconds = time.perf_counter() - self.start


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


SYNTHETIC = [
    "experiment=demo",
    "model=resnet20",
    "data.source.n_train=2000",  # 1800 after the validation split: 14 batches
    "data.augment.step=1",  # the standard 162 views (the demo uses 50)
]


def config(tmp: Path, overrides: list[str], batches: int | float, base=SYNTHETIC):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(
            "train",
            overrides=[
                *base,
                "data.batch_size=128",
                "trainer.max_epochs=1",
                f"++trainer.limit_train_batches={batches}",
                "++trainer.limit_val_batches=1",
                "++trainer.limit_test_batches=1",
                "trainer.enable_progress_bar=false",
                "trainer.enable_model_summary=false",
                "callbacks=none",
                "hw.enabled=false",
                *overrides,
            ],
        )
    with open_dict(cfg):
        cfg.paths.output_dir = str(tmp / "run")
        cfg.paths.cache_dir = str(tmp / "cache")
    return cfg


def measure(tmp: Path, overrides: list[str], warmup: int, batches: int) -> float:
    timer = StepTimer(warmup)
    train.train(config(tmp, overrides, warmup + batches), callbacks=[timer])
    return timer.images / timer.seconds


def full_data_figures(tmp: Path, n_train_images: int | None, n_teacher_images: int) -> None:
    """ResNet-32 epoch vs pure compute on real CIFAR-10; DINOv2 ViT-S logit-cache build time."""
    from hydra.utils import instantiate

    from models.data.views import ViewGrid
    from models.logit_cache import TeacherLogitCache, module_fingerprint
    from models.resnet import build_student
    from models.teachers import FrozenTeacher

    real = ["data=cifar10_jpeg", "model=resnet32", "kd=none", "teacher.checkpoint=null"]
    if n_train_images:
        real.append(f"data.train_subset={n_train_images}")
    cfg = config(tmp, [], 1.0, base=real)
    n_train = n_train_images or 50_000 - cfg.data.val_size
    timer = StepTimer(warmup=min(5, n_train // cfg.data.batch_size - 2))  # >= 1 timed batch
    train.train(cfg, callbacks=[timer])
    epoch_s = timer.seconds * n_train / timer.images

    device = "cuda" if torch.cuda.is_available() else "cpu"
    autocast = lambda: torch.autocast(device, torch.bfloat16, enabled=device == "cuda")  # noqa: E731
    net = build_student("resnet32").to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    x = torch.randn(128, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (128,), device=device)
    steps = 50 if device == "cuda" else 5
    for i in range(steps + 5):  # 5 warm-up steps
        if i == 5:
            sync()
            start = time.perf_counter()
        with autocast():
            loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    sync()
    compute_epoch_s = (time.perf_counter() - start) / (steps * 128) * n_train

    teacher = FrozenTeacher(instantiate(cfg.teacher)).to(device)  # ViT-S/14, random weights
    train_set, _ = instantiate(cfg.data).load()
    grid = ViewGrid()
    cache = TeacherLogitCache.for_teacher(
        tmp / "vit", module_fingerprint(teacher), train_set, grid, 10
    )
    rows = torch.arange(n_teacher_images)
    sync()
    start = time.perf_counter()
    cache.fill(teacher, train_set.images.to(device), rows, grid, batch_size=1024, autocast=autocast)
    sync()
    per_image = (time.perf_counter() - start) / n_teacher_images
    print(f"\nreal CIFAR-10 on {device}:")
    print(
        f"ResNet-32 epoch ({n_train} images): {epoch_s:.1f} s; pure compute {compute_epoch_s:.1f} s"
        f" -> {epoch_s / compute_epoch_s:.2f}x"
    )
    print(
        f"DINOv2 ViT-S/14 logit cache ({grid.n_views} views): {per_image * 1e3:.1f} ms/image"
        f" -> {per_image * 45_000 / 60:.1f} min for 45000 images"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=12, help="timed batches of 128 per round")
    parser.add_argument("--vit-small", action="store_true", help="also the ViT-S/14 teacher online")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: all)"
    )
    parser.add_argument(
        "--full", action="store_true", help="also the real CIFAR-10 figures (meant for a GPU)"
    )
    parser.add_argument(
        "--full-images",
        type=int,
        default=256,
        help="--full: images (x162 views) the ViT-S/14 logit-cache build is timed on",
    )
    parser.add_argument(
        "--full-train-images",
        type=int,
        default=None,
        help="--full: training images of the ResNet-32 epoch (default: all 45000)",
    )
    args = parser.parse_args()
    if args.full_images < 1:
        parser.error("--full-images must be at least 1")
    if args.full_train_images is not None and not 256 <= args.full_train_images <= 45_000:
        parser.error("--full-train-images must be between 256 (two batches) and 45000")
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    modes = dict(MODES)
    if args.vit_small:
        modes["KD, online ViT-S/14 (224 px)"] = VIT_SMALL
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()  # build the cache once, outside the timed rounds
        train.train(config(tmp, ["kd.cache=auto"], 1))
        build_s = time.perf_counter() - start
        rates: dict[str, list[float]] = {m: [] for m in modes}
        for _ in range(args.rounds):
            for mode, overrides in modes.items():
                batches = 2 if overrides is VIT_SMALL else args.batches  # ViT-S: ~10 s a batch
                rates[mode].append(measure(tmp, overrides, 1, batches))
    ce = statistics.median(rates["CE only"])
    print(
        f"\nResNet-20 w16, batch 128, CPU ({torch.get_num_threads()} threads), median of {args.rounds} rounds"
    )
    print(f"{'mode':32} {'images/s':>9} {'time vs CE':>10}")
    for mode, values in rates.items():
        rate = statistics.median(values)
        print(f"{mode:32} {rate:9.1f} {ce / rate:9.2f}x")
    print(
        f"cache build incl. one run's set-up (1800 images x 162 views, tiny teacher): {build_s:.1f} s"
    )
    if args.full:
        with tempfile.TemporaryDirectory() as tmp:
            full_data_figures(Path(tmp), args.full_train_images, args.full_images)


if __name__ == "__main__":
    main()
