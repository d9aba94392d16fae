"""``hwsim sweep-components``: the Q2 scaling study (SRAM, register file, DRAM, integer MAC)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwsim.commands.output_paths import check_output_folder
from hwsim.errors import SpecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep-components",
        help="Q2: energy and area of SRAM, register file, DRAM and integer MAC against width and depth",
        description="Run the assignment's four sweeps with the component models (SRAM depth 8192, "
        "width 16..2048, then width 128, depth 512..8192; the same for the register file; DRAM "
        "width 16..2048; integer MAC width 2..64 with a 2w-bit accumulator) and write one log-log "
        "PNG per component with classic Accelergy 0.3 overlaid as reference data, a CSV of every "
        "point, the power-law fits, and a Markdown summary that explains each exponent.",
    )
    p.add_argument("--out", metavar="DIR", default="out/q2", help="output folder (default: out/q2)")
    p.add_argument(
        "--technology", metavar="NODE", default="45nm", help="technology node (default: 45nm)"
    )
    p.add_argument(
        "--reference",
        metavar="CSV",
        help="classic Accelergy numbers to overlay (columns component,sweep,technology,depth,width,"
        "read_pj,write_pj,estimator); default: the 45 nm numbers shipped with hwsim",
    )
    p.add_argument("--no-reference", action="store_true", help="plot the component models only")
    p.add_argument(
        "--no-cache", action="store_true", help="recompute every model result (and do not store it)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from hwsim.energy.components import default_evaluator
    from hwsim.energy.components.technology import parse_technology
    from hwsim.energy.sweeps.classic_reference import classic_reference, load_reference_csv
    from hwsim.energy.sweeps.fit import FittedSweeps
    from hwsim.energy.sweeps.plan import q2_sweeps
    from hwsim.energy.sweeps.plots import plot_component
    from hwsim.energy.sweeps.report import summary_markdown
    from hwsim.energy.sweeps.run import run_sweeps

    check_output_folder(args.out, "--out")
    try:
        technology = str(parse_technology(args.technology))
    except ValueError as err:
        raise SpecError(f"--technology: {err}") from None
    reference = None
    if not args.no_reference:
        reference = load_reference_csv(args.reference) if args.reference else classic_reference()
        reference = reference[reference.technology.astype(str).str.replace(" ", "") == technology]
        if reference.empty:
            print(
                f"hwsim sweep-components: no reference numbers at {technology}; plotting the models only",
                file=sys.stderr,
            )
            reference = None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    evaluator = default_evaluator(use_cache=not args.no_cache)
    sweeps = q2_sweeps()
    total = sum(len(s.points) for s in sweeps)

    def progress(items):
        return tqdm(items, total=total, desc="Q2 sweeps", unit="point", file=sys.stderr)

    points = run_sweeps(sweeps, technology=technology, evaluator=evaluator, progress=progress)
    written = [out / "points.csv"]
    points.to_csv(written[0], index=False)
    study = FittedSweeps.of(points, reference)  # fitted once for the CSV, plots and summary
    study.fits.to_csv(out / "fits.csv", index=False)
    written.append(out / "fits.csv")
    for component in dict.fromkeys(points.component):
        written.append(plot_component(component, study, out / f"{component}.png"))
    (out / "summary.md").write_text(summary_markdown(study, technology=technology))
    written.append(out / "summary.md")
    print(
        f"Q2 sweeps at {technology}: {len(points)} points ({evaluator.hits} from the cache, {evaluator.misses} computed)"
    )
    for path in written:
        print(f"  {path}")
    return 0
