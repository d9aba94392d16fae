"""Accelergy compound components: their files, and the energy of their action trees.

A compound class (``smartbuffer_SRAM``, ``smartbuffer_RF``...) lists default attributes, the
subcomponents it is built from (each with attributes computed from the compound's, e.g. an address
generator of ``log(memory_depth)`` bits, and an instance range such as ``address_generators[0..1]``)
and, for each of its actions, which subcomponent actions happen. This module parses those files
(``compound_components: {version, classes}``, v0.3 and v0.4; unknown fields are an error) and
prices a compound action as the sum of its subcomponent actions::

    E(action) = Σ over referenced subcomponents: instances × repeat × action_share × E(sub action)

where a subcomponent's ``idle`` is its leakage over one clock cycle. Action arguments
(``data_delta: 0..1``, ``address_delta: 0..n_banks``) are accepted and not enumerated: the
hwcomponents models price a full access, the variant Timeloop charges (classic Accelergy scaled
its CACTI address-decoding term by ``address_delta``, up to ``n_banks``). Area and leakage are the
sums over all subcomponent instances (``area_share`` scales a subcomponent's area).

An instance's attributes override the class defaults. Accelergy 0.3 classes name their geometry
``memory_depth``/``memory_width`` while v0.4 specs write ``depth``/``width``; when a class declares
one spelling and the instance gives the other, the instance's value is used and a note says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hwsim.energy.components.primitives import normalize_class
from hwsim.errors import SpecError
from hwsim.spec.expressions import (
    ExpressionError,
    accelergy_functions,
    evaluate_attribute,
)
from hwsim.spec.yaml_io import normalize_key

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

#: Attributes a subcomponent inherits from its compound when it does not set them.
INHERITED = ("technology", "global_cycle_seconds", "cycle_seconds")

#: Pairs of spellings of the same geometry attribute (Accelergy 0.3 name, v0.4 name).
SYNONYMS = (("memory_depth", "depth"), ("memory_width", "width"))


class SubcomponentSpec(BaseModel):
    model_config = _STRICT
    name: str
    class_name: str = Field(alias="class")
    attributes: dict[str, Any] = Field(default_factory=dict)
    area_share: float | str = 1


class SubactionSpec(BaseModel):
    model_config = _STRICT
    name: str
    arguments: dict[str, Any] | None = None
    repeat: float | str = 1
    action_share: float | str = 1


class ActionTarget(BaseModel):
    model_config = _STRICT
    name: str
    actions: list[SubactionSpec]


class CompoundAction(BaseModel):
    model_config = _STRICT
    name: str
    arguments: dict[str, Any] | None = None
    subcomponents: list[ActionTarget] = Field(default_factory=list)


class CompoundClass(BaseModel):
    model_config = _STRICT
    name: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    subcomponents: list[SubcomponentSpec]
    actions: list[CompoundAction]


class CompoundDocument(BaseModel):
    model_config = _STRICT
    version: float | str = 0.3
    classes: list[CompoundClass]


@dataclass(frozen=True)
class CompoundDefinition:
    """A parsed compound class with the version of the file it came from."""

    spec: CompoundClass
    version: float


class CompoundLibrary:
    """Compound classes by name (later documents override earlier ones)."""

    def __init__(self, definitions: Mapping[str, CompoundDefinition]):
        self._by_name = dict(definitions)
        self._by_normalized = {normalize_class(k): v for k, v in definitions.items()}

    @classmethod
    def from_documents(
        cls, documents: Iterable[Any], *, source: str = "compound components"
    ) -> CompoundLibrary:
        definitions: dict[str, CompoundDefinition] = {}
        for i, document in enumerate(documents):
            try:
                parsed = CompoundDocument.model_validate(document)
            except ValidationError as err:
                first = err.errors()[0]
                where = "compound_components" + "".join(
                    f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]
                )
                raise SpecError(
                    f"{first['msg']}", file=source, field=where if i == 0 else f"[{i}].{where}"
                ) from None
            version = _version(parsed.version)
            for spec in parsed.classes:
                definitions[spec.name] = CompoundDefinition(spec, version)
        return cls(definitions)

    def merged_over(self, base: CompoundLibrary) -> CompoundLibrary:
        return CompoundLibrary({**base._by_name, **self._by_name})

    def find(self, class_name: str) -> CompoundDefinition | None:
        return self._by_name.get(class_name) or self._by_normalized.get(normalize_class(class_name))

    def names(self) -> list[str]:
        return sorted(self._by_name)


def _version(value: float | str) -> float:
    """``0.3`` → 0.3, ``"0.4"`` → 0.4, ``"0.4.1"`` → 0.4; unreadable → 0.3 (the classic format)."""
    match = re.match(r"^\s*(\d+)(?:\.(\d+))?", str(value))
    return float(f"{match[1]}.{match[2] or 0}") if match else 0.3


# ---------------------------------------------------------------------------------- pricing
@dataclass(frozen=True)
class PricedPart:
    """A priced component: pJ per action, area (µm²), leakage (W), and where the numbers came from."""

    actions: Mapping[str, float]
    area_um2: float | None
    leak_w: float
    cycle_s: float
    source: str
    notes: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)

    def energy(self, action: str) -> float | None:
        """pJ of `action` (``idle``/``leak``: leakage over one cycle), None if the part has no such action."""
        if action in self.actions:
            return self.actions[action]
        if action in self.aliases and self.aliases[action] in self.actions:
            return self.actions[self.aliases[action]]
        if action in ("idle", "leak"):
            return self.leak_w * self.cycle_s * 1e12
        return None


#: Prices a subcomponent: (display name, class, attributes) → PricedPart.
PartPricer = Callable[[str, str, Mapping[str, Any]], PricedPart]

_RANGE = re.compile(r"^(?P<base>[^\[]+)\[(?P<lo>\d+)\.\.(?P<hi>\d+)\]$")
_INDEX = re.compile(r"^(?P<base>[^\[]+)\[(?P<i>\d+)\]$")


def _instances(name: str) -> tuple[str, range]:
    """``address_generators[0..1]`` → (base, range(0, 2)); ``storage`` → (storage, range(0, 1))."""
    name = name.strip()
    if m := _RANGE.match(name):
        return m["base"], range(int(m["lo"]), int(m["hi"]) + 1)
    if m := _INDEX.match(name):
        return m["base"], range(int(m["i"]), int(m["i"]) + 1)
    return name, range(0, 1)


def compound_bindings(
    definition: CompoundDefinition, instance: Mapping[str, Any], fail: Callable[[str], Exception]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The compound's attributes: class defaults, overridden by the instance, synonyms resolved."""
    functions = accelergy_functions(definition.version)
    defaults = {normalize_key(k): v for k, v in definition.spec.attributes.items()}
    given = {normalize_key(k): v for k, v in instance.items()}
    notes = []
    for first, second in SYNONYMS:
        for written, other in ((first, second), (second, first)):
            if written in given and other not in given:
                given[other] = given[written]
                if other in defaults:
                    notes.append(f"{written} taken as {other}")
    bindings: dict[str, Any] = {**defaults, **given}
    for key, value in defaults.items():
        if key in given:
            continue
        try:
            bindings[key] = evaluate_attribute(value, bindings, functions)
        except ExpressionError as err:
            raise fail(f"attribute {key}: {err}") from None
    return bindings, tuple(notes)


def price_compound(
    definition: CompoundDefinition,
    component: str,
    instance: Mapping[str, Any],
    price_part: PartPricer,
    cycle_s: float,
    fail: Callable[[str], Exception],
) -> PricedPart:
    """Price every action of a compound component from its subcomponents."""
    spec = definition.spec
    functions = accelergy_functions(definition.version)
    bindings, notes = compound_bindings(definition, instance, fail)

    parts: dict[str, tuple[PricedPart, range, float]] = {}
    for sub in spec.subcomponents:
        base, indices = _instances(sub.name)
        attributes: dict[str, Any] = {}
        for key, value in sub.attributes.items():
            key = normalize_key(key)
            if isinstance(value, str) and value.strip() == key and key not in bindings:
                raise fail(
                    f"subcomponent {sub.name}: attribute {key} refers to {key!r}, which {component!r} does not set"
                )
            try:
                attributes[key] = evaluate_attribute(value, bindings, functions)
            except ExpressionError as err:
                raise fail(f"subcomponent {sub.name}, attribute {key}: {err}") from None
        for key in INHERITED:
            if key not in attributes and key in bindings:
                attributes[key] = bindings[key]
        share = _number(
            evaluate_attribute(sub.area_share, bindings, functions), f"{sub.name}.area_share", fail
        )
        parts[base] = (
            price_part(f"{component}.{base}", sub.class_name, attributes),
            indices,
            share,
        )

    actions: dict[str, float] = {}
    for act in spec.actions:
        total = 0.0
        for target in act.subcomponents:
            base, indices = _instances(target.name)
            if base not in parts:
                raise fail(
                    f"action {act.name!r} uses subcomponent {target.name!r}, which {spec.name} does not declare"
                )
            part, declared, _ = parts[base]
            if indices.start < declared.start or indices.stop > declared.stop:
                raise fail(
                    f"action {act.name!r} uses {target.name!r}, outside {base}[{declared.start}..{declared.stop - 1}]"
                )
            for sub_action in target.actions:
                energy = part.energy(sub_action.name)
                if energy is None:
                    raise fail(
                        f"action {act.name!r}: subcomponent {base} has no action {sub_action.name!r} "
                        f"(it has {', '.join(sorted(part.actions))}, idle)"
                    )
                repeat = _number(
                    evaluate_attribute(sub_action.repeat, bindings, functions), "repeat", fail
                )
                share = _number(
                    evaluate_attribute(sub_action.action_share, bindings, functions),
                    "action_share",
                    fail,
                )
                total += len(indices) * repeat * share * energy
        actions[act.name] = total

    area = sum((p.area_um2 or 0.0) * len(r) * s for p, r, s in parts.values())
    leak = sum(p.leak_w * len(r) for p, r, _ in parts.values())
    described = "; ".join(
        f"{base}{f'[{r.start}..{r.stop - 1}]' if len(r) > 1 else ''} ← {p.source}"
        for base, (p, r, _) in parts.items()
    )
    sub_notes = tuple(f"{base}: {note}" for base, (p, _, _) in parts.items() for note in p.notes)
    return PricedPart(
        actions,
        area if any(p.area_um2 is not None for p, _, _ in parts.values()) else None,
        leak,
        cycle_s,
        f"compound {spec.name} ({described})",
        notes + sub_notes,
    )


def _number(value: Any, what: str, fail: Callable[[str], Exception]) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise fail(f"{what} must be a number, got {value!r}") from None
