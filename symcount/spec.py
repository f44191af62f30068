"""Spec files: networks written in YAML, and the built-in examples.

A spec names its layers by the snake_case of the Keras class (`conv2d`, `max_pooling2d`) and their
arguments by Keras' names. Sizes may be numbers or expressions in symbols; they reach the layers as
text and go through the restricted parser there, never through `eval`.

    name: lesson-cnn
    input: [H, W, C]
    values: {H: 28, W: 28, C: 1, f: 10, k: 3}
    layers:
      - conv2d: {filters: f, kernel_size: k, padding: same}
      - flatten
      - dense: 3            # shorthand: the layer's first argument
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sympy

from .errors import ShapeError, SpecError, SymcountError, one_line, shown
from .graph import Input, default_name, order
from .layers import find_layer, layer_keys
from .layers.base import Layer, settle_options
from .model import Model, Sequential
from .target import FRAMEWORKS, Target, as_target
from .values import as_expr, bind, check_label, check_names, suggest, symbol
from .yamlsafe import MAX_SIZE, load_yaml

if TYPE_CHECKING:
    from .layers.repeat import Block

__all__ = ["Spec", "load_spec", "parse_spec", "build", "examples", "build_layer"]

TOP_LEVEL_KEYS = ("name", "description", "input", "values", "layers", "outputs", "blocks", "framework")
MAX_ENTRIES = 10_000  # layer entries in a spec (layers and blocks); the zoo's largest has 75
MAX_REPEAT_DEPTH = 8  # blocks within blocks; the zoo's go 2 deep


@dataclass(frozen=True)
class Spec:
    """A network as written in a spec file, before any value is substituted.

    `input` is one shape (a model with one input, called `input`) or a mapping of names to shapes.
    A layer entry may name its `inputs` (default: the entry before it), reuse a named layer with
    `use`, or be a `repeat` of a block; then the spec is a graph, as Keras' functional models are.
    """

    name: str
    input: tuple[Any, ...] | Mapping[str, Any]
    layers: tuple[Any, ...]
    description: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    framework: str = "keras"
    outputs: tuple[str, ...] = ()
    blocks: Mapping[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> Target:
        return as_target(self.framework)

    def model(self) -> Model:
        """The symbolic model: every symbol free, whatever `values` says."""
        shapes = self.input if isinstance(self.input, Mapping) else {"input": self.input}
        inputs = {}
        for name, shape in shapes.items():
            try:
                inputs[name] = Input(*(shape if isinstance(shape, (list, tuple)) else (shape,)), name=name)
            except SymcountError as error:
                raise error.with_context(
                    f"input {name!r}" if isinstance(self.input, Mapping) else "input"
                ) from None
        scope: dict[str, Any] = dict(inputs)
        made: list[tuple[str, Any]] = []
        try:
            return self._fold(inputs, scope, made)
        except ShapeError as error:
            if not any(_leading_one(shape) for shape in shapes.values()):
                raise
            raise ShapeError(
                f"{one_line(str(error))} (the input starts with 1: the batch axis is not part of "
                "`input:`, which is one example's shape, e.g. [3, 224, 224] for PyTorch's (1, 3, 224, 224))"
            ) from None

    def _fold(self, inputs: dict[str, Input], scope: dict[str, Any], made: list[tuple[str, Any]]) -> Model:
        last = compile_entries(
            self.layers,
            scope,
            next(reversed(inputs.values())),
            self.target,
            self.blocks,
            made=made,
            state=_Compiling(),
        )
        outputs = [last]
        if self.outputs:
            outputs = [_lookup(scope, name, "outputs") for name in self.outputs]
        check_reached(made, outputs, "the model", "list it under `outputs` to keep it as a side output")
        graph = Model(list(inputs.values()), outputs, name=self.name, framework=self.target)
        if len(inputs) == 1 and not self.outputs and graph.is_chain:
            graph = Sequential(
                *graph.inputs, *(row.layer for row in graph.rows), name=self.name, framework=self.target
            )
        graph.defaults = dict(self.values)  # what `summary()` shows numbers at
        return graph

    def known_names(self, model: Model) -> list[str]:
        """Names a `--set` may give: those the spec mentions (input, values or layers)."""
        return sorted({s.name for s in model.symbols} | set(self.values))

    def roots(self, model: Model) -> list[str]:
        """Names only the spec's values use, never the layers: a family's coefficients (`a` in
        `values: {a: 2, u: 2*a}`). They are part of the spec's vocabulary like the model's own."""
        used = {s.name for s in model.symbols}
        return [name for name in self.values if name not in used]

    def root_values(
        self, model: Model, overrides: Mapping[str, Any], defaults: bool = True
    ) -> dict[str, sympy.Expr]:
        """The values of `roots` (the spec's, overridden by `overrides`), for saying which values
        a count used: `a=2` beside `u=4`."""
        roots = self.roots(model)
        if not roots:
            return {}
        given = {**(self.values if defaults else {}), **overrides}
        return {name: value for name, value in bind(given).items() if name in roots}

    def in_roots(self, model: Model, roots: Sequence[str], overrides: Mapping[str, Any] = {}) -> Model:
        """`model` re-expressed so that `roots` are its symbols: every value of the model's own
        symbols that depends on one of them (`u: 2*a`) substituted, in their terms, unless
        `overrides` gives that symbol; the other values are left to the caller.

        Example:
            >>> spec = parse_spec({"input": [8], "values": {"a": 2, "u": "2*a"}, "layers": [{"dense": "u"}]})
            >>> spec.in_roots(spec.model(), ["a"]).params
            18*a
        """
        every = self.roots(model)
        roots = [name for name in roots if name in every]
        if not every:
            return model
        used = {s.name for s in model.symbols}
        derived = [name for name in self.values if name in used and name not in overrides]
        free: dict[str, Any] = {name: name for name in (*used, *every)}  # every other symbol free
        depends = bind({**free, **{name: self.values[name] for name in derived}})
        given = {name: value for name, value in {**self.values, **overrides}.items() if name not in used}
        given.update({name: name for name in (*used, *roots)})
        bound = bind({**given, **{name: self.values[name] for name in derived}})
        wanted = {symbol(name) for name in every}
        return model.xreplace({name: bound[name] for name in derived if depends[name].free_symbols & wanted})

    def values_for(
        self,
        model: Model,
        overrides: Mapping[str, Any],
        defaults: bool = True,
        where: str = "--set",
        free: Sequence[str] = (),
    ) -> dict[str, sympy.Expr]:
        """The values to substitute: the spec's own (if `defaults`) overridden by `overrides`,
        names checked (the one place a user's names are), parsed and resolved, once.

        Values may refer to each other (`f: 2*k`); the `free` symbols stay free in every other
        value (`f: 2*k` with k free stays 2*k). The result keeps only the model's symbols.
        """
        known = self.known_names(model)
        bind(overrides, known, where)  # checks the names, one wording
        given = {**(self.values if defaults else {}), **overrides}
        for name in free:
            given[name] = name
        used = {s.name for s in model.symbols}
        bound = bind(given)
        return {name: value for name, value in bound.items() if name in used and name not in free}


NODE_KEYS = ("inputs", "use")


def _leading_one(shape: Any) -> bool:
    """True for a shape written with a leading 1 and more axes after it: torchinfo's habit of
    giving the batch too (`input: [1, 3, 224, 224]`)."""
    return isinstance(shape, (list, tuple)) and len(shape) >= 3 and str(shape[0]).strip() == "1"


def _lookup(scope: Mapping[str, Any], name: Any, where: str) -> Any:
    if not isinstance(name, str) or name not in scope:
        known = sorted(scope)
        raise SpecError(
            f"{where}: no tensor named {name!r}{suggest(str(name), known)}; known: {', '.join(known)} "
            "(give a layer a `name` to refer to it)"
        )
    return scope[name]


@dataclass(frozen=True)
class _Compiling:
    """What compiling a spec has used so far: the entries built (`built[0]`, shared by every
    block; a block counts each time it is built), and the chain of blocks being built."""

    built: list[int] = field(default_factory=lambda: [0])
    chain: tuple[str, ...] = ()

    def inside(self, block: str, named: bool = True) -> _Compiling:
        """Compiling one level down, in a named block (which must not be open already: it would
        repeat itself) or in layers written inline (`named` false: they nest, never recur)."""
        if named and block in self.chain:
            raise SpecError(f"block {block!r} repeats itself: {' -> '.join((*self.chain, block))}")
        if len(self.chain) >= MAX_REPEAT_DEPTH:
            raise SpecError(f"repeats nest more than {MAX_REPEAT_DEPTH} deep")
        return _Compiling(self.built, (*self.chain, block))

    def count(self) -> None:
        self.built[0] += 1
        if self.built[0] > MAX_ENTRIES:
            raise SpecError(
                f"the spec builds more than {MAX_ENTRIES:,} layer entries (each use of a block builds it again)"
            )


def compile_entries(
    entries: Sequence[Any],
    scope: dict[str, Any],
    previous: Any,
    target: Target,
    blocks: Mapping[str, Any],
    where: str = "layer",
    made: list[tuple[str, Any]] | None = None,
    state: _Compiling | None = None,
) -> Any:
    """Apply each entry's layer to its inputs (default: the entry before), naming nodes in `scope`.

    Returns the last tensor. `scope` maps names to tensors: the inputs, then every named node;
    `made` (if given) receives each entry's tensor, with words that name the entry; `state`
    counts the entries built, and the blocks being built, against the spec's limits.
    """
    state = state or _Compiling()
    layers: dict[str, Layer] = {}
    kinds: Counter[str] = Counter()  # Keras-style names of unnamed layers, as the model gives them
    for position, entry in enumerate(entries, start=1):
        try:
            state.count()
            node_keys = {}
            if isinstance(entry, Mapping):
                node_keys = {k: entry[k] for k in NODE_KEYS if k in entry}
                entry = {k: v for k, v in entry.items() if k not in NODE_KEYS}
                _check_node_keys(node_keys)
            node_name = None
            if "use" in node_keys:
                extra = set(entry) - {"name"}
                if extra:
                    raise SpecError(
                        f"use takes only `name` and `inputs` beside it. Received: {', '.join(map(str, extra))}"
                    )
                used = node_keys["use"]
                if used not in layers:
                    raise SpecError(
                        f"use: no layer named {used!r}{suggest(str(used), sorted(layers))} before this entry"
                    )
                layer, node_name = layers[used], entry.get("name")
                if node_name is not None:
                    check_label(node_name)
            elif isinstance(entry, Mapping) and entry and next(iter(entry)) in BLOCK_ENTRIES:
                layer = build_block_entry(entry, target, blocks, state)
            else:
                layer = build_layer(entry, target)
            names = node_keys.get("inputs")
            if names is None:
                sources = [previous]
            else:
                names = names if isinstance(names, list) else [names]
                sources = [_lookup(scope, name, "inputs") for name in names]
            if layer.name is not None and "use" not in node_keys:
                if layer.name in layers or layer.name in scope:
                    raise SpecError(f"the name {layer.name!r} is taken")
                layers[layer.name] = layer
            several = layer.merges or len(_checked(sources, layer)) > 1
            previous = layer(sources if several else sources[0], name=node_name)
        except SymcountError as error:
            raise error.with_context(f"{where} {position}") from None
        key = node_name or layer.name
        if key is None and "use" not in node_keys:
            base = default_name(layer, target)
            count = kinds[base]
            kinds[base] += 1
            key = base if count == 0 else f"{base}_{count}"
        if key is not None:
            scope.setdefault(key, previous)
        if made is not None:
            made.append((f"{where} {position} ({key or node_name or layer.kind})", previous))
    return previous


def _check_node_keys(node_keys: Mapping[str, Any]) -> None:
    """`use` names a layer; `inputs` names a tensor or lists several."""
    if "use" in node_keys and not isinstance(node_keys["use"], str):
        raise SpecError(f"use names one layer, as text. Received: use={shown(node_keys['use'])}")
    names = node_keys.get("inputs")
    if names is not None and not all(
        isinstance(n, str) for n in (names if isinstance(names, list) else [names])
    ):
        raise SpecError(f"inputs names a tensor, or lists several, as text. Received: inputs={shown(names)}")
    if names == []:
        raise SpecError("inputs names a tensor, or lists several: it cannot be empty. Received: inputs=[]")


def check_reached(made: Sequence[tuple[str, Any]], outputs: Sequence[Any], what: str, keep: str) -> None:
    """Raise naming the first entry whose tensor reaches none of `outputs`: it would be dropped
    without a word (nothing computes it), which is never what a spec means."""
    reached = {id(tensor) for tensor in order(outputs)}
    for label, tensor in made:
        if id(tensor) not in reached:
            raise SpecError(f"{label} reaches no output of {what}: {keep}, or remove it")


def _checked(sources: list[Any], layer: Layer) -> list[Any]:
    """The inputs of a layer, unless it cannot take so many (only merges take any number)."""
    if not layer.merges and len(sources) > layer.most_inputs:
        if layer.most_inputs == 1:
            raise SpecError(
                f"{type(layer).__name__} takes one input; only merges (add, concatenate...) take several"
            )
        raise SpecError(
            f"{type(layer).__name__} takes at most {layer.most_inputs} inputs. Received: {len(sources)}"
        )
    return sources


BLOCK_ENTRIES = ("repeat", "block", "mixture_of_experts")
BODY_KEYS = ("layers", "block", "with")  # how an entry names its block


def _block_definition(
    name: Any, blocks: Mapping[str, Any]
) -> tuple[list[Any], tuple[str, ...], tuple[str, ...]]:
    """A named block's layers, argument names and context names: `name: [layers]` has none;
    `name: {args: [w, n], context: [memory], layers: [...]}` has those (the context tensors are
    read by every copy beside the block's input, and named in its layers)."""
    definition = blocks.get(name) if isinstance(name, str) else None
    if definition is None:
        known = sorted(blocks)
        raise SpecError(
            f"no block named {shown(name)}{suggest(str(name)[:100], known)}; blocks: {', '.join(known) or 'none'}"
        )
    lists: dict[str, Any] = {"args": (), "context": ()}
    if isinstance(definition, Mapping):
        unknown = set(definition) - {"args", "context", "layers"}
        if unknown:
            raise SpecError(
                f"block {name!r} takes `args`, `context` and `layers`. Received: {shown(sorted(map(str, unknown))[0])}"
            )
        for key in lists:
            items = definition.get(key) or []
            if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
                raise SpecError(f"block {name!r}: {key} is a list of names. Received: {key}={shown(items)}")
            if len(set(items)) != len(items):
                raise SpecError(f"block {name!r}: a name is given twice. Received: {key}={shown(items)}")
            lists[key] = tuple(items)
        definition = definition.get("layers")
    if not isinstance(definition, list) or not definition:
        raise SpecError(f"block {name!r} needs a non-empty list of layers")
    return definition, lists["args"], lists["context"]


def block_body(
    arguments: Mapping[str, Any],
    target: Target,
    blocks: Mapping[str, Any],
    what: str,
    state: _Compiling | None = None,
) -> Block:
    """The block a `repeat`, a `block` entry or a mixture's experts are made of: its own `layers`,
    or a named `block` with the values of its arguments under `with`, substituted into its layers
    as expressions (the arguments shadow any value of the same name)."""
    if ("layers" in arguments) == ("block" in arguments):
        raise SpecError(f"{what} takes exactly one of `layers` and `block`")
    given = arguments.get("with") or {}
    names: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    if "layers" in arguments:
        if "with" in arguments:
            raise SpecError(f"{what}: `with` gives a named block's arguments; `layers` take none")
        body = arguments["layers"]
        if not isinstance(body, list) or not body:
            raise SpecError(f"{what} needs a non-empty list of layers")
    else:
        if not isinstance(arguments["block"], str):
            raise SpecError(
                f"{what}'s block names a block, as text. Received: block={shown(arguments['block'])}"
            )
        body, names, context = _block_definition(arguments["block"], blocks)
        if not isinstance(given, Mapping):
            raise SpecError(f"{what}: `with` maps the block's arguments to values. Received: {shown(given)}")
        owner = f"block {arguments['block']!r}"
        check_names(given, names, f"{owner}'s `with`", owner=owner)
        missing = [argument for argument in names if argument not in given]
        if missing:
            example = ", ".join(f"{argument}: ..." for argument in missing)
            raise SpecError(f"{owner} needs {', '.join(missing)}: `with: {{{example}}}`")
    mapping = {symbol(str(name)): as_expr(value, str(name)) for name, value in given.items()}

    named = isinstance(arguments.get("block"), str)
    inner = (state or _Compiling()).inside(arguments["block"] if named else f"(a {what}'s layers)", named)

    def build(entry_tensor: Any, *context_tensors: Any) -> Any:
        made: list[tuple[str, Any]] = []
        scope = {"input": entry_tensor, **dict(zip(context, context_tensors))}
        exit_tensor = compile_entries(
            body, scope, entry_tensor, target, blocks, where="block layer", made=made, state=inner
        )
        check_reached(made, [exit_tensor], "its block", "a block's last layer is its output; feed it there")
        return exit_tensor

    from .layers.repeat import Block  # the family loads when a spec repeats a block

    try:
        block = Block.build(build, context)
    except SymcountError as error:
        used = [name for name in names if f"={name!r}" in str(error)]
        if used:  # an argument written where a layer takes a word (activation: act)
            raise SpecError(
                f"{what}: block {arguments['block']!r} uses its argument {used[0]!r} as a word "
                f"({one_line(str(error)).rsplit('Received: ', 1)[-1]}); block arguments are sizes only "
                "(numbers or expressions): write the word in the block's layers, or make two blocks"
            ) from None
        raise
    return block.map_layers(lambda layer: layer.xreplace(mapping)) if mapping else block


def _options(entry: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The options beside an entry's key (`name`, `trainable`), checked."""
    options = {k: v for k, v in entry.items() if k != key}
    unknown = set(options) - set(allowed)
    if unknown:
        raise SpecError(
            f"{key} takes only {' and '.join(f'`{a}`' for a in allowed)} beside it. Received: {shown(sorted(map(str, unknown))[0])}"
        )
    return options


def build_block_entry(
    entry: Mapping[str, Any], target: Target, blocks: Mapping[str, Any], state: _Compiling | None = None
) -> Layer:
    """`{repeat: {times: L, layers: [...]}}`, `{repeat: {times: L, block: NAME, with: {...}}}`,
    `{block: NAME, with: {...}}` (one use of a block) or `{mixture_of_experts: {num_experts: E,
    top_k: k, block: NAME}}`: inside a block, entries refer to its input as `input` and to each
    other by name."""
    from .layers.moe import MixtureOfExperts  # these families load when a spec uses them
    from .layers.repeat import Repeat

    key = next(iter(entry))
    if key == "block":
        options = _options(entry, key, ("with", "name", "trainable"))
        arguments = {"block": entry["block"], "with": options.pop("with", None)}
        return Repeat(1, block_body(arguments, target, blocks, "block", state), **options)
    options = _options(entry, key, ("name", "trainable"))
    arguments = entry[key]
    if key == "repeat":
        if not isinstance(arguments, Mapping) or "times" not in arguments:
            raise SpecError("repeat takes {times: N, layers: [...]} or {times: N, block: NAME}")
        allowed: tuple[str, ...] = ("times", *BODY_KEYS)
        unknown = set(arguments) - set(allowed)
        if unknown:
            name = sorted(map(str, unknown))[0]
            raise SpecError(
                f"repeat has no option {shown(name)}{suggest(name[:100], allowed)}; options: {', '.join(allowed)}"
            )
        return Repeat(arguments["times"], block_body(arguments, target, blocks, "repeat", state), **options)
    allowed = ("num_experts", "top_k", "router_bias", *BODY_KEYS)
    if not isinstance(arguments, Mapping) or not {"num_experts", "top_k"} <= set(arguments):
        raise SpecError("mixture_of_experts takes {num_experts: E, top_k: k, block: NAME} (or layers: [...])")
    unknown = set(arguments) - set(allowed)
    if unknown:
        name = sorted(map(str, unknown))[0]
        raise SpecError(
            f"mixture_of_experts has no option {shown(name)}{suggest(name[:100], allowed)}; options: {', '.join(allowed)}"
        )
    body = block_body(arguments, target, blocks, "mixture_of_experts", state)
    return MixtureOfExperts(
        arguments["num_experts"],
        arguments["top_k"],
        body,
        router_bias=arguments.get("router_bias", False),
        **options,
    )


def build_layer(entry: Any, target: Target | str = "keras") -> Layer:
    """One layer from its spec entry: `flatten`, `{dense: 3}`, `{dense: {units: 3}}`,
    `{conv2d: [f, 3]}` (positional, as in Python) or `{dense: 3, activation: relu}`.

    Under `framework: torch`, PyTorch's names work too: `{linear: {out_features: 3}}`.
    """
    target = as_target(target)
    if isinstance(entry, str):
        key, arguments, options = entry, None, {}
    elif isinstance(entry, Mapping) and entry:
        # The first key names the layer; any others are its options (`{dense: 3, activation: relu}`).
        key = next(iter(entry))
        arguments = entry[key]
        options = {k: v for k, v in entry.items() if k != key}
    else:
        raise SpecError(f"expected a layer name or a mapping like {{dense: 10}}. Received: {shown(entry)}")
    cls, other = find_layer(key, target.torch) if isinstance(key, str) else (None, "")
    if cls is None:
        if other == "torch":
            raise SpecError(f"{key!r} is PyTorch's spelling: use it in a spec with `framework: torch`")
        if other == "keras":
            raise SpecError(f"{key!r} is Keras' class: use it in a spec with `framework: keras`")
        known = sorted(layer_keys(target.torch))
        raise SpecError(f"unknown layer {shown(key)}{suggest(str(key)[:100], known)}")
    fields = dataclasses.fields(cls)
    positional = [f.name for f in fields if not f.kw_only]
    torch = cls.torch_spelling(key) if target.torch and (cls.torch_name or cls.torch_only) else None
    # A PyTorch spelling (PyTorch's name or class, or a key both frameworks share) under torch.
    torch_key = torch is not None and (key != cls.kind or cls.torch_only or key == cls.torch_name)
    if isinstance(arguments, Mapping):
        kwargs = dict(arguments)
    elif arguments is None:
        kwargs = {}
    else:
        # A list holds the positional arguments, as in a Python call, in Keras' order (the class's
        # `keras_positional`): `conv2d: [f, 3]`, and under `framework: torch` in PyTorch's order (`conv2d: [3, 16, 3]` is in_channels,
        # out_channels, kernel_size). A lone value is the layer's size in both (`linear: 10` is
        # out_features, `conv2d: 16` out_channels, `batch_norm2d: 16` num_features).
        values = list(arguments) if isinstance(arguments, list) else [arguments]
        if torch is not None and isinstance(arguments, list) and (torch.positional or cls.torch_only):
            positional = list(torch.positional)
        elif torch is not None and torch_key and torch.lone:
            positional = [torch.lone]
        elif torch is not None and torch_key and cls.torch_only:
            positional = list(torch.positional[:1])
        elif cls.keras_positional and not torch_key:  # Keras' order (under torch, for Keras' keys)
            positional = list(cls.keras_positional)
        if not positional and values:
            raise SpecError(f"{key} takes no positional values. Received: {shown(arguments)}")
        if len(values) > len(positional):
            raise SpecError(
                f"{key} takes at most {len(positional)} positional values. Received: {shown(arguments)}"
            )
        kwargs = dict(zip(positional, values))
    for name, value in options.items():
        if name in kwargs:
            raise SpecError(f"{key}: {name!r} given twice")
        kwargs[name] = value
    # Keras' options that change no count, checked and dropped (PyTorch's arguments aside).
    pytorch_names = (*torch.args, *torch.positional) if torch is not None else ()
    kwargs = _translate(key, cls.aliases, settle_options(cls, kwargs, target, keep=pytorch_names))
    written: dict[str, str] = {}  # our field -> PyTorch's name the user wrote, for errors
    if torch is not None:
        written = {torch.args[n]: n for n in kwargs if torch.args.get(n)}
        given = set(kwargs)
        kwargs = _translate(key, torch.args, kwargs)
        if torch_key:
            for name in torch.positional:
                field_name = torch.args.get(name, name)
                if (
                    name not in torch.defaults
                    and name not in cls.torch_input_side
                    and name not in given
                    and field_name != "channels_in"
                    and field_name not in kwargs
                ):
                    raise SpecError(f"{key} needs {name}, as PyTorch's {torch.module} does")
        for name, default in torch.defaults.items():
            field_name = torch.args.get(name, name)
            if field_name and field_name not in kwargs:
                kwargs[field_name] = default
        for name, value in torch.implied.items():
            kwargs.setdefault(name, value)
    names = [f.name for f in fields]
    for name in kwargs:
        if name not in names:
            hint = cls.elsewhere.get(str(name))
            where = f" ({hint})" if hint else suggest(str(name), names)
            raise SpecError(f"{key} has no option {shown(name)}{where}; options: {', '.join(names)}")
    missing = [
        f.name for f in fields
        if f.name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]  # fmt: skip
    if missing:
        example = f"{key}: {{{', '.join(f'{name}: ...' for name in missing)}}}"
        raise SpecError(f"{key} needs {' and '.join(missing)}, e.g. `{example}`")
    try:
        return make_layer(cls, kwargs, target)
    except SymcountError as error:
        raise _in_torch_terms(error, written) from None


def _in_torch_terms(error: SymcountError, written: Mapping[str, str]) -> SymcountError:
    """`error` naming the arguments as the user wrote them, in PyTorch's names (`bias=` where
    the layer says `use_bias=`)."""
    text = str(error)
    changed = text
    for ours, theirs in written.items():
        changed = re.sub(rf"\b{re.escape(ours)}=", f"{theirs}=", changed)
    if changed == text:
        return error
    found = type(error)(changed)
    found.__cause__ = error.__cause__
    return found


def make_layer(cls: type[Layer], kwargs: Mapping[str, Any], target: Target) -> Layer:
    """`cls(**kwargs)`, with the arguments that are layers themselves (Bidirectional's `layer`)
    built from their spec entries first, under the same target."""
    arguments = dict(kwargs)
    for name in cls.nested:
        entry = arguments.get(name)
        try:
            if isinstance(entry, list):  # several layers (StackedRNNCells' cells)
                arguments[name] = [e if isinstance(e, Layer) else build_layer(e, target) for e in entry]
            elif entry is not None and not isinstance(entry, Layer):
                arguments[name] = build_layer(entry, target)
        except SymcountError as error:
            raise error.with_context(name) from None
    return cls(**arguments)


def _translate(key: str, spellings: Mapping[str, str], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Arguments renamed from another spelling (PyTorch's, or Keras' where a field differs)."""
    translated: dict[str, Any] = {}
    for name, value in kwargs.items():
        ours = spellings.get(name, name)
        if not ours:  # an option that changes no count: accepted and dropped
            continue
        if ours in translated:
            raise SpecError(f"{key}: {ours!r} given twice (as {name!r} too)")
        translated[ours] = value
    return translated


def parse_spec(data: Any, source: str = "spec") -> Spec:
    """A `Spec` from already-loaded YAML data, with every key checked."""
    if not isinstance(data, Mapping):
        raise SpecError(
            f"{source}: expected a mapping with 'input' and 'layers'. Received: {type(data).__name__}"
        )
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise SpecError(
                f"{source}: unknown key {shown(key)}{suggest(str(key)[:100], list(TOP_LEVEL_KEYS))}"
            )
    for key in ("input", "layers"):
        if key not in data:
            raise SpecError(f"{source}: missing {key!r}")
    shape = _input(data["input"], source)
    outputs = data.get("outputs") or []
    outputs = outputs if isinstance(outputs, list) else [outputs]
    for output in outputs:
        if not isinstance(output, str):
            raise SpecError(f"{source}: 'outputs' names tensors, as text. Received: {shown(output)}")
    blocks = data.get("blocks") or {}
    if not isinstance(blocks, Mapping):
        raise SpecError(
            f"{source}: 'blocks' must map names to lists of layers (or to {{args, layers}}). Received: {shown(blocks)}"
        )
    for block_name, body in blocks.items():
        if not isinstance(block_name, str) or not (
            (isinstance(body, list) and body) or isinstance(body, Mapping)
        ):
            raise SpecError(
                f"{source}: 'blocks' must map names to non-empty lists of layers (or to {{args, layers}}). "
                f"Received: {shown(block_name)}: {shown(body)}"
            )
    layers = data["layers"]
    if not isinstance(layers, list) or not layers:
        raise SpecError(f"{source}: 'layers' must be a non-empty list. Received: {shown(layers)}")
    entries = len(layers) + sum(_block_size(body) for body in blocks.values())
    if entries > MAX_ENTRIES:
        raise SpecError(
            f"{source}: a spec holds at most {MAX_ENTRIES:,} layer entries. Received: {entries:,}"
        )
    values = data.get("values") or {}
    if not isinstance(values, Mapping):
        raise SpecError(f"{source}: 'values' must be a mapping like {{H: 28}}. Received: {shown(values)}")
    for key in values:
        if not isinstance(key, str):
            raise SpecError(f"{source}: 'values' is keyed by names. Received: {shown(key)}")
    framework = data.get("framework", "keras")
    if not isinstance(framework, str) or framework not in FRAMEWORKS:
        raise SpecError(
            f"{source}: framework must be one of {', '.join(FRAMEWORKS)}. Received: {shown(framework)}"
        )
    for key in ("name", "description"):
        if data.get(key) is not None and not isinstance(data[key], (str, int, float)):
            raise SpecError(f"{source}: {key!r} must be text. Received: {shown(data[key])}")
    return Spec(
        name=one_line(str(data.get("name") or Path(source).stem), 200),
        description=one_line(str(data.get("description") or ""), 500),
        input=shape,
        layers=tuple(layers),
        values=dict(values),
        framework=framework,
        outputs=tuple(outputs),
        blocks=dict(blocks),
    )


def _block_size(body: Any) -> int:
    """How many entries a block holds, whether written as a list or as {args, layers}."""
    layers = body.get("layers") if isinstance(body, Mapping) else body
    return len(layers) if isinstance(layers, list) else 0


def _input(shape: Any, source: str) -> tuple[Any, ...] | dict[str, Any]:
    """`input`: one shape (a list of sizes, or one size), or a non-empty mapping of names to shapes."""
    if isinstance(shape, Mapping):
        if not shape:
            raise SpecError(f"{source}: 'input' maps names to shapes, and needs at least one. Received: {{}}")
        for name, each in shape.items():
            try:
                check_label(name, "input name")
            except SpecError as error:
                raise error.with_context(source) from None
            _shape(each, f"{source}: input {name!r}")
        return dict(shape)
    return _shape(shape, f"{source}: input")


def _shape(shape: Any, where: str) -> tuple[Any, ...]:
    sizes = tuple(shape) if isinstance(shape, list) else (shape,)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, (str, int, float, sympy.Expr)):
            raise SpecError(f"{where}: expected sizes (numbers or expressions). Received: {shown(size)}")
    return sizes


def examples() -> dict[str, str]:
    """Built-in example names and their one-line descriptions."""
    found = {}
    for item in sorted(
        (resources.files("symcount") / "examples").iterdir(), key=lambda p: p.name.split(".")[0]
    ):
        if item.name.endswith(".yaml"):
            data = load_yaml(item.read_text(encoding="utf-8"), item.name)
            found[item.name[: -len(".yaml")]] = str(data.get("description", ""))
    return found


def load_spec(source: str | Path) -> Spec:
    """A spec from a file path if such a file exists, otherwise from a built-in example's name."""
    path = Path(source)
    if path.is_file():
        try:
            if path.stat().st_size > 4 * MAX_SIZE:  # read no further than needed to refuse it
                raise SpecError(f"{source}: a spec file holds at most {MAX_SIZE:,} characters")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SpecError(f"{source}: cannot read: {error}") from None
        return parse_spec(load_yaml(text, str(source)), str(source))
    name = str(source)
    resource = resources.files("symcount") / "examples" / f"{name}.yaml"
    if name.replace("-", "").replace("_", "").isalnum() and resource.is_file():
        return parse_spec(load_yaml(resource.read_text(encoding="utf-8"), name), name)
    names = sorted(examples())
    raise SpecError(
        f"no spec file or built-in example named {name!r}{suggest(name, names)}; examples: {', '.join(names)}"
    )


def build(source: str | Path, values: Mapping[str, Any] | None = None, defaults: bool = True) -> Model:
    """The model of a spec file or example, with its values (and `values`) substituted."""
    spec = load_spec(source)
    model = spec.model()
    return model.xreplace(spec.values_for(model, values or {}, defaults=defaults))
