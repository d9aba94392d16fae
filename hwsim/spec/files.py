"""Loading any number of Timeloop YAML files, each recognised by its top-level keys.

Like ``timeloop-model *.yaml``, a user passes a set of files in any order; each top-level key says
what a file holds (one file may hold several). Unknown top-level keys are an error naming the file.
``load_specs(..., many_problems=True)`` (``hwsim mapper`` with many layers) takes any number of
problems, each kept with its file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim.errors import SpecError
from hwsim.spec.architecture import Architecture, parse_architecture
from hwsim.spec.input_files import files_in_folder
from hwsim.spec.mapping import Mapping, bind_mapping
from hwsim.spec.problem import Problem, parse_problem
from hwsim.spec.yaml_io import load_yaml_file, normalize_key

#: Top-level keys hwsim understands, and what each holds.
KNOWN_KEYS = {
    "architecture": "architecture",
    "problem": "problem",
    "mapping": "mapping",
    "compound_components": "compound components",
    "architecture_constraints": "constraints",
    "mapspace_constraints": "constraints",
    "mapspace": "constraints",
    "constraints": "constraints",
    "mapper": "mapper settings",
    "ERT": "energy reference table",
    "ERT_summary": "energy reference table",
    "ART": "area reference table",
    "variables": "variables",
    "globals": "globals",
    "dumped_by_timeloop_front_end": "front-end marker",
}


@dataclass(frozen=True)
class SpecSet:
    """Everything read from a set of files, with the file each part came from.

    Attributes:
        architecture, problem: parsed specs (``None`` when not given).
        mapping_document: the raw mapping directives (bind them with `mapping`).
        compound_components, constraints, mapper, energy_tables: raw documents.
        sources: part name → file it came from (the first problem's, when there are many).
        problems, problem_files: every problem read, in the order of the files, and its file.
    """

    architecture: Architecture | None = None
    problem: Problem | None = None
    mapping_document: Any = None
    compound_components: tuple[Any, ...] = ()
    constraints: tuple[Any, ...] = ()
    mapper: Any = None
    energy_tables: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    problem_files: tuple[str, ...] = ()

    def require(self, *parts: str) -> None:
        """Raise a `SpecError` if any of `parts` (``architecture``, ``problem``, ``mapping``) is missing."""
        given = ", ".join(self.sources.values()) or "no files"
        for part in parts:
            value = self.mapping_document if part == "mapping" else getattr(self, part)
            if value is None:
                raise SpecError(f"no {part} given (files read: {given})")

    def mapping(self) -> Mapping:
        """Bind the mapping directives to the architecture and problem."""
        self.require("architecture", "problem", "mapping")
        assert self.architecture is not None and self.problem is not None
        return bind_mapping(
            self.mapping_document, self.architecture, self.problem, file=self.sources.get("mapping")
        )


def load_specs(paths: Iterable[str | Path], *, many_problems: bool = False) -> SpecSet:
    """Read files (or directories, whose ``*.yaml`` files are read recursively) into a `SpecSet`.

    A second problem is an error unless `many_problems`; then `SpecSet.problems` holds them all
    and `SpecSet.problem` is the problem only when there is exactly one."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = files_in_folder(p)
            if not found:
                raise SpecError("the folder holds no *.yaml file", file=str(p))
            files.extend(found)
        else:
            files.append(p)
    parts: dict[str, Any] = {}
    sources: dict[str, str] = {}
    compound: list[Any] = []
    constraints: list[Any] = []
    energy: list[str] = []
    problem_parts: list[tuple[Any, str]] = []
    for path in files:
        document = load_yaml_file(path)
        if not isinstance(document, dict):
            raise SpecError(
                "expected a mapping of top-level keys (architecture, problem, mapping, ...)",
                file=str(path),
            )
        for raw_key, value in document.items():
            key = normalize_key(str(raw_key))
            if key not in KNOWN_KEYS:
                raise SpecError(
                    f"unknown top-level key {raw_key!r}; expected one of {sorted(KNOWN_KEYS)}",
                    file=str(path),
                )
            if key == "problem" and many_problems:
                problem_parts.append((value, str(path)))
                sources.setdefault("problem", str(path))
            elif key in ("architecture", "problem", "mapping", "mapper"):
                if key in parts:
                    raise SpecError(
                        f"a second {key} (the first came from {sources[key]})",
                        file=str(path),
                        field=key,
                    )
                parts[key] = (value, str(path))
                sources[key] = str(path)
            elif key == "compound_components":
                compound.append(value)
                sources.setdefault("compound_components", str(path))
            elif KNOWN_KEYS[key] == "constraints":
                constraints.append({key: value, "__file__": str(path)})
                sources.setdefault("constraints", str(path))
            elif KNOWN_KEYS[key] == "energy reference table":
                energy.append(str(path))
    architecture = (
        parse_architecture(parts["architecture"][0], file=parts["architecture"][1])
        if "architecture" in parts
        else None
    )
    if "problem" in parts:
        problem_parts.append(parts["problem"])
    problems = tuple(parse_problem(value, file=file) for value, file in problem_parts)
    return SpecSet(
        architecture=architecture,
        problem=problems[0] if len(problems) == 1 else None,
        mapping_document=parts["mapping"][0] if "mapping" in parts else None,
        compound_components=tuple(compound),
        constraints=tuple(constraints),
        mapper=parts["mapper"][0] if "mapper" in parts else None,
        energy_tables=tuple(energy),
        sources=sources,
        problems=problems,
        problem_files=tuple(file for _, file in problem_parts),
    )


def load_problem(path: str | Path) -> Problem:
    """Read one problem file."""
    specs = load_specs([path])
    specs.require("problem")
    assert specs.problem is not None
    return specs.problem


def load_architecture(path: str | Path) -> Architecture:
    """Read one architecture file."""
    specs = load_specs([path])
    specs.require("architecture")
    assert specs.architecture is not None
    return specs.architecture
