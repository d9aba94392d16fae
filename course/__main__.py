"""``python -m course [--study STORAGE] [--study-name NAME] [--out DIR]``: the assignment's
report (see `course.assemble`); ``make report STUDY=... STUDY_NAME=...`` runs it. A mistake (a
missing study file, an unknown study name) is one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import sys

from models.errors import UserError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course",
        description="Write the assignment's report (Q1, the simulator's structure, Q2, Q3) as "
        "report.md and report.html with its figures.",
    )
    parser.add_argument(
        "--study",
        metavar="STORAGE",
        help="the co-design study: a study.db / .journal file or a database URL "
        "(default: the demo study, run first if outputs/sweeps/demo/study.db does not exist)",
    )
    parser.add_argument(
        "--study-name", metavar="NAME", help="the study, if the storage holds several"
    )
    parser.add_argument("--out", default="outputs/report", metavar="DIR", help="output folder")
    parser.add_argument("--no-api-docs", action="store_true", help="skip the pdoc API pages")
    args = parser.parse_args(argv)

    from course.assemble import build_report

    try:
        built = build_report(
            args.out,
            study=args.study or None,
            study_name=args.study_name or None,
            api_docs=not args.no_api_docs,
        )
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in built.timings.items())
    print(f"wrote {built.markdown} and {built.html} ({parts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
