"""Exact evaluation of formulas over many points: int64 where a bound allows, exact otherwise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import sympy

from .. import algebra, rules
from ..costs import PARAMS, Measure
from ..errors import SymcountError, missing_values
from ..graph import Row
from ..model import Model
from ..values import symbol

# Exact evaluation over many points: the engine of sweeps, budgets and plots. The model is folded
# once, with the swept symbols free; its formulas and the rules its checks left waiting (see
# symcount.rules) are evaluated with numpy over a whole chunk of points at once.


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # numpy is optional (the `explore` extra): every point is folded instead
        return None
    return numpy


def column(values: Sequence[int]) -> Any:
    """A numpy column of grid values: int64 when they fit, Python ints (object) otherwise."""
    numpy = _numpy()
    if len(values) and max(values) > algebra.INT64_MAX:
        return numpy.array(values, dtype=object)
    return numpy.asarray(values, dtype=numpy.int64)


class _Plan:
    """Expressions evaluated together over numpy columns of points: int64 where a bound shows no
    overflow (`fast`), exactly otherwise (`slow`): integer polynomials on arrays of Python ints
    (`whole`), polynomials in floors and ceilings of integer polynomials by floor division
    (`rounded`), the rest (rational coefficients...) point by point with Fractions (`exact`)."""

    def __init__(
        self, exprs: list[sympy.Expr], variables: tuple[sympy.Symbol, ...], largest: tuple[int, ...]
    ):
        self.size = len(exprs)
        vectorised = _numpy() is not None  # without numpy, every expression point by point
        self.fast = [
            i for i, e in enumerate(exprs) if vectorised and algebra.fits_int64(e, variables, largest)
        ]
        self.slow = [i for i in range(len(exprs)) if i not in self.fast]
        self.whole = [
            i
            for i in self.slow
            if vectorised and algebra.integer_polynomial(sympy.expand(exprs[i]), variables)
        ]
        rest = [i for i in self.slow if i not in self.whole and vectorised]
        rounded = algebra.rounded_function([exprs[i] for i in rest], variables, largest) if rest else None
        if rest and rounded is None:  # some are of another form: keep those that are not
            rest = [i for i in rest if algebra.rounded_function([exprs[i]], variables, largest)]
            rounded = algebra.rounded_function([exprs[i] for i in rest], variables, largest) if rest else None
        self.rounded = rest
        self.exact = [i for i in self.slow if i not in self.whole and i not in self.rounded]
        self.functions: list[tuple[list[int], str, Callable[..., Any]]] = []
        if self.fast:
            self.functions.append(
                (self.fast, "int64", algebra.int64_function([exprs[i] for i in self.fast], variables))
            )
        if self.whole:
            whole = algebra.int64_function([exprs[i] for i in self.whole], variables, "object")
            self.functions.append((self.whole, "object", whole))
        if rounded is not None:
            self.functions.append((self.rounded, "rounded", rounded))
        if self.exact:
            self.functions.append(
                (self.exact, "exact", algebra.exact_function([exprs[i] for i in self.exact], variables))
            )

    def evaluate(self, columns: list[Any], count: int) -> list[Any]:
        """One numpy array per expression (int64, or objects: Python ints or Fractions); without
        numpy, `columns` and the results are lists."""
        numpy = _numpy()
        results: list[Any] = [None] * self.size
        for indices, kind, function in self.functions:
            if kind == "int64":
                values = [r.astype(numpy.int64) for r in function(*columns)] if columns else []
            elif kind == "object":
                values = function(*(c.astype(object) for c in columns))
            elif kind == "rounded":  # int64 or Python ints, as its bounds decided
                values = function(*columns)
            else:
                lists = [c.tolist() if numpy is not None else list(c) for c in columns]
                points = zip(*lists) if lists else [()] * count
                exact = [function(*point) for point in points]
                values = [[v[j] for v in exact] for j in range(len(indices))]
                if numpy is not None:
                    values = [numpy.array(v, dtype=object) for v in values]
            for i, value in zip(indices, values):
                results[i] = value
        return results


def _whole(array: Any) -> Any:
    """Per point: is the value an integer (int64 always is; a Fraction may not be)?"""
    numpy = _numpy()
    if array.dtype != object:
        return numpy.ones(array.shape, dtype=bool)
    return numpy.fromiter(
        (not isinstance(v, Fraction) or v.denominator == 1 for v in array.tolist()), bool, len(array)
    )


def _holds(kind: str, values: list[Any]) -> Any:
    """Per point: does the rule of `kind` hold for the values of its expressions (see rules)?"""
    numpy = _numpy()
    if kind == "size":
        return _whole(values[0]) & (values[0] >= 1).astype(bool)
    if kind == "amount":
        return _whole(values[0]) & (values[0] >= 0).astype(bool)
    if kind == "divides":
        value, divisor = values
        nonzero = (divisor != 0).astype(bool)
        safe = numpy.where(nonzero, divisor, 1)
        return nonzero & (value % safe == 0).astype(bool)
    if kind == "equal":
        return (values[0] == values[1]).astype(bool)
    if kind == "broadcast":
        first, second = values
        return ((first == second) | (first == 1) | (second == 1)).astype(bool)
    if kind == "positive":
        return (values[0] >= 1).astype(bool)
    if kind == "not_positive":
        return (values[0] <= 0).astype(bool)
    raise AssertionError(f"no rule of kind {kind!r}")  # pragma: no cover


class Evaluator:
    """The total (and each layer's count) of a model whose only free symbols are `names`, at
    many points at once, exact, and refused where the model would refuse them. What is counted is
    `measure`'s cost: parameters unless asked otherwise.

    What a count at a point checks, checked here without folding the model at every point: every
    output and weight dimension must be a positive integer (kernels fit, channels divide into
    groups...: evaluated like the totals), and every rule the layers' checks noted while the model
    was folded with the swept symbols free (see symcount.rules) must hold. A layer whose checks
    note no rules (`rules_noted` false) has the model folded once per distinct value of the swept
    symbols it sees, as does every layer when a check could note no rule. A point failing any of
    this goes through the model itself, which raises the error a count there would raise.
    """

    def __init__(
        self,
        model: Model,
        names: tuple[str, ...],
        layers: bool,
        largest: tuple[int, ...],
        measure: Measure = PARAMS,
    ):
        self.model = model
        self.names = names
        self.measure = measure
        variables = tuple(symbol(name) for name in names)
        with rules.noting() as notebook:  # fold again, noting every check that waits for values
            folded = model.xreplace({name: v for name, v in zip(names, variables)})
            outputs = [measure.total(folded), *(measure.rows(folded) if layers else [])]
        missing = set().union(*(e.free_symbols for e in outputs)) - set(variables)
        if missing:
            raise missing_values("the total", sorted(s.name for s in missing))
        checks: dict[sympy.Expr, None] = {}
        # A weight's leading axis that a layer notes as an amount (a repeat's `times`) may be 0:
        # its rule checks it.
        amounts = {rule.exprs[0] for rule in notebook if rule.kind == "amount"}
        for row in folded.rows:
            weighed = [d for w in row.weights for i, d in enumerate(w.shape) if i or d not in amounts]
            for dim in [*row.output_shape, *weighed]:
                if dim.free_symbols and dim.free_symbols <= set(variables):
                    checks[dim] = None
        noted = [rule for rule in notebook if rule.kind != "undecided"]
        undecided = len(noted) < len(notebook) or any(
            not e.free_symbols <= set(variables) for rule in noted for e in rule.exprs
        )
        seen_by = set().union(set(), *(_sees(row) for row in folded.rows if not row.layer.rules_noted))
        try:
            self.ruled = _Plan(
                [e for rule in noted for e in rule.exprs] if not undecided else [], variables, largest
            )
        except SymcountError:  # a rule of a form no plan evaluates: fold at each point instead
            undecided = True
            self.ruled = _Plan([], variables, largest)
        self.hyper = [i for i, v in enumerate(variables) if undecided or v in seen_by]
        self.seen: set[tuple[int, ...]] = set()
        self.layers = layers
        self.rules = [] if undecided else noted
        self.outputs = _Plan(outputs, variables, largest)
        self.checks = _Plan(list(checks), variables, largest)
        # where a valid size can begin or end: each expression is >= 0 at a valid point
        ranged = {"size": 1, "positive": 1, "amount": 0}
        self.edges = (
            [dim - 1 for dim in checks]
            + [rule.exprs[0] - ranged[rule.kind] for rule in self.rules if rule.kind in ranged]
            + [-rule.exprs[0] for rule in self.rules if rule.kind == "not_positive"]
        )
        try:
            self.bounds = _Plan(self.edges, variables, largest)
        except SymcountError:  # pragma: no cover - edges are dims and rules, which plans take
            self.edges, self.bounds = [], _Plan([], variables, largest)
        self.numpy = _numpy() is not None

    def _valid(self, columns: list[Any], size: int) -> Any:
        """Per point: is every dimension a positive integer, and does every noted rule hold?"""
        numpy = _numpy()
        good = numpy.ones(size, dtype=bool)
        for values in self.checks.evaluate(columns, size):
            good &= _whole(values) & (values >= 1).astype(bool)
        values = self.ruled.evaluate(columns, size)
        start = 0
        for rule in self.rules:
            good &= _holds(rule.kind, values[start : start + len(rule.exprs)])
            start += len(rule.exprs)
        return good

    def evaluate_columns(self, columns: list[Any]) -> list[list[int]]:
        """The counts (total, then each layer's) at the points whose coordinates are `columns`
        (numpy arrays, one per name): one list of Python ints per count."""
        return [c if isinstance(c, list) else c.tolist() for c in self.evaluate_arrays(columns)]

    def evaluate_arrays(self, columns: list[Any]) -> list[Any]:
        """As `evaluate_columns`, but each count is a numpy array (int64, or Python ints in an
        object array) where every point is valid and evaluated by a plan, a list otherwise."""
        size = len(columns[0]) if columns else 1
        if not self.numpy:
            points = list(zip(*columns)) if columns else [()]
            return [list(c) for c in zip(*(self.folded(p) for p in points))]
        outputs = self.outputs.evaluate(columns, size)
        good = self._valid(columns, size)
        for i in self.outputs.exact:  # exact values are Fractions: whole where the point is valid
            good &= _whole(outputs[i])
        if not self.hyper and not self.outputs.exact and bool(good.all()):
            return outputs
        results = [values.tolist() for values in outputs]
        for i in self.outputs.exact:
            results[i] = [int(v) if g else v for g, v in zip(good.tolist(), results[i])]
        lists = [c.tolist() for c in columns]
        for i in (~good).nonzero()[0].tolist():
            for values, count in zip(results, self.folded(tuple(c[i] for c in lists))):
                values[i] = count
        if self.hyper:  # fold once per new combination of the values the unruled layers see
            keys = zip(*(lists[j] for j in self.hyper))
            for i, key in enumerate(keys):
                if key not in self.seen:
                    self.folded(tuple(c[i] for c in lists))
                    self.seen.add(key)
        return results

    def evaluate(self, points: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        """The counts at each point, as tuples (total, then each layer's)."""
        if not self.numpy:
            return [self.folded(point) for point in points]
        columns = [column(values) for values in zip(*points)] if self.names else []
        return list(zip(*self.evaluate_columns(columns)))

    def sizes_fit(self, point: tuple[int, ...]) -> bool:
        """True when every dimension is at least 1 at `point`: where shapes work, except for holes
        (a dimension that is a fraction, a hyperparameter rule) that a count also checks."""
        columns = [column([v]) if self.numpy else [v] for v in point]
        checks = self.checks.evaluate(columns, 1)
        return all(c[0] >= 1 for c in checks)

    def within_edges(self, values: Sequence[int]) -> list[bool]:
        """For one swept symbol: at each of `values`, is every edge (a dimension minus 1, a
        range rule's value) at least 0? Where this fails no count can succeed."""
        columns = [column(values) if self.numpy else list(values)]
        good = [True] * len(values)
        for edge in self.bounds.evaluate(columns, len(values)):
            good = [g and e >= 0 for g, e in zip(good, list(edge))]
        return good

    def folded(self, point: tuple[int, ...]) -> tuple[int, ...]:
        """The counts at `point` from the model itself (which raises where the shapes fail)."""
        at = dict(zip(self.names, point))
        try:
            model = self.model.subs(at)
            rows = self.measure.rows(model) if self.layers else []
            return tuple(_integer(expr) for expr in (self.measure.total(model), *rows))
        except SymcountError as error:
            where = ", ".join(f"{name}={value}" for name, value in at.items())
            raise error.with_context(f"at {where}") from None

    def count(self, point: tuple[int, ...]) -> int | None:
        """The total at `point`, or None where the model refuses it."""
        try:
            return self.evaluate([point])[0][0]
        except SymcountError:
            return None


def _sees(row: Row) -> set[sympy.Symbol]:
    """The symbols a row's layer sees: in its hyperparameters and in its input shapes."""
    found: set[sympy.Symbol] = set()
    for expr in row.layer.expressions():
        found |= expr.free_symbols
    for shape in (row.input_shape, *row.input_shapes):
        for dim in shape:
            found |= dim.free_symbols
    return found


def _integer(expr: sympy.Expr) -> int:
    if not expr.is_Integer:
        raise SymcountError(f"the count is not a whole number: {expr}")
    return int(expr)
