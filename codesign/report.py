"""Everything a study produced, rebuilt from its storage alone:

    python -m codesign.report outputs/sweeps/demo/study.db            # the only study in it
    python -m codesign.report postgresql://host/db --study cifar --out reports/cifar

writes trials.csv, pareto.csv, pareto.png (the front), energy_layers.png (the chosen student's
energy per layer and storage level) and report.md (the chosen student, its training settings,
accuracy and energy, the front and a data-driven discussion of the trade-off) into --out (by
default the folder of a SQLite or journal file). `python sweep.py ... sweep.n_trials=0` does the
same through the sweep's config. The chosen student is the lowest-energy feasible trial on the
front (`sweep.choose=min_energy`), or the most accurate feasible one (`max_accuracy`); --choose
overrides the study's last sweep.choose.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from codesign.discussion import discuss
from codesign.plots import plot_layer_energy, plot_pareto
from codesign.retrain import retrain_command
from codesign.space import Param, describe_range
from codesign.storage import existing_file, open_storage, storage_url
from codesign.tables import pareto_frame, trials_frame
from models.errors import UserError

#: sweep.choose: the lowest-energy or the most accurate feasible trial on the front
CHOICES = ("min_energy", "max_accuracy")
FILES = {
    "trials_csv": "trials.csv",
    "pareto_csv": "pareto.csv",
    "pareto_png": "pareto.png",
    "layers_png": "energy_layers.png",
    "report_md": "report.md",
}


@dataclass
class Report:
    study_name: str
    storage: str
    trials: pd.DataFrame
    pareto: pd.DataFrame
    chosen: dict[str, Any] | None  # the chosen trial's row of trials.csv
    study_attrs: dict[str, Any]
    rule: str = "min_energy"  # how `chosen` was chosen (sweep.choose)
    searched: dict[str, str] = field(default_factory=dict)  # {searched key: its range}
    files: dict[str, Path] = field(default_factory=dict)


def write_report(
    study: optuna.Study,
    out_dir: str | Path,
    storage: str = "",
    rule: str | None = None,
    plots: bool = True,
) -> Report:
    """Write every output of the study into out_dir (see module docstring); `rule` chooses the
    student (sweep.choose), by default the one the study's last run stored. `plots=False` leaves
    the plots as they are (the tables and report.md are rewritten: a refresh between trials)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    attrs = dict(study.user_attrs)
    rule = rule or attrs.get("choose", "min_energy")
    trials = trials_frame(study)
    pareto = pareto_frame(trials)
    chosen_row = choose(trials, pareto, rule)
    chosen = None if chosen_row is None else {str(k): v for k, v in chosen_row.to_dict().items()}
    report = Report(
        study.study_name, storage, trials, pareto, chosen, attrs, rule, searched_keys(study)
    )
    files = {name: out / filename for name, filename in FILES.items()}
    with replacing(files["trials_csv"]) as tmp:
        trials.to_csv(tmp, index=False)
    with replacing(files["pareto_csv"]) as tmp:
        pareto.to_csv(tmp, index=False)
    objectives = attrs.get("objectives", ["accuracy", "energy"])
    floor = float((attrs.get("constraints") or {}).get("min_accuracy", 0.0))
    if plots:
        with replacing(files["pareto_png"]) as tmp:
            plot_pareto(
                trials,
                floor,
                tmp,
                chosen=None if chosen is None else int(chosen["number"]),
                color_by_area="area" in objectives,
                title=f"study {study.study_name}: {attrs.get('metric', 'val')} accuracy vs energy"
                + (f"\n({pricing(trials)})" if pricing(trials) else ""),
            )
    chosen_trial = None
    if chosen is not None:
        chosen_trial = study.get_trials(deepcopy=False)[int(chosen["number"])]
        energy = chosen_trial.user_attrs.get("energy") or {}
        layers, levels = energy.get("layers") or [], list(energy.get("by_level_uj") or {})
        if layers and plots:
            with replacing(files["layers_png"]) as tmp:
                plot_layer_energy(
                    layers,
                    levels,
                    tmp,
                    title=f"trial #{chosen['number']}: {chosen['energy_uj']:.4g} µJ per inference, "
                    f"{_pct(chosen['accuracy'])} {attrs.get('metric', 'val')} accuracy\n"
                    f"({energy.get('datawidth')}-bit words, {_pricing_of(energy)})",
                )
    for plot in ("pareto_png", "layers_png"):
        if not files[plot].exists():
            files.pop(plot)
    with replacing(files["report_md"]) as tmp:
        tmp.write_text(render_markdown(report, chosen_trial, files))
    report.files = files
    return report


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary name to write `path` under, renamed over it when done: workers refreshing
    the reports after each trial never leave a half-written file for a reader."""
    tmp = path.with_name(f".{path.stem}.{socket.gethostname()}.{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def searched_keys(study: optuna.Study) -> dict[str, str]:
    """{key: range} of every searched key: the space the study was started with, then any key
    a later run added (its range from the last trial that drew it)."""
    searched = dict(study.user_attrs.get("space") or {})
    for trial in reversed(study.get_trials(deepcopy=False)):
        for key, distribution in trial.distributions.items():
            if key not in searched:
                searched[key] = describe_range(Param(key, distribution)) + " (added by a later run)"
    return searched


def pricing(trials: pd.DataFrame) -> str:
    """The energy tables and mapper objectives that priced the trials (several when a resumed
    study changed hw.energy or hw.objective): ``energy table models, mapper objective [...]``."""
    columns = [c for c in ("energy_table", "objective") if c in trials]
    if len(columns) < 2:
        return ""
    used = trials[columns].dropna().drop_duplicates()
    return "; ".join(_pricing_of(row) for _, row in used.iterrows())


def _pricing_of(energy: Mapping[str, Any] | pd.Series) -> str:
    return f"energy table {energy.get('energy_table')}, mapper objective {energy.get('objective')}"


def choose(trials: pd.DataFrame, pareto: pd.DataFrame, rule: str) -> pd.Series | None:
    """The student the report presents (see module docstring); without a feasible trial, the
    most accurate complete one (the report says it misses the floor)."""
    if len(pareto):
        if rule == "max_accuracy":
            return pareto.sort_values(["accuracy", "energy_uj"], ascending=[False, True]).iloc[0]
        return pareto.sort_values(["energy_uj", "accuracy"], ascending=[True, False]).iloc[0]
    done = trials[trials["state"].eq("complete")]
    if not len(done):
        return None
    return done.sort_values(["accuracy", "energy_uj"], ascending=[False, True]).iloc[0]


# --- report.md --------------------------------------------------------------------------------


def render_markdown(
    report: Report, chosen: optuna.trial.FrozenTrial | None, files: Mapping[str, Path]
) -> str:
    attrs, trials = report.study_attrs, report.trials
    metric = attrs.get("metric", "val")
    constraints = attrs.get("constraints") or {}
    floor = float(constraints.get("min_accuracy", 0.0))
    counts = trials["state"].value_counts().to_dict() if len(trials) else {}
    n_feasible = (
        int((trials["state"].eq("complete") & trials["feasible"].eq(True)).sum())
        if len(trials)
        else 0
    )
    objectives = attrs.get("objectives", ["accuracy", "energy"])
    lines = [
        f"# Co-design study `{report.study_name}`",
        "",
        f"Maximise {metric} accuracy and minimise inference energy"
        + (" and on-chip area" if "area" in objectives else "")
        + f" on `{attrs.get('hw_arch', 'the accelerator')}`"
        + (f" ({pricing(trials)})" if pricing(trials) else "")
        + f", subject to accuracy ≥ {_pct(floor)}"
        + "".join(
            f", {label} ≤ {constraints[key]:g} {unit}"
            for key, label, unit in (
                ("max_energy_uj", "energy", "µJ"),
                ("max_area_mm2", "area", "mm²"),
            )
            if constraints.get(key) is not None
        )
        + ".",
        "",
        f"{len(trials)} trials: {counts.get('complete', 0)} complete ({n_feasible} feasible), "
        f"{counts.get('pruned', 0)} pruned, {counts.get('fail', 0)} failed"
        + (f", {counts['running']} running" if counts.get("running") else "")
        + f". Sampler: {attrs.get('sampler', '?')}. Storage: `{report.storage or '?'}`.",
        "",
    ]
    lines += _chosen_section(report, chosen, floor, metric)
    if "pareto_png" in files:
        lines += ["![accuracy against energy](pareto.png)", ""]
    if "layers_png" in files:
        lines += ["![energy of the chosen student per layer](energy_layers.png)", ""]
    lines += _front_section(report)
    lines += ["## Trade-off", ""]
    lines += [f"- {line}" for line in discuss(trials, list(report.searched))]
    lines += ["", *_study_section(report)]
    return "\n".join(lines).rstrip() + "\n"


def _chosen_section(report: Report, chosen, floor: float, metric: str) -> list[str]:
    if chosen is None:
        return ["## Chosen student", "", "No trial has completed yet.", ""]
    a, row = chosen.user_attrs, report.chosen
    assert row is not None, "a chosen trial has its row in the report"
    energy, result = a.get("energy") or {}, a.get("result") or {}
    why = (
        "the most accurate feasible trial on the Pareto front"
        if report.rule == "max_accuracy"
        else "the lowest-energy feasible trial on the Pareto front"
    )
    if not row.get("pareto"):
        why = f"**no trial reaches the {_pct(floor)} floor**: this is the most accurate one"
    cfg = a.get("config") or {}
    student = energy.get("student") or {}
    params = chosen.params
    bits = student.get("bits")
    by_level = energy.get("by_level_uj") or {}
    total = sum(by_level.values()) or 1.0
    shares = ", ".join(
        f"{lv} {v / total * 100:.0f} %"
        for lv, v in sorted(by_level.items(), key=lambda kv: -kv[1])
        if v > 0
    )
    acc = energy.get("accelerator") or {}
    rows = [
        ("Architecture", _architecture(student)),
        (
            "Quantization",
            f"{bits}-bit weights and activations ({energy.get('datawidth')}-bit words on the accelerator)"
            if bits
            else f"full precision ({energy.get('datawidth')}-bit words on the accelerator)",
        ),
        ("Distillation", _distillation(cfg)),
        ("Training", _training(cfg)),
        ("Teacher", _teacher(cfg)),
        ("Accuracy", f"val {_pct(result.get('val_acc'))}, test {_pct(result.get('test_acc'))}"),
        (
            "Energy",
            f"{energy.get('total_uj', float('nan')):.4g} µJ per inference on `{acc.get('name', '?')}`"
            + (
                f" ({acc['pe_array'][0]} rows × {acc['pe_array'][1]} columns of PEs)"
                if acc.get("pe_array")
                else ""
            )
            + (f"; {shares}" if shares else "")
            + (f"; {_pricing_of(energy)}" if energy.get("energy_table") else ""),
        ),
        (
            "Area",
            f"{energy['area_mm2']:.3g} mm² on chip"
            if energy.get("area_mm2") is not None
            else "n/a",
        ),
        (
            "Size",
            f"{energy.get('params', 0):,} parameters, {energy.get('macs', 0) / 1e6:,.2f} M MACs",
        ),
        ("Checkpoint", f"`{result.get('checkpoint')}`"),
    ]
    lines = [
        f"## Chosen student: trial #{chosen.number}",
        "",
        f"Chosen as {why}.",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in rows]
    overrides = report.study_attrs.get("train_overrides") or []
    if overrides:
        lines += ["", "Retrain it:", "", f"    {retrain_command(overrides, params)}"]
    if a.get("run_dir"):
        lines += [
            "",
            "or, with exactly the trial's training config (saved next to its checkpoints):"
            if overrides
            else "Retrain it with exactly the trial's training config:",
            "",
            f"    python train.py --config-dir {a['run_dir']} --config-name config",
        ]
    accel = {k: v for k, v in params.items() if k.startswith("accelerator.")}
    if accel:
        lines += [
            "",
            "Its accelerator (train.py prices hw.arch as shipped): "
            + ", ".join(f"{k[len('accelerator.') :]} = {v}" for k, v in accel.items())
            + ".",
        ]
    lines.append("")
    return lines


def _front_section(report: Report) -> list[str]:
    front = report.pareto
    if not len(front):
        return ["## Pareto front", "", "No feasible complete trial yet.", ""]
    searched = [k for k in report.searched if k in front]
    columns = [
        "number",
        "accuracy",
        "test_acc",
        "energy_uj",
        "area_mm2",
        "depth",
        "widths",
        "block",
        "bits",
    ]
    columns += [
        k
        for k in searched
        if k not in ("model.blocks", "model.width", "model.block", "model.quant.bits")
    ]
    header = "| " + " | ".join(_header(c) for c in columns) + " |"
    lines = ["## Pareto front", "", header, "|" + "---|" * len(columns)]
    for _, row in front.iterrows():
        lines.append("| " + " | ".join(_cell(c, row.get(c)) for c in columns) + " |")
    return [*lines, ""]


def _study_section(report: Report) -> list[str]:
    trials = report.trials
    lines = ["## Study", "", "| searched key | range |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in report.searched.items()]
    done = trials[trials["state"].eq("complete")]
    if len(done):
        lines += [
            "",
            f"Per complete trial: {done['train_s'].mean():.1f} s training, "
            f"{done['energy_s'].mean():.2f} s energy on average.",
        ]
    for state, column, title in (
        ("fail", "fail_reason", "Failed"),
        ("pruned", "prune_reason", "Pruned"),
    ):
        rows = trials[trials["state"].eq(state)]
        if len(rows):
            lines += ["", f"{title} trials:", ""]
            lines += [
                f"- #{r['number']}: {r[column] or 'no reason recorded'}" for _, r in rows.iterrows()
            ]
    storage = report.storage or "<storage>"
    if storage.startswith("sqlite:///"):
        storage = storage[len("sqlite:///") :]  # the file is enough
    lines += [
        "",
        "Regenerate these files from the storage alone: "
        f"`python -m codesign.report {storage} --study {report.study_name}`.",
    ]
    return lines


def _architecture(student: Mapping[str, Any]) -> str:
    if not student:
        return "?"
    shortcut = f", option-{student['shortcut']} shortcuts" if student.get("shortcut") else ""
    return (
        f"ResNet-{student.get('depth')}: {student.get('block')} blocks{shortcut}, "
        f"{student.get('blocks')} per stage, stage widths {student.get('widths')}"
    )


def _distillation(cfg: Mapping[str, Any]) -> str:
    kd = cfg.get("kd") or {}
    if not kd:
        return "?"
    if float(kd.get("alpha", 0)) == 0:
        return "none (α = 0: cross-entropy only)"
    return f"T = {float(kd['T']):.3g}, α = {float(kd['alpha']):.3g}"


def _training(cfg: Mapping[str, Any]) -> str:
    optim = (cfg.get("optim") or {}).get("optimizer") or {}
    trainer, data = cfg.get("trainer") or {}, cfg.get("data") or {}
    name = str(optim.get("_target_", "?")).rsplit(".", 1)[-1]
    extras = ", ".join(
        f"{k.replace('_', ' ')} {optim[k]:g}" for k in ("momentum", "weight_decay") if k in optim
    )
    source = data.get("source") or {}
    data_name = str(source.get("_target_", "?")).rsplit(".", 1)[-1]
    size = f", {source['n_train']} images" if "n_train" in source else ""
    subset = f", {data['train_subset']} images" if data.get("train_subset") else ""
    return (
        f"{name} (lr {float(optim.get('lr', float('nan'))):.3g}{', ' + extras if extras else ''}), "
        f"{trainer.get('max_epochs')} epochs, batch {data.get('batch_size')}, seed {cfg.get('seed')}; "
        f"data {data_name}{size}{subset}"
    )


def _teacher(cfg: Mapping[str, Any]) -> str:
    teacher = cfg.get("teacher") or {}
    if not teacher or float((cfg.get("kd") or {}).get("alpha", 0)) == 0:
        return "none"
    name = str(teacher.get("_target_", "?")).rsplit(".", 1)[-1]
    source = teacher.get("checkpoint") or teacher.get("path") or "random weights"
    return f"{name} ({source})"


def _header(column: str) -> str:
    return {
        "number": "trial",
        "accuracy": "accuracy",
        "test_acc": "test acc",
        "energy_uj": "energy (µJ)",
        "area_mm2": "area (mm²)",
    }.get(column, f"`{column}`")


def _cell(column: str, value: Any) -> str:
    if column == "bits" and (value is None or pd.isna(value)):
        return "full"
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if column in ("accuracy", "test_acc"):
        return _pct(value)
    if column == "number":
        return f"#{int(value)}"
    if column == "bits":
        return f"{int(value)}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _pct(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value) * 100:.1f} %"


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codesign.report",
        description="Rebuild trials.csv, pareto.csv, the plots and report.md from a study's storage.",
    )
    parser.add_argument("storage", help="a study.db / .journal file or a database URL")
    parser.add_argument("--study", help="the study's name (needed when the storage holds several)")
    parser.add_argument("--out", help="output folder (default: the storage file's folder)")
    parser.add_argument(
        "--choose",
        choices=CHOICES,
        help="the student report.md presents (default: the study's last sweep.choose)",
    )
    args = parser.parse_args(argv)
    try:
        report = regenerate(args.storage, args.study, args.out, args.choose)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in report.files.values():
        print(path)
    return 0


def regenerate(
    storage: str, study_name: str | None = None, out: str | None = None, rule: str | None = None
) -> Report:
    """What `python -m codesign.report` does: open the storage, find the study, write the files."""
    url = storage_url(storage, Path.cwd())
    file = existing_file(url)
    if file is not None and not file.is_file():
        raise UserError(f"no study storage at {file}")
    backend = open_storage(url, heartbeat_s=None)
    names = optuna.get_all_study_names(backend)
    if study_name is None:
        if len(names) != 1:
            raise UserError(f"{storage} holds {len(names)} studies {names}: name one with --study")
        study_name = names[0]
    elif study_name not in names:
        raise UserError(f"no study {study_name!r} in {storage}; it holds {names}")
    study = optuna.load_study(study_name=study_name, storage=backend)
    out_dir = (
        Path(out)
        if out
        else (file.parent if file is not None else Path.cwd() / f"report_{study_name}")
    )
    return write_report(study, out_dir, url, rule)


if __name__ == "__main__":
    sys.exit(main())
