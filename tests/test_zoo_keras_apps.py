"""ConvNeXt-T, EfficientNet-B0 and DenseNet-121 against keras.applications (weights=None).

Each spec is checked at its published size, at other sizes the same Keras code builds (other depths,
widths, classes and images), and its formula against the derivation written next to it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
import sympy

from symcount import build, symbols
from symcount.spec import load_spec
from tests.frameworks import keras

w, C, K, c0, k, n1, n2, n3, n4 = symbols("w C K c0 k n1 n2 n3 n4")
i = sympy.Symbol("i", integer=True, nonnegative=True)


def keras_counts(model: Any) -> dict[str, int]:
    trainable = sum(math.prod(v.shape) for v in model.trainable_weights)
    total = model.count_params()
    return {"total": total, "trainable": trainable, "non_trainable": total - trainable}


def ours(name: str, **values: int) -> dict[str, int]:
    counts = build(name, values).counts()
    return {key: counts[key] for key in ("total", "trainable", "non_trainable")}


# --- Formulas -----------------------------------------------------------------------------------


def test_convnext_formula() -> None:
    # Stem 4x4 conv (16C + 1)w and LayerNorm 2w; a block on c channels: depthwise 7x7 49c + c,
    # LayerNorm 2c, dense c -> 4c (4c^2 + 4c) and back (4c^2 + c), LayerScale c: 8c^2 + 58c;
    # downsampling to the next width: LayerNorm 2c + 2x2 conv 4c*c' + c'; head LayerNorm 2*8w and
    # dense 8w*K + K.
    widths, depths = [w, 2 * w, 4 * w, 8 * w], [n1, n2, n3, n4]
    expected = (16 * C + 1) * w + 2 * w + sum(n * (8 * c**2 + 58 * c) for n, c in zip(depths, widths))
    expected += sum(2 * a + 4 * a * b + b for a, b in itertools.pairwise(widths)) + 2 * 8 * w + 8 * w * K + K
    assert sympy.expand(load_spec("convnext-tiny").model().params - expected) == 0


def test_densenet_formula_is_a_sum_over_each_block() -> None:
    # Layer i of a block starting at a channels sees a + i*k: BN 4(a + ik), 1x1 conv (a + ik)*4k,
    # BN 16k, 3x3 conv 36k^2. Transitions: BN 4c and a 1x1 conv c*c/2 (c even at k = 32, c0 = 64).
    def block(a: Any, n: Any) -> Any:
        return sympy.summation((4 + 4 * k) * (a + i * k) + 16 * k + 36 * k**2, (i, 0, n - 1))

    o1 = c0 + n1 * k
    o2 = o1 / 2 + n2 * k
    o3 = o2 / 2 + n3 * k
    o4 = o3 / 2 + n4 * k
    expected = 151 * c0 + block(c0, n1) + block(o1 / 2, n2) + block(o2 / 2, n3) + block(o3 / 2, n4)
    expected += sum(4 * o + o * o / 2 for o in (o1, o2, o3)) + 4 * o4 + o4 * K + K
    expected = expected.subs(C, 3)
    ours = load_spec("densenet-121").model().params.subs(C, 3)
    even = {c0: 64, k: 32}  # the floors of the symbolic spec vanish when every c is even
    assert sympy.expand(ours.subs(even) - expected.subs(even)) == 0
    # The depths stay symbolic: a closed form, quadratic in n1..n4.
    assert sympy.Poly(sympy.expand(ours.subs({**even, K: 1000})), n1, n2, n3, n4).total_degree() == 2


# --- ConvNeXt -----------------------------------------------------------------------------------


@pytest.mark.frameworks
def test_convnext_tiny_equals_keras_applications() -> None:
    app = keras().applications.ConvNeXtTiny(weights=None)
    assert (
        keras_counts(app)
        == ours("convnext-tiny")
        == {"total": 28_589_128, "trainable": 28_589_128, "non_trainable": 0}
    )


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("width", "depths", "classes", "size", "layer_scale"),
    [(8, (1, 2, 3, 1), 10, 64, 1e-6), (4, (2, 1, 1, 2), 7, 96, 1e-6)],
)
def test_convnext_other_sizes(width: int, depths: tuple, classes: int, size: int, layer_scale: float) -> None:
    keras()
    convnext = pytest.importorskip("keras.src.applications.convnext")
    app = convnext.ConvNeXt(
        depths=list(depths), projection_dims=[width * 2**s for s in range(4)], layer_scale_init_value=layer_scale,
        weights=None, input_shape=(size, size, 3), classes=classes, name="small_convnext",
    )  # fmt: skip
    values = {
        "w": width,
        "K": classes,
        "H": size,
        "W": size,
        **{f"n{s + 1}": n for s, n in enumerate(depths)},
    }
    assert ours("convnext-tiny", **values) == keras_counts(app)


@pytest.mark.frameworks
def test_convnext_small_is_a_deeper_third_stage() -> None:
    app = keras().applications.ConvNeXtSmall(weights=None)
    assert ours("convnext-tiny", n3=27) == keras_counts(app)


# --- EfficientNet -------------------------------------------------------------------------------


@pytest.mark.frameworks
def test_efficientnet_b0_equals_keras_applications() -> None:
    app = keras().applications.EfficientNetB0(weights=None)
    published = {"total": 5_330_571, "trainable": 5_288_548, "non_trainable": 42_023}
    assert keras_counts(app) == ours("efficientnet-b0") == published
    # Every stage's count, layer by layer in Keras' names (block1a_... to block7a_...).
    theirs = {layer.name: layer.count_params() for layer in app.layers}
    model = build("efficientnet-b0")
    for stage in range(1, 8):
        keras_stage = sum(n for name, n in theirs.items() if name.startswith(f"block{stage}"))
        ours_stage = sum(int(row.params) for row in model.rows if row.name.startswith(f"block{stage}"))
        assert ours_stage == keras_stage, stage


@pytest.mark.frameworks
def test_efficientnet_b1_is_b0_deeper() -> None:
    # B1 keeps B0's widths (width coefficient 1.0) and repeats each stage ceil(1.1 r) times.
    app = keras().applications.EfficientNetB1(weights=None)
    depths = {f"n{s}": math.ceil(1.1 * r) for s, r in enumerate((1, 2, 2, 3, 3, 4, 1), start=1)}
    assert ours("efficientnet-b0", H=240, W=240, **depths) == keras_counts(app)


@pytest.mark.frameworks
def test_efficientnet_b0_other_classes_and_images() -> None:
    app = keras().applications.EfficientNetB0(weights=None, input_shape=(96, 128, 3), classes=10)
    assert ours("efficientnet-b0", H=96, W=128, K=10) == keras_counts(app)


# --- DenseNet -----------------------------------------------------------------------------------


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("application", "depths", "published"),
    [
        (
            "DenseNet121",
            (6, 12, 24, 16),
            {"total": 8_062_504, "trainable": 7_978_856, "non_trainable": 83_648},
        ),
        ("DenseNet169", (6, 12, 32, 32), None),
        ("DenseNet201", (6, 12, 48, 32), None),
    ],
)
def test_densenet_equals_keras_applications(application: str, depths: tuple, published: Any) -> None:
    app = getattr(keras().applications, application)(weights=None)
    values = {f"n{s + 1}": n for s, n in enumerate(depths)}
    assert ours("densenet-121", **values) == keras_counts(app)
    if published:
        assert keras_counts(app) == published


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("depths", "growth", "classes"),
    # The last has an odd channel count before a transition (64 + 3*5 = 79): Keras keeps
    # int(79/2) = 39, as the spec's floor does.
    [((2, 3, 4, 2), 12, 10), ((1, 2, 2, 3), 8, 7), ((3, 1, 2, 1), 5, 4)],
)
def test_densenet_other_growth_rates(depths: tuple, growth: int, classes: int) -> None:
    keras()
    densenet = pytest.importorskip("keras.src.applications.densenet")
    original = densenet.conv_block
    # Keras hard-codes the growth rate 32 in dense_block's call of conv_block: patch that one value.
    densenet.conv_block = lambda x, _, name: original(x, growth, name=name)
    try:
        app = densenet.DenseNet(
            list(depths), weights=None, input_shape=(64, 64, 3), classes=classes, name="small_densenet"
        )
    finally:
        densenet.conv_block = original
    values = {"k": growth, "K": classes, "H": 64, "W": 64, **{f"n{s + 1}": n for s, n in enumerate(depths)}}
    assert ours("densenet-121", **values) == keras_counts(app)
    # The symbolic formula (summed in closed form) gives the same numbers as the model built at them.
    symbolic = load_spec("densenet-121").model()
    named = {s: values.get(s.name, load_spec("densenet-121").values.get(s.name)) for s in symbolic.symbols}
    assert symbolic.params.subs(named) == keras_counts(app)["total"]
    assert symbolic.non_trainable.subs(named) == keras_counts(app)["non_trainable"]
