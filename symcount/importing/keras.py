"""A spec from a Keras factory: its layers in graph order, each with the arguments its config
holds, lifted to the sizes across builds as for PyTorch (`lift`), and verified against Keras'
`count_params()` at the user's sizes and at fresh ones.

Keras models are built on Keras' meta device (torch backend): no weights. Layers without weights
that keep their input's shape (Dropout, Activation) are passed through. Repeated blocks are not
detected yet: a model whose layers change in number with the sizes is refused.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from ..spec import parse_spec
from .common import CHECKS, DEGREE, Imported, Lifter, ReadError, is_default, sizes_text, spec_yaml
from .fit import monomials
from .frameworks import build, framework_of, require
from .points import draw, verification_points

__all__ = ["from_keras"]

ARGS = {
    "Dense": ("dense", ("units", "use_bias")),
    "EinsumDense": None,
    "Embedding": ("embedding", ("input_dim", "output_dim")),
    "LayerNormalization": ("layer_normalization", ("center", "scale")),
    "BatchNormalization": ("batch_normalization", ("center", "scale")),
    "Conv1D": ("conv1d", ("filters", "kernel_size", "strides", "padding", "use_bias")),
    "Conv2D": ("conv2d", ("filters", "kernel_size", "strides", "padding", "use_bias")),
    "MaxPooling2D": ("max_pooling2d", ("pool_size", "strides", "padding")),
    "AveragePooling2D": ("average_pooling2d", ("pool_size", "strides", "padding")),
    "GlobalAveragePooling1D": ("global_average_pooling1d", ()),
    "GlobalAveragePooling2D": ("global_average_pooling2d", ()),
    "GlobalMaxPooling2D": ("global_max_pooling2d", ()),
    "Flatten": ("flatten", ()),
    "Add": ("add", ()),
    "Multiply": ("multiply", ()),
    "Concatenate": ("concatenate", ()),
    "MultiHeadAttention": ("multi_head_attention", ("num_heads", "key_dim", "use_bias")),
}
DEFAULTS = {("conv2d", "strides"): 1, ("conv2d", "padding"): "valid", ("conv1d", "strides"): 1,
            ("conv1d", "padding"): "valid", ("batch_normalization", "center"): True,
            ("batch_normalization", "scale"): True}  # fmt: skip


def _plain(value: Any) -> Any:
    """A square window's side for (k, k); other values as they are."""
    if isinstance(value, (list, tuple)):
        return value[0] if len(set(value)) == 1 else list(value)
    return value


def _read(model: Any) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    """The entries of a built Keras model (graph order), and its input shape (without the batch)."""
    keras = require("keras")
    if len(model.inputs) != 1:
        raise ReadError("from_keras reads models with one input so far")
    source: dict[int, str] = {id(model.inputs[0]): "input"}  # id(tensor) -> entry name
    entries: list[dict[str, Any]] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if len(layer._inbound_nodes) != 1:
            raise ReadError(f"{layer.name}: a layer called more than once is not read yet")
        node = layer._inbound_nodes[0]
        inputs = list(dict.fromkeys(source.get(id(t), "?") for t in node.input_tensors))
        if "?" in inputs:
            raise ReadError(f"{layer.name}: reads a tensor made outside Keras layers")
        kind = type(layer).__name__
        known = ARGS.get(kind)
        if known is None:
            weights = layer.count_params()
            same = [tuple(t.shape) for t in node.input_tensors] == [
                tuple(t.shape) for t in node.output_tensors
            ]
            if weights == 0 and same and len(inputs) == 1:  # Dropout, Activation, ReLU...
                for t in node.output_tensors:
                    source[id(t)] = inputs[0]
                continue
            raise ReadError(
                f"{layer.name}: no symcount layer for the Keras layer {kind} ({weights:,} weights)"
            )
        key, names = known
        config = layer.get_config()
        args = {name: _plain(config[name]) for name in names if name in config}
        entries.append({"key": key, "args": args, "name": layer.name, "inputs": inputs,
                        "params": layer.count_params(), "path": f"{kind} {layer.name}"})  # fmt: skip
        for t in node.output_tensors:
            source[id(t)] = layer.name
    return entries, tuple(int(s) for s in model.inputs[0].shape[1:])


def from_keras(
    factory: Callable[..., Any], /, *, seed: int = 0, name: str | None = None, **sizes: int
) -> Imported:
    """The spec of the Keras model `factory(**sizes)`, its numbers lifted to the sizes and its
    count verified against Keras' `count_params()` at the sizes given and at fresh ones."""
    require("keras")
    names = list(sizes)
    rng = random.Random(seed)
    points = [tuple(sizes[n] for n in names)]
    while len(points) < len(monomials(len(names), DEGREE)) + 3:
        point = tuple(draw(sizes, rng).values())
        if point not in points:
            points.append(point)
    readings = []
    for point in points:
        model = build(factory, dict(zip(names, point)))
        if framework_of(model) != "keras":
            raise ReadError("from_keras needs a Keras model; use from_torch for a torch.nn.Module")
        readings.append(_read(model))
    layouts = [[(e["key"], e["name"], tuple(e["inputs"])) for e in entries] for entries, _ in readings]
    for layout, point in zip(layouts[1:], points[1:]):
        if layout != layouts[0]:
            raise ReadError(
                f"the model's layers change with the sizes (at {sizes_text(dict(zip(names, point)))}); "
                "repeated Keras blocks are not read yet"
            )
    lifter = Lifter(names, points)
    layers = []
    comments = {}
    for position, entry in enumerate(readings[0][0]):
        args = {}
        for arg in entry["args"]:
            value = lifter.lift([r[0][position]["args"][arg] for r in readings], f"{entry['name']}: {arg}")
            if not is_default(entry["key"], arg, value) and DEFAULTS.get((entry["key"], arg)) != value:
                args[arg] = value
        item: dict[str, Any] = {entry["key"]: args, "name": entry["name"]}
        previous = readings[0][0][position - 1]["name"] if position else "input"
        if entry["inputs"] != [previous]:
            item["inputs"] = entry["inputs"]
        layers.append(item)
        comments[entry["name"]] = entry["path"]
    shape = [
        lifter.lift([r[1][i] for r in readings], f"the input's axis {i + 1}")
        for i in range(len(readings[0][1]))
    ]
    title = name or str(getattr(factory, "__name__", "imported"))
    data = {"name": title, "framework": "keras", "input": shape, "values": dict(sizes), "layers": layers}
    spec = parse_spec(data, "imported spec")
    checked = _verify(spec, factory, sizes, rng)
    text = spec_yaml(data, comments, sizes, checked, str(getattr(factory, "__name__", "factory")))
    return Imported(spec, text, dict(sizes), checked)


def _verify(
    spec: Any, factory: Callable[..., Any], sizes: Mapping[str, int], rng: random.Random
) -> tuple[dict[str, int], ...]:
    model = spec.model()
    points = verification_points(sizes, rng, CHECKS)
    for point in points:
        built = build(factory, point)
        valued = model.subs({k: v for k, v in point.items() if k in {s.name for s in model.symbols}})
        mine, theirs = int(valued.params), built.count_params()
        if mine != theirs:
            entries, _ = _read(built)
            rows = {row.name: int(row.params) for row in valued.rows}
            first = next((e for e in entries if rows.get(e["name"]) != e["params"]), None)
            where = (
                f"; first layer that differs: {first['name']} ({rows.get(first['name'])} against {first['params']:,})"
                if first
                else ""
            )
            raise ReadError(
                f"the imported spec counts {mine:,} parameters at {sizes_text(point)}, Keras {theirs:,}{where}"
            )
    return tuple(points[1:])
