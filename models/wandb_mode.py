"""Whether a Weights & Biases logger must run offline: the one rule `train.py`'s loggers and the
sweep's summary run (`codesign.tracking`) share.

A user who chose (``offline``, ``mode`` or ``$WANDB_MODE``) is obeyed; otherwise W&B runs online
only with credentials (``$WANDB_API_KEY`` or an ``api.wandb.ai`` entry in ``~/.netrc``), so a
machine without them logs offline instead of stopping to ask for a login.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Mapping
from typing import Any


def needs_offline(wandb_cfg: Mapping[str, Any]) -> bool:
    """True when nobody chose a mode and there are no W&B credentials."""
    if wandb_cfg.get("offline") or wandb_cfg.get("mode") or os.environ.get("WANDB_MODE"):
        return False  # the user chose
    if os.environ.get("WANDB_API_KEY"):
        return False
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is None
    except (OSError, netrc.NetrcParseError):
        return True
