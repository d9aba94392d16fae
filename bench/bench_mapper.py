"""Mapper speed and quality on the eight unique layer shapes of a CIFAR ResNet-32.

Architecture: the course's Q3 Eyeriss-like accelerator with both constraint files (shipped with
hwsim as ``eyeriss_like_q3``); energies: the ERT that classic Accelergy produced for it
(../shared/reference/timeloop/eyeriss/u0_*/timeloop-mapper.ERT.yaml), so both mappers price
actions identically; Timeloop rules v3.0 (the reference's version).

Baseline: the classic ``timeloop-mapper`` with the course's mapper.yaml (random-pruned, 8 threads,
victory condition 500). When it is on PATH (or given with --timeloop-mapper) it runs in the same
run; otherwise the times recorded in ../shared/reference/timeloop/eyeriss (3.4 s for u0, 8.2 s for
u2, ~66 s for all eight layers on this machine) are used and the report says so.

Cold calls: users call the mapper the way they call timeloop-mapper, a new process per layer, so
start-up (imports, YAML, loading the compiled kernels) is part of every call. The cold-call
section runs ``hwsim mapper`` once per layer in a new process (the same files and ERT), then all
eight layers in one call, and ``hwsim network-energy resnet32`` with its disk caches empty and
warm; wall and CPU seconds (user+sys) per call, against timeloop-mapper's per-layer time (the
recorded ~8.2 s mean when it is not on PATH). CPU time is the figure to compare on a machine
other jobs load. The kernels must have been compiled once (``make`` runs
``python -m hwsim.precompile``: numba's cache and the ahead-of-time module one-layer calls
load); without them a first call compiles numba's kernels (about a minute) and later calls
load numba (~0.4 s CPU more each).

    python bench/bench_mapper.py [--timeloop-mapper PATH] [--objective energy|delay] [--cold-repeats N]

Full mapspace (``--full-mapspace [LAYER ...]``): the same accelerator with only its architecture
constraints (arch_constraints.yaml, no dataflow constraints): hwsim's optimal search
(`hwsim.mapper.optimal`) per objective (energy, EDP) against AccelForge's mapper (FFM) and
timeloop-mapper (on PATH or --timeloop-mapper; else its runs recorded in
tests/data/timeloop_mapper_arch_only, all eight layers, re-evaluated here), each mapping
evaluated by hwsim; ratios are theirs / ours (>= 1: ours no worse), seconds per layer measured
in this run. AccelForge cannot express the spads' temporal constraints, so FFM maps the
superset without them and returns its Pareto front (`search_superset`): ``AF`` is the best of
its mappings that satisfy every constraint (``none`` when none does), ``AF free`` the best of
them all, which breaks the spads' constraints (another, larger mapspace: below 1 is possible).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
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
REPO = Path(__file__).resolve().parents[1]


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
#: Layers the full-mapspace comparison maps by default (the smallest mapspaces first).
FULL_MAPSPACE_LAYERS = ("u0", "u6", "u2")
#: timeloop-mapper's runs on the same arch-only mapspace, recorded with a Timeloop v3.0 build
RECORDED_ARCH_ONLY = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "timeloop_mapper_arch_only"
)


def full_mapspace(layers: list[str], timeloop_binary: str | None) -> None:
    """The full-mapspace section (module docstring)."""
    from hwsim.mapper.optimal import map_optimal
    from hwsim.mapper.task import MappingTask
    from hwsim.precompile import compile_kernels
    from hwsim.spec.mapping import bind_mapping

    accelerator = load_accelerator("eyeriss_like_q3")
    table = load_energy_table(ERT)
    arch_only = [c for c in accelerator.constraints if "architecture_constraints" in c]
    q3 = accelerator_dir("eyeriss_like_q3")
    arch_files = [
        q3 / "arch.yaml",
        *sorted((q3 / "components").glob("*.yaml")),
        q3 / "constraints" / "arch_constraints.yaml",
    ]
    start = time.perf_counter()
    compile_kernels()  # numba and its cached parallel kernels: once per process
    print(
        f"numba's parallel kernels loaded in {time.perf_counter() - start:.2f} s, once per "
        "process, before the rows below (a new process pays it: 'new proc s')"
    )
    print(
        "full mapspace: Eyeriss-like Q3, architecture constraints only; ours in pJ (energy) or "
        "pJ x cycles (edp), cpu s = all threads; new proc s: `hwsim mapper --search optimal` "
        "on the layer in a new process; AccelForge / timeloop: theirs / ours"
    )
    print(
        f"{'layer':<16}{'objective':<10}{'ours':>14}{'s':>8}{'cpu s':>8}{'new proc s':>11}  "
        f"{'proof':<11}{'AF':>7}{'AF free':>9}{'s':>7}{'cpu s':>7}{'timeloop':>10}{'s':>7}"
    )
    notes: set[str] = set()
    # ours first, every layer, then the others: AccelForge leaves a large heap in this process,
    # which Python's collector would scan again during our searches
    ours_rows = []
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
            new_process = _new_process_call(arch_files, problem, objective)
            ours_rows.append(
                (name, problem, constraints, settings, ours, ours_s, ours_cpu, new_process)
            )
    for name, problem, constraints, settings, ours, ours_s, ours_cpu, new_process in ours_rows:
        objective = settings.objective
        ours_score = _score(ours.energy_pj, ours.cycles, objective)
        task = MappingTask(problem, accelerator.architecture, constraints, table, settings)
        af = accelforge_columns(task, ours_score, notes)
        if timeloop_binary:
            with tempfile.TemporaryDirectory() as tmp:
                mapping_doc, tl_s = run_timeloop_mapping(
                    timeloop_binary, problem, Path(tmp), arch_files, objective
                )
            mapping = bind_mapping(mapping_doc, accelerator.architecture, problem)
            tl_eval = task.evaluate(mapping)
            tl_score = _score(tl_eval.total_energy_pj, tl_eval.cycles, objective)
            tl = f"{tl_score / ours_score:>10.3f}{tl_s:>7.1f}"
        elif (recorded := _recorded_arch_only(name)) is not None:
            mapping_doc, tl_s = recorded
            mapping = bind_mapping(mapping_doc, accelerator.architecture, problem)
            tl_eval = task.evaluate(mapping)
            tl_score = _score(tl_eval.total_energy_pj, tl_eval.cycles, objective)
            tl = f"{tl_score / ours_score:>10.3f}{tl_s:>6.0f}r"
            notes.add(
                "timeloop-mapper not on PATH: r = its run recorded in "
                "tests/data/timeloop_mapper_arch_only (mapping re-evaluated here; its wall "
                "time on 2 shared cores at nice 19, an upper bound)"
            )
        else:
            tl = f"{'n/a':>10}{'':>7}"
            notes.add("timeloop-mapper: not available (not on PATH; give --timeloop-mapper PATH)")
        proof = "proven" if ours.proven_optimal else "NOT proven"
        print(
            f"{name:<16}{objective:<10}{ours_score:>14.4g}{ours_s:>8.2f}{ours_cpu:>8.2f}"
            f"{new_process:>11.2f}  {proof:<11}{af}{tl}",
            flush=True,
        )
    for note in sorted(notes):
        print(f"note: {note}")


def _new_process_call(arch_files: list[Path], problem, objective: str) -> float:
    """Wall seconds of ``hwsim mapper --search optimal`` on `problem` in a new process."""
    with tempfile.TemporaryDirectory() as tmp:
        prob = Path(tmp) / "prob.yaml"
        prob.write_text(yaml.safe_dump(problem.to_timeloop("0.3"), sort_keys=False))
        argv = ["mapper", *map(str, arch_files), str(prob), "--energy", str(ERT)]
        argv += ["--timeloop-version", "v3.0", "--objective", objective, "--search", "optimal"]
        wall, _cpu = timed_call([*argv, "--json", "--out", f"{tmp}/map.yaml"])
    return wall


def accelforge_columns(task, ours_score: float, notes: set[str]) -> str:
    """The AF, AF free, s and cpu s columns of a row (module docstring); notes say what they mean."""
    from hwsim.mapper.accelforge_bridge import search_superset

    objective = task.settings.objective
    cpu = time.process_time()
    try:
        found = search_superset(task)  # FFM in this process: its CPU time is all of it
    except ImportError:
        notes.add("AccelForge: not installed (pip install 'hwkd[accelforge]')")
        return f"{'n/a':>7}{'n/a':>9}{'':>14}"
    except SpecError as err:
        notes.add(f"AccelForge: {err}")
        return f"{'n/a':>7}{'n/a':>9}{'':>14}"
    cpu = time.process_time() - cpu
    free = found.unconstrained.evaluation
    free_ratio = _score(free.total_energy_pj, free.cycles, objective) / ours_score
    if found.constrained is None:
        satisfying = f"{'none':>7}"
        notes.add(f"AF none, {task.problem.name} {objective}: {found.refusal(task)}")
    else:
        best = found.constrained.evaluation
        satisfying = f"{_score(best.total_energy_pj, best.cycles, objective) / ours_score:>7.3f}"
    notes.add(
        "AF (AccelForge's mapper, FFM) mapped each layer without the spads' temporal factor and "
        "loop-order constraints, which it cannot express, keeping its Pareto front of the "
        "objective and every memory's usage; its mappings (each level cut written as Timeloop "
        "levels) evaluated by hwsim, the best that satisfies all the constraints; AF free: the "
        "best of them all, which breaks those constraints (a larger mapspace than ours); "
        "s, cpu s: FFM and hwsim's evaluation of its mappings together"
    )
    return f"{satisfying}{free_ratio:>9.3f}{found.seconds:>7.1f}{cpu:>7.1f}"


def _recorded_arch_only(layer: str) -> tuple[dict, float] | None:
    """(mapping, wall s) of timeloop-mapper's recorded arch-only run of `layer`, if there is one."""
    folders = sorted(RECORDED_ARCH_ONLY.glob(f"{layer.split()[0]}_*"))
    if not folders:
        return None
    result = json.loads((folders[0] / "result.json").read_text())
    mapping = yaml.safe_load((folders[0] / "timeloop-mapper.map.yaml").read_text())["mapping"]
    return mapping, result["wall_s"]


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
    return yaml.safe_load((work / "timeloop-mapper.map.yaml").read_text())["mapping"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeloop-mapper", default=shutil.which("timeloop-mapper"))
    parser.add_argument("--objective", choices=["energy", "delay", "edp"], default="energy")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--cold-repeats", type=int, default=3, help="cold calls per layer (the median is kept)"
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-call section")
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
            args.timeloop_mapper,
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
    cold = None if args.no_cold else cold_calls(args, rows)
    if args.json:
        print(json.dumps({"in_process": rows, "cold": cold}, indent=2))
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

    if cold:
        print_cold(cold)


# --------------------------------------------------------------------------- cold calls
def timed_call(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall s, CPU s user+sys) of one new ``python -m hwsim`` process; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hwsim", *argv],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_call(argv: list[str], repeats: int) -> dict[str, float]:
    """Median wall and CPU seconds over `repeats` calls (a call: wall and CPU kept together)."""
    calls = sorted((timed_call(argv) for _ in range(repeats)), key=lambda c: c[1])
    wall, cpu = calls[len(calls) // 2]
    return {"wall_s": wall, "cpu_s": cpu, "min_cpu_s": calls[0][1]}


def cold_calls(args: argparse.Namespace, rows: list[dict]) -> dict:
    """``hwsim mapper`` per layer in new processes, all layers in one, network-energy cold."""
    q3 = accelerator_dir("eyeriss_like_q3")
    common = ["--energy", str(ERT), "--timeloop-version", "v3.0", "--objective", args.objective]
    per_layer = []
    with tempfile.TemporaryDirectory() as tmp:
        layers = []
        for name, problem in resnet32_layers():
            path = Path(tmp) / f"{name.split()[0]}.yaml"
            path.write_text(yaml.safe_dump(problem.to_timeloop("0.3"), sort_keys=False))
            layers.append(path)
            out = Path(tmp) / "one" / f"{path.stem}.map.yaml"
            argv = ["mapper", str(q3), str(path), *common, "--json", "--out", str(out)]
            per_layer.append({"layer": name, **median_call(argv, args.cold_repeats)})
        many = ["mapper", str(q3), *map(str, layers), *common, "--json", "--out", f"{tmp}/many"]
        all_in_one = median_call(many, args.cold_repeats)
        network = ["network-energy", "resnet32", "--json"]
        empty = timed_call(network, env={"HWKD_CACHE_DIR": f"{tmp}/empty-cache"})
        warm = timed_call(network, env={"HWKD_CACHE_DIR": f"{tmp}/empty-cache"})
    measured = [r for r in rows if r.get("baseline") == "measured"]
    if len(measured) == len(rows):
        timeloop = {r["layer"]: r["timeloop_s"] for r in rows}
        baseline = "measured in this run"
    else:
        # u0 and u2 as recorded; the rest of the recorded 66 s shared by the other six layers
        rest = (RECORDED_TOTAL_S - sum(s for _pj, s in RECORDED.values())) / (
            len(rows) - len(RECORDED)
        )
        timeloop = {r["layer"]: RECORDED.get(r["layer"], (0.0, rest))[1] for r in rows}
        baseline = f"recorded: u0 3.4 s, u2 8.2 s, the other six {rest:.1f} s each (66 s in all)"
    for row in per_layer:
        row["timeloop_s"] = timeloop[row["layer"]]
    return {
        "per_layer": per_layer,
        "all_in_one_call": all_in_one,
        "network_energy_resnet32": {
            "empty_caches": {"wall_s": empty[0], "cpu_s": empty[1]},
            "warm_caches": {"wall_s": warm[0], "cpu_s": warm[1]},
        },
        "baseline": baseline,
    }


def print_cold(cold: dict) -> None:
    rows = cold["per_layer"]
    print(
        f"\ncold calls (a new process per call, median of repeats; TL = timeloop-mapper, {cold['baseline']})"
    )
    print(f"{'layer':<16}{'wall s':>8}{'CPU s':>8}{'TL s':>8}{'TL/wall':>9}{'TL/CPU':>8}")
    for r in rows:
        print(
            f"{r['layer']:<16}{r['wall_s']:>8.2f}{r['cpu_s']:>8.2f}{r['timeloop_s']:>8.1f}"
            f"{r['timeloop_s'] / r['wall_s']:>8.1f}x{r['timeloop_s'] / r['cpu_s']:>7.1f}x"
        )
    wall = statistics.mean(r["wall_s"] for r in rows)
    cpu = statistics.mean(r["cpu_s"] for r in rows)
    tl = statistics.mean(r["timeloop_s"] for r in rows)
    print(
        f"{'mean per call':<16}{wall:>8.2f}{cpu:>8.2f}{tl:>8.1f}{tl / wall:>8.1f}x{tl / cpu:>7.1f}x"
    )
    one = cold["all_in_one_call"]
    print(
        f"all {len(rows)} layers in one call: {one['wall_s']:.2f} s wall, {one['cpu_s']:.2f} s CPU "
        f"({sum(r['cpu_s'] for r in rows) / one['cpu_s']:.1f}x less CPU than {len(rows)} calls)"
    )
    net = cold["network_energy_resnet32"]
    print(
        f"network-energy resnet32: {net['empty_caches']['wall_s']:.2f} s wall, "
        f"{net['empty_caches']['cpu_s']:.2f} s CPU with empty disk caches; "
        f"{net['warm_caches']['wall_s']:.2f} s wall, {net['warm_caches']['cpu_s']:.2f} s CPU warm"
    )


if __name__ == "__main__":
    main()
