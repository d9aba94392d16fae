"""Writing matplotlib figures: one place for the headless back end and the file handling."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def new_figure(**kwargs: Any):
    """A (figure, axes) pair on the non-interactive Agg back end (works without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(**kwargs)


def save_figure(fig: Any, path: str | Path, dpi: int = 130) -> Path:
    """Save `fig` as an image at `path` (parents created), close it, return the path."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
