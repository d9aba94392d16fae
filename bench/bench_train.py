"""Training throughput on this machine's CPU: ResNet-20 (width 16) trained by cross-entropy only,
by distillation from the tiny DINOv2 teacher run at every step, and by distillation from the
teacher-logit cache — as images/s and as ratios to cross-entropy-only training, measured in one
run with the modes interleaved (so that a busy machine slows all of them alike).

    .venv/bin/python bench/bench_train.py                 # ~2 minutes on 2 cores
    .venv/bin/python bench/bench_train.py --vit-small     # plus the real ViT-S/14 teacher online

The issue's goal: KD with the cache costs at most 1.15x CE-only training.
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
            self.start = time.perf_counter()
        if batch_idx >= self.warmup:
            self.images += len(batch.label)

    def on_train_epoch_end(self, trainer, module):
        self.seconds = time.perf_counter() - self.start


def config(tmp: Path, overrides: list[str], batches: int):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(
            "train",
            overrides=[
                "experiment=demo",
                "model=resnet20",
                "data.batch_size=128",
                "data.source.n_train=2000",  # 1800 after the validation split: 14 batches
                "data.augment.step=1",  # the standard 162 views (the demo uses 50)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=12, help="timed batches of 128 per round")
    parser.add_argument("--vit-small", action="store_true", help="also the ViT-S/14 teacher online")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: all)"
    )
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
