"""The one home of heavy symbolic work: simplify, expand, factor, diff, solve, limits, lambdify.

Models build their formulas as plain sums and never simplify on their own (sympy's `simplify` is
slow and unpredictable); the forms below run only when a user asks for them. Everything here is a
pure function of expressions and symbols: no models, no printing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy
from sympy.core.evalf import PrecisionExhausted
from sympy.core.exprtools import decompose_power
from sympy.printing.latex import LatexPrinter
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.str import StrPrinter

from .bounds import MAX_FACTOR_TERMS, MAX_FORMULA_TERMS, check_expandable
from .errors import SymcountError, missing_values
from .text import digits

__all__ = [
    "FORMS", "formula", "smooth", "is_smooth", "derivative", "growth", "big_o", "elasticity", "ratio",
    "limit_at_infinity", "floor_of", "real_roots", "residue_classes", "integer_polynomial", "fits_int64", "int64_function",
    "exact_function", "rounded_function", "INT64_MAX", "ordered_terms", "text", "latex",
]  # fmt: skip

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
    check_expandable(expr, terms=MAX_FORMULA_TERMS if form == "expand" else MAX_FACTOR_TERMS)
    if form == "expand":
        return expr if _expanded(expr) else sympy.expand(expr)
    if form == "factor":
        return sympy.factor(expr)
    if form == "simplify":
        return sympy.simplify(expr)
    raise SymcountError(f"form must be one of {', '.join(FORMS)}. Received: {form!r}")


def _expanded(expr: sympy.Expr) -> bool:
    """True when `expr` is a sum of products of numbers and symbols to positive integer powers, which
    `sympy.expand` would only rebuild as it is (in time that grows faster than the sum)."""
    for term in sympy.Add.make_args(expr):
        for factor in sympy.Mul.make_args(term):
            if factor.is_Number or factor.is_Symbol:
                continue
            if not (factor.is_Pow and factor.base.is_Symbol and factor.exp.is_Integer and factor.exp > 0):
                return False
    return True


# Calculus and growth. Counts live on the positive integers, but their formulas are polynomials
# (or, when a stride divides a size, polynomials of floors and ceilings). Floors and ceilings whose
# argument moves with the variable are read as their argument ("smoothed": they differ from it by
# less than 1), which gives the natural continuous extension to differentiate and the same growth.


def _variable(variable: sympy.Symbol) -> sympy.Symbol:
    if not isinstance(variable, sympy.Symbol):
        raise SymcountError(f"expected a symbol to vary. Received: {variable!r}")
    return variable


def smooth(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """`expr` with every floor or ceiling that depends on `variable` replaced by its argument.

    Example:
        >>> from symcount import symbols
        >>> (H, s) = symbols("H s")
        >>> smooth(sympy.floor((H - 3) / 2) + 1, H)
        H/2 - 1/2
    """
    rounded = [a for a in expr.atoms(sympy.floor, sympy.ceiling) if variable in a.free_symbols]
    while rounded:
        expr = expr.xreplace({a: a.args[0] for a in rounded})
        rounded = [a for a in expr.atoms(sympy.floor, sympy.ceiling) if variable in a.free_symbols]
    return expr


def is_smooth(expr: sympy.Expr, variable: sympy.Symbol) -> bool:
    """True when no floor or ceiling of `expr` depends on `variable` (the calculus is exact)."""
    return not any(variable in a.free_symbols for a in expr.atoms(sympy.floor, sympy.ceiling))


def derivative(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """d expr / d variable, expanded (of the smoothed expression when floors depend on it).

    Example:
        >>> from symcount import symbols
        >>> (h1, h2) = symbols("h1 h2")
        >>> derivative(785 * h1 + h1 * h2 + 4 * h2 + 3, h1)
        h2 + 785
    """
    variable = _variable(variable)
    check_expandable(expr)
    return sympy.expand(sympy.diff(smooth(expr, variable), variable))


def _numerator_denominator(expr: sympy.Expr, variable: sympy.Symbol) -> tuple[sympy.Poly, sympy.Poly] | None:
    """`expr` as a ratio of polynomials in `variable` (coefficients in the other symbols), or None."""
    numerator, denominator = sympy.fraction(sympy.together(expr))
    try:
        return sympy.Poly(numerator, variable), sympy.Poly(denominator, variable)
    except sympy.PolynomialError:
        return None


def growth(expr: sympy.Expr, variable: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr]:
    """The degree of `expr` in `variable` and its leading term, as `variable` grows.

    For a polynomial these are the usual degree and highest term; for a ratio of polynomials the
    difference of degrees and the ratio of the highest terms; otherwise they come from limits.

    Example:
        >>> from symcount import symbols
        >>> (f, k, C) = symbols("f k C")
        >>> growth(C * f * k**2 + f**2 * k**2 + 2 * f + 3, f)
        (2, f**2*k**2)
    """
    variable = _variable(variable)
    check_expandable(expr)
    smoothed = sympy.expand(smooth(expr, variable))
    if variable not in smoothed.free_symbols:
        return sympy.Integer(0), smoothed
    parts = _numerator_denominator(smoothed, variable)
    if parts is not None:
        numerator, denominator = parts
        degree = numerator.degree() - denominator.degree()
        coefficient = sympy.cancel(numerator.LC() / denominator.LC())
        return sympy.Integer(degree), sympy.expand(coefficient * variable**degree)
    try:
        degree = sympy.limit(sympy.log(smoothed) / sympy.log(variable), variable, sympy.oo)
        coefficient = sympy.limit(smoothed / variable**degree, variable, sympy.oo)
    except (NotImplementedError, ValueError, TypeError):
        degree = coefficient = sympy.nan
    if not (degree.is_finite and coefficient.is_finite) or coefficient.is_zero:
        raise SymcountError(f"cannot find how {expr} grows with {variable}")
    return degree, coefficient * variable**degree


def big_o(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Order:
    """`O(variable**degree)` as `variable` goes to infinity."""
    degree, _ = growth(expr, variable)
    return sympy.Order(variable**degree, (variable, sympy.oo))


def elasticity(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """d log expr / d log variable = variable * expr' / expr: the percent change of `expr` per
    percent change of `variable`. For a polynomial it tends to the degree.

    Example:
        >>> from symcount import symbols
        >>> (w,) = symbols("w")
        >>> elasticity(3 * w**2 + w, w)
        (6*w + 1)/(3*w + 1)
    """
    variable = _variable(variable)
    smoothed = smooth(expr, variable)
    return sympy.cancel(variable * sympy.diff(smoothed, variable) / smoothed)


def ratio(numerator: sympy.Expr, denominator: sympy.Expr) -> sympy.Expr:
    """numerator / denominator with common factors cancelled: an exact fraction for numbers.

    Example:
        >>> ratio(sympy.Integer(7993), sympy.Integer(24533))
        7993/24533
    """
    return sympy.cancel(numerator / denominator)


def limit_at_infinity(expr: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """The limit of the (smoothed) expression as `variable` grows without bound."""
    try:
        return sympy.limit(smooth(expr, variable), variable, sympy.oo)
    except (NotImplementedError, PrecisionExhausted, ValueError, TypeError):
        raise SymcountError(f"cannot find the limit of {_short(expr)} as {variable} grows") from None


def floor_of(value: sympy.Expr) -> int:
    """The floor of a real number such as a polynomial's root, exactly when sympy can tell, else
    from 60 more digits than the number has (sympy's own floor gives up on huge roots).

    Example:
        >>> floor_of(sympy.sqrt(2) * 10**600) % 1000  # math.isqrt(2 * 10**1200) % 1000
        162
    """
    try:
        return int(sympy.floor(value))
    except (PrecisionExhausted, TypeError, ValueError):
        digits = 60 + int(sympy.Abs(value).evalf(15, strict=False).as_real_imag()[0]).bit_length() // 3
        return int(sympy.floor(sympy.Float(value.evalf(digits), digits)))


def _short(expr: sympy.Expr) -> str:
    text = str(expr)
    return text if len(text) <= 80 else text[:77] + "..."


def real_roots(expr: sympy.Expr, variable: sympy.Symbol) -> list[sympy.Expr] | None:
    """The real solutions of expr = 0 in `variable` (which may be any real here), ascending.

    sympy's `solve` answers nothing at all for a symbol that must be an integer, so the work is
    done over the reals, with a stand-in symbol; callers step to integers themselves. Floors and
    ceilings in `variable` are smoothed first. None when sympy cannot solve the equation.

    Example:
        >>> from symcount import symbols
        >>> (w,) = symbols("w")
        >>> real_roots(w**2 - 2, w)
        [-sqrt(2), sqrt(2)]
    """
    variable = _variable(variable)
    real = sympy.Dummy(variable.name, real=True)
    equation = smooth(expr, variable).xreplace({variable: real})
    if real not in equation.free_symbols:
        return []
    parts = _numerator_denominator(equation, real)
    if parts is not None and not parts[0].free_symbols - {real}:
        roots, denominator = parts[0].real_roots(), parts[1]
        return [r for r in roots if denominator.eval(r) != 0]  # safe: Poly.eval at a number, not text
    try:
        found = sympy.solve(equation, real)
    except (NotImplementedError, ValueError, PrecisionExhausted):
        return None
    return sorted(root for root in found if root.is_real)


def residue_classes(
    expr: sympy.Expr, variable: sympy.Symbol, largest_period: int = 4096
) -> tuple[int, list[sympy.Expr], sympy.Symbol] | None:
    """`expr` as a quasi-polynomial: a period P and, for each r < P, the polynomial in m that
    `expr` equals at variable = P*m + r (m = 0, 1, ...). None unless every floor or ceiling in
    `variable` has an argument linear in it (then P, the lcm of their slopes' denominators, makes
    each of them exact: floor(P*m/2 + c) = (P/2)*m + floor(c)).

    Example:
        >>> from symcount import symbols
        >>> (H,) = symbols("H")
        >>> period, classes, m = residue_classes(sympy.floor((H - 3) / 2) + 1, H)
        >>> period, [c.xreplace({m: 5}) for c in classes]
        (2, [4, 5])
    """
    period = 1
    for rounded in expr.atoms(sympy.floor, sympy.ceiling):
        if variable not in rounded.free_symbols:
            continue
        argument = sympy.expand(smooth(rounded.args[0], variable))
        slope = argument.coeff(variable)
        if not (
            slope.is_Rational
            and sympy.expand(argument - slope * variable).free_symbols.isdisjoint({variable})
        ):
            return None
        period = math.lcm(period, int(slope.q))
    if period > largest_period:
        return None
    m = sympy.Dummy("m", integer=True, nonnegative=True)
    classes = []
    for r in range(period):
        shifted = expr.xreplace({variable: period * m + r})
        if any(m in a.free_symbols for a in shifted.atoms(sympy.floor, sympy.ceiling)):
            return None
        classes.append(sympy.expand(shifted))
    return period, classes, m


# Numbers. Formulas are evaluated in one of two ways: numpy int64 arrays when an upper bound shows
# nothing can overflow (integer-coefficient polynomials), and exact Python arithmetic otherwise
# (Fractions for rational coefficients, so floors and ceilings stay exact).

INT64_MAX = 2**63 - 1


def integer_polynomial(expr: sympy.Expr, variables: tuple[sympy.Symbol, ...]) -> sympy.Poly | None:
    """`expr` as a polynomial in `variables` with integer coefficients, or None if it is not one."""
    if not expr.free_symbols <= set(variables):
        return None
    try:
        poly = sympy.Poly(expr, *variables) if variables else None
    except sympy.PolynomialError:
        return None
    if poly is None or not all(c.is_Integer for c in poly.coeffs()):
        return None
    return poly


def fits_int64(expr: sympy.Expr, variables: tuple[sympy.Symbol, ...], largest: tuple[int, ...]) -> bool:
    """True when `expr`, expanded, can be evaluated in int64 for every variable in [1, largest].

    Every intermediate value of an expanded polynomial (a partial product of a term, a partial
    sum) is at most the sum of |coefficient| * largest**exponents, since each factor is >= 1.
    """
    if any(abs(value) > INT64_MAX for value in largest):  # the arrays themselves would overflow
        return False
    poly = integer_polynomial(sympy.expand(expr), variables)
    return poly is not None and _bound(poly, largest) <= INT64_MAX


def _bound(poly: sympy.Poly, largest: tuple[int, ...]) -> int:
    """The sum of |coefficient| * largest**exponents: a bound on every intermediate value."""
    bound = 0
    for exponents, coefficient in poly.terms():
        term = abs(int(coefficient))
        for value, exponent in zip(largest, exponents):
            term *= abs(value) ** exponent
        bound += term
    return bound


def rounded_function(
    exprs: list[sympy.Expr], variables: tuple[sympy.Symbol, ...], largest: tuple[int, ...]
) -> Callable[..., list[Any]] | None:
    """A numpy function of integer arrays giving expressions that are integer polynomials in the
    variables and in floors and ceilings of integer polynomials over positive integers (the
    lengths of strided layers), exactly: each floor by floor division, once, in int64 where a
    bound shows nothing can overflow, on arrays of Python ints otherwise. None for expressions of
    another form.

    Example:
        >>> import numpy
        >>> from symcount import symbols
        >>> (H,) = symbols("H")
        >>> function = rounded_function([sympy.floor((H - 3) / 2) + 1], (H,), (10,))
        >>> function(numpy.arange(1, 8))[0].tolist()
        [0, 0, 1, 1, 2, 2, 3]
    """
    names = list(variables)
    bounds = [max(1, abs(value)) for value in largest]
    steps: list[tuple[bool, sympy.Expr, tuple[sympy.Symbol, ...], int]] = []  # ceiling?, p, over, q
    exprs = [sympy.expand(e) for e in exprs]
    # Some input or intermediate may pass int64: Python ints throughout.
    wide = any(abs(value) > INT64_MAX for value in largest)
    while True:
        rounded = {a for e in exprs for a in e.atoms(sympy.floor, sympy.ceiling)}
        inner = [a for a in rounded if not a.args[0].atoms(sympy.floor, sympy.ceiling)]
        if not inner:
            break
        replace = {}
        for atom in sorted(inner, key=sympy.default_sort_key):
            numerator, denominator = sympy.fraction(sympy.together(atom.args[0]))
            poly = integer_polynomial(sympy.expand(numerator), tuple(names))
            if poly is None or not (denominator.is_Integer and denominator > 0):
                return None
            top = _bound(poly, tuple(bounds))
            wide |= top > INT64_MAX
            dummy = sympy.Dummy(f"r{len(steps)}", integer=True)
            steps.append((isinstance(atom, sympy.ceiling), numerator, tuple(names), int(denominator)))
            names.append(dummy)
            bounds.append(top // int(denominator) + 1)
            replace[atom] = dummy
        exprs = [sympy.expand(e.xreplace(replace)) for e in exprs]
    polys = [integer_polynomial(e, tuple(names)) for e in exprs]
    if any(poly is None for poly in polys):
        return None
    wide |= any(_bound(poly, tuple(bounds)) > INT64_MAX for poly in polys if poly is not None)
    dtype = "object" if wide else "int64"
    final = int64_function(exprs, tuple(names), dtype)
    numerators = [(c, int64_function([p], over, dtype), q) for c, p, over, q in steps]

    def evaluate(*arrays: Any) -> list[Any]:
        columns = [a.astype(dtype) for a in arrays]
        for ceiling, numerator, denominator in numerators:
            (top,) = numerator(*columns)
            columns.append(-((-top) // denominator) if ceiling else top // denominator)
        return final(*columns)

    return evaluate


def int64_function(
    exprs: list[sympy.Expr], variables: tuple[sympy.Symbol, ...], dtype: str = "int64"
) -> Callable[..., Any]:
    """A numpy function of integer arrays giving every expression (expanded) as an array.

    With `dtype="int64"`, only for expressions `fits_int64` accepted over the arrays' range. With
    `dtype="object"`, for any `integer_polynomial`: the arrays hold Python ints, exact at any size.
    """
    import numpy

    arguments, expanded = _neutral(variables, [sympy.expand(e) for e in exprs])
    # Polynomials need only + * **, which numpy arrays have: the "math" namespace spares loading
    # all of numpy's (its lazy submodules) into the generated function.
    function = sympy.lambdify(arguments, expanded, modules="math")

    def evaluate(*arrays: Any) -> list[Any]:
        shape = numpy.shape(arrays[0]) if arrays else ()
        results = function(*arrays)
        # A constant expression comes back as a Python int: broadcast it to the arrays' shape.
        return [numpy.broadcast_to(numpy.asarray(r, dtype=dtype), shape) for r in results]

    return evaluate


def _neutral(
    variables: tuple[sympy.Symbol, ...], exprs: list[sympy.Expr]
) -> tuple[tuple[sympy.Symbol, ...], list[sympy.Expr]]:
    """The variables renamed `x0, x1, ...` in the expressions, so that no user's name reaches the
    generated code: a symbol called `math`, `Fraction`, `lambda` or `_Dummy_49` would shadow the
    code's own names, or not be a Python name at all. Every free symbol must be a variable."""
    arguments = tuple(sympy.Symbol(f"x{i}", **v.assumptions0) for i, v in enumerate(variables))
    swap = dict(zip(variables, arguments))
    for expr in exprs:
        if not expr.free_symbols <= set(variables):
            raise missing_values("the formula", sorted(s.name for s in expr.free_symbols - set(variables)))
    return arguments, [expr.xreplace(swap) for expr in exprs]


class _ExactPrinter(PythonCodePrinter):
    """Python code whose arithmetic stays exact on Fraction inputs: rational constants become
    Fractions (Python would turn `1/2` into a float), floor and ceiling stay `math.floor/ceil`."""

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"Fraction({_integer(int(expr.p))}, {_integer(int(expr.q))})"

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return _integer(int(expr.p))


def _integer(value: int) -> str:
    """An integer's digits, past Python's 4,300-digit limit on `str` too."""
    return ("-" if value < 0 else "") + digits(abs(value))


def exact_function(exprs: list[sympy.Expr], variables: tuple[sympy.Symbol, ...]) -> Callable[..., list[Any]]:
    """A Python function of integers giving every expression exactly, as a list of `Fraction`s."""
    for expr in exprs:
        strange = [
            a
            for a in expr.atoms(sympy.Function)
            if not isinstance(a, (sympy.floor, sympy.ceiling, sympy.Min, sympy.Max))
        ]
        if strange or any(not p.exp.is_Integer for p in expr.atoms(sympy.Pow)):
            raise SymcountError(f"cannot evaluate {expr} exactly")
    arguments, renamed = _neutral(variables, list(exprs))
    function = sympy.lambdify(
        arguments, renamed, modules=[{"Fraction": Fraction, "math": math}], printer=_ExactPrinter
    )

    def evaluate(*values: int) -> list[Any]:
        return [Fraction(r) for r in function(*(Fraction(v) for v in values))]

    return evaluate


# Printing. sympy's printers order a sum's terms by a key that builds, for every term, a tuple of
# its exponents over every symbol of the whole sum: O(terms x symbols), quadratic for a deep
# stack whose layers each bring a symbol. The key below compares the same tuples from only the
# exponents a term has, so the order (and every printed string) is sympy's own.


def _monomial_key(exponents: list[tuple[int, Any]]) -> tuple[tuple[Any, ...], ...]:
    """A key ordering sparse monomials as sympy orders dense ones.

    sympy compares the tuples of negated exponents (-e_0, ..., -e_n) over the sorted symbols,
    lexicographically. At the first symbol where two terms differ, the one whose negated exponent
    there is smaller comes first; a symbol a term lacks counts as 0 there. So, walking the
    symbols a term has in order: a positive exponent at symbol i sorts before anything else at or
    after i, (0, i, -e); a negative one after, (2, -i, -e); and the end of the term (zeros from
    there on) between the two, (1,).
    """
    key: list[tuple[Any, ...]] = []
    for index, exponent in exponents:
        negated = -exponent
        key.append((0, index, negated) if negated < 0 else (2, -index, negated))
    key.append((1,))
    return tuple(key)


def ordered_terms(expr: sympy.Expr) -> list[sympy.Expr]:
    """The terms of `expr` in the order sympy's printers use (`Expr.as_ordered_terms()`), in time
    linear in the number of terms times the symbols each has.

    Example:
        >>> from symcount import symbols
        >>> (a, b) = symbols("a b")
        >>> ordered_terms(a * b + 3 * a**2 + b + 7)
        [3*a**2, a*b, b, 7]
    """
    if not expr.is_Add or any(term.is_Order for term in expr.args):
        return expr.as_ordered_terms()
    numbers = (sympy.Number, sympy.NumberSymbol)
    args = sorted(sympy.Add.make_args(expr), key=lambda x: not isinstance(x, numbers))
    if len(args) == 2 and isinstance(args[0], numbers) and isinstance(args[1], sympy.Mul):
        # sympy's special case: a positive number and a negative multiple stay in that order
        factors = sorted(sympy.Mul.make_args(args[1]), key=lambda x: not isinstance(x, numbers))
        if (
            len(factors) == 2
            and isinstance(factors[0], sympy.Number)
            and args[0].is_positive
            and factors[0].is_negative
        ):
            return args
    parsed = []
    bases: set[sympy.Expr] = set()
    for term in sympy.Add.make_args(expr):  # as Expr.as_terms, without the dense exponent tuple
        coefficient, rest = term.as_coeff_Mul()
        # complex() of a small integer is exact either way; sympy's goes through evalf, slowly
        small = coefficient.is_Integer and abs(coefficient) < 2**53
        number = complex(int(coefficient)) if small else complex(coefficient)
        powers: dict[sympy.Expr, Any] = {}
        noncommutative = []
        if rest is not sympy.S.One:
            for factor in sympy.Mul.make_args(rest):
                if factor.is_number:
                    try:
                        number *= complex(factor)
                    except (TypeError, ValueError):
                        pass
                    else:
                        continue
                if factor.is_commutative:
                    base, exponent = decompose_power(factor)
                    powers[base] = exponent
                    bases.add(base)
                else:
                    noncommutative.append(factor)
        parsed.append((term, number, powers, tuple(noncommutative)))
    index = {base: i for i, base in enumerate(sorted(bases, key=sympy.default_sort_key))}

    def key(item: tuple[sympy.Expr, complex, dict[sympy.Expr, Any], tuple[Any, ...]]) -> Any:
        _, number, powers, noncommutative = item
        monomial = _monomial_key(sorted((index[base], exponent) for base, exponent in powers.items()))
        re, im = number.real, number.imag
        return monomial, tuple(e.sort_key() for e in noncommutative), ((bool(im), im), (re, im))

    return [term for term, *_ in sorted(parsed, key=key)]


class _Ordered:
    """A printer mixin: sums in sympy's default order, sorted by `ordered_terms`."""

    order: str | None

    def _as_ordered_terms(self, expr: sympy.Expr, order: str | None = None) -> list[sympy.Expr]:
        if (order or self.order) in (None, "lex") and expr.is_Add:
            return ordered_terms(expr)
        return super()._as_ordered_terms(expr, order=order)  # type: ignore[misc]


class _Text(_Ordered, StrPrinter):
    pass


class _Latex(_Ordered, LatexPrinter):
    pass


def text(expr: sympy.Expr) -> str:
    """`str(expr)`, the same string, in time linear in the size of the sum."""
    return str(_Text().doprint(expr))


def latex(expr: sympy.Expr) -> str:
    """`sympy.latex(expr)`, the same string, in time linear in the size of the sum."""
    return str(_Latex().doprint(expr))
