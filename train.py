"""Train a CIFAR ResNet student by distillation from a frozen teacher, then measure it.

    python train.py                                    # the default recipe (conf/train.yaml)
    python train.py model=resnet32 model.width=24 kd.T=2 kd.alpha=0.5
    python train.py experiment=demo                    # synthetic data, tiny teacher, ~2 min on CPU
    python train.py task=teacher                       # fine-tune the DINOv2 teacher instead

`train(cfg)` is the whole run: data, networks, Lightning fit, test accuracy of the best checkpoint,
parameters, MACs and inference energy on the accelerator (hwsim). It returns a `TrainResult` and
writes it as result.json in the run directory. A mistake in the command line or the config is
reported in one line, with exit status 2. Stopped by SIGTERM, SIGUSR1 or SIGUSR2 (a scheduler), it
saves checkpoints/preempted.ckpt, prints the `ckpt_path=` that continues it and exits with
128 + the signal's number (models.preemption), never 0 without a result.
"""

import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("HWKD_ROOT", str(Path(__file__).resolve().parent))

import hydra
import lightning as L
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from models.complexity import count_macs, count_parameters
from models.config_checks import check_training_config
from models.data.views import ImageClassifier
from models.distill import DistillationModule
from models.errors import UserError, job, run_command, user_error_in
from models.hw_energy import estimate_energy, hardware_config, load_hardware, pricing_label
from models.lightning_banners import quiet_banners
from models.preemption import Preempted, PreemptionCheckpoint, stop_signals, stopped_by_signal
from models.teachers import read_checkpoint, state_dict_mismatch
from models.wandb_mode import needs_offline

log = logging.getLogger("train")


@dataclass(frozen=True)
class TrainResult:
    task: str  # student | teacher
    val_acc: float | None  # best validation accuracy (the checkpoint that is tested)
    test_acc: float | None
    energy_pj: float | None  # inference energy of one image on hw.arch; None without hwsim
    # breakdown: arch, energy_table, objective (the mapper's), datawidth, per-layer rows
    energy: dict | None
    params: int
    macs: int  # multiply-accumulates of one inference
    checkpoint_path: str | None
    wall_time_s: float
    run_dir: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def train(cfg: DictConfig, callbacks: Sequence[L.Callback] = ()) -> TrainResult:
    """Run one training job from a composed config; see the module docstring.

    `callbacks` join those of the config (e.g. a sweep's pruning callback that holds its trial).
    SIGTERM, SIGUSR1 or SIGUSR2 (a scheduler's stop) raise models.preemption.Preempted, with
    checkpoints/preempted.ckpt saved when training had started.
    """
    with stop_signals():
        try:
            return _train(cfg, [*callbacks, PreemptionCheckpoint()])
        except BaseException as e:
            stopped = stopped_by_signal(e)  # Lightning ends fit() on SIGTERM with a SystemExit(0)
            if stopped is not None and stopped is not e:
                raise stopped from None
            cause = user_error_in(e) if isinstance(e, Exception) else None
            if cause is not None and cause is not e:  # Hydra wraps errors of instantiation
                raise cause from None
            raise


def _train(cfg: DictConfig, extra_callbacks: list[L.Callback]) -> TrainResult:
    start = time.perf_counter()
    check_training_config(cfg)  # before anything is made or printed
    quiet_banners()
    if cfg.get("num_threads"):
        torch.set_num_threads(int(cfg.num_threads))  # oversubscribed CPUs slow down ~10x
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    out_dir = Path(cfg.paths.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    task = cfg.task.name

    datamodule = instantiate(cfg.data)
    datamodule.load()  # a missing data set is reported before anything slow happens
    model, teacher = _networks(cfg, datamodule)
    alpha = float(cfg.kd.alpha) if teacher is not None else 0.0
    if cfg.get("channels_last"):
        model.net.to(memory_format=torch.channels_last)  # activations follow the weights' layout
    if cfg.compile:
        model.net.compile()

    module = DistillationModule(
        model,
        optimizer=instantiate(cfg.optim.optimizer),
        teacher=teacher,
        T=cfg.kd.T,
        alpha=alpha,
        label_smoothing=float(cfg.kd.get("label_smoothing", 0.0)),
        cache=cfg.kd.cache,
        cache_dir=cfg.paths.cache_dir,
        warmup_epochs=cfg.optim.warmup_epochs,
        min_lr_ratio=cfg.optim.min_lr_ratio,
        no_decay_norm_and_bias=cfg.optim.no_decay_norm_and_bias,
        num_classes=cfg.data.num_classes,
        net_config=OmegaConf.to_container(cfg.model, resolve=True) if task == "student" else None,
    )
    if cfg.get("ckpt_path") and cfg.ckpt_path not in ("last", "best", "hpc", "registry"):
        _check_resume(module, cfg.ckpt_path)  # Lightning finds those four itself
    hw_cfg, hardware = None, None
    if task == "student" and cfg.hw.enabled:  # a bad hw.* value is reported before Lightning starts
        hw_cfg = hardware_config(OmegaConf.to_container(cfg.hw, resolve=True), cfg.model.quant.bits)
        hardware = _hardware(hw_cfg)
    trainer: L.Trainer = instantiate(
        cfg.trainer,
        precision=_precision(cfg.trainer.precision),
        callbacks=[instantiate(c) for c in (cfg.get("callbacks") or {}).values()] + extra_callbacks,
        logger=_loggers(cfg.get("logger") or {}),
    )
    # weights_only=False: these are this project's own checkpoints (they hold hyper-parameters)
    trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"), weights_only=False)

    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    best_score = trainer.checkpoint_callback.best_model_score if best else None
    val_acc = _metric(
        best_score if best_score is not None else trainer.callback_metrics.get("val/acc")
    )
    tested = trainer.test(
        module, datamodule=datamodule, ckpt_path=best or None, verbose=False, weights_only=False
    )
    test_acc = _metric(tested[0].get("test/acc")) if tested else None

    if task == "teacher":
        checkpoint_path = out_dir / "teacher.pth"
        torch.save(model.net.state_dict(), checkpoint_path)  # {backbone.*, classifier.*}
    else:
        checkpoint_path = best or (out_dir / "checkpoints" / "final.ckpt")
        if not best:
            trainer.save_checkpoint(checkpoint_path)
    net = model.net.cpu()
    input_shape = (1, 3, datamodule.image_size, datamodule.image_size)
    energy = None
    if hardware is not None:
        energy = estimate_energy(net, input_shape, hw_cfg, out_dir=out_dir, hardware=hardware)
    result = TrainResult(
        task=task,
        val_acc=val_acc,
        test_acc=test_acc,
        energy_pj=energy["total_pj"] if energy else None,
        energy=energy,
        params=count_parameters(net),
        macs=count_macs(net, input_shape) if task == "student" else 0,
        checkpoint_path=str(checkpoint_path),
        wall_time_s=time.perf_counter() - start,
        run_dir=str(out_dir),
    )
    _log_result(trainer, result)
    (out_dir / "result.json").write_text(result.to_json())
    energy = "not estimated"
    if result.energy is not None:
        where = f"{result.energy['arch']} at {result.energy['datawidth']} bits"
        energy = f"{result.energy_pj / 1e6:.4g} µJ ({where}, {pricing_label(result.energy)})"
    log.info(
        "%s: val acc %s, test acc %s, energy %s, %d params, %d MACs -> %s",
        task, val_acc, test_acc, energy, result.params, result.macs, out_dir / "result.json",
    )  # fmt: skip
    return result


def _networks(cfg: DictConfig, datamodule) -> tuple[ImageClassifier, ImageClassifier | None]:
    """(the network to train, its teacher or None) for cfg.task."""
    if cfg.task.name == "teacher":
        if not str(cfg.teacher.get("_target_", "")).endswith("dinov2_teacher"):
            raise UserError("task=teacher fine-tunes a DINOv2 teacher: use teacher=dinov2_small")
        return instantiate(cfg.teacher, checkpoint=None, load_pretrained=True), None
    student = ImageClassifier(instantiate(cfg.model), datamodule.student_input())
    if float(cfg.kd.alpha) == 0:
        return student, None  # cross-entropy only: the teacher is not even loaded
    if not cfg.get("teacher"):
        raise UserError("kd.alpha > 0 needs a teacher: choose one (teacher=...) or use kd=none")
    return student, instantiate(cfg.teacher)


def _check_resume(module: DistillationModule, path: str) -> None:
    """A checkpoint to resume from must be readable and hold exactly this run's student."""
    checkpoint = read_checkpoint(path, "ckpt_path")
    state = checkpoint.get("state_dict") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise UserError(f"ckpt_path: {path} is not a Lightning checkpoint of this project")
    own = {k: v for k, v in module.state_dict().items() if not k.startswith("teacher.")}
    state = {k: v for k, v in state.items() if not k.startswith("teacher.")}
    details = state_dict_mismatch(own, state, "this run's model wants")
    if details:
        raise UserError(
            f"ckpt_path: {path} does not fit this run's model (model.*, model.quant.*): {details}"
        )


def _metric(value) -> float | None:
    return None if value is None else float(value)


def _precision(precision) -> str | int:
    """'auto': mixed precision on a GPU (bf16 where supported), full precision on a CPU."""
    if str(precision) != "auto":
        return precision
    if torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"


def _loggers(logger_cfg: DictConfig) -> list:
    loggers = []
    for name, one in logger_cfg.items():
        if "WandbLogger" in str(one.get("_target_", "")) and needs_offline(one):
            log.warning(
                "no W&B credentials: logging %s offline (sync later with `wandb sync`)", name
            )
            # wandb's own mode, not Lightning's offline flag: that one sets WANDB_MODE for the rest
            # of the process, which later runs (a sweep's trials) would take for a user's choice
            one = OmegaConf.merge(one, {"mode": "offline"})
        loggers.append(instantiate(one))
    return loggers


def _hardware(hw_cfg: dict):
    """hw_energy.load_hardware, or None (with a warning) where hwsim's energy parts are missing."""
    try:
        return load_hardware(hw_cfg)
    except ImportError as e:
        log.warning("energy not estimated: hwsim's network energy is not available (%s)", e)
        return None


def _log_result(trainer: L.Trainer, result: TrainResult) -> None:
    metrics = {"model/params": result.params, "model/macs": result.macs}
    if result.test_acc is not None:
        metrics["test/acc"] = result.test_acc
    if result.energy_pj is not None:
        metrics["energy/total_uj"] = result.energy_pj * 1e-6
    for lg in trainer.loggers:
        lg.log_metrics(metrics, step=trainer.global_step)
        if result.energy and hasattr(lg, "log_table"):  # W&B: the per-layer breakdown as a table
            import pandas as pd

            lg.log_table("energy/layers", dataframe=pd.DataFrame(result.energy["layers"]))
        lg.save()


# --- command line ----------------------------------------------------------------------------


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
@job
def main(cfg: DictConfig) -> float | None:
    return train(cfg).val_acc


def cli() -> None:
    try:
        run_command(main, "train.py")
    except Preempted as stopped:  # never exit 0 without a result: 128 + the signal's number
        resume = f"; continue with ckpt_path={stopped.checkpoint}" if stopped.checkpoint else ""
        print(f"train.py: {stopped.message}{resume}", file=sys.stderr)
        sys.exit(stopped.exit_code)


if __name__ == "__main__":
    cli()
