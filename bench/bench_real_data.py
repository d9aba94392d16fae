"""Real-data evidence: students trained on the real CIFAR-10 on this machine, written to
docs/results.md with the exact command, test accuracy, epochs and wall time of every run.

    .venv/bin/python bench/bench_real_data.py                      # every run below, in order
    .venv/bin/python bench/bench_real_data.py --runs resnet8-ce   # one run; the others are kept

Each run is `python train.py <overrides>` in a new process (the command recorded is the one that
ran), with its Hydra run directory under outputs/real_data/<run>. Its measured figures go to
docs/results.json (one entry per run name, replaced when the run is repeated) and docs/results.md is
rendered from that file alone: no figure in it is typed by hand. The KD run distils from the
checkpoint of the `resnet32` run, so that one runs first (its checkpoint must still exist).

The runs: the course's student (ResNet-32, 8-bit QAT) by the CPU recipe of
conf/experiment/cifar10_cpu.yaml; a smaller variant (ResNet-8) by cross-entropy; the same smaller
variant distilled from the trained ResNet-32 (KD vs CE at equal epochs, same seed and recipe).
"""

import argparse
import csv
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DATA = ROOT.parent / "shared" / "data" / "cifar10-jpeg.tar.gz"
SMALL_EPOCHS = 8


@dataclass(frozen=True)
class Run:
    name: str
    purpose: str
    overrides: tuple[str, ...]
    teacher_run: str | None = None  # the run whose checkpoint is this run's teacher


RUNS = {
    r.name: r
    for r in (
        Run(
            "resnet32",
            "the course's student (ResNet-32, option A, 8-bit QAT), cross-entropy",
            ("experiment=cifar10_cpu",),
        ),
        Run(
            "resnet8-ce",
            "smaller variant (ResNet-8, 8-bit QAT, 1/5 of the MACs), cross-entropy",
            ("experiment=cifar10_cpu", "model=resnet8", f"trainer.max_epochs={SMALL_EPOCHS}"),
        ),
        Run(
            "resnet8-kd",
            "smaller variant distilled from the trained ResNet-32 (T=4, α=0.9)",
            (
                "experiment=cifar10_cpu",
                "model=resnet8",
                f"trainer.max_epochs={SMALL_EPOCHS}",
                "kd.alpha=0.9",
                "kd.T=4",
                "kd.cache=off",  # a CNN teacher at every step costs less than 162 views x 45k
                "teacher=checkpoint",
            ),
            teacher_run="resnet32",
        ),
    )
}


@dataclass(frozen=True)
class Measured:
    run: str
    purpose: str
    command: str
    test_acc: float
    val_acc: float
    epochs: int
    wall_time_s: float  # the whole process: start-up, data, training, test, energy
    val_acc_per_epoch: list[float]
    energy_uj: float | None
    params: int
    macs: int
    load_before: float  # 1-minute load average when the run started (other work on the CPU)
    load_after: float
    machine: str
    date: str


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS))
    parser.add_argument("--data", type=Path, default=DATA, help="the CIFAR-10 JPEG .tar.gz")
    parser.add_argument(
        "--teacher", type=Path, help="the KD run's teacher checkpoint (default: the resnet32 run's)"
    )
    args = parser.parse_args()
    if not args.data.is_file():
        sys.exit(f"bench_real_data: no real CIFAR-10 at {args.data} (--data PATH)")
    results_path = DOCS / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    for name in args.runs:
        run = RUNS[name]
        overrides = [*run.overrides, f"data.source.root={args.data}"]
        if run.teacher_run:
            teacher = args.teacher or results.get(run.teacher_run, {}).get("checkpoint")
            if not teacher or not Path(teacher).is_file():
                sys.exit(f"bench_real_data: {name} needs the checkpoint of run {run.teacher_run}")
            overrides.append(f"teacher.path={teacher}")
        measured, checkpoint = measure(run, overrides)
        results[name] = {**asdict(measured), "checkpoint": checkpoint}
        DOCS.mkdir(exist_ok=True)
        results_path.write_text(json.dumps(results, indent=2) + "\n")
        (DOCS / "results.md").write_text(render(results))
        print(
            f"{name}: test {measured.test_acc:.2%} after {measured.epochs} epochs "
            f"in {measured.wall_time_s / 60:.1f} min -> docs/results.md"
        )
    return 0


def measure(run: Run, overrides: list[str]) -> tuple[Measured, str]:
    run_dir = ROOT / "outputs" / "real_data" / run.name
    argv = [
        sys.executable,
        "train.py",
        *overrides,
        "trainer.enable_progress_bar=false",
        f"hydra.run.dir={run_dir}",
    ]
    shown = ["python", "train.py", *(a for a in overrides if not a.startswith("data.source.root"))]
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True)
    wall = time.perf_counter() - start
    result = json.loads((run_dir / "result.json").read_text())
    curve = val_curve(run_dir)
    measured = Measured(
        run=run.name,
        purpose=run.purpose,
        command=shlex.join(shown),
        test_acc=result["test_acc"],
        val_acc=result["val_acc"],
        epochs=len(curve),
        wall_time_s=round(wall, 1),
        val_acc_per_epoch=curve,
        energy_uj=None if result["energy_pj"] is None else result["energy_pj"] / 1e6,
        params=result["params"],
        macs=result["macs"],
        load_before=round(load_before, 2),
        load_after=round(os.getloadavg()[0], 2),
        machine=machine(),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    return measured, result["checkpoint_path"]


def val_curve(run_dir: Path) -> list[float]:
    """Validation accuracy after each epoch, from the CSV logger's metrics.csv."""
    rows = list(csv.DictReader((run_dir / "csv" / "metrics.csv").open()))
    return [round(float(r["val/acc"]), 4) for r in rows if r.get("val/acc")]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    return f"{cpu}, {os.cpu_count()} logical CPUs, no GPU used"


def render(results: dict) -> str:
    lines = [
        "# Results on the real CIFAR-10",
        "",
        "Written by `bench/bench_real_data.py` from `docs/results.json`: every figure below was",
        "measured by running the command beside it; none is typed by hand. Data: the 50,000",
        "training JPEGs (45,000 trained on, 5,000 held out for validation, seeded) and the 10,000",
        "test images; test accuracy is measured once, on the checkpoint of the best validation",
        "epoch. Wall time is the whole process (start-up, decoding from the cache, training,",
        "validation, test and the energy estimate); the load average shows whether other work",
        "shared the CPU.",
        "",
        "| run | test acc | epochs | wall time | energy (µJ, classic) | params | MACs | command |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        energy = "-" if r["energy_uj"] is None else f"{r['energy_uj']:.2f}"
        lines.append(
            f"| {r['run']} | **{r['test_acc']:.2%}** | {r['epochs']} | "
            f"{r['wall_time_s'] / 60:.1f} min | {energy} | {r['params']:,} | {r['macs']:,} | "
            f"`{r['command']}` |"
        )
    lines += ["", "## Runs", ""]
    for r in results.values():
        curve = ", ".join(f"{a:.1%}" for a in r["val_acc_per_epoch"])
        lines += [
            f"### {r['run']}: {r['purpose']}",
            "",
            f"- command: `{r['command']}` (plus `data.source.root=` the JPEG archive)",
            f"- test accuracy {r['test_acc']:.2%}, best validation {r['val_acc']:.2%}",
            f"- validation accuracy per epoch: {curve}",
            f"- wall time {r['wall_time_s']:.0f} s on {r['machine']}; 1-min load average "
            f"{r['load_before']} before, {r['load_after']} after; {r['date']}",
            "",
        ]
    if "resnet8-ce" in results and "resnet8-kd" in results:
        ce, kd = results["resnet8-ce"], results["resnet8-kd"]
        lines += [
            "## Distillation vs cross-entropy at equal epochs",
            "",
            f"ResNet-8, {ce['epochs']} epochs each, same seed and recipe: cross-entropy "
            f"{ce['test_acc']:.2%}, distilled from the trained ResNet-32 {kd['test_acc']:.2%} "
            f"({(kd['test_acc'] - ce['test_acc']) * 100:+.2f} points); the teacher costs "
            f"{kd['wall_time_s'] / ce['wall_time_s']:.2f}x the wall time (it runs at every step).",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
