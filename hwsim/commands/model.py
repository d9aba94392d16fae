"""``hwsim model FILE...``: evaluate one mapping, like ``timeloop-model *.yaml``."""

from __future__ import annotations

import argparse

from hwsim.analytical.versions import TIMELOOP_VERSIONS
from hwsim.commands.output_paths import PLOT_SUFFIXES, check_output_file
from hwsim.evaluate import evaluate_files


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "model",
        help="count accesses and energy of one mapping (takes the same YAML files as timeloop-model)",
        description="Read any number of Timeloop YAML files (architecture, problem, mapping, "
        "compound components, constraints, ERT...), recognised by their top-level keys, and print "
        "reads, fills, updates and energy per storage level and data space.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="YAML files or directories")
    p.add_argument("--engine", choices=["analytical", "trace"], default="analytical")
    p.add_argument(
        "--reuse",
        choices=["timeloop", "retain"],
        default="timeloop",
        help="analytical engine: Timeloop's reuse rules (default) or keep-the-last-tile (the trace's)",
    )
    p.add_argument("--timeloop-version", choices=list(TIMELOOP_VERSIONS), default="master")
    p.add_argument(
        "--energy",
        metavar="TABLE",
        default=None,
        help="'table1' (the assignment's Table 1), 'hwcomponents' (component models), an Accelergy ERT file, or "
        "a {component: {action: pJ}} file; default: an ERT among FILEs, else table1 if it prices every "
        "component, else models",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--plot", metavar="PNG", help="also write a stacked-bar energy chart")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.plot:
        check_output_file(args.plot, "--plot", suffixes=PLOT_SUFFIXES)
    result = evaluate_files(
        args.files,
        engine=args.engine,
        energy=args.energy,
        reuse=args.reuse,
        timeloop_version=args.timeloop_version,
    )
    print(result.to_json() if args.json else result.format_table())
    if args.plot:
        result.plot(args.plot)
    return 0
