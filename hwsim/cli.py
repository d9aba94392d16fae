"""The ``hwsim`` command line (also ``python -m hwsim``).

Each subcommand lives in its own module under `hwsim.commands` and is listed in
`hwsim.commands.COMMANDS`. A user mistake (`SpecError`) is printed on one line, without a
traceback, and the exit status is 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from hwsim.commands import COMMANDS
from hwsim.errors import SpecError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hwsim",
        description="Memory-access simulation and energy estimation for loop-nest dataflows "
        "(reads Timeloop-format YAML).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMANDS:
        module = importlib.import_module(f"hwsim.commands.{module_name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except SpecError as err:
        print(f"hwsim: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hwsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
