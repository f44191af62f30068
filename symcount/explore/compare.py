"""Comparisons: two models' totals, difference, ratio, and where their parameters sit."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .. import algebra
from ..model import Model
from .common import Values, _names

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
