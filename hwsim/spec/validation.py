"""Turning pydantic validation errors, and numbers read from spec fields, into one `SpecError`
that names the file and field path."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from hwsim.errors import SpecError
from hwsim.spec.yaml_io import Tagged, normalize_key


def field_path(root: str, loc: tuple[Any, ...]) -> str:
    """Format a pydantic location tuple as ``root.a[0].b``."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _message(error: ErrorDetails) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    msg = str(error.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    value = error.get("input")
    if kind.endswith("_parsing") or kind.endswith("_type"):
        msg = f"{msg} (got {value!r})"
    return msg


def validate_model(model: type[BaseModel], data: Any, *, file: str | None, root: str) -> Any:
    """Validate `data` as `model`; the first error becomes a `SpecError` at ``root.<loc>``."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        # Errors raised by our own validators may carry a SpecError with a finer location.
        ctx_error = first.get("ctx", {}).get("error")
        if isinstance(ctx_error, SpecError):
            raise ctx_error.at(
                file=file, field_prefix=field_path(root, tuple(first["loc"]))
            ) from None
        raise SpecError(
            _message(first), file=file, field=field_path(root, tuple(first["loc"]))
        ) from None


def _hint(value: Any) -> str:
    return " (an unfilled template placeholder?)" if isinstance(value, str) and "$" in value else ""


def expect_int(value: Any, field: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """`value` as an integer in `minimum`..`maximum` (``64``, ``"64"``, ``64.0``), else a
    `SpecError` at `field`."""
    if isinstance(value, bool):
        raise SpecError(f"expected an integer, got {value!r}", field=field)
    if isinstance(value, int):
        number = value
    else:
        try:
            real = float(value)
        except (TypeError, ValueError):
            raise SpecError(
                f"expected an integer, got {value!r}{_hint(value)}", field=field
            ) from None
        if not real.is_integer():
            raise SpecError(f"expected an integer, got {value!r}", field=field)
        number = int(real)
    if number < minimum:
        raise SpecError(f"must be >= {minimum}, got {value!r}", field=field)
    if maximum is not None and number > maximum:
        raise SpecError(f"must be at most {maximum:,}, got {number:,}", field=field)
    return number


def expect_positive(value: Any, field: str, *, maximum: float | None = None) -> float:
    """`value` as a number > 0, else a `SpecError` at `field` (the float twin of `expect_int`)."""
    if isinstance(value, bool):
        raise SpecError(f"expected a number, got {value!r}", field=field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"expected a number, got {value!r}{_hint(value)}", field=field) from None
    if not number > 0 or number == float("inf"):
        raise SpecError(f"must be > 0, got {value!r}", field=field)
    if maximum is not None and number > maximum:
        raise SpecError(f"must be at most {maximum:,}, got {value!r}", field=field)
    return number


def normalize_keys(value: Any) -> Any:
    """Recursively replace ``-`` by ``_`` in mapping keys (Timeloop treats them alike)."""
    if isinstance(value, dict):
        out: dict[Any, Any] = Tagged(value.tag) if isinstance(value, Tagged) else {}
        for key, item in value.items():
            out[normalize_key(key) if isinstance(key, str) else key] = normalize_keys(item)
        return out
    if isinstance(value, list):
        return [normalize_keys(item) for item in value]
    return value
