"""Formulas as JavaScript that computes them exactly, with `BigInt`: the explorer page's engine.

sympy's own JavaScript printer writes floating-point `Math` calls; a count must stay exact, so this
small printer writes BigInt arithmetic instead. An expression that is a whole number by its form
(integers, symbols, sums, products, powers, floors and ceilings, maxima and minima) becomes BigInt
code; any other (a rational coefficient, a division by a symbol) is put over one denominator and
becomes an exact rational, `Q(numerator, denominator)`, built by the page's runtime (page.js).
Floors and ceilings of quotients are exact floor divisions (`fdiv`, `cdiv`); a division by zero
throws, and the page reports the point as refused.

Variables are `x[i]`, the i-th symbol of the names given; numbers are BigInt literals (`12n`).

Example:
    >>> import sympy
    >>> d, h = sympy.symbols("d h", positive=True, integer=True)
    >>> js_code(sympy.floor(d / 2) + 3 * h**2, ("d", "h"))
    '(3n*(x[1]**2n) + fdiv(x[0], 2n))'
    >>> js_code(d / h, ("d", "h"))
    'Q(x[0], x[1])'
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from .errors import SymcountError

__all__ = ["js_code", "is_whole_form"]


def is_whole_form(expr: sympy.Expr) -> bool:
    """True when `expr` is a whole number by its form alone, for any whole values of its symbols."""
    if expr.is_Integer or expr.is_Symbol:
        return True
    if isinstance(expr, (sympy.floor, sympy.ceiling)):
        return True
    if expr.is_Add or expr.is_Mul or isinstance(expr, (sympy.Max, sympy.Min)):
        return all(is_whole_form(arg) for arg in expr.args)
    if expr.is_Pow:
        exponent = expr.exp
        return bool(exponent.is_Integer and exponent >= 0 and is_whole_form(expr.base))
    return False


def js_code(expr: sympy.Expr, names: Sequence[str]) -> str:
    """JavaScript for `expr` (a BigInt, or a `Q` rational where its form is not whole)."""
    index = {name: i for i, name in enumerate(names)}
    return _Printer(index).any(sympy.sympify(expr))


class _Printer:
    def __init__(self, index: dict[str, int]) -> None:
        self.index = index

    def any(self, expr: sympy.Expr) -> str:
        if is_whole_form(expr):
            return self.whole(expr)
        numerator, denominator = sympy.fraction(sympy.together(expr))
        if not (is_whole_form(numerator) and is_whole_form(denominator)):
            raise SymcountError(f"the page cannot compute this formula exactly: {expr}")
        return f"Q({self.whole(numerator)}, {self.whole(denominator)})"

    def whole(self, expr: sympy.Expr) -> str:
        """BigInt code for an expression of whole form."""
        if expr.is_Integer:
            return f"{int(expr)}n" if expr >= 0 else f"({int(expr)}n)"
        if expr.is_Symbol:
            if expr.name not in self.index:
                raise SymcountError(f"the page has no value for {expr.name}")
            return f"x[{self.index[expr.name]}]"
        if expr.is_Add:
            terms = [self.whole(arg) for arg in expr.as_ordered_terms()]
            return "(" + " + ".join(terms) + ")"
        if expr.is_Mul:
            return "*".join(self.factor(arg) for arg in expr.args)
        if expr.is_Pow:
            return f"{self.factor(expr.base)}**{int(expr.exp)}n"
        if isinstance(expr, (sympy.floor, sympy.ceiling)):
            return self.rounded(expr)
        if isinstance(expr, (sympy.Max, sympy.Min)):
            name = "mx" if isinstance(expr, sympy.Max) else "mn"
            return f"{name}({', '.join(self.whole(arg) for arg in expr.args)})"
        raise SymcountError(f"the page cannot compute this formula exactly: {expr}")  # pragma: no cover

    def factor(self, expr: sympy.Expr) -> str:
        code = self.whole(expr)
        return f"({code})" if expr.is_Pow or (expr.is_Integer and expr < 0) else code

    def rounded(self, expr: sympy.Expr) -> str:
        """floor(n/d) and ceiling(n/d) as exact BigInt divisions (`fdiv`, `cdiv`)."""
        (argument,) = expr.args
        name = "fdiv" if isinstance(expr, sympy.floor) else "cdiv"
        if is_whole_form(argument):
            return self.whole(argument)
        numerator, denominator = sympy.fraction(sympy.together(argument))
        if is_whole_form(numerator) and is_whole_form(denominator):
            return f"{name}({self.whole(numerator)}, {self.whole(denominator)})"
        raise SymcountError(f"the page cannot compute this formula exactly: {expr}")
