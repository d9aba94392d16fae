"""The distillation objective of the assignment (Hinton et al., 2015).

    L = (1 - α)·CE(y, s) + α·T²·KL(softmax(t/T) ‖ softmax(s/T))

`label_smoothing` ε (0 by default: the assignment's loss) replaces the one-hot y of the CE term by
(1 − ε)·y + ε/C, a regulariser that speeds up short schedules; the KL term is unchanged. The T² factor keeps the soft-target gradients on the same scale as the hard-target ones when T
changes. Everything is computed from log-softmax, so large logits cannot overflow.
"""

import torch
import torch.nn.functional as F


def kd_loss(
    student_logits: torch.Tensor,  # (B, C)
    teacher_logits: torch.Tensor | None,  # (B, C); may be None when alpha == 0
    targets: torch.Tensor,  # (B,) class indices
    T: float,
    alpha: float,
    label_smoothing: float = 0.0,
) -> torch.Tensor:
    """Batch-mean distillation loss; gradients flow into the student logits only."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"kd alpha must be in [0, 1], got {alpha}")
    if T <= 0:
        raise ValueError(f"kd temperature T must be > 0, got {T}")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"kd label_smoothing must be in [0, 1), got {label_smoothing}")
    student_logits = student_logits.float()
    ce = F.cross_entropy(student_logits, targets, label_smoothing=label_smoothing)
    if alpha == 0.0:
        return ce
    if teacher_logits is None:
        raise ValueError("kd_loss with alpha > 0 needs teacher logits")
    log_p_student = F.log_softmax(student_logits / T, dim=-1)  # (B, C)
    log_p_teacher = F.log_softmax(teacher_logits.detach().float() / T, dim=-1)  # (B, C)
    # KL(p_t ‖ p_s) = Σ p_t (log p_t − log p_s), averaged over the batch
    kl = F.kl_div(log_p_student, log_p_teacher, reduction="batchmean", log_target=True)
    return (1.0 - alpha) * ce + alpha * T * T * kl
