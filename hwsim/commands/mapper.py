"""``hwsim mapper FILE...``: find the best mapping, like ``timeloop-mapper *.yaml``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hwsim.analytical.versions import TIMELOOP_VERSIONS
from hwsim.commands.options import COURSE_ENERGY, add_objective
from hwsim.energy.sources import load_energy_table
from hwsim.mapper.backends import BACKENDS, backend, mapping_yaml
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, Objective
from hwsim.mapper.task import MappingTask
from hwsim.nest import LoopNest
from hwsim.spec.files import load_specs


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mapper",
        help="search the constrained mapspace for the best mapping (takes the same files as timeloop-mapper)",
        description="Read a problem, an architecture, compound components, constraints and mapper "
        "settings (the course's Q3 folder works as is), search the mapspace, print the best mapping "
        "with its counts and energy, and write it as a Timeloop mapping YAML.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="YAML files or directories")
    add_objective(
        p,
        default_help="default: the optimization-metrics of a mapper file among FILEs "
        "(the course's: [delay, energy]), else energy",
    )
    p.add_argument(
        "--energy",
        metavar="SOURCE",
        default=None,
        help="an Accelergy ERT file, 'classic' (classic Accelergy 0.3), 'models' (component "
        "models) or 'table1'; default: an ERT among FILEs, else classic",
    )
    p.add_argument("--backend", choices=sorted(BACKENDS), default="native")
    p.add_argument("--timeloop-version", choices=list(TIMELOOP_VERSIONS), default="master")
    p.add_argument(
        "--budget",
        type=int,
        default=MapperSettings.budget,
        help="evaluations before loop orders are sampled",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--out",
        metavar="YAML",
        help="where to write the mapping (default: <problem>.map.yaml in out/mapper/)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print counts and energy as JSON (the shape of 'hwsim model --json')",
    )
    p.set_defaults(handler=run)


def _file_objective(specs) -> Objective:
    """The objective of the mapper file among the inputs (Timeloop's optimization-metrics)."""
    from hwsim.errors import SpecError
    from hwsim.mapper.objectives import parse_objective

    mapper = specs.mapper if isinstance(specs.mapper, dict) else {}
    metrics = mapper.get("optimization-metrics", mapper.get("optimization_metrics"))
    if metrics is None:
        return "energy"
    try:
        return parse_objective(metrics)
    except SpecError as err:
        raise SpecError(
            str(err), file=specs.sources.get("mapper"), field="mapper.optimization-metrics"
        ) from None


def run(args: argparse.Namespace) -> int:
    specs = load_specs(args.files)
    specs.require("architecture", "problem")
    assert specs.architecture is not None and specs.problem is not None
    source = args.energy or (specs.energy_tables[0] if specs.energy_tables else COURSE_ENERGY)
    table = load_energy_table(
        source, architecture=specs.architecture, compound_components=specs.compound_components
    )
    constraints = parse_constraints(list(specs.constraints), specs.architecture, specs.problem)
    settings = MapperSettings(
        objective=args.objective or _file_objective(specs),
        budget=args.budget,
        seed=args.seed,
        timeloop_version=args.timeloop_version,
        progress=not args.json,
    )
    files = tuple(Path(f) for f in args.files)
    task = MappingTask(specs.problem, specs.architecture, constraints, table, settings, files)
    result = backend(args.backend).map(task)
    out = Path(args.out) if args.out else Path("out/mapper") / f"{specs.problem.name}.map.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(mapping_yaml(result))
    if args.json:
        print(json.dumps(result.evaluation.to_dict(), indent=2))
        return 0
    nest = LoopNest.build(specs.problem, specs.architecture, result.mapping)
    print(nest.describe())
    print(result.evaluation.format_table())
    print(
        f"cycles: {result.cycles:,}   searched {result.evaluated:,} mappings ({result.valid:,} fit), "
        f"{'exhaustively' if result.exhaustive else 'by sampling'}, in {result.seconds:.2f} s   [{args.backend}]"
    )
    for note in result.notes:
        print(f"note: {note}")
    print(f"mapping written to {out}")
    return 0
