"""A check whose material is missing fails in CI and skips elsewhere (tests/absent.py)."""

import pytest
from absent import absent, require_module


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_absent_fails_in_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="the thing is missing"):
        absent("the thing is missing")
    with pytest.raises(outcome, match="no_such_module_hwkd is not installed; pip install it"):
        require_module("no_such_module_hwkd", "pip install it")
    assert require_module("json", "stdlib").dumps(1) == "1"
