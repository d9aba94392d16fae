"""Classic Accelergy's energy reference table (ERT) of an architecture, computed in hwsim.

For every component (not the data-less ``inter_*_spatial`` levels) and every action, every
combination of the action's argument values gets an energy, as Accelergy 0.3 lists them:

- a primitive component (``regfile``, ``SRAM``, ``intmac``, ``DRAM``...) has its attributes
  completed by the 0.3 primitive library (`hwsim.energy.classic.library`) and each action priced
  by the first most-accurate plug-in (`hwsim.energy.classic.estimators`);
- a compound component (``smartbuffer_SRAM``, ``smartbuffer_RF``...) binds its subcomponents'
  attributes to its own (an unbound attribute takes the library default, nothing is inherited),
  enumerates its action arguments (``address_delta: 0..n_banks``: first argument fastest), and
  sums, per combination, its subcomponent actions: rounded primitive energy × ``action_share``
  (``repeat``) × number of identical subcomponents (``address_generators[0..1]``: 2); the sum
  is rounded to 5 decimals. A nested compound contributes its primitive actions with their own
  shares and the product of the instance counts along the way (Accelergy 0.3's flattening).

`ClassicERT.to_energy_table` keeps each action's maximum over its arguments, which is what
Timeloop charges. Components priced by Accelergy's placeholder estimator are listed in
`ClassicERT.placeholders`, never silently mixed with estimates.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hwsim.energy.cacti.run import CactiFailure
from hwsim.energy.classic.aladdin import AladdinInputError
from hwsim.energy.classic.cacti_plugin import (
    CactiPluginInputError,
    CactiRows,
    RowSource,
)
from hwsim.energy.classic.estimators import PRECISION, estimate, placeholder_reason
from hwsim.energy.classic.library import (
    PRIMITIVE_CLASSES,
    PrimitiveClass,
    primitive_class,
    with_defaults,
)
from hwsim.energy.components.builtin_compounds import builtin_library
from hwsim.energy.components.compound import (
    CompoundDefinition,
    CompoundLibrary,
    compound_bindings,
)
from hwsim.energy.errors import EnergyModelError, component_error
from hwsim.energy.sources import CLASSIC_SOURCE
from hwsim.energy.table import ComponentEnergy, EnergyTable
from hwsim.errors import SpecWarning
from hwsim.spec.architecture import Architecture
from hwsim.spec.expressions import (
    ExpressionError,
    accelergy_functions,
    evaluate_attribute,
)
from hwsim.spec.yaml_io import normalize_key

if TYPE_CHECKING:
    import pandas as pd

SOURCE_LABEL = "classic Accelergy 0.3"
MAX_NESTING = 8

Arguments = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ErtEntry:
    """The energy of one action of one component for one combination of argument values."""

    component: str
    action: str
    arguments: Arguments
    energy_pj: float


@dataclass(frozen=True)
class Placeholder:
    """A primitive (sub)component classic Accelergy could only price with its dummy table."""

    component: str
    class_name: str
    reason: str


@dataclass(frozen=True)
class ClassicERT:
    """Every ERT entry of an architecture, which estimator priced each primitive, placeholders.

    Attributes:
        entries: one per (component, action, argument combination), in Accelergy's order.
        estimators: ``component[.subcomponent]`` → estimator name (Cacti, Aladdin_table...).
        placeholders: what only the placeholder estimator could price, with the reason.
    """

    entries: tuple[ErtEntry, ...]
    estimators: Mapping[str, str] = field(default_factory=dict)
    placeholders: tuple[Placeholder, ...] = ()

    def max_energies(self) -> dict[str, dict[str, float]]:
        """component → action → the maximum over its argument combinations (what Timeloop charges)."""
        table: dict[str, dict[str, float]] = {}
        for e in self.entries:
            actions = table.setdefault(e.component, {})
            actions[e.action] = max(e.energy_pj, actions.get(e.action, float("-inf")))
        return table

    def to_energy_table(self, name: str = CLASSIC_SOURCE) -> EnergyTable:
        entries = {}
        for component, actions in self.max_energies().items():
            used = sorted({v for k, v in self.estimators.items() if k.split(".")[0] == component})
            notes = "; ".join(
                f"PLACEHOLDER {p.component}: {p.reason}"
                for p in self.placeholders
                if p.component.split(".")[0] == component
            )
            entries[component] = ComponentEnergy(
                component, actions, None, f"{SOURCE_LABEL}: {', '.join(used)}", notes
            )
        return EnergyTable(name, entries)

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        rows = [
            {
                "component": e.component,
                "action": e.action,
                **{f"arg_{k}": v for k, v in e.arguments},
                "energy_pj": e.energy_pj,
            }
            for e in self.entries
        ]
        return pd.DataFrame(rows)


def classic_ert(
    architecture: Architecture,
    *,
    compound_components: Sequence[Any] = (),
    compound_source: str = "compound components",
    technology: str | None = None,
    rows: RowSource | None = None,
) -> ClassicERT:
    """The classic ERT of every component of `architecture`.

    Args:
        architecture: the parsed architecture.
        compound_components: raw ``compound_components`` documents (the course's
            ``smartbuffer_*`` files); hwsim's built-in smartbuffer classes fill in the rest.
        compound_source: where they came from, for error messages.
        technology: a node (``"40nm"``) that replaces every component's technology.
        rows: CACTI result rows by input (default: `CactiRows`, CACTI cached on disk).
    """
    return classic_ert_of_components(
        (
            (c.name, c.class_name, c.attributes)
            for c in architecture.components
            if not c.pass_through
        ),
        version=architecture.version,
        compound_components=compound_components,
        compound_source=compound_source,
        technology=technology,
        rows=rows,
    )


def classic_ert_of_components(
    components: Iterable[tuple[str, str, Mapping[str, Any]]],
    *,
    version: str = "0.3",
    compound_components: Sequence[Any] = (),
    compound_source: str = "compound components",
    technology: str | None = None,
    rows: RowSource | None = None,
) -> ClassicERT:
    """`classic_ert` of (name, class, attributes) triples, as classic Accelergy takes them.

    This skips the Timeloop architecture checks (classic prices a zero-depth buffer at 0 pJ,
    Timeloop refuses it). `version` is the spec version: from 0.4 on, a component's ``width``
    stands for ``datawidth`` when that is not given (v0.4 specs name a MAC's width so)."""
    library = CompoundLibrary.from_documents(
        compound_components, source=compound_source
    ).merged_over(builtin_library())
    builder = _Builder(library, rows or CactiRows())
    v04 = _version(version) >= 0.4
    for name, class_name, given in components:
        attributes = {normalize_key(k): v for k, v in given.items()}
        if v04 and "datawidth" not in attributes and "width" in attributes:
            attributes["datawidth"] = attributes["width"]
        if technology is not None:
            attributes["technology"] = technology
        builder.component(name, class_name, attributes)
    return ClassicERT(tuple(builder.entries), dict(builder.estimators), tuple(builder.placeholders))


# ----------------------------------------------------------------------------------- internals
def _version(text: str) -> float:
    match = re.match(r"^\s*(\d+)(?:\.(\d+))?", str(text))
    return float(f"{match[1]}.{match[2] or 0}") if match else 0.4


@dataclass
class _Builder:
    library: CompoundLibrary
    rows: RowSource
    entries: list[ErtEntry] = field(default_factory=list)
    estimators: dict[str, str] = field(default_factory=dict)
    placeholders: list[Placeholder] = field(default_factory=list)

    def component(self, name: str, class_name: str, attributes: dict[str, Any]) -> None:
        fail = lambda problem: component_error(name, class_name, problem)  # noqa: E731
        definition = self.library.find(class_name)
        if definition is not None:
            self._compound(name, class_name, definition, attributes, fail)
            return
        cls = _primitive(class_name, fail, self.library)
        attrs = with_defaults(cls, attributes)
        for action, ranges in cls.actions.items():
            for arguments in _argument_combinations(ranges, attrs, fail):
                energy = self._price(
                    name, cls.name, attrs, action, dict(arguments) if arguments else None, fail
                )
                self.entries.append(ErtEntry(name, action, arguments, energy))

    def _compound(
        self,
        name: str,
        class_name: str,
        definition: CompoundDefinition,
        attributes: Mapping[str, Any],
        fail: Callable[[str], EnergyModelError],
    ) -> None:
        tree = _CompoundTree.build(name, definition, attributes, self.library, fail, 0)
        for act in definition.spec.actions:
            ranges = dict(act.arguments or {})
            for arguments in _argument_combinations(ranges, tree.attributes, fail):
                total = 0.0
                for (
                    path,
                    sub_cls,
                    sub_attrs,
                    sub_action,
                    sub_args,
                    share,
                    count,
                ) in tree.primitive_actions(act.name, dict(arguments), fail):
                    energy = self._price(
                        f"{name}.{path}", sub_cls, sub_attrs, sub_action, sub_args, fail
                    )
                    total += energy * share * count
                self.entries.append(ErtEntry(name, act.name, arguments, round(total, PRECISION)))

    def _price(self, path, class_name, attrs, action, arguments, fail) -> float:
        try:
            result = estimate(class_name, attrs, action, arguments, self.rows)
        except (AladdinInputError, CactiPluginInputError, CactiFailure, KeyError) as err:
            raise fail(f"{path}: {err}") from None
        self.estimators.setdefault(path, result.estimator)
        if result.placeholder and all(p.component != path for p in self.placeholders):
            self.placeholders.append(
                Placeholder(path, class_name, placeholder_reason(class_name, attrs))
            )
        return result.energy_pj


def _primitive(class_name: str, fail, library: CompoundLibrary) -> PrimitiveClass:
    cls = primitive_class(class_name)
    if cls is None:
        raise fail(
            f"classic Accelergy 0.3 has no class {class_name!r} (primitive classes: "
            f"{', '.join(sorted(PRIMITIVE_CLASSES))}; compound classes: {', '.join(library.names())})"
        )
    return cls


_RANGE = re.compile(r"^(?P<base>[^\[]+)\[(?P<lo>[^\]]+?)\.\.(?P<hi>[^\]]+)\]$")
_INDEX = re.compile(r"^(?P<base>[^\[]+)\[(?P<i>[^\]]+)\]$")


def _bound(text: str, bindings: Mapping[str, Any], fail) -> int:
    try:
        value = evaluate_attribute(text.strip(), bindings, accelergy_functions(0.3))
        number = float(value)
    except (ExpressionError, TypeError, ValueError):
        raise fail(f"cannot read the range bound {text!r}") from None
    return int(number)


def _split_name(name: str, bindings: Mapping[str, Any], fail) -> tuple[str, int]:
    """``address_generators[0..1]`` → (base, 2); ``storage`` → (storage, 1)."""
    name = name.strip()
    if m := _RANGE.match(name):
        lo, hi = _bound(m["lo"], bindings, fail), _bound(m["hi"], bindings, fail)
        if hi < lo:
            raise fail(f"subcomponent {name!r}: end index < start index")
        return m["base"], hi - lo + 1
    if m := _INDEX.match(name):
        return m["base"], 1
    return name, 1


def _argument_combinations(
    ranges: Mapping[str, Any], attributes: Mapping[str, Any], fail
) -> Iterator[Arguments]:
    """Every combination of the argument ranges (``0..n_banks``), the first argument fastest."""
    if not ranges:
        yield ()
        return
    bounds = []
    for arg, text in ranges.items():
        if not isinstance(text, str) or ".." not in text:
            raise fail(f"argument {arg}: expected a range such as 0..1, got {text!r}")
        low, high = text.split("..", 1)
        bounds.append((arg, _bound(low, attributes, fail), _bound(high, attributes, fail)))
    total = 1
    for _, lo, hi in bounds:
        total *= max(hi - lo + 1, 0)
    for index in range(total):
        combo, offset = [], 1
        for arg, lo, hi in bounds:
            size = hi - lo + 1
            combo.append((arg, (index // offset) % size + lo))
            offset *= size
        yield tuple(combo)


@dataclass(frozen=True)
class _Sub:
    """A subcomponent: primitive (class + attributes) or a nested compound tree, and its count."""

    base: str
    count: int
    class_name: str
    attributes: Mapping[str, Any]
    nested: _CompoundTree | None


@dataclass(frozen=True)
class _CompoundTree:
    name: str
    definition: CompoundDefinition
    attributes: Mapping[str, Any]
    subs: Mapping[str, _Sub]

    @classmethod
    def build(cls, name, definition, instance, library, fail, nesting) -> _CompoundTree:
        if nesting > MAX_NESTING:
            raise fail(f"compound components nest more than {MAX_NESTING} deep")
        attributes, _ = compound_bindings(definition, instance, fail)
        functions = accelergy_functions(definition.version)
        subs: dict[str, _Sub] = {}
        for sub in definition.spec.subcomponents:
            base, count = _split_name(sub.name, attributes, fail)
            given: dict[str, Any] = {}
            for key, value in sub.attributes.items():
                try:
                    given[normalize_key(key)] = evaluate_attribute(value, attributes, functions)
                except ExpressionError:
                    given[normalize_key(key)] = value  # classic keeps the text (and warns)
            nested_def = library.find(sub.class_name)
            if nested_def is not None:
                tree = cls.build(f"{name}.{base}", nested_def, given, library, fail, nesting + 1)
                subs[base] = _Sub(base, count, sub.class_name, tree.attributes, tree)
            else:
                prim = _primitive(sub.class_name, fail, library)
                subs[base] = _Sub(base, count, prim.name, with_defaults(prim, given), None)
        return cls(name, definition, attributes, subs)

    def primitive_actions(
        self, action: str, arguments: Mapping[str, Any], fail
    ) -> Iterator[tuple[str, str, Mapping[str, Any], str, dict[str, Any] | None, float, int]]:
        """(path, class, attributes, action, arguments, share, count) of every primitive action."""
        spec = next((a for a in self.definition.spec.actions if a.name == action), None)
        if spec is None:
            raise fail(f"compound class {self.definition.spec.name} has no action {action!r}")
        functions = accelergy_functions(self.definition.version)
        bindings = {**self.attributes, **arguments}
        for target in spec.subcomponents:
            base, count = _split_name(target.name, bindings, fail)
            if base not in self.subs:
                raise fail(
                    f"action {action!r} uses subcomponent {target.name!r}, which "
                    f"{self.definition.spec.name} does not declare"
                )
            sub = self.subs[base]
            for sub_action in target.actions:
                share_text = (
                    sub_action.repeat if sub_action.repeat != 1 else sub_action.action_share
                )
                try:
                    share = float(evaluate_attribute(share_text, bindings, functions))
                except (ExpressionError, TypeError, ValueError):
                    raise fail(
                        f"action {action!r}: cannot read action_share {share_text!r}"
                    ) from None
                sub_args = None
                if sub_action.arguments is not None:
                    sub_args = {}
                    for key, value in sub_action.arguments.items():
                        try:
                            sub_args[key] = evaluate_attribute(value, bindings, functions)
                        except ExpressionError as err:
                            raise fail(f"action {action!r}, argument {key}: {err}") from None
                if sub.nested is not None:
                    for (
                        path,
                        c,
                        a,
                        act,
                        args,
                        inner_share,
                        inner_count,
                    ) in sub.nested.primitive_actions(sub_action.name, sub_args or {}, fail):
                        yield f"{base}.{path}", c, a, act, args, inner_share, count * inner_count
                else:
                    yield (
                        base,
                        sub.class_name,
                        sub.attributes,
                        sub_action.name,
                        sub_args,
                        share,
                        count,
                    )


def load_classic_table(
    architecture: Architecture,
    *,
    compound_components: Sequence[Any] = (),
    compound_source: str = "compound components",
    technology: str | None = None,
) -> EnergyTable:
    """The classic ERT of `architecture` as an `EnergyTable` (max energy per action); components
    classic could only price with its placeholder estimator are a `SpecWarning` (one line)."""
    ert = classic_ert(
        architecture,
        compound_components=compound_components,
        compound_source=compound_source,
        technology=technology,
    )
    if ert.placeholders:
        listed = "; ".join(f"{p.component} ({p.reason})" for p in ert.placeholders)
        warnings.warn(
            SpecWarning(
                f"{architecture.file or 'architecture'}: classic Accelergy prices these with its "
                f"placeholder, 1 pJ per action: {listed}"
            ),
            stacklevel=2,
        )
    return ert.to_energy_table()
