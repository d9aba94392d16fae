"""``hwsim network-energy SOURCE``: inference energy of a whole network, layer by layer."""

from __future__ import annotations

import argparse
from pathlib import Path

from hwsim.analytical.versions import TIMELOOP_VERSIONS
from hwsim.commands.options import COURSE_ENERGY, COURSE_OBJECTIVE, add_input_shape, add_objective
from hwsim.commands.output_paths import check_output_folder
from hwsim.course_material import ACCELERATORS
from hwsim.errors import SpecError
from hwsim.mapper.search import MapperSettings
from hwsim.mapper.settings_file import read_mapper_settings
from hwsim.network import network_energy
from hwsim.spec.architecture import MAX_WORD_BITS
from hwsim.workload_sources import load_workloads


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "network-energy",
        help="map and price every layer of a network (checkpoint, model config, registry name or layer YAMLs)",
        description="Extract the layers of SOURCE (a checkpoint, a model config, a registry name such "
        "as resnet32, or a folder of problem YAMLs), map each distinct layer shape once (results "
        "are cached), and report energy, cycles and utilisation per layer and in total.",
    )
    p.add_argument("source", metavar="CHECKPOINT_OR_CONFIG")
    p.add_argument(
        "--arch",
        default="eyeriss_like_q3",
        help=f"a shipped accelerator ({', '.join(ACCELERATORS)}) or Timeloop files/folder",
    )
    p.add_argument(
        "--energy",
        default=COURSE_ENERGY,
        help="'classic' (classic Accelergy 0.3, the course's scale; the default), 'hwcomponents' "
        "(component models), 'table1' or an ERT file",
    )
    p.add_argument(
        "--datawidth",
        type=int,
        default=None,
        help="word width in bits (default: the architecture's)",
    )
    add_objective(p, default_help="default: the course's [delay, energy]")
    p.add_argument("--timeloop-version", choices=list(TIMELOOP_VERSIONS), default="master")
    add_input_shape(p)
    p.add_argument("--no-cache", action="store_true", help="map every layer again")
    p.add_argument(
        "--out", metavar="DIR", help="write layers.csv, energy.png and energy.json there"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from hwsim.accelerators import load_accelerator

    if args.datawidth is not None and not 1 <= args.datawidth <= MAX_WORD_BITS:
        raise SpecError(
            f"must be 1 to {MAX_WORD_BITS} bits, got {args.datawidth}", field="--datawidth"
        )
    if args.out:
        check_output_folder(args.out, "--out")
    problems = load_workloads(args.source, args.input_shape)
    accelerator = load_accelerator(args.arch, datawidth=args.datawidth)
    file_objective = read_mapper_settings(
        accelerator.mapper, accelerator.mapper_file, warn=args.arch not in ACCELERATORS
    )
    settings = MapperSettings(
        objective=args.objective or file_objective or COURSE_OBJECTIVE,
        timeloop_version=args.timeloop_version,
        progress=False,
    )
    result = network_energy(
        problems,
        accelerator,
        args.energy,
        settings=settings,
        cache=not args.no_cache,
        progress=not args.json,
    )
    if args.out:
        out = Path(args.out)
        result.to_csv(out / "layers.csv")
        result.plot(out / "energy.png")
        (out / "energy.json").write_text(result.to_json())
    if args.json:
        print(result.to_json())
        return 0
    frame = result.to_dataframe()[
        ["layer", "shape", "macs", "energy_pj", "pj_per_mac", "cycles", "utilization"]
    ]
    print(frame.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(
        f"\ntotal: {result.total_energy_pj / 1e6:,.3f} µJ, {result.total_cycles:,} cycles, {result.total_macs:,} MACs "
        f"on {result.accelerator} ({result.pricing})"
    )
    for level, value in result.by_level().items():
        print(f"  {level:<14}{value / 1e6:>12,.3f} µJ")
    return 0
