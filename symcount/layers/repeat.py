"""Repeat: a block applied `times` times, where `times` may be a symbol (a network's depth L).

The block is a small graph built once on a placeholder input (a list of layers is the chain;
a function `x -> tensor` may branch and merge, as a residual block does). When the block maps its
input shape to itself, its weights repeat: each gets a leading axis of `times`, so the total is
`times * block` as one sympy product, never L copies, and closed forms in the depth follow. A
block that changes the shape (a stage that halves the image) can only be unrolled, for a concrete
`times`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import ShapeError, SpecError, SymcountError
from ..shapes import Shape, certainly_differ, format_shape
from ..values import as_expr
from .base import Layer, Weight
from .core import Input

__all__ = ["Repeat", "Block"]


@dataclass(frozen=True, eq=False)
class Block:
    """A one-input, one-output graph on a placeholder input, folded later on a real shape."""

    entry: Input
    exit: Any  # a tensor (Node) depending on `entry`

    @classmethod
    def build(cls, body: Any) -> Block:
        if isinstance(body, Block):
            return body
        entry = Input.placeholder("input")
        if isinstance(body, (list, tuple)):
            if not body or not all(isinstance(layer, Layer) for layer in body):
                raise SpecError(f"a block's layers must be a non-empty list of layers. Received: {body!r}")
            tensor: Any = entry
            for layer in body:
                tensor = layer(tensor)
            return cls(entry, tensor)
        if callable(body):
            return cls(entry, body(entry))
        raise SpecError(f"expected a list of layers or a function of a tensor. Received: body={body!r}")

    def rows(self, input_shape: Shape, framework: str) -> tuple[Any, ...]:
        from ..model import fold

        return fold((self.entry,), (self.exit,), framework, {id(self.entry): input_shape})

    def output_shape(self, input_shape: Shape, framework: str) -> Shape:
        rows = self.rows(input_shape, framework)
        return rows[-1].output_shape if rows else input_shape

    def layers(self) -> Iterator[Layer]:
        from ..model import _order

        seen: set[int] = set()
        for tensor in _order((self.exit,)):
            layer = getattr(tensor, "layer", None)
            if layer is not None and id(layer) not in seen:
                seen.add(id(layer))
                yield layer

    def map_layers(self, change: Callable[[Layer], Layer]) -> Block:
        from ..model import rebuild

        entry = Input.placeholder("input")
        new = rebuild((self.exit,), change, lambda _: entry)
        return Block(entry, new[id(self.exit)])


def preserves(input_shape: Shape, output_shape: Shape) -> bool | None:
    """True if the shapes are certainly equal, False if certainly not, None if undecided."""
    if len(input_shape) != len(output_shape):
        return False
    if all(sympy.expand(a - b) == 0 for a, b in zip(input_shape, output_shape)):
        return True
    if any(certainly_differ(a, b) for a, b in zip(input_shape, output_shape)):
        return False
    return None


@dataclass(frozen=True)
class Repeat(Layer):
    """`body` applied `times` times in a row: `Repeat(L, [Dense(d), Dense(d)])`, or with a function
    for blocks that branch: `Repeat(L, lambda x: Add()([x, Dense(d)(x)]))`.

    Example:
        >>> from symcount import Input, Sequential, Repeat, Dense, Add, symbols
        >>> L, d = symbols("L d")
        >>> Sequential(Input(d), Repeat(L, lambda x: Add()([x, Dense(d)(x)]))).params
        L*d**2 + L*d
    """

    times: Any
    body: Any

    registered = False  # specs write `repeat: {times: L, layers: [...]}`, built by spec.py
    example_input = ("d",)
    derivation = "times x the block's weights, when the block maps its input shape to itself"

    def validate(self) -> None:
        # times may be 0 (a stage of one block is its first block plus `n - 1` repeats).
        times = as_expr(self.times, "times")
        if times.is_integer is False or times.is_negative or (times.is_number and not times.is_integer):
            raise SpecError(f"expected a whole number of times, 0 or more. Received: times={times}")
        self._set("times", times)
        self._set("body", Block.build(self.body))

    def expressions(self) -> Iterator[sympy.Expr]:
        yield self.times
        for layer in self.body.layers():
            yield from layer.expressions()

    def xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        times = self.times.xreplace(mapping)
        body = self.body.map_layers(lambda layer: layer.xreplace(mapping))
        return Repeat(times, body, name=self.name, trainable=self.trainable, tie=self.tie)

    def _plan(self, input_shape: Shape, framework: str) -> tuple[Shape, tuple[Weight, ...]]:
        rows = self.body.rows(input_shape, framework)
        block_output = rows[-1].output_shape if rows else input_shape
        verdict = preserves(input_shape, block_output)
        if verdict:
            weights = tuple(
                Weight(f"{row.name}/{w.name}", (self.times, *w.shape), self.frozen(w.kind))
                for row in rows
                for w in row.weights
            )
            return input_shape, weights
        if not self.times.is_Integer:
            why = "changes it to" if verdict is False else "may change it to"
            raise ShapeError(
                f"a block repeated a symbolic {self.times} times must keep its input shape; this one "
                f"{why} {format_shape(block_output)} from {format_shape(input_shape)}: give times a number "
                "to unroll it"
            )
        shape, weights_list = input_shape, []
        for copy in range(int(self.times)):
            try:
                rows = self.body.rows(shape, framework)
            except SymcountError as error:
                raise error.with_context(f"copy {copy + 1} of the block") from None
            weights_list += [
                Weight(f"{copy}/{row.name}/{w.name}", w.shape, self.frozen(w.kind))
                for row in rows
                for w in row.weights
            ]
            shape = rows[-1].output_shape if rows else shape
        return shape, tuple(weights_list)

    def activations(self, input_shape: Shape, output_shape: Shape) -> sympy.Expr:
        return self._block_cost(input_shape, "keras", "activations")

    def _block_cost(self, input_shape: Shape, framework: str, cost: str) -> sympy.Expr:
        """`times` x one copy's cost when the block keeps its shape; each copy's, unrolled."""
        rows = self.body.rows(input_shape, framework)
        block_output = rows[-1].output_shape if rows else input_shape
        if preserves(input_shape, block_output):
            return self.times * sympy.Add(*(getattr(row, cost) for row in rows))
        total, shape = [], input_shape
        for _ in range(int(self.times)):  # _plan (via output_shape) already checked times is concrete
            rows = self.body.rows(shape, framework)
            total += [getattr(row, cost) for row in rows]
            shape = rows[-1].output_shape if rows else shape
        return sympy.Add(*total)

    def macs(self, input_shape: Shape, framework: str = "keras") -> sympy.Expr:
        return self._block_cost(input_shape, framework, "macs")

    def extra_flops(self, input_shape: Shape, framework: str = "keras") -> sympy.Expr:
        return self._block_cost(input_shape, framework, "extra_flops")

    def output_shape(self, input_shape: Shape) -> Shape:
        return self._plan(input_shape, "keras")[0]

    def weights(self, input_shape: Shape, framework: str = "keras") -> tuple[Weight, ...]:
        return self._plan(input_shape, framework)[1]

    def block_rows(self, input_shape: Shape, framework: str = "keras") -> Sequence[Any]:
        """The block's own rows on `input_shape`: one copy, for summaries and explanations."""
        return self.body.rows(input_shape, framework)

    def describe(self) -> str:
        return f"Repeat({self.times} x {len(list(self.body.layers()))} layers)"
