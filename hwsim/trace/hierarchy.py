"""Which level stores what, and where each level fetches from."""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.nest import LoopNest


@dataclass(frozen=True)
class Hierarchy:
    """Storage levels (innermost = 0) and, per data space, the levels that keep it.

    A level that bypasses a data space is skipped: its child fetches from the next level out
    that keeps it. The outermost keeping level is the backing store: it holds the whole tensor
    from the start and is never filled.

    Attributes:
        names: storage level names, innermost first.
        kept: data space → indices of the levels that keep it, innermost first.
    """

    names: tuple[str, ...]
    kept: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, nest: LoopNest) -> Hierarchy:
        kept = {ds: tuple(s for s, k in enumerate(flags) if k) for ds, flags in nest.keep.items()}
        return cls(nest.level_names, kept)

    def innermost(self, ds: str) -> int:
        """The level the compute units read `ds` from."""
        return self.kept[ds][0]

    def backing_store(self, ds: str) -> int:
        return self.kept[ds][-1]

    def parent(self, ds: str, level: int) -> int:
        """The next level out that keeps `ds`; the backing store has none (a `ValueError`)."""
        levels = self.kept[ds]
        i = levels.index(level)
        if i + 1 == len(levels):
            raise ValueError(f"level {level} is the backing store of {ds}: it has no parent")
        return levels[i + 1]
