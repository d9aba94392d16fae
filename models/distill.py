"""The Lightning module: one network trained by cross-entropy and, when a teacher is given, by
distillation from it (models.losses.kd_loss).

Teacher logits come either from the frozen teacher at every step (kd.cache=off) or from the
teacher-logit cache, looked up by (image row, view id) on the device (kd.cache=auto). The same
module fine-tunes a teacher (task=teacher): then there is no teacher and alpha is 0.
"""

import logging
import math
import warnings
from collections.abc import Callable, Mapping
from functools import partial
from itertools import islice
from typing import Any

import lightning as L
import torch
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from models.data.datamodule import Batch
from models.data.views import ImageClassifier
from models.logit_cache import TeacherLogitCache, module_fingerprint
from models.losses import kd_loss
from models.quant import ActivationQuantizer, calibrate_activations
from models.teachers import FrozenTeacher

log = logging.getLogger(__name__)
# The frozen teacher is in eval mode on purpose; Lightning warns about any module that is.
warnings.filterwarnings("ignore", message=r"Found \d+ module\(s\) in eval mode")


def warmup_cosine(step: int, total: float, warmup: int, min_ratio: float = 0.0) -> float:
    """LR multiplier: linear warm-up over `warmup` steps, then cosine decay to `min_ratio`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


class DistillationModule(L.LightningModule):
    def __init__(
        self,
        model: ImageClassifier,
        optimizer: Callable,  # partial: params -> torch.optim.Optimizer
        teacher: ImageClassifier | None = None,
        T: float = 4.0,
        alpha: float = 0.9,
        label_smoothing: float = 0.0,  # of the CE term (models.losses.kd_loss)
        cache: str = "auto",  # auto: teacher-logit cache; off: teacher at every step
        cache_dir: str | None = None,
        warmup_epochs: float = 0.0,
        min_lr_ratio: float = 0.0,
        no_decay_norm_and_bias: bool = True,
        calibration_batches: int = 8,
        num_classes: int = 10,
        net_config: Mapping | None = None,  # how to rebuild model.net (checkpoint teachers)
    ):
        super().__init__()
        if cache not in ("auto", "off"):
            raise ValueError(f"kd.cache must be 'auto' or 'off', got {cache!r}")
        self.save_hyperparameters(ignore=["model", "optimizer", "teacher"])
        self.hparams["input_spec"] = model.input.spec()
        self.model = model
        self.teacher = FrozenTeacher(teacher) if teacher is not None and alpha > 0 else None
        self.optimizer_factory = optimizer
        self.T, self.alpha, self.label_smoothing = T, alpha, label_smoothing
        self.logit_table: torch.Tensor | None = None  # (N, V, C) float16, when cached
        self.train_acc = MulticlassAccuracy(num_classes, average="micro")
        self.val_acc = MulticlassAccuracy(num_classes, average="micro")
        self.test_acc = MulticlassAccuracy(num_classes, average="micro")
        self.teacher_acc = MulticlassAccuracy(num_classes, average="micro")

    # --- set-up -----------------------------------------------------------------------------

    def on_fit_start(self) -> None:
        dm = self.trainer.datamodule  # type: ignore[attr-defined]  # Lightning sets it in fit(), undeclared
        if self.teacher is not None and self.hparams["cache"] == "auto":
            self._build_logit_table(dm, self.teacher)
        quantizers = [m for m in self.model.modules() if isinstance(m, ActivationQuantizer)]
        if quantizers and not all(q.calibrated for q in quantizers):  # not when resuming
            batches = islice(iter(dm.train_dataloader()), self.hparams["calibration_batches"])
            n = calibrate_activations(self.model.net, (self.model.input(b.image) for b in batches))
            log.info("QAT: activation ranges calibrated on %d batches", n)

    def _build_logit_table(self, dm, frozen: FrozenTeacher) -> None:
        if self.hparams["cache_dir"] is None:
            raise ValueError("kd.cache=auto needs paths.cache_dir")
        teacher = frozen.teacher
        cache = TeacherLogitCache.for_teacher(
            self.hparams["cache_dir"],
            module_fingerprint(teacher, teacher.input.spec()),
            dm.train_set,
            dm.grid,
            self.hparams["num_classes"],
        )
        computed = cache.fill(
            frozen,
            dm.train_set.images,
            dm.train_rows,
            dm.grid,
            batch_size=dm.eval_batch_size,
            autocast=self.trainer.precision_plugin.forward_context,
            progress=self.trainer.is_global_zero,
        )
        log.info("teacher-logit cache %s: %d rows computed now", cache.directory, computed)
        self.logit_table = cache.table(self.device)

    # --- steps ------------------------------------------------------------------------------

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)

    def teacher_logits(self, batch: Batch) -> torch.Tensor | None:
        if self.teacher is None:
            return None
        if self.logit_table is not None:
            return self.logit_table[batch.index, batch.view].float()  # (B, C)
        return self.teacher(batch.image)  # (B, C)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        logits = self.model(batch.image)  # (B, C)
        teacher_logits = self.teacher_logits(batch)
        loss = kd_loss(
            logits,
            teacher_logits,
            batch.label,
            self.T,
            self.alpha,
            label_smoothing=self.label_smoothing,
        )
        self.train_acc(logits, batch.label)
        n = len(batch.label)
        self.log("train/loss", loss, batch_size=n)  # no prog_bar: a host sync every step on GPU
        self.log(
            "train/acc", self.train_acc, on_step=False, on_epoch=True, prog_bar=True, batch_size=n
        )
        if teacher_logits is not None:
            self.teacher_acc(teacher_logits, batch.label)  # a wrong teacher shows up at once
            self.log(
                "train/teacher_acc", self.teacher_acc, on_step=False, on_epoch=True, batch_size=n
            )
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        logits = self.model(batch.image)
        self.val_acc(logits, batch.label)
        n = len(batch.label)
        self.log("val/loss", nn.functional.cross_entropy(logits.float(), batch.label), batch_size=n)
        self.log("val/acc", self.val_acc, prog_bar=True, batch_size=n)

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self.test_acc(self.model(batch.image), batch.label)
        self.log("test/acc", self.test_acc, batch_size=len(batch.label))

    # --- optimisation -----------------------------------------------------------------------

    def configure_optimizers(self):
        decay: list[nn.Parameter] = []
        no_decay: list[nn.Parameter] = []
        for name, p in self.model.named_parameters():
            flat = p.ndim <= 1 or name.endswith(".bias")  # BatchNorm/LayerNorm weights, biases
            (no_decay if flat and self.hparams["no_decay_norm_and_bias"] else decay).append(p)
        groups: list[dict[str, Any]] = [
            {"params": decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        optimizer = self.optimizer_factory([g for g in groups if g["params"]])
        total = self.trainer.estimated_stepping_batches
        warmup = round(self.hparams["warmup_epochs"] * self._steps_per_epoch())
        schedule = partial(
            warmup_cosine, total=total, warmup=warmup, min_ratio=self.hparams["min_lr_ratio"]
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def _steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch (not total // max_epochs: max_steps may end first, and
        max_epochs may be -1)."""
        trainer = self.trainer
        if trainer.train_dataloader is None:  # max_epochs=-1: Lightning has not loaded it yet
            trainer.fit_loop.setup_data()
        batches = trainer.num_training_batches
        if math.isinf(batches):  # a loader without a length: epochs mean nothing here
            return 1
        return max(1, math.ceil(batches / trainer.accumulate_grad_batches))

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint["state_dict"]
        for key in [k for k in state if k.startswith("teacher.")]:
            del state[key]  # the teacher has its own file; keep student checkpoints small

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        # the teacher never comes from a checkpoint: the current one stands in, so that loading
        # stays strict for everything else (a quantizer's buffers, a different depth)
        state = checkpoint["state_dict"]
        for key in [k for k in state if k.startswith("teacher.")]:
            del state[key]
        state.update({k: v for k, v in self.state_dict().items() if k.startswith("teacher.")})
