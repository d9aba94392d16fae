"""Problems for common DNN layers, in Timeloop's ``CNN-Layer`` shape.

`conv2d_problem` builds exactly the shape of the course's ``layer_prob_base.yaml``: dimensions
``C M R S N P Q``, data spaces ``Weights[c][m][r][s]``, ``Inputs[n][c][Wdilation·r +
Wstride·p][Hdilation·s + Hstride·q]`` and ``Outputs[n][m][q][p]``, where P and Q are the
**output** width and height. A fully connected layer is a 1×1 convolution on a 1×1 image.
A grouped convolution (``groups`` > 1; depthwise when C = M = 1 per group) adds a dimension G:
``Weights[g][c][m][r][s]``, ``Inputs[n][g][c][..][..]``, ``Outputs[n][g][m][q][p]``, with C and M
the channels per group — the groups are independent and a mapper may spread or sequence them.
"""

from __future__ import annotations

from typing import Any

from hwsim.spec.problem import Problem, parse_problem


def conv2d_shape(grouped: bool = False) -> dict[str, Any]:
    """The ``CNN-Layer`` shape (dimensions, coefficients, data spaces); with a G dimension if `grouped`."""
    shape: dict[str, Any] = {
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
    if grouped:
        shape["name"] = "Grouped-CNN-Layer"
        shape["dimensions"] = ["G", *shape["dimensions"]]
        weights, inputs, outputs = shape["data_spaces"]
        weights["projection"] = [[["G"]], *weights["projection"]]
        inputs["projection"] = [inputs["projection"][0], [["G"]], *inputs["projection"][1:]]
        outputs["projection"] = [outputs["projection"][0], [["G"]], *outputs["projection"][1:]]
    return shape


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
    groups: int = 1,
    name: str = "CNN-Layer",
) -> Problem:
    """A convolution with C input and M output channels (per group), an R×S kernel and a P×Q output.

    `stride` and `dilation` are (width, height) pairs or one value for both; `groups` > 1 adds
    the group dimension G.
    """
    w_stride, h_stride = (stride, stride) if isinstance(stride, int) else stride
    w_dil, h_dil = (dilation, dilation) if isinstance(dilation, int) else dilation
    shape = conv2d_shape(grouped=groups > 1)
    shape["name"] = name
    instance = {
        **({"G": groups} if groups > 1 else {}),
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
