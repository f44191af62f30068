"""Pooling layers: no weights, so what is tested is the shape they hand on, against Keras and torch.

Every symcount layer here is built with symbols and then substituted, so the formula itself meets
the oracles: Keras' `model.output_shape` (and a forward pass), and a forward pass through PyTorch's
nn.MaxPool/AvgPool (channels-first, so shapes are permuted back before comparing).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import sympy

from symcount import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    Input,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    Sequential,
    symbols,
)
from symcount.errors import ShapeError, SpecError, SymcountError
from symcount.spec import parse_spec
from tests.frameworks import keras, keras_counts, symcount_counts, torch, torch_counts

D, H, W, L, C, k, p, q, r, s, t, u, z = symbols("D H W L C k p q r s t u z")
N = symbols("n1 n2 n3")
K = symbols("k1 k2 k3")
S = symbols("s1 s2 s3")
NO_WEIGHTS = {"total": 0, "trainable": 0, "non_trainable": 0, "buffers": 0}

WINDOWED = {
    ("max", 1): MaxPooling1D, ("max", 2): MaxPooling2D, ("max", 3): MaxPooling3D,
    ("average", 1): AveragePooling1D, ("average", 2): AveragePooling2D, ("average", 3): AveragePooling3D,
}  # fmt: skip
GLOBAL = {
    ("max", 1): GlobalMaxPooling1D, ("max", 2): GlobalMaxPooling2D, ("max", 3): GlobalMaxPooling3D,
    ("average", 1): GlobalAveragePooling1D, ("average", 2): GlobalAveragePooling2D,
    ("average", 3): GlobalAveragePooling3D,
}  # fmt: skip


def valid(n: Any, pool: Any, stride: Any, pad: Any = 0) -> sympy.Expr:
    # A window of `pool` inputs slides in steps of `stride` over n + 2*pad positions: the last
    # window starts at most n + 2*pad - pool, so floor((n + 2*pad - pool)/stride) + 1 fit; the +1
    # is kept inside the floor, as symcount writes it (floor(x) + 1 = floor(x + 1)).
    return sympy.floor((n + 2 * pad - pool + stride) / stride)


# (layer, input shape, expected output shape); every pooling layer has 0 parameters.
TABLE = [
    # valid, stride defaults to the pool: floor((H - p)/p) + 1 windows per axis.
    (MaxPooling2D(p), (H, W, C), (valid(H, p, p), valid(W, p, p), C)),
    # valid with its own stride per axis.
    (AveragePooling2D((p, q), strides=(s, t)), (H, W, C), (valid(H, p, s), valid(W, q, t), C)),
    # same: Keras pads just enough that a window starts at each of ceil(n/s) stride steps.
    (MaxPooling1D(p, strides=s, padding="same"), (L, C), (sympy.ceiling(L / s), C)),
    # same with stride 1 keeps the length: ceil(n/1) = n.
    (AveragePooling3D(k, strides=1, padding="same"), (D, H, W, C), (D, H, W, C)),
    # pool 1, stride 1: floor(n - 1) + 1 = n, the identity.
    (MaxPooling3D(1), (D, H, W, C), (D, H, W, C)),
    # 3-D with a different pool and stride on each axis.
    (
        MaxPooling3D((p, q, r), strides=(s, t, u)),
        (D, H, W, C),
        (valid(D, p, s), valid(H, q, t), valid(W, r, u), C),
    ),
    # PyTorch's explicit padding: z zeros on each side, floor((n + 2z - p)/s) + 1.
    (MaxPooling2D(p, strides=s, padding=z), (H, W, C), (valid(H, p, s, z), valid(W, p, s, z), C)),
    (AveragePooling1D(3, strides=2, padding=1), (L, C), (sympy.floor((L + 1) / 2), C)),
    # Global pooling: one number per channel; keepdims keeps each spatial axis with length 1.
    (GlobalMaxPooling1D(), (L, C), (C,)),
    (GlobalAveragePooling2D(), (H, W, C), (C,)),
    (GlobalMaxPooling2D(keepdims=True), (H, W, C), (1, 1, C)),
    (GlobalAveragePooling3D(keepdims=True), (D, H, W, C), (1, 1, 1, C)),
]


@pytest.mark.parametrize(("layer", "shape", "expected"), TABLE, ids=lambda v: str(v)[:40])
def test_formula_table(layer: Any, shape: tuple, expected: tuple) -> None:
    model = Sequential(Input(*shape), layer)
    assert model.params == 0
    assert model.rows[0].weights == ()
    assert model.output_shape == tuple(sympy.sympify(e) for e in expected)


# ---- oracles: Keras 3 and PyTorch at concrete sizes ----------------------------------------------


def tf_same_padding(n: int, pool: int, stride: int) -> tuple[int, int]:
    """The zeros TensorFlow/Keras' 'same' adds before and after one axis (the extra one after)."""
    total = max((math.ceil(n / stride) - 1) * stride + pool - n, 0)
    return total // 2, total - total // 2


def torch_pool(mode: str, rank: int, pool: tuple, strides: tuple, padding: Any, sizes: tuple) -> Any:
    """PyTorch's pooling module; 'same' is written out as an explicit ZeroPad before it."""
    nn = torch().nn
    cls = getattr(nn, f"{'Max' if mode == 'max' else 'Avg'}Pool{rank}d")
    if padding == "same":
        pads = [tf_same_padding(n, k_, s_) for n, k_, s_ in zip(sizes, pool, strides)]
        flat = [amount for pair in reversed(pads) for amount in pair]  # torch: last axis first
        return nn.Sequential(getattr(nn, f"ZeroPad{rank}d")(tuple(flat)), cls(pool, strides))
    return cls(pool, strides, padding=0 if padding == "valid" else padding)


def channels_first(sizes: tuple, channels: int) -> Any:
    return torch().zeros((1, channels, *sizes))


def keras_forward(layer: Any, shape: tuple) -> tuple:
    """The shape Keras really computes (not only what it predicts) on a zero batch of one."""
    k_ = keras()
    model = k_.Sequential([k_.Input(shape=shape), layer])
    return tuple(model(np.zeros((1, *shape), dtype="float32")).shape[1:])


WINDOWED_CASES = [
    # (rank, pool, strides or None, padding, spatial sizes)
    (1, (2,), None, "valid", (7,)),  # stride 2 does not divide 7
    (1, (3,), (2,), "same", (1,)),  # pool larger than a 1-wide input is fine with 'same'
    (1, (4,), (3,), "same", (10,)),  # pool > stride, stride does not divide
    (1, (2,), None, "same", (6,)),  # stride divides: exactly n/s windows
    (1, (1,), (1,), "valid", (1,)),
    (2, (3, 2), (2, 3), "valid", (7, 8)),
    (2, (3, 2), (2, 3), "same", (7, 8)),
    (2, (3, 3), (2, 3), "same", (8, 9)),  # strides divide both axes
    (2, (5, 5), None, "same", (3, 3)),  # pool larger than the input: one window
    (2, (2, 2), None, "valid", (2, 9)),  # pool equal to the input along one axis
    (2, (1, 3), (1, 1), "same", (1, 4)),
    (3, (2, 3, 1), (2, 2, 3), "valid", (5, 7, 4)),
    (3, (2, 3, 1), (2, 2, 3), "same", (5, 7, 4)),
    (3, (2, 2, 2), None, "valid", (2, 3, 4)),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize(("rank", "pool", "strides", "padding", "sizes"), WINDOWED_CASES)
def test_windowed_pooling_equals_keras_and_torch(
    mode: str, rank: int, pool: tuple, strides: tuple | None, padding: str, sizes: tuple
) -> None:
    channels = 2
    layer = WINDOWED[mode, rank](K[:rank], strides=None if strides is None else S[:rank], padding=padding)
    values = {f"k{i + 1}": v for i, v in enumerate(pool)} | {f"n{i + 1}": v for i, v in enumerate(sizes)}
    if strides is not None:
        values |= {f"s{i + 1}": v for i, v in enumerate(strides)}
    ours = symcount_counts([layer], (*N[:rank], C), C=channels, **values)

    keras_layer = getattr(keras().layers, f"{'Max' if mode == 'max' else 'Average'}Pooling{rank}D")
    make = lambda: keras_layer(pool, strides=strides, padding=padding)  # noqa: E731
    shape = (*sizes, channels)
    assert ours == {**keras_counts([make()], shape), "buffers": 0}
    assert ours["output_shape"] == keras_forward(make(), shape)

    strides_or_pool = pool if strides is None else strides  # torch's stride defaults to the kernel too
    module = torch_pool(mode, rank, pool, strides_or_pool, padding, sizes)
    theirs = torch_counts(module, channels_first(sizes, channels))
    assert {key: v for key, v in ours.items() if key != "output_shape"} == NO_WEIGHTS
    assert theirs["total"] == 0 and theirs["buffers"] == 0
    out = theirs["output_shape"]
    assert ours["output_shape"] == (*out[1:], out[0])


TORCH_PADDING_CASES = [
    # (rank, kernel, stride, padding, spatial sizes): PyTorch's explicit zeros, no Keras spelling.
    (1, 3, 2, 1, (1,)),
    (1, 4, 3, 2, (10,)),
    (2, 3, 2, 1, (7, 8)),  # ResNet's stem pool
    (2, 2, 1, 1, (1, 5)),
    (3, 3, 3, 1, (4, 5, 6)),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize(("rank", "kernel", "stride", "padding", "sizes"), TORCH_PADDING_CASES)
def test_explicit_padding_equals_torch(
    mode: str, rank: int, kernel: int, stride: int, padding: int, sizes: tuple
) -> None:
    layer = WINDOWED[mode, rank](k, strides=s, padding=z)
    values = {"k": kernel, "s": stride, "z": padding} | {f"n{i + 1}": v for i, v in enumerate(sizes)}
    # Under PyTorch's layout the input is (C, *spatial), as the module reads it.
    ours = symcount_counts([layer], (C, *N[:rank]), framework="torch", C=3, **values)
    module = torch_pool(mode, rank, (kernel,) * rank, (stride,) * rank, padding, sizes)
    theirs = torch_counts(module, channels_first(sizes, 3))
    assert ours.pop("output_shape") == theirs.pop("output_shape")
    assert ours == theirs == NO_WEIGHTS


@pytest.mark.frameworks
@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_equals_keras_and_torch(mode: str, rank: int, keepdims: bool) -> None:
    layer = GLOBAL[mode, rank](keepdims=keepdims)
    keras_layer = getattr(keras().layers, f"Global{'Max' if mode == 'max' else 'Average'}Pooling{rank}D")
    nn = torch().nn
    adaptive = getattr(nn, f"Adaptive{'Max' if mode == 'max' else 'Avg'}Pool{rank}d")(1)
    module = adaptive if keepdims else nn.Sequential(adaptive, nn.Flatten())
    for sizes in [(1, 1, 1)[:rank], (5, 3, 2)[:rank], (9, 1, 4)[:rank]]:
        values = {f"n{i + 1}": v for i, v in enumerate(sizes)}
        ours = symcount_counts([layer], (*N[:rank], C), C=4, **values)
        assert ours == {**keras_counts([keras_layer(keepdims=keepdims)], (*sizes, 4)), "buffers": 0}
        out = torch_counts(module, channels_first(sizes, 4))["output_shape"]
        assert ours["output_shape"] == (*out[1:], out[0])
        # Under PyTorch's layout, the very shapes the module takes and gives.
        in_torch = symcount_counts([layer], (C, *N[:rank]), "torch", C=4, **values)
        assert in_torch["output_shape"] == out


# ---- bad input ------------------------------------------------------------------------------------


@pytest.mark.frameworks
def test_pool_larger_than_input_fails_like_keras_and_torch() -> None:
    with pytest.raises(ShapeError, match=r"pool 5x5 with padding 'valid' does not fit: spatial axis 0"):
        Sequential(Input(3, 3, 2), MaxPooling2D(5))
    # Symbolic first: the layer at fault is named once the sizes arrive.
    model = Sequential(Input(H, W, C), AveragePooling2D(k))
    with pytest.raises(ShapeError, match=r"layer 1 \(average_pooling2d\), input shape \(3, 7, 2\)"):
        model.subs(H=3, W=7, C=2, k=4)
    with pytest.raises(ValueError, match="zero or negative"):
        keras_counts([keras().layers.MaxPooling2D(5)], (3, 3, 2))
    with pytest.raises(RuntimeError, match="too small"):
        torch().nn.MaxPool2d(5)(torch().zeros(1, 2, 3, 3))
    # 'same' always fits, whatever the pool.
    assert Sequential(Input(3, 3, 2), MaxPooling2D(5, padding="same")).output_shape == (1, 1, 2)


@pytest.mark.frameworks
def test_padding_more_than_half_the_pool_fails_like_torch() -> None:
    with pytest.raises(SpecError, match=r"at most half the pool size.*padding=2x2, pool_size=3x3"):
        MaxPooling2D(3, padding=2)
    with pytest.raises(RuntimeError, match="at most half"):
        torch().nn.MaxPool2d(3, padding=2)(torch().zeros(1, 1, 8, 8))
    assert MaxPooling2D(4, padding=2).padding == (2, 2)  # exactly half is allowed


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: MaxPooling2D(2, padding="full"),
            SpecError,
            r"padding must be one of 'same', 'valid'. Received: padding='full'",
        ),
        (lambda: MaxPooling2D(2, padding=-1), SpecError, r"non-negative integer. Received: padding=-1"),
        (
            lambda: MaxPooling2D(2, padding=(1, 1, 1)),
            SpecError,
            r"2 numbers of zeros. Received: padding=\(1, 1, 1\)",
        ),
        (lambda: MaxPooling2D(0), SymcountError, r"positive integer. Received: pool_size=0"),
        (lambda: AveragePooling1D(2, strides=0), SymcountError, r"positive integer. Received: strides=0"),
        (lambda: MaxPooling3D((2, 2)), SymcountError, r"expected 3 values for pool_size"),
        (lambda: AveragePooling2D(2.5), SymcountError, r"positive integer. Received: pool_size=5/2"),
        (lambda: GlobalMaxPooling2D(keepdims="yes"), SpecError, r"true or false. Received: keepdims='yes'"),
    ],
)
def test_bad_options(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (MaxPooling2D(2), (H, C)),
        (AveragePooling1D(2), (H, W, C)),
        (MaxPooling3D(2), (H, W, C)),
        (GlobalAveragePooling1D(), (H, W, C)),
        (GlobalMaxPooling3D(), (L, C)),
    ],
)
def test_wrong_rank(layer: Any, shape: tuple) -> None:
    with pytest.raises(ShapeError, match=rf"{type(layer).__name__} expects an input with \d axes"):
        Sequential(Input(*shape), layer)


# ---- spec files -----------------------------------------------------------------------------------


def test_keras_spec_round_trip() -> None:
    spec = parse_spec(
        {
            "input": ["H", "W", "C"],
            "layers": [
                {"max_pooling2d": {"pool_size": "k", "strides": "s", "padding": "same"}},
                {"average_pooling2d": [2]},
                {"global_max_pooling2d": {"keepdims": True}},
            ],
        }
    )
    model = spec.model()
    assert model.params == 0
    assert model.rows[0].output_shape == (sympy.ceiling(H / s), sympy.ceiling(W / s), C)
    assert model.output_shape == (1, 1, C)
    assert model.subs(H=9, W=4, C=3, k=3, s=2).rows[1].output_shape == (2, 1, 3)


@pytest.mark.frameworks
def test_torch_spec_round_trip() -> None:
    spec = parse_spec(
        {
            "framework": "torch",
            "input": ["C", "H", "W"],
            "layers": [
                {"max_pool2d": {"kernel_size": 3, "stride": 2, "padding": 1}},
                {"avg_pool2d": {"kernel_size": 2}},  # stride defaults to the kernel size
            ],
        }
    )
    model = spec.model()
    assert model.framework == "torch"
    # Rows are named as PyTorch names its classes; the layers are symcount's.
    assert [row.kind for row in model.rows] == ["MaxPool2d", "AvgPool2d"]
    assert [type(row.layer).__name__ for row in model.rows] == ["MaxPooling2D", "AveragePooling2D"]
    assert model.rows[1].layer.strides == (2, 2)
    nn = torch().nn
    net = nn.Sequential(nn.MaxPool2d(3, 2, padding=1), nn.AvgPool2d(2))
    for h, w in [(7, 8), (4, 4), (32, 17)]:
        out = torch_counts(net, channels_first((h, w), 3))["output_shape"]
        assert model.subs(H=h, W=w, C=3).output_shape == out
