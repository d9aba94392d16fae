import math

import pytest
import torch
import torch.nn.functional as F

from models.losses import kd_loss

S = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
T_LOGITS = torch.tensor([[1.0, 2.0, 0.0], [0.0, -1.0, 2.0]])
Y = torch.tensor([0, 2])


def softmax(row, temp=1.0):
    e = [math.exp(v / temp) for v in row]
    return [v / sum(e) for v in e]


def hand_ce():
    return sum(-math.log(softmax(s)[y]) for s, y in zip(S.tolist(), Y.tolist(), strict=True)) / 2


def hand_kl(temp):
    total = 0.0
    for s, t in zip(S.tolist(), T_LOGITS.tolist(), strict=True):
        ps, pt = softmax(s, temp), softmax(t, temp)
        total += sum(b * math.log(b / a) for a, b in zip(ps, pt, strict=True))
    return total / 2


def test_alpha_zero_is_cross_entropy():
    loss = kd_loss(S, T_LOGITS, Y, T=4.0, alpha=0.0)
    assert loss.item() == pytest.approx(hand_ce(), rel=1e-6)
    assert loss.item() == pytest.approx(F.cross_entropy(S, Y).item(), rel=1e-6)


@pytest.mark.parametrize("temp", [1.0, 2.0, 4.0])
def test_alpha_one_is_T_squared_KL(temp):
    loss = kd_loss(S, T_LOGITS, Y, T=temp, alpha=1.0)
    assert loss.item() == pytest.approx(temp**2 * hand_kl(temp), rel=1e-5)


def test_mixture_by_hand():
    loss = kd_loss(S, T_LOGITS, Y, T=3.0, alpha=0.25)
    assert loss.item() == pytest.approx(0.75 * hand_ce() + 0.25 * 9 * hand_kl(3.0), rel=1e-5)


def test_zero_when_student_equals_teacher_and_alpha_one():
    assert kd_loss(T_LOGITS, T_LOGITS, Y, T=2.0, alpha=1.0).item() == pytest.approx(0, abs=1e-7)


def test_gradients_flow_only_into_the_student():
    s = S.clone().requires_grad_(True)
    t = T_LOGITS.clone().requires_grad_(True)
    kd_loss(s, t, Y, T=4.0, alpha=0.7).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_stable_for_huge_logits():
    big = torch.tensor([[1e4, 0.0, -1e4]])
    loss = kd_loss(big, -big, torch.tensor([0]), T=1.0, alpha=0.5)
    assert torch.isfinite(loss)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="alpha"):
        kd_loss(S, T_LOGITS, Y, T=1.0, alpha=1.5)
    with pytest.raises(ValueError, match="T"):
        kd_loss(S, T_LOGITS, Y, T=0.0, alpha=0.5)
    with pytest.raises(ValueError, match="teacher"):
        kd_loss(S, None, Y, T=1.0, alpha=0.5)


@pytest.mark.parametrize("eps", [0.1, 0.3])
def test_label_smoothing_smooths_only_the_ce_term(eps):
    """CE against (1 − ε)·one-hot + ε/C by hand; the KL term is untouched."""
    smoothed = 0.0
    for s, y in zip(S.tolist(), Y.tolist(), strict=True):
        target = [(1 - eps) * (c == y) + eps / 3 for c in range(3)]
        smoothed -= sum(t * math.log(p) for t, p in zip(target, softmax(s), strict=True))
    smoothed /= 2
    loss = kd_loss(S, T_LOGITS, Y, T=2.0, alpha=0.25, label_smoothing=eps)
    assert loss.item() == pytest.approx(0.75 * smoothed + 0.25 * 4 * hand_kl(2.0), rel=1e-5)
    with pytest.raises(ValueError, match="label_smoothing"):
        kd_loss(S, T_LOGITS, Y, T=1.0, alpha=0.5, label_smoothing=1.0)
