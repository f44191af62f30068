"""The symbolic toolbox: derivatives, growth, roots, residue classes and exact/int64 evaluation."""

from __future__ import annotations

from fractions import Fraction

import numpy
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcount import SymcountError, symbols
from symcount.algebra import (
    INT64_MAX,
    derivative,
    elasticity,
    exact_function,
    fits_int64,
    formula,
    growth,
    int64_function,
    is_smooth,
    latex,
    limit_at_infinity,
    ordered_terms,
    real_roots,
    residue_classes,
    smooth,
    text,
)

H, W, C, f, k, s, w, g = symbols("H W C f k s w g")


@pytest.mark.parametrize(
    ("expr", "variable", "degree", "leading"),
    [
        (C * f * k**2 + 3 * H * W * f + f**2 * k**2 + 2 * f + 3, f, 2, f**2 * k**2),  # the lesson's CNN
        (C * f * k**2 + 3 * H * W * f + f**2 * k**2 + 2 * f + 3, H, 1, 3 * H * W * f),
        (H * W * w + w * f + 4 * f + 3, k, 0, H * W * w + w * f + 4 * f + 3),  # k absent: a constant
        (k * k * C / g * f + f, C, 1, C * f * k**2 / g),  # grouped convolution: C/g per group
        (3 * (sympy.floor((H - 3) / 2) + 1) ** 2 * f, H, 2, 3 * H**2 * f / 4),  # stride 2, valid
        (80 * sympy.ceiling(H / s) ** 2 + 7, H, 2, 80 * H**2 / s**2),
    ],
)
def test_degree_and_leading_term(
    expr: sympy.Expr, variable: sympy.Symbol, degree: int, leading: sympy.Expr
) -> None:
    found_degree, found_leading = growth(expr, variable)
    assert found_degree == degree
    assert sympy.simplify(found_leading - leading) == 0


def test_floors_in_the_variable_are_smoothed_only_there() -> None:
    expr = sympy.floor((H - k) / 2) + sympy.floor(k / 2)
    assert smooth(expr, H) == (H - k) / 2 + sympy.floor(k / 2)
    assert not is_smooth(expr, H) and is_smooth(expr, W)
    assert derivative(expr, H) == sympy.Rational(1, 2)


polynomials = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(-50, 50)), min_size=1, max_size=6
)


@given(polynomials, st.integers(1, 200), st.integers(1, 9))
def test_derivative_agrees_with_a_finite_difference(terms: list, at: int, other: int) -> None:
    expr = sympy.Add(*(c * w**i * f**j for i, j, c in terms))
    slope = derivative(expr, w).xreplace({w: at, f: other})
    # A central difference with an exact step of 1e-6: its error is h**2 * p'''/6, far below 1e-3 here.
    h = sympy.Rational(1, 10**6)
    at_point = {f: other}
    difference = (expr.xreplace({w: at + h, **at_point}) - expr.xreplace({w: at - h, **at_point})) / (2 * h)
    assert abs(difference - slope) <= sympy.Rational(1, 10**3) * (1 + abs(slope))


@given(polynomials, st.integers(1, 50))
def test_elasticity_is_w_times_slope_over_value_and_tends_to_the_degree(terms: list, at: int) -> None:
    expr = sympy.Add(*(abs(c) * w**i for i, _, c in terms)) + 1  # positive for w > 0
    rate = elasticity(expr, w)
    assert rate.xreplace({w: at}) == at * sympy.diff(expr, w).xreplace({w: at}) / expr.xreplace({w: at})
    assert limit_at_infinity(rate, w) == growth(expr, w)[0]


def test_solving_over_the_reals_finds_what_integer_symbols_hide() -> None:
    budget = 795 * w + 43 - 10**6  # the lesson's dense net, h1 = w, within a million parameters
    assert sympy.solve(budget, w) == []  # sympy answers nothing for an integer symbol...
    (root,) = real_roots(budget, w)  # ...so the work is done over the reals
    assert root == sympy.Rational(10**6 - 43, 795) and int(sympy.floor(root)) == 1257
    assert real_roots(w**2 - 2, w) == [-sympy.sqrt(2), sympy.sqrt(2)]
    assert real_roots(sympy.Integer(5), w) == []


@pytest.mark.parametrize(
    "expr",
    [
        sympy.floor((H - 3) / 2) + 1,
        80 * sympy.floor(sympy.floor(H / 2 - sympy.Rational(1, 2)) / 2) ** 2 + 162,
        sympy.ceiling(H / 3) * sympy.floor((H + 1) / 4) * 7 + H,
        H**2 + 5,
    ],
)
def test_residue_classes_reproduce_the_quasi_polynomial(expr: sympy.Expr) -> None:
    classes = residue_classes(expr, H)
    assert classes is not None
    period, polynomials, m = classes
    assert all(not p.atoms(sympy.floor, sympy.ceiling) for p in polynomials)
    for value in range(1, 60):
        r, n = value % period, value // period
        assert polynomials[r].xreplace({m: n}) == expr.xreplace({H: value})


def test_residue_classes_refuse_floors_that_are_not_linear() -> None:
    assert residue_classes(sympy.floor(H / s), s) is None
    assert residue_classes(sympy.floor(H**2 / 3), H) is None


def test_the_int64_bound_is_tight() -> None:
    largest = 2**31
    expr = 2 * w**2 + w  # at 2**31: 2**63 + 2**31, one term over
    assert not fits_int64(expr, (w,), (largest,))
    assert fits_int64(2 * w**2 - 2 * w - 1, (w,), (largest - 1,))
    assert fits_int64(w, (w,), (INT64_MAX,)) and not fits_int64(w + 1, (w,), (INT64_MAX,))
    assert not fits_int64(w / 2, (w,), (10,)) and not fits_int64(sympy.floor(w / 2), (w,), (10,))


def test_int64_and_exact_evaluation_agree_and_stay_exact() -> None:
    exprs = [3 * H * W * f + f**2 * 9 + 2 * f + 3, sympy.Integer(7)]
    values = [(28, 28, 10), (1, 2, 3), (1000, 1000, 1000)]
    fast = int64_function(exprs, (H, W, f))(
        *(numpy.array(column, dtype=numpy.int64) for column in zip(*values))
    )
    exact = exact_function(exprs, (H, W, f))
    for i, point in enumerate(values):
        assert [int(array[i]) for array in fast] == [int(v) for v in exact(*point)]
    # Past 2**53 a float would round; Fractions do not, through rational coefficients and floors.
    big = 3 * 10**20 + 1
    (value,) = exact_function([w**2 / 3 + sympy.floor(w / 7)], (w,))(big)
    assert value == Fraction(big**2, 3) + big // 7


def test_exact_evaluation_refuses_what_it_cannot_do_exactly() -> None:
    with pytest.raises(SymcountError, match="exactly"):
        exact_function([sympy.sqrt(w)], (w,))


# Printing: sums ordered by a sparse key must print exactly as sympy's own printers print them.

PRINTED = (*symbols("a b w0 w1 w2 w10 w11 H W"), sympy.Symbol("x"), sympy.Symbol("y", negative=True))
factors = st.one_of(
    st.tuples(st.sampled_from(PRINTED), st.integers(-2, 3)).map(lambda pair: pair[0] ** pair[1]),
    st.sampled_from(PRINTED).map(lambda x: sympy.floor(x / 2)),
    st.sampled_from(PRINTED).map(lambda x: sympy.sqrt(x)),
)
coefficients = st.one_of(
    st.integers(-50, 50), st.fractions(max_denominator=7).map(sympy.Rational), st.just(sympy.pi)
)
terms = st.tuples(coefficients, st.lists(factors, max_size=4)).map(lambda term: term[0] * sympy.Mul(*term[1]))
sums = st.lists(terms, min_size=1, max_size=12).map(lambda items: sympy.Add(*items))


@given(sums)
def test_printing_orders_terms_as_sympy_does(expr: sympy.Expr) -> None:
    assert ordered_terms(expr) == expr.as_ordered_terms()
    assert text(expr) == str(expr)
    assert latex(expr) == sympy.latex(expr)
    assert text(sympy.expand(expr)) == str(sympy.expand(expr))
    assert formula(expr, "expand") == sympy.expand(expr)  # an expanded sum is kept as it is
    assert formula(sympy.expand(expr), "expand") == sympy.expand(expr)


def test_printing_a_deep_stack_is_sympys_string() -> None:
    widths = symbols(" ".join(f"w{i}" for i in range(41)))
    total = sympy.expand(sum(widths[i] * widths[i + 1] + widths[i + 1] for i in range(40)))
    assert text(total) == str(total) and latex(total) == sympy.latex(total)
    # Symbols sort by name (w0, w1, w10, w11, ..., w9); terms by their exponents in that order,
    # highest first: w10*w11 and w10*w9 both have w10, then w11 comes before w9; w10 alone last.
    assert text(total).startswith("w0*w1 + w1*w2 + w1 + w10*w11 + w10*w9 + w10 + w11*w12 + ")
