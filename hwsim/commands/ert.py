"""``hwsim ert ARCH... [--energy hwcomponents|classic]``: the energy reference table of an architecture."""

from __future__ import annotations

import argparse
import json
import sys

from hwsim.energy.sources import source_name
from hwsim.errors import SpecError
from hwsim.spec import load_specs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ert",
        help="energy per action of every component of an architecture (component models or classic Accelergy)",
        description="Price every component of an architecture spec and print pJ per access. "
        "--energy hwcomponents (default): the component models (CACTI SRAM, hwsim's register file and "
        "DRAM bursts, Aladdin MACs and adders, compound components through their action trees), "
        "with leakage per cycle and area. --energy classic: as classic Accelergy 0.3 and its "
        "plug-ins price it (the course's Timeloop-Accelergy scale); an action's energy is its "
        "maximum over its arguments, which Timeloop charges; components classic could only price "
        "with its placeholder estimator are listed. ARCH is one or more YAML files or directories "
        "(architecture, compound components; other Timeloop files are read and ignored). Needs "
        "the energy extra and, once, python -m hwsim.energy.setup.",
    )
    p.add_argument(
        "files", nargs="+", metavar="ARCH", help="architecture YAML files or directories"
    )
    p.add_argument(
        "--energy",
        choices=("hwcomponents", "classic", "models"),
        default="hwcomponents",
        help="hwcomponents: the component models; classic: classic Accelergy 0.3 (default: "
        "hwcomponents; models: its former name)",
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
    from hwsim.energy.table_format import format_energy_table

    if args.technology is not None:
        from hwsim.energy.components.technology import parse_technology

        try:
            parse_technology(args.technology)
        except ValueError as err:
            raise SpecError(str(err), field="--technology") from None
    specs = load_specs(args.files)
    specs.require("architecture")
    assert specs.architecture is not None
    try:
        if args.energy == "classic":
            table, placeholders, summary = _classic(specs, args)
            label = "classic Accelergy 0.3"
        else:
            table, placeholders, summary = _hwcomponents(specs, args)
            label = "component models"
    except SpecError as err:  # a component that cannot be priced: name the architecture file
        raise err.at(file=specs.sources["architecture"]) from None
    if args.json:
        document = {
            "name": table.name,
            "energy": source_name(args.energy),
            "architecture": specs.sources["architecture"],
            "components": table.to_dict(),
        }
        if args.energy == "classic":
            document["placeholders"] = [
                {"component": p.component, "class": p.class_name, "reason": p.reason}
                for p in placeholders
            ]
        print(json.dumps(document, indent=2))
    else:
        classes = {c.name: c.class_name for c in specs.architecture.components}
        title = f"Energy table of {specs.sources['architecture']} ({label})"
        if args.technology:
            title += f", all components at {args.technology}"
        print(format_energy_table(table, classes, title=title))
    by_reason: dict[str, list[str]] = {}
    for p in placeholders:
        by_reason.setdefault(p.reason, []).append(p.component)
    for reason, components in by_reason.items():
        print(
            f"hwsim ert: warning: classic's placeholder (1 pJ per action, idle 0) prices "
            f"{', '.join(components)}: {reason}",
            file=sys.stderr,
        )
    print(f"hwsim ert: {summary}", file=sys.stderr)
    return 0


def _hwcomponents(specs, args):
    from hwsim.energy.components import default_evaluator, energy_table_for_specs

    evaluator = default_evaluator(use_cache=not args.no_cache)
    table = energy_table_for_specs(specs, evaluator=evaluator, technology=args.technology)
    return (
        table,
        (),
        f"{evaluator.hits} model result(s) from the cache, {evaluator.misses} computed",
    )


def _classic(specs, args):
    import contextlib
    import tempfile
    from pathlib import Path

    from hwsim.energy.classic import classic_ert
    from hwsim.energy.classic.cacti_plugin import CactiRows

    # --no-cache: CACTI runs again into a folder thrown away afterwards
    scratch = tempfile.TemporaryDirectory(prefix="hwkd-ert-") if args.no_cache else None
    with scratch or contextlib.nullcontext():
        rows = CactiRows(Path(scratch.name) if scratch else None)
        ert = classic_ert(
            specs.architecture,
            compound_components=specs.compound_components,
            compound_source=specs.sources.get("compound_components", "compound components"),
            technology=args.technology,
            rows=rows,
        )
    summary = (
        f"{len(ert.entries)} ERT entries (every argument combination); "
        f"{rows.hits} CACTI result(s) from the cache, {rows.misses} computed"
    )
    return ert.to_energy_table(), ert.placeholders, summary
