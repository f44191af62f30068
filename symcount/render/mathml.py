"""Formulas as presentation MathML, which browsers render natively: the explorer page's math.

A small printer of its own rather than sympy's: every symbol is one `<mi>` that names itself
(`data-symbol`), so the page can highlight it, and a name is written as it is (`n1`, not n with a
subscript 1); every text is escaped, so a name is data, never markup.

Example:
    >>> import sympy
    >>> f, k = sympy.symbols("f k", positive=True, integer=True)
    >>> mathml(f * k + 2 * f, "inline")
    '<math display="inline"><mrow><mi data-symbol="f">f</mi><mo>&#x2062;</mo><mi data-symbol="k">k</mi><mo>+</mo><mn>2</mn><mo>&#x2062;</mo><mi data-symbol="f">f</mi></mrow></math>'
"""

from __future__ import annotations

from html import escape

import sympy

__all__ = ["mathml"]

TIMES = "<mo>&#x2062;</mo>"  # invisible times: f k, as written by hand


def mathml(expr: sympy.Expr, display: str = "block") -> str:
    """`expr` as a `<math>` element."""
    return f'<math display="{display}">{_mrow(sympy.sympify(expr))}</math>'


def _mrow(expr: sympy.Expr) -> str:
    return f"<mrow>{_print(expr)}</mrow>"


def _print(expr: sympy.Expr) -> str:
    if expr.is_Integer:
        value = int(expr)
        return f"<mo>&#x2212;</mo><mn>{-value:,}</mn>" if value < 0 else f"<mn>{value:,}</mn>"
    if expr.is_Rational:
        sign = "<mo>&#x2212;</mo>" if expr < 0 else ""
        return f"{sign}<mfrac><mn>{abs(expr.p):,}</mn><mn>{expr.q:,}</mn></mfrac>"
    if expr.is_Symbol:
        name = escape(expr.name, quote=True)
        return f'<mi data-symbol="{name}">{name}</mi>'
    if expr.is_Add:
        parts = []
        for i, term in enumerate(expr.as_ordered_terms()):
            negative = term.could_extract_minus_sign()
            body = _print(-term if negative else term)
            if i == 0:
                parts.append(("<mo>&#x2212;</mo>" if negative else "") + body)
            else:
                parts.append(("<mo>&#x2212;</mo>" if negative else "<mo>+</mo>") + body)
        return "".join(parts)
    if expr.is_Mul:
        if expr.could_extract_minus_sign():
            return "<mo>&#x2212;</mo>" + _wrapped(-expr, sympy.Add)
        numerator, denominator = sympy.fraction(expr)
        if denominator != 1:
            return f"<mfrac>{_mrow(numerator)}{_mrow(denominator)}</mfrac>"
        factors = expr.as_ordered_factors()
        shown = []
        for factor in factors:
            shown.append(_wrapped(factor, sympy.Add))
        joined = TIMES.join(shown)
        return joined.replace("</mn><mo>&#x2062;</mo><mn>", "</mn><mo>&#xD7;</mo><mn>")
    if expr.is_Pow:
        if expr.exp.is_negative:
            return f"<mfrac><mn>1</mn>{_mrow(1 / expr)}</mfrac>"
        base = _print(expr.base)
        if not (expr.base.is_Symbol or (expr.base.is_Integer and expr.base >= 0)):
            base = _fenced(base)
        return f"<msup><mrow>{base}</mrow>{_mrow(expr.exp)}</msup>"
    if isinstance(expr, sympy.floor):
        return f"<mo>&#x230A;</mo>{_mrow(expr.args[0])}<mo>&#x230B;</mo>"
    if isinstance(expr, sympy.ceiling):
        return f"<mo>&#x2308;</mo>{_mrow(expr.args[0])}<mo>&#x2309;</mo>"
    if isinstance(expr, (sympy.Max, sympy.Min)):
        name = "max" if isinstance(expr, sympy.Max) else "min"
        inner = "<mo>,</mo>".join(_mrow(arg) for arg in expr.args)
        return f"<mi>{name}</mi>{_fenced(inner)}"
    return f"<mtext>{escape(str(expr))}</mtext>"  # pragma: no cover (no other form reaches a page)


def _wrapped(expr: sympy.Expr, *kinds: type) -> str:
    shown = _print(expr)
    return _fenced(shown) if isinstance(expr, kinds) else shown


def _fenced(inner: str) -> str:
    return f"<mo>(</mo>{inner}<mo>)</mo>"
