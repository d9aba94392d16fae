"""Where hwsim keeps what it computes about component energies: one directory, outside site-packages.

``$HWKD_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/hwkd``, else ``~/.cache/hwkd``. It holds the
component-model results (``energy/``), and a rebuilt CACTI when the wheel's own folder is read-only
(``cacti/``). Deleting it is always safe: everything in it is recomputed on demand.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that moves the whole cache (tests point it at a temporary folder).
CACHE_DIR_VARIABLE = "HWKD_CACHE_DIR"


def hwkd_cache_dir() -> Path:
    """The root of hwsim's on-disk cache (not created here)."""
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hwkd"
