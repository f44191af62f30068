"""Graphs: branches and merges, shared layers, tied weights, and blocks repeated a symbolic number
of times, against Keras' functional models and PyTorch modules."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcount import (
    Add,
    Concatenate,
    Conv2D,
    Dense,
    Embedding,
    Input,
    LayerNormalization,
    Model,
    Repeat,
    Sequential,
    ShapeError,
    SpecError,
    Subtract,
    SymcountError,
    symbols,
)
from symcount.spec import parse_spec
from tests.frameworks import keras, torch

H, W, C, d, h, L, V, T, n = symbols("H W C d h L V T n")


def residual(x):
    return Add()([x, Dense(d)(x)])


def test_residual_branch_and_merge() -> None:
    x = Input(n, d)
    y = residual(x)
    model = Model(x, y)
    assert model.params == d**2 + d
    assert model.output_shape == (n, d)
    assert [row.inputs for row in model.rows] == [("input",), ("input", "dense")]
    assert not model.is_chain and Sequential(Input(d), Dense(d)).is_chain


def test_concatenate_sums_its_axis_and_checks_the_others() -> None:
    x = Input(H, W, C)
    left, right = Conv2D(h, 1)(x), Conv2D(2 * h, 3, padding="same")(x)
    model = Model(x, Concatenate()([left, right]))
    assert model.output_shape == (H, W, 3 * h)
    with pytest.raises(
        ShapeError,
        match=r"Concatenate on axis -1 needs the other axes equal. Received: \(H - 2, W - 2, h\) and \(H, W, h\)",
    ):
        Model(x, Concatenate()([Conv2D(h, 3)(x), Conv2D(h, 1)(x)]))
    assert Model(x, Concatenate(axis=1)([x, x])).output_shape == (2 * H, W, C)


def test_elementwise_merges_need_one_shape() -> None:
    x = Input(d)
    with pytest.raises(ShapeError, match=r"Add needs inputs of one shape. Received: \(d,\) and \(2\*d,\)"):
        Model(x, Add()([x, Dense(2 * d)(x)]))
    # Undecided until values are given: d vs h, then the error names the node.
    model = Model(x, Add()([x, Dense(h)(x)]))
    with pytest.raises(ShapeError, match=r"layer 2 \(add\)"):
        model.subs(d=3, h=4)
    assert model.subs(d=3, h=3).count() == 12
    with pytest.raises(ShapeError, match="exactly 2 inputs"):
        Model(x, Subtract()([x, x, x]))
    with pytest.raises(SpecError, match="merges several tensors: use Model"):
        Sequential(Input(d), Add())


def test_a_shared_layer_counts_once() -> None:
    a, b = Input(d, name="a"), Input(d, name="b")
    shared = Dense(h, name="enc")
    model = Model([a, b], Add()([shared(a), shared(b)]))
    assert model.params == d * h + h
    assert [row.shared_with for row in model.rows] == [None, "enc", None]
    assert model.rows[1].name == "enc#2"
    wide = Input(2 * d)
    with pytest.raises(ShapeError, match="shared with 'enc'"):
        Model([a, wide], Add()([shared(a), shared(wide)]))


def test_tied_weights_count_once_and_untying_costs_v_times_d() -> None:
    def lm(tie: str | None) -> Model:
        return Sequential(Input(T), Embedding(V, d, name="wte"), Dense(V, use_bias=False, tie=tie))

    tied, untied = lm("wte"), lm(None)
    assert tied.params == V * d
    assert sympy.expand(untied.params - tied.params) == V * d
    assert tied.rows[1].tied_to == "wte" and tied.rows[1].weights[0].kind == "tied"
    with pytest.raises(SpecError, match="tie='nope' names no other layer"):
        Sequential(Input(T), Embedding(V, d, name="wte"), Dense(V, tie="nope"))
    with pytest.raises(ShapeError, match="cannot be tied to wte's embeddings"):
        Sequential(Input(T), Embedding(V, d, name="wte"), Dense(2 * V, use_bias=False, tie="wte")).subs(
            V=3, d=2
        )


def test_repeat_is_a_product_not_copies() -> None:
    block = Repeat(L, lambda x: Add()([x, Dense(d)(Dense(4 * d)(LayerNormalization()(x)))]))
    model = Sequential(Input(T, d), block)
    assert model.params == sympy.expand(L * (8 * d**2 + 7 * d))  # (d*4d + 4d) + (4d*d + d) + 2d
    assert sympy.degree(model.params, L) == 1 and model.output_shape == (T, d)


def test_repeat_that_changes_the_shape_unrolls_only_when_concrete() -> None:
    halving = [Conv2D(h, 3, strides=2, padding="same")]
    with pytest.raises(ShapeError, match="must keep its input shape"):
        Sequential(Input(H, W, h), Repeat(L, halving))
    unrolled = Sequential(Input(H, W, h), Repeat(3, halving))
    copies = Sequential(Input(H, W, h), *(Conv2D(h, 3, strides=2, padding="same") for _ in range(3)))
    assert unrolled.params == copies.params and unrolled.output_shape == copies.output_shape


@given(st.integers(1, 6), st.integers(1, 9), st.integers(1, 5))
def test_symbolic_depth_equals_unrolled_depth(times: int, width: int, length: int) -> None:
    def block() -> list:
        return [LayerNormalization(), Dense(2 * d), Dense(d)]

    symbolic = Sequential(Input(T, d), Repeat(L, block()))
    unrolled = Sequential(Input(T, d), *(layer for _ in range(times) for layer in block()))
    values = {"d": width, "T": length}
    assert symbolic.count(L=times, **values) == unrolled.count(**values)


def test_substitution_keeps_the_graph() -> None:
    a, b = Input(d, name="a"), Input(d, name="b")
    shared = Dense(h, name="enc")
    model = Model([a, b], Concatenate()([shared(a), shared(b)]))
    concrete = model.subs(d=5, h=3)
    assert concrete.count() == 18 and concrete.output_shape == (6,)
    assert [row.shared_with for row in concrete.rows] == [None, "enc", None]


GRAPH_SPEC = {
    "name": "two-tower",
    "input": {"a": ["n"], "b": ["n"]},
    "layers": [
        {"dense": "h", "name": "enc", "inputs": ["a"]},
        {"use": "enc", "name": "enc_b", "inputs": ["b"]},
        {"concatenate": {}, "inputs": ["enc", "enc_b"], "name": "both"},
        {"dense": 1, "name": "score"},
    ],
    "values": {"n": 10, "h": 4},
}


def test_graph_spec() -> None:
    spec = parse_spec(GRAPH_SPEC)
    model = spec.model()
    assert isinstance(model, Model) and not isinstance(model, Sequential)
    assert model.params == n * h + h + 2 * h + 1
    assert [row.name for row in model.rows] == ["enc", "enc_b", "both", "score"]
    assert model.rows[1].shared_with == "enc"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"layers": [{"dense": 2, "inputs": ["c"]}]}, "layer 1: inputs: no tensor named 'c'"),
        ({"layers": [{"use": "enc2"}]}, "use: no layer named 'enc2'"),
        ({"layers": [{"dense": 2, "name": "a"}]}, "the name 'a' is taken"),
        ({"layers": [{"add": {}}]}, "Add merges at least 2 inputs"),
        ({"layers": [{"dense": 2, "inputs": ["a", "b"]}]}, "Dense takes one input"),
        ({"layers": [{"repeat": {"times": 2}}]}, "exactly one of `layers` and `block`"),
        ({"layers": [{"repeat": {"times": 2, "block": "x"}}]}, "no block named 'x'"),
        ({"outputs": ["zz"], "layers": [{"dense": 2}]}, "outputs: no tensor named 'zz'"),
    ],
)
def test_graph_spec_errors(change: dict, message: str) -> None:
    with pytest.raises(SymcountError) as caught:
        parse_spec({**GRAPH_SPEC, **change}).model()
    assert message in str(caught.value)


def test_repeat_spec_with_a_named_block() -> None:
    spec = parse_spec(
        {
            "input": ["T", "d"],
            "blocks": {
                "mlp": [
                    {"dense": "4*d", "name": "up"},
                    {"dense": "d"},
                    {"add": {}, "inputs": ["input", "dense"]},
                ]
            },
            "layers": [{"repeat": {"times": "L", "block": "mlp"}}],
        }
    )
    assert spec.model().params == sympy.expand(L * (8 * d**2 + 5 * d))  # d*4d + 4d + 4d*d + d


@pytest.mark.frameworks
@pytest.mark.parametrize(("width", "hidden"), [(1, 1), (5, 3), (8, 16)])
def test_shared_layers_and_merges_equal_keras(width: int, hidden: int) -> None:
    k = keras()
    a, b = k.Input((width,)), k.Input((width,))
    shared = k.layers.Dense(hidden)
    merged = k.layers.Concatenate()([shared(a), shared(b)])
    out = k.layers.Add()([k.layers.Dense(2 * hidden)(merged), merged])
    expected = k.Model([a, b], out).count_params()

    x, y = Input(width), Input(width)
    enc = Dense(hidden)
    both = Concatenate()([enc(x), enc(y)])
    ours = Model([x, y], Add()([Dense(2 * hidden)(both), both]))
    assert ours.count() == expected


@pytest.mark.frameworks
@pytest.mark.parametrize(("vocab", "width", "length"), [(11, 4, 3), (50, 8, 5)])
def test_tied_head_equals_torch(vocab: int, width: int, length: int) -> None:
    nn = torch().nn
    wte = nn.Embedding(vocab, width)
    head = nn.Linear(width, vocab, bias=False)
    head.weight = wte.weight  # tied: one Parameter, which parameters() yields once
    expected = sum(p.numel() for p in nn.ModuleList([wte, head]).parameters())
    model = Sequential(
        Input(T), Embedding(V, d, name="wte"), Dense(V, use_bias=False, tie="wte"), framework="torch"
    )
    assert model.count(V=vocab, d=width, T=length) == expected == vocab * width


def test_summary_shows_connections_reuse_and_ties() -> None:
    from symcount.render import summary_data, summary_text

    spec = parse_spec(GRAPH_SPEC)
    model = spec.model()
    text = summary_text(model, model.subs(n=10, h=4))
    assert "Inputs: a (n,), b (n,)" in text and "Connected to" in text
    assert "enc_b (Dense) [shares enc]" in text
    data = summary_data(model)
    assert [layer["inputs"] for layer in data["layers"]] == [["a"], ["b"], ["enc", "enc_b"], ["both"]]
    assert data["layers"][1]["shared_with"] == "enc"
    tied = Sequential(Input(T), Embedding(V, d, name="wte"), Dense(V, use_bias=False, tie="wte"))
    assert "dense (Dense) [kernel tied to wte]" in summary_text(tied)
    assert "Connected to" not in summary_text(tied)
