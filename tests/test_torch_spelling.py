"""PyTorch's spellings mean what PyTorch's classes mean (issue 23).

Each torch spelling declares PyTorch's constructor once (`torch_positional`, `torch_defaults`,
`torch_args` on the layer); here it is compared with `inspect.signature` of the installed
`torch.nn` class, so a signature change in PyTorch fails a test, never a user. Then the wrong
answers the issue found (A-E), each from its reproducer, built in PyTorch; then the keys people
copy from their code (class names, Keras' aliases, torch.nn.functional's names).
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import SpecError, SymcountError
from symcount.layers import find_layer, load_all
from symcount.spec import build_layer, parse_spec
from tests.frameworks import torch, torch_counts, torch_macs

IGNORED = ("self", "device", "dtype")


def torch_signature(class_name: str) -> tuple[tuple[str, ...], dict[str, Any], tuple[str, ...]]:
    """(positional parameters in order, defaults, keyword-only parameters) of
    `torch.nn.<class_name>`'s constructor, as its typed overload writes it when it has one (RNN,
    LSTM, GRU take *args, **kwargs); device and dtype aside."""
    init = getattr(torch().nn, class_name).__init__
    overloads = typing.get_overloads(init)
    parameters = [
        p
        for p in inspect.signature(overloads[0] if overloads else init).parameters.values()
        if p.name not in IGNORED
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)  # Sigmoid(*args, **kwargs)
    ]
    assert all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in parameters), class_name
    defaults = {p.name: p.default for p in parameters if p.default is not p.empty}
    # A function as default (TransformerEncoderLayer's activation=F.relu) is written by its name.
    return (
        tuple(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD),
        {k: getattr(v, "__name__", v) for k, v in defaults.items()},
        tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY),
    )


def torch_spellings() -> list[tuple[str, type]]:
    """(PyTorch class name, layer class) for every module symcount spells."""
    found = []
    for cls in load_all().values():
        for name in cls.keys(True):
            found.append((name, cls))
    return sorted(set(found), key=lambda item: item[0])


@pytest.mark.frameworks
@pytest.mark.parametrize(("name", "cls"), torch_spellings(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_torch_spelling_is_the_installed_signature(name: str, cls: type) -> None:
    positional, defaults, keyword_only = torch_signature(name)
    spelling = cls.torch_spelling(name)
    assert spelling.positional == positional
    assert dict(spelling.defaults) == defaults
    # Every PyTorch argument reaches a field, or is one that changes no count ("").
    fields = {f.name for f in dataclasses.fields(cls)}
    for argument in (*positional, *keyword_only):
        assert spelling.args.get(argument, argument) in fields | {""}, (name, argument)


@pytest.mark.frameworks
def test_every_torch_layer_declares_its_signature() -> None:
    # Only the activations without arguments (Sigmoid, Identity...) take none.
    for name, cls in torch_spellings():
        spelling = cls.torch_spelling(name)
        assert spelling.positional or not torch_signature(name)[0], name


# --- The wrong answers A-E, each from the reproducer -------------------------------------


def model(layers: list[Any], shape: list[Any], framework: str = "torch") -> Any:
    return parse_spec({"input": shape, "framework": framework, "layers": layers}).model()


@pytest.mark.frameworks
@pytest.mark.parametrize(
    "written",
    [[16, 4], {"d_model": 16, "nhead": 4}, [16, 4, 2048, 0.1, "relu", 1e-5, False, False, True], 4],
    ids=["positional", "keywords", "all nine", "lone nhead"],
)
def test_a_transformer_encoder_layer_reads_pytorchs_order(written: Any) -> None:
    # A: nn.TransformerEncoderLayer(16, 4) is d_model=16, nhead=4, dim_feedforward=2048: 68,752
    # parameters, 400,512 MACs on 6 positions; a Keras-like order read 16 heads of a 4-wide FFN.
    t = torch()
    module = t.nn.TransformerEncoderLayer(16, 4).eval()
    ours = model([{"transformer_encoder_layer": written}], [6, 16])
    assert ours.params == torch_counts(module)["total"] == 68_752
    assert ours.macs == torch_macs(module, t.randn(6, 1, 16)) == 400_512


@pytest.mark.frameworks
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("written", [8, [10, 8], {"hidden_size": 8}, {"units": 8}])
def test_b_a_recurrent_layer_under_torch_returns_its_sequence(kind: str, written: Any) -> None:
    # B: nn.LSTM(10, 8) returns all 6 steps, so Flatten then Linear(48, 3): 787 parameters for
    # the LSTM spec, however the recurrent layer is written.
    t = torch()
    recurrent = getattr(t.nn, kind.upper())(10, 8, batch_first=True)
    ours = model([{kind: written}, "flatten", {"linear": 3}], [6, 10])
    assert ours.params == torch_counts(recurrent)["total"] + 48 * 3 + 3
    assert ours.output_shape == (3,)
    # Under Keras, lstm: 8 stays Keras' LSTM: the last step only.
    assert model([{kind if kind != "rnn" else "simple_rnn": 8}], [6, 10], "keras").output_shape == (8,)


@pytest.mark.frameworks
def test_c_glu_halves_the_last_axis() -> None:
    # C: nn.GLU() turns 10 features into 5, so the Linear after it is nn.Linear(5, 3): 18.
    t = torch()
    ours = model([{"activation": "glu"}, {"linear": 3}], [10])
    module = t.nn.Sequential(t.nn.GLU(), t.nn.Linear(5, 3))
    assert ours.params == torch_counts(module)["total"] == 18
    assert ours.output_shape == tuple(module(t.randn(1, 10)).shape[1:])
    with pytest.raises(
        SymcountError, match="GLU splits the last axis in two halves, so it must be even. Received: 9"
    ):
        model([{"activation": "glu"}], [9])


@pytest.mark.frameworks
def test_d_rnn_reads_pytorchs_order_and_refuses_what_pytorch_refuses() -> None:
    # D: nn.RNN(10, 8, 1, 'relu') has 160 parameters; nn.RNN(10, 8, 2, True) raises (True is no
    # nonlinearity), and so does the spec, naming PyTorch's parameter.
    t = torch()
    assert (
        model([{"rnn": [10, 8, 1, "relu"]}], [6, 10]).params
        == torch_counts(t.nn.RNN(10, 8, 1, "relu"))["total"]
    )
    assert (
        model([{"rnn": [10, 8, 2, "tanh", False]}], [6, 10]).params
        == torch_counts(t.nn.RNN(10, 8, 2, "tanh", False))["total"]
    )
    with pytest.raises(ValueError):
        t.nn.RNN(10, 8, 2, True)
    with pytest.raises(SpecError, match="Received: nonlinearity=True"):
        model([{"rnn": [10, 8, 2, True]}], [6, 10])
    with pytest.raises(SpecError, match="nonlinearity 'tanh' or 'relu'"):
        model([{"rnn": {"hidden_size": 8, "nonlinearity": "gelu"}}], [6, 10])
    with pytest.raises(SpecError, match="Received: bias='x'"):
        model([{"rnn": [10, 8, 1, "tanh", "x"]}], [6, 10])


@pytest.mark.frameworks
def test_e_multihead_attention_takes_nine_positionals_and_query_key_value() -> None:
    # E: the 9th positional is batch_first; with kdim and vdim the inputs are (query, key, value).
    t = torch()
    module = t.nn.MultiheadAttention(16, 4, 0.0, True, False, False, 6, 10, True)
    spec = {
        "input": {"q": [5, 16], "k": [7, 6], "v": [7, 10]},
        "framework": "torch",
        "layers": [
            {"multihead_attention": [16, 4, 0.0, True, False, False, 6, 10, True], "inputs": ["q", "k", "v"]}
        ],
    }
    ours = parse_spec(spec).model()
    q, k, v = t.randn(1, 5, 16), t.randn(1, 7, 6), t.randn(1, 7, 10)
    assert ours.params == torch_counts(module)["total"]
    assert ours.output_shape == tuple(module(q, k, v)[0].shape[1:])
    assert ours.macs == torch_macs(lambda *x: module(*x, need_weights=False), q, k, v)
    # The key's width is kdim: giving the inputs in Keras' order (query, value, key) is refused.
    swapped = {**spec, "layers": [{**spec["layers"][0], "inputs": ["q", "v", "k"]}]}
    with pytest.raises(SymcountError, match="key is 10 features wide"):
        parse_spec(swapped).model()


# --- Keys people copy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "torch_key", "framework"),
    [
        ("Conv2d", "conv2d", "torch"),
        ("TransformerEncoderLayer", "transformer_encoder_layer", "torch"),
        ("MultiheadAttention", "multihead_attention", "torch"),
        ("BatchNorm2d", "batch_norm2d", "torch"),
        ("LSTM", "lstm", "torch"),
        ("MaxPool2d", "max_pool2d", "torch"),
        ("Conv2D", "conv2d", "keras"),
        ("Convolution2D", "conv2d", "keras"),
        ("MaxPool2D", "max_pooling2d", "keras"),
        ("AvgPool1D", "average_pooling1d", "keras"),
        ("GlobalAvgPool2D", "global_average_pooling2d", "keras"),
        ("GlobalMaxPool3D", "global_max_pooling3d", "keras"),
        ("SeparableConvolution2D", "separable_conv2d", "keras"),
        ("Convolution2DTranspose", "conv2d_transpose", "keras"),
    ],
)
def test_the_class_name_is_a_key(key: str, torch_key: str, framework: str) -> None:
    torch_target = framework == "torch"
    assert find_layer(key, torch_target) == find_layer(torch_key, torch_target)
    assert find_layer(key, torch_target)[0] is not None


def test_a_class_of_the_other_framework_says_which_framework() -> None:
    with pytest.raises(
        SpecError, match="'Conv2d' is PyTorch's spelling: use it in a spec with `framework: torch`"
    ):
        build_layer({"Conv2d": [3, 8, 3]}, "keras")
    with pytest.raises(SpecError, match="'Conv2D' is Keras' class: use it in a spec with `framework: keras`"):
        build_layer({"Conv2D": [8, 3]}, "torch")
    with pytest.raises(SpecError, match=r"unknown layer 'conv2D' \(did you mean 'conv2d'\?\)"):
        build_layer({"conv2D": [8, 3]}, "keras")


def test_every_class_alias_and_class_name_finds_its_class() -> None:
    for cls in load_all().values():
        for torch_target in (False, True):
            for name in cls.keys(torch_target):
                assert find_layer(name, torch_target) == (cls, ""), name


def test_a_class_name_key_loads_only_its_family() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from symcount.spec import build_layer; build_layer({'Convolution2D': [8, 3]}); "
        "build_layer({'MaxPool2d': 2}, 'torch'); "
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('symcount.layers.')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "['base', 'conv', 'pooling']"


# --- The Transformer modules: two inputs, and layers given as arguments -----------------------


@pytest.mark.frameworks
@settings(max_examples=4, deadline=None)
@given(
    heads=st.integers(1, 2),
    width=st.integers(1, 3),
    ff=st.integers(1, 6),
    layers=st.integers(1, 2),
    first=st.booleans(),
    bias=st.booleans(),
)
def test_transformer_modules_count_as_pytorch(
    heads: int, width: int, ff: int, layers: int, first: bool, bias: bool
) -> None:
    t = torch()
    d, steps, memory = heads * width * 2, 3, 4
    options = {"norm_first": first, "bias": bias, "batch_first": True}
    tgt, mem = t.randn(1, steps, d), t.randn(1, memory, d)
    decoder_layer = [d, heads, ff, 0.0, "relu", 1e-5, True, first, bias]
    encoder_layer = {"transformer_encoder_layer": [d, heads, ff, 0.0, "relu", 1e-5, True, first, bias]}
    cases = [
        (
            t.nn.TransformerDecoderLayer(d, heads, ff, 0.0, **options),
            (tgt, mem),
            [
                {"transformer_decoder_layer": decoder_layer},
                {"TransformerDecoderLayer": decoder_layer},
                {
                    "transformer_decoder_layer": {
                        "d_model": d,
                        "nhead": heads,
                        "dim_feedforward": ff,
                        **options,
                    }
                },
            ],
        ),
        (
            t.nn.TransformerEncoder(
                t.nn.TransformerEncoderLayer(d, heads, ff, 0.0, **options),
                layers,
                t.nn.LayerNorm(d),
                enable_nested_tensor=False,
            ),
            (tgt,),
            [
                {"TransformerEncoder": [encoder_layer, layers, {"layer_norm": d}]},
                {
                    "transformer_encoder_stack": {
                        "encoder_layer": encoder_layer,
                        "num_layers": layers,
                        "norm": {"LayerNorm": d},
                    }
                },
            ],
        ),
        (
            t.nn.TransformerDecoder(t.nn.TransformerDecoderLayer(d, heads, ff, 0.0, **options), layers),
            (tgt, mem),
            [{"TransformerDecoder": [{"TransformerDecoderLayer": decoder_layer}, layers]}],
        ),
        (
            t.nn.Transformer(d, heads, layers, 1, ff, 0.0, **options),
            (mem, tgt),
            [{"Transformer": [d, heads, layers, 1, ff, 0.0, "relu", None, None, 1e-5, True, first, bias]}],
        ),
    ]
    for module, inputs, entries in cases:
        module.eval()
        counts = torch_counts(module)
        with t.no_grad():
            shape = tuple(module(*inputs).shape[1:])
        macs = torch_macs(module, *inputs)
        for entry in entries:
            names = [f"x{i}" for i in range(len(inputs))]
            spec = {
                "input": {name: list(x.shape[1:]) for name, x in zip(names, inputs)},
                "framework": "torch",
                "layers": [{**entry, "inputs": names if len(names) > 1 else names[0]}],
            }
            ours = parse_spec(spec).model()
            assert (ours.params, ours.trainable, ours.buffers) == (
                counts["total"],
                counts["trainable"],
                counts["buffers"],
            ), entry
            assert ours.output_shape == shape, entry
            assert ours.macs == macs, entry


def test_a_stack_of_symbolic_depth_is_its_layer_times_depth() -> None:
    spec = {
        "input": [3, 8],
        "framework": "torch",
        "layers": [{"TransformerEncoder": [{"transformer_encoder_layer": [8, 2, 16]}, "L"]}],
    }
    stack = parse_spec(spec).model()
    one = parse_spec({**spec, "layers": [{"transformer_encoder_layer": [8, 2, 16]}]}).model()
    from symcount import symbols

    (depth,) = symbols("L")
    assert stack.params == depth * one.params
    assert stack.macs == depth * one.macs


def test_glu_as_another_layers_activation_is_refused() -> None:
    # Dense(6, activation='glu') really outputs 3 numbers (Keras' output_shape still says 6): an
    # answer either way would be wrong somewhere, so the spec says where GLU belongs.
    with pytest.raises(SpecError, match="apply it as its own layer"):
        build_layer({"dense": 6, "activation": "glu"})
