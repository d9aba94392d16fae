"""The ``hwsim`` command line (also ``python -m hwsim``).

Each subcommand lives in its own module under `hwsim.commands` and is listed in
`hwsim.commands.COMMANDS`. A user mistake (`SpecError`) is printed on one line, without a
traceback, and the exit status is 2.

Start-up is part of every call (users run ``hwsim mapper`` once per layer, like
timeloop-mapper): when the command line names a subcommand only that module is imported, so a
call loads what its command uses and nothing else; ``hwsim --help`` (or no or an unknown
subcommand) registers them all. `entry`, the process's entry point, also trims what a new
process spends before the command runs (see there); `main` is the same command line for callers
in a running process.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import warnings
from collections.abc import Sequence

from hwsim.commands import COMMANDS
from hwsim.errors import SpecError, SpecWarning


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or of `only` (a module name of `COMMANDS`) alone."""
    parser = argparse.ArgumentParser(
        prog="hwsim",
        description="Memory-access simulation and energy estimation for loop-nest dataflows "
        "(reads Timeloop-format YAML).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"hwsim.commands.{module_name}")
        module.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A `SpecWarning` on one line, ``hwsim: warning: ...``; other warnings as Python shows them."""
    if issubclass(category, SpecWarning):
        print(f"hwsim: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _named_command(argv: Sequence[str]) -> str | None:
    """The module of the subcommand `argv` starts with (options before it: none, so all)."""
    if not argv or argv[0].startswith("-"):
        return None
    name = argv[0].replace("-", "_")
    return name if name in COMMANDS else None


#: Environment defaults of a new ``hwsim`` process (a variable already set is kept):
#: - OpenBLAS starts a thread per core when NumPy loads, ~0.1 s of CPU per call on two cores,
#:   for linear algebra hwsim does not do;
#: - pydantic looks for plug-ins (observers of validation such as logfire) by scanning every
#:   installed distribution's entry points when the first spec model is built, ~10 ms in an
#:   environment with PyTorch; ``PYDANTIC_DISABLE_PLUGINS=`` (empty) brings them back.
PROCESS_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "PYDANTIC_DISABLE_PLUGINS": "__all__"}


def entry() -> int:
    """The ``hwsim`` console script and ``python -m hwsim``: `main` in a new process.

    Before the command's modules load it sets `PROCESS_ENVIRONMENT`'s defaults, and it imports
    them with the cyclic garbage collector off, then freezes what they built: start-up
    allocates a few hundred thousand objects that live until exit, and collecting over them cost
    a one-layer ``hwsim mapper`` call about 15 ms. The command itself runs with the collector on
    (frozen objects are not scanned again)."""
    argv = sys.argv[1:]
    for name, value in PROCESS_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    gc.disable()
    try:
        parser = build_parser(_named_command(argv))
    finally:
        gc.freeze()
        gc.enable()
    return _parse_and_run(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line `argv` (else the process's arguments): the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return _parse_and_run(build_parser(_named_command(argv)), argv)


def _parse_and_run(parser: argparse.ArgumentParser, argv: Sequence[str]) -> int:
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
    raise SystemExit(entry())
