"""Fixtures of the sweep tests: conf/sweep.yaml composed and shrunk, and a stand-in trainer.

Real trials train ResNet-8 (width 4 or 8) for one epoch on 160 synthetic images with the tiny
random teacher, on one thread. Energy is real (hwsim): the mapping cache lives in one folder for
these tests, so each layer shape is mapped once. `fake_train` replaces `train.train` where a test
is about the study, not the training: accuracy is a known function of the trial's config
(sweep_fixtures.accuracy_of).
"""

import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf, open_dict

sys.path.insert(0, str(Path(__file__).parent))  # sweep_fixtures, for this file and the tests

from sweep_fixtures import ROOT, SPACE, TINY, accuracy_of

import sweep  # noqa: F401  (imports train, which sets HWKD_ROOT)


@pytest.fixture(scope="package", autouse=True)
def mapping_cache(tmp_path_factory):
    """hwsim's caches in one folder for these tests (never the user's)."""
    folder = tmp_path_factory.mktemp("hwkd_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HWKD_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture
def sweep_cfg(tmp_path) -> Callable[..., DictConfig]:
    """conf/sweep.yaml with TINY + overrides, writing under tmp_path; `space` replaces the space."""

    def make(*overrides: str, space: dict | None = None, out: Path | None = None) -> DictConfig:
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            cfg = compose("sweep", overrides=[*TINY, *overrides])
        with open_dict(cfg):
            cfg.paths.output_dir = str(out or tmp_path / "sweep")
            cfg.paths.cache_dir = str(tmp_path / "cache")
            cfg.sweep.space = OmegaConf.create(space or SPACE)
        return cfg

    return make


@pytest.fixture
def fake_train():
    """A train() stand-in: records its configs, returns accuracy_of(cfg); `fail_on` = {call: exc}."""

    class Fake:
        def __init__(self):
            self.configs: list[DictConfig] = []
            self.fail_on: dict[int, BaseException] = {}

        def __call__(self, cfg, callbacks=()):
            self.configs.append(cfg)
            if len(self.configs) in self.fail_on:
                raise self.fail_on[len(self.configs)]
            acc = accuracy_of(cfg)
            return SimpleNamespace(val_acc=acc, test_acc=acc - 0.01, checkpoint_path=None)

    return Fake()
