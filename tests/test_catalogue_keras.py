"""Keras spellings, as Keras spells them: every layer's positional order, names and defaults are the
installed keras.layers class's (issue 23), and each answers as the class built in Keras 3 does.

1. Signatures: `keras_positional` (what a list in a Keras spec follows) is the named parameters of
   the installed class's __init__, and each Keras default, written out, builds the same layer as
   leaving it out.
2. Keras' own positional orders (issue 23, F): the reproducers, built in Keras.
3. The catalogue: every Keras class at hypothesis-drawn sizes, written positionally, by keyword,
   as a lone size, and under its class name, against the class built in Keras: parameters
   (trainable, non-trainable), output shape, and MACs as FlopCounterMode counts Keras' forward
   pass on the torch backend.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import SpecError, SymcountError
from symcount.layers import load_all
from symcount.layers.base import Layer
from symcount.spec import build_layer
from tests.frameworks import keras, keras_counts, keras_model_counts, symcount_counts


def keras_classes() -> list[type[Layer]]:
    """Every layer Keras spells (the PyTorch-only ones and symcount's own have no keras.layers class)."""
    return sorted((c for c in set(load_all().values()) if not c.torch_only), key=lambda c: c.kind)


def keras_parameters(cls: type[Layer]) -> dict[str, inspect.Parameter] | None:
    """The named parameters of the installed Keras class's __init__ (its **kwargs aside), or None."""
    found = getattr(keras().layers, cls.__name__, None)
    if found is None:
        return None
    parameters = inspect.signature(found.__init__).parameters.values()
    return {
        p.name: p for p in parameters if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }


def keras_one(layer: Any, shape: tuple[int, ...], calls: int = 1) -> dict[str, Any]:
    """Counts of one Keras layer on an input of `shape`, called on `calls` copies of it
    (attention: the query and the value)."""
    if calls == 1 and not isinstance(layer, keras().layers.MultiHeadAttention):
        ids = isinstance(layer, keras().layers.Embedding)
        return keras_counts([layer], shape, dtype="int32" if ids else None)
    k = keras()
    tensor = k.Input(shape=shape)
    return keras_model_counts(k.Model(tensor, layer(*[tensor] * max(calls, 2))))


def positional_names(cls: type[Layer]) -> tuple[str, ...]:
    """The order a list in a Keras spec follows."""
    return cls.keras_positional or tuple(f.name for f in dataclasses.fields(cls) if not f.kw_only)


def as_written(value: Any) -> Any:
    """A Python default as a spec writes it (YAML has lists, not tuples)."""
    return [as_written(v) for v in value] if isinstance(value, tuple) else value


# --- 1. Signatures ------------------------------------------------------------------------------


@pytest.mark.frameworks
@pytest.mark.parametrize("cls", keras_classes(), ids=lambda c: c.__name__)
def test_positional_order_and_names_are_the_installed_keras_class(cls: type[Layer]) -> None:
    parameters = keras_parameters(cls)
    if parameters is None:
        pytest.skip(f"{cls.__name__} is symcount's own (keras_hub or none): no keras.layers class")
    assert positional_names(cls) == tuple(parameters)


@pytest.mark.frameworks
@pytest.mark.parametrize("cls", keras_classes(), ids=lambda c: c.__name__)
def test_every_keras_default_written_out_builds_the_same_layer(cls: type[Layer]) -> None:
    parameters = keras_parameters(cls)
    if parameters is None:
        pytest.skip(f"{cls.__name__} is symcount's own (keras_hub or none): no keras.layers class")
    required = dict(cls.example_args)
    defaults = {
        name: as_written(p.default)
        for name, p in parameters.items()
        if p.default is not p.empty and name not in required and name != "name"
    }
    assert build_layer({cls.kind: {**required, **defaults}}) == build_layer({cls.kind: required})


@pytest.mark.frameworks
def test_class_aliases_are_keras_own_names_of_the_class() -> None:
    layers = keras().layers
    aliased = [c for c in keras_classes() if c.class_aliases]
    assert aliased
    for cls in aliased:
        for alias in cls.class_aliases:
            assert getattr(layers, alias) is getattr(layers, cls.__name__), (cls.__name__, alias)


# --- 2. Keras' own positional orders (issue 23, F) -----------------------------------------------

NONE7 = [
    None
] * 7  # a recurrent layer's kernel/recurrent/bias regularizers, activity regularizer, constraints
# (spec key, positional list as Keras takes it, input shape): each built in Keras with *list.
POSITIONAL = [
    ("simple_rnn", [5, "relu", False, "glorot_uniform", "orthogonal", "zeros", *NONE7, 0.0, 0.0, True], (6, 4)),
    ("lstm", [5, "tanh", "sigmoid", True, "glorot_uniform", "orthogonal", "zeros", True, *NONE7, 0.0, 0.0, None, True], (6, 4)),
    ("gru", [5, "tanh", "sigmoid", True, "glorot_uniform", "orthogonal", "zeros", *NONE7, 0.0, 0.0, None, False, False, False, False, False, False], (6, 4)),
    ("conv1d", [4, 3, 1, "valid", "channels_last", 2, 2, "relu", False], (9, 6)),
    ("conv2d", [4, 3, 1, "same", "channels_last", 1, 1, None, True], (7, 7, 3)),
    ("conv3d", [2, 2, 1, "valid", None, 1, 1], (4, 4, 4, 2)),
    ("separable_conv1d", [4, 3, 2, "valid", "channels_last", 1, 2], (9, 3)),
    ("separable_conv2d", [4, 3, 1, "same", "channels_last", 1, 2, None, False], (6, 6, 3)),
    ("depthwise_conv2d", [3, 1, "valid", 2, "channels_last", 1, None, False], (6, 6, 3)),
    ("conv2d_transpose", [4, 3, 2, "valid", None, "channels_last", 1, None, True], (5, 5, 3)),
    ("conv3d_transpose", [2, 2, 2, "valid", "channels_last", None], (3, 3, 3, 2)),
    ("global_average_pooling1d", ["channels_last", True], (6, 4)),
    ("global_max_pooling2d", ["channels_last", False], (5, 5, 3)),
    ("max_pooling2d", [2, None, "same", "channels_last"], (5, 5, 3)),
    ("up_sampling2d", [2, "channels_last", "bilinear"], (3, 4, 2)),
    ("up_sampling3d", [2, "channels_last"], (2, 2, 2, 1)),
    ("zero_padding2d", [1, "channels_last"], (3, 4, 2)),
    ("cropping2d", [1, "channels_last"], (5, 5, 2)),
    ("multi_head_attention", [2, 3, None, 0.0, True, 7], (5, 8)),
    ("batch_normalization", [-1, 0.9, 1e-3, False, True], (5, 3)),
]  # fmt: skip


@pytest.mark.frameworks
@pytest.mark.parametrize(("key", "arguments", "shape"), POSITIONAL, ids=[case[0] for case in POSITIONAL])
def test_keras_positional_lists_count_as_keras_does(
    key: str, arguments: list[Any], shape: tuple[int, ...]
) -> None:
    layer = build_layer({key: arguments})
    expected = keras_one(getattr(keras().layers, type(layer).__name__)(*arguments), shape)
    assert symcount_counts([layer], shape) == {**symcount_counts([layer], shape), **expected}


@pytest.mark.parametrize(
    "entry",
    [
        {"conv2d": [4, 3, 1, "valid", "channels_first"]},
        {"global_average_pooling1d": ["channels_first"]},
        {"up_sampling2d": {"size": 2, "data_format": "channels_first"}},
        {"separable_conv2d": {"filters": 4, "kernel_size": 3, "data_format": "NHWC"}},
    ],
)
def test_a_data_format_other_than_the_layout_is_refused_in_one_line(entry: dict[str, Any]) -> None:
    with pytest.raises(SpecError) as raised:
        build_layer(entry)
    message = str(raised.value)
    assert "data_format" in message and "channels_last" in message and "\n" not in message


def test_a_data_format_equal_to_the_layout_is_accepted_under_either_framework() -> None:
    assert build_layer({"conv2d": {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}}, "torch")
    with pytest.raises(SpecError, match="channels_first"):
        build_layer({"conv2d": {"filters": 4, "kernel_size": 3, "data_format": "channels_last"}}, "torch")


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"dense": {"units": 3, "kernel_initializer": 3}}, "kernel_initializer=3"),
        ({"dense": {"units": 3, "lora_rank": 4}}, "lora_rank=4"),
        (
            {"multi_head_attention": {"num_heads": 2, "key_dim": 3, "attention_axes": [1]}},
            "attention_axes=[1]",
        ),
        ({"embedding": {"input_dim": 5, "output_dim": 3, "weights": [1]}}, "weights=[1]"),
    ],
)
def test_keras_options_symcount_does_not_count_are_refused_naming_them(
    entry: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(SymcountError) as raised:
        build_layer(entry)
    assert fragment in str(raised.value) and "\n" not in str(raised.value)


# --- 3. The catalogue ---------------------------------------------------------------------------

Draw = Any  # hypothesis' `data.draw`


def small(draw: Draw, low: int = 1, high: int = 5) -> int:
    return draw(st.integers(low, high))


# Products contract axes of at least 2 below: torch turns a product over one element into an
# elementwise multiply, which FlopCounterMode does not count.


def case_einsum_dense(draw: Draw) -> tuple[list[Any], Any]:
    n, t, u, w = small(draw, 2), small(draw), small(draw), small(draw, 2, 3)
    form = draw(st.sampled_from(["dense", "sequence", "heads", "left"]))
    if form == "dense":
        return ["ab,bc->ac", u, None, draw(st.sampled_from([None, "c"]))], (n,)
    if form == "sequence":
        return ["abc,cd->abd", [t, u], "relu", "d"], (t, n)
    if form == "heads":
        return ["abc,cde->abde", [t, w, u], None, draw(st.sampled_from(["de", "e", None]))], (t, n)
    return ["...b,bc->...c", u, None, "c"], (t, n)


def case_activation(name: str, *choices: list[Any]) -> Any:
    def case(draw: Draw) -> tuple[list[Any], Any]:
        shape = tuple(small(draw) for _ in range(small(draw, 1, 3)))
        return draw(st.sampled_from(list(choices))), shape

    return case


def case_prelu(draw: Draw) -> tuple[list[Any], Any]:
    shape = tuple(small(draw) for _ in range(small(draw, 1, 3)))
    axes = draw(st.sampled_from([None, 1, [1], list(range(1, len(shape)))] if len(shape) > 1 else [None]))
    return ["zeros", None, None, axes], shape


def case_adaptive(rank: int) -> Any:
    def case(draw: Draw) -> tuple[list[Any], Any]:
        shape = (*(small(draw, 1, 6) for _ in range(rank)), small(draw, 1, 3))
        sizes = [small(draw, 1, 4) for _ in range(rank)]
        return [
            sizes if rank > 1 and draw(st.booleans()) else sizes[0] if len(set(sizes)) == 1 else sizes
        ], shape

    return case


def case_plain(*arguments: Any, rank: int = 1) -> Any:
    def case(draw: Draw) -> tuple[list[Any], Any]:
        return list(arguments), tuple(small(draw) for _ in range(rank))

    return case


def case_reversible_embedding(draw: Draw) -> tuple[list[Any], Any]:
    return [small(draw, 2, 9), small(draw), draw(st.booleans())], (small(draw),)


def case_image(interpolations: list[str] | None) -> Any:
    def case(draw: Draw) -> tuple[list[Any], Any]:
        shape = (small(draw, 2, 7), small(draw, 2, 7), small(draw, 1, 3))
        size = [small(draw, 1, shape[0]), small(draw, 1, shape[1])]
        return [*size, draw(st.sampled_from(interpolations))] if interpolations else size, shape

    return case


def case_attention(additive: bool) -> Any:
    def case(draw: Draw) -> tuple[list[Any], Any]:
        t, s, d, v = small(draw), small(draw, 2), small(draw, 2), small(draw)
        shapes = [(t, d), (s, v), (s, d)] if draw(st.booleans()) else [(t, d), (s, d)]
        if additive:
            return [draw(st.booleans())], shapes
        return [draw(st.booleans()), draw(st.sampled_from(["dot", "concat"]))], shapes

    return case


def case_dot(draw: Draw) -> tuple[list[Any], Any]:
    t, s, d = small(draw, 2), small(draw), small(draw, 2)
    form = draw(st.sampled_from(["vectors", "sequences", "pair"]))
    if form == "vectors":
        return [1, draw(st.booleans())], [(d,), (d,)]
    if form == "sequences":
        return [draw(st.sampled_from([2, -1]))], [(t, d), (s, d)]
    return [[1, 2]], [(t, d), (s, t)]


CELLS = {"simple_rnn_cell": "SimpleRNNCell", "lstm_cell": "LSTMCell", "gru_cell": "GRUCell"}


def draw_cell(draw: Draw) -> tuple[str, list[Any]]:
    key = draw(st.sampled_from(sorted(CELLS)))
    units, bias = small(draw), draw(st.booleans())
    return key, [units, "tanh", bias] if key == "simple_rnn_cell" else [units, "tanh", "sigmoid", bias]


def keras_cell(L: Any, entry: dict[str, list[Any]]) -> Any:
    ((key, arguments),) = entry.items()
    return getattr(L, CELLS[key])(*arguments)


def case_cell(key: str) -> Any:
    def case(draw: Draw) -> tuple[list[Any], Any]:
        units, bias = small(draw), draw(st.booleans())
        arguments = [units, "tanh", bias] if key == "simple_rnn_cell" else [units, "relu", "sigmoid", bias]
        return arguments[: draw(st.sampled_from([1, len(arguments)]))], (small(draw), small(draw))

    return case


def case_stacked(draw: Draw) -> tuple[list[Any], Any]:
    cells = [dict([draw_cell(draw)]) for _ in range(small(draw, 1, 3))]
    return [cells], (small(draw), small(draw))


def case_rnn(draw: Draw) -> tuple[list[Any], Any]:
    cells = [dict([draw_cell(draw)]) for _ in range(small(draw, 1, 2))]
    cell = cells[0] if len(cells) == 1 else cells
    return [cell, draw(st.booleans()), False, draw(st.booleans())], (small(draw), small(draw))


def case_conv_lstm(rank: int) -> Any:
    def case(draw: Draw) -> tuple[list[Any], Any]:
        shape = (small(draw, 1, 3), *(small(draw, 3, 5) for _ in range(rank)), small(draw, 1, 2))
        padding = draw(st.sampled_from(["valid", "same"]))
        arguments = [
            small(draw, 1, 3),
            small(draw, 1, 2),
            small(draw, 1, 2),
            padding,
            None,
            1,
            "tanh",
            "sigmoid",
        ]
        return [*arguments, draw(st.booleans())], shape

    return case


def draw_inner(draw: Draw, rank: int) -> dict[str, Any]:
    if rank == 3 and draw(st.booleans()):
        return {"conv2d": [small(draw, 1, 3), small(draw, 1, 2)]}
    return {"dense": [small(draw), None, draw(st.booleans())]}


def keras_inner(L: Any, entry: dict[str, list[Any]]) -> Any:
    ((key, arguments),) = entry.items()
    return {"conv2d": L.Conv2D, "dense": L.Dense, "embedding": L.Embedding}[key](*arguments)


def case_time_distributed(draw: Draw) -> tuple[list[Any], Any]:
    rank = draw(st.sampled_from([1, 3]))
    return [draw_inner(draw, rank)], (small(draw), *(small(draw, 2, 4) for _ in range(rank)))


def case_spectral(draw: Draw) -> tuple[list[Any], Any]:
    rank = draw(st.sampled_from([1, 3]))
    return [draw_inner(draw, rank), small(draw, 1, 2)], tuple(small(draw, 2, 4) for _ in range(rank))


# Keras class -> a draw of (its positional arguments, the input shape, or a list of shapes).
CATALOGUE: dict[str, Any] = {
    "EinsumDense": case_einsum_dense,
    "Identity": case_plain(rank=2),
    "Masking": case_plain(0.0, rank=2),
    "ActivityRegularization": case_plain(0.01, 0.02, rank=2),
    "ELU": case_activation("ELU", [], [0.5]),
    "LeakyReLU": case_activation("LeakyReLU", [], [0.1]),
    "ReLU": case_activation("ReLU", [], [6.0], [None, 0.1, 0.5]),
    "Softmax": case_activation("Softmax", [], [-1], [1]),
    "PReLU": case_prelu,
    **{
        f"Adaptive{kind}Pooling{rank}D": case_adaptive(rank)
        for kind in ("Average", "Max")
        for rank in (1, 2, 3)
    },
    "ReversibleEmbedding": case_reversible_embedding,
    "Resizing": case_image(["bilinear", "nearest", "bicubic"]),  # what Keras resizes with on torch
    "CenterCrop": case_image(None),
    "Attention": case_attention(additive=False),
    "AdditiveAttention": case_attention(additive=True),
    "Dot": case_dot,
    **{name: case_cell(key) for key, name in CELLS.items()},
    "StackedRNNCells": case_stacked,
    "RNN": case_rnn,
    **{f"ConvLSTM{rank}D": case_conv_lstm(rank) for rank in (1, 2, 3)},
    "TimeDistributed": case_time_distributed,
    "SpectralNormalization": case_spectral,
}


# Keras classes whose arguments are layers: how to build them in Keras from the same arguments
# (the layers in them are spec entries); a cell is run by RNN, in Keras and in the spec.
KERAS_FACTORIES: dict[str, Any] = {
    **{name: lambda L, a, name=name: L.RNN(getattr(L, name)(*a)) for name in CELLS.values()},
    "StackedRNNCells": lambda L, a: L.RNN(L.StackedRNNCells([keras_cell(L, c) for c in a[0]])),
    "RNN": lambda L, a: L.RNN(
        keras_cell(L, a[0]) if isinstance(a[0], dict) else [keras_cell(L, c) for c in a[0]], *a[1:]
    ),
    "TimeDistributed": lambda L, a: L.TimeDistributed(keras_inner(L, a[0])),
    "SpectralNormalization": lambda L, a: L.SpectralNormalization(keras_inner(L, a[0]), *a[1:]),
}
WRAPPED = {*CELLS.values(), "StackedRNNCells"}


def spellings(cls: type[Layer], arguments: list[Any]) -> dict[str, Any]:
    """The spec entries that write Keras' call `cls(*arguments)`: positional, by keyword, a lone
    value (when one argument is given), the class name as the key."""
    written = {
        "positional": {cls.kind: arguments},
        "keyword": {cls.kind: dict(zip(positional_names(cls), arguments))},
    }
    if len(arguments) == 1 and not isinstance(arguments[0], (list, dict)):
        written["lone"] = {cls.kind: arguments[0]}
    return written


def model_counts(layer: Layer, shape: Any) -> dict[str, Any]:
    """symcount's counts of `layer` on one input of `shape`, or on several (a list of shapes)."""
    from symcount import Input, Model

    inputs = [Input(*s) for s in shape] if isinstance(shape, list) else [Input(*shape)]
    model = Model(inputs, layer(inputs if len(inputs) > 1 else inputs[0]))
    counts = model.counts()
    counts["output_shape"] = tuple(int(d) for d in model.output_shape)
    counts["macs"] = int(model.macs)
    return counts


def keras_layer_counts(layer: Any, shape: Any) -> dict[str, Any]:
    k = keras()
    if isinstance(shape, list):
        inputs = [k.Input(shape=s) for s in shape]
        return keras_model_counts(k.Model(inputs, layer(inputs)))
    return keras_one(layer, shape)


# Keras' torch backend runs a recurrent layer's first step once more than the sequence has (to
# learn its outputs' structure), so FlopCounterMode sees T + 1 steps where the layer computes T.
STEPS_ONCE_MORE = {*CELLS.values(), "StackedRNNCells", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}


def keras_macs(layer: Any, shape: Any, batch: int = 2) -> int:
    """Multiply-accumulates per example of the Keras layer's forward pass on the torch backend,
    as FlopCounterMode counts them (2 FLOPs each)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    if isinstance(layer, keras().layers.Embedding):
        tensors = [torch.randint(0, layer.input_dim, (batch, *shape))]
    else:
        tensors = [torch.rand(batch, *s) for s in (shape if isinstance(shape, list) else [shape])]
    with torch.no_grad(), FlopCounterMode(display=False) as mode:
        layer(tensors if len(tensors) > 1 else tensors[0])
    return mode.get_total_flops() // (2 * batch)


def check_catalogue(name: str, data: st.DataObject, class_name: bool) -> None:
    cls = next(c for c in load_all().values() if c.__name__ == name)
    arguments, shape = CATALOGUE[name](data.draw)
    made = KERAS_FACTORIES.get(name, lambda L, a: getattr(L, name)(*a))(keras().layers, arguments)
    expected = keras_layer_counts(made, shape)
    written = {"class name": {name: arguments}} if class_name else spellings(cls, arguments)
    if name not in STEPS_ONCE_MORE:
        expected["macs"] = keras_macs(made, shape)
    for how, entry in written.items():
        counts = model_counts(build_layer({"rnn": [entry]} if name in WRAPPED else entry), shape)
        assert {k: counts[k] for k in expected} == expected, (how, entry)


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(CATALOGUE))
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_the_catalogue_counts_as_keras_does_written_every_way(name: str, data: st.DataObject) -> None:
    check_catalogue(name, data, class_name=False)


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(CATALOGUE))
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_the_catalogue_under_its_class_names(name: str, data: st.DataObject) -> None:
    check_catalogue(name, data, class_name=True)


# (spec key, Keras' arguments by name, input shape (or shapes), the parameter at fault)
REFUSED = [
    ("leaky_relu", {"negative_slope": -0.1}, (4,), "negative_slope"),
    ("relu", {"max_value": -1.0}, (4,), "max_value"),
    ("relu", {"threshold": -0.5}, (4,), "threshold"),
    ("einsum_dense", {"equation": "ab,bc", "output_shape": 3}, (4,), "equation"),
    ("einsum_dense", {"equation": "ab,bc->az", "output_shape": 3}, (4,), "equation"),
    ("einsum_dense", {"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "z"}, (4,), "bias_axes"),
    ("attention", {"score_mode": "cosine"}, [(3, 4), (5, 4)], "score_mode"),
    ("conv_lstm2d", {"filters": 2, "kernel_size": 3, "padding": "causal"}, (3, 5, 5, 2), "padding"),
]


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("key", "arguments", "shape", "parameter"), REFUSED, ids=[f"{c[0]}-{c[3]}" for c in REFUSED]
)
def test_values_keras_refuses_are_refused_in_one_line_naming_keras_parameter(
    key: str, arguments: dict[str, Any], shape: Any, parameter: str
) -> None:
    name = next(c.__name__ for c in load_all().values() if c.kind == key)
    with pytest.raises(Exception):  # noqa: B017 -- Keras' own refusal, whatever its type
        keras_layer_counts(getattr(keras().layers, name)(**arguments), shape)
    with pytest.raises(SymcountError) as raised:
        model_counts(build_layer({key: arguments}), shape)
    message = str(raised.value)
    assert parameter in message and "\n" not in message


@pytest.mark.frameworks
@pytest.mark.parametrize("merge_mode", ["concat", "sum"])
def test_bidirectional_wraps_keras_rnn_over_cells(merge_mode: str) -> None:
    # Keras' Bidirectional(RNN([GRUCell(3), SimpleRNNCell(3)], return_sequences=True), merge_mode)
    layers = keras().layers
    made = layers.Bidirectional(layers.RNN([layers.GRUCell(3), layers.SimpleRNNCell(3)], True), merge_mode)
    entry = {"bidirectional": [{"rnn": [[{"gru_cell": 3}, {"simple_rnn_cell": 3}], True]}, merge_mode]}
    expected = keras_layer_counts(made, (5, 4))
    counts = model_counts(build_layer(entry), (5, 4))
    assert {k: counts[k] for k in expected} == expected
