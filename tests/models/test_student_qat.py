import pytest
import torch
from torch import nn

from models.errors import UserError
from models.quant import (
    ActivationQuantizer,
    QuantConv2d,
    QuantLinear,
    QuantSpec,
    calibrate_activations,
    fake_quantize,
    quantize_weight,
)
from models.resnet import build_student


def test_fake_quantize_rounds_clamps_and_passes_gradient_straight_through():
    x = torch.tensor([-3.0, -0.26, 0.1, 0.74, 5.0], requires_grad=True)
    y = fake_quantize(x, torch.tensor(0.5), -2, 2)
    assert y.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]  # clipped values get no gradient


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_weights_take_at_most_2_pow_bits_levels_per_channel(bits):
    w = torch.randn(6, 4, 3, 3)
    q = quantize_weight(w, bits)
    for channel in q:
        assert len(channel.unique()) <= 2**bits - 1  # symmetric: -qmax..qmax
    assert (q - w).abs().max() <= w.abs().amax() / (2 ** (bits - 1) - 1)


def test_activation_quantizer_is_unsigned_after_relu_and_frozen_in_eval():
    q = ActivationQuantizer(bits=4)
    x = torch.rand(256) * 3  # non-negative, like a ReLU output
    q.train()
    y = q(x)
    assert not q.signed and q.absmax.item() == pytest.approx(x.max().item())
    assert len(y.unique()) <= 16  # all 2^4 levels available to non-negative data
    q.eval()
    q(x * 100)
    assert q.absmax.item() == pytest.approx(x.max().item())  # eval never moves the range


def test_quantized_student_forward_and_backward():
    model = build_student("resnet8", width=8, quant={"bits": 4})
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(isinstance(m, QuantConv2d) for m in convs)
    assert convs[0].bits == 8 and {m.bits for m in convs[1:]} == {4}  # first conv keeps 8 bits
    assert isinstance(model.head, QuantLinear) and model.head.bits == 8
    x = torch.randn(8, 3, 32, 32)
    out = model(x)
    out.square().mean().backward()
    assert out.shape == (8, 10) and torch.isfinite(out).all()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    model.eval()
    assert torch.isfinite(model(x)).all()


def test_quantization_changes_outputs_but_not_too_much():
    torch.manual_seed(0)
    float_model = build_student("resnet8", width=8)
    q8 = build_student("resnet8", width=8, quant={"bits": 8})
    q8.load_state_dict(float_model.state_dict(), strict=False)
    x = torch.randn(16, 3, 32, 32)
    calibrate_activations(q8, [x])  # in training mode: it moves the BatchNorm running statistics
    with torch.no_grad():
        float_model.train()(x)  # the same pass for the float copy: only quantization differs
    float_model.eval()
    q8.eval()
    ref, out = float_model(x), q8(x)
    assert not torch.equal(ref, out)
    assert torch.nn.functional.cosine_similarity(ref.flatten(), out.flatten(), dim=0) > 0.99


def test_first_conv_in_float_when_asked():
    model = build_student("resnet8", quant={"bits": 4, "first_conv_bits": None, "head_bits": None})
    assert type(model.stem[0]) is nn.Conv2d and type(model.head) is nn.Linear


def test_calibration_sets_every_range():
    model = build_student("resnet8", width=8, quant=QuantSpec(bits=6))
    quantizers = [m for m in model.modules() if isinstance(m, ActivationQuantizer)]
    assert not any(q.calibrated for q in quantizers)
    assert calibrate_activations(model, [torch.randn(4, 3, 32, 32) for _ in range(3)]) == 3
    assert all(q.calibrated for q in quantizers)
    assert quantizers[0].signed  # the normalised image has negative values
    assert not quantizers[1].signed  # the stem's ReLU output has none


def test_bad_bits_are_rejected():
    with pytest.raises(UserError, match=r"model\.quant\.bits"):
        QuantSpec(bits=1)
