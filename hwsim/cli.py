"""The ``hwsim`` command line (also ``python -m hwsim``).

Each subcommand lives in its own module under `hwsim.commands` and is listed in
`hwsim.commands.COMMANDS`. A user mistake (`SpecError`) is printed on one line, without a
traceback, and the exit status is 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from hwsim.commands import COMMANDS
from hwsim.errors import SpecError, SpecWarning


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


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A `SpecWarning` on one line, ``hwsim: warning: ...``; other warnings as Python shows them."""
    if issubclass(category, SpecWarning):
        print(f"hwsim: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("always", SpecWarning)
        warnings.showwarning = _show_warning
        return _run(args)


def _run(args: argparse.Namespace) -> int:
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
