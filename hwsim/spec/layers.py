"""Problems for common DNN layers, in Timeloop's ``CNN-Layer`` shape.

`conv2d_problem` builds exactly the shape of the course's ``layer_prob_base.yaml``: dimensions
``C M R S N P Q``, data spaces ``Weights[c][m][r][s]``, ``Inputs[n][c][Wdilation·r +
Wstride·p][Hdilation·s + Hstride·q]`` and ``Outputs[n][m][q][p]``, where P and Q are the
**output** width and height. A fully connected layer is a 1×1 convolution on a 1×1 image.
Grouped and depthwise convolutions are evaluated per group (C and M are the per-group channel
counts); the caller multiplies by the number of groups.
"""

from __future__ import annotations

from typing import Any

from hwsim.spec.problem import Problem, parse_problem


def conv2d_shape() -> dict[str, Any]:
    """The ``CNN-Layer`` shape (dimensions, coefficients, data spaces)."""
    return {
        "name": "CNN-Layer",
        "dimensions": ["C", "M", "R", "S", "N", "P", "Q"],
        "coefficients": [
            {"name": "Wstride", "default": 1},
            {"name": "Hstride", "default": 1},
            {"name": "Wdilation", "default": 1},
            {"name": "Hdilation", "default": 1},
        ],
        "data_spaces": [
            {"name": "Weights", "projection": [[["C"]], [["M"]], [["R"]], [["S"]]]},
            {
                "name": "Inputs",
                "projection": [
                    [["N"]],
                    [["C"]],
                    [["R", "Wdilation"], ["P", "Wstride"]],
                    [["S", "Hdilation"], ["Q", "Hstride"]],
                ],
            },
            {
                "name": "Outputs",
                "projection": [[["N"]], [["M"]], [["Q"]], [["P"]]],
                "read_write": True,
            },
        ],
    }


def conv2d_problem(
    *,
    C: int,
    M: int,
    P: int,
    Q: int,
    R: int = 1,
    S: int = 1,
    N: int = 1,
    stride: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
    name: str = "CNN-Layer",
) -> Problem:
    """A convolution with C input and M output channels, an R×S kernel and a P×Q output.

    `stride` and `dilation` are (width, height) pairs or one value for both.
    """
    w_stride, h_stride = (stride, stride) if isinstance(stride, int) else stride
    w_dil, h_dil = (dilation, dilation) if isinstance(dilation, int) else dilation
    shape = conv2d_shape()
    shape["name"] = name
    instance = {
        "C": C,
        "M": M,
        "R": R,
        "S": S,
        "N": N,
        "P": P,
        "Q": Q,
        "Wstride": w_stride,
        "Hstride": h_stride,
        "Wdilation": w_dil,
        "Hdilation": h_dil,
    }
    return parse_problem({"shape": shape, "instance": instance})
