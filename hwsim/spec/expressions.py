"""Attribute expressions of compound components (``log(memory_depth)``, ``width * 2``, ``technology``).

Accelergy lets a subcomponent attribute be the name of an attribute of the enclosing component,
a number, or arithmetic over those. Expressions are parsed with `ast` and only numbers, names,
``+ - * / // % **``, unary minus and a few functions are allowed: nothing is ever ``eval``-ed.

``log`` follows the file's version. Accelergy 0.3 (the course's ``smartbuffer_*`` files) read any
``log(x)`` as the number of address bits, ``ceil(log2(x))``; from 0.4 on, expressions are Python
and ``log`` is the natural logarithm. ``log2``, ``ceil``, ``floor``, ``min``, ``max``, ``round``,
``sqrt`` and ``abs`` mean what Python means.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any


def _address_bits(x: float) -> int:
    return max(0, math.ceil(math.log2(x)))


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "log2": math.log2,
    "ceil": math.ceil,
    "floor": math.floor,
    "min": min,
    "max": max,
    "round": round,
    "sqrt": math.sqrt,
    "abs": abs,
}

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


class ExpressionError(ValueError):
    """An attribute expression that cannot be evaluated (the message says which part)."""


def accelergy_functions(version: float) -> dict[str, Callable[..., Any]]:
    """The functions an expression may call, for a compound-component file of `version`."""
    log = _address_bits if version < 0.4 else math.log
    return {**_FUNCTIONS, "log": log}


def evaluate_attribute(
    value: Any, bindings: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]
) -> Any:
    """The value of one attribute: a number stays, a bound name resolves, arithmetic is computed.

    A string that is neither a bound name nor an expression over bound names (e.g. ``LPDDR4`` or
    ``45nm``) is returned unchanged, as Accelergy does.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text in bindings:
        return bindings[text]
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return value
    body = tree.body
    if isinstance(body, ast.Constant):
        return body.value
    if isinstance(body, ast.Name):
        return value
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    unknown = sorted(names - set(bindings) - set(functions))
    if unknown:
        raise ExpressionError(
            f"{value!r} uses {', '.join(unknown)}, which is not an attribute here"
        )
    return _evaluate(tree.body, bindings, functions, value)


def _evaluate(
    node: ast.AST,
    bindings: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]],
    source: str,
) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.Name) and node.id in bindings:
        return _number(bindings[node.id], node.id, source)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _evaluate(node.left, bindings, functions, source)
        right = _evaluate(node.right, bindings, functions, source)
        try:
            return _BINARY[type(node.op)](left, right)
        except ArithmeticError as err:
            raise ExpressionError(f"{source!r}: {err}") from None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _evaluate(node.operand, bindings, functions, source)
        return -operand if isinstance(node.op, ast.USub) else operand
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in functions
        and not node.keywords
    ):
        args = [_evaluate(arg, bindings, functions, source) for arg in node.args]
        try:
            return functions[node.func.id](*args)
        except (ArithmeticError, ValueError, TypeError) as err:
            raise ExpressionError(f"{source!r}: {node.func.id}: {err}") from None
    raise ExpressionError(
        f"{source!r}: only numbers, attribute names, arithmetic and {sorted(functions)} are allowed"
    )


def _number(value: Any, name: str, source: str) -> float | int:
    if isinstance(value, bool):
        raise ExpressionError(f"{source!r}: attribute {name} is not a number ({value!r})")
    if isinstance(value, int | float):
        return value
    try:
        number = float(str(value))
    except ValueError:
        raise ExpressionError(f"{source!r}: attribute {name} is not a number ({value!r})") from None
    return int(number) if number.is_integer() else number
