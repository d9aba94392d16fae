"""Q3: the co-design study — its chosen student, the Pareto plot, the per-layer bars and the
trade-off — written by `codesign.report.write_report` (what ``python -m codesign.report``
writes) into ``q3/`` and completed here with the energy source and mapper objective the trials
were priced with and a few more comparisons drawn from the study's trials.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from codesign.report import Report, write_report
from codesign.storage import existing_file, open_storage, storage_url
from course.markdown import demote_headings, prefix_images
from models.errors import UserError

#: Where `python sweep.py experiment=demo` keeps its study, under the project root.
DEMO_STORAGE = Path("outputs") / "sweeps" / "demo" / "study.db"
ENERGY_SOURCES = {
    "hwcomponents": "the hwcomponents component models",
    "models": "the hwcomponents component models",  # its former name, in older studies
    "classic": "classic Accelergy 0.3, as the course ran it",
    "table1": "the assignment's Table 1",
}


@dataclass(frozen=True)
class StudySource:
    """Which study the report presents.

    Attributes:
        url: its Optuna storage URL.
        name: the study's name in that storage.
        demo: whether it is the demo study (no study was given).
        ran_demo: whether this report ran the demo study first (it did not exist yet).
    """

    url: str
    name: str
    demo: bool
    ran_demo: bool = False


@dataclass(frozen=True)
class Q3:
    """The study report and what the course's section adds to it.

    Attributes:
        source: the study.
        report: what `write_report` returned (trials, front, chosen row, files).
        chosen: the chosen trial (None before any trial completed).
    """

    source: StudySource
    report: Report
    chosen: optuna.trial.FrozenTrial | None


def find_study(storage: str | None, name: str | None, root: Path) -> StudySource:
    """The study to present, checked before anything is written: `storage` (a file or URL),
    or the demo study under `root` — run first when it does not exist yet."""
    demo, ran = storage is None, False
    if demo:
        path = root / DEMO_STORAGE
        if not path.is_file():
            run_demo_study(root)
            ran = True
        storage = str(path)
    url = storage_url(storage, Path.cwd())
    file = existing_file(url)
    if file is not None and not file.is_file():
        raise UserError(f"STUDY={storage}: no study storage at {file}")
    names = optuna.get_all_study_names(open_storage(url, heartbeat_s=None))
    if name is None:
        if len(names) != 1:
            raise UserError(
                f"STUDY={storage} holds {len(names)} studies {names}: name one (STUDY_NAME=)"
            )
        name = names[0]
    elif name not in names:
        raise UserError(f"STUDY_NAME={name}: no such study in {storage}; it holds {names}")
    return StudySource(url, name, demo, ran)


def run_demo_study(root: Path) -> None:
    """``python sweep.py experiment=demo`` in `root` (what ``make run`` does)."""
    script = root / "sweep.py"
    if not script.is_file():
        raise UserError(f"no study given and no sweep.py in {root} to run the demo study")
    print("report: no study given; running the demo study (python sweep.py experiment=demo)")
    done = subprocess.run([sys.executable, str(script), "experiment=demo"], cwd=root, check=False)
    if done.returncode != 0:
        raise UserError(
            f"the demo study failed (exit {done.returncode}); run `make run` to see why"
        )


def build_q3(source: StudySource, out_dir: Path) -> Q3:
    """Write the study's report files into `out_dir` and keep the chosen trial."""
    study = optuna.load_study(
        study_name=source.name, storage=open_storage(source.url, heartbeat_s=None)
    )
    report = write_report(study, out_dir, source.url)
    chosen = None
    if report.chosen is not None:
        chosen = study.get_trials(deepcopy=False)[int(report.chosen["number"])]
    return Q3(source, report, chosen)


def q3_markdown(q3: Q3, folder: str) -> str:
    """The Q3 section; `folder`: where the study's files are, relative to the report."""
    report_md = q3.report.files["report_md"].read_text()
    return "\n\n".join(
        [
            "## Q3: co-design of the student and its accelerator",
            _source(q3),
            _pricing(q3),
            demote_headings(prefix_images(report_md, folder), 2).strip(),
            "### The trade-off in numbers",
            "\n".join(f"- {line}" for line in trade_off(q3)),
        ]
    )


# --------------------------------------------------------------------------- text
def _source(q3: Q3) -> str:
    s = q3.source
    where = f"study `{s.name}` in `{s.url}`"
    if not s.demo:
        return f"From the {where}."
    return (
        f"**No study was given, so this is the demo study** ({where}"
        + (", run now by this report" if s.ran_demo else "")
        + "): synthetic images and a tiny random teacher, so its accuracies show that the "
        "pipeline works, not what the students can reach. `make report STUDY=path/to/study.db` "
        "presents a real study."
    )


def hw_settings(q3: Q3) -> dict[str, Any]:
    """The ``hw`` settings the trials were priced with: the chosen trial's config, else the
    study's shared training config."""
    config = (
        (q3.chosen.user_attrs.get("config") if q3.chosen else None)
        or q3.report.study_attrs.get("training")
        or {}
    )
    return dict(config.get("hw") or {})


def _pricing(q3: Q3) -> str:
    hw = hw_settings(q3)
    source = str(hw.get("energy", "?"))
    return (
        f"Energy source: `hw.energy={source}` ({ENERGY_SOURCES.get(source, 'an energy table file')}); "
        f"mapper objective: `hw.objective={hw.get('objective', '?')}` (each layer mapped by "
        f"hwsim's mapper for the lowest {hw.get('objective', '?')}); accelerator "
        f"`{hw.get('arch', '?')}`; full-precision students in {hw.get('datawidth', '?')}-bit words."
    )


def trade_off(q3: Q3) -> list[str]:
    """Comparisons the study report does not make: what the floor costs, the chosen student
    against the most accurate one on the front, and where the chosen student's energy goes."""
    trials, front, row = q3.report.trials, q3.report.pareto, q3.report.chosen
    done = trials[trials["state"].eq("complete")]
    if row is None or done.empty:
        return ["No complete trial yet: nothing to weigh."]
    floor = float((q3.report.study_attrs.get("constraints") or {}).get("min_accuracy", 0.0))
    lines = []
    feasible = done[done["feasible"].astype("boolean").fillna(False).astype(bool)]
    below = done.drop(feasible.index)
    lines.append(
        f"{len(feasible)} of {len(done)} complete students reach the {floor:.0%} floor; their "
        f"energies span {_span(feasible)}, the others' {_span(below)}."
    )
    if len(below) and len(feasible):
        cheap = below.sort_values("energy_uj").iloc[0]
        who = f"#{int(cheap['number'])}, {cheap['accuracy']:.1%}, {cheap['energy_uj']:.4g} µJ"
        ratio = row["energy_uj"] / cheap["energy_uj"]
        lines.append(
            f"Meeting the floor costs {ratio:.2f}× the energy of the cheapest student below it ({who})."
            if ratio > 1.0005
            else f"The cheapest student below the floor ({who}) is no cheaper than the chosen one: "
            "here accuracy came from the training settings, not from a larger network."
        )
    best = (
        front.sort_values(["accuracy", "energy_uj"], ascending=[False, True]).iloc[0]
        if len(front)
        else None
    )
    if best is not None and int(best["number"]) != int(row["number"]):
        gained = (best["accuracy"] - row["accuracy"]) * 100
        extra = best["energy_uj"] - row["energy_uj"]
        lines.append(
            f"Along the front, the most accurate student (#{int(best['number'])}) gains "
            f"{gained:.1f} accuracy points for {extra:+.4g} µJ "
            f"({best['energy_uj'] / row['energy_uj']:.2f}× the chosen energy"
            + (f", {extra / gained:.3g} µJ per point" if gained > 0 else "")
            + ")."
        )
    lines += _layer_lines(q3)
    return lines


def _layer_lines(q3: Q3) -> list[str]:
    energy = (q3.chosen.user_attrs.get("energy") if q3.chosen else None) or {}
    layers = pd.DataFrame(energy.get("layers") or [])
    if layers.empty:
        return []
    total = float(layers["energy_pj"].sum())
    top = layers.sort_values("energy_pj", ascending=False).iloc[0]
    tensors = {
        c[len("energy_pj[") : -1]: float(top[c])
        for c in layers.columns
        if c.startswith("energy_pj[")
        and c[len("energy_pj[") : -1] in ("Weights", "Inputs", "Outputs")
    }
    heaviest = max(tensors, key=tensors.__getitem__) if tensors else None
    compute = float(top.get("energy_pj[compute]", 0.0) or 0.0)
    per_mac = layers["energy_pj"].sum() / layers["macs"].sum()
    return [
        f"The chosen student's {len(layers)} layers cost {per_mac:.3g} pJ per MAC on average; the "
        f"most expensive, `{top['layer']}` ({top['shape']}), takes {top['energy_pj'] / total:.0%} "
        f"of the energy at {top['pj_per_mac']:.3g} pJ per MAC"
        + (
            f"; moving its {heaviest} is the largest data share "
            f"({tensors[heaviest] / top['energy_pj']:.0%}), the MACs themselves "
            f"{compute / top['energy_pj']:.0%}"
            if heaviest
            else ""
        )
        + "."
    ]


def _span(rows: pd.DataFrame) -> str:
    if rows.empty:
        return "nothing"
    return f"{rows['energy_uj'].min():.4g}–{rows['energy_uj'].max():.4g} µJ"
