"""Fixtures of the distillation tests (helpers in kd_fixtures.py)."""

import sys
from pathlib import Path

import pytest
from omegaconf import DictConfig

sys.path.insert(0, str(Path(__file__).parent))  # kd_fixtures, for this file and the tests

from kd_fixtures import SMALL, compose_config

import train


@pytest.fixture
def small_cfg(tmp_path):
    def make(*overrides: str) -> DictConfig:
        return compose_config(tmp_path, [*SMALL, *overrides])

    return make


@pytest.fixture(scope="session")
def train_module():
    return train
