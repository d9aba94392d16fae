"""Technology nodes and compound-attribute expressions, as Accelergy writes them."""

from __future__ import annotations

import math

import pytest

from hwsim.energy.components.technology import parse_technology
from hwsim.spec.expressions import (
    ExpressionError,
    accelergy_functions,
    evaluate_attribute,
)


@pytest.mark.parametrize(
    ("written", "nm"),
    [
        ("45nm", 45),
        ("45 nm", 45),
        (" 32nm ", 32),
        ("0.045um", 45),
        ("0.045µm", 45),
        (45, 45),
        (40.0, 40),
        (45e-9, 45),
        ("45e-9", 45),
        ("4.5e-8m", 45),
    ],
)
def test_technology_forms(written, nm) -> None:
    assert parse_technology(written).nanometres == nm
    assert parse_technology(written).metres * 1e9 == nm  # exact: CACTI compares nodes exactly


@pytest.mark.parametrize("written", ["3nm", "250nm", 0.2, "fast", True, "", "45 furlongs"])
def test_unreadable_or_out_of_range_technology_is_refused(written) -> None:
    with pytest.raises(ValueError, match="technology"):
        parse_technology(written)


def test_log_is_address_bits_in_accelergy_0_3_and_natural_log_from_0_4() -> None:
    classic, modern = accelergy_functions(0.3), accelergy_functions(0.4)
    for depth, bits in [(12, 4), (16, 4), (192, 8), (16384, 14), (2, 1)]:
        assert evaluate_attribute("log(memory_depth)", {"memory_depth": depth}, classic) == bits
    assert evaluate_attribute("log(memory_depth)", {"memory_depth": 12}, modern) == pytest.approx(
        math.log(12)
    )
    assert evaluate_attribute("max(1, ceil(log2(depth)))", {"depth": 12}, modern) == 4


def test_attribute_values_resolve_like_accelergy() -> None:
    functions = accelergy_functions(0.3)
    bindings = {"technology": "45nm", "memory_width": 16, "n_banks": "4"}
    assert evaluate_attribute("technology", bindings, functions) == "45nm"
    assert evaluate_attribute("memory_width", bindings, functions) == 16
    assert evaluate_attribute("memory_width * 2 + 1", bindings, functions) == 33
    assert evaluate_attribute("n_banks * 2", bindings, functions) == 8
    assert evaluate_attribute(7, bindings, functions) == 7
    assert evaluate_attribute("LPDDR4", bindings, functions) == "LPDDR4"  # a plain string stays
    assert evaluate_attribute("45nm", bindings, functions) == "45nm"


def test_bad_expressions_say_what_is_wrong() -> None:
    functions = accelergy_functions(0.4)
    with pytest.raises(ExpressionError, match="depht"):
        evaluate_attribute("log2(depht)", {"depth": 8}, functions)
    with pytest.raises(ExpressionError, match="not a number"):
        evaluate_attribute("technology * 2", {"technology": "45nm"}, functions)
    with pytest.raises(ExpressionError, match="not an attribute"):
        evaluate_attribute("__import__('os').getcwd()", {}, functions)
    with pytest.raises(ExpressionError, match="only numbers"):
        evaluate_attribute("(width).__class__", {"width": 1}, functions)
    with pytest.raises(ExpressionError, match="division by zero"):
        evaluate_attribute("width / 0", {"width": 1}, functions)
