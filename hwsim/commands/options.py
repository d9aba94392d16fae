"""Command-line options that several subcommands share: their argparse types and choices."""

from __future__ import annotations

import argparse
from typing import get_args

from hwsim.mapper.objectives import parse_objective
from hwsim.mapper.search import Objective

#: ``--objective`` choices: the mapper's objectives.
OBJECTIVES: tuple[str, ...] = get_args(Objective)
#: The course's mapper.yaml ranks by [delay, energy]: the default where no mapper file says.
COURSE_OBJECTIVE: Objective = "delay"
#: The course's Timeloop-Accelergy scale: the default energy source where no ERT file is given.
COURSE_ENERGY = "classic"


def add_objective(parser: argparse.ArgumentParser, *, default_help: str) -> None:
    """``--objective`` as a name or Timeloop's metric list (``delay`` = ``[delay,energy]``)."""
    parser.add_argument(
        "--objective",
        type=_objective,
        default=None,
        metavar="OBJECTIVE",
        help=f"energy, delay ([delay, energy]: fewest cycles, energy breaks ties) or edp; {default_help}",
    )


def _objective(text: str) -> Objective:
    from hwsim.errors import SpecError

    try:
        return parse_objective(text)
    except SpecError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def input_shape(text: str) -> tuple[int, ...]:
    """``--input-shape`` (argparse ``type=``): one input's shape, ``C,H,W`` → ``(C, H, W)``.

    A value that is not comma-separated positive integers is an `argparse.ArgumentTypeError`,
    which argparse prints as a usage error (exit status 2).
    """
    parts = [part.strip() for part in text.split(",")]
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 3,32,32, got {text!r}"
        ) from None
    if any(size < 1 for size in shape):
        raise argparse.ArgumentTypeError(f"every size must be >= 1, got {text!r}")
    return shape


def add_input_shape(parser: argparse.ArgumentParser) -> None:
    """``--input-shape C,H,W`` for commands that take PyTorch models."""
    parser.add_argument(
        "--input-shape",
        type=input_shape,
        default=(3, 32, 32),
        metavar="C,H,W",
        help="one input's shape for PyTorch models (default: 3,32,32)",
    )
