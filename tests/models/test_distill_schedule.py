"""The LR schedule's warm-up is counted in epochs of optimizer steps, however the run ends."""

from functools import partial

import lightning as L
import pytest
import torch

from models.data.datamodule import ImageDataModule
from models.data.sources import Synthetic
from models.data.views import ImageClassifier, ImageInput
from models.distill import DistillationModule, warmup_cosine
from models.resnet import build_student


@pytest.mark.parametrize(
    ("trainer_args", "warmup"),
    [
        ({"max_epochs": 2}, 3),
        ({"max_epochs": 5, "max_steps": 4}, 3),  # max_steps ends first: not 4 // 5
        ({"max_epochs": -1, "max_steps": 4}, 3),  # no epoch limit: not 4 // 1
        ({"max_epochs": 2, "accumulate_grad_batches": 2}, 2),  # ceil(3 / 2) steps an epoch
    ],
)
def test_warmup_is_one_epoch_of_optimizer_steps(trainer_args, warmup):
    student = ImageClassifier(
        build_student("resnet8", width=4), ImageInput(32, (0.5,) * 3, (0.25,) * 3)
    )
    module = DistillationModule(
        student, partial(torch.optim.SGD, lr=0.1), alpha=0.0, warmup_epochs=1.0
    )
    dm = ImageDataModule(Synthetic(n_train=64, n_test=16), batch_size=16, val_size=16)  # 3 batches
    trainer = L.Trainer(
        accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0, **trainer_args,
    )  # fmt: skip
    trainer.fit(module, datamodule=dm)
    schedule = trainer.lr_scheduler_configs[0].scheduler.lr_lambdas[0]
    assert schedule.func is warmup_cosine and schedule.keywords["warmup"] == warmup
