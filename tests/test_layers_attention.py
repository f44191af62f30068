"""Attention layers: MultiHeadAttention and TransformerEncoder, against Keras 3 and PyTorch.

Keras' MultiHeadAttention needs query and value, so it cannot sit in a keras.Sequential: its oracle
is a functional model calling `layer(x, x)`, the self-attention symcount models.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import Input, Sequential, ShapeError, SpecError, SymcountError, symbols
from symcount.layers import MultiHeadAttention, TransformerEncoder
from symcount.spec import parse_spec
from tests.frameworks import keras, keras_model_counts, symcount_counts, torch, torch_counts

T, d, h, k, v, o, p, f = symbols("T d h k v o p f")


# --- 1. The formulas ----------------------------------------------------------------------------

FORMULAS = [
    # Keras: query and key kernels (d, h, k) + biases (h, k); value kernel (d, h, k) + bias (h, k)
    # (value_dim defaults to key_dim); output kernel (h, k, d) + bias (d,).
    (MultiHeadAttention(h, k), (T, d), "keras", 3 * (d * h * k + h * k) + h * k * d + d, (T, d)),
    # value_dim v and output o: query/key 2(dhk + hk), value dhv + hv, output hvo + o.
    (
        MultiHeadAttention(h, k, v, output_dims=o),
        (T, d),
        "keras",
        2 * (d * h * k + h * k) + d * h * v + h * v + h * v * o + o,
        (T, o),
    ),
    # An output of two axes (o, p): output kernel (h, k, o, p) + bias (o, p).
    (
        MultiHeadAttention(h, k, output_dims=[o, p]),
        (T, d),
        "keras",
        3 * (d * h * k + h * k) + h * k * o * p + o * p,
        (T, o, p),
    ),
    # No biases: the four kernels only.
    (MultiHeadAttention(h, k, use_bias=False), (T, d), "keras", 3 * d * h * k + h * k * d, (T, d)),
    # Keras' gate: one more projection shaped as value's, d*h*k + h*k.
    (
        MultiHeadAttention(h, k, use_gate=True),
        (T, d),
        "keras",
        4 * (d * h * k + h * k) + h * k * d + d,
        (T, d),
    ),
    # key_dim omitted: heads of d/h, so each (d, h, d/h) kernel holds d^2 and each bias d.
    (MultiHeadAttention(h), (T, d), "keras", 4 * d**2 + 4 * d, (T, d)),
    # PyTorch: in_proj (3d, d) + 3d, out_proj (d, d) + d.
    (MultiHeadAttention(h), (T, d), "torch", 3 * d * d + 3 * d + d * d + d, (T, d)),
    # PyTorch without biases: in_proj and out_proj weights only.
    (MultiHeadAttention(h, use_bias=False), (T, d), "torch", 4 * d**2, (T, d)),
    # PyTorch's add_bias_kv: bias_k and bias_v, (1, 1, d) each.
    (MultiHeadAttention(h, add_bias_kv=True), (T, d), "torch", 4 * d**2 + 4 * d + 2 * d, (T, d)),
    # Encoder block: attention 4d^2 + 4d, linear1 d*f + f, linear2 f*d + d, two LayerNorms 2d each.
    (TransformerEncoder(h, f), (T, d), "torch", 4 * d**2 + 4 * d + 2 * d * f + f + d + 4 * d, (T, d)),
    (TransformerEncoder(h, f), (T, d), "keras", 4 * d**2 + 4 * d + 2 * d * f + f + d + 4 * d, (T, d)),
    # The feed-forward width defaults to PyTorch's 2048.
    (TransformerEncoder(h), (T, d), "torch", 4 * d**2 + 4 * d + 2 * 2048 * d + 2048 + d + 4 * d, (T, d)),
    # Without biases: 4d^2 attention weights, 2df feed-forward weights, two LayerNorm scales of d.
    (TransformerEncoder(h, f, use_bias=False), (T, d), "torch", 4 * d**2 + 2 * d * f + 2 * d, (T, d)),
    (TransformerEncoder(h, f, use_bias=False), (T, d), "keras", 4 * d**2 + 2 * d * f + 2 * d, (T, d)),
]


@pytest.mark.parametrize(("layer", "shape", "framework", "params", "output"), FORMULAS)
def test_formula(layer: Any, shape: tuple, framework: str, params: sympy.Expr, output: tuple) -> None:
    model = Sequential(Input(*shape), layer, framework=framework)
    assert sympy.expand(model.params - params) == 0
    assert model.trainable == model.params
    assert model.non_trainable == 0 and model.buffers == 0
    assert model.output_shape == output


def test_frozen_layers_move_every_weight_to_non_trainable() -> None:
    for framework in ("keras", "torch"):
        for layer in (MultiHeadAttention(h, trainable=False), TransformerEncoder(h, f, trainable=False)):
            model = Sequential(Input(T, d), layer, framework=framework)
            assert model.trainable == 0
            assert model.non_trainable == model.params != 0


def test_keras_and_torch_agree_when_heads_are_d_over_h() -> None:
    # Keras' count with key_dim = value_dim = d/h is PyTorch's, for both layers, biases or not.
    for bias in (True, False):
        for layer in (MultiHeadAttention(h, use_bias=bias), TransformerEncoder(h, f, use_bias=bias)):
            keras_model = Sequential(Input(T, d), layer)
            torch_model = Sequential(Input(T, d), layer, framework="torch")
            assert sympy.expand(keras_model.params - torch_model.params) == 0


# --- 2. The oracles -----------------------------------------------------------------------------


def keras_attention_counts(layer: Any, shape: tuple[int, int], trainable: bool = True) -> dict[str, Any]:
    """A functional model `x -> layer(x, x)`: MultiHeadAttention cannot sit in keras.Sequential."""
    K = keras()
    x = K.Input(shape=shape)
    model = K.Model(x, layer(x, x))
    layer.trainable = trainable
    return keras_model_counts(model)


def keras_encoder_counts(size: int, heads: int, ff: int, bias: bool, length: int) -> dict[str, Any]:
    """PyTorch's encoder block from Keras layers: attention, add & norm, feed-forward, add & norm."""
    K = keras()
    x = K.Input(shape=(length, size))
    attended = K.layers.MultiHeadAttention(heads, size // heads, use_bias=bias)(x, x)
    y = K.layers.LayerNormalization(center=bias)(K.layers.Add()([x, attended]))
    hidden = K.layers.Dense(ff, activation="relu", use_bias=bias)(y)
    z = K.layers.LayerNormalization(center=bias)(
        K.layers.Add()([y, K.layers.Dense(size, use_bias=bias)(hidden)])
    )
    return keras_model_counts(K.Model(x, z))


def same_counts(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    for key, value in theirs.items():
        assert ours[key] == value, key


# (T, d, h, k, v, output) for Keras; None means the default.
KERAS_MHA_SIZES = [
    (1, 1, 1, 1, None, None),
    (5, 12, 3, 4, None, None),
    (3, 7, 2, 3, 5, 9),
    (2, 6, 4, 1, 2, (2, 3)),
    (4, 16, 8, None, None, None),
]


@pytest.mark.frameworks
@pytest.mark.parametrize(("length", "size", "heads", "key", "value", "out"), KERAS_MHA_SIZES)
@pytest.mark.parametrize("options", [{}, {"use_bias": False}, {"use_gate": True}])
def test_multi_head_attention_matches_keras(
    length: int, size: int, heads: int, key: Any, value: Any, out: Any, options: dict[str, bool]
) -> None:
    K = keras()
    layer = MultiHeadAttention(
        h,
        k if key is not None else None,
        v if value is not None else None,
        output_dims=(None if out is None else [o] if isinstance(out, int) else [o, p]),
        **options,
    )
    dims = {} if out is None else {"o": out} if isinstance(out, int) else {"o": out[0], "p": out[1]}
    values = {"T": length, "d": size, "h": heads, "k": key, "v": value, **dims}
    values = {name: n for name, n in values.items() if n is not None}
    ours = symcount_counts([layer], (T, d), **values)
    theirs = keras_attention_counts(
        K.layers.MultiHeadAttention(
            heads, key if key is not None else size // heads, value, output_shape=out, **options
        ),
        (length, size),
    )
    same_counts(ours, theirs)


@pytest.mark.frameworks
def test_frozen_multi_head_attention_matches_keras() -> None:
    K = keras()
    ours = symcount_counts([MultiHeadAttention(h, k, trainable=False)], (T, d), T=3, d=10, h=2, k=4)
    theirs = keras_attention_counts(K.layers.MultiHeadAttention(2, 4), (3, 10), trainable=False)
    same_counts(ours, theirs)
    assert ours["trainable"] == 0


def self_attention(*args: Any, **kwargs: Any) -> Any:
    """nn.MultiheadAttention fed its input as query, key and value, batch first."""
    nn = torch().nn

    class SelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attention = nn.MultiheadAttention(*args, batch_first=True, **kwargs)

        def forward(self, x: Any) -> Any:
            return self.attention(x, x, x, need_weights=False)[0]

    return SelfAttention()


# (T, E, heads) for PyTorch: 1-wide, one head, as many heads as features, a long sequence.
TORCH_MHA_SIZES = [(1, 1, 1), (5, 12, 3), (2, 8, 8), (9, 6, 1), (4, 10, 2)]


@pytest.mark.frameworks
@pytest.mark.parametrize(("length", "size", "heads"), TORCH_MHA_SIZES)
@pytest.mark.parametrize("options", [{}, {"bias": False}, {"add_bias_kv": True}])
def test_multi_head_attention_matches_torch(length: int, size: int, heads: int, options: dict) -> None:
    t = torch()
    ours = symcount_counts(
        [
            MultiHeadAttention(
                h, use_bias=options.get("bias", True), add_bias_kv=options.get("add_bias_kv", False)
            )
        ],
        (T, d),
        "torch",
        T=length,
        d=size,
        h=heads,
    )
    theirs = torch_counts(self_attention(size, heads, **options), t.zeros(2, length, size))
    same_counts(ours, theirs)


@pytest.mark.frameworks
def test_frozen_multi_head_attention_matches_torch() -> None:
    t = torch()
    module = self_attention(12, 4)
    for parameter in module.parameters():
        parameter.requires_grad = False
    ours = symcount_counts([MultiHeadAttention(h, trainable=False)], (T, d), "torch", T=3, d=12, h=4)
    same_counts(ours, torch_counts(module, t.zeros(1, 3, 12)))


# (T, d, heads, feed-forward width or None for PyTorch's default 2048)
ENCODER_SIZES = [(1, 1, 1, 1), (5, 12, 3, 7), (3, 16, 4, None), (2, 8, 8, 32), (6, 6, 2, 1)]


@pytest.mark.frameworks
@pytest.mark.parametrize(("length", "size", "heads", "ff"), ENCODER_SIZES)
@pytest.mark.parametrize("options", [{}, {"bias": False}, {"norm_first": True, "activation": "gelu"}])
def test_transformer_encoder_matches_torch_and_keras(
    length: int, size: int, heads: int, ff: Any, options: dict
) -> None:
    t = torch()
    bias = options.get("bias", True)
    layer = TransformerEncoder(
        h,
        f if ff is not None else 2048,
        use_bias=bias,
        normalize_first=options.get("norm_first", False),
        activation=options.get("activation", "relu"),
    )
    values = {"T": length, "d": size, "h": heads, **({"f": ff} if ff is not None else {})}
    module = t.nn.TransformerEncoderLayer(
        size, heads, **({"dim_feedforward": ff} if ff is not None else {}), batch_first=True, **options
    )
    ours = symcount_counts([layer], (T, d), "torch", **values)
    same_counts(ours, torch_counts(module, t.zeros(2, length, size)))
    # Under Keras: the same block from Keras layers, and the same numbers.
    ours_keras = symcount_counts([layer], (T, d), **values)
    same_counts(ours_keras, keras_encoder_counts(size, heads, ff or 2048, bias, length))
    assert ours_keras["total"] == ours["total"]


@pytest.mark.frameworks
@settings(max_examples=25)
@given(
    heads=st.integers(1, 6),
    head_width=st.integers(1, 6),
    ff=st.integers(1, 40),
    bias=st.booleans(),
)
def test_transformer_encoder_law_at_random_sizes(heads: int, head_width: int, ff: int, bias: bool) -> None:
    t = torch()
    size = heads * head_width
    module = t.nn.TransformerEncoderLayer(size, heads, ff, bias=bias, batch_first=True)
    model = Sequential(Input(T, d), TransformerEncoder(h, f, use_bias=bias), framework="torch")
    assert model.count(T=1, d=size, h=heads, f=ff) == torch_counts(module)["total"]


# --- 3. Bad input -------------------------------------------------------------------------------

BAD = [
    # (layers, input shape, framework, error, fragment the message must quote)
    ([MultiHeadAttention(2, 4)], (12,), "keras", ShapeError, "input shape (12,)"),
    ([MultiHeadAttention(2, 4)], (4, 5, 12), "keras", ShapeError, "input shape (4, 5, 12)"),
    ([TransformerEncoder(2, 8)], (12,), "torch", ShapeError, "input shape (12,)"),
    ([MultiHeadAttention(3)], (5, 10), "torch", ShapeError, "num_heads=3"),
    ([MultiHeadAttention(3)], (5, 10), "keras", ShapeError, "num_heads=3"),
    ([TransformerEncoder(4, 8)], (5, 10), "torch", ShapeError, "num_heads=4"),
    ([TransformerEncoder(4, 8)], (5, 10), "keras", ShapeError, "num_heads=4"),
    ([MultiHeadAttention(2, 4)], (5, 12), "torch", SpecError, "key_dim=4"),
    ([MultiHeadAttention(2, 6, 3)], (5, 12), "torch", SpecError, "value_dim=3"),
    ([MultiHeadAttention(2, output_dims=7)], (5, 12), "torch", SpecError, "output_dims=(7,)"),
    ([MultiHeadAttention(2, use_gate=True)], (5, 12), "torch", SpecError, "use_gate=True"),
    ([MultiHeadAttention(2, add_bias_kv=True)], (5, 12), "keras", SpecError, "add_bias_kv=True"),
    ([MultiHeadAttention(2, key_channels=8)], (5, 12), "torch", ShapeError, "key_channels=8"),
    ([MultiHeadAttention(2, value_channels=8)], (5, 12), "keras", ShapeError, "value_channels=8"),
    ([MultiHeadAttention(2, channels_in=8)], (5, 12), "torch", ShapeError, "was given 8"),
    ([TransformerEncoder(2, activation="tanh")], (5, 12), "torch", SpecError, "activation='tanh'"),
]


@pytest.mark.parametrize(("layers", "shape", "framework", "error", "fragment"), BAD)
def test_bad_shapes_and_framework_options(
    layers: list, shape: tuple, framework: str, error: type, fragment: str
) -> None:
    with pytest.raises(error) as raised:
        Sequential(Input(*shape), *layers, framework=framework)
    message = str(raised.value)
    assert fragment in message and "\n" not in message


def test_symbolic_sizes_are_checked_once_given() -> None:
    model = Sequential(Input(T, d), MultiHeadAttention(h), framework="torch")
    with pytest.raises(ShapeError, match="num_heads=3"):
        model.subs(d=10, h=3)
    keyed = Sequential(Input(T, d), MultiHeadAttention(h, k), framework="torch")
    assert keyed.count(d=12, h=3, k=4) == 4 * 144 + 4 * 12
    with pytest.raises(SpecError, match="key_dim=5"):
        keyed.subs(d=12, h=3, k=5)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: MultiHeadAttention(0, 4), "num_heads=0"),
        (lambda: MultiHeadAttention(2, -4), "key_dim=-4"),
        (lambda: MultiHeadAttention(2, 4, "2.5"), "value_dim=5/2"),
        (lambda: MultiHeadAttention(2, 4, dropout=1.5), "dropout=1.5"),
        (lambda: MultiHeadAttention(2, 4, use_bias="yes"), "use_bias='yes'"),
        (lambda: MultiHeadAttention(2, 4, output_dims=[]), "output_dims=[]"),
        (lambda: MultiHeadAttention(2, 4, output_dims=[3, 0]), "output_dims=0"),
        (lambda: TransformerEncoder(2, 0), "intermediate_dim=0"),
        (lambda: TransformerEncoder(2, 8, activation="relux"), "activation='relux'"),
        (lambda: TransformerEncoder(2, 8, normalize_first=1), "normalize_first=1"),
        (lambda: TransformerEncoder(2, 8, layer_norm_epsilon=-1), "layer_norm_epsilon=-1"),
    ],
)
def test_impossible_values(make: Any, fragment: str) -> None:
    with pytest.raises(SymcountError) as raised:
        make()
    assert fragment in str(raised.value)


def test_keras_output_shape_is_spelled_output_dims() -> None:
    # `output_shape` is every layer's method, so Keras' argument is `output_dims` here.
    spec = {"input": ["T", 8], "layers": [{"multi_head_attention": {"num_heads": 2, "output_shape": 4}}]}
    with pytest.raises(SpecError, match="output_dims"):
        parse_spec(spec).model()


# --- 4. Spec files ------------------------------------------------------------------------------


def test_keras_spec_round_trip() -> None:
    spec = {
        "input": ["T", "d"],
        "values": {"T": 10, "d": 512, "h": 8},
        "layers": [
            {"multi_head_attention": {"num_heads": "h", "key_dim": 64}},
            {"multi_head_attention": [2, 16, 8, 0.1, False, 32]},
            {"transformer_encoder": {"num_heads": 4, "intermediate_dim": 64}},
        ],
    }
    model = parse_spec(spec).model()
    first, second, third = (row.params for row in model.rows)
    assert sympy.expand(first - (4 * d * h * 64 + 3 * h * 64 + d)) == 0
    # Positional, as Keras: 2 heads, key_dim 16, value_dim 8, dropout, no biases, output 32 wide:
    # query/key kernels 2*(d*2*16), value d*2*8, output 2*8*32.
    assert sympy.expand(second - (2 * 32 * d + 16 * d + 512)) == 0
    # On (T, 32): attention 4*32^2 + 4*32, feed-forward 2*32*64 + 64 + 32, LayerNorms 4*32.
    assert third == 4 * 32**2 + 4 * 32 + 2 * 32 * 64 + 64 + 32 + 4 * 32
    assert model.output_shape == (T, 32)
    assert model.subs(d=512, h=8).rows[0].params == 4 * 512**2 + 4 * 512


@pytest.mark.frameworks
def test_torch_spec_round_trip_matches_torch() -> None:
    t = torch()
    spec = parse_spec(
        {
            "framework": "torch",
            "input": ["T", 512],
            "layers": [
                {"multihead_attention": {"embed_dim": 512, "num_heads": 8}},
                {"multihead_attention": {"embed_dim": 512, "num_heads": 8, "kdim": 512, "vdim": 512,
                                         "bias": False, "add_bias_kv": True, "batch_first": True}},
                {"transformer_encoder_layer": {"d_model": 512, "nhead": 8, "dim_feedforward": "f",
                                               "norm_first": True, "layer_norm_eps": 1e-6, "bias": True}},
            ],
        }
    )  # fmt: skip
    model = spec.model()
    assert model.output_shape == (T, 512)
    counts = [row.params for row in model.subs(f=2048).rows]
    modules = [
        t.nn.MultiheadAttention(512, 8),
        t.nn.MultiheadAttention(512, 8, bias=False, add_bias_kv=True, kdim=512, vdim=512),
        t.nn.TransformerEncoderLayer(512, 8, 2048, norm_first=True),
    ]
    assert counts == [torch_counts(module)["total"] for module in modules]


def test_torch_spellings_need_framework_torch() -> None:
    spec = {"input": ["T", 16], "layers": [{"multihead_attention": {"embed_dim": 16, "num_heads": 2}}]}
    with pytest.raises(SpecError, match="multihead_attention"):
        parse_spec(spec).model()
