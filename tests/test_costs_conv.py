"""Compute costs of the core and convolution layers, and of the lesson's two networks.

First the formulas, each with its derivation; then the proof: the same layer built in PyTorch and
run under FlopCounterMode, which counts 2 FLOPs per multiply-accumulate of every matrix product and
convolution (transposed ones included) and nothing else. So for every layer here

    torch FLOPs                      = 2 x batch x macs                       (exactly), and
    symcount FLOPs with extras       = torch FLOPs + batch x extra_flops,

where extra_flops = (bias + activation FLOPs per element) x output elements: PyTorch ignores bias
adds (it counts addmm as mm, a biased convolution as the convolution) and activations entirely.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import sympy

from symcount import (
    Activation,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Dense,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Flatten,
    Input,
    SeparableConv1D,
    SeparableConv2D,
    Sequential,
    build,
    symbols,
)
from symcount.costs import Convention, total_cost
from symcount.layers.base import Layer
from tests.frameworks import torch

A, B, T, n, u = symbols("A B T n u")
L, D, H, W, C = symbols("L D H W C")
f, k, k1, k2, k3, s, d, g, m, p, q, h1, h2 = symbols("f k k1 k2 k3 s d g m p q h1 h2")


def out(size: Any, kernel: Any = k, stride: Any = 1, dilation: Any = 1, pad: Any = 0) -> sympy.Expr:
    """Output length of a window slid along one axis (PyTorch's docs' formula)."""
    return sympy.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1


# (layer, input shape, framework, MACs, extra FLOPs); V is a 'valid' output length.
V = {size: size - k + 1 for size in (L, H, W)}
FORMULAS = [
    # Dense: u dot products of length n at each position of the other axes; a bias add per output.
    (Dense(u), (n,), "keras", n * u, u),
    (Dense(u, activation="relu"), (T, n), "keras", T * n * u, 2 * T * u),
    (Dense(u, use_bias=False, activation="softmax"), (A, B, n), "keras", A * B * n * u, 3 * A * B * u),
    # Flatten moves nothing; Activation applies its function once per element (softmax: 3).
    (Flatten(), (H, W, C), "keras", 0, 0),
    (Activation("tanh"), (H, W, C), "keras", 0, H * W * C),
    (Activation("softmax"), (n,), "keras", 0, 3 * n),
    (Activation("linear"), (n,), "keras", 0, 0),
    # Conv: output positions x f filters x a kernel of k taps over C/groups channels.
    (Conv1D(f, k), (L, C), "keras", V[L] * f * k * C, V[L] * f),
    (
        Conv1D(f, k, padding="causal", dilation_rate=d, activation="relu"),
        (L, C),
        "keras",
        L * f * k * C,
        2 * L * f,
    ),
    (
        Conv2D(f, k, padding="same", activation="relu"),
        (H, W, C),
        "keras",
        H * W * f * k**2 * C,
        2 * H * W * f,
    ),
    (
        Conv2D(f, k, strides=s, padding=p, dilation_rate=d, groups=g),
        (C, H, W),
        "torch",
        out(H, k, s, d, p) * out(W, k, s, d, p) * f * k**2 * C / g,
        out(H, k, s, d, p) * out(W, k, s, d, p) * f,
    ),
    (
        Conv3D(f, (k1, k2, k3), use_bias=False),
        (D, H, W, C),
        "keras",
        (D - k1 + 1) * (H - k2 + 1) * (W - k3 + 1) * f * k1 * k2 * k3 * C,
        0,
    ),
    # Transposed: each input position scatters its C values through k taps onto f/groups filters
    # (cropped or not); the bias is added at every output position.
    (
        Conv2DTranspose(f, k, strides=s),
        (H, W, C),
        "keras",
        H * W * C * k**2 * f,
        f * (H * s + sympy.Max(k - s, 0)) * (W * s + sympy.Max(k - s, 0)),
    ),
    (
        ConvTranspose1d(C, f, k, strides=s, padding=p, groups=g, dilation_rate=d, activation="relu"),
        (C, L),
        "torch",
        L * C * k * f / g,
        2 * f * ((L - 1) * s + d * (k - 1) + 1 - 2 * p),
    ),
    # Depthwise: each of the C*m output channels is a k-tap window on one input channel.
    (
        DepthwiseConv2D(k, depth_multiplier=m),
        (H, W, C),
        "keras",
        V[H] * V[W] * C * m * k**2,
        V[H] * V[W] * C * m,
    ),
    (
        DepthwiseConv1D(k, strides=s, padding="same", use_bias=False, activation="relu"),
        (L, C),
        "keras",
        sympy.ceiling(L / s) * C * k,
        sympy.ceiling(L / s) * C,
    ),
    # Separable: the depthwise step, then f dot products over its C*m channels; one bias (per filter).
    (
        SeparableConv2D(f, k, depth_multiplier=m, padding="same", activation="relu"),
        (H, W, C),
        "keras",
        H * W * C * m * k**2 + H * W * C * m * f,
        2 * H * W * f,
    ),
    (SeparableConv1D(f, k), (L, C), "keras", V[L] * C * (k + f), V[L] * f),
]


def equal(a: Any, b: Any) -> bool:
    difference = sympy.expand(sympy.sympify(a) - sympy.sympify(b))
    return difference == 0 or sympy.simplify(difference) == 0


@pytest.mark.parametrize(("layer", "shape", "framework", "macs", "extra"), FORMULAS)
def test_formulas(layer: Layer, shape: tuple, framework: str, macs: Any, extra: Any) -> None:
    (row,) = Sequential(Input(*shape), layer, framework=framework).rows
    assert equal(row.macs, macs), row.macs
    assert equal(row.extra_flops, extra), row.extra_flops


# The proof against PyTorch. Each case: a symbolic symcount layer, its input, the framework, a
# builder of the PyTorch module from concrete values, the extra FLOPs per output element that
# PyTorch leaves out (bias add + activation), and the sizes to try.

Builder = Callable[[dict[str, int]], Any]


def nn() -> Any:
    return torch().nn


def keras_same_pad(v: dict[str, int], axes: tuple[str, ...]) -> Any:
    """Keras' 'same' for strides > 1 in PyTorch: asymmetric zeros (the extra one on the right)."""
    sides: list[int] = []
    for axis in reversed(axes):  # ZeroPadNd lists the last axis first
        size, stride, kernel = v[axis], v["s"], v["k"]
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        sides += [total // 2, total - total // 2]
    return {1: nn().ConstantPad1d, 2: nn().ZeroPad2d}[len(axes)](tuple(sides))


def transposed_same(v: dict[str, int]) -> tuple[int, int]:
    """PyTorch padding and output_padding giving Keras' 'same' transposed length n*s."""
    pad = max(math.ceil((v["k"] - v["s"]) / 2), 0)
    return pad, v["s"] - v["k"] + 2 * pad


CASES: list[tuple[str, Layer, tuple, str, Builder, int, list[dict[str, int]]]] = [
    (
        "dense",
        Dense(u),
        (n,),
        "keras",
        lambda v: nn().Linear(v["n"], v["u"]),
        1,
        [dict(n=7, u=5), dict(n=1, u=1), dict(n=64, u=33)],
    ),
    (
        "dense-rank3-relu",
        Dense(u, activation="relu"),
        (A, T, n),
        "keras",
        lambda v: nn().Sequential(nn().Linear(v["n"], v["u"]), nn().ReLU()),
        2,
        [dict(A=2, T=3, n=7, u=5), dict(A=1, T=1, n=1, u=1)],
    ),
    (
        "dense-nobias-softmax",
        Dense(u, use_bias=False, activation="softmax"),
        (T, n),
        "keras",
        lambda v: nn().Sequential(nn().Linear(v["n"], v["u"], bias=False), nn().Softmax(-1)),
        3,
        [dict(T=4, n=6, u=3), dict(T=1, n=2, u=9)],
    ),
    ("flatten", Flatten(), (H, W, C), "keras", lambda v: nn().Flatten(), 0, [dict(H=3, W=4, C=5)]),
    ("activation", Activation("tanh"), (H, W, C), "keras", lambda v: nn().Tanh(), 1, [dict(H=3, W=4, C=5)]),
    (
        "conv1d-causal",
        Conv1D(f, k, padding="causal", dilation_rate=d),
        (L, C),
        "keras",
        lambda v: nn().Sequential(
            nn().ConstantPad1d((v["d"] * (v["k"] - 1), 0), 0.0),
            nn().Conv1d(v["C"], v["f"], v["k"], dilation=v["d"]),
        ),
        1,
        [dict(L=10, C=3, f=4, k=3, d=2), dict(L=1, C=1, f=1, k=1, d=1)],
    ),
    (
        "conv2d-torch",
        Conv2D(f, k, strides=s, padding=p, dilation_rate=d, groups=g),
        (C, H, W),
        "torch",
        lambda v: nn().Conv2d(
            v["C"], v["f"], v["k"], stride=v["s"], padding=v["p"], dilation=v["d"], groups=v["g"]
        ),
        1,
        [
            dict(H=9, W=7, C=6, f=4, k=3, s=2, p=1, d=2, g=2),
            dict(H=5, W=5, C=3, f=3, k=2, s=1, p=0, d=1, g=3),
            dict(H=1, W=1, C=1, f=1, k=1, s=1, p=0, d=1, g=1),
        ],
    ),
    (
        "conv2d-same-strided-relu",
        Conv2D(f, k, strides=s, padding="same", activation="relu"),
        (H, W, C),
        "keras",
        lambda v: nn().Sequential(
            keras_same_pad(v, ("H", "W")), nn().Conv2d(v["C"], v["f"], v["k"], stride=v["s"]), nn().ReLU()
        ),
        2,
        [dict(H=9, W=8, C=2, f=3, k=3, s=2), dict(H=5, W=6, C=1, f=2, k=4, s=3)],
    ),
    (
        "conv3d",
        Conv3D(f, (k1, k2, k3), use_bias=False),
        (D, H, W, C),
        "keras",
        lambda v: nn().Conv3d(v["C"], v["f"], (v["k1"], v["k2"], v["k3"]), bias=False),
        0,
        [dict(D=4, H=5, W=6, C=2, f=3, k1=2, k2=3, k3=1), dict(D=1, H=1, W=1, C=1, f=1, k1=1, k2=1, k3=1)],
    ),
    (
        "conv2d-transpose-valid",
        Conv2DTranspose(f, k, strides=s),
        (H, W, C),
        "keras",
        # Keras' 'valid' keeps (n-1)*s + max(k, s): PyTorch's output_padding makes up the max.
        lambda v: nn().ConvTranspose2d(
            v["C"], v["f"], v["k"], stride=v["s"], output_padding=max(v["s"] - v["k"], 0)
        ),
        1,
        [dict(H=4, W=3, C=2, f=3, k=3, s=2), dict(H=3, W=5, C=3, f=2, k=2, s=3)],
    ),
    (
        "conv1d-transpose-same",
        Conv1DTranspose(f, k, strides=s, padding="same", activation="relu"),
        (L, C),
        "keras",
        lambda v: nn().Sequential(
            nn().ConvTranspose1d(
                v["C"],
                v["f"],
                v["k"],
                stride=v["s"],
                padding=transposed_same(v)[0],
                output_padding=transposed_same(v)[1],
            ),
            nn().ReLU(),
        ),
        2,
        [dict(L=6, C=2, f=3, k=3, s=2), dict(L=4, C=3, f=2, k=1, s=2), dict(L=5, C=1, f=1, k=5, s=1)],
    ),
    (
        "conv-transpose2d-torch",
        ConvTranspose2d(C, f, k, strides=s, padding=p, output_padding=q, groups=g, dilation_rate=d),
        (C, H, W),
        "torch",
        lambda v: nn().ConvTranspose2d(
            v["C"],
            v["f"],
            v["k"],
            stride=v["s"],
            padding=v["p"],
            output_padding=v["q"],
            groups=v["g"],
            dilation=v["d"],
        ),
        1,
        [
            dict(H=5, W=4, C=6, f=4, k=3, s=2, p=1, q=1, d=2, g=2),
            dict(H=3, W=3, C=3, f=6, k=2, s=1, p=0, q=0, d=1, g=3),
        ],
    ),
    (
        "conv-transpose3d-torch",
        ConvTranspose3d(C, f, k, strides=s, use_bias=False),
        (C, D, H, W),
        "torch",
        lambda v: nn().ConvTranspose3d(v["C"], v["f"], v["k"], stride=v["s"], bias=False),
        0,
        [dict(D=2, H=3, W=4, C=2, f=3, k=2, s=2)],
    ),
    (
        "conv3d-transpose-keras",
        Conv3DTranspose(f, k, strides=s),
        (D, H, W, C),
        "keras",
        lambda v: nn().ConvTranspose3d(
            v["C"], v["f"], v["k"], stride=v["s"], output_padding=max(v["s"] - v["k"], 0)
        ),
        1,
        [dict(D=2, H=3, W=2, C=2, f=2, k=1, s=2)],
    ),
    (
        "depthwise2d",
        DepthwiseConv2D(k, strides=s, depth_multiplier=m, dilation_rate=d),
        (H, W, C),
        "keras",
        lambda v: nn().Conv2d(v["C"], v["C"] * v["m"], v["k"], stride=v["s"], dilation=v["d"], groups=v["C"]),
        1,
        [dict(H=9, W=8, C=3, k=3, s=2, m=2, d=2), dict(H=4, W=4, C=5, k=1, s=1, m=1, d=1)],
    ),
    (
        "depthwise1d-same-relu",
        DepthwiseConv1D(k, depth_multiplier=m, padding="same", activation="relu"),
        (L, C),
        "keras",
        lambda v: nn().Sequential(
            nn().Conv1d(v["C"], v["C"] * v["m"], v["k"], padding="same", groups=v["C"]), nn().ReLU()
        ),
        2,
        [dict(L=10, C=4, k=3, m=3), dict(L=6, C=2, k=4, m=1)],
    ),
    (
        "separable2d",
        SeparableConv2D(f, k, depth_multiplier=m),
        (H, W, C),
        "keras",
        lambda v: nn().Sequential(
            nn().Conv2d(v["C"], v["C"] * v["m"], v["k"], groups=v["C"], bias=False),
            nn().Conv2d(v["C"] * v["m"], v["f"], 1),
        ),
        1,
        [dict(H=7, W=6, C=3, f=5, k=3, m=2), dict(H=2, W=2, C=1, f=1, k=1, m=1)],
    ),
    (
        "separable1d-same-relu",
        SeparableConv1D(f, k, padding="same", activation="relu"),
        (L, C),
        "keras",
        lambda v: nn().Sequential(
            nn().Conv1d(v["C"], v["C"], v["k"], padding="same", groups=v["C"], bias=False),
            nn().Conv1d(v["C"], v["f"], 1),
            nn().ReLU(),
        ),
        2,
        [dict(L=9, C=4, f=6, k=3), dict(L=5, C=2, f=3, k=5)],
    ),
]


def channels_first(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Our channels-last input shape as PyTorch's convolutions take it: (channels, *spatial)."""
    return (shape[-1], *shape[:-1])


def torch_run(module: Any, input_shape: tuple[int, ...], batch: int) -> tuple[int, int]:
    """PyTorch's FLOPs of one forward pass on `batch` examples, and the output's size per example."""
    t = torch()
    from torch.utils.flop_counter import FlopCounterMode

    module.eval()
    with t.no_grad(), FlopCounterMode(display=False) as mode:
        output = module(t.zeros(batch, *input_shape))
    return mode.get_total_flops(), output.numel() // batch


def flat_cases() -> list[Any]:
    return [
        pytest.param(layer, shape, framework, builder, extra, sizes, id=f"{name}-{i}")
        for name, layer, shape, framework, builder, extra, all_sizes in CASES
        for i, sizes in enumerate(all_sizes)
    ]


@pytest.mark.frameworks
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
@pytest.mark.parametrize(("layer", "shape", "framework", "builder", "extra", "sizes"), flat_cases())
def test_layer_equals_flop_counter(
    layer: Layer, shape: tuple, framework: str, builder: Builder, extra: int, sizes: dict[str, int]
) -> None:
    torch()
    model = Sequential(Input(*shape), layer, framework=framework).subs(sizes)
    (row,) = model.rows
    concrete = tuple(int(dim) for dim in row.input_shape)
    # PyTorch's layout already under `torch`; Keras' channels-last input is permuted for the
    # module (Linear reads the last axis in both).
    keras_layout = framework == "keras" and not isinstance(layer, Dense)
    torch_shape = channels_first(concrete) if keras_layout else concrete
    module = builder(sizes)
    for batch in (1, 3):
        flops, per_example = torch_run(module, torch_shape, batch)
        batched = model.with_batch(batch)
        assert flops == 2 * batch * row.macs == total_cost(batched, "flops")
        assert total_cost(batched, "macs") == batch * row.macs
        assert per_example == row.activations
        # The stated difference: PyTorch leaves out the bias adds and activations.
        with_extras = total_cost(batched, "flops", Convention(extras=True))
        assert with_extras == flops + batch * extra * per_example


# The lesson's networks. CNN: two k x k 'same' convolutions of f filters (relu), flatten, dense 3
# (softmax). Dense net: flatten, dense h1 (relu), dense h2 (relu), dense 3 (softmax).
CNN_MACS = H * W * f * k**2 * C + H * W * f * k**2 * f + H * W * f * 3
CNN_EXTRAS = 2 * H * W * f + 2 * H * W * f + 3 + 3 * 3  # bias + relu twice; bias + softmax on 3
DENSE_MACS = H * W * h1 + h1 * h2 + h2 * 3
DENSE_EXTRAS = 2 * h1 + 2 * h2 + 3 + 3 * 3


def test_lesson_formulas_and_numbers() -> None:
    cnn, dense = build("lesson-cnn", defaults=False), build("lesson-dense", defaults=False)
    assert equal(total_cost(cnn, "macs"), CNN_MACS)
    assert equal(sum(row.extra_flops for row in cnn.rows), CNN_EXTRAS)
    assert equal(total_cost(dense, "macs"), DENSE_MACS)
    assert equal(sum(row.extra_flops for row in dense.rows), DENSE_EXTRAS)

    cnn, dense = build("lesson-cnn"), build("lesson-dense")
    assert cnn.count() == 24533 and dense.count() == 7993
    # CNN at H = W = 28, C = 1, f = 10, k = 3: 70,560 + 705,600 + 23,520 MACs.
    assert [row.macs for row in cnn.rows] == [70560, 705600, 0, 23520]
    assert total_cost(cnn, "macs") == 799680 and total_cost(cnn, "flops") == 1599360
    assert total_cost(cnn, "flops", Convention(extras=True)) == 1599360 + 31372
    assert total_cost(cnn, "training_flops") == 3 * 1599360
    # Dense net at H = W = 28, h1 = h2 = 10: 7,840 + 100 + 30 MACs.
    assert [row.macs for row in dense.rows] == [0, 7840, 100, 30]
    assert total_cost(dense, "macs") == 7970 and total_cost(dense, "flops") == 15940
    assert total_cost(dense, "flops", Convention(extras=True)) == 15940 + 52


def torch_cnn(v: dict[str, int]) -> Any:
    pad = v["k"] // 2  # odd kernels: Keras' 'same' is k//2 zeros per side
    return nn().Sequential(
        nn().Conv2d(v["C"], v["f"], v["k"], padding=pad),
        nn().ReLU(),
        nn().Conv2d(v["f"], v["f"], v["k"], padding=pad),
        nn().ReLU(),
        nn().Flatten(),
        nn().Linear(v["H"] * v["W"] * v["f"], 3),
        nn().Softmax(-1),
    )


def torch_dense(v: dict[str, int]) -> Any:
    return nn().Sequential(
        nn().Flatten(),
        nn().Linear(v["H"] * v["W"], v["h1"]),
        nn().ReLU(),
        nn().Linear(v["h1"], v["h2"]),
        nn().ReLU(),
        nn().Linear(v["h2"], 3),
        nn().Softmax(-1),
    )


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("example", "builder", "input_axes", "macs", "extras", "sizes"),
    [
        ("lesson-cnn", torch_cnn, "HWC", CNN_MACS, CNN_EXTRAS, dict(H=28, W=28, C=1, f=10, k=3)),
        ("lesson-cnn", torch_cnn, "HWC", CNN_MACS, CNN_EXTRAS, dict(H=7, W=5, C=3, f=4, k=5)),
        ("lesson-cnn", torch_cnn, "HWC", CNN_MACS, CNN_EXTRAS, dict(H=1, W=1, C=1, f=1, k=1)),
        ("lesson-dense", torch_dense, "HW", DENSE_MACS, DENSE_EXTRAS, dict(H=28, W=28, h1=10, h2=10)),
        ("lesson-dense", torch_dense, "HW", DENSE_MACS, DENSE_EXTRAS, dict(H=5, W=3, h1=7, h2=2)),
    ],
)
def test_lesson_equals_flop_counter(
    example: str, builder: Builder, input_axes: str, macs: Any, extras: Any, sizes: dict[str, int]
) -> None:
    torch()
    model = build(example, sizes)
    module = builder(sizes)
    assert model.count() == sum(p.numel() for p in module.parameters())
    values = {symbol: sizes[symbol.name] for symbol in (macs + extras).free_symbols}
    shape = tuple(sizes[axis] for axis in input_axes)
    for batch in (1, 3):
        flops, per_example = torch_run(module, channels_first(shape) if "C" in input_axes else shape, batch)
        batched = model.with_batch(batch)
        assert flops == 2 * batch * macs.subs(values) == total_cost(batched, "flops")
        assert per_example == model.rows[-1].activations == 3
        with_extras = total_cost(batched, "flops", Convention(extras=True))
        assert with_extras == flops + batch * extras.subs(values)
