"""Models: a graph of layers from inputs to outputs, folded once into rows and totals.

A model is its inputs and its output tensors (symcount.graph records the nodes and folds them under
the model's `Target`); `Sequential` is the chain. Everything else (each node's shapes, weights and
counts, and the totals) is computed once, when the model is made. Substitution gives a new model,
folded again, so every layer re-checks its shapes with the new values and errors name the node at
fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from . import rules
from .errors import ShapeError, SpecError, SymcountError, missing_values
from .graph import Input, Node, Row, Tensor, fold, input_names, order, rebuild
from .layers.base import Layer, torch_spelled
from .shapes import Shape
from .target import KERAS, TORCH, Target, as_target
from .values import as_size, bind

__all__ = ["Row", "Model", "Sequential"]


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
        framework: Target | str | None = None,
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
        self.name = name
        self.target: Target = _target_of(self.outputs, framework)
        # Examples per forward pass: a factor of every compute cost (never of parameters), and a
        # symbol like any other (`batch="B"`).
        try:
            self.batch: sympy.Expr = as_size(batch, "batch")
        except SymcountError as error:
            raise error.with_context("model") from None
        self.rows: tuple[Row, ...] = fold(self.inputs, self.outputs, self.target)
        # A spec's values, when a spec made this model (Spec.model): what `summary()` shows
        # numbers at unless given others. The model itself stays symbolic.
        self.defaults: dict[str, Any] = {}

    @property
    def framework(self) -> str:
        """The framework whose conventions the counts follow ("keras" or "torch")."""
        return self.target.framework

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
        nodes = [t for t in order(self.outputs) if isinstance(t, Node)]
        for node, row in zip(nodes, self.rows):
            shape_of[id(node)] = row.output_shape
        return tuple(shape_of[id(o)] for o in self.outputs)  # type: ignore[misc]

    @property
    def is_chain(self) -> bool:
        """True when every node reads the one before it (a Sequential model's shape)."""
        previous = input_names(self.inputs)[0] if len(self.inputs) == 1 else None
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
        given = {**(values or {}), **more}
        if not given:
            return self
        bound = bind(given, [s.name for s in self.symbols], "subs", "the model")
        return self.xreplace(bound)

    def xreplace(self, values: Mapping[str, sympy.Expr]) -> Model:
        """The same model with values already checked and resolved (`values.bind`) substituted:
        symbol name -> expression. Names the model does not mention are ignored."""
        known = {s.name: s for s in self.symbols}
        mapping = {known[name]: value for name, value in values.items() if name in known}
        if not mapping:
            return self
        positions = {id(row.layer): row for row in reversed(self.rows)}

        def new_layer(layer: Layer) -> Layer:
            row = positions[id(layer)]
            where = f"layer {row.position} ({row.name})"
            try:
                with rules.context(lambda text, _: f"{where}: {text}"):
                    return layer.xreplace(mapping)
            except SymcountError as error:
                raise error.with_context(where) from None

        def new_input(item: Input) -> Input:
            try:
                with rules.context(lambda text, _: f"input: {text}"):
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
        return Model(inputs, outputs, name=self.name, framework=self.target, batch=batch)

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

    # Every registered cost (symcount.costs.COSTS), as the command line's --cost gives it.

    def cost(
        self,
        name: str,
        values: Mapping[Any, Any] | None = None,
        /,
        *,
        dtype: str = "float32",
        optimizer: str = "adam",
        extras: bool = False,
        batch: Any = None,
        **more: Any,
    ) -> sympy.Expr:
        """The total of one registered cost (any name of `symcount.costs.COSTS`: `params`, `flops`,
        `kv_cache`, `active_params`...; `training-flops` as the command line spells it), with
        `values` substituted, on `batch` examples when given (as `--batch`).

        Example:
            >>> from symcount import Dense, Input, Sequential, symbols
            >>> n, h = symbols("n h")
            >>> model = Sequential(Input(n), Dense(h))
            >>> model.cost("flops"), model.cost("memory", dtype="bfloat16", h=10, n=4)
            (2*h*n, 100)
            >>> model.cost("flops", batch=32, n=4, h=10)
            2560
        """
        from .costs import Convention, Measure

        if not isinstance(name, str):
            raise SpecError(f"cost names one cost. Received: {name!r}")
        model = self.with_batch(batch) if batch is not None else self
        model = model.subs(values, **more) if values or more else model
        return Measure(name.strip().replace("-", "_"), Convention(dtype, optimizer, extras)).total(model)

    @property
    def macs(self) -> sympy.Expr:
        """Forward multiply-accumulates per example (per batch for a batched model)."""
        return self.cost("macs")

    @property
    def flops(self) -> sympy.Expr:
        """Forward FLOPs (1 MAC = 2 FLOPs; `cost("flops", extras=True)` adds the rest)."""
        return self.cost("flops")

    @property
    def training_flops(self) -> sympy.Expr:
        """Training FLOPs: 3 forward passes."""
        return self.cost("training_flops")

    @property
    def activations(self) -> sympy.Expr:
        """Elements every layer outputs, per example."""
        return self.cost("activations")

    def activation_memory(self, dtype: str = "float32") -> sympy.Expr:
        """Bytes autograd keeps for the backward pass of a training step (per example, or per
        batch for a batched model), as PyTorch keeps them (docs/costs.md)."""
        return self.cost("activation_memory", dtype=dtype)

    def memory(self, dtype: str = "float32", optimizer: str | None = None) -> sympy.Expr:
        """Bytes of the parameters in `dtype`; with an `optimizer` ("adam", "momentum", "sgd"),
        of a training step: parameters, a gradient and the optimizer's states per trainable one,
        and the activations autograd keeps."""
        if optimizer is None:
            return self.cost("memory", dtype=dtype)
        return self.cost("training_memory", dtype=dtype, optimizer=optimizer)

    def kv_cache(self, dtype: str = "float32") -> sympy.Expr:
        """Bytes of the keys and values attention keeps while decoding."""
        return self.cost("kv_cache", dtype=dtype)

    def formula(self, form: str = "expand", cost: str = "params") -> sympy.Expr:
        """The total of `cost` in a `form`: "expand", "factor", "simplify" or "built", as
        `symcount formula --form` prints it."""
        from .algebra import formula

        return formula(self.cost(cost), form)

    def summary(
        self, values: Mapping[Any, Any] | None = None, /, *, print_fn: Any = None, **options: Any
    ) -> None:
        """Print the per-layer table, as Keras' `model.summary()` does, and return None; in
        IPython or Jupyter, display it (HTML, formulas as math); with `print_fn`, hand it the
        text instead. Values as a mapping or as keywords (`H=28`); options: `cost` (a name, a
        comma-separated string or a list), `depth`, `width`, `dtype`, `optimizer`, `extras`,
        `batch`. A spec's model shows numbers at the spec's values unless given others.
        `symcount.summary(...)` returns the table as an object instead.

        Example:
            >>> from symcount import load_spec
            >>> load_spec("lesson-dense").model().summary(h1=20, width=70)  # doctest: +ELLIPSIS
            Model: lesson-dense
            Input shape: (H, W)
            Values: H=28, W=28, h1=20, h2=10
            ...
        """
        from .display import show

        show(self, values, print_fn, **options)

    def page(self, values: Mapping[Any, Any] | None = None, /, **options: Any) -> Any:
        """The explorer page (symcount.render.page's `Page`): one self-contained HTML file (`.html`,
        `.save(path)`) with a slider per symbol, each given its first value in `values`; shown
        inline in Jupyter. Options: `cost` (a name or a list), `compare` and `compare_values` (a
        second model beside it), `dtype`, `optimizer`, `extras`, `description`."""
        from .display import page_of

        return page_of(self, values, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name or ''!s}, {len(self.rows)} nodes)"


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
        self, *layers: Any, name: str | None = None, framework: Target | str | None = None, batch: Any = 1
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
        nodes = [t for t in order(outputs) if isinstance(t, Node)]
        layers = (node.layer for node in nodes)
        return Sequential(inputs[0], *layers, name=self.name, framework=self.target, batch=batch)

    def __repr__(self) -> str:
        inner = ", ".join([repr(self.input), *(row.layer.describe() for row in self.rows)])
        return f"Sequential({inner})"


def _target_of(outputs: Sequence[Tensor], framework: Target | str | None) -> Target:
    """The model's target: the one asked for, else PyTorch's when a layer is written in PyTorch's
    spelling (`Conv2d(3, 16, 3)` reads channels first), else Keras'. A PyTorch spelling in a model
    asked to count as Keras is refused: it would be read in the other layout."""
    spelled = [t.layer for t in order(list(outputs)) if isinstance(t, Node) and torch_spelled(t.layer)]
    if framework is None:
        return TORCH if spelled else KERAS
    target = as_target(framework)
    if spelled and target.keras:
        cls = type(spelled[0])
        raise SpecError(
            f"{cls.torch_class} is PyTorch's spelling (channels first, PyTorch's weights), but the "
            "model was asked to count as Keras: drop framework='keras' (the model then counts as "
            f"PyTorch) or use Keras' {cls.__name__}"
        )
    return target


def _as_tuple(items: Any) -> tuple[Any, ...]:
    return tuple(items) if isinstance(items, (list, tuple)) else (items,)


def _as_int(expr: sympy.Expr, what: str) -> int:
    if expr.free_symbols:
        raise missing_values(what, sorted(s.name for s in expr.free_symbols))
    if not expr.is_Integer:
        raise ShapeError(f"{what} is not a whole number: {expr}")
    return int(expr)
