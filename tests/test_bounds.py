"""The bounds on values and formulas: each estimate is an upper bound (a law, checked on random
expressions against what sympy computes), and the limits are where docs/security.md says."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcount import SymcountError, symbols
from symcount.bounds import MAX_BITS, MAX_DEGREE, MAX_TERMS, check_expandable, check_value, estimate
from symcount.values import bind

H, W, k = symbols("H W k")
LEAVES = st.sampled_from(
    [H, W, k, sympy.Integer(1), sympy.Integer(3), sympy.Integer(-7), sympy.Rational(1, 2)]
)


def expressions() -> st.SearchStrategy[sympy.Expr]:
    """Small random expressions: sums, products, powers (to 0..6) and floors of the leaves."""
    return st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda p: p[0] + p[1]),
            st.tuples(inner, inner).map(lambda p: p[0] * p[1]),
            st.tuples(inner, st.integers(0, 6)).map(lambda p: p[0] ** p[1]),
            inner.map(lambda e: sympy.floor(e / 2)),
        ),
        max_leaves=8,
    )


@given(expressions())
def test_the_estimate_bounds_degree_and_terms(expr: sympy.Expr) -> None:
    found = estimate(expr)
    expanded = sympy.expand(expr)
    atoms = sorted(expanded.free_symbols | expanded.atoms(sympy.floor), key=str)
    degree = sympy.Poly(expanded, *atoms).total_degree() if atoms else 0
    assert degree <= found.degree
    assert len(sympy.Add.make_args(expanded)) <= found.terms


@given(expressions(), st.integers(1, 2**40), st.integers(1, 2**40), st.integers(1, 2**40))
def test_the_estimate_bounds_the_bits_of_the_value(expr: sympy.Expr, h: int, w: int, kk: int) -> None:
    point = {H: sympy.Integer(h), W: sympy.Integer(w), k: sympy.Integer(kk)}
    value = expr.xreplace(point)
    known = {symbol: estimate(number) for symbol, number in point.items()}
    found = estimate(expr, known)
    if value.is_Rational:  # the numerator's bits, and the denominator's
        assert int(abs(value.p)).bit_length() <= found.bits
        assert int(value.q).bit_length() <= max(found.denominator, 1)


def test_a_chain_of_values_is_refused_before_it_is_computed() -> None:
    # n3 = 2**60 (61 bits); n2 = n3**64 is under 4,096 bits... n1 = n2**64 is not.
    with pytest.raises(SymcountError, match="the value of n1 would be a number of up to"):
        bind({"n1": "n2**64", "n2": "n3**64", "n3": "2**60"})
    assert bind({"n2": "n3**64", "n3": "2**60"})["n2"] == 2**3840


def test_the_limits_sit_where_the_docs_say() -> None:
    assert (MAX_BITS, MAX_DEGREE, MAX_TERMS) == (4096, 64, 1000)
    check_value((H + 1) ** 64, "h")  # 65 terms, degree 64: allowed
    with pytest.raises(SymcountError, match="degree 65; at most 64"):
        check_value((H + 1) ** 64 * H, "h")
    with pytest.raises(SymcountError, match="up to 2,145 terms"):
        check_value((H + W + 1) ** 64, "h")  # C(66, 2) monomials of degree <= 64 in H, W
    check_expandable(((H + W + k + 1) ** 20) ** 2)  # C(43, 3) = 12,341 monomials: allowed
    with pytest.raises(SymcountError, match="beyond the 1,024 and 20,000"):
        check_expandable(((H + W + k + 1) ** 30) ** 2)  # C(63, 3) = 39,711
