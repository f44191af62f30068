"""Reshaping and regularization layers (and Flatten, Activation): no weights, so the shapes they
hand on and the errors they raise are what is tested, against Keras 3 and PyTorch.

Layers are built with symbols and substituted, so the formula itself meets the oracles: Keras'
`model.output_shape`, and PyTorch forward passes (channels-first, permuted back) where a module
exists: nn.Flatten, nn.Upsample, nn.ZeroPad1d/2d/3d (negative amounts crop), nn.Dropout, ...
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy

from symcount import (
    Activation,
    AlphaDropout,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Dropout,
    Flatten,
    GaussianDropout,
    GaussianNoise,
    Input,
    Permute,
    RepeatVector,
    Reshape,
    Sequential,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
    symbols,
)
from symcount.errors import ShapeError, SpecError, SymcountError
from symcount.spec import parse_spec
from tests.frameworks import keras, keras_counts, symcount_counts, torch, torch_counts

D, H, W, L, C, F = symbols("D H W L C F")
a, b, c, d, e, f_, g, n, s, t, u = symbols("a b c d e f g n s t u")
N = symbols("n1 n2 n3")
NO_WEIGHTS = {"total": 0, "trainable": 0, "non_trainable": 0, "buffers": 0}


# (layer, input shape, expected output shape); every layer here has 0 parameters.
TABLE = [
    # Flatten: all H*W*C numbers on one axis.
    (Flatten(), (H, W, C), (H * W * C,)),
    # Reshape keeps the elements; the -1 axis holds total / (product of the others).
    (Reshape((-1, C)), (H, W, C), (H * W, C)),
    (Reshape((H * W, C)), (H, W, C), (H * W, C)),
    (Reshape(("W", "H", -1)), (H, W, C), (W, H, C)),
    (Reshape((-1, 2)), (L, 4), (2 * L, 2)),
    # Permute: output axis i is input axis dims[i] (1-based).
    (Permute((2, 1)), (L, C), (C, L)),
    (Permute((3, 1, 2)), (H, W, C), (C, H, W)),
    # RepeatVector: n copies of an F-vector.
    (RepeatVector(n), (F,), (n, F)),
    # UpSampling: each spatial length times its factor (default 2).
    (UpSampling1D(s), (L, C), (s * L, C)),
    (UpSampling1D(), (L, C), (2 * L, C)),
    (UpSampling2D((s, t), interpolation="bilinear"), (H, W, C), (s * H, t * W, C)),
    (UpSampling2D(), (H, W, C), (2 * H, 2 * W, C)),
    (UpSampling2D(output_size=(a, b)), (H, W, C), (a, b, C)),  # PyTorch's Upsample(size=...)
    (UpSampling3D((s, t, u)), (D, H, W, C), (s * D, t * H, u * W, C)),
    # ZeroPadding: each spatial length plus its zeros before and after (default 1 each side).
    (ZeroPadding1D(), (L, C), (L + 2, C)),
    (ZeroPadding1D((a, b)), (L, C), (L + a + b, C)),
    (ZeroPadding2D(a), (H, W, C), (H + 2 * a, W + 2 * a, C)),
    (ZeroPadding2D((a, b)), (H, W, C), (H + 2 * a, W + 2 * b, C)),
    (ZeroPadding2D(((a, b), (c, d))), (H, W, C), (H + a + b, W + c + d, C)),
    (ZeroPadding2D(torch_padding=(a, b, c, d)), (H, W, C), (H + c + d, W + a + b, C)),  # width first
    (ZeroPadding3D((a, (b, c), 0)), (D, H, W, C), (D + 2 * a, H + b + c, W, C)),
    (ZeroPadding3D(torch_padding=(a, b, c, d, e, f_)), (D, H, W, C), (D + e + f_, H + c + d, W + a + b, C)),
    # Cropping: each spatial length minus what is cut before and after (Keras' defaults: 1D and
    # 3D crop 1 from each side, 2D nothing).
    (Cropping1D(), (L, C), (L - 2, C)),
    (Cropping1D((a, b)), (L, C), (L - a - b, C)),
    (Cropping2D(), (H, W, C), (H, W, C)),
    (Cropping2D(((a, b), (c, d))), (H, W, C), (H - a - b, W - c - d, C)),
    (Cropping3D(), (D, H, W, C), (D - 2, H - 2, W - 2, C)),
    (Cropping3D((a, b, (c, d))), (D, H, W, C), (D - 2 * a, H - 2 * b, W - c - d, C)),
    # Noise, dropout and activation: the same shape.
    (Dropout(0.5), (H, W, C), (H, W, C)),
    (SpatialDropout1D(0.1), (L, C), (L, C)),
    (SpatialDropout2D(0.1), (H, W, C), (H, W, C)),
    (SpatialDropout3D(0.1), (D, H, W, C), (D, H, W, C)),
    (GaussianDropout(0.2), (F,), (F,)),
    (GaussianNoise(0.1), (L, C), (L, C)),
    (AlphaDropout(0.1), (F,), (F,)),
    (Activation("relu"), (H, W, C), (H, W, C)),
]


@pytest.mark.parametrize(("layer", "shape", "expected"), TABLE, ids=lambda v: str(v)[:40])
def test_formula_table(layer: Any, shape: tuple, expected: tuple) -> None:
    model = Sequential(Input(*shape), layer)
    assert model.params == 0
    assert model.rows[0].weights == ()
    assert model.output_shape == tuple(sympy.sympify(x) for x in expected)


def test_padding_symbols_are_substituted() -> None:
    # The pairs are nested tuples; the model must still see and replace their symbols.
    model = Sequential(Input(H, W, C), ZeroPadding2D(((a, b), (c, 1))), Cropping2D(((d, 0), (0, e))))
    assert {"a", "b", "c", "d", "e"} <= {x.name for x in model.symbols}
    assert model.subs(H=5, W=6, C=2, a=1, b=2, c=3, d=4, e=5).output_shape == (4, 5, 2)


# ---- oracles: Keras 3 and PyTorch at concrete sizes ----------------------------------------------


def values_for(sizes: tuple) -> dict[str, int]:
    return {f"n{i + 1}": v for i, v in enumerate(sizes)}


def check_torch(layer: Any, module: Any, sizes: tuple, channels: int, **values: Any) -> None:
    """Under PyTorch's layout, symcount's counts and output shape are the module's own, on the
    very channels-first input the module takes."""
    expected = torch_counts(module, torch().zeros((1, channels, *sizes)))
    shape = (C, *N[: len(sizes)])
    got = symcount_counts([layer], shape, "torch", C=channels, **values_for(sizes), **values)
    assert got == expected, sizes


def torch_shape(module: Any, sizes: tuple, channels: int) -> tuple:
    """A forward pass on a zero channels-first tensor, its shape given back channels-last."""
    counts = torch_counts(module, torch().zeros((1, channels, *sizes)))
    assert {key: v for key, v in counts.items() if key != "output_shape"} == NO_WEIGHTS
    out = counts["output_shape"]
    return (*out[1:], out[0])


def check_keras(layer: Any, keras_layer: Any, sizes: tuple, channels: int | None = 3, **more: int) -> dict:
    """symcount (symbols substituted) against Keras on input (*sizes, channels)."""
    rank = len(sizes)
    shape = (*sizes, channels) if channels else sizes
    symbolic = (*N[:rank], C) if channels else N[:rank]
    values = values_for(sizes) | ({"C": channels} if channels else {}) | more
    ours = symcount_counts([layer], symbolic, **values)
    assert ours == {**keras_counts([keras_layer], shape), "buffers": 0}
    return ours


SIZES = {1: [(1,), (7,)], 2: [(1, 1), (5, 8)], 3: [(1, 1, 1), (3, 5, 2)]}


@pytest.mark.frameworks
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_flatten_equals_keras_and_torch(rank: int) -> None:
    nn = torch().nn
    for sizes in SIZES[rank]:
        ours = check_keras(Flatten(), keras().layers.Flatten(), sizes)
        assert ours["output_shape"] == torch_shape(nn.Flatten(), sizes, 3)
        check_torch(Flatten(), nn.Flatten(), sizes, 3)


RESHAPES = [
    # (input sizes, symcount target in symbols of the input, Keras/torch target in numbers)
    ((6, 4), ("-1",), (-1,)),
    ((6, 4), ("n2", "n1"), None),
    ((6, 4), (-1, 3), (-1, 3)),
    ((2, 3, 5), ("n3", -1), (5, -1)),
    ((2, 3, 5), ("n1*n2*n3", 1), None),
    ((1, 1), (1, 1, -1), (1, 1, -1)),
]


@pytest.mark.frameworks
@pytest.mark.parametrize(("sizes", "target", "numeric"), RESHAPES)
def test_reshape_equals_keras_and_torch(sizes: tuple, target: tuple, numeric: tuple | None) -> None:
    layer = Reshape(target)
    model = Sequential(Input(*N[: len(sizes)]), layer).subs(values_for(sizes))
    numeric = numeric or tuple(int(x) for x in model.output_shape)
    ours = check_keras(layer, keras().layers.Reshape(numeric), sizes, channels=None)
    assert ours["output_shape"] == tuple(torch().zeros((1, *sizes)).reshape((1, *numeric)).shape[1:])


@pytest.mark.frameworks
@pytest.mark.parametrize("dims", [(2, 1, 3), (3, 1, 2), (1, 2, 3), (3, 2, 1)])
def test_permute_equals_keras_and_torch(dims: tuple) -> None:
    for sizes in [(2, 3, 5), (1, 4, 1)]:
        ours = check_keras(Permute(dims), keras().layers.Permute(dims), sizes, channels=None)
        assert ours["output_shape"] == tuple(torch().zeros((1, *sizes)).permute(0, *dims).shape[1:])


@pytest.mark.frameworks
def test_repeat_vector_equals_keras() -> None:
    for features, times in [(1, 1), (5, 3), (2, 7)]:
        check_keras(RepeatVector(n), keras().layers.RepeatVector(times), (features,), channels=None, n=times)


UPSAMPLINGS = [
    # (rank, factors, keras interpolation, torch mode)
    (1, (3,), None, "nearest"),
    (2, (2, 3), "nearest", "nearest"),
    (2, (1, 4), "bilinear", "bilinear"),
    (2, (3, 3), "bicubic", "bicubic"),
    (3, (2, 1, 3), None, "nearest"),
]


@pytest.mark.frameworks
@pytest.mark.parametrize(("rank", "factors", "interpolation", "mode"), UPSAMPLINGS)
def test_upsampling_equals_keras_and_torch(
    rank: int, factors: tuple, interpolation: str | None, mode: str
) -> None:
    factor_names = ("s", "t", "u")[:rank]
    options = {"interpolation": interpolation} if interpolation else {}
    size = factor_names[0] if rank == 1 else factor_names
    layer = {1: UpSampling1D, 2: UpSampling2D, 3: UpSampling3D}[rank](size, **options)
    keras_cls = getattr(keras().layers, f"UpSampling{rank}D")
    module = torch().nn.Upsample(scale_factor=factors if rank > 1 else factors[0], mode=mode)
    for sizes in SIZES[rank]:
        keras_layer = keras_cls(factors[0] if rank == 1 else factors, **options)
        ours = check_keras(layer, keras_layer, sizes, **dict(zip(factor_names, factors)))
        assert ours["output_shape"] == torch_shape(module, sizes, 3)
        check_torch(layer, module, sizes, 3, **dict(zip(factor_names, factors)))


@pytest.mark.frameworks
def test_upsampling_to_an_output_size_equals_torch() -> None:
    layer = UpSampling2D(output_size=(a, b))
    for sizes, out in [((1, 1), (4, 5)), ((7, 3), (2, 9))]:
        ours = symcount_counts([layer], (*N[:2], C), C=2, a=out[0], b=out[1], **values_for(sizes))
        assert ours["output_shape"] == torch_shape(torch().nn.Upsample(size=out), sizes, 2)
        check_torch(layer, torch().nn.Upsample(size=out), sizes, 2, a=out[0], b=out[1])


PADDINGS = [
    # (rank, Keras padding in symbols, the same in numbers, torch's flat order: last axis first)
    (1, ("a", "b"), (1, 2), (1, 2)),
    (1, "a", 3, (3, 3)),
    (2, "a", 1, (1, 1, 1, 1)),
    (2, ("a", "b"), (2, 0), (0, 0, 2, 2)),
    (2, (("a", "b"), ("c", "d")), ((1, 2), (3, 4)), (3, 4, 1, 2)),
    (3, ("a", ("b", "c"), "d"), (1, (0, 2), 3), (3, 3, 0, 2, 1, 1)),
    (3, (("a", "b"), ("c", "d"), ("e", "g")), ((1, 2), (3, 0), (0, 1)), (0, 1, 3, 0, 1, 2)),
]


def amounts(symbolic: Any, numeric: Any) -> dict[str, int]:
    """The values of the symbols in a padding or cropping, matched against its numbers."""
    if isinstance(symbolic, str):
        return {symbolic: numeric}
    if isinstance(symbolic, tuple):
        out: dict[str, int] = {}
        for x, y in zip(symbolic, numeric):
            out |= amounts(x, y)
        return out
    return {}


def positive_only(values: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Symbols are positive integers: a zero amount is given as the number 0, not as a symbol."""
    return {k: v for k, v in values.items() if v > 0}, {k: v for k, v in values.items() if v == 0}


def with_zeros(symbolic: Any, zeros: dict[str, int]) -> Any:
    if isinstance(symbolic, str):
        return zeros.get(symbolic, symbolic)
    if isinstance(symbolic, tuple):
        return tuple(with_zeros(x, zeros) for x in symbolic)
    return symbolic


@pytest.mark.frameworks
@pytest.mark.parametrize(("rank", "symbolic", "numeric", "flat"), PADDINGS)
def test_zero_padding_equals_keras_and_torch(rank: int, symbolic: Any, numeric: Any, flat: tuple) -> None:
    values, zeros = positive_only(amounts(symbolic, numeric))
    cls = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}[rank]
    layer = cls(with_zeros(symbolic, zeros))
    torch_spelled = cls(torch_padding=flat)
    module = getattr(torch().nn, f"ZeroPad{rank}d")(flat)
    for sizes in SIZES[rank]:
        keras_layer = getattr(keras().layers, f"ZeroPadding{rank}D")(numeric)
        ours = check_keras(layer, keras_layer, sizes, **values)
        assert ours["output_shape"] == torch_shape(module, sizes, 3)
        check_torch(torch_spelled, module, sizes, 3)


CROPPINGS = [
    # (rank, Keras cropping in symbols, the same in numbers); torch crops with negative ZeroPad.
    (1, ("a", "b"), (1, 2)),
    (1, "a", 2),
    (2, "a", 1),
    (2, ("a", "b"), (2, 0)),
    (2, (("a", "b"), ("c", "d")), ((1, 2), (0, 3))),
    (3, ("a", ("b", "c"), "d"), (1, (0, 2), 1)),
]


def torch_crop_order(rank: int, numeric: Any) -> tuple:
    """Keras' cropping as PyTorch's negative ZeroPad amounts (last axis first)."""
    if not isinstance(numeric, tuple):
        pairs = [(numeric, numeric)] * rank
    elif rank == 1:
        pairs = [numeric]
    else:
        pairs = [x if isinstance(x, tuple) else (x, x) for x in numeric]
    return tuple(-amount for pair in reversed(pairs) for amount in pair)


@pytest.mark.frameworks
@pytest.mark.parametrize(("rank", "symbolic", "numeric"), CROPPINGS)
def test_cropping_equals_keras_and_torch(rank: int, symbolic: Any, numeric: Any) -> None:
    values, zeros = positive_only(amounts(symbolic, numeric))
    layer = {1: Cropping1D, 2: Cropping2D, 3: Cropping3D}[rank](with_zeros(symbolic, zeros))
    module = getattr(torch().nn, f"ZeroPad{rank}d")(torch_crop_order(rank, numeric))
    # The smallest sizes leave exactly one position on the most cropped axis.
    for sizes in {1: [(5,), (9,)], 2: [(5, 4), (6, 9)], 3: [(3, 3, 3), (5, 7, 4)]}[rank]:
        keras_layer = getattr(keras().layers, f"Cropping{rank}D")(numeric)
        ours = check_keras(layer, keras_layer, sizes, **values)
        assert ours["output_shape"] == torch_shape(module, sizes, 3)
        check_torch(layer, module, sizes, 3, **values)


@pytest.mark.frameworks
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_default_padding_and_cropping_equal_keras(rank: int) -> None:
    layers = keras().layers
    for sizes in [(3, 4, 5)[:rank], (6, 3, 7)[:rank]]:  # the defaults crop 2 per axis
        for ours, theirs in [
            ({1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}[rank](), f"ZeroPadding{rank}D"),
            ({1: Cropping1D, 2: Cropping2D, 3: Cropping3D}[rank](), f"Cropping{rank}D"),
            ({1: UpSampling1D, 2: UpSampling2D, 3: UpSampling3D}[rank](), f"UpSampling{rank}D"),
        ]:
            check_keras(ours, getattr(layers, theirs)(), sizes)


@pytest.mark.frameworks
def test_dropout_noise_and_activation_equal_keras_and_torch() -> None:
    layers, nn = keras().layers, torch().nn
    cases = [
        # (symcount layer, Keras layer, torch module or None, spatial sizes)
        (Dropout(0.3), layers.Dropout(0.3), nn.Dropout(0.3), (4, 5)),
        (Dropout(0.3, noise_shape=(None, 1, 5)), layers.Dropout(0.3, noise_shape=(None, 1, 5)), None, (4,)),
        (SpatialDropout1D(0.2), layers.SpatialDropout1D(0.2), nn.Dropout1d(0.2), (7,)),
        (SpatialDropout2D(0.2), layers.SpatialDropout2D(0.2), nn.Dropout2d(0.2), (1, 6)),
        (SpatialDropout3D(0.2), layers.SpatialDropout3D(0.2), nn.Dropout3d(0.2), (2, 3, 4)),
        (GaussianDropout(0.4), layers.GaussianDropout(0.4), None, (3,)),
        (GaussianNoise(0.1), layers.GaussianNoise(0.1), None, (2, 2)),
        (AlphaDropout(0.1), layers.AlphaDropout(0.1), nn.AlphaDropout(0.1), (1,)),
        (Activation("relu"), layers.Activation("relu"), nn.ReLU(), (3, 4)),
        (Activation("softmax"), layers.Activation("softmax"), nn.Softmax(dim=1), (6,)),
    ]
    for ours, theirs, module, sizes in cases:
        counts = check_keras(ours, theirs, sizes, channels=5)
        if module is not None:
            assert counts["output_shape"] == torch_shape(module, sizes, 5)


# ---- bad input ------------------------------------------------------------------------------------


@pytest.mark.frameworks
def test_reshape_that_changes_the_count_fails_like_keras() -> None:
    with pytest.raises(
        ShapeError, match=r"keep the number of elements: the input has 12, target_shape=\(5, 2\) has 10"
    ):
        Sequential(Input(3, 4), Reshape((5, 2)))
    with pytest.raises(ValueError, match="total size of the tensor must be unchanged"):
        keras_counts([keras().layers.Reshape((5, 2))], (3, 4))
    with pytest.raises(
        ShapeError,
        match=r"cannot infer the -1 in target_shape=\(-1, 5\): the input has 12 elements, not a multiple of the 5",
    ):
        Sequential(Input(3, 4), Reshape((-1, 5)))
    with pytest.raises(ValueError, match="cannot by divided"):
        keras_counts([keras().layers.Reshape((-1, 5))], (3, 4))
    with pytest.raises(RuntimeError, match="invalid for input of size 12"):
        torch().zeros(1, 3, 4).reshape(1, -1, 5)


def test_reshape_is_checked_symbolically_where_sympy_can_decide() -> None:
    # Certainly different: H*W*C - H*W*(C + 1) = -H*W is never zero for positive sizes.
    with pytest.raises(
        ShapeError, match=r"the input has C\*H\*W, target_shape=\(H\*W, C \+ 1\) has H\*W\*\(C \+ 1\)"
    ):
        Sequential(Input(H, W, C), Reshape(("H*W", "C+1")))
    # The -1 would be (2*H*W + 1)/2 = H*W + 1/2: never an integer, since 2*H*W + 1 is odd.
    with pytest.raises(ShapeError, match=r"cannot infer the -1 .* the input has 2\*H\*W \+ 1 elements"):
        Sequential(Input(2 * H * W + 1), Reshape((-1, 2)))
    # Undecidable until the values arrive: H*W against F; then the layer at fault is named.
    model = Sequential(Input(H, W), Reshape((F,)))
    assert model.output_shape == (F,)
    assert model.subs(H=2, W=3, F=6).output_shape == (6,)
    with pytest.raises(
        ShapeError,
        match=r"layer 1 \(reshape\), input shape \(2, 3\): .* input has 6, target_shape=\(5,\) has 5",
    ):
        model.subs(H=2, W=3, F=5)
    half = Sequential(Input(H, W), Reshape((-1, 2)))
    assert half.output_shape == (H * W / 2, 2)
    with pytest.raises(ShapeError, match="input has 9 elements, not a multiple of the 2"):
        half.subs(H=3, W=3)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Reshape((-1, -1)), SpecError, r"at most one axis of target_shape may be -1"),
        (lambda: Reshape((0, 4)), SymcountError, r"positive integer. Received: target_shape\[0\]=0"),
        (lambda: Reshape((-2, 4)), SymcountError, r"positive integer. Received: target_shape\[0\]=-2"),
        (lambda: Reshape(12), SpecError, r"list of sizes. Received: target_shape=12"),
        (lambda: Permute((0, 1)), SpecError, r"permutation of 1, 2, ..., n .* Received: dims=\(0, 1\)"),
        (lambda: Permute((1, 1)), SpecError, r"Received: dims=\(1, 1\)"),
        (lambda: Permute((1, "x")), SpecError, r"Received: dims=\(1, 'x'\)"),
        (lambda: RepeatVector(0), SymcountError, r"positive integer. Received: n=0"),
        (lambda: UpSampling1D(0), SymcountError, r"positive integer. Received: size=0"),
        (lambda: UpSampling2D(1.5), SymcountError, r"positive integer. Received: size=3/2"),
        (
            lambda: UpSampling2D(interpolation="cubic"),
            SpecError,
            r"interpolation must be one of .* Received: interpolation='cubic'",
        ),
        (
            lambda: UpSampling2D(2, output_size=8),
            SpecError,
            r"not both. Received: size=\(2, 2\), output_size=\(8, 8\)",
        ),
        (lambda: UpSampling3D((2, 2)), SymcountError, r"expected 3 values for size"),
        (lambda: ZeroPadding2D(-1), SpecError, r"non-negative integer. Received: padding=-1"),
        (
            lambda: ZeroPadding1D((1, 2, 3)),
            SpecError,
            r"integer or a pair of integers. Received: padding=\(1, 2, 3\)",
        ),
        (lambda: ZeroPadding2D((1, 2, 3)), SpecError, r"2 pairs of integers. Received: padding=\(1, 2, 3\)"),
        (lambda: ZeroPadding3D((1, (1, 2, 3), 1)), SpecError, r"pair of integers in padding"),
        (
            lambda: ZeroPadding2D(torch_padding=(1, 2)),
            SpecError,
            r"4 integers \(PyTorch's order, last axis first\). Received: torch_padding=\(1, 2\)",
        ),
        (lambda: ZeroPadding2D(1, torch_padding=1), SpecError, r"not both"),
        (lambda: Cropping2D(((1, -1), 0)), SpecError, r"non-negative integer. Received: cropping=-1"),
        (lambda: Cropping1D(0.5), SpecError, r"non-negative integer. Received: cropping=1/2"),
        (lambda: Dropout(1.5), SpecError, r"in \[0.0, 1.0\]. Received: rate=1.5"),
        (lambda: Dropout("r"), SpecError, r"expected a number. Received: rate='r'"),
        (lambda: Dropout(0.5, noise_shape=(None, 0)), SpecError, r"Received: noise_shape=\(None, 0\)"),
        (lambda: Dropout(0.5, seed=1.5), SpecError, r"Received: seed=1.5"),
        (lambda: SpatialDropout2D(-0.1), SpecError, r"Received: rate=-0.1"),
        (lambda: GaussianDropout(2), SpecError, r"Received: rate=2"),
        (lambda: GaussianNoise(1.5), SpecError, r"Received: stddev=1.5"),
        (lambda: AlphaDropout(rate=7), SpecError, r"Received: rate=7"),
        (lambda: Activation("relux"), SpecError, r"Received: activation='relux'"),
    ],
)
def test_bad_options(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


@pytest.mark.frameworks
def test_cropping_that_leaves_nothing_fails_like_keras() -> None:
    with pytest.raises(
        ShapeError, match=r"cropping removes 4 of the 4 positions of spatial axis 0, leaving nothing"
    ):
        Sequential(Input(4, 5, 3), Cropping2D(((2, 2), (0, 0))))
    with pytest.raises(ValueError, match="should be smaller than"):
        keras_counts([keras().layers.Cropping2D(((2, 2), (0, 0)))], (4, 5, 3))
    model = Sequential(Input(L, C), Cropping1D((a, b)))
    assert model.output_shape == (L - a - b, C)
    with pytest.raises(
        ShapeError, match=r"layer 1 \(cropping1d\), input shape \(3, 2\): cropping removes 5 of the 3"
    ):
        model.subs(L=3, C=2, a=2, b=3)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (Permute((2, 1)), (H, W, C)),
        (RepeatVector(3), (L, C)),
        (UpSampling1D(2), (H, W, C)),
        (UpSampling2D(output_size=4), (L, C)),
        (UpSampling3D(2), (H, W, C)),
        (ZeroPadding2D(1), (L, C)),
        (Cropping3D(1), (H, W, C)),
        (SpatialDropout1D(0.5), (H, W, C)),
        (SpatialDropout2D(0.5), (F,)),
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
                {"zero_padding2d": {"padding": [["p", 0], 1]}},
                {"cropping2d": 1},
                {"up_sampling2d": {"size": ["s", 2], "interpolation": "bilinear"}},
                {"spatial_dropout2d": 0.2},
                {"reshape": [["-1", "C"]]},
                {"permute": {"dims": [2, 1]}},
                "flatten",
                {"repeat_vector": "r"},
                {"gaussian_noise": {"stddev": 0.1}},
                {"dropout": 0.5},
                {"activation": "relu"},
            ],
        }
    )
    model = spec.model()
    p, r, s_ = symbols("p r s")
    assert model.params == 0
    assert model.rows[2].output_shape == (s_ * (H + p - 2), 2 * W, C)
    assert model.rows[4].output_shape == (2 * W * s_ * (H + p - 2), C)
    assert model.output_shape == (r, 2 * C * W * s_ * (H + p - 2))
    assert model.subs(H=5, W=4, C=3, p=1, s=2, r=2).output_shape == (2, 3 * 8 * 8)


@pytest.mark.frameworks
def test_torch_spec_round_trip() -> None:
    spec = parse_spec(
        {
            "framework": "torch",
            "input": ["C", "H", "W"],
            "layers": [
                {"zero_pad2d": {"padding": [1, 2, 3, 4]}},  # left, right, top, bottom
                {"upsample": {"scale_factor": 2, "mode": "bilinear"}},
                {"dropout2d": {"p": 0.1}},
                {"upsample": {"size": [5, 6]}},
                {"alpha_dropout": {"p": 0.2}},
                {"dropout": {"p": 0.3}},
                "flatten",
            ],
        }
    )
    model = spec.model()
    kinds = [row.kind for row in model.rows]
    assert kinds == ["ZeroPad2d", "Upsample", "Dropout2d", "Upsample", "AlphaDropout", "Dropout", "Flatten"]
    assert model.rows[0].output_shape == (C, H + 7, W + 3)
    assert model.rows[1].output_shape == (C, 2 * H + 14, 2 * W + 6)
    assert model.output_shape == (30 * C,)
    nn = torch().nn
    net = nn.Sequential(
        nn.ZeroPad2d((1, 2, 3, 4)),
        nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.Dropout2d(0.1),
        nn.Upsample(size=(5, 6)),
        nn.AlphaDropout(0.2),
        nn.Dropout(0.3),
        nn.Flatten(),
    )
    for h, w in [(1, 1), (4, 7)]:
        assert model.subs(H=h, W=w, C=2).rows[1].output_shape == (2, 2 * h + 14, 2 * w + 6)
        assert torch_counts(net, torch().zeros(1, 2, h, w)) == {**NO_WEIGHTS, "output_shape": (60,)}
        assert model.subs(H=h, W=w, C=2).counts() == NO_WEIGHTS


def test_torch_spec_rejects_what_has_no_meaning_here() -> None:
    spec = parse_spec(
        {"framework": "torch", "input": [8, 8, 3], "layers": [{"zero_pad2d": {"padding": [1, 2]}}]}
    )
    with pytest.raises(SpecError, match=r"layer 1: ZeroPadding2D: expected an integer or 4 integers"):
        spec.model()
