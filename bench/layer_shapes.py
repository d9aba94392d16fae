"""Inputs shared by the mapper benchmarks (bench_mapper.py, bench_batch.py): the unique conv
shapes of a CIFAR ResNet-32 and the ERT classic Accelergy produced for the course's Q3
Eyeriss-like accelerator (in ../shared/reference, next to this checkout)."""

from __future__ import annotations

from pathlib import Path

from hwsim.spec.layers import conv2d_problem
from hwsim.spec.problem import Problem

#: Timeloop reference runs of the Q3 accelerator (ERTs, recorded results and timings).
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference" / "timeloop" / "eyeriss"
#: Energy per action of the Q3 accelerator, as classic Accelergy computed it.
ERT = SHARED / "u0_C3_M16_R3_s1_P32" / "timeloop-mapper.ERT.yaml"
#: (name, C, M, P, kernel, stride): the unique conv shapes of ResNet-32 (32x32 input, widths
#: 16/32/64; P = Q, R = S).
RESNET32 = [
    ("u0 stem", 3, 16, 32, 3, 1),
    ("u1 stage1", 16, 16, 32, 3, 1),
    ("u2 stage2 down", 16, 32, 16, 3, 2),
    ("u3 stage2", 32, 32, 16, 3, 1),
    ("u4 stage3 down", 32, 64, 8, 3, 2),
    ("u5 stage3", 64, 64, 8, 3, 1),
    ("u6 1x1 down", 16, 32, 16, 1, 2),
    ("u7 1x1 down", 32, 64, 8, 1, 2),
]


def resnet32_layers() -> list[tuple[str, Problem]]:
    """(name, problem) of every shape of `RESNET32`; a problem is named by the name's first word."""
    return [
        (name, conv2d_problem(C=c, M=m, P=p, Q=p, R=k, S=k, stride=s, name=name.split()[0]))
        for name, c, m, p, k, s in RESNET32
    ]
