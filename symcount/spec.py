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
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import sympy
import yaml

from .errors import SpecError, SymcountError
from .graph import Input
from .layers import layer_class, layer_keys
from .layers.base import Layer
from .model import Model, Sequential
from .target import FRAMEWORKS, Target, as_target
from .values import bind, suggest

__all__ = ["Spec", "load_spec", "parse_spec", "build", "examples", "build_layer"]

TOP_LEVEL_KEYS = ("name", "description", "input", "values", "layers", "outputs", "blocks", "framework")


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
        last = compile_entries(self.layers, scope, next(reversed(inputs.values())), self.target, self.blocks)
        outputs = [last]
        if self.outputs:
            outputs = [_lookup(scope, name, "outputs") for name in self.outputs]
        graph = Model(list(inputs.values()), outputs, name=self.name, framework=self.target)
        if len(inputs) == 1 and not self.outputs and graph.is_chain:
            return Sequential(
                *graph.inputs, *(row.layer for row in graph.rows), name=self.name, framework=self.target
            )
        return graph

    def known_names(self, model: Model) -> list[str]:
        """Names a `--set` may give: those the spec mentions (input, values or layers)."""
        return sorted({s.name for s in model.symbols} | set(self.values))

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


def _lookup(scope: Mapping[str, Any], name: Any, where: str) -> Any:
    if not isinstance(name, str) or name not in scope:
        known = sorted(scope)
        raise SpecError(
            f"{where}: no tensor named {name!r}{suggest(str(name), known)}; known: {', '.join(known)} "
            "(give a layer a `name` to refer to it)"
        )
    return scope[name]


def compile_entries(
    entries: Sequence[Any],
    scope: dict[str, Any],
    previous: Any,
    target: Target,
    blocks: Mapping[str, Any],
    where: str = "layer",
) -> Any:
    """Apply each entry's layer to its inputs (default: the entry before), naming nodes in `scope`.

    Returns the last tensor. `scope` maps names to tensors: the inputs, then every named node.
    """
    layers: dict[str, Layer] = {}
    kinds: Counter[str] = Counter()  # Keras-style names of unnamed layers, as the model gives them
    for position, entry in enumerate(entries, start=1):
        try:
            node_keys = {}
            if isinstance(entry, Mapping):
                node_keys = {k: entry[k] for k in NODE_KEYS if k in entry}
                entry = {k: v for k, v in entry.items() if k not in NODE_KEYS}
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
            elif isinstance(entry, Mapping) and entry and next(iter(entry)) == "repeat":
                layer = build_repeat(entry, target, blocks)
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
            previous = layer(sources if layer.merges else _one(sources, layer), name=node_name)
        except SymcountError as error:
            raise error.with_context(f"{where} {position}") from None
        key = node_name or layer.name
        if key is None and "use" not in node_keys:
            count = kinds[layer.kind]
            kinds[layer.kind] += 1
            key = layer.kind if count == 0 else f"{layer.kind}_{count}"
        if key is not None:
            scope.setdefault(key, previous)
    return previous


def _one(sources: list[Any], layer: Layer) -> Any:
    if len(sources) != 1:
        raise SpecError(
            f"{type(layer).__name__} takes one input; only merges (add, concatenate...) take several"
        )
    return sources[0]


def build_repeat(entry: Mapping[str, Any], target: Target, blocks: Mapping[str, Any]) -> Layer:
    """`{repeat: {times: L, layers: [...]}}` or `{repeat: {times: L, block: name}}`: inside the
    block, entries refer to its input as `input` and to each other by name."""
    arguments = entry["repeat"]
    options = {k: v for k, v in entry.items() if k != "repeat"}
    if not isinstance(arguments, Mapping) or "times" not in arguments:
        raise SpecError("repeat takes {times: N, layers: [...]} or {times: N, block: NAME}")
    unknown = set(arguments) - {"times", "layers", "block"}
    if unknown:
        raise SpecError(f"repeat has no option {sorted(unknown)[0]!r}; options: times, layers, block")
    if ("layers" in arguments) == ("block" in arguments):
        raise SpecError("repeat takes exactly one of `layers` and `block`")
    body = arguments.get("layers")
    if "block" in arguments:
        body = blocks.get(arguments["block"])
        if body is None:
            raise SpecError(
                f"no block named {arguments['block']!r}; blocks: {', '.join(sorted(blocks)) or 'none'}"
            )
    if not isinstance(body, list) or not body:
        raise SpecError("a repeated block needs a non-empty list of layers")

    def block(entry_tensor: Any) -> Any:
        return compile_entries(
            body, {"input": entry_tensor}, entry_tensor, target, blocks, where="block layer"
        )

    unknown_options = set(options) - {"name", "trainable"}
    if unknown_options:
        raise SpecError(
            f"repeat takes only `name` and `trainable` beside it. Received: {sorted(unknown_options)[0]!r}"
        )
    from .layers.repeat import Repeat

    return Repeat(arguments["times"], block, **options)


def build_layer(entry: Any, target: Target | str = "keras") -> Layer:
    """One layer from its spec entry: `flatten`, `{dense: 3}`, `{dense: {units: 3}}`,
    `{conv2d: [f, 3]}` (positional, as in Python) or `{dense: 3, activation: relu}`.

    Under `framework: torch`, PyTorch's names work too: `{linear: {out_features: 3}}`.
    """
    target = as_target(target)
    known = layer_keys(target.torch)
    if isinstance(entry, str):
        key, arguments, options = entry, None, {}
    elif isinstance(entry, Mapping) and entry:
        # The first key names the layer; any others are its options (`{dense: 3, activation: relu}`).
        key = next(iter(entry))
        arguments = entry[key]
        options = {k: v for k, v in entry.items() if k != key}
    else:
        raise SpecError(f"expected a layer name or a mapping like {{dense: 10}}. Received: {entry!r}")
    if not isinstance(key, str) or key not in known:
        if not target.torch and key in layer_keys(True):
            raise SpecError(f"{key!r} is PyTorch's spelling: use it in a spec with `framework: torch`")
        raise SpecError(f"unknown layer {key!r}{suggest(str(key), sorted(known))}")
    cls = layer_class(key, target.torch)
    fields = dataclasses.fields(cls)
    positional = [f.name for f in fields if not f.kw_only]
    if isinstance(arguments, Mapping):
        kwargs = dict(arguments)
    elif arguments is None:
        kwargs = {}
    else:
        # A list holds the positional arguments, as in a Python call: `conv2d: [f, 3]`.
        values = list(arguments) if isinstance(arguments, list) else [arguments]
        if len(values) > len(positional):
            raise SpecError(
                f"{key} takes at most {len(positional)} positional values. Received: {arguments!r}"
            )
        kwargs = dict(zip(positional, values))
    for name, value in options.items():
        if name in kwargs:
            raise SpecError(f"{key}: {name!r} given twice")
        kwargs[name] = value
    kwargs = _translate(key, cls.aliases, kwargs)
    if target.torch:
        kwargs = _translate(key, cls.torch_args, kwargs)
    names = [f.name for f in fields]
    for name in kwargs:
        if name not in names:
            raise SpecError(
                f"{key} has no option {name!r}{suggest(str(name), names)}; options: {', '.join(names)}"
            )
    missing = [
        f.name for f in fields
        if f.name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]  # fmt: skip
    if missing:
        example = f"{key}: {{{', '.join(f'{name}: ...' for name in missing)}}}"
        raise SpecError(f"{key} needs {' and '.join(missing)}, e.g. `{example}`")
    return make_layer(cls, kwargs, target)


def make_layer(cls: type[Layer], kwargs: Mapping[str, Any], target: Target) -> Layer:
    """`cls(**kwargs)`, with the arguments that are layers themselves (Bidirectional's `layer`)
    built from their spec entries first, under the same target."""
    arguments = dict(kwargs)
    for name in cls.nested:
        entry = arguments.get(name)
        if entry is not None and not isinstance(entry, Layer):
            try:
                arguments[name] = build_layer(entry, target)
            except SymcountError as error:
                raise error.with_context(name) from None
    return cls(**arguments)


def _translate(key: str, spellings: Mapping[str, str], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Arguments renamed from another spelling (PyTorch's, or Keras' where a field differs)."""
    translated: dict[str, Any] = {}
    for name, value in kwargs.items():
        ours = spellings.get(name, name)
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
            raise SpecError(f"{source}: unknown key {key!r}{suggest(str(key), list(TOP_LEVEL_KEYS))}")
    for key in ("input", "layers"):
        if key not in data:
            raise SpecError(f"{source}: missing {key!r}")
    shape = data["input"]
    shape = shape if isinstance(shape, Mapping) else tuple(shape) if isinstance(shape, list) else (shape,)
    outputs = data.get("outputs") or []
    outputs = outputs if isinstance(outputs, list) else [outputs]
    blocks = data.get("blocks") or {}
    if not isinstance(blocks, Mapping):
        raise SpecError(f"{source}: 'blocks' must map names to lists of layers")
    layers = data["layers"]
    if not isinstance(layers, list) or not layers:
        raise SpecError(f"{source}: 'layers' must be a non-empty list")
    values = data.get("values") or {}
    if not isinstance(values, Mapping):
        raise SpecError(f"{source}: 'values' must be a mapping like {{H: 28}}")
    framework = data.get("framework", "keras")
    if framework not in FRAMEWORKS:
        raise SpecError(
            f"{source}: framework must be one of {', '.join(FRAMEWORKS)}. Received: {framework!r}"
        )
    return Spec(
        name=str(data.get("name") or Path(source).stem),
        description=str(data.get("description") or ""),
        input=shape,
        layers=tuple(layers),
        values={str(k): v for k, v in values.items()},
        framework=framework,
        outputs=tuple(str(o) for o in outputs),
        blocks=dict(blocks),
    )


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SpecError(f"{source}: malformed YAML{where}: {problem}") from None


def examples() -> dict[str, str]:
    """Built-in example names and their one-line descriptions."""
    found = {}
    for item in sorted(resources.files("symcount.examples").iterdir(), key=lambda p: p.name.split(".")[0]):
        if item.name.endswith(".yaml"):
            data = yaml.safe_load(item.read_text(encoding="utf-8"))
            found[item.name[: -len(".yaml")]] = str(data.get("description", ""))
    return found


def load_spec(source: str | Path) -> Spec:
    """A spec from a file path if such a file exists, otherwise from a built-in example's name."""
    path = Path(source)
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SpecError(f"{source}: cannot read: {error}") from None
        return parse_spec(_load_yaml(text, str(source)), str(source))
    name = str(source)
    resource = resources.files("symcount.examples").joinpath(f"{name}.yaml")
    if name.replace("-", "").replace("_", "").isalnum() and resource.is_file():
        return parse_spec(_load_yaml(resource.read_text(encoding="utf-8"), name), name)
    names = sorted(examples())
    raise SpecError(
        f"no spec file or built-in example named {name!r}{suggest(name, names)}; examples: {', '.join(names)}"
    )


def build(source: str | Path, values: Mapping[str, Any] | None = None, defaults: bool = True) -> Model:
    """The model of a spec file or example, with its values (and `values`) substituted."""
    spec = load_spec(source)
    model = spec.model()
    return model.xreplace(spec.values_for(model, values or {}, defaults=defaults))
