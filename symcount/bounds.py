"""How large an expression can get, read off its tree without computing it.

The parser bounds each power it reads (`x**64` at most, numbers of at most 4,096 bits), but values
substituted into values multiply those bounds: `K = n1**64` with `n1 = n2**64`, ... reaches a
number of 64**6 bits, and `(H + W + h2 + 1)**64` expands into 47,905 terms. So every value is
checked again once the values it refers to are in (`values.resolve`), every size when a layer
takes it (`values.as_size`), and every formula before it is expanded or factored
(`algebra.formula`): an `Estimate` of its bits, degree and expanded terms, each an upper bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import sympy

from .errors import SymcountError

__all__ = [
    "Estimate", "estimate", "check_value", "check_expandable", "MAX_BITS", "MAX_DEGREE", "MAX_TERMS",
    "MAX_FORMULA_DEGREE", "MAX_FORMULA_TERMS", "MAX_FACTOR_TERMS",
]  # fmt: skip

MAX_BITS = 4096  # a value or a size: about 1,200 digits, as the parser allows for one number
MAX_DEGREE = 64  # a value's total degree: `x**64`, as the parser allows for one power
MAX_TERMS = 1_000  # a value's terms once expanded
MAX_FORMULA_DEGREE = 1024  # a formula's total degree, before expanding or factoring it
MAX_FORMULA_TERMS = 20_000  # a formula's terms once expanded (the zoo's largest has about 200)
MAX_FACTOR_TERMS = 1_000  # factoring and simplifying cost far more per term than expanding
_CAP = 10**30  # estimates stop growing here: all that matters is that they are over a limit


class Estimate(NamedTuple):
    """Upper bounds: the `bits` of the numerator (of the value, when every symbol is a number;
    of the coefficients otherwise), total `degree` in the free symbols, `terms` once expanded, and
    the bits of the `denominator` (0 for an integer)."""

    bits: int
    degree: int
    terms: int
    denominator: int = 0


def _capped(bits: int, degree: int, terms: int, denominator: int = 0) -> Estimate:
    return Estimate(min(bits, _CAP), min(degree, _CAP), min(terms, _CAP), min(denominator, _CAP))


def estimate(expr: sympy.Expr, known: Mapping[sympy.Symbol, Estimate] | None = None) -> Estimate:
    """Bounds for `expr`, with `known` giving them for symbols that stand for other expressions.

    Example:
        >>> from symcount import symbols
        >>> H, W = symbols("H W")
        >>> estimate((H + W + 1) ** 64)
        Estimate(bits=192, degree=64, terms=2145, denominator=0)
        >>> estimate(H**64, {H: estimate(sympy.Integer(2) ** 64)})
        Estimate(bits=4160, degree=0, terms=1, denominator=0)
    """
    known = known or {}
    cache: dict[sympy.Basic, Estimate] = {}

    def walk(node: sympy.Basic) -> Estimate:
        if node in cache:
            return cache[node]
        if node.is_Rational:
            q = int(node.q)
            found = Estimate(int(node.p).bit_length(), 0, 1, q.bit_length() if q > 1 else 0)
        elif node.is_Symbol:
            found = known.get(node, Estimate(0, 1, 1))  # type: ignore[call-overload]
        elif node.is_Add:  # a/b + c/d = (a*d + c*b) / (b*d)
            parts = [walk(arg) for arg in node.args]
            denominator = sum(p.denominator for p in parts)
            found = _capped(
                max(p.bits + denominator - p.denominator for p in parts) + len(parts).bit_length(),
                max(p.degree for p in parts),
                sum(p.terms for p in parts),
                denominator,
            )
        elif node.is_Mul:
            parts = [walk(arg) for arg in node.args]
            found = _capped(
                sum(p.bits for p in parts),
                sum(p.degree for p in parts),
                math.prod(p.terms for p in parts),
                sum(p.denominator for p in parts),
            )
        elif node.is_Pow and node.exp.is_Integer:
            base, exponent = walk(node.base), int(node.exp)
            power = abs(exponent)
            terms = math.comb(min(base.terms, 10**6) + power - 1, power) if base.terms > 1 else 1
            bits, denominator = (
                (base.bits, base.denominator) if exponent >= 0 else (base.denominator, base.bits)
            )
            found = _capped(bits * power, base.degree * power, terms, denominator * power)
        elif node.args:  # floor, ceiling, Min, Max...: as large as their largest argument
            parts = [walk(arg) for arg in node.args]
            rounded = isinstance(node, (sympy.floor, sympy.ceiling))
            # one term, but expanding takes whole terms out of a floor: floor(H*W + x) = H*W + floor(x)
            found = _capped(
                max(p.bits for p in parts) + 1,
                max(p.degree for p in parts),
                1 + parts[0].terms if rounded else 1,
                0 if rounded else max(p.denominator for p in parts),
            )
        else:
            found = Estimate(0, 0, 1)
        cache[node] = found
        return found

    found = walk(expr)
    atoms = len(expr.free_symbols) + len(expr.atoms(sympy.floor, sympy.ceiling, sympy.Min, sympy.Max))
    if found.terms > 1 and atoms and found.degree < 10**4:  # no more terms than monomials
        found = found._replace(terms=min(found.terms, math.comb(atoms + found.degree, found.degree)))
    return found


def check_value(
    expr: sympy.Expr, what: str, known: Mapping[sympy.Symbol, Estimate] | None = None
) -> Estimate:
    """Raise unless `expr` (with `known` symbols standing for their values) is within the
    limits for one value or size: `MAX_BITS`, `MAX_DEGREE` and `MAX_TERMS`."""
    found = estimate(expr, known)
    if found.degree > MAX_DEGREE:
        raise SymcountError(f"{what} would have degree {found.degree:,}; at most {MAX_DEGREE} is allowed")
    if found.terms > MAX_TERMS:
        raise SymcountError(
            f"{what} would have up to {found.terms:,} terms expanded; at most {MAX_TERMS:,} are allowed"
        )
    if max(found.bits, found.denominator) > MAX_BITS:
        bits = max(found.bits, found.denominator)
        raise SymcountError(
            f"{what} would be a number of up to {bits:,} bits; at most {MAX_BITS:,} are allowed"
        )
    return found


def check_expandable(expr: sympy.Expr, what: str = "the formula", terms: int = MAX_FORMULA_TERMS) -> None:
    """Raise unless `expr` can be expanded (or, with `terms=MAX_FACTOR_TERMS`, factored) in
    reasonable time and memory."""
    found = estimate(expr)
    if found.degree > MAX_FORMULA_DEGREE or found.terms > terms:
        raise SymcountError(
            f"{what} would have degree {found.degree:,} and up to {found.terms:,} terms expanded, "
            f"beyond the {MAX_FORMULA_DEGREE:,} and {terms:,} symcount works with here: "
            "give some symbols numbers with --set, or ask for --form built"
        )
