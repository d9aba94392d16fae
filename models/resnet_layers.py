"""The registry of named CIFAR ResNets, and their layers as hwsim problems without PyTorch.

``hwsim network-energy resnet32`` is a whole-process command; building the network and running a
forward pass to read its layer shapes costs seconds of PyTorch import. A registry network at its
defaults (basic blocks, option-A shortcuts, a 10-class head; `models.resnet.build_student`)
has its shapes fixed by its structure, so `registry_workloads` computes them directly:

    stem 3x3 conv -> per stage, per block: conv1 (3x3, stride 2 where a later stage starts),
    conv2 (3x3) -> linear head

with the module names and problems `models.workloads.extract_workloads` gives the built network
(tests/models/test_workloads.py checks every registry name against it).
"""

from __future__ import annotations

from hwsim.spec.layers import conv2d_problem
from hwsim.spec.problem import Problem

#: name -> blocks per stage. ResNet-(6n+2): 3 stages of n basic blocks of 2 convs, stem and head.
RESNETS: dict[str, tuple[int, ...]] = {
    f"resnet{6 * n + 2}": (n, n, n) for n in (1, 2, 3, 5, 7, 9)
}  # resnet8, resnet14, resnet20, resnet32, resnet44, resnet56
#: A registry network's stage widths, input channels and classes (`build_student`'s defaults).
WIDTHS = (16, 32, 64)
IN_CHANNELS = 3
CLASSES = 10


def registry_workloads(name: str, input_shape: tuple[int, ...]) -> list[Problem] | None:
    """The layers of registry network `name` for one input of `input_shape` (``C,H,W`` or
    ``1,C,H,W``), in network order; None where `name` is not in the registry or the input is
    not one 3-channel image (PyTorch then says what is wrong with it)."""
    shape = tuple(input_shape)
    if name not in RESNETS or len(shape) not in (3, 4) or shape[:-3] not in ((), (1,)):
        return None
    channels, height, width = shape[-3:]
    if channels != IN_CHANNELS or height < 1 or width < 1:
        return None
    problems = [_conv3x3("stem.0", IN_CHANNELS, WIDTHS[0], height, width, 1)]
    c_in = WIDTHS[0]
    for i, (blocks, c_out) in enumerate(zip(RESNETS[name], WIDTHS, strict=True)):
        for j in range(blocks):
            stride = 2 if i > 0 and j == 0 else 1
            height, width = (height - 1) // stride + 1, (width - 1) // stride + 1
            problems.append(_conv3x3(f"stages.{i}.{j}.conv1.0", c_in, c_out, height, width, stride))
            problems.append(_conv3x3(f"stages.{i}.{j}.conv2.0", c_out, c_out, height, width, 1))
            c_in = c_out
    problems.append(conv2d_problem(C=c_in, M=CLASSES, P=1, Q=1, name="head"))
    return problems


def _conv3x3(name: str, c_in: int, c_out: int, height: int, width: int, stride: int) -> Problem:
    """A padded 3x3 convolution whose output is `height` x `width` (Timeloop: P walks the width)."""
    return conv2d_problem(
        C=c_in, M=c_out, R=3, S=3, P=width, Q=height, stride=(stride, stride), name=name
    )
