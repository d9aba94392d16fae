"""Mapspace constraints: what a mapper may choose at each storage level.

Read from Timeloop's ``architecture_constraints`` / ``mapspace_constraints`` files (``targets:``
lists) and from v0.4 components' inline ``constraints:``. Per target and type:

- ``temporal`` / ``spatial``: ``factors`` fix a loop bound (``R=3``; ``R=0`` means the whole
  problem dimension, as in Timeloop) or cap it (``C<=4``); ``permutation`` fixes the innermost
  loops in order, and the loops after a ``_`` separator as the outermost (v0.4 lists fix the
  order outright); a spatial ``split`` puts the first loops along X and the rest along Y;
- ``bypass`` / ``datatype`` / ``dataspace``: ``keep`` and ``bypass`` lists of data spaces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from typing import Any

from hwsim.errors import SpecError
from hwsim.nest import Axis
from hwsim.spec.architecture import Architecture
from hwsim.spec.problem import Problem
from hwsim.spec.validation import expect_int
from hwsim.spec.yaml_io import normalize_key

_FACTOR = re.compile(r"([A-Za-z_][A-Za-z_0-9]*?)\s*(<=|=)?\s*(\d+)")


@dataclass(frozen=True)
class LoopConstraints:
    """Constraints on one level's temporal or spatial loops.

    Attributes:
        factors: dimension → required bound.
        max_factors: dimension → largest allowed bound.
        inner: dimensions whose loops are innermost, in this order (innermost first).
        outer: dimensions whose loops are outermost, in this order (innermost first).
        split: for spatial loops, how many of the permutation's first entries run along X.
        origin: dimension → (file, field) of the directive that fixed its factor, for errors.
    """

    factors: dict[str, int] = field(default_factory=dict)
    max_factors: dict[str, int] = field(default_factory=dict)
    inner: tuple[str, ...] = ()
    outer: tuple[str, ...] = ()
    split: int | None = None
    origin: dict[str, tuple[str | None, str]] = field(default_factory=dict, compare=False)

    def error(self, dim: str, message: str) -> SpecError:
        """A `SpecError` about `dim`'s fixed factor, located where the constraint set it."""
        file, where = self.origin.get(dim, (None, None))
        return SpecError(message, file=file, field=where)

    def ordered(self, dims: tuple[str, ...]) -> list[str]:
        """`dims` in permutation order: the listed inner ones, the free ones, the outer ones."""
        free = [d for d in dims if d not in self.inner and d not in self.outer]
        return [*self.inner, *free, *self.outer]

    def axes(self, dims: tuple[str, ...], fanout: tuple[int, int]) -> dict[str, tuple[Axis, ...]]:
        """Per dimension, the mesh axes its spatial loop may run along on a (meshX, meshY)
        `fanout`: as the ``split`` of a constrained spatial permutation says, else the only
        axis wider than 1, else either."""
        fx, fy = fanout
        if self.split is not None and (self.inner or self.outer):
            return {d: ("X" if k < self.split else "Y",) for k, d in enumerate(self.ordered(dims))}
        if fy == 1:
            return dict.fromkeys(dims, ("X",))
        if fx == 1:
            return dict.fromkeys(dims, ("Y",))
        return dict.fromkeys(dims, ("X", "Y"))

    def bound_limit(self, dim: str, size: int) -> tuple[int | None, int]:
        """(required bound or None, largest bound) for `dim` of problem size `size`."""
        if dim in self.factors:
            return self.factors[dim], self.factors[dim]
        return None, min(size, self.max_factors.get(dim, size))


@dataclass(frozen=True)
class LevelConstraints:
    """Everything constrained at one storage level."""

    temporal: LoopConstraints = field(default_factory=LoopConstraints)
    spatial: LoopConstraints = field(default_factory=LoopConstraints)
    keep: frozenset[str] = frozenset()
    bypass: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MapspaceConstraints:
    """Constraints per storage level name (levels without an entry are unconstrained)."""

    levels: dict[str, LevelConstraints] = field(default_factory=dict)

    def level(self, name: str) -> LevelConstraints:
        return self.levels.get(name, LevelConstraints())


# ------------------------------------------------------------------------------- parsing
def _parse_factors(
    value: Any, problem: Problem, where: str
) -> tuple[dict[str, int], dict[str, int]]:
    text = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    text = text.split("#")[0]
    exact: dict[str, int] = {}
    upper: dict[str, int] = {}
    unread = _FACTOR.sub(" ", text).replace(",", " ").split()
    if unread:
        raise SpecError(
            f"cannot read {unread[0]!r} (write DIM=N, or DIM<=N for a maximum)", field=where
        )
    for name, op, number in _FACTOR.findall(text):
        if name not in problem.dimensions:
            raise SpecError(
                f"unknown dimension {name!r} (dimensions are {list(problem.dimensions)})",
                field=where,
            )
        n = int(number)
        if op == "<=":
            upper[name] = n
            continue
        if n == 0:  # Timeloop: 0 means the full problem dimension
            n = problem.size(name)
        if n > problem.size(name):
            continue  # Timeloop ignores a factor larger than the dimension
        exact[name] = n
    return exact, upper


def _parse_permutation(
    value: Any, problem: Problem, where: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if isinstance(value, list):
        names, outer = [str(v) for v in value], []
    else:
        text = str(value).split("#")[0].replace(" ", "").replace(",", "")
        inner_text, _, outer_text = text.partition("_")
        names, outer = list(inner_text), list(outer_text)
    for name in names + outer:
        if name not in problem.dimensions:
            raise SpecError(f"unknown dimension {name!r} in permutation", field=where)
    return tuple(names), tuple(outer)


def _targets(document: Any) -> list[Any]:
    if isinstance(document, MappingABC):
        document = document.get("targets", [])
    return list(document or [])


def _resolve(target: str, arch: Architecture) -> str | None:
    if target in arch.storage_names:
        return target
    dummy = f"inter_{target}_spatial"
    return dummy if dummy in arch.storage_names else None


def _merge(
    old: LevelConstraints,
    kind: str,
    directive: MappingABC[str, Any],
    problem: Problem,
    where: str,
    file: str | None,
) -> LevelConstraints:
    if kind in ("temporal", "spatial"):
        loops: LoopConstraints = getattr(old, kind)
        exact, upper = _parse_factors(directive.get("factors", ""), problem, f"{where}.factors")
        inner, outer = loops.inner, loops.outer
        if "permutation" in directive:
            if inner or outer:
                raise SpecError(
                    f"{kind} permutation given twice for this level", field=f"{where}.permutation"
                )
            inner, outer = _parse_permutation(
                directive["permutation"], problem, f"{where}.permutation"
            )
        split = (
            expect_int(directive["split"], f"{where}.split", minimum=0)
            if "split" in directive
            else loops.split
        )
        origin = {**loops.origin, **dict.fromkeys(exact, (file, f"{where}.factors"))}
        merged = LoopConstraints(
            {**loops.factors, **exact}, {**loops.max_factors, **upper}, inner, outer, split, origin
        )
        return replace(old, temporal=merged) if kind == "temporal" else replace(old, spatial=merged)
    keep = directive.get("keep") or []
    bypass = directive.get("bypass") or []
    for name in [*keep, *bypass]:
        if name not in problem.data_space_names:
            raise SpecError(f"unknown data space {name!r}", field=where)
    return replace(old, keep=old.keep | frozenset(keep), bypass=old.bypass | frozenset(bypass))


#: Timeloop constraint types that do not restrict hwsim's search (read and skipped).
_IGNORED_KINDS = ("utilization", "parallelism", "max_overbooked_proportion")

_KINDS = {
    "temporal": "temporal",
    "spatial": "spatial",
    "bypass": "bypass",
    "datatype": "bypass",
    "dataspace": "bypass",
    "bypassing": "bypass",
}


def parse_constraints(
    documents: list[Any], arch: Architecture, problem: Problem
) -> MapspaceConstraints:
    """Merge constraint files (as loaded by `hwsim.spec.load_specs`) and v0.4 inline constraints.

    Unknown targets or dimensions are `SpecError`\\ s naming the file and the directive; directive
    types a mapper does not use (``utilization``, ``max_overbooked_proportion``) are ignored.
    """
    levels: dict[str, LevelConstraints] = {}
    sources: list[tuple[str | None, str, list[Any]]] = []
    for document in documents:
        file = document.get("__file__") if isinstance(document, MappingABC) else None
        for key, value in (document or {}).items():
            if key == "__file__":
                continue
            sources.append((file, normalize_key(str(key)), _targets(value)))
    for component in arch.storage:
        inline = component.constraints or {}
        targets = []
        for directive_type, body in inline.items():
            if isinstance(body, MappingABC):
                targets.append({"target": component.name, "type": directive_type, **body})
        if targets:
            sources.append((arch.file, f"{component.name}.constraints", targets))
    for file, key, targets in sources:
        for i, raw in enumerate(targets):
            where = f"{key}.targets[{i}]"
            if not isinstance(raw, MappingABC):
                raise SpecError("expected a mapping", file=file, field=where)
            directive = {normalize_key(str(k)): v for k, v in raw.items()}
            kind = _KINDS.get(str(directive.get("type", "")))
            if kind is None:
                if directive.get("type") in _IGNORED_KINDS:
                    continue
                raise SpecError(
                    f"unknown constraint type {directive.get('type')!r} (hwsim reads "
                    f"{', '.join(_KINDS)}; Timeloop's {', '.join(_IGNORED_KINDS)} do not "
                    "constrain its search)",
                    file=file,
                    field=f"{where}.type",
                )
            target_name = str(directive.get("target", ""))
            target = _resolve(target_name, arch)
            dropped = {c.name: c.class_name for c in arch.components if c.kind == "other"}
            if target is None and target_name in dropped:
                raise SpecError(
                    f"{target_name!r} is not a storage level: its class "
                    f"{dropped[target_name]!r} is neither storage nor compute, so "
                    "the architecture leaves it out (a misspelt class?)",
                    file=file,
                    field=f"{where}.target",
                )
            if target is None:
                raise SpecError(
                    f"unknown target {directive.get('target')!r} (storage levels are {list(arch.storage_names)})",
                    file=file,
                    field=f"{where}.target",
                )
            try:
                levels[target] = _merge(
                    levels.get(target, LevelConstraints()), kind, directive, problem, where, file
                )
            except SpecError as err:
                raise err.at(file=file) from None
    for name, lc in levels.items():
        both = lc.keep & lc.bypass
        if both:
            raise SpecError(f"{sorted(both)} both kept and bypassed at {name}")
    return MapspaceConstraints(levels)
