"""Exploring a model's formulas: slopes, growth, budgets, sweeps, comparisons and explanations.

Every function takes a model (a `Sequential` or a graph `Model`) and values for some of its
symbols (names to numbers or expressions, as `Model.subs` takes them) and returns data: dataclasses
of sympy expressions and Python ints. Nothing here prints; `render` turns the results into text,
and the symbolic work itself (derivatives, limits, roots, lambdify) is `algebra`'s.

Example:
    >>> from symcount import build
    >>> model = build("lesson-dense")
    >>> [(layer.name, layer.share) for layer in compare(model, model).first.layers]
    [('flatten', 0), ('dense', 7850/7993), ('dense_1', 110/7993), ('dense_2', 33/7993)]
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from . import algebra
from .errors import MissingValueError, ParseError, SpecError, SymcountError
from .model import Model, Row
from .render import number
from .shapes import format_shape
from .values import as_expr, resolve, symbol

__all__ = [
    "Diff", "Scaling", "Budget", "Sweep", "LayerShare", "ModelShares", "Comparison", "Term",
    "LayerExplanation", "Explanation", "diff", "scaling", "solve_budget", "sweep", "compare",
    "explain", "parse_grid", "parse_scaling",
]  # fmt: skip

Values = Mapping[Any, Any]


# Values: which symbols stay free, and where the point is.


def _names(values: Values | None) -> dict[str, Any]:
    return {(k.name if isinstance(k, sympy.Symbol) else str(k)): v for k, v in (values or {}).items()}


def _resolved(values: Mapping[str, Any]) -> dict[str, sympy.Expr]:
    """Values with references between them followed: {f: 2*k, k: 3} -> {f: 6, k: 3}."""
    mapping = {symbol(name): as_expr(value, name) for name, value in values.items()}
    return {key.name: value for key, value in resolve(mapping).items()}


def _symbol_of(model: Model, name: str) -> sympy.Symbol:
    known = {s.name: s for s in model.symbols}
    if name not in known:
        listed = ", ".join(known) or "none"
        raise SpecError(f"unknown symbol {name!r}: the model's symbols are {listed}")
    return known[name]


def _fix(model: Model, values: Mapping[str, Any], free: Iterable[str]) -> Model:
    """`model` with every value substituted except those of the `free` symbols, which stay free
    (a value that mentions them keeps them: `f: 2*k` with k free gives f = 2*k)."""
    kept = set(free)
    return model.subs({name: value for name, value in values.items() if name not in kept})


def _known(expr: sympy.Expr, point: Mapping[str, sympy.Expr]) -> sympy.Expr | None:
    """`expr` at `point`, or None while some of its symbols have no value there."""
    if any(s.name not in point for s in expr.free_symbols):
        return None
    return expr.xreplace({s: point[s.name] for s in expr.free_symbols})


# Derivatives and growth.


@dataclass(frozen=True)
class Diff:
    """d total / d wrt, with every other value substituted, and its value where `wrt` has one."""

    wrt: str
    derivative: sympy.Expr
    point: dict[str, sympy.Expr]
    value: sympy.Expr | None
    smoothed: bool  # floors/ceilings in `wrt` were read as their arguments


def diff(model: Model, wrt: str, values: Values | None = None) -> Diff:
    """The derivative of the total in `wrt`; `values` fix other symbols, and `wrt`'s own value
    (if given) is the point where the derivative is also evaluated.

    Example:
        >>> from symcount import build
        >>> model = build("lesson-dense", defaults=False)
        >>> diff(model, "h1", {"H": 28, "W": 28}).derivative
        h2 + 785
    """
    given = _names(values)
    variable = _symbol_of(model, wrt)
    total = _fix(model, given, [wrt]).params
    derivative = algebra.derivative(total, variable)
    point = {wrt: _resolved(given)[wrt]} if wrt in given else {}
    value = derivative.xreplace({variable: point[wrt]}) if point else None
    return Diff(wrt, derivative, point, value, not algebra.is_smooth(total, variable))


@dataclass(frozen=True)
class Scaling:
    """How the total grows with one symbol, or with several scaled together by one factor."""

    variable: str
    substitution: dict[str, sympy.Expr]  # empty for one symbol; {"w": s*w0, ...} when scaled together
    total: sympy.Expr
    degree: sympy.Expr
    leading_term: sympy.Expr
    order: sympy.Expr
    elasticity: sympy.Expr
    point: dict[str, sympy.Expr]  # where the values below are taken (s = 1 when scaled together)
    total_at: sympy.Expr | None
    elasticity_at: sympy.Expr | None  # exact: a Rational once every symbol has a value
    smoothed: bool

    @property
    def elasticity_limit(self) -> sympy.Expr:
        """What the elasticity tends to as the variable grows: the degree, for a polynomial."""
        return algebra.limit_at_infinity(self.elasticity, symbol(self.variable))


def parse_scaling(text: str) -> dict[str, str]:
    """`"w=s*w0, h=s*h0"` -> {"w": "s*w0", "h": "s*h0"} (commas inside parentheses are kept)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    result: dict[str, str] = {}
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name) or not value.strip():
            raise ParseError(
                f"expected NAME=EXPR pairs separated by commas, e.g. 'w=s*w0, h=s*h0'. Received: {text!r}"
            )
        if name in result:
            raise ParseError(f"{name!r} is given twice in {text!r}")
        result[name] = value.strip()
    return result


def scaling(
    model: Model,
    wrt: str | Sequence[str] | Mapping[str, Any],
    values: Values | None = None,
    by: str = "s",
) -> Scaling:
    """Degree, leading term, big-O and elasticity (d log N / d log w) of the total in `wrt`.

    `wrt` is one symbol's name; or several names, scaled together as w -> s*w (s named by `by`);
    or a mapping such as {"w": "s*w0", "h": "s*h0"}. Other symbols take their `values`. The
    values of the scaled symbols give the point where the elasticity is evaluated exactly (with
    s = 1 when several are scaled together: the growth of the net around its current widths).

    Example:
        >>> from symcount import load_spec
        >>> spec = load_spec("lesson-cnn")
        >>> model = spec.model()
        >>> report = scaling(model, "f", spec.values_for(model, {}))
        >>> report.degree, report.leading_term, report.elasticity_at
        (2, 9*f**2, 25430/24533)
    """
    given = _names(values)
    if isinstance(wrt, str) and "=" not in wrt:
        substitution: dict[str, sympy.Expr] = {}
        names = [wrt]
    else:
        raw = parse_scaling(wrt) if isinstance(wrt, str) else wrt
        if not isinstance(raw, Mapping):
            raw = {name: f"{by}*{name}" for name in raw}
        substitution = {str(k): as_expr(v, str(k)) for k, v in raw.items()}
        names = list(substitution)
        if not names:
            raise SpecError("scaling needs at least one symbol to scale")
    variables = [_symbol_of(model, name) for name in names]
    total = _fix(model, given, names).params
    point = _resolved(given)
    if not substitution:
        variable = variables[0]
        at = {names[0]: point[names[0]]} if names[0] in point else {}
    else:
        variable = symbol(by)
        if variable in model.symbols:
            raise SpecError(f"the scale factor {by!r} is already a symbol of the model: choose another name")
        for name, expr in substitution.items():
            if variable not in expr.free_symbols:
                raise SpecError(f"{name}={expr} does not mention the scale factor {by!r}")
        total = total.xreplace(dict(zip(variables, substitution.values())))
        at = {by: sympy.Integer(1)}
        for name, expr in substitution.items():
            base = expr.xreplace({variable: 1})
            if name in point and isinstance(base, sympy.Symbol) and base.name not in at:
                at[base.name] = point[name]
    degree, leading = algebra.growth(total, variable)
    rate = algebra.elasticity(total, variable)
    return Scaling(
        variable=variable.name,
        substitution=substitution,
        total=sympy.expand(total),
        degree=degree,
        leading_term=leading,
        order=algebra.big_o(total, variable),
        elasticity=rate,
        point=at,
        total_at=_known(total, at),
        elasticity_at=_known(rate, at),
        smoothed=not algebra.is_smooth(total, variable),
    )


# Exact evaluation over many points: the engine of sweeps, budgets and plots.


def _whole(value: Any) -> bool:
    return isinstance(value, int) or value.denominator == 1


class _Plan:
    """Expressions evaluated together: int64 numpy where safe, exact Python where not."""

    def __init__(
        self, exprs: list[sympy.Expr], variables: tuple[sympy.Symbol, ...], largest: tuple[int, ...]
    ):
        try:
            import numpy  # noqa: F401

            vectorised = bool(variables)
        except ImportError:  # numpy is optional (the `explore` extra): exact evaluation only
            vectorised = False
        self.size = len(exprs)
        self.fast = [
            i for i, e in enumerate(exprs) if vectorised and algebra.fits_int64(e, variables, largest)
        ]
        self.slow = [i for i in range(len(exprs)) if i not in self.fast]
        self.fast_function = (
            algebra.int64_function([exprs[i] for i in self.fast], variables) if self.fast else None
        )
        self.slow_function = (
            algebra.exact_function([exprs[i] for i in self.slow], variables) if self.slow else None
        )

    def evaluate(self, columns: list[list[int]], count: int) -> list[list[Any]]:
        """One list per expression, one value (an int or a Fraction) per point."""
        results: list[list[Any]] = [[] for _ in range(self.size)]
        if self.fast_function is not None:
            import numpy

            arrays = [numpy.asarray(column, dtype=numpy.int64) for column in columns]
            for i, array in zip(self.fast, self.fast_function(*arrays)):
                results[i] = array.tolist()
        if self.slow_function is not None:
            points = zip(*columns) if columns else [()] * count
            values = [self.slow_function(*point) for point in points]
            for j, i in enumerate(self.slow):
                results[i] = [v[j] for v in values]
        return results


class _Evaluator:
    """The total (and each layer's count) of a model whose only free symbols are `names`, at
    many points at once, exact, and refused where the model would refuse them.

    What a count at a point checks, checked here without folding the model at every point:
    every output and weight dimension must be a positive integer (kernels fit, channels divide
    into groups...: evaluated like the totals), and each layer's hyperparameters must be valid
    together (filters divisible by groups, Keras' strides-or-dilation rule...): the model is folded
    once per distinct value of the swept symbols that appear in hyperparameters. A point failing
    either goes through the model itself, which raises the error a count there would raise.
    """

    def __init__(self, model: Model, names: tuple[str, ...], layers: bool, largest: tuple[int, ...]):
        self.model = model
        self.names = names
        variables = tuple(symbol(name) for name in names)
        outputs = [model.params, *([row.params for row in model.rows] if layers else [])]
        missing = set().union(*(e.free_symbols for e in outputs)) - set(variables)
        if missing:
            listed = ", ".join(sorted(s.name for s in missing))
            raise MissingValueError(f"the total still depends on {listed}: give each a value")
        checks: dict[sympy.Expr, None] = {}
        for row in model.rows:
            dims = [*row.output_shape, *(d for w in row.weights for d in w.shape)]
            for dim in dims:
                if dim.free_symbols and dim.free_symbols <= set(variables):
                    checks[dim] = None
        hyper = set().union(*(e.free_symbols for row in model.rows for e in row.layer.expressions()))
        self.hyper = [i for i, v in enumerate(variables) if v in hyper]
        self.seen: set[tuple[int, ...]] = set()
        self.layers = layers
        self.outputs = _Plan(outputs, variables, largest)
        self.checks = _Plan(list(checks), variables, largest)

    def _shapes(self, columns: list[list[int]], size: int) -> list[bool]:
        """Per point: is every dimension a positive integer?"""
        good = [True] * size
        for values in self.checks.evaluate(columns, size):
            good = [g and _whole(v) and v >= 1 for g, v in zip(good, values)]
        return good

    def evaluate(self, points: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        size = len(points)
        columns = [list(column) for column in zip(*points)] if self.names else []
        outputs = self.outputs.evaluate(columns, size)
        good = self._shapes(columns, size)
        for i in self.outputs.slow:  # exact values are Fractions: whole where the point is valid
            good = [g and _whole(v) for g, v in zip(good, outputs[i])]
            outputs[i] = [int(v) if g else v for g, v in zip(good, outputs[i])]
        results = list(zip(*outputs))
        for i in (i for i, g in enumerate(good) if not g):
            results[i] = self.folded(points[i])
        if self.hyper:  # fold once per new combination of the hyperparameters' values
            keys = zip(*(columns[j] for j in self.hyper))
            for i, key in enumerate(keys):
                if key not in self.seen:
                    self.folded(points[i])
                    self.seen.add(key)
        return results

    def sizes_fit(self, point: tuple[int, ...]) -> bool:
        """True when every dimension is at least 1 at `point`: where shapes work, except for holes
        (a dimension that is a fraction, a hyperparameter rule) that a count also checks."""
        checks = self.checks.evaluate([[v] for v in point], 1)
        return all(c[0] >= 1 for c in checks)

    def folded(self, point: tuple[int, ...]) -> tuple[int, ...]:
        """The counts at `point` from the model itself (which raises where the shapes fail)."""
        at = dict(zip(self.names, point))
        try:
            model = self.model.subs(at)
            rows = [row.params for row in model.rows] if self.layers else []
            return tuple(_integer(expr) for expr in (model.params, *rows))
        except SymcountError as error:
            where = ", ".join(f"{name}={value}" for name, value in at.items())
            raise error.with_context(f"at {where}") from None

    def count(self, point: tuple[int, ...]) -> int | None:
        """The total at `point`, or None where the model refuses it."""
        try:
            return self.evaluate([point])[0][0]
        except SymcountError:
            return None


def _integer(expr: sympy.Expr) -> int:
    if not expr.is_Integer:
        raise SymcountError(f"the count is not a whole number: {expr}")
    return int(expr)


# Sweeps.

GRID_HELP = "NAME=START:STOP[:STEP] (STOP included when it lands on the grid) or NAME=V1,V2,..."


def _positive(text: str, what: str) -> int:
    expr = as_expr(text.strip(), what)
    if not (expr.is_Integer and expr >= 1):
        raise ParseError(f"grid values must be positive integers. Received: {what}={text.strip()}")
    return int(expr)


def parse_grid(text: str) -> tuple[str, Sequence[int]]:
    """`"w=8:1024:8"` -> ("w", range(8, 1025, 8)); `"L=1:48"`; `"f=8,16,32"`; `"k=3"`.

    Example:
        >>> parse_grid("w=8:20:8")
        ('w', range(8, 21, 8))
    """
    name, sep, body = text.partition("=")
    name = name.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name) or not body.strip():
        raise ParseError(f"a grid is {GRID_HELP}. Received: {text!r}")
    if ":" in body:
        parts = body.split(":")
        if len(parts) not in (2, 3):
            raise ParseError(f"a grid is {GRID_HELP}. Received: {text!r}")
        start, stop = _positive(parts[0], name), _positive(parts[1], name)
        step = _positive(parts[2], f"{name} step") if len(parts) == 3 else 1
        if stop < start:
            raise ParseError(f"a grid's stop must not be below its start. Received: {text!r}")
        return name, range(start, stop + 1, step)
    return name, tuple(_positive(part, name) for part in body.split(","))


@dataclass(frozen=True)
class Sweep:
    """Counts over a grid, computed chunk by chunk as they are read (`rows()` or `chunks()`).

    Each row is the grid values (in the order of `names`, the first varying slowest), then the
    total and, with `layers`, each layer's count: all Python ints, equal to `model.count(...)`.
    """

    names: tuple[str, ...]
    grid: tuple[Sequence[int], ...]
    columns: tuple[str, ...]
    chunk_size: int = 4096
    evaluator: _Evaluator | None = field(default=None, repr=False, compare=False)

    @property
    def header(self) -> tuple[str, ...]:
        return (*self.names, *self.columns)

    @property
    def size(self) -> int:
        return math.prod(len(values) for values in self.grid)

    def chunks(self) -> Iterator[list[tuple[int, ...]]]:
        assert self.evaluator is not None
        points = itertools.product(*self.grid)
        while chunk := list(itertools.islice(points, self.chunk_size)):
            yield [point + counts for point, counts in zip(chunk, self.evaluator.evaluate(chunk))]

    def rows(self) -> Iterator[tuple[int, ...]]:
        for chunk in self.chunks():
            yield from chunk


def sweep(
    model: Model,
    grid: Mapping[str, Iterable[int]] | Iterable[tuple[str, Iterable[int]]],
    values: Values | None = None,
    layers: bool = False,
    chunk_size: int = 4096,
) -> Sweep:
    """The total (and each layer's count) at every point of a grid, exact even past 2**63.

    `grid` maps symbol names to their values (a `range` or any sequence of positive ints; see
    `parse_grid`); `values` fix every other symbol. Formulas are evaluated with numpy int64 where
    an upper bound shows no overflow, exactly otherwise (and for floors and ceilings).

    Example:
        >>> from symcount import load_spec
        >>> spec = load_spec("lesson-dense")
        >>> model = spec.model()
        >>> list(sweep(model, {"h1": [10, 20]}, spec.values_for(model, {})).rows())
        [(10, 7993), (20, 15943)]
    """
    pairs = list(grid.items()) if isinstance(grid, Mapping) else list(grid)
    names = tuple(str(name) for name, _ in pairs)
    if not names:
        raise SpecError("a sweep needs at least one grid, e.g. w=8:1024:8")
    for name in names:
        _symbol_of(model, name)
        if names.count(name) > 1:
            raise SpecError(f"{name!r} has two grids")
    axes: list[Sequence[int]] = []
    for name, raw in pairs:
        axis = raw if isinstance(raw, range) else tuple(raw)
        if not axis:
            raise SpecError(f"the grid of {name!r} is empty")
        if not isinstance(axis, range) and not all(isinstance(v, int) and v >= 1 for v in axis):
            raise SpecError(f"grid values must be positive integers. Received: {name}={list(axis)!r}")
        if isinstance(axis, range) and (axis.step < 1 or axis.start < 1):
            raise SpecError(f"a grid range must be increasing, from 1 or more. Received: {name}={axis!r}")
        axes.append(axis)
    fixed = _fix(model, _names(values), names)
    largest = tuple(axis[-1] if isinstance(axis, range) else max(axis) for axis in axes)
    evaluator = _Evaluator(fixed, names, layers, largest)
    # Fold the model itself at the grid's first and last points: what a formula cannot show
    # (a layer refusing some combination of values) is then reported before any output.
    evaluator.folded(tuple(axis[0] for axis in axes))
    evaluator.folded(tuple(axis[-1] for axis in axes))
    columns = ("total", *([row.name for row in fixed.rows] if layers else []))
    return Sweep(names, tuple(axes), columns, chunk_size, evaluator)


# Budgets.


@dataclass(frozen=True)
class Budget:
    """The largest integer value of a symbol whose total stays within a budget.

    `status` is "found" (`value` fits; `value + 1` does not, or is no valid size), "none" (no
    valid value fits: even the smallest gives `smallest_total`) or "unbounded" (the total does not
    grow with the symbol: there is no largest value; values from `value` on fit). `method` says how
    the answer is known to be the largest: "scan" (every valid value was counted), "exact" (the
    total is a polynomial in the symbol, or one per residue class when strides bring floors:
    past its slope's last real root each never falls), or "smoothed" (floors of another kind, read
    as their arguments: the answer assumes the total never falls once the smoothed total grows).
    """

    symbol: str
    budget: sympy.Expr
    status: str
    value: int | None
    total: int | None  # the total at `value`
    next_total: int | None  # the total at `value + 1`, None where that size is invalid
    smallest: int  # the smallest valid value of the symbol
    smallest_total: int  # the total there
    formula: sympy.Expr
    real_root: sympy.Expr | None  # where the total (smoothed) crosses the budget, over the reals
    method: str


_SEARCH_LIMIT = 2**256  # no network has a width near this; searches stop there
_SCAN_LIMIT = 100_000  # at most this many values are counted one by one


def solve_budget(model: Model, wrt: str, budget: Any, values: Values | None = None) -> Budget:
    """The largest integer `wrt` whose total is at most `budget`, exact, other symbols at `values`
    (a value given for `wrt` itself is ignored).

    Every candidate is counted exactly. When the valid sizes end soon (a kernel within its image)
    every one is counted. Otherwise the total is a polynomial in the symbol (or, with strided
    layers, one polynomial per residue class modulo some period); past the last real root of its
    slope a polynomial never falls, so there the search brackets by doubling from the real
    solution of total = budget and bisects, and values before that point are counted one by one.
    The answer is checked by counting at `value` and `value + 1`.

    Example:
        >>> from symcount import load_spec
        >>> spec = load_spec("lesson-dense")
        >>> model = spec.model()
        >>> found = solve_budget(model, "h1", 10**6, spec.values_for(model, {}))
        >>> found.value, found.total, found.next_total
        (1257, 999358, 1000153)
    """
    given = {name: value for name, value in _names(values).items() if name != wrt}
    variable = _symbol_of(model, wrt)
    limit = as_expr(budget, "budget")
    if not (limit.is_number and limit.is_real):
        raise SpecError(f"the budget must be a number. Received: {budget!r}")
    fixed = _fix(model, given, [wrt])
    total = sympy.expand(fixed.params)
    evaluator = _Evaluator(fixed, (wrt,), False, (_SEARCH_LIMIT,))

    def count(n: int) -> int | None:
        return evaluator.count((n,))

    def shaped(n: int) -> bool:
        return evaluator.sizes_fit((n,))

    # The sizes whose shapes work form a range: from a smallest (a kernel needs some input) to a
    # largest (a kernel must fit), or on forever. Hyperparameter rules (divisibility) punch holes.
    smallest = _first(shaped, 1, _SEARCH_LIMIT)
    first = (
        None if smallest is None else _first(lambda n: count(n) is not None, smallest, smallest + _SCAN_LIMIT)
    )
    if smallest is None or first is None:
        evaluator.folded((smallest or 1,))  # nothing works: raise the model's own error
        raise SymcountError(f"no value of {wrt} gives a valid network")  # pragma: no cover
    end = _last(shaped, smallest)
    roots = algebra.real_roots(total - limit, variable) or []
    crossing = roots[-1] if roots and roots[-1] > 0 else None
    if end is not None and end - smallest < _SCAN_LIMIT:
        fitting = [n for n in range(smallest, end + 1) if _fits(count(n), limit)]
        status, value, method = ("found", max(fitting), "scan") if fitting else ("none", None, "scan")
    else:
        status, value, method = _search_classes(total, variable, count, smallest, end, limit)
    at = count(value) if value is not None else None
    following = count(value + 1) if value is not None and status == "found" else None
    lowest = count(first)
    assert lowest is not None
    return Budget(wrt, limit, status, value, at, following, first, lowest, total, crossing, method)


def _fits(value: int | None, limit: sympy.Expr) -> bool:
    return value is not None and bool(value <= limit)


def _search_classes(
    total: sympy.Expr,
    variable: sympy.Symbol,
    count: Callable[[int], int | None],
    smallest: int,
    end: int | None,
    limit: sympy.Expr,
) -> tuple[str, int | None, str]:
    """Search each residue class on its own polynomial, then take the best answer of all."""
    classes = algebra.residue_classes(total, variable)
    if classes is None:  # floors of another kind: the exact total, with the smoothed one's slope
        period, polynomials, m, method = 1, [total], variable, "smoothed"
    else:
        (period, polynomials, m), method = classes, "exact"
    answers = []
    for r, polynomial in enumerate(polynomials):
        low = max(0, -((r - smallest) // period))  # the least m with period*m + r >= smallest
        high = None if end is None else (end - r) // period
        if high is not None and high < low:
            continue
        formula = algebra.exact_function([polynomial], (m,))

        def under(n: int, formula: Callable[..., list[Any]] = formula) -> bool:
            return bool(formula(n)[0] <= limit)

        def fits(n: int, r: int = r) -> bool:
            return _fits(count(period * n + r), limit)

        status, value = _search(polynomial, m, under, fits, low, high, limit)
        answers.append((status, None if value is None else period * value + r))
    unbounded = [value for status, value in answers if status == "unbounded" and value is not None]
    if unbounded:
        return "unbounded", min(unbounded), method
    found = [value for status, value in answers if status == "found" and value is not None]
    return ("found", max(found), method) if found else ("none", None, method)


def _search(
    expr: sympy.Expr,
    variable: sympy.Symbol,
    under: Callable[[int], bool],
    fits: Callable[[int], bool],
    low: int,
    high: int | None,
    limit: sympy.Expr,
) -> tuple[str, int | None]:
    """The largest n in [low, high] (high None: no end) where `fits(n)`.

    `under(n)` says whether the formula `expr` is within the budget at n (whether or not the
    network is valid there); `fits(n)` also asks the model. Past `steady`, the last real root of
    the slope, `expr` is monotone: `under` is bisected there, then `fits` looks down for the first
    valid value (holes, where a rule such as divisibility by groups fails, are short).
    """
    slope_roots = algebra.real_roots(algebra.derivative(expr, variable), variable) or []
    steady = max([low, *(int(sympy.floor(root)) + 1 for root in slope_roots[-1:])])
    top = _SEARCH_LIMIT if high is None else high
    if min(steady, top + 1) - low > _SCAN_LIMIT:
        raise SymcountError(f"the total falls and rises again with {variable} for too long to search")
    best = max((n for n in range(low, min(steady, top + 1)) if fits(n)), default=None)
    if steady > top:
        return ("none", None) if best is None else ("found", best)
    grows = variable in expr.free_symbols and algebra.limit_at_infinity(expr, variable) is sympy.oo
    if grows and under(steady):
        roots = algebra.real_roots(expr - limit, variable) or []
        guess = int(sympy.floor(roots[-1])) if roots and roots[-1] > steady else steady
        last = _last_under(under, steady, min(guess, top), top)
        best = _down(fits, last, steady, best)
    elif not grows and under(top):
        # The formula never grows past `steady` (a stride, say): the far end fits if anything does.
        if high is None:
            start = _first(under, steady, _SEARCH_LIMIT)
            assert start is not None
            return "unbounded", start
        best = _down(fits, top, steady, best)
    return ("none", None) if best is None else ("found", best)


def _down(fits: Callable[[int], bool], top: int, bottom: int, best: int | None) -> int | None:
    """The first value counting down from `top` to `bottom` that fits, else `best`."""
    for n in range(top, max(bottom, top - _SCAN_LIMIT) - 1, -1):
        if fits(n):
            return n
    return best


def _first(test: Callable[[int], bool], start: int, stop: int) -> int | None:
    """The first n in [start, stop] where `test` holds, if it holds from there on (doubling from
    `start`, then bisecting); None if it holds nowhere up to `stop`."""
    if test(start):
        return start
    step = 1
    while not test(start + step):
        step *= 2
        if start + step > stop:
            return None
    low, high = start + step // 2, start + step
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if test(middle) else (middle, high)
    return high


def _last(test: Callable[[int], bool], start: int) -> int | None:
    """The last n from `start` (where `test` holds) on where it holds, or None if it goes on."""
    step = 1
    while test(start + step):
        if start + step >= _SEARCH_LIMIT:
            return None
        step *= 2
    low, high = start + step // 2 if step > 1 else start, start + step
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if test(middle) else (low, middle)
    return low


def _last_under(under: Callable[[int], bool], start: int, guess: int, top: int) -> int:
    """The last n in [start, top] where `under` holds, given it holds at `start` and, from there,
    fails from some point on. Brackets from `guess` by doubling, then bisects."""
    if guess > start and not under(guess):
        low, high = start, guess
    else:
        low, step = max(start, guess), 1
        while low + step <= top and under(low + step):
            low += step
            step *= 2
        high = min(low + step, top + 1)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if under(middle) else (low, middle)
    return low


# Comparisons.


@dataclass(frozen=True)
class LayerShare:
    name: str
    kind: str
    params: sympy.Expr
    share: sympy.Expr | None  # params / the model's total, exact; None when the total is 0


@dataclass(frozen=True)
class ModelShares:
    name: str
    total: sympy.Expr
    layers: tuple[LayerShare, ...]

    @property
    def largest(self) -> LayerShare | None:
        """The layer holding the largest share, once the shares are numbers."""
        shares = [layer for layer in self.layers if layer.share is not None and layer.share.is_number]
        if not shares or len(shares) < len(self.layers):
            return None
        return max(shares, key=lambda layer: layer.share)  # type: ignore[arg-type, return-value]


@dataclass(frozen=True)
class Comparison:
    first: ModelShares
    second: ModelShares
    difference: sympy.Expr  # first - second
    ratio: sympy.Expr | None  # first / second; None when the second has no parameters


def _shares(model: Model, fallback: str) -> ModelShares:
    total = sympy.expand(model.params)
    layers = []
    for row in model.rows:
        share = None if total == 0 else algebra.ratio(row.params, total)
        layers.append(LayerShare(row.name, row.kind, sympy.expand(row.params), share))
    return ModelShares(model.name or fallback, total, tuple(layers))


def compare(
    first: Model,
    second: Model,
    first_values: Values | None = None,
    second_values: Values | None = None,
) -> Comparison:
    """Both totals, their difference and ratio (formulas, or exact numbers once every symbol has
    a value), and each layer's share of its own model's total."""
    a = _shares(first.subs(_names(first_values)), "first")
    b = _shares(second.subs(_names(second_values)), "second")
    ratio = None if b.total == 0 else algebra.ratio(a.total, b.total)
    return Comparison(a, b, sympy.expand(a.total - b.total), ratio)


# Explanations.


@dataclass(frozen=True)
class Term:
    """One weight: its name, shape, size and kind (trainable, non_trainable or buffer)."""

    name: str
    shape: tuple[sympy.Expr, ...]
    size: sympy.Expr
    kind: str


@dataclass(frozen=True)
class LayerExplanation:
    position: int
    name: str
    kind: str
    params: sympy.Expr
    terms: tuple[Term, ...]
    words: str  # "784 inputs x 10 units + 10 biases = 7,850"


@dataclass(frozen=True)
class Explanation:
    name: str | None
    layers: tuple[LayerExplanation, ...]
    total: sympy.Expr
    words: str  # "100 + 910 + 0 + 23,523 = 24,533"


def _text(expr: sympy.Expr) -> str:
    """A number with thousands separators, or a formula (in parentheses when it is a sum)."""
    shown = number(expr)
    return f"({shown})" if isinstance(expr, sympy.Expr) and expr.is_Add else shown


def _many(expr: sympy.Expr, word: str) -> str:
    plural = word + ("es" if word.endswith("s") else "s")
    return f"{_text(expr)} {word if expr == 1 else plural}"


def _dims(shape: Sequence[sympy.Expr]) -> str:
    """`28x28x10` as the lesson writes shapes; `(H, W, f)` while symbols would blur the x's."""
    if not shape:
        return "scalar"
    if all(d.is_Integer for d in shape):
        return "x".join(str(d) for d in shape)
    return format_shape(shape)


def _words(row: Row) -> str:
    if row.shared_with is not None:
        return f"0, it reuses the weights of {row.shared_with} (counted there)"
    names = [w.name for w in row.weights]
    total = number(sympy.expand(row.params))
    # The lesson's wording, for a kernel (and bias) in Keras' layout, every weight counted here.
    plain = names in (["kernel"], ["kernel", "bias"]) and all(w.kind == "trainable" for w in row.weights)
    width = getattr(row.layer, "units", None) if row.kind == "Dense" else getattr(row.layer, "filters", None)
    plain = plain and width is not None and row.weights[0].shape[-1] == width
    bias = f" + {_many(row.weights[1].shape[0], 'bias')}" if names == ["kernel", "bias"] else ""
    if plain and row.kind == "Dense" and len(row.weights[0].shape) == 2:
        n_in, units = row.weights[0].shape
        words = f"{_many(n_in, 'input')} x {_many(units, 'unit')}{bias} = {total}"
    elif plain and row.kind in ("Conv1D", "Conv2D", "Conv3D"):
        *window, channels, filters = row.weights[0].shape
        words = f"{_many(filters, 'kernel')} x {_dims(window)} x {_many(channels, 'channel')}{bias} = {total}"
    elif row.kind == "Flatten":
        return f"0, it only reshapes {_dims(row.input_shape)} into {_text(row.output_shape[0])}"
    elif not row.weights:
        reason = type(row.layer).derivation or "it has no weights"
        return f"0, {reason}"
    else:
        parts = []
        for weight in row.weights:
            note = {
                "non_trainable": ", non-trainable",
                "buffer": ", a buffer, not counted",
                "tied": f", tied to {row.tied_to}'s, counted there",
            }.get(weight.kind, "")
            parts.append(f"{weight.name} {_dims(weight.shape)} ({number(sympy.expand(weight.size))}{note})")
        words = f"{' + '.join(parts)} = {total}"
    if not row.layer.trainable and row.params != 0:
        words += " (frozen: not trainable)"
    return words


def explain(model: Model, values: Values | None = None) -> Explanation:
    """Per layer, in words and numbers, where its count comes from, then the sum.

    Example:
        >>> from symcount import build
        >>> report = explain(build("lesson-cnn"))
        >>> [layer.words for layer in report.layers][:3]
        ['10 kernels x 3x3 x 1 channel + 10 biases = 100', '10 kernels x 3x3 x 10 channels + 10 biases = 910', '0, it only reshapes 28x28x10 into 7,840']
        >>> report.words
        '100 + 910 + 0 + 23,523 = 24,533'
    """
    valued = model.subs(_names(values))
    layers = tuple(
        LayerExplanation(
            row.position,
            row.name,
            row.kind,
            sympy.expand(row.params),
            tuple(Term(w.name, w.shape, w.size, w.kind) for w in row.weights),
            _words(row),
        )
        for row in valued.rows
    )
    total = sympy.expand(valued.params)
    words = f"{' + '.join(_text(layer.params) for layer in layers)} = {number(total)}"
    return Explanation(valued.name, layers, total, words)
