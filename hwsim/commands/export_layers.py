"""``hwsim export-layers SOURCE OUT_DIR``: one Timeloop problem YAML per layer."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from hwsim.commands.options import add_input_shape
from hwsim.commands.output_paths import check_output_folder
from hwsim.workload_sources import load_workloads


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-layers",
        help="write one Timeloop problem YAML per layer of a network",
        description="Extract the layers of SOURCE (checkpoint, model config, registry name) and write "
        "NN_<layer>.yaml per layer, in the v0.4 form and in the v0.3 form of the course's "
        "layer_prob_base.yaml (folders v0.4/ and v0.3/ unless --format picks one).",
    )
    p.add_argument("source", metavar="CHECKPOINT_OR_CONFIG")
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--format", choices=["v0.4", "v0.3", "both"], default="both")
    add_input_shape(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    check_output_folder(args.out_dir, "OUT_DIR")
    problems = load_workloads(args.source, args.input_shape)
    formats = ["v0.4", "v0.3"] if args.format == "both" else [args.format]
    out = Path(args.out_dir)
    for fmt in formats:
        folder = out / fmt if len(formats) > 1 else out
        folder.mkdir(parents=True, exist_ok=True)
        for i, problem in enumerate(problems):
            stem = f"{i:02d}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', problem.name)}"
            text = yaml.safe_dump(problem.to_timeloop(fmt.removeprefix("v")), sort_keys=False)
            (folder / f"{stem}.yaml").write_text(text)
    print(f"wrote {len(problems)} layer problem(s) in {', '.join(formats)} form to {out}")
    return 0
