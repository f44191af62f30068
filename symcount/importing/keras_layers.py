"""Keras layers as symcount layers: the spec key and the arguments a built layer's config holds.

symcount's Keras layers carry Keras' own class names and argument names, so one rule reads them
all: a Keras layer is read as the first class in its hierarchy that symcount has (a subclass of
`Dense` is a `dense`), with every argument of that symcount layer found in the layer's config,
defaults and settings that change no count left out (dropout rates, epsilons, seeds). Bidirectional
reads its forward layer the same way. Layers without weights that keep their input's shape and
that symcount has no layer for (Dropout, ReLU with a `max_value` other than 6, Softmax) are passed
through; a layer with weights that symcount has no layer for is refused by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import SymcountError

__all__ = ["describe", "PASSED"]

# Settings that change no count a spec gives (the ones Keras puts in every config).
IGNORED = frozenset(
    {"seed", "dropout", "recurrent_dropout", "epsilon", "momentum", "use_cudnn", "unroll", "stateful",
     "noise_shape", "rate", "stddev", "mean", "variance", "invert", "lora_rank", "axis"}
)  # fmt: skip
# Windows: a (k, k) pair is written k (Keras reads it back the same).
WINDOWS = frozenset({"kernel_size", "strides", "pool_size", "dilation_rate", "size", "padding", "cropping"})
# Layers that are no computation a spec counts: passed through (the data flows on unchanged).
PASSED = frozenset(
    {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
     "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Masking"}
)  # fmt: skip
COMMON = frozenset({"name", "trainable", "channels_in", "tie"})  # every layer's, not read from configs
RENAMED = {("multi_head_attention", "output_shape"): "output_dims"}


def _plain(value: Any, window: bool) -> Any:
    """Tuples as lists; a window's equal sides as one number ((1, 1) -> 1, ((0, 0), (1, 1)) -> [0, 1])."""
    if isinstance(value, (list, tuple)):
        items = [_plain(v, window) for v in value]
        if window and items and all(i == items[0] for i in items) and not isinstance(items[0], list):
            return items[0]
        if window and items and all(isinstance(i, list) and len(i) == 2 and i[0] == i[1] for i in items):
            return _plain([i[0] for i in items], window)
        return items
    return value


def _class(layer: Any) -> Any:
    """The symcount class a Keras layer is read as: the first of its classes symcount has."""
    from ..layers import NAMES, layer_class
    from ..layers.base import snake_case

    for kind in type(layer).__mro__:
        name = kind.__name__
        if name in NAMES and kind.__module__.startswith("keras"):
            found = layer_class(snake_case(name), False)
            if found is not None and found.__name__ == name:
                return found
    return None


def describe(layer: Any) -> tuple[str, dict[str, Any]] | None:
    """(spec key, arguments at this build) for a Keras layer, or None for one passed through."""
    kind = type(layer).__name__
    if kind in PASSED:
        return None
    config = layer.get_config()
    if kind == "ReLU":  # ReLU(max_value=6.0) is relu6; other clippings and slopes pass through
        plain = not config.get("negative_slope") and not config.get("threshold")
        activation = {None: "relu", 6.0: "relu6"}.get(config.get("max_value"))
        return ("activation", {"activation": activation}) if plain and activation else None
    cls = _class(layer)
    if cls is None:
        return None
    key = cls.kind
    args: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        name = field.name
        source = next((k for (c, k), ours in RENAMED.items() if c == key and ours == name), name)
        if name in IGNORED or name in COMMON or source not in config:
            continue
        if name in cls.nested:
            if name == "layer":
                inner = describe(layer.forward_layer)
                if inner is None:
                    raise SymcountError(f"{layer.name}: wraps a layer symcount cannot read")
                args[name] = {inner[0]: inner[1]}
            continue
        value = _plain(config[source], name in WINDOWS)
        if value == field.default or (name == "activation" and value == "linear"):
            continue
        if key == "rescaling" and isinstance(value, float):
            value = _fraction(value)
        args[name] = value
    return key, args


def _fraction(value: float) -> Any:
    """A float as the exact number it stands for when it is a simple fraction (1/255), else as is."""
    from fractions import Fraction

    near = Fraction(value).limit_denominator(10_000)
    if float(near) == value:
        return near.numerator if near.denominator == 1 else f"{near.numerator}/{near.denominator}"
    return value
