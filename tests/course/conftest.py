"""Fixtures of the report tests: the tiny study (tiny_study.py) in a temporary SQLite file."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tiny_study, for this file and the tests

from tiny_study import build_tiny_study


@pytest.fixture(scope="package")
def tiny_study(tmp_path_factory) -> Path:
    """The tiny study's SQLite file."""
    path = tmp_path_factory.mktemp("study") / "study.db"
    build_tiny_study(path)
    return path
