"""`from_keras` on a corpus of Keras factories: Keras' own MobileNetV2, an LSTM classifier, a shared
layer, depthwise and separable convolutions, and one model per family of listed layers. Each
import is exact (parameters and MACs) at the user's sizes and at three fresh ones (the importer's
own checks), and the tests check again at one more point of their own: parameters against Keras'
`count_params()`, MACs against PyTorch's FlopCounterMode run on the Keras model."""

from __future__ import annotations

import functools
from typing import Any

import pytest

import symcount
from symcount.errors import SymcountError
from symcount.importing import keras as importer
from symcount.importing.frameworks import build
from symcount.importing.keras_verify import check_macs
from symcount.spec import parse_spec
from symcount.yamlsafe import load_yaml
from tests.frameworks import keras

pytestmark = pytest.mark.frameworks


# The corpus -------------------------------------------------------------------------------------


def mobilenet_v2(n: int, classes: int) -> Any:
    """Keras' own MobileNetV2, untrained. Its padding before each stride-2 convolution depends on
    the side's parity there, so the side is a multiple of 32 (5 halvings): 32*n."""
    k = keras()
    return k.applications.MobileNetV2(input_shape=(32 * n, 32 * n, 3), weights=None, classes=classes)


def lstm_classifier(T: int, V: int, d: int, u: int) -> Any:
    k = keras()
    x = k.Input(shape=(T,), dtype="int32")
    h = k.layers.LSTM(u)(k.layers.Embedding(V, d)(x))
    return k.Model(x, k.layers.Dense(2, activation="softmax")(h))


def shared_layer(d: int, h: int) -> Any:
    k = keras()
    x = k.Input(shape=(d,))
    shared = k.layers.Dense(d, name="shared")
    y = shared(k.layers.Dense(d, name="pre")(x))
    z = shared(y)  # the same weights, called again
    return k.Model(x, k.layers.Dense(h, name="head")(k.layers.Add()([y, z])))


def depthwise_separable(S: int, f: int) -> Any:
    k = keras()
    x = k.Input(shape=(S, S, 3))
    h = k.layers.Rescaling(1 / 255)(x)
    h = k.layers.Conv2D(f, 3, padding="same")(h)
    h = k.layers.GroupNormalization(groups=f)(h)
    a = k.layers.SeparableConv2D(f, 3, padding="same", depth_multiplier=2)(h)
    b = k.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(h)
    h = k.layers.Concatenate()([a, b])
    h = k.layers.Conv2DTranspose(f, 2, strides=2)(h)
    h = k.layers.AveragePooling2D(2)(h)
    h = k.layers.ZeroPadding2D(((0, 1), (0, 1)))(h)
    h = k.layers.Cropping2D(((0, 1), (0, 1)))(h)
    h = k.layers.UpSampling2D(2)(h)
    h = k.layers.MaxPooling2D(2)(h)
    h = k.layers.Multiply()([h, h])
    h = k.layers.Reshape((S * S, f))(h)
    return k.Model(x, k.layers.Dense(10)(k.layers.GlobalAveragePooling1D()(h)))


def sequences(T: int, u: int) -> Any:
    k = keras()
    x = k.Input(shape=(T, 3))
    h = k.layers.Bidirectional(k.layers.LSTM(u, return_sequences=True))(x)
    h = k.layers.GRU(u, return_sequences=True)(h)
    h = k.layers.SimpleRNN(u, return_sequences=True, use_bias=False)(h)
    h = k.layers.Conv1D(u, 3, padding="same")(h)
    h = k.layers.SeparableConv1D(u, 3)(h)
    h = k.layers.MaxPooling1D(2)(h)
    h = k.layers.UpSampling1D(2)(h)
    h = k.layers.ZeroPadding1D(1)(h)
    h = k.layers.Cropping1D((1, 1))(h)
    a = k.layers.MultiHeadAttention(2, u)(h, h)
    h = k.layers.LayerNormalization()(k.layers.Add()([h, a]))
    h = k.layers.Permute((2, 1))(h)
    h = k.layers.AveragePooling1D(2)(h)
    return k.Model(x, k.layers.Dense(3)(k.layers.GlobalMaxPooling1D()(h)))


def volumes(D: int, f: int) -> Any:
    k = keras()
    x = k.Input(shape=(D, D, D, 2))
    h = k.layers.Conv3D(f, 3, padding="same")(x)
    h = k.layers.MaxPooling3D(2)(h)
    h = k.layers.Conv3DTranspose(f, 2, strides=2)(h)
    h = k.layers.AveragePooling3D(2)(h)
    h = k.layers.ZeroPadding3D(1)(h)
    h = k.layers.Cropping3D(1)(h)
    h = k.layers.UpSampling3D(2)(h)
    return k.Model(x, k.layers.Dense(1)(k.layers.GlobalAveragePooling3D()(h)))


def residual_stack(d: int, L: int) -> Any:
    """L pre-norm residual MLP blocks made by a Python loop: one `repeat` whose `times` is L."""
    k = keras()
    x = k.Input(shape=(d,))
    h = k.layers.Dense(d, name="stem")(x)
    for _ in range(L):
        y = k.layers.LayerNormalization()(h)
        y = k.layers.Dense(2 * d, activation="relu")(y)
        h = k.layers.Add()([h, k.layers.Dense(d)(y)])
    return k.Model(x, k.layers.Dense(1, name="head")(h))


def two_heads(d: int) -> Any:
    """Two outputs, one of them not the last layer: the spec lists `outputs`."""
    k = keras()
    x = k.Input(shape=(d,))
    h = k.layers.Dense(d, name="trunk")(x)
    return k.Model(x, [k.layers.Dense(3, name="a")(h), k.layers.Dense(2, name="b")(h)])


def two_inputs(d: int, e: int) -> Any:
    """Two inputs: the spec's `input` maps their names to shapes."""
    k = keras()
    x, y = k.Input(shape=(d,), name="left"), k.Input(shape=(e,), name="right")
    return k.Model([x, y], k.layers.Concatenate()([k.layers.Dense(4)(x), k.layers.Dense(4)(y)]))


CORPUS = [
    (mobilenet_v2, {"n": 2, "classes": 10}),
    (lstm_classifier, {"T": 12, "V": 100, "d": 16, "u": 8}),
    (shared_layer, {"d": 8, "h": 3}),
    (depthwise_separable, {"S": 8, "f": 4}),
    (sequences, {"T": 8, "u": 4}),
    (volumes, {"D": 4, "f": 2}),
    (residual_stack, {"d": 8, "L": 3}),
    (two_heads, {"d": 8}),
    (two_inputs, {"d": 3, "e": 5}),
]


@functools.cache
def _imported(factory: Any, sizes: tuple[tuple[str, int], ...]) -> Any:
    """One import per factory and sizes for the whole module (MobileNetV2 takes seconds)."""
    return symcount.from_keras(factory, **dict(sizes))


def _agrees(imported: Any, factory: Any, point: dict[str, int]) -> None:
    """The spec at `point` against the Keras model built there: parameters and MACs."""
    model = imported.model().subs(point)
    built = build(factory, point)
    assert int(model.params) == built.count_params()
    assert int(model.macs) == sum(n for _, n in importer.keras_macs(built)) - _extra_steps(built)


def _extra_steps(built: Any) -> int:
    """The one step more Keras' torch backend runs in a recurrent layer looping in Python (see
    `keras_verify.check_macs`): 0 for the corpus' LSTMs and GRUs (their own kernels), one step of n*u +
    u*u for the SimpleRNN (no bias: the same)."""
    k = keras()
    return sum(
        int(layer.input.shape[-1]) * layer.units + layer.units**2
        for layer in built.layers
        if isinstance(layer, k.layers.SimpleRNN)
    )


@pytest.mark.parametrize(("factory", "sizes"), CORPUS, ids=[f.__name__ for f, _ in CORPUS])
def test_keras_corpus_imports_exactly(factory: Any, sizes: dict[str, int]) -> None:
    keras()
    imported = _imported(factory, tuple(sizes.items()))
    assert len(imported.checked) == 3  # the importer's own checks: parameters and MACs
    # The YAML written is the spec: it parses to the same counts.
    again = parse_spec(load_yaml(imported.to_yaml(), "imported"), "imported")
    assert again.model().params == imported.model().params
    fresh = {name: value + 1 for name, value in sizes.items()}  # near: MobileNetV2 at n=3
    _agrees(imported, factory, sizes)
    _agrees(imported, factory, fresh)


def test_mobilenet_v2_reads_depthwise_convolutions_and_relu6() -> None:
    keras()
    imported = _imported(mobilenet_v2, (("n", 2), ("classes", 10)))
    text = imported.to_yaml()
    assert "- depthwise_conv2d: {kernel_size: 3, padding: same, use_bias: false}" in text
    assert "- activation: {activation: relu6}  # ReLU Conv1_relu" in text  # ReLU(max_value=6)
    n, classes = symcount.symbols("n classes")
    assert imported.spec.input == (32 * n, 32 * n, 3)
    # The head: pooled 1280 features to `classes`, with biases.
    assert imported.model().params.coeff(classes) == 1280 + 1


def test_a_shared_layer_is_one_entry_then_use() -> None:
    keras()
    imported = _imported(shared_layer, (("d", 8), ("h", 3)))
    text = imported.to_yaml()
    assert "- use: shared" in text and "name: shared_call2" in text
    d, h = symcount.symbols("d h")
    # pre and shared: d*d + d each (shared once); head: 2 inputs added, d*h + h.
    assert sympy_expand(imported.model().params) == sympy_expand(2 * (d * d + d) + d * h + h)


def sympy_expand(expr: Any) -> Any:
    import sympy

    return sympy.expand(expr)


def test_the_macs_check_catches_a_spec_that_lost_a_call() -> None:
    """Without its second call, the shared layer's spec has the same parameters but fewer MACs:
    the MACs check names the call that differs."""
    keras()
    imported = _imported(shared_layer, (("d", 8), ("h", 3)))
    data = load_yaml(imported.to_yaml(), "imported")
    data["layers"] = [e for e in data["layers"] if e.get("name") != "shared_call2"]
    data["layers"][-2]["inputs"] = ["shared", "shared"]
    broken = parse_spec(data, "broken").model().subs(d=8, h=3)
    built = build(shared_layer, {"d": 8, "h": 3})
    assert int(broken.params) == built.count_params()
    with pytest.raises(SymcountError, match="first layer that differs: shared_call2 \\(0 against 64\\)"):
        check_macs(broken, built, {"d": 8, "h": 3})


def test_a_loop_of_alike_blocks_is_one_repeat() -> None:
    keras()
    imported = _imported(residual_stack, (("d", 8), ("L", 3)))
    text = imported.to_yaml()
    assert "  - repeat: {times: L, block: block}\n    name: blocks\n" in text
    assert "      inputs: [input, dense_1]\n" in text  # the residual add reads the block's input
    d, L = symcount.symbols("d L")
    # A block: LayerNorm 2d, d -> 2d dense 2d*d + 2d, 2d -> d dense 2d*d + d; stem d*d + d; head d + 1.
    assert sympy_expand(imported.model().params) == sympy_expand(L * (4 * d * d + 5 * d) + d * d + 2 * d + 1)


def growing_blocks(d: int, L: int) -> Any:
    k = keras()
    x = h = k.Input(shape=(d,))
    for i in range(L):
        h = k.layers.Dense(d * (i + 1))(h)  # each block wider than the last: not alike
    return k.Model(x, h)


def with_prelu(d: int) -> Any:
    k = keras()
    x = k.Input(shape=(d,))
    return k.Model(x, k.layers.PReLU()(k.layers.Dense(d)(x)))


@pytest.mark.parametrize(
    ("factory", "sizes", "message"),
    [
        (
            growing_blocks,
            {"d": 4, "L": 2},
            "the model's layers change with the sizes .* not as one run of alike",
        ),
        (with_prelu, {"d": 4}, "p_re_lu: no symcount layer for the Keras layer PReLU \\(4 weights\\)"),
    ],
)
def test_refusals_are_one_line(factory: Any, sizes: dict[str, int], message: str) -> None:
    keras()
    with pytest.raises(SymcountError, match=message) as error:
        symcount.from_keras(factory, **sizes)
    assert "\n" not in str(error.value)
