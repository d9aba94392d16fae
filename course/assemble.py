"""The whole report: each question's section, built in turn and timed, then report.md, the same
as report.html and timings.json, with every figure beside them in the output folder:

    outputs/report/
      report.md, report.html, timings.json
      table2.png                 Q1: energy per storage level, both engines
      q2_<component>.png         Q2: one figure per sweep, both model generations
      q3/                        Q3: the study's report files (pareto.png, energy_layers.png, ...)
      api/                       the API documentation (pdoc)

The study is checked first, so a wrong study stops the command before anything is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from course.markdown import to_html
from course.q1 import build_q1, q1_markdown
from course.q2 import build_q2, q2_markdown
from course.q3 import build_q3, find_study, q3_markdown
from course.structure import public_classes, structure_markdown, write_api_docs

T = TypeVar("T")
TITLE = "hwkd: the assignment's report"


@dataclass
class Timings:
    """Wall seconds per part of the report, in the order they ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, part: str, step: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return step()
        finally:
            self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - start


@dataclass(frozen=True)
class BuiltReport:
    """What `build_report` wrote.

    Attributes:
        markdown, html, timings_json: the files.
        text: report.md's text.
        timings: seconds per part (study, Q1, structure, Q2, Q3, write).
    """

    markdown: Path
    html: Path
    timings_json: Path
    text: str
    timings: dict[str, float]


def build_report(
    out_dir: str | Path,
    *,
    study: str | None = None,
    study_name: str | None = None,
    root: str | Path = ".",
    api_docs: bool = True,
) -> BuiltReport:
    """Build every section and write the report into `out_dir` (see module docstring).

    Args:
        study: an Optuna storage (SQLite file or URL); None: the demo study under `root`.
        study_name: the study in that storage (needed when it holds several).
        root: the project root (where ``sweep.py`` and ``outputs/sweeps/demo`` are).
        api_docs: generate the pdoc pages (``api/``) the class list links to.
    """
    out = Path(out_dir)
    clock = Timings()
    source = clock.run("study", lambda: find_study(study, study_name, Path(root)))
    out.mkdir(parents=True, exist_ok=True)
    q1 = clock.run("Q1", lambda: build_q1(out))
    classes = clock.run("structure", public_classes)
    if api_docs:
        clock.run("structure", lambda: write_api_docs(out / "api"))
    q2 = clock.run("Q2", lambda: build_q2(out))
    q3 = clock.run("Q3", lambda: build_q3(source, out / "q3"))

    def write() -> tuple[str, Path, Path]:
        text = (
            "\n\n".join(
                [
                    f"# {TITLE}",
                    _contents(),
                    q1_markdown(q1, q1.figure.name),
                    structure_markdown(classes, "api" if api_docs else None),
                    q2_markdown(q2, {c: p.name for c, p in q2.figures.items()}),
                    q3_markdown(q3, "q3"),
                    _provenance(study),
                ]
            ).rstrip()
            + "\n"
        )
        md, html = out / "report.md", out / "report.html"
        md.write_text(text)
        html.write_text(to_html(text, TITLE))
        return text, md, html

    text, md, html = clock.run("write", write)
    timings = out / "timings.json"
    timings.write_text(json.dumps(clock.seconds, indent=2) + "\n")
    return BuiltReport(md, html, timings, text, dict(clock.seconds))


def _contents() -> str:
    return (
        "Contents: [Q1: memory accesses and energy of five mappings]"
        "(#q1-memory-accesses-and-energy-of-five-mappings) · "
        "[The simulator's structure](#the-simulators-structure) · "
        "[Q2: component energy against width and depth]"
        "(#q2-how-component-energy-scales-with-width-and-depth) · "
        "[Q3: co-design](#q3-co-design-of-the-student-and-its-accelerator). "
        "Every number below is computed when the report is made, by the functions behind "
        "`hwsim table2`, `hwsim sweep-components`, `hwsim ert --energy classic` and "
        "`python -m codesign.report`."
    )


def _provenance(study: str | None) -> str:
    command = "make report" + (f" STUDY={study}" if study else "")
    return f"---\n\nWritten by `{command}` (`python -m course`)."
