"""Early stop of hopeless trials: validation accuracy below a curve that rises toward the floor.

`sweep.prune.curve` lists [fraction of trainer.max_epochs, fraction of the accuracy floor] points;
between points the bar is interpolated linearly, before the first there is none, after the last it
stays level. With the 85 % floor, [[0.25, 0.6], [0.5, 0.8]] asks for 51 % after a quarter of the
epochs and 68 % from half-way on. A run under the bar raises `optuna.TrialPruned` from Lightning's
validation hook, so it stops at once (no test pass) and the trial is recorded as pruned.
(Multi-objective studies cannot use Optuna's `Trial.report`/pruners, hence this callback.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lightning as L
import optuna

from models.errors import UserError


@dataclass(frozen=True)
class AccuracyCurve:
    points: tuple[tuple[float, float], ...]  # (fraction of the epochs, minimum val accuracy)

    @classmethod
    def from_config(cls, curve: Sequence, floor: float) -> AccuracyCurve:
        try:
            points = tuple((float(x), float(y) * floor) for x, y in curve)
        except (TypeError, ValueError):
            raise UserError(
                f"sweep.prune.curve={curve!r}: give [[fraction of epochs, fraction of the floor], ...]"
            ) from None
        xs = [x for x, _ in points]
        if not points or xs != sorted(xs) or not all(0 < x <= 1 for x in xs):
            raise UserError(f"sweep.prune.curve={curve!r}: epoch fractions must rise within (0, 1]")
        return cls(points)

    def bar(self, progress: float) -> float | None:
        """The minimum accuracy after `progress` (fraction) of the epochs, or None (no bar yet)."""
        if progress < self.points[0][0]:
            return None
        for (x0, y0), (x1, y1) in zip(self.points, self.points[1:], strict=False):
            if x0 <= progress <= x1:
                return y0 + (y1 - y0) * (progress - x0) / (x1 - x0) if x1 > x0 else y1
        return self.points[-1][1]


class HopelessRunStopper(L.Callback):
    """Raise `optuna.TrialPruned` when val/acc falls under the curve; keeps the accuracy history."""

    def __init__(self, curve: AccuracyCurve | None, max_epochs: int, metric: str = "val/acc"):
        self.curve, self.max_epochs, self.metric = curve, max(1, int(max_epochs)), metric
        self.history: list[float] = []  # val accuracy after each epoch

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or self.metric not in trainer.callback_metrics:
            return
        accuracy = float(trainer.callback_metrics[self.metric])
        self.history.append(accuracy)
        if self.curve is None:
            return
        epoch = trainer.current_epoch + 1
        bar = self.curve.bar(epoch / self.max_epochs)
        if bar is not None and accuracy < bar:
            raise optuna.TrialPruned(
                f"val accuracy {accuracy:.1%} after epoch {epoch}/{self.max_epochs} is under the "
                f"pruning curve's {bar:.1%}"
            )
