"""Comparisons: two models' totals, difference, ratio, and where their parameters (or costs) sit."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .. import algebra
from ..costs import PARAMS, Measure
from ..model import Model
from .common import Values, named

# Comparisons.


@dataclass(frozen=True)
class LayerShare:
    name: str
    kind: str
    params: sympy.Expr
    share: sympy.Expr | None  # value / the model's total, exact; None when the total is 0
    value: sympy.Expr  # the layer's cost: its parameters, unless another cost is compared


@dataclass(frozen=True)
class ModelShares:
    name: str
    total: sympy.Expr  # of the compared cost
    layers: tuple[LayerShare, ...]
    convention: str = PARAMS.describe()

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
    ratio: sympy.Expr | None  # first / second; None when the second's total is 0
    measure: Measure = PARAMS  # what the totals count


def _shares(model: Model, fallback: str, measure: Measure) -> ModelShares:
    total = sympy.expand(measure.total(model))
    layers = []
    for row in model.rows:
        value = measure.row(model, row)
        share = None if total == 0 else algebra.ratio(value, total)
        layers.append(LayerShare(row.name, row.kind, sympy.expand(row.params), share, sympy.expand(value)))
    return ModelShares(model.name or fallback, total, tuple(layers), measure.describe(model))


def compare(
    first: Model,
    second: Model,
    first_values: Values | None = None,
    second_values: Values | None = None,
    measure: Measure = PARAMS,
) -> Comparison:
    """Both totals, their difference and ratio (formulas, or exact numbers once every symbol has
    a value), and each layer's share of its own model's total; totals of `measure`'s cost
    (parameters by default).

    Example:
        >>> from symcount import build
        >>> result = compare(build("lesson-cnn"), build("lesson-dense"), measure=Measure("flops"))
        >>> result.first.total, result.second.total, result.ratio
        (1599360, 15940, 79968/797)
    """
    a = _shares(first.subs(named(first_values)), "first", measure)
    b = _shares(second.subs(named(second_values)), "second", measure)
    ratio = None if b.total == 0 else algebra.ratio(a.total, b.total)
    return Comparison(a, b, sympy.expand(a.total - b.total), ratio, measure)
