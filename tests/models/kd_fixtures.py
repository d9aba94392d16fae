"""The real Hydra config of train.py, composed and shrunk for tests (nothing downloads)."""

import sys
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "conf"
sys.path.insert(0, str(ROOT))  # train.py lives at the project root

import train  # noqa: E402, F401  (sets HWKD_ROOT, which conf/paths reads)

# The tiny random DINOv2 of conf/teacher/dinov2_tiny.yaml as a transformers Dinov2Config dict.
TINY = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "patch_size": 14,
    "image_size": 56,
}

# A run small enough for a test: synthetic data, the tiny random DINOv2, 18 views, no energy.
SMALL = [
    "experiment=demo",
    "hw.enabled=false",
    "data.source.n_train=160",
    "data.source.n_test=64",
    "data.batch_size=32",
    "data.eval_batch_size=64",
    "data.augment.step=4",
    "model=resnet8",
    "model.width=8",
    "kd.cache=off",  # the online teacher: no cache to build (test_train_runs covers both)
]


def compose_config(tmp_path: Path, overrides: list[str] = ()) -> DictConfig:
    """conf/train.yaml with `overrides`, writing into tmp_path (outputs and caches)."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=list(overrides))
    with open_dict(cfg):
        cfg.paths.output_dir = str(tmp_path / "run")
        cfg.paths.cache_dir = str(tmp_path / "cache")
    return cfg
