"""Problems (workloads): named dimensions, data spaces and their projections, instance sizes.

A problem is an iteration space (one loop per dimension, e.g. ``M, R, P``) and a set of data
spaces (tensors). Each data space has one index expression per rank, a sum of
``coefficient × dimension`` terms, so ``Inputs[p + r]`` and strided, dilated convolutions
(``Inputs[Wstride·p + Wdilation·r]``) are expressed directly. Coefficients are named, have
defaults, and may be overridden by the instance.

Timeloop writes a projection in two forms, both accepted here:

- a list of ranks, each a list of terms, each term ``[dim]`` or ``[dim, coefficient]``:
  ``[[[R], [P]]]`` or ``[[[R, Wdilation], [P, Wstride]]]``;
- a flat list of dimension names, one rank per dimension: ``[M, R]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from math import prod
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hwsim.errors import SpecError
from hwsim.spec.validation import normalize_keys, validate_model

_FROZEN = ConfigDict(extra="forbid", frozen=True)

#: Largest dimension size or coefficient (stride, dilation) an instance may give.
MAX_INSTANCE_VALUE = 2**40
#: Most computes (the product of the dimension sizes) a problem may have: counts stay exact
#: in 64-bit integers.
MAX_COMPUTES = 10**18


class Term(BaseModel):
    """One ``coefficient × dimension`` term of a rank expression (coefficient 1 when ``None``)."""

    model_config = _FROZEN
    dimension: str
    coefficient: str | int | None = None

    @field_validator("coefficient")
    @classmethod
    def _positive(cls, value: str | int | None) -> str | int | None:
        if isinstance(value, int) and not 1 <= value <= MAX_INSTANCE_VALUE:
            raise ValueError(f"a coefficient (stride, dilation) must be >= 1, got {value}")
        return value


class Coefficient(BaseModel):
    """A named coefficient with its default value (e.g. ``Wstride`` defaulting to 1)."""

    model_config = _FROZEN
    name: str
    default: int = Field(ge=1)


class DataSpace(BaseModel):
    """A tensor: its name, one rank expression per tensor dimension, and whether it is read-write."""

    model_config = _FROZEN
    name: str
    projection: tuple[tuple[Term, ...], ...]
    read_write: bool = False

    @field_validator("projection", mode="before")
    @classmethod
    def _parse_projection(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple) or not value:
            raise ValueError("projection must be a non-empty list of ranks")
        if all(isinstance(v, str) for v in value):  # flat form: one rank per dimension
            return [[{"dimension": v}] for v in value]
        ranks: list[list[dict[str, Any] | Term]] = []
        for rank in value:
            if isinstance(rank, str):
                ranks.append([{"dimension": rank}])
                continue
            if not isinstance(rank, list | tuple) or not rank:
                raise ValueError(f"each rank must be a non-empty list of terms, got {rank!r}")
            terms: list[dict[str, Any] | Term] = []
            for term in rank:
                if isinstance(term, dict | Term):
                    terms.append(term)
                elif isinstance(term, str):
                    terms.append({"dimension": term})
                elif isinstance(term, list | tuple) and len(term) == 1:
                    terms.append({"dimension": term[0]})
                elif isinstance(term, list | tuple) and len(term) == 2:
                    terms.append({"dimension": term[0], "coefficient": term[1]})
                else:
                    raise ValueError(
                        f"a term is [dimension] or [dimension, coefficient], got {term!r}"
                    )
            ranks.append(terms)
        return ranks


class Shape(BaseModel):
    """The problem's shape: dimensions, coefficients and data spaces (Timeloop ``problem.shape``)."""

    model_config = _FROZEN
    name: str = "problem"
    dimensions: tuple[str, ...]
    coefficients: tuple[Coefficient, ...] = ()
    data_spaces: tuple[DataSpace, ...]

    @model_validator(mode="after")
    def _check_references(self) -> Shape:
        if len(set(self.dimensions)) != len(self.dimensions):
            raise ValueError(f"dimensions repeat a name: {list(self.dimensions)}")
        names = [ds.name for ds in self.data_spaces]
        if len(set(names)) != len(names):
            raise ValueError(f"data space names repeat: {names}")
        coefficient_names = {c.name for c in self.coefficients}
        for i, ds in enumerate(self.data_spaces):
            for r, rank in enumerate(ds.projection):
                for t, term in enumerate(rank):
                    where = f"data_spaces[{i}].projection[{r}][{t}]"
                    if term.dimension not in self.dimensions:
                        raise SpecError(
                            f"unknown dimension {term.dimension!r} (dimensions are {list(self.dimensions)})",
                            field=where,
                        )
                    if (
                        isinstance(term.coefficient, str)
                        and term.coefficient not in coefficient_names
                    ):
                        raise SpecError(
                            f"unknown coefficient {term.coefficient!r} (declare it under shape.coefficients)",
                            field=where,
                        )
        return self


class Problem(BaseModel):
    """A workload: shape plus instance (dimension sizes and coefficient overrides).

    Attributes:
        shape: dimensions, coefficients and data spaces.
        instance: dimension name → size, coefficient name → value.
    """

    model_config = _FROZEN
    shape: Shape
    instance: Mapping[str, int]

    @field_validator("instance", mode="before")
    @classmethod
    def _check_instance_values(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError("instance must map dimension and coefficient names to integers")
        out = {}
        for key, item in value.items():
            if key == "densities":
                raise SpecError(
                    "sparse densities are not modelled by hwsim (dense tensors only)", field=key
                )
            if isinstance(item, bool) or not isinstance(item, int):
                hint = (
                    " (an unfilled template placeholder?)"
                    if isinstance(item, str) and "$" in item
                    else ""
                )
                raise SpecError(f"expected an integer, got {item!r}{hint}", field=str(key))
            out[key] = item
        return out

    @model_validator(mode="after")
    def _check_instance(self) -> Problem:
        coefficient_names = {c.name for c in self.shape.coefficients}
        for key, item in self.instance.items():
            if key not in self.shape.dimensions and key not in coefficient_names:
                raise SpecError(
                    f"{key!r} is neither a dimension {list(self.shape.dimensions)} nor a coefficient",
                    field=f"instance.{key}",
                )
            what = "dimension size" if key in self.shape.dimensions else "coefficient"
            if item < 1:
                raise SpecError(f"{what} must be >= 1, got {item}", field=f"instance.{key}")
            if item > MAX_INSTANCE_VALUE:
                raise SpecError(
                    f"{what} must be at most {MAX_INSTANCE_VALUE:,} (2^40), got {item:,}",
                    field=f"instance.{key}",
                )
        missing = [d for d in self.shape.dimensions if d not in self.instance]
        if missing:
            raise SpecError(f"no size given for dimension(s) {missing}", field="instance")
        if self.macs > MAX_COMPUTES:
            raise SpecError(
                f"the dimensions multiply to {self.macs:.3g} computes, more than hwsim counts "
                f"({MAX_COMPUTES:.0e})",
                field="instance",
            )
        return self

    # ----------------------------------------------------------------------------- queries
    @property
    def name(self) -> str:
        return self.shape.name

    @property
    def dimensions(self) -> tuple[str, ...]:
        return self.shape.dimensions

    @property
    def data_spaces(self) -> tuple[DataSpace, ...]:
        return self.shape.data_spaces

    @property
    def data_space_names(self) -> tuple[str, ...]:
        return tuple(ds.name for ds in self.shape.data_spaces)

    def size(self, dimension: str) -> int:
        """The size (loop bound) of a dimension."""
        return self.instance[dimension]

    @cached_property
    def bounds(self) -> dict[str, int]:
        """Dimension name → size."""
        return {d: self.instance[d] for d in self.shape.dimensions}

    @cached_property
    def coefficient_values(self) -> dict[str, int]:
        """Coefficient name → value (instance override, else default)."""
        return {c.name: self.instance.get(c.name, c.default) for c in self.shape.coefficients}

    @property
    def macs(self) -> int:
        """Number of compute operations: the product of all dimension sizes."""
        return prod(self.bounds.values())

    @cached_property
    def rank_coefficients(self) -> dict[str, tuple[dict[str, int], ...]]:
        """Data space → per rank, dimension → integer coefficient (terms on one dimension summed)."""
        out: dict[str, tuple[dict[str, int], ...]] = {}
        for ds in self.shape.data_spaces:
            ranks = []
            for rank in ds.projection:
                coefs: dict[str, int] = {}
                for term in rank:
                    c = term.coefficient
                    value = (
                        1
                        if c is None
                        else (c if isinstance(c, int) else self.coefficient_values[c])
                    )
                    coefs[term.dimension] = coefs.get(term.dimension, 0) + value
                ranks.append(coefs)
            out[ds.name] = tuple(ranks)
        return out

    def tensor_extent(self, data_space: str) -> tuple[int, ...]:
        """Per-rank extent of the whole tensor's bounding box (Timeloop's hyper-rectangle)."""
        return tuple(
            sum(c * (self.bounds[d] - 1) for d, c in rank.items()) + 1
            for rank in self.rank_coefficients[data_space]
        )

    def tensor_size(self, data_space: str) -> int:
        """Number of elements in the tensor's bounding box."""
        return prod(self.tensor_extent(data_space))

    def renamed(self, name: str) -> Problem:
        """A copy whose shape carries another name (layer names label network reports)."""
        return Problem(
            shape=Shape(**{**dict(self.shape), "name": name}), instance=dict(self.instance)
        )

    # ------------------------------------------------------------------------ export
    def to_timeloop(self, version: str = "0.4") -> dict[str, Any]:
        """The problem as a Timeloop YAML document (``version`` ``"0.4"`` or ``"0.3"``)."""
        hyphen = version != "0.4"
        ds_key = "data-spaces" if hyphen else "data_spaces"
        rw_key = "read-write" if hyphen else "read_write"
        data_spaces = []
        for ds in self.shape.data_spaces:
            ranks = [
                [
                    [t.dimension] if t.coefficient is None else [t.dimension, t.coefficient]
                    for t in rank
                ]
                for rank in ds.projection
            ]
            entry: dict[str, Any] = {"name": ds.name, "projection": ranks}
            if ds.read_write:
                entry[rw_key] = True
            data_spaces.append(entry)
        shape: dict[str, Any] = {"name": self.shape.name, "dimensions": list(self.shape.dimensions)}
        if self.shape.coefficients:
            shape["coefficients"] = [
                {"name": c.name, "default": c.default} for c in self.shape.coefficients
            ]
        shape[ds_key] = data_spaces
        doc: dict[str, Any] = {"shape": shape, "instance": dict(self.instance)}
        if version == "0.4":
            doc = {"version": 0.4, **doc}
        return {"problem": doc}


def parse_problem(document: Any, *, file: str | None = None) -> Problem:
    """Build a `Problem` from the value under a file's top-level ``problem`` key."""
    if not isinstance(document, Mapping):
        raise SpecError(
            "expected a mapping with 'shape' and 'instance'", file=file, field="problem"
        )
    data = normalize_keys(dict(document))
    data.pop("version", None)
    return validate_model(Problem, data, file=file, root="problem")
