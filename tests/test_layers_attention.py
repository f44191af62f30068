"""Attention layers: MultiHeadAttention and TransformerEncoder, against Keras 3 and PyTorch.

Keras' MultiHeadAttention needs query and value, so it cannot sit in a keras.Sequential: its oracle
is a functional model calling `layer(x, x)`, the self-attention symcount models.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import Input, Model, Sequential, ShapeError, SpecError, SymcountError, symbols
from symcount.costs import total_cost
from symcount.layers import GroupQueryAttention, MultiHeadAttention, TransformerEncoder
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
    ([MultiHeadAttention(2, output_dims=7)], (5, 12), "torch", SpecError, "output_shape=(7,)"),
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
        (lambda: MultiHeadAttention(2, 4, output_dims=[]), "output_shape=[]"),
        (lambda: MultiHeadAttention(2, 4, output_dims=[3, 0]), "output_shape=0"),
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


def test_keras_output_shape_is_written_as_keras_writes_it() -> None:
    # Issue 23 (F): a spec writes Keras' `output_shape`, by name or in Keras' positional order
    # (num_heads, key_dim, value_dim, dropout, use_bias, output_shape); messages use that name.
    by_name = {"multi_head_attention": {"num_heads": 2, "key_dim": 3, "output_shape": 4}}
    positional = {"multi_head_attention": [2, 3, None, 0.0, True, 4]}
    for entry in (by_name, positional):
        layer = parse_spec({"input": ["T", 8], "layers": [entry]}).model().subs(T=5)
        assert layer.output_shape == (5, 4)
    spec = {
        "input": ["T", 8],
        "layers": [{"multi_head_attention": {"num_heads": 2, "key_dim": 3, "output_shape": 0}}],
    }
    with pytest.raises(SymcountError, match="output_shape=0"):
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


# --- 5. Cross-attention and grouped-query attention ---------------------------------------------

S, e, c, g = symbols("S e c g")


def cross(layer: Any, *shapes: tuple, framework: str = "keras") -> Model:
    """A model calling `layer` on a query and a value (and a key), one Input each."""
    inputs = [Input(*shape) for shape in shapes]
    return Model(inputs, layer(inputs), framework=framework)


CROSS_FORMULAS = [
    # Keras, query (T, d) and value (S, e): query kernel d*h*k, key and value kernels e*h*k (the
    # key defaults to the value), biases 3*h*k, output h*k*d + d (back to the query's width).
    (
        MultiHeadAttention(h, k),
        [(T, d), (S, e)],
        "keras",
        d * h * k + 2 * e * h * k + 3 * h * k + h * k * d + d,
    ),
    # A key of its own width c: key kernel c*h*k; value_dim v: value kernel e*h*v, output h*v*d.
    (
        MultiHeadAttention(h, k, v),
        [(T, d), (S, e), (S, c)],
        "keras",
        d * h * k + c * h * k + e * h * v + 2 * h * k + h * v + h * v * d + d,
    ),
    # PyTorch with kdim = vdim = e: separate q (d, d), k and v (d, e) weights, in_proj_bias 3d,
    # out_proj d*d + d.
    (MultiHeadAttention(h), [(T, d), (S, e)], "torch", d * d + 2 * d * e + 3 * d + d * d + d),
    # Grouped-query attention, Keras: query d*h*k + h*k, key c*g*k + g*k, value d*g*k + g*k
    # (Keras wants the value as wide as the query), output h*k*d + d.
    (
        GroupQueryAttention(k, h, g),
        [(T, d), (S, d), (S, c)],
        "keras",
        d * h * k + h * k + c * g * k + d * g * k + 2 * g * k + h * k * d + d,
    ),
    # Hugging Face has no cross-attention of its own: any widths, torch's (out, in) names.
    (
        GroupQueryAttention(k, h, g, use_bias=False),
        [(T, d), (S, e)],
        "torch",
        2 * d * h * k + 2 * e * g * k,
    ),
]


@pytest.mark.parametrize(("layer", "shapes", "framework", "params"), CROSS_FORMULAS)
def test_cross_attention_formula(layer: Any, shapes: list, framework: str, params: sympy.Expr) -> None:
    model = cross(layer, *shapes, framework=framework)
    assert sympy.expand(model.params - params) == 0
    assert model.output_shape == (T, d)  # the query's positions and width


GQA_FORMULAS = [
    # Keras: query (d, h, k) + (h, k); key and value (d, g, k) + (g, k) each; output (h, k, d) + d.
    (GroupQueryAttention(k, h, g), "keras", d * h * k + h * k + 2 * (d * g * k + g * k) + h * k * d + d),
    (GroupQueryAttention(k, h, g, use_bias=False), "keras", 2 * d * h * k + 2 * d * g * k),
    # Keras' gate: one more projection shaped as the query's.
    (GroupQueryAttention(k, h, g, use_gate=True), "keras", 2 * (d * h * k + h * k) + 2 * (d * g * k + g * k) + h * k * d + d),
    # Hugging Face (Llama): q_proj (h*k, d), k_proj and v_proj (g*k, d), o_proj (d, h*k), no biases.
    (GroupQueryAttention(k, h, g, use_bias=False), "torch", 2 * d * h * k + 2 * d * g * k),
    # Qwen2: q, k and v biased (h*k + 2*g*k), o not.
    (
        GroupQueryAttention(k, h, g, output_bias=False),
        "torch",
        2 * d * h * k + 2 * d * g * k + h * k + 2 * g * k,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("layer", "framework", "params"), GQA_FORMULAS)
def test_group_query_attention_formula(layer: Any, framework: str, params: sympy.Expr) -> None:
    model = Sequential(Input(T, d), layer, framework=framework)
    assert sympy.expand(model.params - params) == 0
    assert model.output_shape == (T, d)


def test_group_query_attention_with_every_head_is_multi_head_attention() -> None:
    # g = h key/value heads of k: Keras' MultiHeadAttention(h, k), weight for weight, and the same
    # KV cache and MACs; g = 1 is multi-query attention, whose cache is h times smaller.
    for bias in (True, False):
        gqa = Sequential(Input(T, d), GroupQueryAttention(k, h, h, use_bias=bias))
        mha = Sequential(Input(T, d), MultiHeadAttention(h, k, use_bias=bias))
        assert [w.shape for w in gqa.rows[0].weights] == [w.shape for w in mha.rows[0].weights]
        for cost in ("macs", "flops", "kv_cache"):
            assert sympy.expand(total_cost(gqa, cost) - total_cost(mha, cost)) == 0, cost
    gqa = Sequential(Input(T, d), GroupQueryAttention(k, h, 1))
    mha = Sequential(Input(T, d), MultiHeadAttention(h, k))
    assert sympy.simplify(total_cost(mha, "kv_cache") / total_cost(gqa, "kv_cache")) == h


def test_kv_cache_follows_key_value_heads_and_the_memory() -> None:
    # 2 (keys and values) x S tokens x g heads x k numbers, whatever the query's length.
    model = cross(GroupQueryAttention(k, h, g), (T, d), (S, d))
    assert sympy.expand(total_cost(model, "kv_cache") - 4 * 2 * S * g * k) == 0  # float32: 4 bytes
    model = cross(MultiHeadAttention(h, k, v), (T, d), (S, e))
    assert sympy.expand(total_cost(model, "kv_cache") - 4 * S * h * (k + v)) == 0


def test_attention_input_errors() -> None:
    with pytest.raises(SymcountError, match="at most 3 inputs"):
        cross(MultiHeadAttention(2, 4), (3, 8), (3, 8), (3, 8), (3, 8))
    with pytest.raises(ShapeError, match="as many positions"):
        cross(MultiHeadAttention(2, 4), (3, 8), (5, 8), (4, 8))
    with pytest.raises(ShapeError, match="value is 6 features wide"):
        cross(MultiHeadAttention(2, 4, value_channels=8), (3, 8), (5, 6))
    with pytest.raises(ShapeError, match="value as wide as the query"):
        cross(GroupQueryAttention(4, 2, 1), (3, 8), (5, 6))
    with pytest.raises(SymcountError, match="divisible by num_key_value_heads"):
        GroupQueryAttention(8, 6, 4)
    with pytest.raises(SpecError, match="takes one input"):
        parse_spec(
            {"input": {"a": [3, 8], "b": [3, 8]}, "layers": [{"dense": 2, "inputs": ["a", "b"]}]}
        ).model()


def test_cross_attention_spec() -> None:
    spec = parse_spec(
        {
            "input": {"decoder": ["T", "d"], "encoder": ["S", "e"]},
            "layers": [
                {"multi_head_attention": {"num_heads": "h", "key_dim": "k"},
                 "inputs": ["decoder", "encoder"], "name": "cross"},
            ],
        }
    )  # fmt: skip
    model = spec.model()
    assert model.rows[0].inputs == ("decoder", "encoder")
    assert sympy.expand(model.params - (d * h * k + 2 * e * h * k + 3 * h * k + h * k * d + d)) == 0


# (T, S, query width, value width, key width or None, heads, key_dim, value_dim or None)
KERAS_CROSS_SIZES = [
    (3, 5, 16, 24, None, 2, 4, None), (2, 7, 16, 24, 10, 3, 4, 5), (1, 1, 1, 2, 3, 1, 1, 1), (4, 2, 8, 8, 5, 2, 3, 3),
]  # fmt: skip


@pytest.mark.frameworks
@pytest.mark.parametrize(("length", "sources", "dq", "dv", "dk", "heads", "key", "value"), KERAS_CROSS_SIZES)
@pytest.mark.parametrize("bias", [True, False])
def test_cross_attention_matches_keras(
    length: int, sources: int, dq: int, dv: int, dk: Any, heads: int, key: int, value: Any, bias: bool
) -> None:
    K = keras()
    shapes = [(length, dq), (sources, dv)] + ([(sources, dk)] if dk else [])
    inputs = [K.Input(shape=shape) for shape in shapes]
    pairs = [
        (
            K.layers.MultiHeadAttention(heads, key, value, use_bias=bias),
            MultiHeadAttention(heads, key, value, use_bias=bias),
        )
    ]
    if dq == dv:  # Keras' grouped-query attention wants the value as wide as the query
        pairs.append(
            (
                K.layers.GroupQueryAttention(key, heads, 1, use_bias=bias),
                GroupQueryAttention(key, heads, 1, use_bias=bias),
            )
        )
    for theirs_layer, ours_layer in pairs:  # fmt: skip
        theirs = keras_model_counts(K.Model(inputs, theirs_layer(*inputs)))
        model = cross(ours_layer, *shapes)
        assert model.params == theirs["total"]
        assert model.output_shape == theirs["output_shape"]


# (T, d, query heads, key/value heads, head_dim)
KERAS_GQA_SIZES = [(3, 16, 4, 2, 8), (1, 1, 1, 1, 1), (5, 12, 6, 3, 4), (2, 20, 6, 1, 7)]


@pytest.mark.frameworks
@pytest.mark.parametrize(("length", "size", "heads", "groups", "head"), KERAS_GQA_SIZES)
@pytest.mark.parametrize("options", [{}, {"use_bias": False}, {"use_gate": True}, {"sliding_window": 2}])
def test_group_query_attention_matches_keras(
    length: int, size: int, heads: int, groups: int, head: int, options: dict
) -> None:
    K = keras()
    layer = K.layers.GroupQueryAttention(head, heads, groups, **options)
    theirs = keras_attention_counts(layer, (length, size))
    ours = symcount_counts(
        [GroupQueryAttention(k, h, g, **options)], (T, d), T=length, d=size, h=heads, g=groups, k=head
    )
    same_counts(ours, theirs)
    names = sorted(w.path.split("/", 1)[1] for w in layer.weights)
    assert names == sorted(
        w.name
        for w in Sequential(Input(length, size), GroupQueryAttention(head, heads, groups, **options))
        .rows[0]
        .weights
    )


def hugging_face_attention(kind: str, **config: Any) -> Any:
    """Hugging Face's attention module of `kind` (Llama, Mistral, Qwen2), eager, from a config."""
    pytest.importorskip("transformers", reason="transformers is not installed")
    import transformers

    settings = {"intermediate_size": 8, "vocab_size": 16, "num_hidden_layers": 1, **config}
    cfg = getattr(transformers, f"{kind}Config")(**settings)
    cfg._attn_implementation = "eager"
    module = importlib.import_module(f"transformers.models.{kind.lower()}.modeling_{kind.lower()}")
    return cfg, module, getattr(module, f"{kind}Attention")(cfg, layer_idx=0)


# (kind, d, query heads, key/value heads, head_dim or None for d/h, Llama's attention_bias)
HF_ATTENTION = [
    ("Llama", 16, 4, 2, None, False),
    ("Llama", 24, 2, 1, 8, False),  # h*head_dim != d
    ("Llama", 12, 3, 3, None, True),  # attention_bias: q, k, v and o
    ("Mistral", 32, 8, 2, None, False),
    ("Qwen2", 24, 6, 2, None, False),  # q, k and v biased, o not
    ("Qwen2", 16, 4, 1, 8, False),
]


@pytest.mark.frameworks
@pytest.mark.parametrize(("kind", "size", "heads", "groups", "head", "bias"), HF_ATTENTION)
def test_group_query_attention_matches_hugging_face(
    kind: str, size: int, heads: int, groups: int, head: Any, bias: bool
) -> None:
    t = torch()
    extra = {"head_dim": head} if head else {}
    if kind == "Llama":
        extra["attention_bias"] = bias
    cfg, module, attention = hugging_face_attention(
        kind, hidden_size=size, num_attention_heads=heads, num_key_value_heads=groups, **extra
    )
    head_dim = head or size // heads
    options = {"use_bias": True, "output_bias": False} if kind == "Qwen2" else {"use_bias": bias}
    layer = GroupQueryAttention(head_dim, heads, groups, **options)
    length = 5
    row = Sequential(Input(length, size), layer, framework="torch").rows[0]
    theirs = {name: tuple(p.shape) for name, p in attention.named_parameters()}
    assert {w.name: tuple(int(n) for n in w.shape) for w in row.weights} == theirs
    # The eager forward is explicit matrix products, all of which FlopCounterMode counts: 2 x MACs.
    x = t.randn(1, length, size)
    rotary = getattr(module, f"{kind}RotaryEmbedding")(cfg)
    position = rotary(x, t.arange(length)[None])
    flops = importlib.import_module("torch.utils.flop_counter")
    with t.no_grad(), flops.FlopCounterMode(display=False) as mode:
        attention(x, position, attention_mask=None)
    assert mode.get_total_flops() == 2 * row.macs


@pytest.mark.frameworks
@pytest.mark.parametrize(("size", "heads", "sources", "kdim", "vdim"), [(8, 2, 5, 6, 3), (12, 3, 1, 12, 4)])
def test_cross_attention_matches_torch(size: int, heads: int, sources: int, kdim: int, vdim: int) -> None:
    t = torch()
    module = t.nn.MultiheadAttention(size, heads, kdim=kdim, vdim=vdim, batch_first=True)
    model = cross(MultiHeadAttention(heads), (4, size), (sources, vdim), (sources, kdim), framework="torch")
    assert model.params == torch_counts(module)["total"]
    output = module(t.zeros(1, 4, size), t.zeros(1, sources, kdim), t.zeros(1, sources, vdim))[0]
    assert model.output_shape == tuple(output.shape[1:])
