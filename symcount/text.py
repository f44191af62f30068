"""Numbers and shapes in words, as the lesson writes them: `24,533`, `28x28x10`, `3 biases`.

This sits below the layers (which describe their own terms with it) and below render and explore.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from .shapes import format_shape

__all__ = ["number", "digits", "in_sum", "many", "dims"]


def number(value: Any) -> str:
    """`24,533` for an integer, the formula's text otherwise.

    Example:
        >>> number(24533), number(sympy.Symbol("f") + 1)
        ('24,533', 'f + 1')
    """
    if isinstance(value, int) or (isinstance(value, sympy.Expr) and value.is_Integer):
        whole = int(value)
        if whole.bit_length() < 10_000:  # about 3,000 digits: within Python's limit on int -> str
            return f"{whole:,}"
        text = digits(abs(whole))
        head = len(text) % 3 or 3
        grouped = ",".join([text[:head], *(text[i : i + 3] for i in range(head, len(text), 3))])
        return ("-" if whole < 0 else "") + grouped
    return str(value)


def digits(whole: int) -> str:
    """The decimal digits of a non-negative integer of any size: Python's `str` refuses past
    4,300 digits (a guard against slow conversions of untrusted text; symcount's numbers are
    bounded where they come in), so large ones are split in halves first.

    Example:
        >>> text = digits(7 * 10**5000 + 1)
        >>> len(text), text[:2], text[-2:]
        (5001, '70', '01')
    """
    if whole.bit_length() < 10_000:
        return str(whole)
    half = int(whole.bit_length() * 0.30103) // 2  # a little under half the digits
    high, low = divmod(whole, 10**half)
    return digits(high) + digits(low).zfill(half)


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
