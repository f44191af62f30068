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

from .budget import Budget, solve_budget
from .common import Values
from .compare import Comparison, LayerShare, ModelShares, compare
from .explain import Explanation, LayerExplanation, Term, explain
from .scaling import Diff, Scaling, diff, parse_scaling, scaling
from .sweep import Sweep, parse_grid, sweep

__all__ = [
    "Diff", "Scaling", "Budget", "Sweep", "LayerShare", "ModelShares", "Comparison", "Term",
    "LayerExplanation", "Explanation", "Values", "diff", "scaling", "solve_budget", "sweep", "compare",
    "explain", "parse_grid", "parse_scaling",
]  # fmt: skip
