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
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import sympy
import yaml

from .errors import SpecError, SymcountError
from .layers import REGISTRY, Input, Layer
from .layers.base import FRAMEWORKS
from .model import Sequential
from .values import as_expr, resolve, symbol

__all__ = ["Spec", "load_spec", "parse_spec", "build", "examples", "build_layer"]

TOP_LEVEL_KEYS = ("name", "description", "input", "values", "layers", "framework")


def _suggest(word: str, choices: list[str]) -> str:
    """` (did you mean 'dense'?)` for the closest choice, ignoring case first; else nothing."""
    same_but_case = [choice for choice in choices if choice.lower() == word.lower()]
    close = same_but_case or difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class Spec:
    """A network as written in a spec file, before any value is substituted."""

    name: str
    input: tuple[Any, ...]
    layers: tuple[Any, ...]
    description: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    framework: str = "keras"

    def model(self) -> Sequential:
        """The symbolic model: every symbol free, whatever `values` says."""
        layers = []
        for position, entry in enumerate(self.layers, start=1):
            try:
                layers.append(build_layer(entry, self.framework))
            except SymcountError as error:
                raise error.with_context(f"layer {position}") from None
        try:
            start = Input(*self.input)
        except SymcountError as error:
            raise error.with_context("input") from None
        return Sequential(start, *layers, name=self.name, framework=self.framework)

    def known_names(self, model: Sequential) -> list[str]:
        """Names a `--set` may give: those the spec mentions (input, values or layers)."""
        return sorted({s.name for s in model.symbols} | set(self.values))

    def values_for(
        self, model: Sequential, overrides: Mapping[str, Any], defaults: bool = True
    ) -> dict[str, sympy.Expr]:
        """The values to substitute: the spec's own (if `defaults`) overridden by `overrides`.

        Values may refer to each other (`f: 2*k`); the result keeps only the model's symbols.
        """
        known = self.known_names(model)
        for name in overrides:
            if name not in known:
                raise SpecError(
                    f"unknown name {name!r} in --set{_suggest(name, known)}; "
                    f"this spec knows: {', '.join(known) or 'no names'}"
                )
        given = {**(self.values if defaults else {}), **overrides}
        mapping = {symbol(name): as_expr(value, name) for name, value in given.items()}
        used = {s.name for s in model.symbols}
        return {key.name: value for key, value in resolve(mapping).items() if key.name in used}


def layer_names(framework: str = "keras") -> dict[str, type[Layer]]:
    """Spec keys and their classes: Keras' snake_case names, plus PyTorch's under `torch`."""
    if framework != "torch":
        return {key: cls for key, cls in REGISTRY.items() if not cls.torch_only}
    names = dict(REGISTRY)
    names.update({cls.torch_name: cls for cls in REGISTRY.values() if cls.torch_name})
    return names


def build_layer(entry: Any, framework: str = "keras") -> Layer:
    """One layer from its spec entry: `flatten`, `{dense: 3}`, `{dense: {units: 3}}`,
    `{conv2d: [f, 3]}` (positional, as in Python) or `{dense: 3, activation: relu}`.

    Under `framework: torch`, PyTorch's names work too: `{linear: {out_features: 3}}`.
    """
    known = layer_names(framework)
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
        if framework != "torch" and key in layer_names("torch"):
            raise SpecError(f"{key!r} is PyTorch's spelling: use it in a spec with `framework: torch`")
        raise SpecError(f"unknown layer {key!r}{_suggest(str(key), sorted(known))}")
    cls = known[key]
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
    if framework == "torch":
        kwargs = _translate(key, cls.torch_args, kwargs)
    names = [f.name for f in fields]
    for name in kwargs:
        if name not in names:
            raise SpecError(
                f"{key} has no option {name!r}{_suggest(str(name), names)}; options: {', '.join(names)}"
            )
    return cls(**kwargs)


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
            raise SpecError(f"{source}: unknown key {key!r}{_suggest(str(key), list(TOP_LEVEL_KEYS))}")
    for key in ("input", "layers"):
        if key not in data:
            raise SpecError(f"{source}: missing {key!r}")
    shape = data["input"]
    shape = tuple(shape) if isinstance(shape, list) else (shape,)
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
        f"no spec file or built-in example named {name!r}{_suggest(name, names)}; examples: {', '.join(names)}"
    )


def build(source: str | Path, values: Mapping[str, Any] | None = None, defaults: bool = True) -> Sequential:
    """The model of a spec file or example, with its values (and `values`) substituted."""
    spec = load_spec(source)
    model = spec.model()
    return model.subs(spec.values_for(model, values or {}, defaults=defaults))
