"""An `EnergyTable` for a whole architecture, from component models.

Every component of the architecture (storage, compute and any other class; not the data-less
``inter_*_spatial`` levels) is priced by its class: a compound class (from the files given with
the architecture, else hwsim's built-in ``smartbuffer_SRAM``/``smartbuffer_RF``) through its action
tree, a primitive class through its hwcomponents model (`hwsim.energy.components.primitives`).
Each entry holds pJ per access for the component's actions, ``leak`` (leakage over one clock
cycle, pJ), area per instance (µm²), the model it came from and notes. Results come from the
on-disk cache when the same model was already asked the same question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hwsim.energy.components.attributes import ComponentAttributes
from hwsim.energy.components.builtin_compounds import builtin_library
from hwsim.energy.components.cache import CachedEvaluator, ResultCache, default_cache_dir
from hwsim.energy.components.compound import CompoundLibrary, PricedPart, price_compound
from hwsim.energy.components.evaluate import Evaluator, ModelFailure, evaluate_with_hwcomponents
from hwsim.energy.components.model_registry import MODELS, ModelsNotInstalled
from hwsim.energy.components.primitives import known_primitive_classes, primitive_for
from hwsim.energy.components.technology import parse_technology
from hwsim.energy.table import ComponentEnergy, EnergyTable
from hwsim.errors import SpecError
from hwsim.spec.architecture import Architecture
from hwsim.spec.files import SpecSet

MAX_NESTING = 8


def default_evaluator(*, use_cache: bool = True) -> CachedEvaluator:
    """The live hwcomponents models behind hwsim's on-disk cache (memory only without it)."""
    return CachedEvaluator(
        evaluate_with_hwcomponents, ResultCache(default_cache_dir()) if use_cache else None
    )


@dataclass(frozen=True)
class ComponentPricer:
    """Prices components by class with one compound library and one evaluator."""

    library: CompoundLibrary
    evaluator: Evaluator

    def price(
        self, component: str, class_name: str, attributes: Mapping[str, Any], nesting: int = 0
    ) -> PricedPart:
        attrs = ComponentAttributes(component, class_name, attributes)
        if nesting > MAX_NESTING:
            raise attrs.error(
                f"compound components nest more than {MAX_NESTING} deep (a class that contains itself?)"
            )
        definition = self.library.find(class_name)
        if definition is not None:
            return price_compound(
                definition,
                component,
                attributes,
                lambda name, cls, attrs_: self.price(name, cls, attrs_, nesting + 1),
                attrs.cycle_seconds(),
                attrs.error,
            )
        primitive = primitive_for(attrs)
        if primitive is None:
            raise attrs.error(
                f"no energy model for class {class_name!r}; primitive classes: {', '.join(known_primitive_classes())}; "
                f"compound classes: {', '.join(self.library.names())}"
            )
        try:
            result = self.evaluator(primitive.query)
        except (ModelFailure, ModelsNotInstalled) as err:
            raise attrs.error(str(err)) from None
        return PricedPart(
            result.actions,
            result.area_um2,
            result.leak_w,
            attrs.cycle_seconds(),
            MODELS[primitive.query.model].label,
            primitive.notes,
            primitive.aliases,
        )


def build_energy_table(
    architecture: Architecture,
    *,
    compound_components: Sequence[Any] = (),
    compound_source: str = "compound components",
    evaluator: Evaluator | None = None,
    technology: str | None = None,
    name: str = "hwcomponents",
) -> EnergyTable:
    """Price every component of `architecture` with the component models.

    Args:
        architecture: the parsed architecture.
        compound_components: raw ``compound_components`` documents (as `SpecSet` holds them).
        compound_source: the file they came from, for error messages.
        evaluator: how model queries are answered (default: `default_evaluator`).
        technology: a node (``"40nm"``) that replaces every component's technology.
        name: the table's name.
    """
    if technology is not None:
        try:
            parse_technology(technology)
        except ValueError as err:
            raise SpecError(f"technology override: {err}") from None
    library = CompoundLibrary.from_documents(
        compound_components, source=compound_source
    ).merged_over(builtin_library())
    pricer = ComponentPricer(library, evaluator or default_evaluator())
    entries: dict[str, ComponentEnergy] = {}
    for component in architecture.components:
        if component.pass_through:
            continue
        attributes = dict(component.attributes)
        if technology is not None:
            attributes["technology"] = technology
        part = pricer.price(component.name, component.class_name, attributes)
        actions = {**part.actions, "leak": part.leak_w * part.cycle_s * 1e12}
        entries[component.name] = ComponentEnergy(
            component.name, actions, part.area_um2, part.source, "; ".join(part.notes)
        )
    return EnergyTable(name, entries)


def energy_table_for_specs(specs: SpecSet, **options: Any) -> EnergyTable:
    """`build_energy_table` for the architecture and compound components of a set of files."""
    specs.require("architecture")
    assert specs.architecture is not None
    source = specs.sources.get("compound_components", "compound components")
    return build_energy_table(
        specs.architecture,
        compound_components=specs.compound_components,
        compound_source=source,
        **options,
    )
