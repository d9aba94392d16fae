"""``hwsim ert ARCH...``: the energy reference table of an architecture, from component models."""

from __future__ import annotations

import argparse
import json
import sys

from hwsim.spec import load_specs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ert",
        help="energy per action and area of every component of an architecture (component models)",
        description="Price every component of an architecture spec with the component models "
        "(CACTI SRAM, hwsim's register file and DRAM bursts, Aladdin MACs and adders, compound "
        "components through their action trees) and print pJ per access, leakage per cycle and "
        "area. ARCH is one or more YAML files or directories (architecture, compound components; "
        "other Timeloop files are read and ignored). Needs the energy extra and, once, "
        "python -m hwsim.energy.setup.",
    )
    p.add_argument(
        "files", nargs="+", metavar="ARCH", help="architecture YAML files or directories"
    )
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.add_argument(
        "--technology", metavar="NODE", help="price every component at this node (e.g. 40nm)"
    )
    p.add_argument(
        "--no-cache", action="store_true", help="recompute every model result (and do not store it)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.energy.components import default_evaluator, energy_table_for_specs
    from hwsim.energy.table_format import format_energy_table

    specs = load_specs(args.files)
    specs.require("architecture")
    assert specs.architecture is not None
    evaluator = default_evaluator(use_cache=not args.no_cache)
    table = energy_table_for_specs(specs, evaluator=evaluator, technology=args.technology)
    if args.json:
        print(
            json.dumps(
                {
                    "name": table.name,
                    "architecture": specs.sources["architecture"],
                    "components": table.to_dict(),
                },
                indent=2,
            )
        )
    else:
        classes = {c.name: c.class_name for c in specs.architecture.components}
        title = f"Energy table of {specs.sources['architecture']} (component models)"
        if args.technology:
            title += f", all components at {args.technology}"
        print(format_energy_table(table, classes, title=title))
    print(
        f"hwsim ert: {evaluator.hits} model result(s) from the cache, {evaluator.misses} computed",
        file=sys.stderr,
    )
    return 0
