"""Small spec builders for tests: problems, architectures and mappings from plain Python."""

from __future__ import annotations

from typing import Any

from hwsim.spec.architecture import Architecture, parse_architecture
from hwsim.spec.mapping import Mapping, bind_mapping
from hwsim.spec.problem import Problem, parse_problem


def problem(
    dims: dict[str, int], spaces: list[dict[str, Any]], coefficients: dict[str, int] | None = None
) -> Problem:
    shape: dict[str, Any] = {"name": "p", "dimensions": list(dims), "data_spaces": spaces}
    if coefficients:
        shape["coefficients"] = [{"name": k, "default": v} for k, v in coefficients.items()]
    return parse_problem({"shape": shape, "instance": dict(dims)})


def conv1d(M: int = 32, R: int = 3, P: int = 16) -> Problem:
    return problem(
        {"M": M, "R": R, "P": P},
        [
            {"name": "Weights", "projection": [[["M"]], [["R"]]]},
            {"name": "Inputs", "projection": [[["R"], ["P"]]]},
            {"name": "Outputs", "projection": [[["M"]], [["P"]]], "read_write": True},
        ],
    )


def arch(*levels: tuple[str, str, int | None]) -> Architecture:
    """Levels outermost first as (name, class, depth or None for unbounded), then one MAC."""
    nodes: list[Any] = [{"name": "System", "attributes": {"technology": "45nm"}}]
    for name, cls, depth in levels:
        attrs: dict[str, Any] = {"width": 8, "datawidth": 8}
        if depth is not None:
            attrs["depth"] = depth
        nodes.append({"name": name, "class": cls, "attributes": attrs})
    nodes.append({"name": "MACC", "class": "intmac", "attributes": {"width": 8}})
    return parse_architecture({"version": 0.4, "nodes": nodes})


def mapping(a: Architecture, p: Problem, directives: list[dict[str, Any]]) -> Mapping:
    return bind_mapping(directives, a, p)
