"""Mapper speed and quality on the eight unique layer shapes of a CIFAR ResNet-32.

Architecture: the course's Q3 Eyeriss-like accelerator with both constraint files (shipped with
hwsim as ``eyeriss_like_q3``); energies: the ERT that classic Accelergy produced for it
(../shared/reference/timeloop/eyeriss/u0_*/timeloop-mapper.ERT.yaml), so both mappers price
actions identically; Timeloop rules v3.0 (the reference's version).

Baseline: the classic ``timeloop-mapper`` with the course's mapper.yaml (random-pruned, 8 threads,
victory condition 500). When it is on PATH (or given with --timeloop-mapper) it runs in the same
run; otherwise the times recorded in ../shared/reference/timeloop/eyeriss (3.4 s for u0, 8.2 s for
u2, ~66 s for all eight layers on this machine) are used and the report says so.

    python bench/bench_mapper.py [--timeloop-mapper PATH] [--objective energy|delay]

Full mapspace (``--full-mapspace [LAYER ...]``): the same accelerator with only its architecture
constraints (arch_constraints.yaml, no dataflow constraints): hwsim's optimal search
(`hwsim.mapper.optimal`) per objective (energy, EDP) against AccelForge's mapper (FFM) and
timeloop-mapper (when /work/timeloop-build/READY names it, else "not available"), each mapping
evaluated by hwsim; ratios are theirs / ours (>= 1: ours no worse), seconds per layer measured
in this run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import yaml
from layer_shapes import ERT, resnet32_layers

from hwsim.accelerators import load_accelerator
from hwsim.course_material import accelerator_dir
from hwsim.energy.sources import load_energy_table
from hwsim.errors import SpecError
from hwsim.mapper.backends import parse_timeloop_stats
from hwsim.mapper.constraints import parse_constraints
from hwsim.mapper.search import MapperSettings, map_problem

RECORDED = {"u0 stem": (5154761.47, 3.4), "u2 stage2 down": (11320495.70, 8.2)}
RECORDED_TOTAL_S = 66.0


def run_timeloop(binary: str, problem, work: Path) -> tuple[float, float]:
    """(energy pJ, wall seconds) of one timeloop-mapper run on the Q3 folder."""
    work.mkdir(parents=True, exist_ok=True)
    prob = work / "prob.yaml"
    prob.write_text(yaml.safe_dump(problem.to_timeloop("0.3"), sort_keys=False))
    q3 = accelerator_dir("eyeriss_like_q3")
    files = [
        q3 / "arch.yaml",
        *sorted((q3 / "components").glob("*.yaml")),
        *sorted((q3 / "constraints").glob("*.yaml")),
        q3 / "mapper.yaml",
        prob,
        ERT,
    ]
    start = time.perf_counter()
    subprocess.run(
        [binary, *map(str, files)], cwd=work, capture_output=True, check=True, timeout=900
    )
    seconds = time.perf_counter() - start
    summary = parse_timeloop_stats((work / "timeloop-mapper.stats.txt").read_text())
    return summary["energy_pj"], seconds


#: Written by the Timeloop build (its binaries' folder or timeloop-mapper's path) when it works.
TIMELOOP_READY = Path("/work/timeloop-build/READY")
#: Layers the full-mapspace comparison maps by default (the smallest mapspaces first).
FULL_MAPSPACE_LAYERS = ("u0", "u6", "u2")


def ready_timeloop_mapper() -> str | None:
    """timeloop-mapper's path from `TIMELOOP_READY`, or None when there is no working build."""
    if not TIMELOOP_READY.exists():
        return None
    named = (
        Path(TIMELOOP_READY.read_text().split()[0]) if TIMELOOP_READY.read_text().split() else None
    )
    if named is None:
        return None
    binary = named / "timeloop-mapper" if named.is_dir() else named
    return str(binary) if binary.exists() else None


def full_mapspace(layers: list[str], timeloop_binary: str | None) -> None:
    """The full-mapspace section (module docstring)."""
    from hwsim.mapper.accelforge_bridge import map_with_accelforge
    from hwsim.mapper.optimal import map_optimal
    from hwsim.mapper.task import MappingTask
    from hwsim.spec.mapping import bind_mapping

    accelerator = load_accelerator("eyeriss_like_q3")
    table = load_energy_table(ERT)
    arch_only = [c for c in accelerator.constraints if "architecture_constraints" in c]
    q3 = accelerator_dir("eyeriss_like_q3")
    print(
        "full mapspace: Eyeriss-like Q3, architecture constraints only; ours in pJ (energy) or "
        "pJ x cycles (edp), cpu s = all threads; AccelForge / timeloop: theirs / ours"
    )
    print(
        f"{'layer':<16}{'objective':<10}{'ours':>14}{'s':>8}{'cpu s':>8}  {'proof':<11}"
        f"{'AccelForge':>12}{'s':>7}{'timeloop':>10}{'s':>7}"
    )
    notes: set[str] = set()
    for name, problem in resnet32_layers():
        if name.split()[0] not in layers:
            continue
        constraints = parse_constraints(arch_only, accelerator.architecture, problem)
        floor = None
        for objective in ("energy", "edp"):
            settings = MapperSettings(
                objective=objective, timeloop_version="v3.0", progress=False, time_limit_s=600
            )
            start, cpu = time.perf_counter(), time.process_time()
            ours = map_optimal(
                problem, accelerator.architecture, constraints, table, settings, energy_floor=floor
            )
            ours_s, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
            if objective == "energy" and ours.proven_optimal:
                # every mapping's energy is at least the proven minimum (less rounding)
                floor = ours.energy_pj * (1 - 1e-9)
            ours_score = _score(ours.energy_pj, ours.cycles, objective)
            task = MappingTask(problem, accelerator.architecture, constraints, table, settings)
            try:
                start = time.perf_counter()
                theirs = map_with_accelforge(task)
                af = f"{_score(theirs.energy_pj, theirs.cycles, objective) / ours_score:>12.3f}"
                af += f"{time.perf_counter() - start:>7.1f}"
            except SpecError as err:
                af = f"{'n/a':>12}{'':>7}"
                notes.add(f"AccelForge: {err}")
            if timeloop_binary:
                with tempfile.TemporaryDirectory() as tmp:
                    files = [
                        q3 / "arch.yaml",
                        *sorted((q3 / "components").glob("*.yaml")),
                        q3 / "constraints" / "arch_constraints.yaml",
                    ]
                    mapping_doc, tl_s = run_timeloop_mapping(
                        timeloop_binary, problem, Path(tmp), files, objective
                    )
                mapping = bind_mapping(mapping_doc, accelerator.architecture, problem)
                tl_eval = task.evaluate(mapping)
                tl_score = _score(tl_eval.total_energy_pj, tl_eval.counts.cycles, objective)
                tl = f"{tl_score / ours_score:>10.3f}{tl_s:>7.1f}"
            else:
                tl = f"{'n/a':>10}{'':>7}"
                notes.add(
                    f"timeloop-mapper: not available (no working build: {TIMELOOP_READY} absent)"
                )
            proof = "proven" if ours.proven_optimal else "NOT proven"
            print(
                f"{name:<16}{objective:<10}{ours_score:>14.4g}{ours_s:>8.2f}{ours_cpu:>8.2f}  "
                f"{proof:<11}{af}{tl}"
            )
    for note in sorted(notes):
        print(f"note: {note}")


def _score(energy_pj: float, cycles: float, objective: str) -> float:
    return energy_pj * cycles if objective == "edp" else energy_pj


def run_timeloop_mapping(
    binary: str, problem, work: Path, files: list[Path], objective: str
) -> tuple[object, float]:
    """(the mapping document timeloop-mapper found, wall seconds): the course's mapper settings
    with the objective's metrics, on `files` and the problem."""
    work.mkdir(parents=True, exist_ok=True)
    prob = work / "prob.yaml"
    prob.write_text(yaml.safe_dump(problem.to_timeloop("0.3"), sort_keys=False))
    settings = yaml.safe_load((accelerator_dir("eyeriss_like_q3") / "mapper.yaml").read_text())
    settings["mapper"]["optimization-metrics"] = (
        ["energy", "delay"] if objective == "energy" else ["edp", "energy"]
    )
    mapper = work / "mapper.yaml"
    mapper.write_text(yaml.safe_dump(settings))
    start = time.perf_counter()
    subprocess.run(
        [binary, *map(str, [*files, mapper, prob, ERT])],
        cwd=work,
        capture_output=True,
        check=True,
        timeout=900,
    )
    seconds = time.perf_counter() - start
    return yaml.safe_load((work / "timeloop-mapper.map.yaml").read_text()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeloop-mapper", default=shutil.which("timeloop-mapper"))
    parser.add_argument("--objective", choices=["energy", "delay", "edp"], default="energy")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--full-mapspace",
        nargs="*",
        metavar="LAYER",
        help="only the full-mapspace comparison, on these layers (u0 .. u7; default: "
        + " ".join(FULL_MAPSPACE_LAYERS)
        + ")",
    )
    args = parser.parse_args()
    if args.full_mapspace is not None:
        if not ERT.exists():
            raise SystemExit(f"reference ERT not found: {ERT}")
        full_mapspace(
            args.full_mapspace or list(FULL_MAPSPACE_LAYERS),
            args.timeloop_mapper or ready_timeloop_mapper(),
        )
        return
    if not ERT.exists():
        raise SystemExit(f"reference ERT not found: {ERT}")
    accelerator = load_accelerator("eyeriss_like_q3")
    table = load_energy_table(ERT)
    settings = MapperSettings(objective=args.objective, timeloop_version="v3.0", progress=False)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, problem in resnet32_layers():
            constraints = parse_constraints(
                list(accelerator.constraints), accelerator.architecture, problem
            )
            start = time.perf_counter()
            found = map_problem(problem, accelerator.architecture, constraints, table, settings)
            ours_s = time.perf_counter() - start
            row = {
                "layer": name,
                "ours_s": ours_s,
                "ours_pj": found.energy_pj,
                "ours_cycles": found.cycles,
                "evaluated": found.evaluated,
            }
            if args.timeloop_mapper:
                row["timeloop_pj"], row["timeloop_s"] = run_timeloop(
                    args.timeloop_mapper, problem, Path(tmp) / name.split()[0]
                )
                row["baseline"] = "measured"
            elif name in RECORDED:
                row["timeloop_pj"], row["timeloop_s"] = RECORDED[name]
                row["baseline"] = "recorded"
            rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"{'layer':<16}{'ours s':>8}{'TL s':>8}{'speed-up':>10}{'ours pJ':>14}{'TL pJ':>14}{'E ratio':>9}  baseline"
    )
    for r in rows:
        tl_s, tl_pj = r.get("timeloop_s"), r.get("timeloop_pj")
        speed = f"{tl_s / r['ours_s']:>9.1f}x" if tl_s else f"{'-':>10}"
        ratio = f"{r['ours_pj'] / tl_pj:>9.3f}" if tl_pj else f"{'-':>9}"
        print(
            f"{r['layer']:<16}{r['ours_s']:>8.2f}{(tl_s or float('nan')):>8.2f}{speed}{r['ours_pj']:>14,.0f}"
            f"{(tl_pj or float('nan')):>14,.0f}{ratio}  {r.get('baseline', 'none')}"
        )
    ours_total = sum(r["ours_s"] for r in rows)
    measured = [r for r in rows if r.get("baseline") == "measured"]
    tl_total = (
        sum(r["timeloop_s"] for r in measured) if len(measured) == len(rows) else RECORDED_TOTAL_S
    )
    source = (
        "measured in this run"
        if len(measured) == len(rows)
        else "recorded in ../shared (about 66 s)"
    )
    print(
        f"\ntotal: ours {ours_total:.2f} s, classic timeloop-mapper {tl_total:.1f} s ({source}): {tl_total / ours_total:.1f}x faster"
    )


if __name__ == "__main__":
    main()
