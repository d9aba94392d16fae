"""Where the time of a sweep goes: the 4-trial demo study (synthetic data, tiny teacher), split
into training, energy and overhead, run twice in one process:

- cold: empty hwsim caches (no layer mapped yet, component models not evaluated) and no
  teacher-logit cache, as on a fresh machine;
- warm: the same four students again in a new study, every layer shape already mapped.

    .venv/bin/python bench/bench_sweep.py                 # ~3 minutes on 2 cores
    .venv/bin/python bench/bench_sweep.py --trials 8 --threads 1

Then the energy of six students of the real study's space (conf/sweep/space/default.yaml: wider,
deeper, bottleneck and separable blocks, 8/4-bit words), each new, in a fresh cache: the cost of a
new architecture where layers are larger than the demo's.

Training is what `train()` takes (data, fit, test; the first cold trial also builds the teacher's
logit cache, reported apart); energy is pricing the untrained student before training; overhead
is everything else in `run_sweep`: sampling, storage, configs, the report and plots. The issue's
goals: overhead (everything but training, energy included) below 10 % of the study's wall time,
and energy below 1 s per new architecture.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

START = time.perf_counter()
CACHE = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
os.environ["HWKD_CACHE_DIR"] = str(CACHE / "hwkd")  # cold hwsim caches, before hwsim is imported
os.environ.setdefault("WANDB_MODE", "disabled")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import logging  # noqa: E402
import warnings  # noqa: E402

import optuna  # noqa: E402
from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import OmegaConf, open_dict  # noqa: E402

import sweep  # noqa: E402

IMPORTS_S = time.perf_counter() - START


def run(label: str, overrides: list[str], out: Path) -> dict:
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("sweep", overrides=overrides)
    with open_dict(cfg):
        cfg.paths.output_dir = str(out)
        cfg.paths.cache_dir = str(CACHE / "logits")
    result = sweep.run_sweep(cfg)
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    trials = [t for t in study.trials if t.number in result.ran]
    energy = {t.number: t.user_attrs.get("energy") or {} for t in trials}
    timing = {t.number: t.user_attrs.get("time") or {} for t in trials}
    new = [t for t in trials if energy[t.number].get("mapped_layers", 0) > 0]
    s = result.seconds
    return {
        "label": label,
        "total": s["total"],
        "train": s["train"],
        "energy": s["energy"],
        "report": s["report"],
        "overhead": s["total"] - s["train"],
        "trials": len(trials),
        "first_train": timing[trials[0].number].get("train_s", 0.0) if trials else 0.0,
        "new_archs": len(new),
        "energy_new": [timing[t.number]["energy_s"] for t in new],
        "energy_repeat": [timing[t.number]["energy_s"] for t in trials if t not in new],
        "states": result.counts,
        "per_trial": [
            (
                t.number,
                t.state.name.lower(),
                energy[t.number].get("student", {}),
                energy[t.number].get("mapped_layers", 0),
                timing[t.number].get("energy_s", 0.0),
                timing[t.number].get("train_s", 0.0),
            )
            for t in trials
        ],
    }


#: Students of the real study's space (the first also builds the component models' table).
REAL_SPACE = [
    ["model.blocks=[3,3,3]", "model.width=16"],
    ["model.blocks=[5,5,5]", "model.width=24", "model.block=separable", "model.quant.bits=8"],
    ["model.blocks=[2,3,4]", "model.width=20", "model.block=bottleneck"],
    ["model.blocks=[4,3,2]", "model.width=12", "model.quant.bits=4"],
    ["model.blocks=[2,2,2]", "model.width=8"],
    ["model.blocks=[1,2,3]", "model.width=24", "model.block=bottleneck", "model.quant.bits=8"],
]


def real_space_energy() -> list[tuple[str, float, float]]:
    """(student, seconds, µJ) of each REAL_SPACE student, priced new in a fresh cache."""
    from codesign.energy import EnergyModel

    os.environ["HWKD_CACHE_DIR"] = str(CACHE / "hwkd-real")  # read at every call
    rows, model = [], None
    for overrides in REAL_SPACE:
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            cfg = compose("sweep", overrides=overrides)
        model = model or EnergyModel(OmegaConf.to_container(cfg.hw, resolve=True), 32)
        start = time.perf_counter()
        energy = model(cfg.model, {})
        name = " ".join(o.split(".", 1)[1] for o in overrides)
        rows.append((name, time.perf_counter() - start, energy.total_uj))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    overrides = [
        "experiment=demo",
        f"sweep.n_trials={args.trials}",
        "trainer.enable_progress_bar=false",
        *([f"num_threads={args.threads}"] if args.threads else []),
    ]
    out = CACHE / "runs"
    rows = [
        run("cold", overrides, out / "cold"),
        run("warm", [*overrides, "sweep.study_name=warm"], out / "warm"),
    ]
    cold, warm = rows
    print(
        f"\n{args.trials}-trial demo study (python sweep.py experiment=demo sweep.n_trials={args.trials})"
    )
    print(f"imports (python start-up, not part of the study): {IMPORTS_S:.1f} s\n")
    print(
        f"{'':6} {'total':>8} {'training':>9} {'energy':>8} {'report':>7} {'overhead':>9} {'ovh/total':>10} {'energy/total':>13}"
    )
    for r in rows:
        print(
            f"{r['label']:6} {r['total']:7.1f}s {r['train']:8.1f}s {r['energy']:7.2f}s "
            f"{r['report']:6.2f}s {r['overhead']:8.1f}s {r['overhead'] / r['total']:9.1%} "
            f"{r['energy'] / r['total']:12.1%}   states {r['states']}"
        )
    for r in rows:
        print(f"\n{r['label']}: trial, state, student, layers mapped now, energy s, training s")
        for number, state, student, mapped, e_s, t_s in r["per_trial"]:
            arch = f"{student.get('blocks')} x {student.get('widths')}"
            print(f"  #{number} {state:9} {arch:28} {mapped:3d} {e_s:7.2f} {t_s:7.1f}")
    logit_cache = cold["first_train"] - warm["first_train"]
    print(f"\nteacher-logit cache build (cold trial #0 training minus warm): ~{logit_cache:.1f} s")
    if cold["energy_new"]:
        per_new = sum(cold["energy_new"]) / len(cold["energy_new"])
        print(
            f"energy per new architecture (cold): {per_new:.2f} s on average over {cold['new_archs']} "
            f"(each: {', '.join(f'{x:.2f}' for x in cold['energy_new'])} s; the first also builds the "
            "component models' table)"
        )
    repeats = cold["energy_repeat"] + warm["energy_repeat"] + warm["energy_new"]
    if repeats:
        print(f"energy of an architecture already mapped: {max(repeats) * 1e3:.0f} ms at most")
    for r in rows:
        ok = r["overhead"] / r["total"] < 0.10
        print(
            f"goal overhead < 10 % of total ({r['label']}): {'met' if ok else 'MISSED'} ({r['overhead'] / r['total']:.1%})"
        )
    real = real_space_energy()
    print("\nenergy of new students of the real study's space (fresh cache, in this order):")
    for name, seconds, uj in real:
        print(f"  {name:62} {seconds:6.2f} s {uj:8.1f} µJ")
    print(
        f"  median {statistics.median(x for _, x, _ in real):.2f} s, worst {max(x for _, x, _ in real):.2f} s"
    )
    if cold["energy_new"]:
        worst = max(cold["energy_new"])
        print(
            f"goal energy < 1 s per new architecture: {'met' if worst < 1 else 'MISSED'} (worst {worst:.2f} s)"
        )


if __name__ == "__main__":
    main()
