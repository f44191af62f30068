"""The graph below the layers: tensors, nodes, their order, and the fold that places layers.

Calling a layer on a tensor (`Dense(3)(x)`) records a `Node`, as in Keras' functional API; nothing
is computed then. `fold` walks the nodes in creation order (always a topological order, the one
Keras names layers in) and asks each layer, under one `Target`, for its output shape and weights:
one `Row` per node. A layer object used at several nodes is one set of weights, counted once; a
weight tied to another layer's (`tie="wte"`) is counted once too.

This module knows no layer family: layers are anything with the methods of `GraphLayer`, so the
layers, `Repeat` and the model all build on it without a cycle.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Protocol, TypeAlias

import sympy

from . import rules
from .errors import ShapeError, SpecError, SymcountError
from .shapes import Shape, certainly_differ, format_shape, product, sum_over
from .target import Target
from .values import as_size, check_size, in_users_terms, users_terms_said

__all__ = [
    "Weight", "Input", "Node", "Tensor", "Row", "GraphLayer", "Parts", "call", "order", "fold", "rebuild",
    "input_names", "PARAMETER_KINDS", "argument_of", "Over", "Saved", "SAVED_KINDS",
]  # fmt: skip

# Weight kinds that are parameters; "buffer" (PyTorch state) and "tied" (another layer's weight,
# already counted there) are not.
PARAMETER_KINDS = ("trainable", "non_trainable")


@dataclass(frozen=True)
class Weight:
    """One weight tensor of a layer: Keras' `add_weight`, PyTorch's parameter or buffer.

    `kind` is "trainable", "non_trainable" (a Keras weight that is not trained, or any weight of a
    frozen layer), "buffer" (PyTorch state that is not a parameter, such as BatchNorm's running
    statistics: counted apart, never in the total) or "tied" (another layer's weight).
    """

    name: str
    shape: Shape
    kind: str = "trainable"

    @cached_property
    def size(self) -> sympy.Expr:
        # Kept: the params, trainable and non-trainable totals each read it, and past sympy's
        # cache (1,000 entries) a deep model would multiply every shape out again.
        return product(self.shape)

    def __str__(self) -> str:
        return f"{self.name}{format_shape(self.shape)}"


# What a tensor autograd keeps is stored as, besides the floating-point numbers `--dtype` sizes
# ("float"): "index" is int64 (max-pool indices, embedding ids), "mask" a bool, "stat" a
# normalization's statistic and "float32" a tensor upcast to float32 (float32 when the dtype is
# 16-bit); "scores" are attention's scores (recomputed under selective recomputation), "scores32"
# scores a softmax makes in float32 and "scores_cast" their copy in a 16-bit dtype (none in
# float32).
SAVED_KINDS = ("float", "index", "mask", "stat", "float32", "scores", "scores32", "scores_cast")


@dataclass(frozen=True)
class Saved:
    """What one call of a layer keeps for the backward pass of a training step, per example, as
    PyTorch's implementation keeps it (read with `torch.autograd.graph.saved_tensors_hooks`).

    `inputs` says, per input tensor, the kind it is kept as (None: not kept); `output` whether the
    output is kept; `extra` the new tensors kept, each (elements, kind). `weights_only` marks the
    inputs kept only for the weights' gradients (a Linear's input): a frozen layer keeps them not.
    `view` says the output shares the input's storage (a reshape, dropout of rate 0), so a later
    layer keeping it keeps the input's storage. Storages are counted once per graph: the fold
    notes, for each input, whether an earlier node already keeps it (`Row.kept_before`).
    """

    inputs: tuple[str | None, ...] = ()
    output: bool = False
    extra: tuple[tuple[sympy.Expr, str], ...] = ()
    weights_only: tuple[bool, ...] = ()
    view: bool = False

    def keeps_input(self, index: int) -> str | None:
        return self.inputs[index] if index < len(self.inputs) else None


class Input:
    """A model's input, batch axis excluded: `Input(H, W, C)` or `Input((H, W, C), name="x")`.

    Inputs are tensors of a graph: each `Input(...)` is its own tensor (compared by identity, as
    Keras' are), which is what lets two inputs of the same shape feed different branches.
    """

    __slots__ = ("name", "shape")
    shape: Shape | None  # None only for a block's placeholder, whose shape comes when it is used
    name: str | None

    def __init__(self, *shape: Any, name: str | None = None) -> None:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if not shape:
            raise ShapeError("Input needs at least one axis, e.g. Input(784) or Input(H, W, C)")
        try:
            with rules.context(lambda text, _: f"Input: {text}"):
                sizes = tuple(as_size(dim, f"shape[{i}]") for i, dim in enumerate(shape))
        except SymcountError as error:
            raise error.with_context("Input") from None
        object.__setattr__(self, "shape", sizes)
        object.__setattr__(self, "name", name)

    @classmethod
    def placeholder(cls, name: str | None = None) -> Input:
        """An input of no fixed shape: the entry of a block that is folded on other inputs."""
        item = object.__new__(cls)
        object.__setattr__(item, "shape", None)
        object.__setattr__(item, "name", name)
        return item

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Input is immutable")

    def __repr__(self) -> str:
        shape = "?" if self.shape is None else format_shape(self.shape)
        return f"Input{shape}" if self.name is None else f"Input({self.name}: {shape})"

    def xreplace(self, mapping: Mapping[sympy.Symbol, sympy.Expr]) -> Input:
        if self.shape is None:
            return Input.placeholder(self.name)
        written = {f"shape[{i}]": dim for i, dim in enumerate(self.shape)}
        try:
            with rules.context(lambda text, v: users_terms_said(text, written, mapping, v)):
                return Input(*(dim.xreplace(mapping) for dim in self.shape), name=self.name)
        except SymcountError as error:
            raise in_users_terms(error, written, dict(mapping)) from None


@dataclass(frozen=True)
class Over:
    """A part's multiplier that sums instead of multiplying: its rows hold a copy `index` and the
    part stands for copies 0 .. count - 1 (a block repeated a symbolic number of times whose
    input grows by a fixed amount per copy, as DenseNet's do)."""

    index: sympy.Symbol
    count: sympy.Expr

    def total(self, expr: sympy.Expr) -> sympy.Expr:
        return sum_over(expr, self.index, self.count)


# A layer made of others (a repeated block) says how its rows add up: (multiplier, rows) pairs,
# the multiplier a number of identical copies or an `Over` of copies that differ by their index.
Parts: TypeAlias = "tuple[tuple[sympy.Expr | Over, tuple[Row, ...]], ...]"


class GraphLayer(Protocol):
    """What the fold asks of a layer (symcount.layers.Layer is the one implementation)."""

    name: str | None
    kind: str
    merges: bool
    most_inputs: int
    tie: str | None
    trainable: bool

    def output_shape(self, input_shape: Any, target: Target) -> Shape: ...

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]: ...

    def parts(self, input_shape: Any, target: Target) -> Parts | None: ...

    def check_channels(self, input_shape: Shape, target: Target) -> None: ...

    def saved(self, input_shape: Any, target: Target) -> Saved: ...


_serials = itertools.count()


@dataclass(frozen=True, eq=False)
class Node:
    """A tensor made by applying `layer` to `inputs`: the edge list of a graph, nothing computed.

    `serial` records creation order, which is always a topological order.
    """

    layer: Any  # a GraphLayer
    inputs: tuple[Tensor, ...]
    name: str | None = None
    serial: int = field(default_factory=lambda: next(_serials), compare=False)


Tensor: TypeAlias = "Input | Node"

# A per-layer quantity: a layer's answer for one input under one target (its MACs, say).
Quantity: TypeAlias = Callable[[Any, Any, Target], sympy.Expr]


@dataclass(frozen=True)
class Row:
    """One node of a folded graph: where it sits, what it sees and makes, and what it holds."""

    position: int
    name: str
    layer: Any  # a GraphLayer
    input_shape: Shape
    output_shape: Shape
    weights: tuple[Weight, ...]
    target: Target
    inputs: tuple[str, ...] = ()
    input_shapes: tuple[Shape, ...] = ()
    shared_with: str | None = None  # a later call of a layer: its weights are the first call's
    tied_to: str | None = None  # this node's first weight is that layer's first weight
    # For the backward pass: whether autograd records this node (an input needs a gradient, or
    # the layer has trainable weights), and the ledger of its graph's kept storages.
    records: bool = True
    ledger: Any = field(default=None, compare=False, repr=False)

    @property
    def kept_before(self) -> tuple[bool, ...]:
        """Per input, whether an earlier node of the same graph keeps that input's storage
        already (it is counted there); worked out for the whole graph on first asking."""
        return self.ledger.kept_before(self.position) if self.ledger is not None else ()

    @property
    def argument(self) -> Any:
        """What the layer's methods take: the input shape, or the tuple of them for a merge (or
        for a layer called on several tensors, as cross-attention is)."""
        return argument_of(self.layer, self.input_shapes or (self.input_shape,))

    def parts(self) -> Parts | None:
        """The rows a layer made of others (a repeated block) adds up, with their multipliers, on
        this node's inputs (context tensors too); None for a layer that answers itself."""
        return self.layer.parts(self.argument, self.target)  # type: ignore[no-any-return]

    def measure(self, quantity: Quantity) -> sympy.Expr:
        """A per-example quantity of this node (every call counts, shared or not). A layer made of
        others (a repeated block) adds up its parts' rows, each times its multiplier."""
        parts = self.parts()
        if parts is None:
            return quantity(self.layer, self.argument, self.target)
        totals = []
        for times, rows in parts:
            inner = sympy.Add(*(row.measure(quantity) for row in rows))
            totals.append(times.total(inner) if isinstance(times, Over) else times * inner)
        return sympy.Add(*totals)

    def saved(self, attention: str = "eager", kept_before: tuple[bool, ...] | None = None) -> Saved:
        """What this node keeps for the backward pass (see `Saved`), as its graph decided: nothing
        when autograd does not record it, inputs an earlier node keeps or a frozen layer's
        weight-only inputs dropped. `attention` is the attention kernel ("eager" or "sdpa")."""
        if not self.records:
            return Saved()
        saved: Saved = self.layer.saved(self.argument, self.target, attention)
        before = self.kept_before if kept_before is None else kept_before
        frozen = not self.layer.trainable
        kinds = tuple(
            None
            if kind is None
            or (k < len(before) and before[k])
            or (frozen and k < len(saved.weights_only) and saved.weights_only[k])
            else kind
            for k, kind in enumerate(saved.inputs)
        )
        return replace(saved, inputs=kinds)

    @property
    def macs(self) -> sympy.Expr:
        """Forward multiply-accumulates for one example."""
        return self.measure(lambda layer, x, target: layer.macs(x, target))

    @property
    def extra_flops(self) -> sympy.Expr:
        """Forward FLOPs outside multiply-accumulates (bias adds, activations...), one example."""
        return self.measure(lambda layer, x, target: layer.extra_flops(x, target))

    @property
    def activations(self) -> sympy.Expr:
        """Elements the forward pass produces for one example (a block's inner outputs too)."""
        return self.measure(lambda layer, x, target: layer.activations(x, target))

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
        """The layer's class as its framework names it: `Conv2D` under Keras, `Conv2d` under
        PyTorch (Keras' name where PyTorch has no such module)."""
        torch_class: str = getattr(self.layer, "torch_class", "")
        return torch_class if self.target.torch and torch_class else type(self.layer).__name__

    @property
    def framework(self) -> str:
        return self.target.framework


def call(layer: Any, inputs: Tensor | Sequence[Tensor], name: str | None = None) -> Node:
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


def order(outputs: Iterable[Tensor]) -> list[Tensor]:
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


def distinct_layers(outputs: Iterable[Tensor]) -> list[Any]:
    """Each layer the outputs depend on, once, in creation order."""
    seen: dict[int, Any] = {}
    for tensor in order(outputs):
        if isinstance(tensor, Node):
            seen.setdefault(id(tensor.layer), tensor.layer)
    return list(seen.values())


def default_name(layer: Any, target: Target) -> str:
    """What an unnamed layer is called: its spec key in the target's spelling (`dense` under
    Keras, `linear` under PyTorch), numbered from the second on (`dense_1`)."""
    torch_name: str = getattr(layer, "torch_name", "")
    return torch_name if target.torch and torch_name else str(layer.kind)


def _layer_names(nodes: Iterable[Node], target: Target) -> dict[int, str]:
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
        base = default_name(layer, target)
        count = seen[base]
        seen[base] += 1
        names[id(layer)] = base if count == 0 else f"{base}_{count}"
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


def input_names(inputs: Sequence[Input]) -> list[str]:
    """`input` for a model's one input, `input_0`, `input_1`... for several (unless named)."""
    if len(inputs) == 1:
        return [inputs[0].name or "input"]
    return [i.name or f"input_{k}" for k, i in enumerate(inputs)]


def _input_shapes(inputs: Sequence[Input], shapes: Mapping[int, Shape] | None) -> dict[int, Shape]:
    shape_of: dict[int, Shape] = {}
    for item in inputs:
        shape = (shapes or {}).get(id(item)) or item.shape
        if shape is None:
            raise SpecError("a placeholder input needs a shape to fold on")
        shape_of[id(item)] = shape
    return shape_of


def argument_of(layer: Any, in_shapes: tuple[Shape, ...]) -> Any:
    """What a layer's methods take for these inputs: the tuple of shapes for a merge or a call on
    several tensors (attention's query, value and key), the one shape otherwise."""
    return in_shapes if layer.merges or len(in_shapes) > 1 else in_shapes[0]


def _place(layer: Any, in_shapes: tuple[Shape, ...], target: Target) -> tuple[Shape, tuple[Weight, ...]]:
    """What one call of `layer` makes and holds: its output shape and weights, checked."""
    if not layer.merges and not 1 <= len(in_shapes) <= layer.most_inputs:
        most = "one input" if layer.most_inputs == 1 else f"at most {layer.most_inputs} inputs"
        raise ShapeError(f"{type(layer).__name__} takes {most}. Received: {len(in_shapes)}")
    argument: Any = argument_of(layer, in_shapes)
    if not layer.merges:
        layer.check_channels(in_shapes[0], target)
    output_shape = tuple(layer.output_shape(argument, target))
    weights = layer.weights(argument, target)
    for axis, dim in enumerate(output_shape):
        check_size(dim, f"output axis {axis}")
    return output_shape, weights


def fold(
    inputs: Sequence[Input],
    outputs: Sequence[Tensor],
    target: Target,
    shapes: Mapping[int, Shape] | None = None,
) -> tuple[Row, ...]:
    """The rows of the graph from `inputs` to `outputs` under `target`; `shapes` (by id of an
    Input) overrides the shapes the inputs carry, so a block built on a placeholder folds on any
    input."""
    tensors = order(outputs)
    nodes = [t for t in tensors if isinstance(t, Node)]
    given = {id(i) for i in inputs}
    if any(isinstance(t, Input) and id(t) not in given for t in tensors):
        raise SpecError("an output depends on an Input that is not among the model's inputs")
    layer_names = _layer_names(nodes, target)
    _unique(layer_names.values(), "layer")
    names = input_names(inputs)
    tensor_names: dict[int, str] = {id(i): names[k] for k, i in enumerate(inputs)}
    shape_of = _input_shapes(inputs, shapes)
    calls: Counter[int] = Counter()
    first_call: dict[int, Row] = {}
    rows: list[Row] = []
    # For the backward pass: which tensors need a gradient (a block's entry does; a model's input
    # not), and the ledger that finds, when first asked, which storages earlier nodes keep.
    grads: dict[int, bool] = {id(i): i.shape is None for i in inputs}
    ledger = Ledger()
    for position, node in enumerate(nodes, start=1):
        layer = node.layer
        calls[id(layer)] += 1
        layer_name = layer_names[id(layer)]
        name = node.name or (layer_name if calls[id(layer)] == 1 else f"{layer_name}#{calls[id(layer)]}")
        in_shapes = tuple(shape_of[id(t)] for t in node.inputs)
        shared = first_call.get(id(layer))
        where = f"layer {position} ({name}), input shape"

        def wrap(
            text: str, v: Callable[[Any], str], where: str = where, shapes: tuple[Shape, ...] = in_shapes
        ) -> str:
            return f"{where} {', '.join(format_shape(s, v) for s in shapes)}: {text}"

        try:
            with rules.context(wrap):
                output_shape, weights = _place(layer, in_shapes, target)
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
        trains = any(w.kind == "trainable" for w in (shared.weights if shared is not None else weights))
        records = trains or any(grads[id(t)] for t in node.inputs)
        row = Row(
            position, name, layer, in_shapes[0], output_shape, weights, target,
            inputs=tuple(tensor_names[id(t)] for t in node.inputs), input_shapes=in_shapes,
            shared_with=shared.name if shared is not None else None,
            records=records, ledger=ledger,
        )  # fmt: skip
        grads[id(node)] = records
        first_call.setdefault(id(layer), row)
        rows.append(row)
        tensor_names[id(node)] = name
        shape_of[id(node)] = output_shape
    _unique([r.name for r in rows] + list(names), "node")
    placed = _tie(tuple(rows))
    ledger.rows = placed
    return placed


class Ledger:
    """Which storages the nodes of one folded graph keep, worked out once, when a cost first asks:
    each node's inputs are kept already when an earlier node keeps their storage (as its output,
    or as an input of its own); a view (`Saved.view`) shares its input's storage."""

    def __init__(self) -> None:
        self.rows: tuple[Row, ...] = ()
        self._kept: list[tuple[bool, ...]] | None = None

    def kept_before(self, position: int) -> tuple[bool, ...]:
        if self._kept is None:
            self._kept = self._work_out()
        return self._kept[position - 1]

    def _work_out(self) -> list[tuple[bool, ...]]:
        storage: dict[str, str] = {}
        kept: set[str] = set()
        found: list[tuple[bool, ...]] = []
        for row in self.rows:
            sources = [storage.get(name, name) for name in row.inputs]
            before = tuple(source in kept for source in sources)
            found.append(before)
            saved = row.saved(kept_before=before)
            storage[row.name] = sources[0] if saved.view and sources else row.name
            if row.records:
                kept.update(source for k, source in enumerate(sources) if saved.keeps_input(k))
                if saved.output:
                    kept.add(storage[row.name])
        return found


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
        tied.append(replace(row, weights=weights, tied_to=target.name))
    return tuple(tied)


def rebuild(
    outputs: Sequence[Tensor], layer: Callable[[Any], Any], tensor: Callable[[Input], Input]
) -> dict[int, Tensor]:
    """A copy of the graph under `outputs` with every layer and Input mapped through `layer` and
    `tensor` (each distinct object once, so shared layers stay shared). Returns old id -> new."""
    new: dict[int, Tensor] = {}
    layers: dict[int, Any] = {}
    for item in order(outputs):
        if isinstance(item, Input):
            new[id(item)] = tensor(item)
            continue
        if id(item.layer) not in layers:
            layers[id(item.layer)] = layer(item.layer)
        new[id(item)] = Node(layers[id(item.layer)], tuple(new[id(t)] for t in item.inputs), item.name)
    return new
