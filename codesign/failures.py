"""How a trial fails, and how the failure is recorded so that the study goes on.

A trial that raises is stored as FAIL with a one-line `fail_reason` user attribute (out of memory,
a non-finite loss, a config value the student cannot take, ...); the next trial starts with the
memory released. Ctrl-C fails only the trial in progress: finished trials are already in the
storage, and the same command resumes the study. A scheduler's stop (SIGTERM, SIGUSR1/2) does not
fail it: the trial is queued again, to go on from its checkpoint (models.preemption).
"""

from __future__ import annotations

import gc
import math

import lightning as L
import torch

from models.errors import UserError


class NonFiniteLoss(RuntimeError):
    """The training loss became NaN or infinite."""


class NonFiniteLossGuard(L.Callback):
    """Stop a run as soon as its training loss is NaN or infinite (Lightning would go on)."""

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor) and not torch.isfinite(loss.detach()).all():
            value = float(loss.detach().float().mean())
            raise NonFiniteLoss(
                f"training loss became {'NaN' if math.isnan(value) else value} at epoch "
                f"{trainer.current_epoch}, batch {batch_idx}"
            )


def failure_reason(error: BaseException) -> str:
    """One line saying why a trial failed."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    if is_out_of_memory(error):
        return f"out of memory: {_first_line(error)}"
    if isinstance(error, NonFiniteLoss):
        return f"non-finite loss: {error}"
    if isinstance(error, UserError):
        return f"config: {error}"
    return f"{type(error).__name__}: {_first_line(error)}"


def is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, MemoryError | torch.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def release_memory() -> None:
    """What a failed run may have left behind (CUDA caches after an out-of-memory error)."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line[:300]
