"""``hwsim mapper FILE...``: find the best mapping, like ``timeloop-mapper *.yaml``.

Many problem files in one call map one after the other in one process, sharing the architecture,
constraints, energy table and the loaded kernels (a new process per layer pays start-up each time).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hwsim.analytical.versions import TIMELOOP_VERSIONS
from hwsim.commands.options import COURSE_ENERGY, add_objective
from hwsim.commands.output_paths import check_output_file, check_output_folder
from hwsim.energy.sources import load_energy_table
from hwsim.errors import SpecError
from hwsim.mapper.backends import BACKENDS, backend, mapping_yaml
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperResult, MapperSettings
from hwsim.mapper.settings_file import read_mapper_settings
from hwsim.mapper.task import MappingTask
from hwsim.nest import LoopNest
from hwsim.spec.architecture import Architecture
from hwsim.spec.files import SpecSet, load_specs
from hwsim.spec.problem import Problem


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mapper",
        help="search the constrained mapspace for the best mapping (takes the same files as timeloop-mapper)",
        description="Read a problem, an architecture, compound components, constraints and mapper "
        "settings (the course's Q3 folder works as is), search the mapspace, print the best mapping "
        "with its counts and energy, and write it as a Timeloop mapping YAML.",
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="YAML files or directories; several problem files map each problem in turn",
    )
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
        help="where to write the mapping (default: <problem>.map.yaml in out/mapper/); with "
        "several problems a folder, one <problem file>.map.yaml each",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print counts and energy as JSON (the shape of 'hwsim model --json'); with several "
        "problems an object keyed by problem file",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.budget < 1:
        raise SpecError(f"must be at least 1, got {args.budget}", field="--budget")
    if args.seed < 0:
        raise SpecError(f"must be >= 0, got {args.seed}", field="--seed")
    if not args.time_limit >= 0:
        raise SpecError(f"must be >= 0, got {args.time_limit}", field="--time-limit")
    specs = load_specs(args.files, many_problems=True)
    specs.require("architecture")
    assert specs.architecture is not None
    if not specs.problems:
        specs.require("problem")
    outs = _output_files(specs, args.out)
    # the timeloop backend hands the mapper file to timeloop-mapper, which uses every setting
    file_objective = read_mapper_settings(
        specs.mapper, specs.sources.get("mapper"), warn=args.backend != "timeloop"
    )
    source = args.energy or (specs.energy_tables[0] if specs.energy_tables else COURSE_ENERGY)
    table = load_energy_table(
        source, architecture=specs.architecture, compound_components=specs.compound_components
    )
    settings = MapperSettings(
        objective=args.objective or file_objective or "energy",
        budget=args.budget,
        seed=args.seed,
        timeloop_version=args.timeloop_version,
        progress=not args.json,
        search=args.search,
        time_limit_s=args.time_limit,
    )
    many = len(specs.problems) > 1
    documents: dict[str, dict] = {}
    for problem, file, out in zip(specs.problems, specs.problem_files, outs, strict=True):
        others = set(specs.problem_files) - {file}
        files = tuple(Path(f) for f in args.files if f not in others)
        constraints = parse_constraints(list(specs.constraints), specs.architecture, problem)
        task = MappingTask(problem, specs.architecture, constraints, table, settings, files)
        try:
            result = backend(args.backend).map(task)
        except SpecError as err:  # about a problem field (a dimension too large to search)
            if err.file or not (err.field or "").startswith("problem"):
                raise
            raise err.at(file=file) from None
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(mapping_yaml(result))
        if args.json:
            documents[file] = {
                **result.evaluation.to_dict(),
                "proven_optimal": result.proven_optimal,
            }
            continue
        if many:
            print(f"== {file}")
        _print_result(result, problem, specs.architecture, args.backend, out)
    if args.json:
        print(json.dumps(documents if many else documents[specs.problem_files[0]], indent=2))
    return 0


def _output_files(specs: SpecSet, out: str | None) -> list[Path]:
    """Where each problem's mapping goes, checked before any search: ``--out`` (a file for one
    problem, a folder for several) or out/mapper/; named after the problem (one problem) or its
    file (several: every layer's problem is usually called CNN-Layer)."""
    if len(specs.problems) == 1:
        problem = specs.problems[0]
        path = Path(out) if out else Path("out/mapper") / f"{problem.name}.map.yaml"
        return [check_output_file(path, "--out")]
    folder = check_output_folder(out, "--out") if out else Path("out/mapper")
    names = [Path(f).stem for f in specs.problem_files]
    if len(set(names)) < len(names):
        names = [f"{Path(f).parent.name}-{Path(f).stem}" for f in specs.problem_files]
    if len(set(names)) < len(names):
        twice = sorted(
            {f for f, n in zip(specs.problem_files, names, strict=True) if names.count(n) > 1}
        )
        raise SpecError(
            f"problem files {twice} would write the same mapping file; give them distinct names",
            field="FILE",
        )
    return [check_output_file(folder / f"{name}.map.yaml", "--out") for name in names]


def _print_result(
    result: MapperResult, problem: Problem, architecture: Architecture, backend_name: str, out: Path
) -> None:
    nest = LoopNest.build(problem, architecture, result.mapping)
    print(nest.describe())
    print(result.evaluation.format_table())
    print(
        f"searched {result.evaluated:,} mappings ({result.valid:,} fit), "
        f"{'exhaustively' if result.exhaustive else 'not exhaustively'}, in {result.seconds:.2f} s   [{backend_name}]"
    )
    print("proven optimal" if result.proven_optimal else "not proven optimal")
    for note in result.notes:
        print(f"note: {note}")
    print(f"mapping written to {out}")
