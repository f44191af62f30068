"""The one home of heavy symbolic work: simplify, expand, factor (and later diff, solve, limits).

Models build their formulas as plain sums and never simplify on their own (sympy's `simplify` is
slow and unpredictable); the forms below run only when a user asks for them.
"""

from __future__ import annotations

import sympy

from .errors import SymcountError

__all__ = ["FORMS", "formula"]

FORMS = ("expand", "factor", "simplify", "built")


def formula(expr: sympy.Expr, form: str = "expand") -> sympy.Expr:
    """`expr` in the requested form: `expand` (a polynomial, sorted by sympy), `factor`,
    `simplify`, or `built` (exactly as the layers summed it).

    Example:
        >>> from symcount import symbols
        >>> (f, k) = symbols("f k")
        >>> formula(f * k**2 + f, "factor")
        f*(k**2 + 1)
    """
    if form == "built":
        return expr
    if form == "expand":
        return sympy.expand(expr)
    if form == "factor":
        return sympy.factor(expr)
    if form == "simplify":
        return sympy.simplify(expr)
    raise SymcountError(f"form must be one of {', '.join(FORMS)}. Received: {form!r}")
