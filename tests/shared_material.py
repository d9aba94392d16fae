"""Where the read-only course material (../shared) lives. Tests read it only to check that the
project's own copies of the few numbers they need equal the real tools' (the shipped copies run on
every clone); where ../shared is absent such a check skips, and fails in CI (tests/absent.py)."""

from __future__ import annotations

from pathlib import Path

from absent import absent

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with a message saying it is absent."""
    __tracebackhide__ = True  # the skip is reported at the test that asked for the path
    path = SHARED.joinpath(*parts)
    if not path.exists():
        absent(f"reference material not present: {path} (tests read ../shared only when it exists)")
    return path
