"""Recurrent layers: SimpleRNN, LSTM, GRU and Bidirectional, against Keras 3 and PyTorch.

Every formula below is built in symbols and only then given numbers, so the oracles test the
formula itself. g is the number of gate blocks (SimpleRNN 1, LSTM 4, GRU 3); one direction of one
layer reading n features holds an n x g*u input kernel, a u x g*u recurrent kernel and g*u biases
(Keras) or 2*g*u (PyTorch's b_ih and b_hh; also Keras' GRU with reset_after).
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy

from symcount import Input, Sequential, ShapeError, SpecError, SymcountError, symbols
from symcount.layers import GRU, LSTM, Bidirectional, Dense, SimpleRNN
from symcount.spec import build_layer, parse_spec
from tests.frameworks import keras, keras_counts, symcount_counts, torch, torch_counts

T, n, u, v, L = symbols("T n u v L")

# (layer, framework, expected params, expected output shape) on an input (T, n).
FORMULAS = [
    # Keras: kernel (n, u), recurrent kernel (u, u), bias (u,).
    (SimpleRNN(u), "keras", n * u + u**2 + u, (u,)),
    (SimpleRNN(u, use_bias=False, return_sequences=True), "keras", n * u + u**2, (T, u)),
    # PyTorch: weight_ih (u, n), weight_hh (u, u), and two biases b_ih, b_hh of u each.
    (SimpleRNN(u), "torch", n * u + u**2 + 2 * u, (u,)),
    # Four gates: kernel (n, 4u), recurrent kernel (u, 4u), bias (4u,).
    (LSTM(u), "keras", 4 * n * u + 4 * u**2 + 4 * u, (u,)),
    (LSTM(u, return_sequences=True), "keras", 4 * n * u + 4 * u**2 + 4 * u, (T, u)),
    # PyTorch doubles the bias: 8u.
    (LSTM(u), "torch", 4 * n * u + 4 * u**2 + 8 * u, (u,)),
    (LSTM(u, use_bias=False), "torch", 4 * n * u + 4 * u**2, (u,)),
    # Three gates; reset_after keeps a second bias for the recurrent product: bias (2, 3u).
    (GRU(u), "keras", 3 * n * u + 3 * u**2 + 6 * u, (u,)),
    (GRU(u, reset_after=False), "keras", 3 * n * u + 3 * u**2 + 3 * u, (u,)),
    # PyTorch's GRU is the reset-after form: b_ih and b_hh are the same 6u.
    (GRU(u), "torch", 3 * n * u + 3 * u**2 + 6 * u, (u,)),
    # PyTorch's spelling hidden_size returns the sequence, as torch.nn.LSTM does.
    (LSTM(hidden_size=u), "torch", 4 * n * u + 4 * u**2 + 8 * u, (T, u)),
    # Two directions, two layers; layer 1 reads the 2u outputs of layer 0:
    # per direction 4u*n + 4u*u + 8u (layer 0) and 4u*2u + 4u*u + 8u (layer 1).
    (
        LSTM(hidden_size=u, num_layers=2, bidirectional=True),
        "torch",
        2 * (4 * n * u + 4 * u**2 + 8 * u) + 2 * (12 * u**2 + 8 * u),
        (T, 2 * u),
    ),
    # The same with symbolic depth: L - 1 layers alike above the first.
    (
        GRU(hidden_size=u, num_layers=L, bidirectional=True),
        "torch",
        2 * (3 * n * u + 3 * u**2 + 6 * u) + (L - 1) * 2 * (9 * u**2 + 6 * u),
        (T, 2 * u),
    ),
    # Keras' counting of the same structure: one bias per gate block, single stack of u-wide layers.
    (SimpleRNN(u, num_layers=L), "keras", n * u + u**2 + u + (L - 1) * (2 * u**2 + u), (u,)),
    # Bidirectional: the wrapped layer's weights twice; concat doubles the width.
    (Bidirectional(LSTM(u)), "keras", 2 * (4 * n * u + 4 * u**2 + 4 * u), (2 * u,)),
    (Bidirectional(LSTM(u)), "torch", 2 * (4 * n * u + 4 * u**2 + 8 * u), (2 * u,)),
    (
        Bidirectional(GRU(u, return_sequences=True), merge_mode="sum"),
        "keras",
        2 * (3 * n * u + 3 * u**2 + 6 * u),
        (T, u),
    ),
    # A backward layer of its own: each side counts alone; concat puts u + v side by side.
    (
        Bidirectional(LSTM(u), backward_layer=GRU(v, go_backwards=True)),
        "keras",
        4 * n * u + 4 * u**2 + 4 * u + 3 * n * v + 3 * v**2 + 6 * v,
        (u + v,),
    ),
]


@pytest.mark.parametrize(("layer", "framework", "params", "shape"), FORMULAS)
def test_formula(layer: Any, framework: str, params: sympy.Expr, shape: tuple[Any, ...]) -> None:
    model = Sequential(Input(T, n), layer, framework=framework)
    assert sympy.expand(model.params - params) == 0
    assert model.trainable == model.params
    assert model.non_trainable == 0
    assert model.output_shape == shape


def test_two_lstms_stacked() -> None:
    # The second LSTM reads the first's u outputs per step: 4(n u + u^2 + u) + 4(u v + v^2 + v).
    model = Sequential(Input(T, n), LSTM(u, return_sequences=True), LSTM(v))
    expected = 4 * (n * u + u**2 + u) + 4 * (u * v + v**2 + v)
    assert sympy.expand(model.params - expected) == 0
    assert [row.output_shape for row in model.rows] == [(T, u), (v,)]


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_frozen_layers_count_as_non_trainable(framework: str) -> None:
    for layer in (LSTM(u, trainable=False), Bidirectional(GRU(u), trainable=False)):
        model = Sequential(Input(T, n), layer, framework=framework)
        assert model.trainable == 0
        assert model.non_trainable == model.params != 0


def test_symbolic_depth_equals_the_concrete_stack() -> None:
    layer = LSTM(hidden_size=u, num_layers=L, bidirectional=True)
    model = Sequential(Input(T, n), layer, framework="torch")
    for depth in (1, 2, 4):
        concrete = Sequential(Input(T, n), LSTM(hidden_size=u, num_layers=depth, bidirectional=True))
        stacked = Sequential(Input(T, n), concrete.layers_[0], framework="torch")
        assert sympy.expand(model.subs(L=depth).params - stacked.params) == 0


# Oracles ---------------------------------------------------------------------------------------

SIZES = [(1, 1, 1), (3, 1, 5), (4, 7, 1), (5, 6, 3)]  # (T, n, u)

# (class name, options): the same names in Keras 3 and symcount.
KERAS_CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"use_bias": False, "return_sequences": True}),
    ("LSTM", {}),
    ("LSTM", {"return_sequences": True, "trainable": False}),
    ("LSTM", {"use_bias": False}),
    ("GRU", {}),
    ("GRU", {"reset_after": False, "return_sequences": True}),
    ("GRU", {"reset_after": False, "use_bias": False}),
]
SYMCOUNT = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}


def values(size: tuple[int, int, int]) -> dict[str, int]:
    return dict(zip(("T", "n", "u"), size))


def check(expected: dict[str, Any], got: dict[str, Any]) -> None:
    for key in ("total", "trainable", "non_trainable", "output_shape"):
        assert got[key] == expected[key], key
    if "buffers" in expected:
        assert got["buffers"] == expected["buffers"]


@pytest.mark.frameworks
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("kind", "options"), KERAS_CASES)
def test_keras_agrees(kind: str, options: dict[str, Any], size: tuple[int, int, int]) -> None:
    k = keras()
    steps, features, units = size
    expected = keras_counts([getattr(k.layers, kind)(units, **options)], (steps, features))
    got = symcount_counts([SYMCOUNT[kind](u, **options)], (T, n), **values(size))
    check(expected, got)


def keras_bidirectional(k: Any, inner: Any, trainable: bool = True, **options: Any) -> Any:
    layer = k.layers.Bidirectional(inner, **options)
    # Keras' Bidirectional(trainable=False) leaves both copies trainable; the setter freezes them.
    layer.trainable = trainable
    return layer


BIDIRECTIONAL_CASES = [
    ("LSTM", {}, {}),
    ("GRU", {"return_sequences": True}, {"merge_mode": "sum"}),
    ("GRU", {"reset_after": False}, {"merge_mode": "mul"}),
    ("SimpleRNN", {"return_sequences": True, "use_bias": False}, {"merge_mode": "ave"}),
    ("LSTM", {"return_sequences": True}, {"trainable": False}),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("kind", "inner", "options"), BIDIRECTIONAL_CASES)
def test_keras_agrees_on_bidirectional(
    kind: str, inner: dict[str, Any], options: dict[str, Any], size: tuple[int, int, int]
) -> None:
    k = keras()
    steps, features, units = size
    layer = keras_bidirectional(k, getattr(k.layers, kind)(units, **inner), **options)
    expected = keras_counts([layer], (steps, features))
    got = symcount_counts([Bidirectional(SYMCOUNT[kind](u, **inner), **options)], (T, n), **values(size))
    check(expected, got)


@pytest.mark.frameworks
@pytest.mark.parametrize("size", [(2, 1, 1, 3), (4, 5, 3, 1)])
def test_keras_agrees_on_a_backward_layer_of_another_width(size: tuple[int, int, int, int]) -> None:
    k = keras()
    steps, features, forward, backward = size
    layer = k.layers.Bidirectional(
        k.layers.LSTM(forward, return_sequences=True),
        backward_layer=k.layers.GRU(backward, return_sequences=True, go_backwards=True),
    )
    expected = keras_counts([layer], (steps, features))
    # Keras' compute_output_shape doubles the forward width; the real output is u + v wide.
    model = k.Sequential([k.Input((steps, features)), layer])
    expected["output_shape"] = tuple(model(k.ops.zeros((1, steps, features))).shape[1:])
    ours = Bidirectional(
        LSTM(u, return_sequences=True), backward_layer=GRU(v, return_sequences=True, go_backwards=True)
    )
    got = symcount_counts([ours], (T, n), T=steps, n=features, u=forward, v=backward)
    check(expected, got)


@pytest.mark.frameworks
@pytest.mark.parametrize("size", [(1, 1, 1), (4, 3, 2)])
def test_keras_agrees_on_two_stacked_lstms(size: tuple[int, int, int]) -> None:
    k = keras()
    steps, features, units = size
    layers = [k.layers.LSTM(units, return_sequences=True), k.layers.LSTM(units + 1)]
    expected = keras_counts(layers, (steps, features))
    ours = [LSTM(u, return_sequences=True), LSTM("u + 1")]
    check(expected, symcount_counts(ours, (T, n), **values(size)))


@pytest.mark.frameworks
@pytest.mark.parametrize(("depth", "both"), [(1, True), (2, False), (3, True)])
@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_num_layers_under_keras_is_the_keras_stack(kind: str, depth: int, both: bool) -> None:
    # num_layers and bidirectional under framework keras count as Keras' own stack of
    # (Bidirectional) layers: every layer but the last returns its sequence.
    k = keras()
    steps, features, units = 3, 2, 4
    stack = []
    for index in range(depth):
        inner = getattr(k.layers, kind)(units, return_sequences=index < depth - 1)
        stack.append(k.layers.Bidirectional(inner) if both else inner)
    expected = keras_counts(stack, (steps, features))
    ours = SYMCOUNT[kind](u, num_layers=L, bidirectional=both)
    got = symcount_counts([ours], (T, n), T=steps, n=features, u=units, L=depth)
    check(expected, got)


TORCH_MODULES = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}

TORCH_CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"bias": False, "nonlinearity": "relu"}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 3, "bidirectional": True}),
    ("LSTM", {"bias": False, "bidirectional": True}),
    ("GRU", {"num_layers": 2}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "bias": False}),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("kind", "options"), TORCH_CASES)
def test_torch_agrees(kind: str, options: dict[str, Any], size: tuple[int, int, int], frozen: bool) -> None:
    t = torch()
    steps, features, units = size
    module = getattr(t.nn, TORCH_MODULES[kind])(features, units, batch_first=True, **options)
    module.requires_grad_(not frozen)
    expected = torch_counts(module, t.zeros(1, steps, features))
    # Built as a torch spec would build it, with the depth in a symbol.
    ours = build_layer(
        {
            TORCH_MODULES[kind].lower(): {
                "input_size": "n",
                "hidden_size": "u",
                "num_layers": "L",
                "batch_first": True,
                **{key: value for key, value in options.items() if key != "num_layers"},
            },
            "trainable": not frozen,
        },
        "torch",
    )
    depth = options.get("num_layers", 1)
    got = symcount_counts([ours], (T, n), "torch", L=depth, **values(size))
    check(expected, got)


@pytest.mark.frameworks
@pytest.mark.parametrize("size", [(1, 1, 1), (3, 4, 2)])
@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_torch_bidirectional_module_is_the_wrapper_under_torch(kind: str, size: tuple[int, int, int]) -> None:
    t = torch()
    steps, features, units = size
    module = getattr(t.nn, TORCH_MODULES[kind])(features, units, batch_first=True, bidirectional=True)
    expected = torch_counts(module, t.zeros(1, steps, features))
    wrapper = Bidirectional(SYMCOUNT[kind](u, return_sequences=True))
    check(expected, symcount_counts([wrapper], (T, n), "torch", **values(size)))


@pytest.mark.frameworks
def test_keras_and_torch_agree_on_gru_and_differ_on_lstm() -> None:
    k, t = keras(), torch()
    gru = keras_counts([k.layers.GRU(5)], (3, 4))["total"]
    assert gru == torch_counts(t.nn.GRU(4, 5))["total"]
    lstm = keras_counts([k.layers.LSTM(5)], (3, 4))["total"]
    assert torch_counts(t.nn.LSTM(4, 5))["total"] - lstm == 4 * 5


# Bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "layer"),
    [
        ((T, n, 3, 2), LSTM(u)),
        ((n,), GRU(u)),
        ((T, n, 3), SimpleRNN(u)),
        ((T, n, 3), Bidirectional(LSTM(u))),
    ],
)
def test_input_of_another_rank_is_a_shape_error(shape: tuple[Any, ...], layer: Any) -> None:
    with pytest.raises(ShapeError, match=r"expects an input with 2 axes .*Received: input shape \("):
        Sequential(Input(*shape), layer)


def test_gru_without_reset_after_has_no_torch_counterpart() -> None:
    with pytest.raises(SpecError, match="reset_after=False"):
        Sequential(Input(T, n), GRU(u, reset_after=False), framework="torch")
    with pytest.raises(SpecError, match="reset_after=False"):
        Sequential(Input(T, n), Bidirectional(GRU(u, reset_after=False)), framework="torch")


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: LSTM(0), "units=0"),
        (lambda: GRU("-3"), "units=-3"),
        (lambda: LSTM(), "needs units"),
        (lambda: LSTM(4, hidden_size=5), "units=4, hidden_size=5"),
        (lambda: LSTM(4, num_layers=0), "num_layers=0"),
        (lambda: LSTM(4, return_state=True), "return_state=True"),
        (lambda: LSTM(4, return_sequences="yes"), "return_sequences='yes'"),
        (lambda: GRU(4, reset_after=1), "reset_after=1"),
        (lambda: SimpleRNN(4, activation="tanhh"), "activation='tanhh'"),
        (lambda: LSTM(4, recurrent_activation="sigmoidd"), "activation='sigmoidd'"),
        (lambda: GRU(4, dropout=1.5), "dropout=1.5"),
        (lambda: LSTM(4, use_cudnn="maybe"), "use_cudnn='maybe'"),
        (lambda: Bidirectional(LSTM(4), merge_mode=None), "merge_mode=None"),
        (lambda: Bidirectional(LSTM(4), merge_mode="max"), "merge_mode='max'"),
        (lambda: Bidirectional(Dense(4)), "layer=Dense"),
        (lambda: build_layer({"bidirectional": {"layer": {"dense": 4}}}), "layer=Dense"),
        (lambda: build_layer({"bidirectional": {"layer": {"lstn": 4}}}), "unknown layer 'lstn'"),
        (lambda: Bidirectional(LSTM(4, bidirectional=True)), "bidirectional=True"),
        (lambda: Bidirectional(LSTM(4, num_layers=2)), "num_layers=2"),
        (lambda: Bidirectional(LSTM(4, go_backwards=True)), "go_backwards=True"),
        (lambda: Bidirectional(LSTM(4), backward_layer=LSTM(4)), "go_backwards=False for both"),
        (
            lambda: Bidirectional(LSTM(4), backward_layer=LSTM(4, return_sequences=True, go_backwards=True)),
            "return_sequences=False and True",
        ),
        (
            lambda: Bidirectional(LSTM(4), backward_layer=GRU(5, go_backwards=True), merge_mode="sum"),
            "widths 4 and 5",
        ),
    ],
)
def test_bad_options(make: Any, match: str) -> None:
    with pytest.raises(SymcountError, match=match) as caught:
        make()
    assert "\n" not in str(caught.value)


def test_a_stated_input_size_must_match_the_input() -> None:
    with pytest.raises(ShapeError, match="the layer was given 5"):
        Sequential(Input(T, 4), LSTM(u, channels_in=5))
    with pytest.raises(ShapeError, match="the layer was given 5"):
        Sequential(Input(T, 4), Bidirectional(LSTM(u, channels_in=5)))


def test_an_unknown_torch_option_is_named() -> None:
    # proj_size is LSTM's alone: PyTorch's GRU refuses it, and so does its spelling here.
    with pytest.raises(SpecError, match="no option 'proj_size'"):
        build_layer({"gru": {"hidden_size": 4, "proj_size": 2}}, "torch")


# Specs -------------------------------------------------------------------------------------------

KERAS_SPEC = {
    "name": "recurrent",
    "input": ["T", "n"],
    "values": {"T": 6, "n": 3, "u": 4},
    "layers": [
        {"lstm": {"units": "u", "return_sequences": True}},
        {"bidirectional": {"layer": {"gru": {"units": "u", "return_sequences": True}}, "merge_mode": "sum"}},
        {"bidirectional": {"layer": {"simple_rnn": "2*u"}, "merge_mode": "concat"}},
        {"dense": 1},
    ],
}


def test_keras_spec_round_trip() -> None:
    model = parse_spec(KERAS_SPEC).model()
    assert model.output_shape == (1,)
    expected = (
        4 * (n * u + u**2 + u)  # lstm
        + 2 * (3 * u * u + 3 * u**2 + 6 * u)  # bidirectional gru, reading u per step
        + 2 * (u * 2 * u + 4 * u**2 + 2 * u)  # bidirectional simple_rnn of 2u units
        + 4 * u
        + 1  # dense on 2 * 2u
    )
    assert sympy.expand(model.params - expected) == 0


@pytest.mark.frameworks
def test_keras_spec_matches_keras() -> None:
    k = keras()
    layers = [
        k.layers.LSTM(4, return_sequences=True),
        k.layers.Bidirectional(k.layers.GRU(4, return_sequences=True), merge_mode="sum"),
        k.layers.Bidirectional(k.layers.SimpleRNN(8)),
        k.layers.Dense(1),
    ]
    expected = keras_counts(layers, (6, 3))
    model = parse_spec(KERAS_SPEC).model().subs(T=6, n=3, u=4)
    assert model.counts()["total"] == expected["total"]
    assert model.output_shape == expected["output_shape"]


TORCH_SPEC = {
    "name": "recurrent-torch",
    "framework": "torch",
    "input": ["T", "n"],
    "layers": [
        {
            "lstm": {
                "input_size": "n",
                "hidden_size": "u",
                "num_layers": 2,
                "bidirectional": True,
                "batch_first": True,
            }
        },
        {"gru": {"input_size": "2*u", "hidden_size": "u"}},
        {"rnn": {"hidden_size": "u", "nonlinearity": "relu", "bias": False}},
    ],
}


def test_torch_spec_round_trip() -> None:
    model = parse_spec(TORCH_SPEC).model()
    assert [row.output_shape for row in model.rows] == [(T, 2 * u), (T, u), (T, u)]
    expected = (
        2 * (4 * n * u + 4 * u**2 + 8 * u) + 2 * (4 * u * 2 * u + 4 * u**2 + 8 * u)  # lstm
        + 3 * 2 * u * u + 3 * u**2 + 6 * u  # gru on 2u
        + u * u + u**2  # rnn, no bias
    )  # fmt: skip
    assert sympy.expand(model.params - expected) == 0


@pytest.mark.frameworks
@pytest.mark.parametrize("size", [(1, 1, 1), (5, 3, 2)])
def test_torch_spec_matches_torch(size: tuple[int, int, int]) -> None:
    t = torch()
    steps, features, units = size
    modules = [
        t.nn.LSTM(features, units, num_layers=2, bidirectional=True, batch_first=True),
        t.nn.GRU(2 * units, units, batch_first=True),
        t.nn.RNN(units, units, nonlinearity="relu", bias=False, batch_first=True),
    ]
    sequence = t.zeros(1, steps, features)
    with t.no_grad():
        for module in modules:
            sequence = module(sequence)[0]
    total = sum(torch_counts(module)["total"] for module in modules)
    model = parse_spec(TORCH_SPEC).model().subs(**values(size))
    assert model.counts()["total"] == total
    assert model.output_shape == tuple(sequence.shape[1:])


def test_torch_spec_rejects_gru_without_reset_after() -> None:
    spec = {
        "framework": "torch",
        "input": ["T", "n"],
        "layers": [{"gru": {"hidden_size": 4, "reset_after": False}}],
    }
    with pytest.raises(SpecError, match=r"layer 1 \(gru\).*reset_after=False"):
        parse_spec(spec).model()
