"""Numbers and shapes in words, as the lesson writes them: `24,533`, `28x28x10`, `3 biases`.

This sits below the layers (which describe their own terms with it) and below render and explore.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from .shapes import format_shape

__all__ = ["number", "in_sum", "many", "dims"]


def number(value: Any) -> str:
    """`24,533` for an integer, the formula's text otherwise.

    Example:
        >>> number(24533), number(sympy.Symbol("f") + 1)
        ('24,533', 'f + 1')
    """
    if isinstance(value, int) or (isinstance(value, sympy.Expr) and value.is_Integer):
        return f"{int(value):,}"
    return str(value)


def in_sum(expr: Any) -> str:
    """A number with thousands separators, or a formula (in parentheses when it is a sum)."""
    shown = number(expr)
    return f"({shown})" if isinstance(expr, sympy.Expr) and expr.is_Add else shown


def many(expr: Any, word: str) -> str:
    """`1 bias`, `3 biases`, `(f + 1) units`."""
    plural = word + ("es" if word.endswith("s") else "s")
    return f"{in_sum(expr)} {word if expr == 1 else plural}"


def dims(shape: Sequence[sympy.Expr]) -> str:
    """`28x28x10` as the lesson writes shapes; `(H, W, f)` while symbols would blur the x's."""
    if not shape:
        return "scalar"
    if all(d.is_Integer for d in shape):
        return "x".join(str(d) for d in shape)
    return format_shape(shape)
