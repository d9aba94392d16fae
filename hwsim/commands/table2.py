"""``hwsim table2 [SPEC_DIR]``: the assignment's Table 2 from both engines."""

from __future__ import annotations

import argparse

from hwsim.analytical.versions import TIMELOOP_VERSIONS
from hwsim.commands.output_paths import check_output_folder
from hwsim.report.table2 import build_table2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "table2",
        help="regenerate the assignment's Table 2 (all mappings of a spec folder, both engines)",
        description="Evaluate every mapping in SPEC_DIR (default: the course's Q1 specs shipped with "
        "hwsim) with the analytical engine and the trace simulator; print a Markdown table and "
        "write table2.md, table2.csv and table2.png.",
    )
    p.add_argument(
        "spec_dir",
        nargs="?",
        metavar="SPEC_DIR",
        help="folder with arch, problem and *.map.yaml files",
    )
    p.add_argument(
        "--out", default="out/table2", metavar="DIR", help="output folder (default: out/table2)"
    )
    p.add_argument(
        "--energy", default="table1", metavar="TABLE", help="energy table (default: table1)"
    )
    p.add_argument("--timeloop-version", choices=list(TIMELOOP_VERSIONS), default="master")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    check_output_folder(args.out, "--out")
    table = build_table2(args.spec_dir, energy=args.energy, timeloop_version=args.timeloop_version)
    paths = table.write(args.out)
    print(table.to_markdown())
    print()
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0
