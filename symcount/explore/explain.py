"""Explanations: where each layer's count comes from, in words and numbers, as the lesson tells it.

Other costs (FLOPs, memory...) are explained by each layer's formula and its number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..costs import PARAMS, Measure
from ..model import Model, Row
from ..text import dims, in_sum, number
from .common import Values, named

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
    formula: sympy.Expr  # the layer's cost with no values given: C*f*k**2 + f
    value: sympy.Expr  # and with them: 100 (for parameters, equal to `params`)
    # A repeated block's layers, each explained for one copy; `copies` is how many copies each
    # group of them stands for (one group when the block repeats as it is).
    inner: tuple[LayerExplanation, ...] = field(default=())
    copies: tuple[sympy.Expr, ...] = field(default=())


@dataclass(frozen=True)
class Explanation:
    name: str | None
    layers: tuple[LayerExplanation, ...]
    total: sympy.Expr  # of the explained cost
    words: str  # "100 + 910 + 0 + 23,523 = 24,533"
    measure: Measure = PARAMS  # what is explained
    convention: str = PARAMS.describe()


def _weight_words(row: Row) -> str:
    """Each weight with its shape and size: `gamma (10) (10) + moving_mean (10) (10, non-trainable)`."""
    notes = {
        "non_trainable": ", non-trainable",
        "buffer": ", a buffer, not counted",
        "tied": f", tied to {row.tied_to}'s, counted there",
    }
    return " + ".join(
        f"{w.name} {dims(w.shape)} ({number(sympy.expand(w.size))}{notes.get(w.kind, '')})"
        for w in row.weights
    )


def _words(row: Row) -> str:
    """Where a row's parameters come from: the layer's own words, else each weight's."""
    if row.shared_with is not None:
        return f"0, it reuses the weights of {row.shared_with} (counted there)"
    told = row.layer.explain(row.argument, row.target) if row.tied_to is None else None
    if not row.weights:
        return f"0, {told or type(row.layer).derivation or 'it has no weights'}"
    words = f"{told or _weight_words(row)} = {number(sympy.expand(row.params))}"
    if not row.layer.trainable and row.params != 0:
        words += " (frozen: not trainable)"
    return words


def _formula_words(formula: sympy.Expr, value: sympy.Expr) -> str:
    """`2*C*H*W*f*k**2 = 141,120`: a cost's formula, then its number where the two differ."""
    return number(value) if formula == value else f"{formula} = {number(value)}"


def explain(model: Model, values: Values | None = None, measure: Measure = PARAMS) -> Explanation:
    """Per layer, in words and numbers, where its count comes from, then the sum. A cost other
    than parameters (`measure`) is explained by each layer's formula and its value.

    Example:
        >>> from symcount import build
        >>> report = explain(build("lesson-cnn"))
        >>> [layer.words for layer in report.layers][:3]
        ['10 kernels x 3x3 x 1 channel + 10 biases = 100', '10 kernels x 3x3 x 10 channels + 10 biases = 910', '0, it only reshapes 28x28x10 into 7,840']
        >>> report.words
        '100 + 910 + 0 + 23,523 = 24,533'
        >>> explain(build("lesson-cnn", defaults=False), {"k": 3}, Measure("macs")).layers[0].words
        'C*H*W*f*k**2 = 9*C*H*W*f'
    """
    valued = model.subs(named(values))
    layers = [_explained(model, valued, row, placed, measure) for row, placed in zip(model.rows, valued.rows)]
    total = sympy.expand(measure.total(valued))
    words = f"{' + '.join(in_sum(layer.value) for layer in layers)} = {number(total)}"
    return Explanation(valued.name, tuple(layers), total, words, measure, measure.describe(valued))


def _parts(row: Row) -> tuple[tuple[sympy.Expr, tuple[Row, ...]], ...]:
    return tuple(row.parts() or ())


def _explained(model: Model, valued: Model, row: Row, placed: Row, measure: Measure) -> LayerExplanation:
    """One row's explanation; a repeated block's says "copies x (each inner layer's count)", and
    explains each inner layer on its own line (`inner`), once per copy."""
    formula, value = sympy.expand(measure.row(model, row)), sympy.expand(measure.row(valued, placed))
    groups = tuple(zip(_parts(row), _parts(placed)))
    inner: list[LayerExplanation] = []
    copies: list[sympy.Expr] = []
    sums = []
    for (_, rows), (times, placed_rows) in groups:
        explained = [_explained(model, valued, r, p, measure) for r, p in zip(rows, placed_rows)]
        inner += explained
        copies += [times] * len(explained)
        sums.append(f"{in_sum(times)} x ({' + '.join(in_sum(e.value) for e in explained)})")
    if groups:
        words = f"{' + '.join(sums)} = {number(value)}"
    else:
        words = _words(placed) if measure.is_params else _formula_words(formula, value)
    terms = tuple(Term(w.name, w.shape, w.size, w.kind) for w in placed.weights)
    params = sympy.expand(placed.params)
    return LayerExplanation(
        placed.position,
        placed.name,
        placed.kind,
        params,
        terms,
        words,
        formula,
        value,
        tuple(inner),
        tuple(copies),
    )
