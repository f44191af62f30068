"""Models: a pure fold over layers, producing one row per layer and the totals.

A `Sequential` model is its input and its layers; everything else (each layer's input and output
shape, weights and parameter counts, and the totals) is computed once, when the model is made.
Substitution gives a new model, folded again, so every layer re-checks its shapes with the new
values: a kernel larger than the image is reported by the layer at fault, with its position.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy

from .errors import MissingValueError, ShapeError, SpecError, SymcountError
from .layers.base import FRAMEWORKS, Layer, Weight
from .layers.core import Input
from .shapes import Shape, format_shape
from .values import as_expr, check_size, resolve

__all__ = ["Row", "Sequential"]


@dataclass(frozen=True)
class Row:
    """One placed layer: where it sits, what it sees and makes, and what it holds."""

    position: int
    name: str
    layer: Layer
    input_shape: Shape
    output_shape: Shape
    weights: tuple[Weight, ...]

    def _total(self, *kinds: str) -> sympy.Expr:
        return sympy.Add(*(w.size for w in self.weights if w.kind in kinds))

    @property
    def params(self) -> sympy.Expr:
        """All parameters (trainable and not); PyTorch buffers are not parameters."""
        return self._total("trainable", "non_trainable")

    @property
    def trainable(self) -> sympy.Expr:
        return self._total("trainable")

    @property
    def non_trainable(self) -> sympy.Expr:
        return self._total("non_trainable")

    @property
    def buffers(self) -> sympy.Expr:
        return self._total("buffer")

    @property
    def kind(self) -> str:
        return type(self.layer).__name__


def _auto_names(layers: Iterable[Layer]) -> list[str]:
    """Keras-style names: `dense`, `dense_1`, ... per kind; a name given by the user is kept."""
    seen: Counter[str] = Counter()
    names = []
    for layer in layers:
        if layer.name is not None:
            names.append(layer.name)
            continue
        count = seen[layer.kind]
        seen[layer.kind] += 1
        names.append(layer.kind if count == 0 else f"{layer.kind}_{count}")
    duplicates = [name for name, n in Counter(names).items() if n > 1]
    if duplicates:
        raise SpecError(f"layer names must be unique. Received: {', '.join(duplicates)} more than once")
    return names


def _fold(input_shape: Shape, layers: tuple[Layer, ...], framework: str) -> tuple[Row, ...]:
    rows = []
    shape = input_shape
    for position, (name, layer) in enumerate(zip(_auto_names(layers), layers), start=1):
        try:
            layer.check_channels(shape)
            output_shape = tuple(layer.output_shape(shape))
            weights = layer.weights(shape, framework)
            for axis, dim in enumerate(output_shape):
                check_size(dim, f"output axis {axis}")
        except SymcountError as error:
            context = f"layer {position} ({name}), input shape {format_shape(shape)}"
            raise error.with_context(context) from None
        rows.append(Row(position, name, layer, shape, output_shape, weights))
        shape = output_shape
    return tuple(rows)


class Sequential:
    """A stack of layers after an `Input`, folded once into rows and totals.

    Example:
        >>> from symcount import Sequential, Input, Dense, symbols
        >>> (h,) = symbols("h")
        >>> model = Sequential(Input(784), Dense(h), Dense(3))
        >>> model.params
        788*h + 3
        >>> model.count(h=10)
        7883
    """

    def __init__(self, *layers: Any, name: str | None = None, framework: str = "keras") -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers or not isinstance(layers[0], Input):
            raise SpecError("Sequential needs an Input(...) first, e.g. Sequential(Input(784), Dense(10))")
        for position, layer in enumerate(layers[1:], start=1):
            if not isinstance(layer, Layer):
                raise SpecError(f"layer {position}: expected a layer. Received: {layer!r}")
        if framework not in FRAMEWORKS:
            raise SpecError(f"framework must be one of {', '.join(FRAMEWORKS)}. Received: {framework!r}")
        self.name = name
        self.framework = framework
        self.input: Input = layers[0]
        self.layers_: tuple[Layer, ...] = tuple(layers[1:])
        self.rows: tuple[Row, ...] = _fold(self.input.shape, self.layers_, framework)

    # Shapes and rows.

    @property
    def layers(self) -> tuple[Row, ...]:
        """The placed layers, Input excluded (as Keras' `model.layers`): each has `.params`."""
        return self.rows

    @property
    def input_shape(self) -> Shape:
        return self.input.shape

    @property
    def output_shape(self) -> Shape:
        return self.rows[-1].output_shape if self.rows else self.input.shape

    # Totals, as built: sums of the rows, never simplified behind the user's back.

    @property
    def params(self) -> sympy.Expr:
        """Total parameters (trainable + non-trainable), as Keras' `count_params()`."""
        return sympy.Add(*(row.params for row in self.rows))

    @property
    def trainable(self) -> sympy.Expr:
        return sympy.Add(*(row.trainable for row in self.rows))

    @property
    def non_trainable(self) -> sympy.Expr:
        return sympy.Add(*(row.non_trainable for row in self.rows))

    @property
    def buffers(self) -> sympy.Expr:
        """PyTorch buffers (BatchNorm running statistics...): never part of `params`."""
        return sympy.Add(*(row.buffers for row in self.rows))

    def count_params(self) -> sympy.Expr:
        """Keras' spelling of `params`."""
        return self.params

    # Symbols and substitution.

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """Every symbol the model mentions (in its input, hyperparameters or shapes), by name."""
        found: set[sympy.Symbol] = set()
        for dim in self.input.shape:
            found |= dim.free_symbols
        for layer in self.layers_:
            for expr in layer.expressions():
                found |= expr.free_symbols
        return tuple(sorted(found, key=lambda s: s.name))

    def subs(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> Sequential:
        """The same model with some symbols replaced by numbers or by expressions in others.

        Keys are symbol names (or symbols); values are numbers, expressions or text (parsed by
        the restricted parser). Values may refer to each other: `subs(f="2*k", k=3)` gives f=6.
        """
        mapping = self._mapping({**(values or {}), **more})
        if not mapping:
            return self
        layers = []
        for position, layer in enumerate(self.layers_, start=1):
            try:
                layers.append(layer.xreplace(mapping))
            except SymcountError as error:
                name = layer.name or layer.kind
                raise error.with_context(f"layer {position} ({name})") from None
        try:
            new_input = self.input.xreplace(mapping)
        except SymcountError as error:
            raise error.with_context("input") from None
        return Sequential(new_input, *layers, name=self.name, framework=self.framework)

    def _mapping(self, values: Mapping[Any, Any]) -> dict[sympy.Symbol, sympy.Expr]:
        known = {s.name: s for s in self.symbols}
        mapping = {}
        for key, value in values.items():
            name = key.name if isinstance(key, sympy.Symbol) else str(key)
            if name not in known:
                listed = ", ".join(known) or "none"
                raise SpecError(f"unknown symbol {name!r}: the model's symbols are {listed}")
            mapping[known[name]] = as_expr(value, name)
        return resolve(mapping)

    def count(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> int:
        """The total parameter count as a Python int, once every symbol has a value."""
        return _as_int(self.subs(values, **more).params, "the total")

    def counts(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> dict[str, int]:
        """Total, trainable, non-trainable (and buffers) as ints, for one set of values."""
        model = self.subs(values, **more)
        return {
            "total": _as_int(model.params, "the total"),
            "trainable": _as_int(model.trainable, "the trainable count"),
            "non_trainable": _as_int(model.non_trainable, "the non-trainable count"),
            "buffers": _as_int(model.buffers, "the buffer count"),
        }

    def __repr__(self) -> str:
        inner = ", ".join([repr(self.input), *(row.layer.describe() for row in self.rows)])
        return f"Sequential({inner})"


def _as_int(expr: sympy.Expr, what: str) -> int:
    if expr.free_symbols:
        names = ", ".join(sorted(s.name for s in expr.free_symbols))
        raise MissingValueError(f"{what} still depends on {names}: give each a value")
    if not expr.is_Integer:
        raise ShapeError(f"{what} is not a whole number: {expr}")
    return int(expr)
