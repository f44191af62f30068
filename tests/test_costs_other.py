"""Costs of the layers that multiply no matrices: pooling, reshaping, regularization, normalization
and merges.

Their MACs are 0 and everything they compute is an extra FLOP, counted with costs.py's units. The
proof has three parts:
1. the table below: each layer's extra FLOPs in symbols, with the derivation beside it;
2. PyTorch: the real module (or function, for merges, reshapes and permutes), run under
   FlopCounterMode on batches of 1 and 3, reports 0 FLOPs, which is 2 x batch x our MACs (0), and
   its output holds exactly `Row.activations` elements per example;
3. Keras (torch backend): the same for every Keras layer, including those PyTorch lacks.
FlopCounterMode counts only matrix products, convolutions and attention kernels, so it is blind to
the extra FLOPs by design: for these layers its total is 0 = 2 x MACs, and the extra FLOPs rest on
the table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy

from symcount import (
    Add,
    AlphaDropout,
    Average,
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    BatchNormalization,
    Concatenate,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    GroupNorm,
    GroupNormalization,
    Input,
    LayerNorm,
    LayerNormalization,
    Maximum,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    Minimum,
    Model,
    Multiply,
    Permute,
    RepeatVector,
    Reshape,
    Sequential,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    Subtract,
    UnitNormalization,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
    symbols,
)
from symcount.costs import BIAS_FLOPS, MERGE_FLOPS, NORMALIZE_FLOPS, Convention, row_cost, total_cost
from symcount.layers.base import Layer
from symcount.layers.reshaping import INTERPOLATION_TAPS, interpolation_flops
from symcount.model import Row
from tests.frameworks import keras, torch

D, H, W, L, C, T, d, n, g = symbols("D H W L C T d n g")
k, p, q, r, s, t, u, z = symbols("k p q r s t u z")
FRAMEWORKS = ("keras", "torch")


def windows(size: Any, pool: Any, stride: Any, pad: Any = 0) -> sympy.Expr:
    # A window of `pool` positions sliding by `stride` over size + 2*pad positions starts at most
    # at size + 2*pad - pool: floor((size + 2*pad - pool)/stride) + 1 windows, the +1 inside the
    # floor as symcount writes it.
    return sympy.floor((size + 2 * pad - pool + stride) / stride)


def in_layout(layer: Layer, shapes: list[tuple[Any, ...]], framework: str) -> list[tuple[Any, ...]]:
    """The channels-last `shapes` in the layout `layer` reads under `framework`: PyTorch's
    spatial layers take channels first."""
    if framework == "torch" and layer.spatial_layout:
        return [(shape[-1], *shape[:-1]) for shape in shapes]
    return shapes


def row_of(layer: Layer, shapes: list[tuple[Any, ...]], framework: str = "keras", **values: Any) -> Row:
    """The one row of a model applying `layer` to inputs of `shapes` (several for a merge)."""
    inputs = [Input(*shape) for shape in shapes]
    output = layer(inputs if layer.merges else inputs[0])
    model = Model(inputs, output, framework=framework)
    return (model.subs(values) if values else model).rows[0]


# --- 1. The table: (layer, input shapes, extra FLOPs per example); every MAC count is 0. ---

# Normalising an element costs NORMALIZE_FLOPS (mean, variance, subtract, divide); a learned scale
# and a learned shift cost BIAS_FLOPS each.
FULL = NORMALIZE_FLOPS + 2 * BIAS_FLOPS  # 6
HALF = NORMALIZE_FLOPS + BIAS_FLOPS  # 5

TABLE: list[tuple[Layer, list[tuple[Any, ...]], Any]] = [
    # Windowed pooling: each output reads one window of prod(pool) elements (1 FLOP each); an
    # average adds 1 divide per output.
    (MaxPooling2D(p), [(H, W, C)], p**2 * windows(H, p, p) * windows(W, p, p) * C),
    (
        AveragePooling2D((p, q), strides=(s, t)),
        [(H, W, C)],
        (p * q + 1) * windows(H, p, s) * windows(W, q, t) * C,
    ),
    # Keras' "same": ceil(L/s) windows, each counted at its full size p (padding included).
    (MaxPooling1D(p, strides=s, padding="same"), [(L, C)], p * sympy.ceiling(L / s) * C),
    (AveragePooling1D(p), [(L, C)], (p + 1) * windows(L, p, p) * C),
    (AveragePooling3D(k, strides=1, padding="same"), [(D, H, W, C)], (k**3 + 1) * D * H * W * C),
    # PyTorch's explicit padding of z zeros per side.
    (MaxPooling2D(p, padding=z), [(H, W, C)], p**2 * windows(H, p, p, z) * windows(W, p, p, z) * C),
    (
        MaxPooling3D((p, q, r), strides=(s, t, u)),
        [(D, H, W, C)],
        p * q * r * windows(D, p, s) * windows(H, q, t) * windows(W, r, u) * C,
    ),
    # Global pooling: one window per channel covering every position, so each input element is
    # read once; an average adds one divide per channel.
    (GlobalMaxPooling1D(), [(L, C)], L * C),
    (GlobalMaxPooling2D(), [(H, W, C)], H * W * C),
    (GlobalMaxPooling3D(keepdims=True), [(D, H, W, C)], D * H * W * C),
    (GlobalAveragePooling1D(), [(L, C)], L * C + C),
    (GlobalAveragePooling2D(keepdims=True), [(H, W, C)], H * W * C + C),
    (GlobalAveragePooling3D(), [(D, H, W, C)], D * H * W * C + C),
    # UpSampling2D interpolating: a weighted sum of taps**2 inputs per output element, taps**2
    # multiplies and taps**2 - 1 adds. Bilinear: 2 x 2 taps, 4 + 3 = 7.
    (UpSampling2D(s, interpolation="bilinear"), [(H, W, C)], 7 * s**2 * H * W * C),
    # Bicubic: 4 x 4 taps, 16 + 15 = 31.
    (UpSampling2D((s, t), interpolation="bicubic"), [(H, W, C)], 31 * s * t * H * W * C),
    # Lanczos-3: 6 x 6 taps, 36 + 35 = 71, on an output fixed at p x q.
    (UpSampling2D(output_size=(p, q), interpolation="lanczos3"), [(H, W, C)], 71 * p * q * C),
    # Lanczos-5: 10 x 10 taps, 100 + 99 = 199.
    (UpSampling2D(s, interpolation="lanczos5"), [(H, W, C)], 199 * s**2 * H * W * C),
    # Nearest-neighbour only copies, and so do the other reshaping layers: 0.
    (UpSampling2D(s), [(H, W, C)], 0),
    (UpSampling1D(s), [(L, C)], 0),
    (UpSampling3D(s), [(D, H, W, C)], 0),
    (Reshape((-1, C)), [(H, W, C)], 0),
    (Permute((2, 1)), [(L, C)], 0),
    (RepeatVector(r), [(n,)], 0),
    (ZeroPadding1D(z), [(L, C)], 0),
    (ZeroPadding2D(z), [(H, W, C)], 0),
    (ZeroPadding3D(z), [(D, H, W, C)], 0),
    (Cropping1D(1), [(L, C)], 0),
    (Cropping2D(1), [(H, W, C)], 0),
    (Cropping3D(1), [(D, H, W, C)], 0),
    # Regularization is the identity at inference: 0.
    (Dropout(0.5), [(n,)], 0),
    (SpatialDropout1D(0.5), [(L, C)], 0),
    (SpatialDropout2D(0.5), [(H, W, C)], 0),
    (SpatialDropout3D(0.5), [(D, H, W, C)], 0),
    (GaussianDropout(0.5), [(n,)], 0),
    (GaussianNoise(0.1), [(H, W, C)], 0),
    (AlphaDropout(0.5), [(n,)], 0),
    # BatchNorm: every element standardised (4), scaled (1) and shifted (1), statistics or not.
    (BatchNormalization(), [(H, W, C)], FULL * H * W * C),
    (BatchNormalization(axis=1), [(L, C)], FULL * L * C),
    (BatchNormalization(scale=False), [(H, W, C)], HALF * H * W * C),
    (BatchNormalization(scale=False, center=False), [(H, W, C)], NORMALIZE_FLOPS * H * W * C),
    (BatchNormalization(renorm=True), [(n,)], FULL * n),
    (BatchNorm1d(C), [(L, C)], FULL * L * C),
    (BatchNorm1d(C, affine=False), [(C,)], NORMALIZE_FLOPS * C),
    (BatchNorm2d(C, track_running_stats=False), [(H, W, C)], FULL * H * W * C),
    (BatchNorm3d(C, bias=False), [(D, H, W, C)], HALF * D * H * W * C),
    # LayerNorm: standardised over the normalized axes, then scaled and shifted.
    (LayerNormalization(), [(T, d)], FULL * T * d),
    (LayerNormalization(axis=[1, 2]), [(T, d)], FULL * T * d),
    (LayerNormalization(center=False), [(T, d)], HALF * T * d),
    # rms_scaling: divided by the root mean square (counted as a standardisation) and scaled.
    (LayerNormalization(rms_scaling=True), [(T, d)], HALF * T * d),
    (LayerNorm(d), [(T, d)], FULL * T * d),
    (LayerNorm((T, d), bias=False), [(T, d)], HALF * T * d),
    (LayerNorm(d, elementwise_affine=False), [(T, d)], NORMALIZE_FLOPS * T * d),
    # GroupNorm: standardised by the group's statistics, scaled and shifted per channel.
    (GroupNormalization(g), [(H, W, C)], FULL * H * W * C),
    (GroupNormalization(-1, scale=False), [(L, C)], HALF * L * C),
    (GroupNorm(g), [(H, W, C)], FULL * H * W * C),
    (GroupNorm(g, affine=False), [(L, C)], NORMALIZE_FLOPS * L * C),
    # UnitNormalization: each element normalised (one NORMALIZE_FLOPS), no scale or shift.
    (UnitNormalization(), [(T, d)], NORMALIZE_FLOPS * T * d),
    (UnitNormalization(axis=[1, 2]), [(H, W, C)], NORMALIZE_FLOPS * H * W * C),
    # Elementwise merges of m inputs: m - 1 operations per output element.
    (Add(), [(n,), (n,)], MERGE_FLOPS * n),
    (Add(), [(H, W, C)] * 3, 2 * MERGE_FLOPS * H * W * C),
    (Subtract(), [(T, d), (T, d)], MERGE_FLOPS * T * d),
    (Multiply(), [(n,)] * 4, 3 * MERGE_FLOPS * n),
    # Average: the n - 1 adds of costs.py's merge unit (no separate divide).
    (Average(), [(n,), (n,)], MERGE_FLOPS * n),
    # A broadcast input (1, d) meets each of the T rows: T*d outputs, one comparison each.
    (Maximum(), [(1, d), (T, d)], MERGE_FLOPS * T * d),
    (Minimum(), [(T, d)] * 3, 2 * MERGE_FLOPS * T * d),
    # Concatenate copies: 0.
    (Concatenate(), [(T, d), (T, n)], 0),
]


@pytest.mark.parametrize(("layer", "shapes", "expected"), TABLE, ids=lambda v: getattr(v, "kind", None))
def test_formula(layer: Layer, shapes: list[tuple[Any, ...]], expected: Any) -> None:
    # The same under both frameworks (PyTorch has no batch renormalization: Keras only).
    for framework in ("keras",) if getattr(layer, "renorm", False) else FRAMEWORKS:
        row = row_of(layer, in_layout(layer, shapes, framework), framework)
        assert row.macs == 0
        assert sympy.expand(row.extra_flops - expected) == 0, (framework, row.extra_flops)


def test_interpolation_counts() -> None:
    # Per output element of a 2-D resampling: taps**2 multiplies and taps**2 - 1 adds.
    assert {mode: interpolation_flops(mode, 2) for mode in INTERPOLATION_TAPS} == {
        "nearest": 0, "bilinear": 7, "bicubic": 31, "lanczos3": 71, "lanczos5": 199,
    }  # fmt: skip
    row = row_of(UpSampling2D(s, interpolation="bicubic"), [(H, W, C)])
    assert sympy.expand(row.extra_flops - 31 * row.activations) == 0


def test_flops_count_extras_only_when_asked() -> None:
    (b,) = symbols("b")
    model = Sequential(Input(H, W, C), BatchNormalization(), MaxPooling2D(2), batch=b)
    pooled = 4 * sympy.floor(H / 2) * sympy.floor(W / 2) * C
    assert total_cost(model, "macs") == 0
    assert total_cost(model, "flops") == 0
    with_extras = total_cost(model, "flops", Convention(extras=True))
    assert sympy.expand(with_extras - b * (6 * H * W * C + pooled)) == 0
    training = row_cost(model.rows[0], "training_flops", Convention(extras=True))
    assert sympy.expand(training - 3 * 6 * H * W * C) == 0


# --- 2. PyTorch: FlopCounterMode reports 0 = 2 x batch x MACs; outputs hold `activations`. ---

# (symcount layer, input shapes, torch callable from the sizes, channels first?, sizes to try).
# Windowed cases include strides that do not divide the input and 1-wide inputs.
TorchCase = tuple[Layer, list[tuple[Any, ...]], Callable[[dict[str, int]], Any], bool, list[dict[str, int]]]


def nn() -> Any:
    return torch().nn


def fn(name: str) -> Callable[[dict[str, int]], Any]:
    """A torch function taking the inputs as separate tensors (merges, reshapes)."""
    return lambda v: {
        "add": lambda *x: sum(x[1:], x[0]),
        "sub": lambda a, b: a - b,
        "mul": lambda *x: torch().stack(x).prod(0),
        "mean": lambda *x: torch().stack(x).mean(0),
        "max": lambda a, b: torch().maximum(a, b),
        "min": lambda *x: torch().stack(x).amin(0),
        "cat": lambda *x: torch().cat(x, dim=-1),
        "reshape": lambda x: x.reshape(x.shape[0], -1, x.shape[-1]),
        "permute": lambda x: x.permute(0, 2, 1),
        "repeat": lambda x: x.unsqueeze(1).expand(-1, v["r"], -1),
    }[name]


TORCH: list[TorchCase] = [
    (MaxPooling1D(p, strides=s), [(L, C)], lambda v: nn().MaxPool1d(v["p"], v["s"]), True,
     [{"L": 7, "C": 3, "p": 2, "s": 3}, {"L": 1, "C": 2, "p": 1, "s": 1}, {"L": 10, "C": 1, "p": 3, "s": 2}]),
    (MaxPooling2D(p, strides=s, padding=z), [(H, W, C)], lambda v: nn().MaxPool2d(v["p"], v["s"], v["z"]), True,
     [{"H": 7, "W": 5, "C": 3, "p": 3, "s": 2, "z": 1}, {"H": 4, "W": 9, "C": 2, "p": 2, "s": 2, "z": 0}]),
    (MaxPooling3D(p), [(D, H, W, C)], lambda v: nn().MaxPool3d(v["p"]), True,
     [{"D": 4, "H": 5, "W": 6, "C": 2, "p": 2}, {"D": 3, "H": 3, "W": 3, "C": 1, "p": 3}]),
    (AveragePooling1D(p, padding=z), [(L, C)], lambda v: nn().AvgPool1d(v["p"], v["p"], v["z"]), True,
     [{"L": 9, "C": 2, "p": 3, "z": 1}, {"L": 2, "C": 4, "p": 2, "z": 0}]),
    (AveragePooling2D((p, q), strides=(s, t)), [(H, W, C)],
     lambda v: nn().AvgPool2d((v["p"], v["q"]), (v["s"], v["t"])), True,
     [{"H": 8, "W": 7, "C": 3, "p": 2, "q": 3, "s": 3, "t": 2}, {"H": 1, "W": 5, "C": 1, "p": 1, "q": 5, "s": 1, "t": 1}]),
    (AveragePooling3D(p, padding=z), [(D, H, W, C)], lambda v: nn().AvgPool3d(v["p"], padding=v["z"]), True,
     [{"D": 3, "H": 5, "W": 4, "C": 2, "p": 2, "z": 1}]),
    # Global pooling: PyTorch's adaptive pooling to one position.
    (GlobalMaxPooling1D(), [(L, C)], lambda v: nn().AdaptiveMaxPool1d(1), True, [{"L": 5, "C": 3}, {"L": 1, "C": 1}]),
    (GlobalMaxPooling2D(keepdims=True), [(H, W, C)], lambda v: nn().AdaptiveMaxPool2d(1), True,
     [{"H": 4, "W": 3, "C": 5}]),
    (GlobalMaxPooling3D(), [(D, H, W, C)], lambda v: nn().AdaptiveMaxPool3d(1), True,
     [{"D": 2, "H": 3, "W": 4, "C": 2}]),
    (GlobalAveragePooling1D(keepdims=True), [(L, C)], lambda v: nn().AdaptiveAvgPool1d(1), True,
     [{"L": 6, "C": 4}]),
    (GlobalAveragePooling2D(), [(H, W, C)], lambda v: nn().AdaptiveAvgPool2d(1), True,
     [{"H": 5, "W": 5, "C": 3}, {"H": 1, "W": 1, "C": 2}]),
    (GlobalAveragePooling3D(), [(D, H, W, C)], lambda v: nn().AdaptiveAvgPool3d(1), True,
     [{"D": 3, "H": 2, "W": 2, "C": 3}]),
    # Upsampling: nn.Upsample, by a factor or to a size.
    (UpSampling1D(s), [(L, C)], lambda v: nn().Upsample(scale_factor=v["s"]), True, [{"L": 4, "C": 2, "s": 3}]),
    (UpSampling2D(s), [(H, W, C)], lambda v: nn().Upsample(scale_factor=v["s"]), True,
     [{"H": 3, "W": 4, "C": 2, "s": 2}]),
    (UpSampling2D((s, t), interpolation="bilinear"), [(H, W, C)],
     lambda v: nn().Upsample(scale_factor=(v["s"], v["t"]), mode="bilinear"), True,
     [{"H": 3, "W": 4, "C": 2, "s": 2, "t": 3}, {"H": 1, "W": 1, "C": 1, "s": 4, "t": 1}]),
    (UpSampling2D(s, interpolation="bicubic"), [(H, W, C)],
     lambda v: nn().Upsample(scale_factor=v["s"], mode="bicubic"), True, [{"H": 5, "W": 3, "C": 2, "s": 2}]),
    (UpSampling2D(output_size=(p, q), interpolation="bilinear"), [(H, W, C)],
     lambda v: nn().Upsample(size=(v["p"], v["q"]), mode="bilinear"), True,
     [{"H": 3, "W": 4, "C": 2, "p": 7, "q": 5}]),
    (UpSampling3D(s), [(D, H, W, C)], lambda v: nn().Upsample(scale_factor=v["s"]), True,
     [{"D": 2, "H": 3, "W": 2, "C": 2, "s": 2}]),
    # Padding: ZeroPad1d/2d/3d (symmetric amounts, so the axis order does not matter).
    (ZeroPadding1D(z), [(L, C)], lambda v: nn().ZeroPad1d(v["z"]), True, [{"L": 4, "C": 2, "z": 2}]),
    (ZeroPadding2D(z), [(H, W, C)], lambda v: nn().ZeroPad2d(v["z"]), True, [{"H": 3, "W": 5, "C": 2, "z": 1}]),
    (ZeroPadding3D(z), [(D, H, W, C)], lambda v: nn().ZeroPad3d(v["z"]), True,
     [{"D": 2, "H": 2, "W": 3, "C": 1, "z": 1}]),
    # Reshaping with tensor methods (channels last, as symcount).
    (Reshape((-1, C)), [(H, W, C)], fn("reshape"), False, [{"H": 3, "W": 4, "C": 5}]),
    (Permute((2, 1)), [(L, C)], fn("permute"), False, [{"L": 3, "C": 7}]),
    (RepeatVector(r), [(n,)], fn("repeat"), False, [{"n": 4, "r": 3}]),
    # Dropout in eval mode: the identity.
    (Dropout(0.5), [(n,)], lambda v: nn().Dropout(0.5), False, [{"n": 6}]),
    (SpatialDropout1D(0.5), [(L, C)], lambda v: nn().Dropout1d(0.5), True, [{"L": 4, "C": 3}]),
    (SpatialDropout2D(0.5), [(H, W, C)], lambda v: nn().Dropout2d(0.5), True, [{"H": 3, "W": 4, "C": 2}]),
    (SpatialDropout3D(0.5), [(D, H, W, C)], lambda v: nn().Dropout3d(0.5), True,
     [{"D": 2, "H": 3, "W": 2, "C": 2}]),
    (AlphaDropout(0.5), [(n,)], lambda v: nn().AlphaDropout(0.5), False, [{"n": 5}]),
    # Normalization (eval mode: BatchNorm uses its running statistics).
    (BatchNormalization(), [(H, W, C)], lambda v: nn().BatchNorm2d(v["C"]), True,
     [{"H": 4, "W": 3, "C": 5}, {"H": 1, "W": 1, "C": 1}]),
    (BatchNorm1d(C), [(L, C)], lambda v: nn().BatchNorm1d(v["C"]), True, [{"L": 5, "C": 3}]),
    (BatchNorm1d(C, affine=False), [(C,)], lambda v: nn().BatchNorm1d(v["C"], affine=False), True, [{"C": 4}]),
    (BatchNorm2d(C), [(H, W, C)], lambda v: nn().BatchNorm2d(v["C"]), True, [{"H": 3, "W": 5, "C": 2}]),
    (BatchNorm3d(C), [(D, H, W, C)], lambda v: nn().BatchNorm3d(v["C"]), True, [{"D": 2, "H": 3, "W": 2, "C": 3}]),
    (LayerNorm(d), [(T, d)], lambda v: nn().LayerNorm(v["d"]), False, [{"T": 5, "d": 8}, {"T": 1, "d": 1}]),
    (LayerNorm((T, d), bias=False), [(T, d)], lambda v: nn().LayerNorm((v["T"], v["d"]), bias=False), False,
     [{"T": 3, "d": 4}]),
    (GroupNorm(g), [(H, W, C)], lambda v: nn().GroupNorm(v["g"], v["C"]), True,
     [{"H": 3, "W": 4, "C": 6, "g": 3}, {"H": 2, "W": 2, "C": 4, "g": 4}]),
    (GroupNorm(g, affine=False), [(L, C)], lambda v: nn().GroupNorm(v["g"], v["C"], affine=False), True,
     [{"L": 5, "C": 4, "g": 2}]),
    # Merges: the torch operations themselves.
    (Add(), [(n,), (n,)], fn("add"), False, [{"n": 6}]),
    (Add(), [(H, W, C)] * 3, fn("add"), False, [{"H": 2, "W": 3, "C": 4}]),
    (Subtract(), [(T, d), (T, d)], fn("sub"), False, [{"T": 3, "d": 5}]),
    (Multiply(), [(n,)] * 4, fn("mul"), False, [{"n": 7}]),
    (Average(), [(n,), (n,)], fn("mean"), False, [{"n": 3}]),
    (Maximum(), [(1, d), (T, d)], fn("max"), False, [{"T": 4, "d": 3}]),
    (Minimum(), [(T, d)] * 3, fn("min"), False, [{"T": 2, "d": 5}]),
    (Concatenate(), [(T, d), (T, n)], fn("cat"), False, [{"T": 3, "d": 2, "n": 4}]),
]  # fmt: skip


def concrete(shape: tuple[Any, ...], values: dict[str, int]) -> tuple[int, ...]:
    return tuple(int(sympy.sympify(dim).subs({x: values[x.name] for x in sympy.sympify(dim).free_symbols}))
                 for dim in shape)  # fmt: skip


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("layer", "shapes", "make", "first", "sizes"), TORCH, ids=lambda v: getattr(v, "kind", None)
)
def test_torch(
    layer: Layer,
    shapes: list[tuple[Any, ...]],
    make: Callable[..., Any],
    first: bool,
    sizes: list[dict[str, int]],
) -> None:
    th = torch()
    from torch.utils.flop_counter import FlopCounterMode

    for values in sizes:
        row = row_of(layer, in_layout(layer, shapes, "torch"), "torch", **values)
        assert row.macs == 0
        module = make(values)
        if isinstance(module, th.nn.Module):
            module.eval()
        for batch in (1, 3):
            tensors = []
            for shape in shapes:
                dims = concrete(shape, values)
                if first:  # PyTorch puts the channels first: (batch, C, *spatial)
                    dims = (dims[-1], *dims[:-1])
                tensors.append(th.rand(batch, *dims))
            with FlopCounterMode(display=False) as mode, th.no_grad():
                output = module(*tensors)
            # FlopCounterMode counts matrix products and convolutions: none here, so its total is
            # 2 x batch x our MACs, both 0; the extra FLOPs are outside what it counts.
            assert mode.get_total_flops() == 2 * batch * row.macs == 0, values
            assert output.numel() == batch * row.activations, (values, tuple(output.shape))


# --- 3. Keras (torch backend): the same, for every Keras layer of these families. ---

KerasCase = tuple[Layer, list[tuple[Any, ...]], Callable[[Any, dict[str, int]], Any], list[dict[str, int]]]

KERAS: list[KerasCase] = [
    (MaxPooling2D(p, strides=s, padding="same"), [(H, W, C)],
     lambda K, v: K.layers.MaxPooling2D(v["p"], v["s"], padding="same"), [{"H": 7, "W": 5, "C": 2, "p": 3, "s": 2}]),
    (AveragePooling1D(p), [(L, C)], lambda K, v: K.layers.AveragePooling1D(v["p"]), [{"L": 7, "C": 3, "p": 2}]),
    (MaxPooling3D(p), [(D, H, W, C)], lambda K, v: K.layers.MaxPooling3D(v["p"]),
     [{"D": 3, "H": 4, "W": 5, "C": 2, "p": 2}]),
    (AveragePooling3D(p, padding="same"), [(D, H, W, C)],
     lambda K, v: K.layers.AveragePooling3D(v["p"], padding="same"), [{"D": 3, "H": 2, "W": 5, "C": 1, "p": 2}]),
    (GlobalMaxPooling2D(), [(H, W, C)], lambda K, v: K.layers.GlobalMaxPooling2D(), [{"H": 3, "W": 4, "C": 5}]),
    (GlobalAveragePooling1D(keepdims=True), [(L, C)], lambda K, v: K.layers.GlobalAveragePooling1D(keepdims=True),
     [{"L": 4, "C": 3}]),
    (GlobalAveragePooling3D(), [(D, H, W, C)], lambda K, v: K.layers.GlobalAveragePooling3D(),
     [{"D": 2, "H": 2, "W": 3, "C": 2}]),
    (UpSampling1D(s), [(L, C)], lambda K, v: K.layers.UpSampling1D(v["s"]), [{"L": 3, "C": 2, "s": 3}]),
    (UpSampling2D(s, interpolation="bilinear"), [(H, W, C)],
     lambda K, v: K.layers.UpSampling2D(v["s"], interpolation="bilinear"), [{"H": 3, "W": 2, "C": 2, "s": 2}]),
    (UpSampling2D(s, interpolation="bicubic"), [(H, W, C)],
     lambda K, v: K.layers.UpSampling2D(v["s"], interpolation="bicubic"), [{"H": 4, "W": 4, "C": 1, "s": 3}]),
    (UpSampling3D(s), [(D, H, W, C)], lambda K, v: K.layers.UpSampling3D(v["s"]), [{"D": 2, "H": 2, "W": 3, "C": 2, "s": 2}]),
    (Reshape((-1, C)), [(H, W, C)], lambda K, v: K.layers.Reshape((-1, v["C"])), [{"H": 2, "W": 3, "C": 4}]),
    (Permute((2, 1)), [(L, C)], lambda K, v: K.layers.Permute((2, 1)), [{"L": 3, "C": 5}]),
    (RepeatVector(r), [(n,)], lambda K, v: K.layers.RepeatVector(v["r"]), [{"n": 3, "r": 4}]),
    (ZeroPadding2D(z), [(H, W, C)], lambda K, v: K.layers.ZeroPadding2D(v["z"]), [{"H": 3, "W": 2, "C": 2, "z": 2}]),
    (Cropping1D(1), [(L, C)], lambda K, v: K.layers.Cropping1D(1), [{"L": 5, "C": 2}]),
    (Cropping2D(1), [(H, W, C)], lambda K, v: K.layers.Cropping2D(1), [{"H": 4, "W": 5, "C": 2}]),
    (Cropping3D(1), [(D, H, W, C)], lambda K, v: K.layers.Cropping3D(1), [{"D": 3, "H": 4, "W": 3, "C": 1}]),
    (Dropout(0.5), [(n,)], lambda K, v: K.layers.Dropout(0.5), [{"n": 5}]),
    (SpatialDropout2D(0.5), [(H, W, C)], lambda K, v: K.layers.SpatialDropout2D(0.5), [{"H": 3, "W": 3, "C": 2}]),
    (GaussianDropout(0.5), [(n,)], lambda K, v: K.layers.GaussianDropout(0.5), [{"n": 4}]),
    (GaussianNoise(0.1), [(H, W, C)], lambda K, v: K.layers.GaussianNoise(0.1), [{"H": 2, "W": 3, "C": 2}]),
    (AlphaDropout(0.5), [(n,)], lambda K, v: K.layers.AlphaDropout(0.5), [{"n": 4}]),
    (BatchNormalization(), [(H, W, C)], lambda K, v: K.layers.BatchNormalization(), [{"H": 3, "W": 2, "C": 4}]),
    (LayerNormalization(rms_scaling=True), [(T, d)], lambda K, v: K.layers.LayerNormalization(rms_scaling=True),
     [{"T": 3, "d": 6}]),
    (GroupNormalization(g), [(H, W, C)], lambda K, v: K.layers.GroupNormalization(v["g"]),
     [{"H": 2, "W": 3, "C": 6, "g": 2}]),
    (UnitNormalization(), [(T, d)], lambda K, v: K.layers.UnitNormalization(), [{"T": 4, "d": 3}]),
    (Add(), [(H, W, C)] * 3, lambda K, v: K.layers.Add(), [{"H": 2, "W": 2, "C": 3}]),
    (Subtract(), [(n,), (n,)], lambda K, v: K.layers.Subtract(), [{"n": 5}]),
    (Multiply(), [(n,)] * 3, lambda K, v: K.layers.Multiply(), [{"n": 4}]),
    (Average(), [(T, d), (T, d)], lambda K, v: K.layers.Average(), [{"T": 2, "d": 3}]),
    (Maximum(), [(1, d), (T, d)], lambda K, v: K.layers.Maximum(), [{"T": 3, "d": 4}]),
    (Minimum(), [(n,), (n,)], lambda K, v: K.layers.Minimum(), [{"n": 2}]),
    (Concatenate(), [(T, d), (T, n)], lambda K, v: K.layers.Concatenate(), [{"T": 2, "d": 3, "n": 5}]),
]  # fmt: skip


@pytest.mark.frameworks
@pytest.mark.parametrize(("layer", "shapes", "make", "sizes"), KERAS, ids=lambda v: getattr(v, "kind", None))
def test_keras(
    layer: Layer, shapes: list[tuple[Any, ...]], make: Callable[..., Any], sizes: list[dict[str, int]]
) -> None:
    K = keras()
    from torch.utils.flop_counter import FlopCounterMode

    for values in sizes:
        row = row_of(layer, shapes, "keras", **values)
        assert row.macs == 0
        real = make(K, values)
        for batch in (1, 3):
            arrays = [np.random.rand(batch, *concrete(shape, values)).astype("float32") for shape in shapes]
            with FlopCounterMode(display=False) as mode:
                output = real(arrays if layer.merges else arrays[0])
            assert mode.get_total_flops() == 2 * batch * row.macs == 0, values
            assert int(np.prod(output.shape)) == batch * row.activations, (values, tuple(output.shape))
