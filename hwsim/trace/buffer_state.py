"""What one storage level holds of one data space at the current step."""

from __future__ import annotations

import numpy as np


class BufferState:
    """The resident elements of one data space in one level, as a bitmap over element ids.

    `move_to` replaces the resident tile by a new one and reports what had to come in and what
    left, which is all a "keep the current tile" buffer does.
    """

    def __init__(self, span: int, *, holds_everything: bool = False):
        self.resident = (
            np.ones(span, dtype=bool) if holds_everything else np.zeros(span, dtype=bool)
        )
        self.holds_everything = holds_everything

    def move_to(self, tile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Make `tile` (element ids) resident; return (ids that entered, ids that left)."""
        if self.holds_everything:
            return tile[:0], tile[:0]
        new = np.zeros_like(self.resident)
        new[tile] = True
        entered = np.flatnonzero(new & ~self.resident)
        left = np.flatnonzero(self.resident & ~new)
        self.resident = new
        return entered, left

    def contents(self) -> np.ndarray:
        return np.flatnonzero(self.resident)
