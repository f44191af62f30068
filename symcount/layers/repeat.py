"""Repeat: a block applied `times` times, where `times` may be a symbol (a network's depth L).

The block is a small graph built once on a placeholder input (a list of layers is the chain;
a function `x -> tensor` may branch and merge, as a residual block does). When the block maps its
input shape to itself, its weights repeat: each gets a leading axis of `times`, so the total is
`times * block` as one sympy product, never L copies, and closed forms in the depth follow. A
block that changes the shape (a stage that halves the image) can only be unrolled, for a concrete
`times`. Either way the block's rows are its `parts`, from which every per-layer quantity (MACs,
activations, KV cache...) adds up, under the target the model was asked with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sympy

from .. import rules
from ..errors import ShapeError, SpecError, SymcountError
from ..graph import Input, Over, Parts, Row, Saved, distinct_layers, fold, rebuild
from ..shapes import Shape, certainly_differ, format_shape
from ..target import Target, as_target
from ..values import as_expr
from .base import Layer, Weight

__all__ = ["Repeat", "Block", "MAX_UNROLLED"]

MAX_UNROLLED = 1_000  # layers and weights folded when a block must be unrolled copy by copy


@dataclass(frozen=True, eq=False)
class Block:
    """A one-output graph on a placeholder input, folded later on a real shape. A block may also
    read `context` tensors that every copy sees unchanged (a decoder block's encoder output): the
    repeat is then called on its input and those tensors, in that order."""

    entry: Input
    exit: Any  # a tensor (Node) depending on `entry`
    context: tuple[Input, ...] = ()

    @classmethod
    def build(cls, body: Any, context: tuple[str, ...] = ()) -> Block:
        """A block from a list of layers or a function of its input (and of one tensor per name
        in `context`)."""
        if isinstance(body, Block):
            return body
        entry = Input.placeholder("input")
        extra = tuple(Input.placeholder(name) for name in context)
        if isinstance(body, (list, tuple)):
            if not body or not all(isinstance(layer, Layer) for layer in body):
                raise SpecError(f"a block's layers must be a non-empty list of layers. Received: {body!r}")
            tensor: Any = entry
            for layer in body:
                tensor = layer(tensor)
            return cls(entry, tensor)
        if callable(body):
            return cls(entry, body(entry, *extra), extra)
        raise SpecError(f"expected a list of layers or a function of a tensor. Received: body={body!r}")

    def rows(self, input_shape: Shape, target: Target, context: tuple[Shape, ...] = ()) -> tuple[Row, ...]:
        if len(context) != len(self.context):
            names = ", ".join(str(c.name) for c in self.context) or "none"
            raise ShapeError(
                f"the block reads {len(self.context)} tensor(s) beside its input ({names}). "
                f"Received: {len(context)}"
            )
        shapes = {id(self.entry): input_shape, **{id(c): s for c, s in zip(self.context, context)}}
        return fold((self.entry, *self.context), (self.exit,), target, shapes)

    def layers(self) -> Iterator[Layer]:
        yield from distinct_layers((self.exit,))

    def map_layers(self, change: Callable[[Layer], Layer]) -> Block:
        entry = Input.placeholder("input")
        extra = tuple(Input.placeholder(c.name) for c in self.context)
        renamed = {id(self.entry): entry, **{id(old): new for old, new in zip(self.context, extra)}}
        new = rebuild((self.exit,), change, lambda item: renamed[id(item)])
        return Block(entry, new[id(self.exit)], extra)


def entry_kind(rows: tuple[Row, ...]) -> str | None:
    """The kind a block's rows keep its entry (its input) as, or None when none keeps it."""
    for row in rows:
        kinds = row.saved().inputs
        for name, kind in zip(row.inputs, kinds):
            if name == "input" and kind is not None:
                return kind
    return None


def split(argument: Any) -> tuple[Shape, tuple[Shape, ...]]:
    """A repeat's argument: its input's shape, and the shapes of the context tensors if any."""
    if argument and isinstance(argument[0], tuple):
        return argument[0], tuple(argument[1:])
    return argument, ()


def preserves(input_shape: Shape, output_shape: Shape) -> bool | None:
    """True if the shapes are certainly equal, False if certainly not, None if undecided."""
    if len(input_shape) != len(output_shape):
        return False
    if all(sympy.expand(a - b) == 0 for a, b in zip(input_shape, output_shape)):
        return True
    if any(certainly_differ(a, b) for a, b in zip(input_shape, output_shape)):
        return False
    return None


def _exit_shape(rows: tuple[Row, ...], input_shape: Shape) -> Shape:
    return rows[-1].output_shape if rows else input_shape


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
        if not times.is_number:
            rules.note(
                "amount",
                times,
                says=lambda v: f"expected a whole number of times, 0 or more. Received: times={v(times)}",
            )
        self._set("times", times)
        if not times.is_Integer:  # n - 3: checked at each point (and a weight axis of 0 is fine)
            rules.note("amount", times)
        self._set("body", Block.build(self.body))
        # Called on its input and the block's context tensors (an instance's own count).
        self._set("most_inputs", 1 + len(self.body.context))

    @property  # type: ignore[misc]
    def rules_noted(self) -> bool:  # type: ignore[override]
        """A repeat's own check (times, a whole number >= 0) notes its rule; the count is a formula
        in times (`times x block`): a sweep over repeat counts evaluates it, without folding the
        model at each point, when every layer of the block notes its rules too."""
        return all(layer.rules_noted for layer in self.body.layers())

    def expressions(self) -> Iterator[sympy.Expr]:
        yield self.times
        for layer in self.body.layers():
            yield from layer.expressions()

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        times = self.times.xreplace(mapping)
        body = self.body.map_layers(lambda layer: layer.xreplace(mapping))
        return Repeat(times, body, name=self.name, trainable=self.trainable, tie=self.tie)

    def _plan(self, argument: Any, target: Target) -> tuple[bool, Parts]:
        """Whether the block repeats as it is (times x one copy's rows), and the parts: one
        (times, rows) pair when it keeps its shape; each copy's rows, unrolled, when it does not."""
        input_shape, context = split(argument)
        rows = self.body.rows(input_shape, target, context)
        verdict = preserves(input_shape, _exit_shape(rows, input_shape))
        if verdict:
            return True, ((self.times, rows),)
        if not self.times.is_Integer:
            grown = self._growth(input_shape, context, target, rows)
            if grown is not None:
                return False, grown
            why = "changes it to" if verdict is False else "may change it to"
            raise ShapeError(
                f"a block repeated a symbolic {self.times} times must keep its input shape; this one "
                f"{why} {format_shape(_exit_shape(rows, input_shape))} from {format_shape(input_shape)}: "
                "give times a number to unroll it"
            )
        copies: list[tuple[sympy.Expr, tuple[Row, ...]]] = []
        shape, times, work = input_shape, int(self.times), 0
        while len(copies) < times:
            if copies:
                try:
                    rows = self.body.rows(shape, target, context)
                except SymcountError as error:
                    raise error.with_context(f"copy {len(copies) + 1} of the block") from None
            exit_shape = _exit_shape(rows, shape)
            if copies and preserves(shape, exit_shape):
                # From here on the block keeps its shape: the remaining copies are all alike.
                copies.append((sympy.Integer(times - len(copies)), rows))
                break
            copies.append((sympy.Integer(1), rows))
            shape = exit_shape
            work += sum(1 + len(row.weights) for row in rows)
            if work > MAX_UNROLLED and len(copies) < times:
                raise ShapeError(
                    f"a block that changes its input's shape is unrolled copy by copy, up to "
                    f"{MAX_UNROLLED:,} layers and weights; this one still changes it after {len(copies):,} of "
                    f"{times:,} copies (to {format_shape(shape)}): a block that keeps its shape repeats "
                    "any number of times, even a symbolic one"
                )
        return False, tuple(copies)

    def _growth(
        self, input_shape: Shape, context: tuple[Shape, ...], target: Target, rows: tuple[Row, ...]
    ) -> Parts | None:
        """When the block adds a fixed amount to its input's shape (DenseNet's k channels), copy i
        sees the input grown i times: one part, its rows on that shape, summed over i in closed
        form (`Over`); None when the growth is not fixed."""
        growth = tuple(sympy.expand(b - a) for a, b in zip(input_shape, _exit_shape(rows, input_shape)))
        if len(growth) != len(input_shape):
            return None
        index = sympy.Dummy("i", integer=True, nonnegative=True)
        shape = tuple(a + index * g for a, g in zip(input_shape, growth))
        try:
            copy = self.body.rows(shape, target, context)
        except SymcountError:
            return None
        after = _exit_shape(copy, shape)
        if any(sympy.expand(b - a - g) != 0 for a, b, g in zip(shape, after, growth)):
            return None
        return ((Over(index, self.times), copy),)

    def parts(self, input_shape: Any, target: Target) -> Parts:
        return self._plan(input_shape, target)[1]

    def saved(self, argument: Any, target: Target, attention: str = "eager") -> Saved:
        """What the graph around the block sees: whether a copy keeps its input and its output
        (the bytes themselves are the parts' rows', added up by the cost)."""
        # Kept per instance: every fold of the graph around asks, and the block's own fold (which
        # output_shape and weights made already, noting its rules) is the costly part; without
        # this a block nested in a block is folded again at every level.
        memo: dict[Any, Saved] = self.__dict__.setdefault("_saved_memo", {})
        key = (argument, target)
        if key not in memo:
            parts = self.parts(argument, target)
            if not parts:
                memo[key] = Saved(view=True)
            else:
                exit_rows = parts[-1][1]
                kept = bool(exit_rows) and exit_rows[-1].saved().output
                memo[key] = Saved((entry_kind(parts[0][1]),), kept)
            if len(memo) > 64:  # a sweep folds many sizes: keep the latest few
                memo.pop(next(iter(memo)))
        return memo[key]

    def output_shape(self, argument: Any, target: Target) -> Shape:
        input_shape, _ = split(argument)
        parts = self.parts(argument, target)
        if parts and isinstance(parts[0][0], Over):  # every copy grew the shape by the same amount
            over, rows = parts[0]
            grown = _exit_shape(rows, input_shape)
            return tuple(sympy.expand(g.xreplace({over.index: over.count - 1})) for g in grown)
        return _exit_shape(parts[-1][1], input_shape) if parts else input_shape

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        repeats, parts = self._plan(input_shape, target)
        if repeats:  # each weight of the block, with a leading axis of `times`
            return tuple(
                Weight(f"{row.name}/{w.name}", (self.times, *w.shape), self.frozen(w.kind))
                for row in parts[0][1]
                for w in row.weights
            )
        if parts and isinstance(parts[0][0], Over):  # each weight's sizes, summed over the copies
            over, rows = parts[0]
            return tuple(
                Weight(f"{row.name}/{w.name}", (over.total(w.size),), self.frozen(w.kind))
                for row in rows
                for w in row.weights
            )
        return tuple(
            Weight(
                f"{copy}/{row.name}/{w.name}",
                w.shape if times == 1 else (times, *w.shape),
                self.frozen(w.kind),
            )
            for copy, (times, rows) in enumerate(parts)
            for row in rows
            for w in row.weights
        )

    def block_rows(self, argument: Any, target: Target | str) -> tuple[Row, ...]:
        """The block's own rows on `argument`: one copy, for summaries and explanations."""
        input_shape, context = split(argument)
        return self.body.rows(input_shape, as_target(target), context)

    def describe(self) -> str:
        return f"Repeat({self.times} x {len(list(self.body.layers()))} layers)"
