"""Design-space exploration: an Optuna study over distillation, the student's architecture and,
optionally, the accelerator. It maximises accuracy and minimises inference energy subject to
accuracy >= 85 % (conf/sweep.yaml), and ends with trials.csv, pareto.csv, two plots and report.md.

    python sweep.py experiment=demo                    # 16 small trials on synthetic data (CPU, ~2 min)
    python sweep.py experiment=demo sweep.n_trials=24  # the same study, 8 trials more
    python sweep.py experiment=demo sweep.n_trials=0   # rebuild the reports only
    python sweep.py teacher.checkpoint=/path/to/dino_small_cifar10.pth    # the real study (GPU)
    python sweep.py sweep/accelerator=codesign         # the PE array and buffers are searched too
    python -m codesign.report outputs/sweeps/demo/study.db               # reports from the storage

Outputs go to outputs/sweeps/<sweep.study_name>/ (trials under trials/<number>/); the study lives
in study.db there unless sweep.storage names another, and any run with the same name and storage
resumes it, several workers at once included. `run_sweep(cfg)` is the whole run and returns a
`SweepResult`. A mistake in the command line or the config is reported in one line, exit status 2.
"""

import copy
import gc
import json
import logging
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import hydra
import optuna
from omegaconf import DictConfig, OmegaConf, open_dict

import train  # sets HWKD_ROOT, which conf/paths reads
from codesign import tracking
from codesign.energy import EnergyModel
from codesign.failures import sigterm_as_interrupt
from codesign.report import write_report
from codesign.retrain import sweep_overrides
from codesign.settings import SweepSettings
from codesign.stopping import StopRules
from codesign.storage import open_storage
from codesign.study import fixed_training_config, open_study
from codesign.trial import TrainFn, TrialRunner
from models.errors import UserError, exit_with, run_command

log = logging.getLogger("sweep")


@dataclass(frozen=True)
class SweepResult:
    study_name: str
    storage: str  # URL (or journal:<file>) of the study
    output_dir: str
    ran: list[int]  # trials this run started, whatever became of them
    counts: dict[str, int]  # trials of the whole study per state (complete, pruned, fail, running)
    pareto: list[int]  # trial numbers on the front
    chosen: int | None  # the student the report presents
    files: dict[str, str]  # trials_csv, pareto_csv, pareto_png, layers_png, report_md
    interrupted: bool  # Ctrl-C / SIGTERM: the trial in progress failed, the rest is stored
    seconds: dict[str, float]  # this run: total, train, energy (sums over its trials), report

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def run_sweep(cfg: DictConfig, train_fn: TrainFn | None = None) -> SweepResult:
    """Run (or resume) the study of `cfg` (conf/sweep.yaml composed) and write its reports.

    `train_fn(cfg, callbacks=...)` trains one trial: `train.train` unless given (tests pass theirs).
    """
    start = time.perf_counter()
    train_cfg = training_config(cfg)
    out_dir = Path(cfg.paths.output_dir)
    settings = SweepSettings.from_config(cfg.sweep, train_cfg, out_dir)
    attrs = settings.study_attrs(train_cfg)
    attrs |= {"train_overrides": sweep_overrides(), "training": fixed_training_config(train_cfg)}
    study = open_study(
        open_storage(settings.storage, settings.heartbeat_s),
        settings.study_name,
        settings.objectives,
        settings.sampler,
        settings.seed,
        attrs,
    )
    runner = TrialRunner(
        train_cfg=train_cfg,
        space=settings.space,
        energy=EnergyModel(
            OmegaConf.to_container(train_cfg.hw, resolve=True), train_cfg.data.image_size
        ),
        objectives=settings.objectives,
        constraints=settings.constraints,
        curve=settings.curve,
        output_dir=out_dir,
        study_name=settings.study_name,
        train_fn=train_fn or train.train,
    )
    stop = StopRules(settings.n_trials, settings.max_failures_in_a_row)
    before = {t.number for t in study.get_trials(deepcopy=False)}
    interrupted = False
    if stop.remaining(study) > 0:
        log.info(
            "study %r: %d more finished trials wanted -> %s",
            settings.study_name,
            stop.remaining(study),
            out_dir,
        )
        # what is alive now (torch, Lightning, configs) outlives the study: leave it out of the
        # collection after every trial (gc_after_trial frees each run's cycles: ~0.2 s -> ~0.02 s)
        gc.freeze()
        with sigterm_as_interrupt():
            try:
                study.optimize(
                    runner,
                    timeout=settings.timeout,
                    catch=(Exception,),
                    callbacks=[stop, _log_trial],
                    gc_after_trial=True,
                )
            except KeyboardInterrupt:
                interrupted = True
                log.warning("interrupted: finished trials are stored; the same command resumes")
            finally:
                gc.unfreeze()
    else:
        log.info(
            "study %r holds %d finished trials, sweep.n_trials=%d: reports only",
            settings.study_name,
            settings.n_trials - stop.remaining(study),
            settings.n_trials,
        )

    t_report = time.perf_counter()
    report = (
        write_report(study, out_dir, settings.storage, settings.choose) if settings.report else None
    )
    if report is not None:
        tracking.log_summary(train_cfg, settings.study_name, out_dir, report)
    trials = study.get_trials(deepcopy=False)
    ran = [t for t in trials if t.number not in before]
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    result = SweepResult(
        study_name=settings.study_name,
        storage=settings.storage,
        output_dir=str(out_dir),
        ran=[t.number for t in ran],
        counts=counts,
        pareto=sorted(t.number for t in study.best_trials),
        chosen=None if report is None or report.chosen is None else int(report.chosen["number"]),
        files={k: str(v) for k, v in (report.files if report else {}).items()},
        interrupted=interrupted,
        seconds={
            "total": time.perf_counter() - start,
            "train": sum((t.user_attrs.get("time") or {}).get("train_s", 0.0) for t in ran),
            "energy": sum((t.user_attrs.get("time") or {}).get("energy_s", 0.0) for t in ran),
            "report": time.perf_counter() - t_report,
        },
    )
    if stop.gave_up:
        raise UserError(stop.gave_up)
    return result


def training_config(cfg: DictConfig) -> DictConfig:
    """The training recipe every trial starts from: the composed config without `sweep`."""
    train_cfg = copy.deepcopy(cfg)
    with open_dict(train_cfg):
        del train_cfg["sweep"]
    return train_cfg


def _log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
    a = trial.user_attrs
    t = a.get("time") or {}
    timing = f"{t.get('total_s', 0):.0f} s (train {t.get('train_s', 0):.0f} s, energy {t.get('energy_s', 0):.2f} s)"
    if trial.state.name == "COMPLETE":
        result = a["result"]
        log.info(
            "trial %d: %s accuracy %.1f %%, %.4g µJ, %s; %s",
            trial.number,
            study.user_attrs.get("metric", "val"),
            100 * result["accuracy"],
            a["energy"]["total_uj"],
            "feasible" if result["feasible"] else "infeasible",
            timing,
        )
    else:
        reason = a.get("fail_reason") or a.get("prune_reason") or ""
        log.info("trial %d %s: %s; %s", trial.number, trial.state.name.lower(), reason, timing)


# --- command line ----------------------------------------------------------------------------


@hydra.main(version_base="1.3", config_path="conf", config_name="sweep")
def main(cfg: DictConfig) -> None:
    optuna.logging.disable_default_handler()  # Optuna's messages go through Hydra's log handlers
    optuna.logging.enable_propagation()
    result = run_sweep(cfg)
    print(f"study {result.study_name}: {result.counts} -> {result.output_dir}")
    if "report_md" in result.files:
        print(f"report: {result.files['report_md']}")
    if result.interrupted:
        sys.exit(130)


def cli() -> None:
    """`python sweep.py`, under train.py's contract: user mistakes (Optuna's storage errors
    included) in one line with exit status 2, bugs with their traceback."""
    if any(a in ("experiment=null", "experiment=none") for a in sys.argv[1:]):
        exit_with(
            "sweep.py needs an experiment: experiment=demo or experiment=cifar10_kd (the default)"
        )
    run_command(main, "sweep.py", user_errors=(optuna.exceptions.OptunaError,))


if __name__ == "__main__":
    cli()
