"""Design-space exploration: an Optuna study over distillation, the student's architecture and,
optionally, the accelerator. It maximises accuracy and minimises inference energy subject to
accuracy >= 85 % (conf/sweep.yaml), and ends with trials.csv, pareto.csv, two plots and report.md.

    python sweep.py experiment=demo                    # 16 small trials on synthetic data (CPU, ~2 min)
    python sweep.py experiment=demo sweep.n_trials=24  # the same study, 8 trials more
    python sweep.py experiment=demo sweep.n_trials=0   # rebuild the reports only
    python sweep.py teacher.checkpoint=/path/to/dino_small_cifar10.pth    # the real study (GPU)
    python sweep.py sweep/accelerator=codesign         # the PE array and buffers are searched too
    python -m codesign.report outputs/sweeps/demo/study.db               # reports from the storage
    python sweep.py experiment=demo sweep.workers=2    # two worker processes of one study
    python sweep.py -m sweep/cluster=slurm sweep.storage=postgresql://...  # a SLURM job array

Outputs go to outputs/sweeps/<sweep.study_name>/ (trials under trials/<number>/); the study lives
in study.db there unless sweep.storage names another, and any run with the same name and storage
resumes it, several workers at once included; the study holds exactly sweep.n_trials finished
trials however many workers ran it. A stop signal (SIGTERM, SIGUSR1/2) queues the trial in
progress again from a checkpoint and exits with 128 + the signal. `run_sweep(cfg)` is the whole
run and returns a `SweepResult`. A mistake in the command line or the config is reported in one
line, exit status 2.
"""

import copy
import gc
import json
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import hydra
import optuna
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

import train  # sets HWKD_ROOT, which conf/paths reads
from codesign import tracking
from codesign.console import progress_line, quiet_terminal, summary_table
from codesign.energy import EnergyModel
from codesign.local_workers import CHILD_ENV, plan_workers, run_workers, visible_gpus
from codesign.report import write_report
from codesign.retrain import sweep_overrides
from codesign.settings import SweepSettings
from codesign.stopping import StopRules
from codesign.storage import open_storage
from codesign.study import fixed_training_config, open_study
from codesign.trial import TrainFn, TrialRunner
from codesign.worker import run_worker
from models.config_checks import check_training_config
from models.errors import UserError, exit_with, job, run_command
from models.preemption import Preempted, previous_handler, stop_signals

log = logging.getLogger("sweep")
#: trials.csv, pareto.csv and report.md are rewritten after every trial, the plots at most this often
PLOTS_EVERY_S = 60


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
    interrupted: bool  # Ctrl-C (or a worker that did not end well): the rest is stored
    seconds: dict[str, float]  # this run: total, train, energy (sums over its trials), report
    workers: list[int]  # exit statuses of the worker processes it started (sweep.workers > 1)
    summary: str  # the trials as a table, as printed at the end

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def run_sweep(cfg: DictConfig, train_fn: TrainFn | None = None) -> SweepResult:
    """Run (or resume) the study of `cfg` (conf/sweep.yaml composed) and write its reports.

    `train_fn(cfg, callbacks=...)` trains one trial: `train.train` unless given (tests pass theirs).
    A stop signal (models.preemption) queues the trial in progress again and raises Preempted
    once the reports are written.
    """
    start = time.perf_counter()
    train_cfg = training_config(cfg)
    check_training_config(train_cfg)  # the recipe every trial starts from, before the study opens
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
        quiet=bool(os.environ.get(CHILD_ENV)),
    )
    stop = StopRules(settings.n_trials, settings.max_failures_in_a_row)
    before = {t.number for t in study.get_trials(deepcopy=False)}
    interrupted, preempted, exit_codes = False, None, []
    if stop.remaining(study) <= 0:
        log.info(
            "study %r holds %d finished trials, sweep.n_trials=%d: reports only",
            settings.study_name,
            settings.n_trials - stop.remaining(study),
            settings.n_trials,
        )
    elif settings.workers > 1:
        log.info(
            "study %r: %d more finished trials wanted, %d workers -> %s",
            settings.study_name,
            stop.remaining(study),
            settings.workers,
            out_dir,
        )
        log.info("watch it live: optuna-dashboard %s", dashboard_storage(settings.storage))
        exit_codes = _run_local_workers(cfg, settings.workers, out_dir)
        interrupted = any(code != 0 for code in exit_codes)
    else:
        if not os.environ.get(CHILD_ENV):
            log.info(
                "study %r: %d more finished trials wanted -> %s",
                settings.study_name,
                stop.remaining(study),
                out_dir,
            )
            log.info("watch it live: optuna-dashboard %s", dashboard_storage(settings.storage))
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
            worker=worker_name(settings.worker),
        )

        plotted = [time.monotonic()]

        def after_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> bool:
            metric = settings.objectives.metric
            log.info(progress_line(trial, settings.n_trials, metric, settings.worker is not None))
            if settings.report:  # so that a study stopped at any moment shows what it has
                plots = time.monotonic() - plotted[0] > PLOTS_EVERY_S  # the slow part
                write_report(study, out_dir, settings.storage, settings.choose, plots=plots)
                plotted[0] = time.monotonic() if plots else plotted[0]
            return stop(study, trial)

        # what is alive now (torch, Lightning, configs) outlives the study: leave it out of the
        # collection after every trial (the collection after each run: ~0.2 s -> ~0.02 s)
        gc.freeze()
        try:
            with stop_signals():
                run_worker(study, runner, settings.n_trials, after_trial, settings.timeout)
        except KeyboardInterrupt:
            interrupted = True
            log.warning("interrupted: finished trials are stored; the same command resumes")
        except Preempted as e:
            preempted = e
            log.warning("%s: the trial in progress is queued again, to go on from there", e.name)
        finally:
            gc.unfreeze()

    t_report = time.perf_counter()
    report = (
        write_report(study, out_dir, settings.storage, settings.choose) if settings.report else None
    )
    if report is not None and not os.environ.get(CHILD_ENV):
        tracking.log_summary(train_cfg, settings.study_name, out_dir, report)
    if preempted is not None:
        raise preempted
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
        workers=exit_codes,
        summary=(summary_table(report.trials, list(report.searched)) if report is not None else ""),
    )
    if stop.gave_up:
        raise UserError(stop.gave_up)
    return result


def dashboard_storage(url: str) -> str:
    """The storage as optuna-dashboard takes it (a journal as its file)."""
    return url.removeprefix("journal:")


def worker_name(worker: int | str | None) -> str:
    """How trials.csv's `worker` column names this process: host/w<index>, or host/pid<pid>."""
    host = socket.gethostname()
    if worker is None:
        return f"{host}/pid{os.getpid()}"
    return f"{host}/w{worker}" if isinstance(worker, int) else f"{host}/{worker}"


def _run_local_workers(cfg: DictConfig, n: int, out_dir: Path) -> list[int]:
    try:
        overrides = list(HydraConfig.get().overrides.task)
    except ValueError as e:  # composed outside a Hydra run: no command line to start again
        raise UserError(
            f"sweep.workers={n} starts `python sweep.py` processes: use it on the command line"
        ) from e
    plans = plan_workers(
        n,
        Path(__file__).resolve(),
        overrides,
        out_dir.resolve(),
        cfg.get("num_threads"),
        visible_gpus(),
        os.cpu_count() or 1,
    )
    return run_workers(plans)


def training_config(cfg: DictConfig) -> DictConfig:
    """The training recipe every trial starts from: the composed config without `sweep`."""
    train_cfg = copy.deepcopy(cfg)
    with open_dict(train_cfg):
        del train_cfg["sweep"]
    return train_cfg


# --- command line ----------------------------------------------------------------------------


@hydra.main(version_base="1.3", config_path="conf", config_name="sweep")
@job
def main(cfg: DictConfig) -> None:
    optuna.logging.disable_default_handler()  # Optuna's messages go through Hydra's log handlers
    optuna.logging.enable_propagation()
    quiet_terminal()  # one line per trial; Lightning's and the trials' logs go to files
    try:
        result = run_sweep(cfg)
    except Preempted as stopped:
        requeue_and_exit(stopped)
    if not os.environ.get(CHILD_ENV):
        if result.summary:
            print(result.summary)
        print(f"study {result.study_name}: {result.counts} -> {result.output_dir}")
        if "report_md" in result.files:
            print(f"report: {result.files['report_md']}")
    if result.interrupted:
        sys.exit(next((c for c in result.workers if c != 0), 130))


def requeue_and_exit(stopped: Preempted) -> None:
    """After a stop signal: the handler it replaced runs (submitit's requeues the job: its
    launcher's checkpoint), then the process exits with 128 + the signal's number, never 0."""
    handler = previous_handler(stopped.signum)
    if callable(handler) and handler is not signal.default_int_handler:
        handler(stopped.signum, None)
    print(f"sweep.py: {stopped.message}; the same command resumes the study", file=sys.stderr)
    sys.exit(stopped.exit_code)


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
