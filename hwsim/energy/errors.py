"""The error raised when a component cannot be priced."""

from __future__ import annotations

from hwsim.errors import SpecError


class EnergyModelError(SpecError):
    """A component of the architecture cannot be priced, and why.

    The message always names the component (and its class): an unknown class, a missing or
    out-of-range attribute, an unsupported technology, or a model (e.g. CACTI) that produced no
    result. It is a `SpecError`, so the CLI prints it on one line and exits with status 2.
    """


def component_error(
    component: str, class_name: str, problem: str, *, file: str | None = None
) -> EnergyModelError:
    """An `EnergyModelError` that names `component` and its class."""
    return EnergyModelError(f"component {component!r} (class {class_name}): {problem}", file=file)
