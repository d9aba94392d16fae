"""One trial: sample, price the architecture, train, and record everything in the storage.

Order: the sampled values become the trial's training config (and accelerator); the untrained
student's energy and area come first (milliseconds once the layers are mapped) and are stored;
a trial whose energy or area alone breaks a constraint is pruned untrained; then `train()` runs
in <output dir>/trials/<number>/ with two callbacks (a non-finite loss fails the trial, a
hopeless one is pruned), and accuracy, timings and the constraints are stored.

User attributes of a trial (trials.csv and report.md are built from them alone; each is one
write to the storage, so they are few):
  run_dir      the trial's folder (trials/<number>); its train.log holds the run's log
  worker       who ran it: <host>/w<sweep.worker>, or <host>/pid<pid> outside a worker
  energy       {total_uj, by_level_uj, layers (hwsim's per-layer rows), area_mm2, student,
               accelerator, datawidth, energy_table, objective, macs, params, mapped_layers}
  config       the trial's whole training config
  val_curve    val accuracy after each epoch (trained trials, pruned ones included)
  result       {accuracy (the study's metric), val_acc, test_acc, checkpoint, feasible}
  time         {energy_s, train_s, total_s}
  fail_reason or prune_reason
  preempted    {signal, checkpoint}: stopped by its scheduler; the worker that claims it next
               trains on from the checkpoint (models.preemption, codesign.worker)
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import optuna
from omegaconf import DictConfig, OmegaConf, open_dict

from codesign import tracking
from codesign.console import trial_log
from codesign.energy import EnergyModel
from codesign.failures import NonFiniteLossGuard, failure_reason, release_memory
from codesign.objectives import Constraints, Objectives
from codesign.pruning import AccuracyCurve, HopelessRunStopper
from codesign.retrain import save_config
from codesign.space import SearchSpace
from models.config_dict import config_dict
from models.preemption import Preempted

TrainFn = Callable[..., Any]  # train.train(cfg, callbacks=...) -> TrainResult


class TrialRunner:
    """The study's objective function (see module docstring)."""

    def __init__(
        self,
        *,
        train_cfg: DictConfig,
        space: SearchSpace,
        energy: EnergyModel,
        objectives: Objectives,
        constraints: Constraints,
        curve: AccuracyCurve | None,
        output_dir: Path,
        study_name: str,
        train_fn: TrainFn,
        worker: str,
    ):
        self.train_cfg, self.space, self.energy = train_cfg, space, energy
        self.objectives, self.constraints, self.curve = objectives, constraints, curve
        self.output_dir, self.study_name, self.train_fn = Path(output_dir), study_name, train_fn
        self.worker = worker

    def __call__(self, trial: optuna.Trial) -> list[float]:
        start = time.perf_counter()
        failed = True
        timing: dict[str, float] = {}  # energy_s, train_s: stored with total_s, in one write
        run_dir = self.output_dir / "trials" / f"{trial.number:04d}"
        try:
            values = self.space.suggest(trial)
            cfg = self.trial_config(values, run_dir, trial.number)
            resume = (trial.user_attrs.get("preempted") or {}).get("checkpoint")
            if resume and Path(resume).is_file():
                resume_from(cfg, resume)
            trial.set_user_attr("run_dir", str(run_dir))
            trial.set_user_attr("worker", self.worker)
            with trial_log(run_dir / "train.log"):
                result = self._run(trial, cfg, values, timing)
            failed = False
            return result
        except optuna.TrialPruned as e:
            failed = False
            trial.set_user_attr("prune_reason", str(e))
            raise
        except Preempted as e:  # queued again by the worker, to go on from the checkpoint
            failed = False
            checkpoint = e.checkpoint or (trial.user_attrs.get("preempted") or {}).get("checkpoint")
            trial.set_user_attr("preempted", {"signal": e.name, "checkpoint": checkpoint})
            raise
        except (Exception, KeyboardInterrupt) as e:
            trial.set_user_attr("fail_reason", failure_reason(e))
            release_memory()
            raise
        finally:
            trial.set_user_attr("time", {**timing, "total_s": time.perf_counter() - start})
            tracking.finish_trial_run(failed)

    def trial_config(self, values: Mapping[str, Any], run_dir: Path, number: int) -> DictConfig:
        """The training config of one trial: the study's recipe with the sampled values."""
        cfg = copy.deepcopy(self.train_cfg)
        with open_dict(cfg):
            for key, value in self.space.training(values).items():
                OmegaConf.update(cfg, key, value, merge=False)
            cfg.paths.output_dir = str(run_dir)
            cfg.hw.enabled = False  # the sweep prices the student itself, before training
            cfg.trainer.enable_progress_bar = False  # the study prints one line per trial
        tracking.configure_trial_run(cfg, self.study_name, number, values)
        return cfg

    def _run(
        self,
        trial: optuna.Trial,
        cfg: DictConfig,
        values: Mapping[str, Any],
        timing: dict[str, float],
    ) -> list[float]:
        t0 = time.perf_counter()
        energy = self.energy(cfg.model, self.space.accelerator(values))
        timing["energy_s"] = time.perf_counter() - t0
        trial.set_user_attr("energy", {f.name: getattr(energy, f.name) for f in fields(energy)})
        trial.set_user_attr("config", _container(cfg))
        save_config(cfg, Path(cfg.paths.output_dir) / "config.yaml", self.train_cfg)
        self.objectives.refuse_unmeasured(energy.area_mm2)
        too_costly = self.constraints.before_training(energy.total_uj, energy.area_mm2)
        if too_costly:
            raise optuna.TrialPruned(f"not trained: {too_costly}")

        stopper = HopelessRunStopper(self.curve, cfg.trainer.max_epochs)
        t0 = time.perf_counter()
        try:
            result = self.train_fn(cfg, callbacks=[NonFiniteLossGuard(), stopper])
        except SystemExit as e:  # Lightning turns Ctrl-C during fit into exit(1)
            raise KeyboardInterrupt(f"training stopped (exit {e.code})") from e
        finally:
            timing["train_s"] = time.perf_counter() - t0
            trial.set_user_attr("val_curve", stopper.history)
        accuracy = result.val_acc if self.objectives.metric == "val" else result.test_acc
        if accuracy is None or not math.isfinite(accuracy):
            raise RuntimeError(f"the run measured no {self.objectives.metric} accuracy")
        feasible = self.constraints.apply(trial, accuracy, energy.total_uj, energy.area_mm2)
        trial.set_user_attr(
            "result",
            {
                "accuracy": accuracy,
                "val_acc": result.val_acc,
                "test_acc": result.test_acc,
                "checkpoint": result.checkpoint_path,
                "feasible": feasible,
            },
        )
        measured = {"accuracy": accuracy, "energy_uj": energy.total_uj, "area_mm2": energy.area_mm2}
        return self.objectives.values(measured)


def resume_from(cfg: DictConfig, checkpoint: str) -> None:
    """Train on from a preempted run's checkpoint (in place); CSV logs go to a new version
    folder (Lightning's CSV writer cannot append rows with keys the old file's header lacks)."""
    with open_dict(cfg):
        cfg.ckpt_path = checkpoint
        csv = (cfg.get("logger") or {}).get("csv")
        if csv is not None and "version" in csv:
            csv.version = f"resumed-{time.strftime('%Y%m%d-%H%M%S')}"


def _container(cfg: DictConfig) -> dict:
    try:
        return config_dict(cfg, "the trial's config", resolve=True)
    except Exception:  # an interpolation only Hydra's run can resolve: keep it as written
        return config_dict(cfg, "the trial's config")
