"""Options shared by several subcommands: --input-shape, --objective, --timeloop-version."""

from __future__ import annotations

import argparse

import pytest

from hwsim.analytical.versions import TIMELOOP_VERSIONS
from hwsim.cli import build_parser, main
from hwsim.commands.options import OBJECTIVES, input_shape
from hwsim.report.table2 import default_spec_dir


@pytest.mark.parametrize(
    ("text", "shape"), [("3,32,32", (3, 32, 32)), ("1, 28, 28", (1, 28, 28)), ("64", (64,))]
)
def test_input_shape_reads_comma_separated_sizes(text: str, shape: tuple[int, ...]) -> None:
    assert input_shape(text) == shape


@pytest.mark.parametrize("text", ["3,a", "3x32", "3,,32", "", "3,0,32", "3,-1"])
def test_a_bad_input_shape_is_an_argparse_type_error(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
        input_shape(text)


@pytest.mark.parametrize("command", ["export-layers", "network-energy"])
def test_bad_input_shape_is_a_usage_error_without_traceback(
    command: str, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, "resnet8", *([str(tmp_path)] if command == "export-layers" else [])]
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--input-shape", "3x32"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "argument --input-shape: expected comma-separated integers" in err
    assert "Traceback" not in err


def test_both_commands_default_to_a_cifar_input() -> None:
    parser = build_parser()
    assert parser.parse_args(["export-layers", "x", "out"]).input_shape == (3, 32, 32)
    assert parser.parse_args(["network-energy", "x"]).input_shape == (3, 32, 32)


@pytest.mark.parametrize("command", [["mapper", "f.yaml"], ["network-energy", "x"]])
def test_objective_and_version_choices_come_from_the_mapper_and_the_engine(
    command: list[str],
) -> None:
    assert OBJECTIVES == ("energy", "delay", "edp")
    parser = build_parser()
    for objective in OBJECTIVES:
        assert parser.parse_args([*command, "--objective", objective]).objective == objective
    # Timeloop's metric list is understood too; no flag means the course's (or the file's) order
    assert parser.parse_args([*command, "--objective", "[delay,energy]"]).objective == "delay"
    assert parser.parse_args(command).objective is None
    with pytest.raises(SystemExit):
        parser.parse_args([*command, "--objective", "speed"])
    for version in TIMELOOP_VERSIONS:
        args = parser.parse_args([*command, "--timeloop-version", version])
        assert args.timeloop_version == version


def test_ert_without_an_architecture_says_which_files_it_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    prob = str(default_spec_dir() / "prob.yaml")
    assert main(["ert", prob]) == 2
    err = capsys.readouterr().err
    assert err == f"hwsim: error: no architecture given (files read: {prob})\n"
