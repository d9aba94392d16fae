"""Quantization-aware training (QAT): uniform fake quantization with a straight-through estimator.

Weights: symmetric, one scale per output channel, recomputed from max|w| at every forward.
Activations (the input of every quantized conv/linear): one scale per layer, calibrated from data —
the first batches seen in training mode set it, later batches move it as an exponential moving
average, eval mode freezes it — and unsigned when the calibration data had no negative values (the
output of a ReLU), so all 2^bits levels are used. Rounding is bypassed in the backward pass (STE);
values clipped by the range get no gradient.

`quantize_model` swaps every nn.Conv2d / nn.Linear for a subclass (so code that walks a network by
module type, such as the workload extractor, still sees convolutions), keeping the first conv and the
classifier at their own, usually higher, precision.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.errors import UserError


@dataclass(frozen=True)
class QuantSpec:
    """Bit widths; None means full precision. `bits` is the word width the accelerator sees."""

    bits: int | None = None
    first_conv_bits: int | None = 8
    head_bits: int | None = 8
    act_momentum: float = 0.01

    def __post_init__(self):
        for name in ("bits", "first_conv_bits", "head_bits"):
            value = getattr(self, name)
            if value is not None and not 2 <= value <= 16:
                raise UserError(f"model.quant.{name} must be between 2 and 16 or null, got {value}")

    @property
    def enabled(self) -> bool:
        return self.bits is not None


def fake_quantize[Bound: (torch.Tensor, int)](
    x: torch.Tensor, scale: torch.Tensor, qmin: Bound, qmax: Bound
) -> torch.Tensor:
    """round(x/scale) clamped to [qmin, qmax], times scale; clipped straight-through gradient."""
    q = torch.clamp(torch.round(x / scale), qmin, qmax) * scale
    inside = (x >= qmin * scale) & (x <= qmax * scale)
    return q.detach() + (x - x.detach()) * inside


def quantize_weight(w: torch.Tensor, bits: int) -> torch.Tensor:
    """Symmetric per-output-channel fake quantization of a weight (out, ...)."""
    qmax = 2 ** (bits - 1) - 1
    absmax = w.detach().abs().flatten(1).amax(dim=1)  # (out,)
    scale = (absmax / qmax).clamp_min(1e-12).view(-1, *([1] * (w.dim() - 1)))
    return fake_quantize(w, scale, -qmax, qmax)


class ActivationQuantizer(nn.Module):
    """Per-tensor fake quantizer for activations with a data-calibrated range."""

    absmax: torch.Tensor  # buffers, registered in __init__
    signed: torch.Tensor

    def __init__(self, bits: int, momentum: float = 0.01):
        super().__init__()
        self.bits = bits
        self.momentum = momentum
        self.register_buffer("absmax", torch.zeros(()))  # 0 until calibrated
        self.register_buffer("signed", torch.zeros((), dtype=torch.bool))

    @property
    def calibrated(self) -> bool:
        return bool(self.absmax > 0)

    def observe(self, x: torch.Tensor) -> None:
        batch_absmax = x.detach().abs().amax().float()
        fresh = self.absmax <= 0
        ema = (1 - self.momentum) * self.absmax + self.momentum * batch_absmax
        self.absmax.copy_(torch.where(fresh, batch_absmax, ema))
        self.signed.logical_or_(x.detach().amin() < 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.observe(x)
        levels = 2**self.bits - 1
        half = 2 ** (self.bits - 1) - 1
        qmax = torch.where(self.signed, half, levels)  # tensors: no host sync on the hot path
        qmin = torch.where(self.signed, -half, 0)
        scale = (self.absmax / qmax).clamp_min(1e-12)
        return fake_quantize(x.float(), scale, qmin, qmax).to(x.dtype)

    def extra_repr(self) -> str:
        return f"bits={self.bits}"


class QuantConv2d(nn.Conv2d):
    """nn.Conv2d whose weights and input are fake-quantized to `bits`."""

    def __init__(self, *args, bits: int, act_momentum: float = 0.01, **kwargs):
        super().__init__(*args, **kwargs)
        self.bits = bits
        self.input_quantizer = ActivationQuantizer(bits, act_momentum)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(
            self.input_quantizer(x), quantize_weight(self.weight, self.bits), self.bias
        )


class QuantLinear(nn.Linear):
    """nn.Linear whose weights and input are fake-quantized to `bits`."""

    def __init__(self, *args, bits: int, act_momentum: float = 0.01, **kwargs):
        super().__init__(*args, **kwargs)
        self.bits = bits
        self.input_quantizer = ActivationQuantizer(bits, act_momentum)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(self.input_quantizer(x), quantize_weight(self.weight, self.bits), self.bias)


def _quantized_copy(
    layer: nn.Conv2d | nn.Linear, bits: int, momentum: float
) -> QuantConv2d | QuantLinear:
    q: QuantConv2d | QuantLinear
    if isinstance(layer, nn.Conv2d):
        q = QuantConv2d(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,
            stride=layer.stride,
            padding=layer.padding,
            dilation=layer.dilation,
            groups=layer.groups,
            bias=layer.bias is not None,
            padding_mode=layer.padding_mode,
            bits=bits,
            act_momentum=momentum,
        )
    else:
        q = QuantLinear(
            layer.in_features,
            layer.out_features,
            bias=layer.bias is not None,
            bits=bits,
            act_momentum=momentum,
        )
    q.load_state_dict(layer.state_dict(), strict=False)  # weights and bias; quantizer uncalibrated
    return q.to(layer.weight.device)


def quantize_model[M: nn.Module](model: M, spec: QuantSpec) -> M:
    """Swap conv/linear layers for fake-quantized ones in place; returns the model."""
    if not spec.enabled:
        return model
    layers = [
        (name, m)
        for name, m in model.named_modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
        and type(m) in (nn.Conv2d, nn.Linear)  # exact types: never re-wrap a quantized layer
    ]
    convs = [name for name, m in layers if isinstance(m, nn.Conv2d)]
    linears = [name for name, m in layers if isinstance(m, nn.Linear)]
    first_conv = convs[0] if convs else None
    head = linears[-1] if linears else None
    for name, layer in layers:
        bits = {first_conv: spec.first_conv_bits, head: spec.head_bits}.get(name, spec.bits)
        if bits is None:
            continue
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, child, _quantized_copy(layer, bits, spec.act_momentum))
    return model


@torch.no_grad()
def calibrate_activations(model: nn.Module, batches) -> int:
    """Set every activation range from `batches` (model inputs) before QAT starts.

    Each quantizer's range becomes the mean over batches of the per-batch max |x|. Runs in training
    mode (BatchNorm uses batch statistics, as in the first training steps); returns the batch count.
    """
    quantizers = [m for m in model.modules() if isinstance(m, ActivationQuantizer)]
    if not quantizers:
        return 0
    was_training = model.training
    model.train()
    for q in quantizers:
        q.absmax.zero_()
        q.signed.zero_()
    momenta = [q.momentum for q in quantizers]
    count = 0
    for count, x in enumerate(batches, start=1):
        for q in quantizers:
            q.momentum = 1.0 / count  # running mean over calibration batches
        model(x)
    for q, m in zip(quantizers, momenta, strict=True):
        q.momentum = m
    model.train(was_training)
    return count
