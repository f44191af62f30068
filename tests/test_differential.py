"""Differential test: random sequential models drawn from the whole layer set, built in symcount
(on a symbolic input shape, substituted afterwards) and in Keras 3, count the same.

Each step picks a layer that fits the current rank and draws its options; a draw symcount
refuses for the concrete shape (a window larger than the input, groups that do not divide) is
skipped, so only valid models are compared. Keras' own count and output shape are the oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcount as sc
from tests.frameworks import keras, keras_counts

Draw = Callable[[st.DataObject, tuple[int, ...]], tuple[Any, Callable[[Any], Any]] | None]


def _pick(data: st.DataObject, label: str, strategy: st.SearchStrategy) -> Any:
    return data.draw(strategy, label=label)


def dense(data, shape):
    units, bias = _pick(data, "units", st.integers(1, 9)), _pick(data, "bias", st.booleans())
    return sc.Dense(units, use_bias=bias), lambda L: L.Dense(units, use_bias=bias)


def conv(data, shape):
    rank = len(shape) - 1
    if rank not in (1, 2):
        return None
    channels = shape[-1]
    groups = _pick(data, "groups", st.sampled_from([g for g in (1, 2, 3) if channels % g == 0]))
    filters = groups * _pick(data, "filters/groups", st.integers(1, 4))
    kernel = _pick(data, "kernel", st.integers(1, 3))
    padding = _pick(data, "padding", st.sampled_from(["valid", "same"]))
    strides, dilation = 1, 1
    if _pick(data, "strided", st.booleans()):
        strides = _pick(data, "strides", st.integers(1, 3))
    else:
        dilation = _pick(data, "dilation", st.integers(1, 2))
    bias = _pick(data, "bias", st.booleans())
    ours = (sc.Conv1D, sc.Conv2D)[rank - 1]
    options = dict(strides=strides, padding=padding, dilation_rate=dilation, groups=groups, use_bias=bias)
    return ours(filters, kernel, **options), lambda L: (L.Conv1D, L.Conv2D)[rank - 1](
        filters, kernel, **options
    )


def separable(data, shape):
    if len(shape) != 3:
        return None
    filters, kernel = _pick(data, "filters", st.integers(1, 4)), _pick(data, "kernel", st.integers(1, 3))
    multiplier = _pick(data, "multiplier", st.integers(1, 2))
    if _pick(data, "depthwise", st.booleans()):
        return (
            sc.DepthwiseConv2D(kernel, depth_multiplier=multiplier, padding="same"),
            lambda L: L.DepthwiseConv2D(kernel, depth_multiplier=multiplier, padding="same"),
        )
    return (
        sc.SeparableConv2D(filters, kernel, depth_multiplier=multiplier),
        lambda L: L.SeparableConv2D(filters, kernel, depth_multiplier=multiplier),
    )


def transposed(data, shape):
    if len(shape) != 3:
        return None
    filters, kernel = _pick(data, "filters", st.integers(1, 4)), _pick(data, "kernel", st.integers(1, 3))
    strides = _pick(data, "strides", st.integers(1, 2))
    padding = _pick(data, "padding", st.sampled_from(["valid", "same"]))
    return (
        sc.Conv2DTranspose(filters, kernel, strides=strides, padding=padding),
        lambda L: L.Conv2DTranspose(filters, kernel, strides=strides, padding=padding),
    )


def pool(data, shape):
    rank = len(shape) - 1
    if rank not in (1, 2):
        return None
    size = _pick(data, "pool", st.integers(1, 3))
    padding = _pick(data, "padding", st.sampled_from(["valid", "same"]))
    kind = _pick(data, "kind", st.sampled_from(["Max", "Average"]))
    name = f"{kind}Pooling{rank}D"
    return getattr(sc, name)(size, padding=padding), lambda L: getattr(L, name)(size, padding=padding)


def global_pool(data, shape):
    rank = len(shape) - 1
    if rank not in (1, 2):
        return None
    name = f"Global{_pick(data, 'kind', st.sampled_from(['Max', 'Average']))}Pooling{rank}D"
    return getattr(sc, name)(), lambda L: getattr(L, name)()


def normalization(data, shape):
    kind = _pick(data, "norm", st.sampled_from(["batch", "layer", "group"]))
    center, scale = _pick(data, "center", st.booleans()), _pick(data, "scale", st.booleans())
    if kind == "batch":
        return sc.BatchNormalization(center=center, scale=scale), lambda L: L.BatchNormalization(
            center=center, scale=scale
        )
    if kind == "layer":
        return sc.LayerNormalization(center=center, scale=scale), lambda L: L.LayerNormalization(
            center=center, scale=scale
        )
    groups = _pick(data, "groups", st.sampled_from([g for g in (1, 2, 3) if shape[-1] % g == 0]))
    return sc.GroupNormalization(groups), lambda L: L.GroupNormalization(groups)


def recurrent(data, shape):
    if len(shape) != 2:
        return None
    units = _pick(data, "units", st.integers(1, 5))
    sequences = _pick(data, "return_sequences", st.booleans())
    kind = _pick(data, "cell", st.sampled_from(["SimpleRNN", "LSTM", "GRU"]))
    if _pick(data, "bidirectional", st.booleans()):
        return (
            sc.Bidirectional(getattr(sc, kind)(units, return_sequences=sequences)),
            lambda L: L.Bidirectional(getattr(L, kind)(units, return_sequences=sequences)),
        )
    return getattr(sc, kind)(units, return_sequences=sequences), lambda L: getattr(L, kind)(
        units, return_sequences=sequences
    )


def reshaping(data, shape):
    choice = _pick(data, "reshape", st.sampled_from(["flatten", "repeat", "permute", "pad", "crop", "up"]))
    rank = len(shape) - 1
    if choice == "flatten":
        return sc.Flatten(), lambda L: L.Flatten()
    if choice == "repeat" and len(shape) == 1:
        n = _pick(data, "n", st.integers(1, 3))
        return sc.RepeatVector(n), lambda L: L.RepeatVector(n)
    if choice == "permute" and len(shape) >= 2:
        dims = tuple(reversed(range(1, len(shape) + 1)))
        return sc.Permute(dims), lambda L: L.Permute(dims)
    if rank in (1, 2) and choice in ("pad", "crop", "up"):
        amount = _pick(data, "amount", st.integers(1, 2))
        name = {"pad": "ZeroPadding", "crop": "Cropping", "up": "UpSampling"}[choice] + f"{rank}D"
        return getattr(sc, name)(amount), lambda L: getattr(L, name)(amount)
    return None


def elementwise(data, shape):
    if _pick(data, "dropout", st.booleans()):
        return sc.Dropout(0.25), lambda L: L.Dropout(0.25)
    return sc.Activation("relu"), lambda L: L.Activation("relu")


def keras_catalogue(data, shape):
    """Issue 23's Keras layers that fit a chain: activations as layers, EinsumDense, adaptive
    pooling, image resizing and cropping, RNN over a cell, TimeDistributed, SpectralNormalization."""
    rank = len(shape) - 1
    choice = _pick(
        data, "catalogue", st.sampled_from(["activation", "einsum", "adaptive", "image", "rnn", "wrap"])
    )
    if choice == "activation":
        name = _pick(data, "activation", st.sampled_from(["ELU", "LeakyReLU", "ReLU", "Softmax", "PReLU"]))
        return getattr(sc, name)(), lambda L: getattr(L, name)()
    if choice == "einsum" and len(shape) <= 2:  # Keras' symbolic shape reverses several elided axes
        units = _pick(data, "units", st.integers(1, 6))
        return (
            sc.EinsumDense("...b,bc->...c", units, bias_axes="c"),
            lambda L: L.EinsumDense("...b,bc->...c", units, bias_axes="c"),
        )
    if choice == "adaptive" and rank in (1, 2):
        size = _pick(data, "output_size", st.integers(1, 3))
        name = f"Adaptive{_pick(data, 'kind', st.sampled_from(['Max', 'Average']))}Pooling{rank}D"
        return getattr(sc, name)(size), lambda L: getattr(L, name)(size)
    if choice == "image" and rank == 2:
        height, width = _pick(data, "height", st.integers(1, 5)), _pick(data, "width", st.integers(1, 5))
        name = _pick(data, "image", st.sampled_from(["Resizing", "CenterCrop"]))
        return getattr(sc, name)(height, width), lambda L: getattr(L, name)(height, width)
    if choice == "rnn" and len(shape) == 2:
        units = _pick(data, "units", st.integers(1, 4))
        cell = _pick(data, "cell", st.sampled_from(["SimpleRNNCell", "LSTMCell", "GRUCell"]))
        return sc.RNN(getattr(sc, cell)(units)), lambda L: L.RNN(getattr(L, cell)(units))
    if choice == "wrap":
        units = _pick(data, "units", st.integers(1, 4))
        if len(shape) >= 2 and _pick(data, "time_distributed", st.booleans()):
            return sc.TimeDistributed(sc.Dense(units)), lambda L: L.TimeDistributed(L.Dense(units))
        return sc.SpectralNormalization(sc.Dense(units)), lambda L: L.SpectralNormalization(L.Dense(units))
    return None


DRAWS: list[Draw] = [
    keras_catalogue,
    dense,
    conv,
    separable,
    transposed,
    pool,
    global_pool,
    normalization,
    recurrent,
    reshaping,
    elementwise,
]


@pytest.mark.frameworks
@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 7), min_size=1, max_size=3), st.data())
def test_random_models_count_as_keras_does(input_shape: list[int], data: st.DataObject) -> None:
    layers_module = keras().layers
    dims = sc.symbols(" ".join(f"n{i}" for i in range(len(input_shape))))
    values = {f"n{i}": size for i, size in enumerate(input_shape)}
    ours: list[Any] = []
    theirs: list[Any] = []
    shape = tuple(input_shape)
    for _ in range(data.draw(st.integers(1, 4), label="depth")):
        drawn = data.draw(st.sampled_from(DRAWS), label="layer")(data, shape)
        if drawn is None:
            continue
        layer, keras_layer = drawn
        try:  # keep only layers valid on the concrete shape
            candidate = sc.Sequential(sc.Input(*input_shape), *ours, layer)
        except sc.SymcountError:
            continue
        if any(int(d) > 64 for d in candidate.output_shape):
            continue
        ours.append(layer)
        theirs.append(keras_layer(layers_module))
        shape = tuple(int(d) for d in candidate.output_shape)
    if not ours:
        return
    model = sc.Sequential(sc.Input(*dims), *ours).subs(values)
    expected = keras_counts(theirs, tuple(input_shape))
    counts = model.counts()
    assert (counts["total"], counts["trainable"], counts["non_trainable"]) == (
        expected["total"],
        expected["trainable"],
        expected["non_trainable"],
    ), [layer.describe() for layer in ours]
    assert tuple(int(d) for d in model.output_shape) == expected["output_shape"]
