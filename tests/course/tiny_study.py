"""A four-trial co-design study written straight into an Optuna SQLite storage, with the
attributes `sweep.py` stores (study: objectives, constraints, space, training config; trial:
energy with per-layer rows, config, result, constraints), and hand-chosen numbers:

| trial | width | α   | accuracy | energy (µJ) | feasible (≥ 85 %) |
|-------|-------|-----|----------|-------------|-------------------|
| #0    | 4     | 0.2 | 0.80     | 40          | no                |
| #1    | 8     | 0.5 | 0.88     | 100         | yes (chosen)      |
| #2    | 16    | 0.9 | 0.93     | 300         | yes               |
| #3    | 16    | 0.1 | 0.86     | 300         | yes (dominated)   |

The trials were priced with ``hw.energy=classic`` and ``hw.objective=edp`` (not the defaults),
so a report that names them must have read them.
"""

from __future__ import annotations

from pathlib import Path

import optuna

FLOOR = 0.85
#: (width, alpha, accuracy, energy µJ)
TRIALS = (
    (4, 0.2, 0.80, 40.0),
    (8, 0.5, 0.88, 100.0),
    (16, 0.9, 0.93, 300.0),
    (16, 0.1, 0.86, 300.0),
)
HW = {
    "enabled": False,
    "arch": "eyeriss_like_q3",
    "energy": "classic",
    "datawidth": 8,
    "objective": "edp",
}
CHOSEN = 1
#: The chosen student's two layers: (name, macs, pJ, share of Weights in its pJ).
LAYERS = (("stem.0", 1_000_000, 30e6, 0.2), ("fc", 4_000_000, 70e6, 0.6))


def _layers() -> list[dict]:
    rows = []
    for name, macs, pj, weights in LAYERS:
        rows.append(
            {
                "layer": name,
                "shape": f"C8 M8 R3 S3 P{macs // 1000} Q1",
                "repeat": 1,
                "macs": macs,
                "energy_pj": pj,
                "pj_per_mac": pj / macs,
                "energy_pj[DRAM]": pj * 0.5,
                "energy_pj[compute]": pj * 0.5,
                "energy_pj[Weights]": pj * weights,
                "energy_pj[Inputs]": pj * (1 - weights) / 2,
                "energy_pj[Outputs]": pj * (1 - weights) / 2,
            }
        )
    return rows


def _config(width: int, alpha: float) -> dict:
    return {
        "seed": 7,
        "hw": HW,
        "kd": {"T": 2.0, "alpha": alpha},
        "model": {"width": width},
        "optim": {"optimizer": {"_target_": "torch.optim.SGD", "lr": 0.05, "momentum": 0.9}},
        "trainer": {"max_epochs": 3},
        "data": {"batch_size": 32, "source": {"_target_": "models.data.Synthetic", "n_train": 160}},
        "teacher": {"_target_": "models.teachers.tiny"},
    }


def build_tiny_study(path: Path, name: str = "tiny") -> str:
    """Write the study into the SQLite file `path`; returns its storage URL."""
    url = f"sqlite:///{path}"
    study = optuna.create_study(storage=url, study_name=name, directions=["maximize", "minimize"])
    attrs = {
        "objectives": ["accuracy", "energy"],
        "metric": "val",
        "constraints": {"min_accuracy": FLOOR, "max_energy_uj": None, "max_area_mm2": None},
        "choose": "min_energy",
        "space": {"model.width": "{4, 8, 16}", "kd.alpha": "0 .. 1"},
        "sampler": "NSGAIISampler",
        "hw_arch": "eyeriss_like_q3",
        "training": _config(8, 0.5),
    }
    for key, value in attrs.items():
        study.set_user_attr(key, value)
    distributions = {
        "model.width": optuna.distributions.CategoricalDistribution((4, 8, 16)),
        "kd.alpha": optuna.distributions.FloatDistribution(0.0, 1.0),
    }
    for number, (width, alpha, accuracy, energy) in enumerate(TRIALS):
        layers = _layers() if number == CHOSEN else []
        study.add_trial(
            optuna.trial.create_trial(
                values=[accuracy, energy],
                params={"model.width": width, "kd.alpha": alpha},
                distributions=distributions,
                constraints={"accuracy": FLOOR - accuracy},
                user_attrs={
                    "energy": {
                        "total_uj": energy,
                        "by_level_uj": {"DRAM": energy / 2, "compute": energy / 2},
                        "layers": layers,
                        "student": {
                            "blocks": [1, 1, 1],
                            "widths": [width, 2 * width, 4 * width],
                            "block": "basic",
                            "bits": None,
                            "depth": 8,
                        },
                        "accelerator": {"name": "eyeriss_like_q3", "pe_array": [12, 14]},
                        "area_mm2": None,
                        "datawidth": 8,
                        "macs": 5_000_000,
                        "params": 1000 * width,
                    },
                    "config": _config(width, alpha),
                    "result": {
                        "accuracy": accuracy,
                        "val_acc": accuracy,
                        "test_acc": accuracy - 0.01,
                        "checkpoint": None,
                        "feasible": accuracy >= FLOOR,
                    },
                    "time": {"train_s": 1.0, "energy_s": 0.1, "total_s": 1.1},
                    "val_curve": [accuracy] * 3,
                },
            )
        )
    return url
