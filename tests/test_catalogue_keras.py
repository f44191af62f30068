"""Keras spellings, as Keras spells them: every layer's positional order, names and defaults are the
installed keras.layers class's (issue 23), and each answers as the class built in Keras 3 does.

1. Signatures: `keras_positional` (what a list in a Keras spec follows) is the named parameters of
   the installed class's __init__, and each Keras default, written out, builds the same layer as
   leaving it out.
2. Keras' own positional orders (issue 23, F): the reproducers, built in Keras.
3. The catalogue: every Keras class at hypothesis-drawn sizes, written positionally, by keyword,
   as a lone size, and under its class name, against the class built in Keras.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from symcount import SpecError, SymcountError
from symcount.layers import load_all
from symcount.layers.base import Layer
from symcount.spec import build_layer
from tests.frameworks import keras, keras_counts, keras_model_counts, symcount_counts


def keras_classes() -> list[type[Layer]]:
    """Every layer Keras spells (the PyTorch-only ones and symcount's own have no keras.layers class)."""
    return sorted((c for c in set(load_all().values()) if not c.torch_only), key=lambda c: c.kind)


def keras_parameters(cls: type[Layer]) -> dict[str, inspect.Parameter] | None:
    """The named parameters of the installed Keras class's __init__ (its **kwargs aside), or None."""
    found = getattr(keras().layers, cls.__name__, None)
    if found is None:
        return None
    parameters = inspect.signature(found.__init__).parameters.values()
    return {
        p.name: p for p in parameters if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }


def keras_one(layer: Any, shape: tuple[int, ...], calls: int = 1) -> dict[str, Any]:
    """Counts of one Keras layer on an input of `shape`, called on `calls` copies of it
    (attention: the query and the value)."""
    if calls == 1 and not isinstance(layer, keras().layers.MultiHeadAttention):
        return keras_counts([layer], shape)
    k = keras()
    tensor = k.Input(shape=shape)
    return keras_model_counts(k.Model(tensor, layer(*[tensor] * max(calls, 2))))


def positional_names(cls: type[Layer]) -> tuple[str, ...]:
    """The order a list in a Keras spec follows."""
    return cls.keras_positional or tuple(f.name for f in dataclasses.fields(cls) if not f.kw_only)


def as_written(value: Any) -> Any:
    """A Python default as a spec writes it (YAML has lists, not tuples)."""
    return [as_written(v) for v in value] if isinstance(value, tuple) else value


# --- 1. Signatures ------------------------------------------------------------------------------


@pytest.mark.frameworks
@pytest.mark.parametrize("cls", keras_classes(), ids=lambda c: c.__name__)
def test_positional_order_and_names_are_the_installed_keras_class(cls: type[Layer]) -> None:
    parameters = keras_parameters(cls)
    if parameters is None:
        pytest.skip(f"{cls.__name__} is symcount's own (keras_hub or none): no keras.layers class")
    assert positional_names(cls) == tuple(parameters)


@pytest.mark.frameworks
@pytest.mark.parametrize("cls", keras_classes(), ids=lambda c: c.__name__)
def test_every_keras_default_written_out_builds_the_same_layer(cls: type[Layer]) -> None:
    parameters = keras_parameters(cls)
    if parameters is None:
        pytest.skip(f"{cls.__name__} is symcount's own (keras_hub or none): no keras.layers class")
    required = dict(cls.example_args)
    defaults = {
        name: as_written(p.default)
        for name, p in parameters.items()
        if p.default is not p.empty and name not in required and name != "name"
    }
    assert build_layer({cls.kind: {**required, **defaults}}) == build_layer({cls.kind: required})


# --- 2. Keras' own positional orders (issue 23, F) -----------------------------------------------

NONE7 = [
    None
] * 7  # a recurrent layer's kernel/recurrent/bias regularizers, activity regularizer, constraints
# (spec key, positional list as Keras takes it, input shape): each built in Keras with *list.
POSITIONAL = [
    ("simple_rnn", [5, "relu", False, "glorot_uniform", "orthogonal", "zeros", *NONE7, 0.0, 0.0, True], (6, 4)),
    ("lstm", [5, "tanh", "sigmoid", True, "glorot_uniform", "orthogonal", "zeros", True, *NONE7, 0.0, 0.0, None, True], (6, 4)),
    ("gru", [5, "tanh", "sigmoid", True, "glorot_uniform", "orthogonal", "zeros", *NONE7, 0.0, 0.0, None, False, False, False, False, False, False], (6, 4)),
    ("conv1d", [4, 3, 1, "valid", "channels_last", 2, 2, "relu", False], (9, 6)),
    ("conv2d", [4, 3, 1, "same", "channels_last", 1, 1, None, True], (7, 7, 3)),
    ("conv3d", [2, 2, 1, "valid", None, 1, 1], (4, 4, 4, 2)),
    ("separable_conv1d", [4, 3, 2, "valid", "channels_last", 1, 2], (9, 3)),
    ("separable_conv2d", [4, 3, 1, "same", "channels_last", 1, 2, None, False], (6, 6, 3)),
    ("depthwise_conv2d", [3, 1, "valid", 2, "channels_last", 1, None, False], (6, 6, 3)),
    ("conv2d_transpose", [4, 3, 2, "valid", None, "channels_last", 1, None, True], (5, 5, 3)),
    ("conv3d_transpose", [2, 2, 2, "valid", "channels_last", None], (3, 3, 3, 2)),
    ("global_average_pooling1d", ["channels_last", True], (6, 4)),
    ("global_max_pooling2d", ["channels_last", False], (5, 5, 3)),
    ("max_pooling2d", [2, None, "same", "channels_last"], (5, 5, 3)),
    ("up_sampling2d", [2, "channels_last", "bilinear"], (3, 4, 2)),
    ("up_sampling3d", [2, "channels_last"], (2, 2, 2, 1)),
    ("zero_padding2d", [1, "channels_last"], (3, 4, 2)),
    ("cropping2d", [1, "channels_last"], (5, 5, 2)),
    ("multi_head_attention", [2, 3, None, 0.0, True, 7], (5, 8)),
    ("batch_normalization", [-1, 0.9, 1e-3, False, True], (5, 3)),
]  # fmt: skip


@pytest.mark.frameworks
@pytest.mark.parametrize(("key", "arguments", "shape"), POSITIONAL, ids=[case[0] for case in POSITIONAL])
def test_keras_positional_lists_count_as_keras_does(
    key: str, arguments: list[Any], shape: tuple[int, ...]
) -> None:
    layer = build_layer({key: arguments})
    expected = keras_one(getattr(keras().layers, type(layer).__name__)(*arguments), shape)
    assert symcount_counts([layer], shape) == {**symcount_counts([layer], shape), **expected}


@pytest.mark.parametrize(
    "entry",
    [
        {"conv2d": [4, 3, 1, "valid", "channels_first"]},
        {"global_average_pooling1d": ["channels_first"]},
        {"up_sampling2d": {"size": 2, "data_format": "channels_first"}},
        {"separable_conv2d": {"filters": 4, "kernel_size": 3, "data_format": "NHWC"}},
    ],
)
def test_a_data_format_other_than_the_layout_is_refused_in_one_line(entry: dict[str, Any]) -> None:
    with pytest.raises(SpecError) as raised:
        build_layer(entry)
    message = str(raised.value)
    assert "data_format" in message and "channels_last" in message and "\n" not in message


def test_a_data_format_equal_to_the_layout_is_accepted_under_either_framework() -> None:
    assert build_layer({"conv2d": {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}}, "torch")
    with pytest.raises(SpecError, match="channels_first"):
        build_layer({"conv2d": {"filters": 4, "kernel_size": 3, "data_format": "channels_last"}}, "torch")


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"dense": {"units": 3, "kernel_initializer": 3}}, "kernel_initializer=3"),
        ({"dense": {"units": 3, "lora_rank": 4}}, "lora_rank=4"),
        (
            {"multi_head_attention": {"num_heads": 2, "key_dim": 3, "attention_axes": [1]}},
            "attention_axes=[1]",
        ),
        ({"embedding": {"input_dim": 5, "output_dim": 3, "weights": [1]}}, "weights=[1]"),
    ],
)
def test_keras_options_symcount_does_not_count_are_refused_naming_them(
    entry: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(SymcountError) as raised:
        build_layer(entry)
    assert fragment in str(raised.value) and "\n" not in str(raised.value)
