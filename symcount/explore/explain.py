"""Explanations: where each layer's count comes from, in words and numbers, as the lesson tells it.

Other costs (FLOPs, memory...) are explained by each layer's formula and its number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from ..costs import PARAMS, Measure
from ..model import Model, Row
from ..render import number
from ..shapes import format_shape
from .common import Values, _names

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


@dataclass(frozen=True)
class Explanation:
    name: str | None
    layers: tuple[LayerExplanation, ...]
    total: sympy.Expr  # of the explained cost
    words: str  # "100 + 910 + 0 + 23,523 = 24,533"
    measure: Measure = PARAMS  # what is explained
    convention: str = PARAMS.describe()


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
    valued = model.subs(_names(values))
    layers = []
    for row, placed in zip(model.rows, valued.rows):
        formula, value = sympy.expand(measure.row(model, row)), sympy.expand(measure.row(valued, placed))
        words = _words(placed) if measure.cost == "params" else _formula_words(formula, value)
        terms = tuple(Term(w.name, w.shape, w.size, w.kind) for w in placed.weights)
        params = sympy.expand(placed.params)
        layers.append(
            LayerExplanation(placed.position, placed.name, placed.kind, params, terms, words, formula, value)
        )
    total = sympy.expand(measure.total(valued))
    words = f"{' + '.join(_text(layer.value) for layer in layers)} = {number(total)}"
    return Explanation(valued.name, tuple(layers), total, words, measure, measure.describe(valued))
