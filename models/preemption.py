"""A run stopped by its scheduler: checkpoint, say so, never exit 0.

SLURM stops a job with a signal before its time runs out: SIGTERM (scancel, preemption, the end
of its time), or SIGUSR1 / SIGUSR2 some seconds earlier where the job asked (`--signal`;
submitit's jobs ask for SIGUSR2). Inside `stop_signals()` any of them is noted; a run that is
training finishes its batch, saves `<run dir>/checkpoints/preempted.ckpt` (PreemptionCheckpoint)
and raises `Preempted`; code that is not training is interrupted at once. `Preempted` is a
BaseException, like KeyboardInterrupt: no `except Exception` swallows it, and the command exits
with 128 + the signal's number (143 for SIGTERM). `python train.py ... ckpt_path=<checkpoint>`
continues the run; a sweep trial is queued again and resumes from it (codesign.worker).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L

STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)
# what signal.signal() returns: a function, SIG_DFL or SIG_IGN, or None (set outside Python)
SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Preempted(BaseException):
    """The run was stopped by `signum`; `checkpoint` holds its state when it was training."""

    def __init__(self, signum: int, checkpoint: str | None = None):
        self.signum, self.checkpoint = int(signum), checkpoint
        super().__init__(self.message)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def message(self) -> str:
        where = f"checkpoint {self.checkpoint}" if self.checkpoint else "no checkpoint"
        return f"stopped by {self.name}; {where}"


class _State:
    signum: int | None = None  # the stop signal received, if any
    training: bool = False  # a PreemptionCheckpoint is between batches: it raises, not the handler
    checkpoint: str | None = None
    previous: dict[int, SignalHandler] = {}  # noqa: RUF012 (the handlers ours replaced, by signal)
    depth = 0


def received() -> int | None:
    """The stop signal received inside stop_signals(), or None."""
    return _State.signum


def previous_handler(signum: int):
    """The handler that stop_signals() replaced for `signum` (e.g. submitit's requeue)."""
    return _State.previous.get(signum)


def _handler(signum, frame) -> None:
    _State.signum = signum
    if not _State.training:
        raise Preempted(signum)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Catch SIGTERM, SIGUSR1 and SIGUSR2 (see module docstring); re-entrant, main thread only."""
    if _State.depth:
        _State.depth += 1
        try:
            yield
        finally:
            _State.depth -= 1
        return
    try:
        previous: dict[int, SignalHandler] = {s: signal.signal(s, _handler) for s in STOP_SIGNALS}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    _State.previous, _State.signum, _State.checkpoint, _State.depth = previous, None, None, 1
    try:
        yield
    finally:
        _State.depth = 0
        for s, h in previous.items():
            signal.signal(s, h)


def stopped_by_signal(error: BaseException) -> Preempted | None:
    """`error` as a Preempted when a stop signal caused it (Lightning ends fit() with
    SIGTERMException, a SystemExit, when SIGTERM arrives during validation)."""
    if isinstance(error, Preempted):
        return error
    if _State.signum is not None and isinstance(error, SystemExit | KeyboardInterrupt):
        return Preempted(_State.signum, _State.checkpoint)
    return None


class PreemptionCheckpoint(L.Callback):
    """Saves <default_root_dir>/checkpoints/preempted.ckpt when a stop signal arrives in fit()."""

    def on_train_start(self, trainer, pl_module) -> None:
        _State.training = True
        if _State.signum is not None:  # arrived while fit() was setting up
            raise Preempted(_State.signum)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if _State.signum is not None:
            raise Preempted(_State.signum, self._save(trainer))

    def on_exception(self, trainer, pl_module, exception) -> None:
        _State.training = False
        if _State.signum is not None and _State.checkpoint is None:
            self._save(trainer)

    def on_train_end(self, trainer, pl_module) -> None:
        _State.training = False

    @staticmethod
    def _save(trainer: L.Trainer) -> str:
        path = Path(trainer.default_root_dir) / "checkpoints" / "preempted.ckpt"
        trainer.save_checkpoint(path)
        _State.checkpoint = str(path)
        return _State.checkpoint
