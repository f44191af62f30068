"""Models: a pure fold over a graph of layers, producing one row per node and the totals.

A model is its inputs and its output tensors; calling a layer on tensors (`Dense(3)(x)`) records a
node, as in Keras' functional API, and `Sequential` is the chain. Everything else (each node's input
and output shapes, weights and parameter counts, and the totals) is computed once, when the model is
made. A layer object used at several nodes is one set of weights, counted once; a weight tied to
another layer's (`tie="wte"`) is counted once too. Substitution gives a new model, folded again, so
every layer re-checks its shapes with the new values and errors name the node at fault.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import sympy

from .errors import MissingValueError, ShapeError, SpecError, SymcountError
from .layers.base import FRAMEWORKS, Layer, Weight
from .layers.core import Input
from .shapes import Shape, certainly_differ, format_shape
from .values import as_expr, as_size, check_size, resolve

__all__ = ["Node", "Tensor", "Row", "Model", "Sequential", "fold"]

# Weight kinds that are parameters; "buffer" (PyTorch state) and "tied" (another layer's weight,
# already counted there) are not.
PARAMETER_KINDS = ("trainable", "non_trainable")


_serials = itertools.count()


@dataclass(frozen=True, eq=False)
class Node:
    """A tensor made by applying `layer` to `inputs`: the edge list of a graph, nothing computed.

    `serial` records creation order, which is always a topological order and the one Keras lists
    (and names) layers in.
    """

    layer: Layer
    inputs: tuple[Tensor, ...]
    name: str | None = None
    serial: int = field(default_factory=lambda: next(_serials), compare=False)


Tensor: TypeAlias = "Input | Node"


@dataclass(frozen=True)
class Row:
    """One node of a folded model: where it sits, what it sees and makes, and what it holds."""

    position: int
    name: str
    layer: Layer
    input_shape: Shape
    output_shape: Shape
    weights: tuple[Weight, ...]
    inputs: tuple[str, ...] = ()
    input_shapes: tuple[Shape, ...] = ()
    shared_with: str | None = None  # a later call of a layer: its weights are the first call's
    tied_to: str | None = None  # this node's first weight is that layer's first weight
    framework: str = "keras"

    @property
    def argument(self) -> Any:
        """What the layer's methods take: the input shape, or the tuple of them for a merge."""
        return self.input_shapes if self.layer.merges else self.input_shape

    @property
    def macs(self) -> sympy.Expr:
        """Forward multiply-accumulates for one example (every call counts, shared or not)."""
        return self.layer.macs(self.argument, self.framework)

    @property
    def extra_flops(self) -> sympy.Expr:
        """Forward FLOPs outside multiply-accumulates (bias adds, activations...), one example."""
        return self.layer.extra_flops(self.argument, self.framework)

    @property
    def activations(self) -> sympy.Expr:
        """Elements the forward pass produces for one example (the output; a block's inner ones
        too): what training keeps for the backward pass."""
        return self.layer.activations(self.argument, self.output_shape)

    def _total(self, *kinds: str) -> sympy.Expr:
        return sympy.Add(*(w.size for w in self.weights if w.kind in kinds))

    @property
    def params(self) -> sympy.Expr:
        """All parameters (trainable and not); buffers and tied weights are not counted here."""
        return self._total(*PARAMETER_KINDS)

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


def call_layer(layer: Layer, inputs: Tensor | Sequence[Tensor], name: str | None = None) -> Node:
    """`layer(x)`: a node applying `layer` to one tensor, or to a list of them for merges."""
    tensors = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    for tensor in tensors:
        if not isinstance(tensor, (Input, Node)):
            raise SpecError(
                f"{type(layer).__name__}: expected a tensor (an Input or a layer's output). Received: {tensor!r}"
            )
    if not tensors:
        raise SpecError(f"{type(layer).__name__}: expected at least one input tensor")
    return Node(layer, tensors, name)


def _order(outputs: Iterable[Tensor]) -> list[Tensor]:
    """Every tensor the outputs depend on: the Inputs first, then nodes in creation order."""
    inputs: dict[int, Input] = {}
    nodes: dict[int, Node] = {}
    stack = list(outputs)
    while stack:
        tensor = stack.pop()
        if isinstance(tensor, Input):
            inputs.setdefault(id(tensor), tensor)
        elif id(tensor) not in nodes:
            nodes[id(tensor)] = tensor
            stack.extend(tensor.inputs)
    return [*inputs.values(), *sorted(nodes.values(), key=lambda node: node.serial)]


def _layer_names(nodes: Iterable[Node]) -> dict[int, str]:
    """Keras-style names per distinct layer: `dense`, `dense_1`, ...; a user's name is kept."""
    seen: Counter[str] = Counter()
    names: dict[int, str] = {}
    for node in nodes:
        layer = node.layer
        if id(layer) in names:
            continue
        if layer.name is not None:
            names[id(layer)] = layer.name
            continue
        count = seen[layer.kind]
        seen[layer.kind] += 1
        names[id(layer)] = layer.kind if count == 0 else f"{layer.kind}_{count}"
    return names


def _unique(names: Iterable[str], what: str) -> None:
    duplicates = [name for name, n in Counter(names).items() if n > 1]
    if duplicates:
        raise SpecError(f"{what} names must be unique. Received: {', '.join(duplicates)} more than once")


def _same_shapes(first: tuple[Weight, ...], second: tuple[Weight, ...]) -> bool:
    """False only when the two weight lists certainly differ (a shared layer on other inputs)."""
    if len(first) != len(second):
        return False
    for a, b in zip(first, second):
        if len(a.shape) != len(b.shape):
            return False
        if any(certainly_differ(x, y) for x, y in zip(a.shape, b.shape)):
            return False
    return True


def fold(
    inputs: Sequence[Input],
    outputs: Sequence[Tensor],
    framework: str = "keras",
    shapes: Mapping[int, Shape] | None = None,
) -> tuple[Row, ...]:
    """The rows of the graph from `inputs` to `outputs`; `shapes` (by id of an Input) overrides the
    shapes the inputs carry, so a block built on a placeholder folds on any input."""
    order = _order(outputs)
    nodes = [t for t in order if isinstance(t, Node)]
    given = {id(i) for i in inputs}
    for tensor in order:
        if isinstance(tensor, Input) and id(tensor) not in given:
            raise SpecError("an output depends on an Input that is not among the model's inputs")
    layer_names = _layer_names(nodes)
    _unique(layer_names.values(), "layer")
    input_names = _input_names(inputs)
    tensor_names: dict[int, str] = {id(i): input_names[k] for k, i in enumerate(inputs)}
    shape_of: dict[int, Shape] = {}
    for item in inputs:
        shape = (shapes or {}).get(id(item)) or item.shape
        if shape is None:
            raise SpecError("a placeholder input needs a shape to fold on")
        shape_of[id(item)] = shape
    calls: Counter[int] = Counter()
    first_call: dict[int, Row] = {}
    rows: list[Row] = []
    for position, node in enumerate(nodes, start=1):
        layer = node.layer
        calls[id(layer)] += 1
        layer_name = layer_names[id(layer)]
        name = node.name or (layer_name if calls[id(layer)] == 1 else f"{layer_name}#{calls[id(layer)]}")
        in_shapes = tuple(shape_of[id(t)] for t in node.inputs)
        try:
            if not layer.merges and len(in_shapes) != 1:
                raise ShapeError(f"{type(layer).__name__} takes one input. Received: {len(in_shapes)}")
            argument: Any = in_shapes if layer.merges else in_shapes[0]
            if not layer.merges:
                layer.check_channels(in_shapes[0])
            output_shape = tuple(layer.output_shape(argument))
            weights = layer.weights(argument, framework)
            for axis, dim in enumerate(output_shape):
                check_size(dim, f"output axis {axis}")
            shared = first_call.get(id(layer))
            if shared is not None:
                if not _same_shapes(shared.weights, weights):
                    raise ShapeError(
                        f"the layer is shared with {shared.name!r}, whose weights "
                        f"{', '.join(map(str, shared.weights))} do not fit this input"
                    )
                weights = ()
        except SymcountError as error:
            shown = ", ".join(format_shape(s) for s in in_shapes)
            raise error.with_context(f"layer {position} ({name}), input shape {shown}") from None
        row = Row(
            position, name, layer, in_shapes[0], output_shape, weights,
            inputs=tuple(tensor_names[id(t)] for t in node.inputs), input_shapes=in_shapes,
            shared_with=shared.name if shared is not None else None, framework=framework,
        )  # fmt: skip
        first_call.setdefault(id(layer), row)
        rows.append(row)
        tensor_names[id(node)] = name
        shape_of[id(node)] = output_shape
    _unique([r.name for r in rows] + list(input_names), "node")
    return _tie(tuple(rows))


def _input_names(inputs: Sequence[Input]) -> list[str]:
    if len(inputs) == 1:
        return [inputs[0].name or "input"]
    return [i.name or f"input_{k}" for k, i in enumerate(inputs)]


def _tie(rows: tuple[Row, ...]) -> tuple[Row, ...]:
    """Rows whose layer ties its first weight to another layer's: that weight is counted there."""
    by_layer = {r.layer.name: r for r in rows if r.layer.name and r.shared_with is None}
    tied = []
    for row in rows:
        target_name = row.layer.tie
        if target_name is None or row.shared_with is not None:
            tied.append(row)
            continue
        target = by_layer.get(target_name)
        context = f"layer {row.position} ({row.name})"
        if target is None or target is row:
            known = ", ".join(sorted(n for n in by_layer if n != row.layer.name)) or "none"
            raise SpecError(f"{context}: tie={target_name!r} names no other layer (named layers: {known})")
        if not row.weights or not target.weights:
            raise SpecError(f"{context}: tie={target_name!r} needs a weight on both layers")
        mine, theirs = row.weights[0], target.weights[0]
        if certainly_differ(mine.size, theirs.size):
            raise ShapeError(
                f"{context}: its {mine} cannot be tied to {target.name}'s {theirs}: the sizes differ"
            )
        weights = (Weight(mine.name, mine.shape, "tied"), *row.weights[1:])
        tied.append(Row(**{**row.__dict__, "weights": weights, "tied_to": target.name}))
    return tuple(tied)


def rebuild(outputs: Sequence[Tensor], layer: Any, tensor: Any) -> dict[int, Tensor]:
    """A copy of the graph under `outputs` with every layer and Input mapped through `layer` and
    `tensor` (each distinct object once, so shared layers stay shared). Returns old id -> new."""
    new: dict[int, Tensor] = {}
    layers: dict[int, Layer] = {}
    for item in _order(outputs):
        if isinstance(item, Input):
            new[id(item)] = tensor(item)
            continue
        if id(item.layer) not in layers:
            layers[id(item.layer)] = layer(item.layer)
        new[id(item)] = Node(layers[id(item.layer)], tuple(new[id(t)] for t in item.inputs), item.name)
    return new


class Model:
    """A graph of layers from `inputs` to `outputs`, folded once into rows and totals.

    Example:
        >>> from symcount import Model, Input, Dense, Add, symbols
        >>> (d,) = symbols("d")
        >>> x = Input(d)
        >>> y = Add()([x, Dense(d)(x)])
        >>> Model(x, y).params
        d**2 + d
    """

    def __init__(
        self,
        inputs: Input | Sequence[Input],
        outputs: Tensor | Sequence[Tensor],
        *,
        name: str | None = None,
        framework: str = "keras",
        batch: Any = 1,
    ) -> None:
        self.inputs: tuple[Input, ...] = _as_tuple(inputs)
        self.outputs: tuple[Tensor, ...] = _as_tuple(outputs)
        if not self.inputs or not all(isinstance(i, Input) for i in self.inputs):
            raise SpecError("a model's inputs must be Input(...) tensors")
        if any(i.shape is None for i in self.inputs):
            raise SpecError("a model's inputs need shapes, e.g. Input(H, W, C)")
        if not self.outputs or not all(isinstance(o, (Input, Node)) for o in self.outputs):
            raise SpecError("a model's outputs must be tensors made by calling layers")
        if framework not in FRAMEWORKS:
            raise SpecError(f"framework must be one of {', '.join(FRAMEWORKS)}. Received: {framework!r}")
        self.name = name
        self.framework = framework
        # Examples per forward pass: a factor of every compute cost (never of parameters), and a
        # symbol like any other (`batch="B"`).
        try:
            self.batch: sympy.Expr = as_size(batch, "batch")
        except SymcountError as error:
            raise error.with_context("model") from None
        self.rows: tuple[Row, ...] = fold(self.inputs, self.outputs, framework)

    # Shapes and rows.

    @property
    def layers(self) -> tuple[Row, ...]:
        """The placed layers (one row per call), Inputs excluded: each has `.params`."""
        return self.rows

    @property
    def input_shape(self) -> Shape:
        shape = self.inputs[0].shape
        assert shape is not None
        return shape

    @property
    def output_shape(self) -> Shape:
        """The (first) output's shape."""
        return self.output_shapes[0]

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        shape_of = {id(i): i.shape for i in self.inputs}
        nodes = [t for t in _order(self.outputs) if isinstance(t, Node)]
        for node, row in zip(nodes, self.rows):
            shape_of[id(node)] = row.output_shape
        return tuple(shape_of[id(o)] for o in self.outputs)  # type: ignore[misc]

    @property
    def is_chain(self) -> bool:
        """True when every node reads the one before it (a Sequential model's shape)."""
        previous = _input_names(self.inputs)[0] if len(self.inputs) == 1 else None
        for row in self.rows:
            if row.inputs != (previous,):
                return False
            previous = row.name
        return True

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
        """Every symbol the model mentions (in its inputs, hyperparameters or shapes), by name."""
        found: set[sympy.Symbol] = set(self.batch.free_symbols)
        for item in self.inputs:
            for dim in item.shape or ():
                found |= dim.free_symbols
        seen: set[int] = set()
        for row in self.rows:
            if id(row.layer) not in seen:
                seen.add(id(row.layer))
                for expr in row.layer.expressions():
                    found |= expr.free_symbols
        return tuple(sorted(found, key=lambda s: s.name))

    def subs(self, values: Mapping[Any, Any] | None = None, /, **more: Any) -> Model:
        """The same model with some symbols replaced by numbers or by expressions in others.

        Keys are symbol names (or symbols); values are numbers, expressions or text (parsed by
        the restricted parser). Values may refer to each other: `subs(f="2*k", k=3)` gives f=6.
        """
        mapping = self._mapping({**(values or {}), **more})
        if not mapping:
            return self
        positions = {id(row.layer): row for row in reversed(self.rows)}

        def new_layer(layer: Layer) -> Layer:
            try:
                return layer.xreplace(mapping)
            except SymcountError as error:
                row = positions[id(layer)]
                raise error.with_context(f"layer {row.position} ({row.name})") from None

        def new_input(item: Input) -> Input:
            try:
                return item.xreplace(mapping)
            except SymcountError as error:
                raise error.with_context("input") from None

        new = rebuild(self.outputs, new_layer, new_input)
        for item in self.inputs:  # inputs no output depends on are kept too
            new.setdefault(id(item), new_input(item))
        batch = self.batch.xreplace(mapping)
        return self._remade([new[id(i)] for i in self.inputs], [new[id(o)] for o in self.outputs], batch)

    def with_batch(self, batch: Any) -> Model:
        """The same model run on `batch` examples at a time (a number or a symbol such as "B")."""
        return self._remade(list(self.inputs), list(self.outputs), batch)

    def _remade(self, inputs: list[Any], outputs: list[Any], batch: Any) -> Model:
        return Model(inputs, outputs, name=self.name, framework=self.framework, batch=batch)

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

    def count(self, values: Mapping[Any, Any] | None = None, /, **more: Any) -> int:
        """The total parameter count as a Python int, once every symbol has a value."""
        return _as_int(self.subs(values, **more).params, "the total")

    def counts(self, values: Mapping[Any, Any] | None = None, /, **more: Any) -> dict[str, int]:
        """Total, trainable, non-trainable (and buffers) as ints, for one set of values."""
        model = self.subs(values, **more)
        return {
            "total": _as_int(model.params, "the total"),
            "trainable": _as_int(model.trainable, "the trainable count"),
            "non_trainable": _as_int(model.non_trainable, "the non-trainable count"),
            "buffers": _as_int(model.buffers, "the buffer count"),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name or ''!s}, {len(self.rows)} nodes)"

    # Jupyter: the summary table, and the total as LaTeX (render does the work; models never print).

    def _repr_html_(self) -> str:
        from .render import summary_html

        return summary_html(self)

    def _repr_latex_(self) -> str:
        from .render import latex_formula

        return latex_formula(self.params)


class Sequential(Model):
    """A stack of layers after an `Input`: the chain, each layer reading the one before.

    Example:
        >>> from symcount import Sequential, Input, Dense, symbols
        >>> (h,) = symbols("h")
        >>> model = Sequential(Input(784), Dense(h), Dense(3))
        >>> model.params
        788*h + 3
        >>> model.count(h=10)
        7883
    """

    def __init__(
        self, *layers: Any, name: str | None = None, framework: str = "keras", batch: Any = 1
    ) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers or not isinstance(layers[0], Input):
            raise SpecError("Sequential needs an Input(...) first, e.g. Sequential(Input(784), Dense(10))")
        tensor: Tensor = layers[0]
        for position, layer in enumerate(layers[1:], start=1):
            if not isinstance(layer, Layer):
                raise SpecError(f"layer {position}: expected a layer. Received: {layer!r}")
            if layer.merges:
                raise SpecError(f"layer {position}: {type(layer).__name__} merges several tensors: use Model")
            tensor = Node(layer, (tensor,))
        self.layers_: tuple[Layer, ...] = tuple(layers[1:])
        super().__init__(layers[0], tensor, name=name, framework=framework, batch=batch)

    @property
    def input(self) -> Input:
        return self.inputs[0]

    def _remade(self, inputs: list[Any], outputs: list[Any], batch: Any) -> Model:
        nodes = [t for t in _order(outputs) if isinstance(t, Node)]
        layers = (node.layer for node in nodes)
        return Sequential(inputs[0], *layers, name=self.name, framework=self.framework, batch=batch)

    def __repr__(self) -> str:
        inner = ", ".join([repr(self.input), *(row.layer.describe() for row in self.rows)])
        return f"Sequential({inner})"


def _as_tuple(items: Any) -> tuple[Any, ...]:
    return tuple(items) if isinstance(items, (list, tuple)) else (items,)


def _as_int(expr: sympy.Expr, what: str) -> int:
    if expr.free_symbols:
        names = ", ".join(sorted(s.name for s in expr.free_symbols))
        raise MissingValueError(f"{what} still depends on {names}: give each a value")
    if not expr.is_Integer:
        raise ShapeError(f"{what} is not a whole number: {expr}")
    return int(expr)
