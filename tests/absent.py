"""What a test does when something it needs is not on this machine: in CI (CI=true, set by
.ci/run) it fails, so a check can never silently drop out of the suite; elsewhere it skips with the
reason, and `-ra` (pyproject's addopts) lists every such skip at the end of the run."""

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def absent(message: str) -> NoReturn:
    """Fail in CI, skip elsewhere, with `message` saying what is missing and how to get it."""
    __tracebackhide__ = True  # the skip is reported at the test that needed the material
    if in_ci():
        pytest.fail(f"{message} (CI runs every check: nothing may be skipped there)")
    pytest.skip(message, allow_module_level=True)  # also from a module's top level


def require_module(name: str, how: str) -> ModuleType:
    """The module `name`, or absent() with `how` to install it."""
    __tracebackhide__ = True
    try:
        return importlib.import_module(name)
    except ImportError:
        absent(f"{name} is not installed; {how}")
