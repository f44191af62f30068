"""Convolutions: the formulas, checked against Keras 3 and PyTorch, and the mistakes they refuse.

Every symcount layer here is built with symbols and only then given numbers, so what the oracles
check is the formula itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sympy

from symcount import Input, Sequential, SymcountError, symbols
from symcount.errors import ShapeError, SpecError
from symcount.layers import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Layer,
    SeparableConv1D,
    SeparableConv2D,
)
from symcount.spec import parse_spec
from tests.frameworks import channels_first, keras, keras_counts, symcount_counts, torch, torch_counts

C, D, H, W, L, f, k, j, s, t, d, g, m, p, q = symbols("C D H W L f k j s t d g m p q")

# 1. The formulas, each derived in its comment.
FORMULAS = [
    # A kernel k per filter over all C channels, plus f biases; `valid` leaves L - k + 1 windows.
    (Conv1D(f, k), (L, C), C * f * k + f, (L - k + 1, f)),
    # `causal` pads k - 1 zeros on the left: ceil(L/s) outputs, same weights.
    (Conv1D(f, k, strides=s, padding="causal"), (L, C), C * f * k + f, (sympy.ceiling(L / s), f)),
    # Each filter sees the C/g channels of its group: k*k*(C/g)*f weights, f biases.
    (Conv2D(f, k, groups=g), (H, W, C), C * f * k**2 / g + f, (H - k + 1, W - k + 1, f)),
    # `same` with stride s: ceil(n/s) per axis; no bias.
    (
        Conv2D(f, (k, j), strides=(s, t), padding="same", use_bias=False),
        (H, W, C),
        C * f * j * k,
        (sympy.ceiling(H / s), sympy.ceiling(W / t), f),
    ),
    # A dilated kernel spans d*(k-1)+1 inputs, so H - d*(k-1) windows fit; weights as without dilation.
    (Conv2D(f, k, dilation_rate=d), (H, W, C), C * f * k**2 + f, (H - d * (k - 1), W - d * (k - 1), f)),
    # PyTorch's explicit padding: floor((n + 2p - k)/s) + 1 windows.
    (
        Conv2D(f, k, strides=s, padding=[p, p]),
        (H, W, C),
        C * f * k**2 + f,
        (sympy.floor((H + 2 * p - k) / s) + 1, sympy.floor((W + 2 * p - k) / s) + 1, f),
    ),
    # k**3 * C * f kernel weights and f biases; `valid` shrinks each axis by k - 1.
    (Conv3D(f, k), (D, H, W, C), C * f * k**3 + f, (D - k + 1, H - k + 1, W - k + 1, f)),
    # Transposed: each of C inputs stamps a k-wide kernel onto f outputs s apart; Keras' `valid`
    # keeps (L-1)*s + max(k, s) = L*s + max(k - s, 0).
    (
        Conv1DTranspose(f, k, strides=s),
        (L, C),
        C * f * k + f,
        (L * s + sympy.Max(k - s, 0), f),
    ),
    # Keras' `same` without output_padding: exactly n*s per axis.
    (Conv2DTranspose(f, k, strides=s, padding="same"), (H, W, C), C * f * k**2 + f, (H * s, W * s, f)),
    # With output_padding q, `same` keeps (n-1)*s + (k mod 2) + q; here k = 3 is odd.
    (
        Conv2DTranspose(f, 3, strides=s, padding="same", output_padding=q),
        (H, W, C),
        9 * C * f + f,
        (s * (H - 1) + 1 + q, s * (W - 1) + 1 + q, f),
    ),
    # Depthwise: m kernels of size k per channel, one bias per output channel (C*m of them).
    (DepthwiseConv1D(k, depth_multiplier=m), (L, C), C * k * m + C * m, (L - k + 1, C * m)),
    (
        DepthwiseConv2D(k, strides=s, padding="same", depth_multiplier=m, use_bias=False),
        (H, W, C),
        C * k**2 * m,
        (sympy.ceiling(H / s), sympy.ceiling(W / s), C * m),
    ),
    # Separable: depthwise k*C*m, pointwise 1*(C*m)*f, bias f.
    (SeparableConv1D(f, k, depth_multiplier=m), (L, C), C * k * m + C * m * f + f, (L - k + 1, f)),
    (
        SeparableConv2D(f, (k, j), depth_multiplier=m, dilation_rate=d),
        (H, W, C),
        C * j * k * m + C * m * f + f,
        (H - d * (k - 1), W - d * (j - 1), f),
    ),
]

# Rows only PyTorch builds (Keras refuses groups on transposed convs, and strides with dilation),
# in PyTorch's layout: channels first.
TORCH_FORMULAS = [
    # PyTorch's spelling, padding 0 by default: (n-1)*s + k per axis, even when k < s.
    (ConvTranspose2d(C, f, k, strides=s), (C, H, W), C * f * k**2 + f, (f, s * (H - 1) + k, s * (W - 1) + k)),
    # PyTorch's rule: (n-1)*s - 2p + d*(k-1) + q + 1; groups split the C inputs: C * (f/g) * k**3.
    (
        Conv3DTranspose(f, k, strides=s, padding=p, output_padding=q, groups=g),
        (C, D, H, W),
        C * f * k**3 / g + f,
        (f, *((n - 1) * s - 2 * p + k + q for n in (D, H, W))),
    ),
    # floor((L + 2p - d*(k-1) - 1)/s) + 1 windows: strides and dilation together.
    (
        Conv1D(f, k, strides=s, dilation_rate=d, padding=[p]),
        (C, L),
        C * f * k + f,
        (f, sympy.floor((L + 2 * p - d * (k - 1) - 1) / s) + 1),
    ),
]


ROWS = [(*row, "keras") for row in FORMULAS] + [(*row, "torch") for row in TORCH_FORMULAS]


@pytest.mark.parametrize(("layer", "shape", "params", "output", "framework"), ROWS, ids=lambda v: str(v)[:30])
def test_formula(
    layer: Layer, shape: tuple[Any, ...], params: sympy.Expr, output: tuple[Any, ...], framework: str
) -> None:
    model = Sequential(Input(*shape), layer, framework=framework)
    assert sympy.expand(model.params - params) == 0
    assert len(model.output_shape) == len(output)
    for got, want in zip(model.output_shape, output):
        assert sympy.expand(got - want) == 0, (got, want)


def test_frozen_layer_trains_nothing() -> None:
    model = Sequential(Input(H, W, C), SeparableConv2D(f, k, trainable=False))
    assert model.trainable == 0
    assert sympy.expand(model.non_trainable - (C * k**2 + C * f + f)) == 0


# 2. Oracles. A case is a symcount layer class and its arguments in symbols, and sizes to try.
# `in_keras`: whether Keras builds the layer; `in_torch`: "shape" (counts and output shape), "counts"
# (Keras' padding names PyTorch cannot spell, e.g. `same` with a stride) or "" (no comparison).


@dataclass
class Case:
    cls: type[Layer]
    args: dict[str, Any]
    sizes: list[dict[str, int]]
    in_keras: bool = True
    in_torch: str = "shape"


def case(
    cls: type[Layer],
    sizes: list[dict[str, int]],
    *,
    in_keras: bool = True,
    in_torch: str = "shape",
    **args: Any,
) -> Any:
    name = f"{cls.__name__}-" + "-".join(f"{key}={value}" for key, value in args.items())
    return pytest.param(Case(cls, args, sizes, in_keras, in_torch), id=name)


CASES = [
    # Conv1D: 1-wide inputs and kernels, strides that do not divide, dilation with `valid`, causal.
    case(Conv1D, [{"L": 5, "C": 3, "f": 4, "k": 3}, {"L": 1, "C": 2, "f": 3, "k": 1}, {"L": 3, "C": 1, "f": 1, "k": 3}],
         filters="f", kernel_size="k"),
    case(Conv1D, [{"L": 7, "C": 2, "f": 3, "k": 3, "s": 2}, {"L": 1, "C": 1, "f": 2, "k": 4, "s": 3},
                  {"L": 10, "C": 3, "f": 2, "k": 2, "s": 4}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="same"),
    case(Conv1D, [{"L": 7, "C": 2, "f": 3, "k": 3, "d": 2}, {"L": 1, "C": 1, "f": 2, "k": 2, "d": 3}],
         in_torch="counts", filters="f", kernel_size="k", dilation_rate="d", padding="causal"),
    case(Conv1D, [{"L": 7, "C": 2, "f": 3, "k": 3, "s": 2}, {"L": 5, "C": 1, "f": 2, "k": 2, "s": 3}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="causal"),
    case(Conv1D, [{"L": 9, "C": 2, "f": 3, "k": 3, "d": 2}, {"L": 5, "C": 1, "f": 2, "k": 3, "d": 2},
                  {"L": 4, "C": 2, "f": 1, "k": 2, "d": 3}],
         filters="f", kernel_size="k", dilation_rate="d"),
    case(Conv1D, [{"L": 6, "C": 4, "f": 6, "k": 3, "g": 2}, {"L": 1, "C": 3, "f": 3, "k": 1, "g": 3}],
         filters="f", kernel_size="k", groups="g", use_bias=False),
    case(Conv1D, [{"L": 5, "C": 2, "f": 3, "k": 3, "s": 2, "p": 1}, {"L": 1, "C": 1, "f": 2, "k": 3, "s": 1, "p": 1},
                  {"L": 6, "C": 2, "f": 2, "k": 5, "s": 4, "p": 2}],
         in_keras=False, filters="f", kernel_size="k", strides="s", padding=["p"]),
    # PyTorch takes strides > 1 with dilation > 1 (Keras does not).
    case(Conv1D, [{"L": 11, "C": 2, "f": 3, "k": 3, "s": 2, "d": 2}, {"L": 6, "C": 1, "f": 2, "k": 2, "s": 3, "d": 2}],
         in_keras=False, filters="f", kernel_size="k", strides="s", dilation_rate="d", padding="1"),
    # Conv2D
    case(Conv2D, [{"H": 5, "W": 1, "C": 3, "f": 2, "k": 3, "j": 1, "s": 2, "t": 1},
                  {"H": 8, "W": 7, "C": 1, "f": 4, "k": 2, "j": 3, "s": 3, "t": 2}],
         filters="f", kernel_size=("k", "j"), strides=("s", "t")),
    case(Conv2D, [{"H": 7, "W": 5, "C": 2, "f": 3, "k": 3, "s": 2}, {"H": 1, "W": 1, "C": 1, "f": 2, "k": 3, "s": 2},
                  {"H": 10, "W": 3, "C": 3, "f": 2, "k": 4, "s": 3}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="same"),
    case(Conv2D, [{"H": 4, "W": 1, "C": 2, "f": 3, "k": 3}, {"H": 5, "W": 6, "C": 1, "f": 2, "k": 2}],
         filters="f", kernel_size="k", padding="same"),
    case(Conv2D, [{"H": 7, "W": 5, "C": 4, "f": 6, "k": 2, "g": 2, "d": 3}, {"H": 5, "W": 5, "C": 3, "f": 3, "k": 3, "g": 3, "d": 2}],
         filters="f", kernel_size="k", groups="g", dilation_rate="d"),
    case(Conv2D, [{"H": 5, "W": 1, "C": 2, "f": 3, "k": 3, "p": 1, "q": 1}, {"H": 6, "W": 4, "C": 1, "f": 2, "k": 5, "p": 2, "q": 1}],
         in_keras=False, filters="f", kernel_size="k", padding=("p", "q")),
    case(Conv2D, [{"H": 4, "W": 4, "C": 2, "f": 3, "k": 3}], filters="f", kernel_size="k", use_bias=False, trainable=False),
    # Conv3D
    case(Conv3D, [{"D": 3, "H": 4, "W": 1, "C": 2, "f": 3, "k": 1}, {"D": 4, "H": 3, "W": 5, "C": 1, "f": 2, "k": 2}],
         filters="f", kernel_size="k"),
    case(Conv3D, [{"D": 3, "H": 5, "W": 1, "C": 4, "f": 2, "k": 2, "s": 2, "g": 2}, {"D": 1, "H": 2, "W": 3, "C": 3, "f": 3, "k": 3, "s": 3, "g": 3}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="same", groups="g"),
    case(Conv3D, [{"D": 2, "H": 3, "W": 1, "C": 1, "f": 2, "k": 3, "s": 2, "p": 1}],
         in_keras=False, filters="f", kernel_size="k", strides="s", padding=("p", "p", "p")),
    # Transposed: kernels smaller than, equal to and larger than the stride; 1-wide inputs.
    case(Conv1DTranspose, [{"L": 4, "C": 2, "f": 3, "k": 2, "s": 3}, {"L": 1, "C": 1, "f": 2, "k": 1, "s": 2},
                           {"L": 3, "C": 2, "f": 2, "k": 5, "s": 2}, {"L": 2, "C": 1, "f": 1, "k": 3, "s": 3}],
         in_torch="counts", filters="f", kernel_size="k", strides="s"),
    case(Conv1DTranspose, [{"L": 4, "C": 2, "f": 3, "k": 2, "s": 3}, {"L": 1, "C": 1, "f": 2, "k": 4, "s": 2},
                           {"L": 3, "C": 2, "f": 2, "k": 5, "s": 2}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="same"),
    case(Conv1DTranspose, [{"L": 4, "C": 2, "f": 3, "k": 2, "s": 3, "q": 2}, {"L": 1, "C": 1, "f": 2, "k": 3, "s": 2, "q": 1}],
         filters="f", kernel_size="k", strides="s", output_padding="q"),
    case(Conv2DTranspose, [{"H": 4, "W": 1, "C": 2, "f": 3, "k": 2, "s": 3, "q": 2}, {"H": 3, "W": 2, "C": 1, "f": 2, "k": 5, "s": 2, "q": 1},
                           {"H": 2, "W": 2, "C": 1, "f": 1, "k": 4, "s": 3, "q": 1}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="same", output_padding="q"),
    case(Conv2DTranspose, [{"H": 4, "W": 1, "C": 2, "f": 3, "k": 3, "d": 2}, {"H": 2, "W": 3, "C": 1, "f": 2, "k": 2, "d": 3}],
         filters="f", kernel_size="k", dilation_rate="d"),
    case(Conv2DTranspose, [{"H": 4, "W": 1, "C": 2, "f": 3, "k": 3, "d": 2}, {"H": 2, "W": 3, "C": 1, "f": 2, "k": 2, "d": 3}],
         in_torch="counts", filters="f", kernel_size="k", dilation_rate="d", padding="same", use_bias=False),
    case(Conv2DTranspose, [{"H": 3, "W": 1, "C": 4, "f": 2, "k": 2, "s": 3, "p": 0, "q": 2, "g": 2},
                           {"H": 2, "W": 2, "C": 3, "f": 6, "k": 5, "s": 2, "p": 2, "q": 1, "g": 3}],
         in_keras=False, filters="f", kernel_size="k", strides="s", padding=("p", "p"), output_padding="q", groups="g"),
    case(Conv2DTranspose, [{"H": 3, "W": 2, "C": 2, "f": 3, "k": 3, "s": 2, "d": 2, "q": 1}],
         in_keras=False, filters="f", kernel_size="k", strides="s", dilation_rate="d", padding=1, output_padding="q"),
    case(Conv3DTranspose, [{"D": 2, "H": 1, "W": 3, "C": 2, "f": 3, "k": 3, "s": 2}, {"D": 1, "H": 1, "W": 1, "C": 1, "f": 2, "k": 1, "s": 3}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="same"),
    case(Conv3DTranspose, [{"D": 2, "H": 1, "W": 3, "C": 2, "f": 3, "k": 2}],
         filters="f", kernel_size="k", trainable=False),
    case(Conv3DTranspose, [{"D": 2, "H": 1, "W": 3, "C": 4, "f": 2, "k": 2, "s": 3, "g": 2}],
         in_keras=False, filters="f", kernel_size="k", strides="s", padding=0, groups="g"),
    # PyTorch's spelling of transposed convolutions: padding 0 by default, so k < s leaves gaps.
    case(ConvTranspose1d, [{"L": 4, "C": 2, "f": 3, "k": 2, "s": 3}, {"L": 1, "C": 1, "f": 2, "k": 1, "s": 2},
                           {"L": 3, "C": 2, "f": 2, "k": 5, "s": 2}],
         in_keras=False, in_channels="C", filters="f", kernel_size="k", strides="s"),
    case(ConvTranspose2d, [{"H": 3, "W": 1, "C": 4, "f": 6, "k": 2, "s": 3, "q": 1, "g": 2}],
         in_keras=False, in_channels="C", filters="f", kernel_size="k", strides="s", output_padding="q", groups="g"),
    case(ConvTranspose3d, [{"D": 2, "H": 1, "W": 3, "C": 2, "f": 2, "k": 3, "s": 2, "p": 1, "d": 2}],
         in_keras=False, in_channels="C", filters="f", kernel_size="k", strides="s", padding=("p", "p", "p"), dilation_rate="d"),
    # Depthwise (PyTorch: Conv(C, C*m, k, groups=C)); Keras allows strides with dilation here.
    case(DepthwiseConv1D, [{"L": 5, "C": 3, "k": 3, "m": 2}, {"L": 1, "C": 1, "k": 1, "m": 3}],
         kernel_size="k", depth_multiplier="m"),
    case(DepthwiseConv1D, [{"L": 7, "C": 2, "k": 3, "s": 2}, {"L": 1, "C": 3, "k": 2, "s": 3}],
         in_torch="counts", kernel_size="k", strides="s", padding="same", use_bias=False),
    case(DepthwiseConv2D, [{"H": 9, "W": 7, "C": 2, "k": 3, "s": 2, "d": 2, "m": 2}, {"H": 5, "W": 3, "C": 1, "k": 2, "s": 3, "d": 2, "m": 1}],
         kernel_size="k", strides="s", dilation_rate="d", depth_multiplier="m"),
    case(DepthwiseConv2D, [{"H": 4, "W": 1, "C": 2, "k": 3, "m": 3}], kernel_size="k", padding="same", depth_multiplier="m"),
    # Separable (PyTorch: depthwise Conv without bias, then a 1-wide Conv).
    case(SeparableConv1D, [{"L": 5, "C": 3, "f": 4, "k": 3, "m": 2}, {"L": 1, "C": 1, "f": 2, "k": 1, "m": 1}],
         filters="f", kernel_size="k", depth_multiplier="m"),
    case(SeparableConv1D, [{"L": 7, "C": 2, "f": 3, "k": 3, "s": 2}, {"L": 1, "C": 2, "f": 1, "k": 2, "s": 2}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="same"),
    case(SeparableConv2D, [{"H": 7, "W": 4, "C": 2, "f": 3, "k": 3, "j": 1, "m": 2, "d": 2}, {"H": 3, "W": 1, "C": 1, "f": 2, "k": 2, "j": 1, "m": 3, "d": 1}],
         filters="f", kernel_size=("k", "j"), depth_multiplier="m", dilation_rate="d", use_bias=False),
    case(SeparableConv2D, [{"H": 7, "W": 5, "C": 2, "f": 3, "k": 3, "s": 2}],
         in_torch="counts", filters="f", kernel_size="k", strides="s", padding="same", trainable=False),
]  # fmt: skip


def numbers(value: Any, sizes: dict[str, int]) -> Any:
    """An argument with its symbols replaced by the sizes."""
    if isinstance(value, (tuple, list)):
        return tuple(numbers(item, sizes) for item in value)
    if isinstance(value, str) and value in sizes:
        return sizes[value]
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def torch_module(cls: type[Layer], a: dict[str, Any], channels: int) -> Any:
    """The PyTorch counterpart of a layer with numeric arguments `a`."""
    nn = torch().nn
    rank = cls.rank
    conv = getattr(nn, f"Conv{rank}d")
    transposed = issubclass(
        cls,
        (
            Conv1DTranspose,
            Conv2DTranspose,
            Conv3DTranspose,
            ConvTranspose1d,
            ConvTranspose2d,
            ConvTranspose3d,
        ),
    )
    padding = a.get("padding", "valid")
    if isinstance(padding, str):
        stride_one = all(x == 1 for x in numbers_tuple(a.get("strides", 1)))
        padding = "same" if padding == "same" and stride_one and not transposed else 0
    common = {"stride": a.get("strides", 1), "padding": padding, "dilation": a.get("dilation_rate", 1)}
    bias = a.get("use_bias", True)
    if transposed:
        module = getattr(nn, f"ConvTranspose{rank}d")(
            channels, a["filters"], a["kernel_size"], output_padding=a.get("output_padding") or 0,
            groups=a.get("groups", 1), bias=bias, **common,
        )  # fmt: skip
    elif issubclass(cls, (DepthwiseConv1D, DepthwiseConv2D)):
        multiplier = a.get("depth_multiplier", 1)
        module = conv(channels, channels * multiplier, a["kernel_size"], groups=channels, bias=bias, **common)
    elif issubclass(cls, (SeparableConv1D, SeparableConv2D)):
        wide = channels * a.get("depth_multiplier", 1)
        module = nn.Sequential(
            conv(channels, wide, a["kernel_size"], groups=channels, bias=False, **common),
            conv(wide, a["filters"], 1, bias=bias),
        )
    else:
        module = conv(
            channels, a["filters"], a["kernel_size"], groups=a.get("groups", 1), bias=bias, **common
        )
    if not a.get("trainable", True):
        module.requires_grad_(False)
    return module


def numbers_tuple(value: Any) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple) else (value,)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("c", CASES)
def test_oracles(c: Case) -> None:
    layer = c.cls(**c.args)
    shape = symbols(" ".join(c.cls.example_input))
    known = {s.name for s in Sequential(Input(*channels_first(shape)), layer, framework="torch").symbols}
    for sizes in c.sizes:
        values = {name: value for name, value in sizes.items() if name in known}
        a = {name: numbers(value, sizes) for name, value in c.args.items()}
        numeric_shape = tuple(sizes[s.name] for s in shape)
        if c.in_keras:
            layers = keras().layers
            expected = keras_counts([getattr(layers, c.cls.__name__)(**a)], numeric_shape)
            got = symcount_counts([layer], shape, "keras", **values)
            assert got == {**expected, "buffers": 0}, sizes
        if c.in_torch:
            # The same layer under PyTorch's layout, channels first, against the module itself.
            t = torch()
            module = torch_module(c.cls, a, numeric_shape[-1])
            example = t.zeros(1, *channels_first(numeric_shape)) if c.in_torch == "shape" else None
            expected = torch_counts(module, example)
            got = symcount_counts([layer], channels_first(shape), "torch", **values)
            if c.in_torch != "shape":
                del got["output_shape"]
            assert got == expected, sizes


def test_padding_spellings() -> None:
    # Keras' names in any case; PyTorch's zeros per side as one value, one per axis, or expressions.
    assert Conv2D(f, k, padding="SAME").padding == "same"
    assert Conv2D(f, k, padding=1).padding == (1, 1)
    assert Conv2D(f, k, padding=[1, 0]).padding == (1, 0)
    assert Conv2D(f, k, padding="2*p").padding == (2 * p, 2 * p)
    assert Conv2D(f, k, padding=p).padding == (p, p)
    assert Conv2DTranspose(f, k, output_padding=0).output_padding == (0, 0)
    # A lone word is a padding name, never a new symbol: a typo must not pass silently.
    with pytest.raises(SpecError, match="padding='p'"):
        Conv2D(f, k, padding="p")


# 3. Bad input: each raises a SymcountError whose one-line message names the value at fault.
BAD = [
    (lambda: Conv2D(3, 3, padding="full"), SpecError, "padding='full'"),
    (lambda: Conv2D(3, 3, padding="vaild"), SpecError, "did you mean 'valid'"),
    (lambda: Conv2D(3, 3, padding="causal"), SpecError, "padding='causal'"),
    (lambda: Conv2D(3, 3, padding=-1), SpecError, "padding=-1"),
    (lambda: Conv2D(3, 3, padding=(1, 2, 3)), SpecError, "padding=(1, 2, 3)"),
    (lambda: Conv2D(3, (3, 3, 3)), SymcountError, "kernel_size=(3, 3, 3)"),
    (lambda: Conv2D(0, 3), SymcountError, "filters=0"),
    (lambda: Conv2D(4, 3, groups=3), SpecError, "filters=4, groups=3"),
    (lambda: Conv2D(4, 3, use_bias="no"), SpecError, "use_bias='no'"),
    (lambda: Conv2D(4, 3, activation="rleu"), SpecError, "activation='rleu'"),
    (lambda: Conv1DTranspose(2, 3, strides=2, output_padding=2), SpecError, "output_padding=(2,), strides=(2,)"),
    (lambda: Conv1DTranspose(2, 3, output_padding=-1), SpecError, "output_padding=-1"),
    (lambda: Conv1DTranspose(2, 3, padding="causal"), SpecError, "padding='causal'"),
    (lambda: DepthwiseConv2D(3, padding=1), SpecError, "padding=1"),
    (lambda: DepthwiseConv1D(3, padding="causal"), SpecError, "padding='causal'"),
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), SymcountError, "depth_multiplier=0"),
    (lambda: SeparableConv1D(2, 3, padding="causal"), SpecError, "padding='causal'"),
    (lambda: ConvTranspose2d(2, 2, 3, padding="same"), SpecError, "padding='same'"),
    (lambda: ConvTranspose2d(2, 2, 3, strides=2, output_padding=2), SpecError, "output_padding=(2, 2)"),
    (lambda: Sequential(Input(5, 5, 3), ConvTranspose2d(4, 2, 3)), ShapeError, "3 channels"),
    # Shapes: groups that do not divide the channels, kernels larger than the input, wrong rank.
    (lambda: Sequential(Input(5, 5, 4), Conv2D(6, 3, groups=3)), ShapeError, "input channels=4, groups=3"),
    (lambda: Sequential(Input(3, 3, 1), Conv2D(2, 5)), ShapeError, "would have size -1"),
    (lambda: Sequential(Input(4, 1), Conv1D(2, 3, dilation_rate=2)), ShapeError, "would have size 0"),
    (lambda: Sequential(Input(4, 4, 1), Conv2D(2, 8, padding=1)), ShapeError, "would have size -1"),
    (lambda: Sequential(Input(1, 2), Conv1DTranspose(2, 1, padding=1)), ShapeError, "would have size -1"),
    (lambda: Sequential(Input(2, 5, 1), SeparableConv2D(2, 3)), ShapeError, "would have size 0"),
    (lambda: Sequential(Input(3, 1), DepthwiseConv1D(4)), ShapeError, "would have size 0"),
    (lambda: Sequential(Input(5, 2), Conv2D(2, 3)), ShapeError, "input shape (5, 2)"),
    # What Keras refuses and PyTorch takes: only under framework keras.
    (lambda: Sequential(Input(9, 9, 1), Conv2D(2, 3, strides=2, dilation_rate=2)), SpecError, "dilation_rate=(2, 2)"),
    (lambda: Sequential(Input(5, 5, 4), Conv2DTranspose(2, 3, groups=2)), SpecError, "groups=2"),
    (lambda: Conv2DTranspose(4, 3, groups=3), SpecError, "filters=4, groups=3"),
    (lambda: Sequential(Input(4, 5, 5), Conv2DTranspose(6, 3, groups=3), framework="torch"), ShapeError, "input channels=4, groups=3"),
    (lambda: Sequential(Input(5, 1), Conv1DTranspose(2, 3, dilation_rate=2, output_padding=1)), SpecError, "output_padding=(1,), strides=(1,)"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "error", "fragment"), BAD)
def test_bad_input(make: Any, error: type[SymcountError], fragment: str) -> None:
    with pytest.raises(error) as raised:
        make()
    message = str(raised.value)
    assert fragment in message and "\n" not in message, message


def test_torch_takes_what_keras_refuses() -> None:
    # Strides with dilation, and output_padding below the dilation but not the stride.
    model = Sequential(
        Input(1, 5), Conv1DTranspose(2, 3, dilation_rate=2, output_padding=1), framework="torch"
    )
    assert model.output_shape == (2, 5 - 1 + 2 * 2 + 1 + 1)
    model = Sequential(Input(1, 9, 9), Conv2D(2, 3, strides=2, dilation_rate=2), framework="torch")
    assert model.output_shape == (2, 3, 3)


def test_kernel_too_large_is_found_after_substitution() -> None:
    model = Sequential(Input(H, W, C), Conv2D(f, k))
    with pytest.raises(ShapeError, match=r"layer 1 \(conv2d\).*would have size -1"):
        model.subs(H=3, W=3, C=1, f=2, k=5)


# 4. Specs, in Keras' spelling and in PyTorch's.


def test_keras_spec() -> None:
    spec = parse_spec(
        {
            "input": ["H", "W", "C"],
            "layers": [
                {"conv2d": ["f", "k"], "padding": "same", "strides": 2},
                {"depthwise_conv2d": {"kernel_size": 3, "depth_multiplier": "m"}},
                {"separable_conv2d": {"filters": "f", "kernel_size": 1, "use_bias": False}},
                {"conv2d_transpose": {"filters": 3, "kernel_size": "k", "strides": 2, "padding": "same"}},
            ],
        }
    )
    model = spec.model()
    # conv: k*k*C*f + f; depthwise: 9*f*m + f*m; separable: f*m*1 + f*m*f; transposed: k*k*f*3 + 3.
    expected = C * f * k**2 + f + 9 * f * m + f * m + f * m + f**2 * m + 3 * f * k**2 + 3
    assert sympy.expand(model.params - expected) == 0
    assert model.output_shape[-1] == 3
    values = {"H": 9, "W": 6, "C": 2, "f": 4, "k": 3, "m": 2}
    k_layers = keras().layers
    oracle = keras_counts(
        [
            k_layers.Conv2D(4, 3, padding="same", strides=2),
            k_layers.DepthwiseConv2D(3, depth_multiplier=2),
            k_layers.SeparableConv2D(4, 1, use_bias=False),
            k_layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
        ],
        (9, 6, 2),
    )
    assert model.counts(values)["total"] == oracle["total"]
    assert tuple(int(n) for n in model.subs(values).output_shape) == oracle["output_shape"]


def test_torch_spec() -> None:
    spec = parse_spec(
        {
            "framework": "torch",
            "input": ["C", "H", "W"],
            "values": {"H": 6, "W": 5, "C": 4},
            "layers": [
                {"conv2d": {"in_channels": "C", "out_channels": 6, "kernel_size": 3, "stride": 2,
                            "padding": 1, "dilation": 2, "groups": 2, "bias": False}},
                {"conv_transpose2d": {"in_channels": 6, "out_channels": 4, "kernel_size": 2, "stride": 3,
                                      "padding": [0, 1], "output_padding": 2, "groups": 2}},
                # PyTorch's positional order: in_channels, out_channels, kernel_size, stride.
                {"conv_transpose2d": [4, 2, 1, 2]},
            ],
        }
    )  # fmt: skip
    symbolic = spec.model()
    # conv: 3*3*(C/2)*6 weights; transposed: 6 inputs * (4/2) outputs * 2*2 + 4 biases; 4*2*1 + 2.
    assert sympy.expand(symbolic.params - (27 * C + 6 * 2 * 4 + 4 + 4 * 2 + 2)) == 0
    model = symbolic.subs(spec.values_for(symbolic, {}))
    nn = torch().nn
    oracle = torch_counts(
        nn.Sequential(
            nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
            nn.ConvTranspose2d(6, 4, 2, stride=3, padding=(0, 1), output_padding=2, groups=2),
            nn.ConvTranspose2d(4, 2, 1, 2),
        ),
        torch().zeros(1, 4, 6, 5),
    )
    assert model.counts() == {key: oracle[key] for key in ("total", "trainable", "non_trainable", "buffers")}
    assert model.output_shape == oracle["output_shape"]
    # Keras refuses the same layers: strides with dilation (and groups on a transposed conv)...
    with pytest.raises(SpecError, match=r"layer 1 \(conv2d\).*dilation_rate=\(2, 2\)"):
        Sequential(Input(6, 5, C), *symbolic.layers_, framework="keras")
    # ... and PyTorch's spelling of a transposed convolution is for `framework: torch` specs.
    with pytest.raises(SpecError, match="conv_transpose2d"):
        parse_spec({"input": [6, 5, 4], "layers": [{"conv_transpose2d": [4, 2, 1]}]}).model()
