"""Exact evaluation of formulas over many points: int64 where a bound allows, exact otherwise."""

from __future__ import annotations

from typing import Any

import sympy

from .. import algebra
from ..costs import PARAMS, Measure
from ..errors import MissingValueError, SymcountError
from ..model import Model
from ..values import symbol

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


class Evaluator:
    """The total (and each layer's count) of a model whose only free symbols are `names`, at
    many points at once, exact, and refused where the model would refuse them. What is counted is
    `measure`'s cost: parameters unless asked otherwise.

    What a count at a point checks, checked here without folding the model at every point:
    every output and weight dimension must be a positive integer (kernels fit, channels divide
    into groups...: evaluated like the totals), and each layer's hyperparameters must be valid
    together (filters divisible by groups, Keras' strides-or-dilation rule...): the model is folded
    once per distinct value of the swept symbols that appear in hyperparameters. A point failing
    either goes through the model itself, which raises the error a count there would raise.
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
        outputs = [measure.total(model), *(measure.rows(model) if layers else [])]
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


def _integer(expr: sympy.Expr) -> int:
    if not expr.is_Integer:
        raise SymcountError(f"the count is not a whole number: {expr}")
    return int(expr)
