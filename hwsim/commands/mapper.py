"""``hwsim mapper FILE...``: find the best mapping, like ``timeloop-mapper *.yaml``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hwsim.analytical.versions import TIMELOOP_VERSIONS
from hwsim.commands.options import COURSE_ENERGY, add_objective
from hwsim.commands.output_paths import check_output_file
from hwsim.energy.sources import load_energy_table
from hwsim.errors import SpecError
from hwsim.mapper.backends import BACKENDS, backend, mapping_yaml
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings
from hwsim.mapper.settings_file import read_mapper_settings
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
        help="an Accelergy ERT file, 'classic' (classic Accelergy 0.3), 'hwcomponents' "
        "(component models) or 'table1'; default: an ERT among FILEs, else classic",
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
        "--search",
        choices=["auto", "sampled", "optimal"],
        default="auto",
        help="native backend: 'optimal' visits every mapping (proven optimal unless the time "
        "limit runs out), 'sampled' samples loop orders of a large space; 'auto' (default): "
        "optimal where the sampled search would sample",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=MapperSettings.time_limit_s,
        metavar="SECONDS",
        help="the optimal search's time limit (0: none; default %(default)g)",
    )
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


def run(args: argparse.Namespace) -> int:
    if args.budget < 1:
        raise SpecError(f"must be at least 1, got {args.budget}", field="--budget")
    if args.seed < 0:
        raise SpecError(f"must be >= 0, got {args.seed}", field="--seed")
    if not args.time_limit >= 0:
        raise SpecError(f"must be >= 0, got {args.time_limit}", field="--time-limit")
    if args.out:
        check_output_file(args.out, "--out")
    specs = load_specs(args.files)
    specs.require("architecture", "problem")
    assert specs.architecture is not None and specs.problem is not None
    out = Path(args.out) if args.out else Path("out/mapper") / f"{specs.problem.name}.map.yaml"
    check_output_file(out, "--out")
    # the timeloop backend hands the mapper file to timeloop-mapper, which uses every setting
    file_objective = read_mapper_settings(
        specs.mapper, specs.sources.get("mapper"), warn=args.backend != "timeloop"
    )
    source = args.energy or (specs.energy_tables[0] if specs.energy_tables else COURSE_ENERGY)
    table = load_energy_table(
        source, architecture=specs.architecture, compound_components=specs.compound_components
    )
    constraints = parse_constraints(list(specs.constraints), specs.architecture, specs.problem)
    settings = MapperSettings(
        objective=args.objective or file_objective or "energy",
        budget=args.budget,
        seed=args.seed,
        timeloop_version=args.timeloop_version,
        progress=not args.json,
        search=args.search,
        time_limit_s=args.time_limit,
    )
    files = tuple(Path(f) for f in args.files)
    task = MappingTask(specs.problem, specs.architecture, constraints, table, settings, files)
    try:
        result = backend(args.backend).map(task)
    except SpecError as err:  # about a problem field (a dimension too large to search)
        if err.file or not (err.field or "").startswith("problem"):
            raise
        raise err.at(file=specs.sources["problem"]) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(mapping_yaml(result))
    if args.json:
        report = result.evaluation.to_dict()
        report["proven_optimal"] = result.proven_optimal
        print(json.dumps(report, indent=2))
        return 0
    nest = LoopNest.build(specs.problem, specs.architecture, result.mapping)
    print(nest.describe())
    print(result.evaluation.format_table())
    print(
        f"cycles: {result.cycles:,}   searched {result.evaluated:,} mappings ({result.valid:,} fit), "
        f"{'exhaustively' if result.exhaustive else 'not exhaustively'}, in {result.seconds:.2f} s   [{args.backend}]"
    )
    print("proven optimal" if result.proven_optimal else "not proven optimal")
    for note in result.notes:
        print(f"note: {note}")
    print(f"mapping written to {out}")
    return 0
