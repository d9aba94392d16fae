"""The Timeloop versions whose rules hwsim reproduces, and what tells them apart.

- ``master`` (2024+): a stationary tile costs nothing and leaves the remembered stride alone;
- ``v3.0``: the first move is remembered even when it is zero, so a tile that was stationary
  and then slides is re-fetched whole;
- ``e1d76d6`` (March 2023): as v3.0, and an inner level's first fill of read-write data is not
  subtracted.
"""

from __future__ import annotations

from hwsim.errors import SpecError

TIMELOOP_VERSIONS = ("master", "v3.0", "e1d76d6")


def version_flags(version: str) -> tuple[bool, bool]:
    """``(legacy, subtract_first)``, the engine's two switches, for a Timeloop version; any other
    string is a `SpecError`."""
    if version not in TIMELOOP_VERSIONS:
        raise SpecError(
            f"unknown timeloop_version {version!r}; choose one of {list(TIMELOOP_VERSIONS)}"
        )
    return version != "master", version != "e1d76d6"
