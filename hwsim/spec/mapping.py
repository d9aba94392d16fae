"""Mappings: per storage level, temporal and spatial loop factors, loop order, and bypass.

A Timeloop mapping is a list of directives, each with a ``target`` (a storage level, or in v0.4 a
container with a spatial fanout) and a ``type``:

- ``temporal``: ``factors`` (``"R=3 P=1 M=1"``, ``"C1 M4"``, ``[N=1, C=1]`` or ``{R: 3}``) and a
  ``permutation`` listing loops **innermost first** (``"RPM"`` or ``[R, P, M]``);
- ``spatial``: the same for the fanout below the target, plus ``split`` (the first ``split``
  loops of the permutation run along X, the rest along Y);
- ``datatype`` / ``bypass`` / ``dataspace``: ``keep`` and ``bypass`` lists of data spaces.

A level without an entry gets factors of 1; a data space neither kept nor bypassed is kept.
`bind_mapping` checks the directives against an architecture and a problem and returns a
`Mapping`; every mistake is a `SpecError` naming the file and field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as MappingABC
from math import prod
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hwsim.errors import SpecError
from hwsim.spec.architecture import STORAGE_CLASS_MARKERS, Architecture
from hwsim.spec.problem import Problem
from hwsim.spec.validation import expect_int
from hwsim.spec.yaml_io import normalize_key

_FROZEN = ConfigDict(extra="forbid", frozen=True)

DirectiveType = Literal["temporal", "spatial", "bypass"]
_TYPE_ALIASES = {
    "temporal": "temporal",
    "spatial": "spatial",
    "datatype": "bypass",
    "bypass": "bypass",
    "dataspace": "bypass",
}
_TOKEN = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z_0-9]*?)\s*=?\s*(?P<value>-?\d+)$")


class LevelMapping(BaseModel):
    """The mapping of one storage level.

    Attributes:
        target: the storage level's name.
        temporal: dimension → temporal loop bound at this level (every dimension present).
        permutation: temporal loop order, innermost first (every dimension present).
        spatial: dimension → spatial loop bound in the fanout below this level.
        spatial_permutation: spatial loop order, innermost first.
        split: the first `split` entries of `spatial_permutation` run along X, the rest along Y.
        keep: data spaces stored at this level (the others bypass it).
    """

    model_config = _FROZEN
    target: str
    temporal: MappingABC[str, int]
    permutation: tuple[str, ...]
    spatial: MappingABC[str, int]
    spatial_permutation: tuple[str, ...]
    split: int
    keep: frozenset[str]


class Mapping(BaseModel):
    """A complete mapping bound to an architecture and a problem.

    Attributes:
        levels: one `LevelMapping` per storage level, outermost first (same order as the architecture).
        warnings: notes about defaults applied (e.g. a permutation padded with missing dimensions).
        file: where it was read from, for error messages.
    """

    model_config = _FROZEN
    levels: tuple[LevelMapping, ...]
    warnings: tuple[str, ...] = ()
    file: str | None = None

    def level(self, name: str) -> LevelMapping:
        for lvl in self.levels:
            if lvl.target == name:
                return lvl
        raise KeyError(name)

    def to_timeloop(self) -> dict[str, Any]:
        """The mapping as a Timeloop YAML document (all directives explicit)."""
        out: list[dict[str, Any]] = []
        for lvl in self.levels:
            dims = list(lvl.permutation)
            out.append(
                {
                    "target": lvl.target,
                    "type": "temporal",
                    "factors": " ".join(f"{d}={lvl.temporal[d]}" for d in dims),
                    "permutation": _permutation_text(lvl.permutation),
                }
            )
            if any(v > 1 for v in lvl.spatial.values()):
                out.append(
                    {
                        "target": lvl.target,
                        "type": "spatial",
                        "factors": " ".join(
                            f"{d}={lvl.spatial[d]}" for d in lvl.spatial_permutation
                        ),
                        "permutation": _permutation_text(lvl.spatial_permutation),
                        "split": lvl.split,
                    }
                )
        return {"mapping": out + self._bypass_directives()}

    def _bypass_directives(self) -> list[dict[str, Any]]:
        spaces: set[str] = set()
        for lvl in self.levels:
            spaces |= set(lvl.keep)
        return [
            {
                "target": lvl.target,
                "type": "datatype",
                "keep": sorted(lvl.keep),
                "bypass": sorted(spaces - set(lvl.keep)),
            }
            for lvl in self.levels
        ]


def _permutation_text(perm: tuple[str, ...]) -> str | list[str]:
    return "".join(perm) if all(len(d) == 1 for d in perm) else list(perm)


# ----------------------------------------------------------------------------- parsing
def parse_factors(value: Any, dims: tuple[str, ...], field: str) -> dict[str, int]:
    """Parse Timeloop factor syntax into dimension → bound; unknown dimensions are errors."""
    items: list[tuple[str, Any]]
    if isinstance(value, MappingABC):
        items = [(str(k), v) for k, v in value.items()]
    else:
        tokens = value if isinstance(value, list) else re.split(r"[\s,]+", str(value).strip())
        items = []
        for token in tokens:
            token = str(token).strip()
            if not token:
                continue
            match = _TOKEN.match(token)
            if not match:
                raise SpecError(f"cannot read factor {token!r} (expected NAME=INT)", field=field)
            items.append((match["name"], match["value"]))
    out: dict[str, int] = {}
    for name, raw in items:
        if name not in dims:
            raise SpecError(
                f"unknown dimension {name!r} (dimensions are {list(dims)})", field=field
            )
        bound = expect_int(raw, field)
        if name in out:
            raise SpecError(f"dimension {name} has two factors", field=field)
        out[name] = bound
    return out


def parse_permutation(value: Any, dims: tuple[str, ...], field: str) -> tuple[str, ...]:
    """Parse a loop order (innermost first): ``"RPM"``, ``"QRSC PNM"`` or ``[R, P, M]``."""
    if isinstance(value, list | tuple):
        names = [str(v).strip() for v in value]
    else:
        text = str(value).replace(" ", "").replace(",", "")
        if all(len(d) == 1 for d in dims):
            names = list(text)
        elif text in dims:
            names = [text]
        else:
            raise SpecError(
                "with multi-letter dimension names the permutation must be a list", field=field
            )
    for name in names:
        if name not in dims:
            raise SpecError(
                f"unknown dimension {name!r} (dimensions are {list(dims)})", field=field
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SpecError(f"dimension(s) {repeated} appear twice", field=field)
    return tuple(names)


def _as_directives(document: Any, file: str | None) -> list[MappingABC[str, Any]]:
    if isinstance(document, MappingABC) and "targets" in document:
        document = document["targets"]
    if not isinstance(document, list):
        raise SpecError("expected a list of directives", file=file, field="mapping")
    out: list[MappingABC[str, Any]] = []
    for i, directive in enumerate(document):
        if not isinstance(directive, MappingABC):
            raise SpecError("each directive must be a mapping", file=file, field=f"mapping[{i}]")
        out.append({normalize_key(str(k)): v for k, v in directive.items()})
    return out


def _resolve_target(target: str, arch: Architecture) -> str | None:
    if target in arch.storage_names:
        return target
    dummy = f"inter_{target}_spatial"
    if dummy in arch.storage_names:
        return dummy
    return None


def bind_mapping(
    document: Any, arch: Architecture, problem: Problem, *, file: str | None = None
) -> Mapping:
    """Check mapping directives against `arch` and `problem` and build a `Mapping`."""
    dims = problem.dimensions
    spaces = problem.data_space_names
    temporal: dict[str, dict[str, int]] = {}
    perms: dict[str, tuple[str, ...]] = {}
    spatial: dict[str, dict[str, int]] = {}
    sperms: dict[str, tuple[str, ...]] = {}
    splits: dict[str, int] = {}
    keep: dict[str, set[str]] = {}
    bypass: dict[str, set[str]] = {}
    warnings: list[str] = []

    for i, directive in enumerate(_as_directives(document, file)):
        where = f"mapping[{i}]"
        known = {"target", "type", "factors", "permutation", "split", "keep", "bypass"}
        for key in directive:
            if key not in known:
                raise SpecError("unknown field", file=file, field=f"{where}.{key}")
        if "target" not in directive:
            raise SpecError("required field is missing", file=file, field=f"{where}.target")
        raw_target = str(directive["target"])
        target = _resolve_target(raw_target, arch)
        if target is None:
            dropped = {c.name: c.class_name for c in arch.components if c.kind == "other"}
            if raw_target in dropped:
                raise SpecError(
                    f"{raw_target!r} is not a storage level: its class {dropped[raw_target]!r} "
                    f"is neither storage ({', '.join(STORAGE_CLASS_MARKERS)}) nor compute, so "
                    "the architecture leaves it out (a misspelt class?)",
                    file=file,
                    field=f"{where}.target",
                )
            raise SpecError(
                f"unknown target {raw_target!r} (storage levels are {list(arch.storage_names)})",
                file=file,
                field=f"{where}.target",
            )
        kind = _TYPE_ALIASES.get(str(directive.get("type", "")))
        if kind is None:
            raise SpecError(
                f"unknown type {directive.get('type')!r} (temporal, spatial, datatype/bypass/dataspace)",
                file=file,
                field=f"{where}.type",
            )
        try:
            if kind in ("temporal", "spatial"):
                factors = parse_factors(directive.get("factors", ""), dims, f"{where}.factors")
                perm = (
                    parse_permutation(directive["permutation"], dims, f"{where}.permutation")
                    if "permutation" in directive
                    else ()
                )
                table, ptable = (temporal, perms) if kind == "temporal" else (spatial, sperms)
                if target in table:
                    raise SpecError(
                        f"second {kind} directive for {target}", field=f"{where}.target"
                    )
                table[target] = factors
                ptable[target] = perm
                if kind == "spatial":
                    splits[target] = expect_int(
                        directive.get("split", len(dims)), f"{where}.split", minimum=0
                    )
            else:
                for key, store in (("keep", keep), ("bypass", bypass)):
                    names = directive.get(key) or []
                    if isinstance(names, str):
                        names = [names]
                    for name in names:
                        if name not in spaces:
                            raise SpecError(
                                f"unknown data space {name!r} (data spaces are {list(spaces)})",
                                field=f"{where}.{key}",
                            )
                    store.setdefault(target, set()).update(names)
                both = keep.get(target, set()) & bypass.get(target, set())
                if both:
                    raise SpecError(f"{sorted(both)} both kept and bypassed", field=where)
        except SpecError as err:
            raise err.at(file=file) from None

    levels: list[LevelMapping] = []
    for index, level in enumerate(arch.storage):
        name = level.name
        t = {d: temporal.get(name, {}).get(d, 1) for d in dims}
        s = {d: spatial.get(name, {}).get(d, 1) for d in dims}
        perm = _complete_permutation(perms.get(name, ()), t, dims, name, "temporal", warnings)
        sperm = _complete_permutation(sperms.get(name, ()), s, dims, name, "spatial", warnings)
        fx, fy = arch.fanout(index)
        used = prod(s.values())
        if used > fx * fy:
            where = "spatial factors" if name in spatial else "mapping"
            raise SpecError(
                f"spatial factors at {name} use {used} instances but the fanout below it is {fx * fy} ({fx}x{fy})",
                file=file,
                field=f"{where} of {name}",
            )
        kept = set(spaces) - bypass.get(name, set()) if not level.pass_through else set()
        if level.pass_through and keep.get(name):
            raise SpecError(
                f"{name} is a pass-through spatial level and stores nothing",
                file=file,
                field="mapping",
            )
        levels.append(
            LevelMapping(
                target=name,
                temporal=t,
                permutation=perm,
                spatial=s,
                spatial_permutation=sperm,
                split=splits.get(name, len(dims)),
                keep=frozenset(kept),
            )
        )

    for d in dims:
        total = prod(lvl.temporal[d] * lvl.spatial[d] for lvl in levels)
        if total != problem.size(d):
            detail = ", ".join(
                f"{lvl.target}={lvl.temporal[d]}"
                + (f"x{lvl.spatial[d]}(spatial)" if lvl.spatial[d] > 1 else "")
                for lvl in levels
                if lvl.temporal[d] * lvl.spatial[d] > 1
            )
            raise SpecError(
                f"factors of {d} multiply to {total} ({detail or 'all 1'}) but the problem size of {d} is {problem.size(d)}",
                file=file,
                field=f"mapping.factors.{d}",
            )
    for ds in spaces:
        if not any(ds in lvl.keep for lvl in levels):
            raise SpecError(
                f"data space {ds} is bypassed at every level: it must be stored somewhere",
                file=file,
                field="mapping",
            )
    return Mapping(levels=tuple(levels), warnings=tuple(warnings), file=file)


def _complete_permutation(
    given: tuple[str, ...],
    factors: dict[str, int],
    dims: tuple[str, ...],
    level: str,
    kind: str,
    warnings: list[str],
) -> tuple[str, ...]:
    missing = [d for d in dims if d not in given]
    ambiguous = [d for d in missing if factors[d] > 1]
    if ambiguous and given:
        warnings.append(
            f"{level} {kind} permutation does not name {ambiguous}; they were placed outermost in problem order"
        )
    # Loops with a bound of 1 may go anywhere; unordered non-trivial loops go outermost.
    return tuple(given) + tuple(missing)
