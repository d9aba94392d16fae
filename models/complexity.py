"""Size and cost of a network: parameters and multiply-accumulates of one inference."""

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """MACs of one forward pass on a zero input of `input_shape` (e.g. (1, 3, 32, 32)).

    PyTorch's FLOP counter counts convolutions and matrix products (2 FLOPs per MAC); elementwise
    work (BatchNorm, ReLU, pooling, fake quantization) is not counted, as is usual.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    counter = FlopCounterMode(display=False)
    with counter:
        model(torch.zeros(input_shape, device=device))
    model.train(was_training)
    return counter.get_total_flops() // 2
