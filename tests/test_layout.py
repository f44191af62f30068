"""The target's layout: under `framework: torch` shapes are PyTorch's, channels first, and a spec's
positional lists are PyTorch's argument order. The oracle is the PyTorch module itself, run on the
very (C, H, W) input the spec declares."""

from __future__ import annotations

from typing import Any

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcount import Input, Sequential, ShapeError, SpecError, symbols
from symcount.layers import BatchNorm2d, Conv2D, Flatten, MaxPooling2D
from symcount.spec import parse_spec
from symcount.target import KERAS, TORCH
from tests.checks import raises
from tests.frameworks import torch, torch_counts

C, H, W = symbols("C H W")

# The spec any PyTorch user writes (issue 13): it was counted channels-last, 20,026, silently.
ISSUE_SPEC = {
    "name": "t",
    "framework": "torch",
    "input": ["C", "H", "W"],
    "values": {"C": 3, "H": 32, "W": 32},
    "layers": [
        {"conv2d": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
        "batch_norm2d",
        "flatten",
        {"linear": 10},
    ],
}


def counts_of(spec: dict[str, Any]) -> dict[str, Any]:
    parsed = parse_spec(spec)
    symbolic = parsed.model()
    model = symbolic.subs(parsed.values_for(symbolic, {}))
    return {**model.counts(), "output_shape": tuple(int(d) for d in model.output_shape)}


def test_split_and_join_are_inverse() -> None:
    for target, shape in ((TORCH, (C, H, W)), (KERAS, (H, W, C))):
        spatial, channels = target.split(shape)
        assert (spatial, channels) == ((H, W), C)
        assert target.join(spatial, channels) == shape


def test_the_issue_spec_counts_what_pytorch_counts() -> None:
    # conv: 16 kernels of 3x3 over 3 channels + 16 biases = 448; BatchNorm2d(16): 32 parameters
    # and 16 + 16 + 1 buffers; the flattened 16x32x32 = 16,384 features x 10 + 10 = 163,850.
    counts = counts_of(ISSUE_SPEC)
    assert (counts["total"], counts["buffers"]) == (448 + 32 + 163_850, 33) == (164_330, 33)
    model = parse_spec(ISSUE_SPEC).model()
    assert [row.output_shape for row in model.rows][:2] == [(16, H, W), (16, H, W)]
    assert sympy.expand(model.params - (144 * C + 16 + 32 + 160 * H * W + 10)) == 0


@pytest.mark.frameworks
def test_the_issue_spec_equals_the_module() -> None:
    nn = torch().nn
    module = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.Flatten(), nn.Linear(16 * 32 * 32, 10)
    )
    assert counts_of(ISSUE_SPEC) == torch_counts(module, torch().zeros(1, 3, 32, 32))


@pytest.mark.frameworks
def test_positional_lists_are_pytorchs_order() -> None:
    # conv2d: [in_channels, out_channels, kernel_size, stride, padding]; max_pool2d: [kernel_size,
    # stride]; linear: [in_features, out_features]; a lone value is the layer's size.
    spec = {
        "framework": "torch",
        "input": [3, 11, 9],
        "layers": [
            {"conv2d": [3, 8, 3, 2, 1]},
            {"batch_norm2d": 8},
            {"max_pool2d": [2, 1]},
            {"conv2d": 4, "kernel_size": 1},
            "flatten",
            {"linear": [4 * 5 * 4, 7, False]},
        ],
    }
    nn = torch().nn
    module = nn.Sequential(
        nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.MaxPool2d(2, 1), nn.Conv2d(8, 4, 1),
        nn.Flatten(), nn.Linear(80, 7, False),
    )  # fmt: skip
    assert counts_of(spec) == torch_counts(module, torch().zeros(1, 3, 11, 9))


def test_stated_channels_are_checked_on_the_channel_axis() -> None:
    # in_channels is the first axis under PyTorch's layout, whatever the last one holds.
    bad = {"framework": "torch", "input": [3, 32, 4], "layers": [{"conv2d": [4, 8, 3]}]}
    with raises(ShapeError, "layer 1", "(3, 32, 4) has 3 channels", "channel axis", "given 4"):
        parse_spec(bad).model()
    # Linear's in_features is the last axis in both frameworks.
    with raises(ShapeError, "has 4 channels/features on its last axis", "given 3"):
        parse_spec({"framework": "torch", "input": [3, 4], "layers": [{"linear": [3, 2]}]}).model()
    with raises(SpecError, "at most 3 positional values"):
        parse_spec({"framework": "torch", "input": [3], "layers": [{"linear": [3, 2, True, 1]}]}).model()


@given(
    channels=st.integers(1, 4),
    height=st.integers(4, 12),
    width=st.integers(4, 12),
    filters=st.integers(1, 5),
    kernel=st.integers(1, 3),
)
def test_the_layouts_count_the_same_network_alike(
    channels: int, height: int, width: int, filters: int, kernel: int
) -> None:
    # The same network in either layout has the same counts and the same shapes, axes moved.
    def layers() -> list[Any]:
        return [Conv2D(filters, kernel), BatchNorm2d(), MaxPooling2D(2), Flatten()]

    first = Sequential(Input(channels, height, width), *layers(), framework="torch")
    last = Sequential(Input(height, width, channels), *layers())
    assert first.trainable == last.trainable  # (statistics: buffers in PyTorch, weights in Keras)
    for row_first, row_last in zip(first.rows[:3], last.rows[:3]):
        assert TORCH.split(row_first.output_shape) == KERAS.split(row_last.output_shape)
    assert first.output_shape == last.output_shape


@pytest.mark.frameworks
def test_torch_class_names_are_pytorchs_own() -> None:
    # Every layer PyTorch spells shows under its PyTorch class, which torch.nn really has.
    from symcount.layers import REGISTRY

    nn = torch().nn
    named = {cls.torch_name: cls.torch_class for cls in REGISTRY.values() if cls.torch_name}
    assert {
        "linear": "Linear",
        "conv2d": "Conv2d",
        "max_pool2d": "MaxPool2d",
        "lstm": "LSTM",
    }.items() <= named.items()
    for torch_name, torch_class in named.items():
        assert isinstance(getattr(nn, torch_class, None), type), (torch_name, torch_class)


def test_tables_name_torch_layers_as_pytorch_does() -> None:
    model = parse_spec(ISSUE_SPEC).model()
    assert [row.kind for row in model.rows] == ["Conv2d", "BatchNorm2d", "Flatten", "Linear"]
    # Unnamed layers are named in PyTorch's spelling too, and a spec refers to them so.
    assert [row.name for row in model.rows] == ["conv2d", "batch_norm2d", "flatten", "linear"]
    graph = parse_spec(
        {
            "framework": "torch",
            "input": [4],
            "layers": [{"linear": 4}, {"linear": 4}, {"add": {}, "inputs": ["linear", "linear_1"]}],
        }
    ).model()
    assert [row.name for row in graph.rows] == ["linear", "linear_1", "add"] and graph.params == 40
    keras = parse_spec({**ISSUE_SPEC, "framework": "keras", "input": ["H", "W", "C"], "layers": [
        {"conv2d": [16, 3]}, "flatten", {"dense": 10}]}).model()  # fmt: skip
    assert [row.kind for row in keras.rows] == ["Conv2D", "Flatten", "Dense"]


def test_pytorch_names_are_exported_as_constructors() -> None:
    import symcount
    from symcount import layers, pytorch

    # symcount.X is a layer class where one has the name; PyTorch's module of that name, when it is
    # another layer (Keras' RNN and nn.RNN, Keras' ReLU and nn.ReLU), stays symcount.pytorch.X.
    layer_names = set(layers.__all__)
    assert list(symcount._TORCH) == [name for name in pytorch.__all__ if name not in layer_names]
    assert set(pytorch.__all__) <= set(symcount.__all__)
    shadowed = {name for name in pytorch.__all__ if name in layer_names}
    assert {"RNN", "LSTMCell", "GRUCell", "ReLU", "PReLU", "ELU", "LeakyReLU", "Softmax"} <= shadowed
    for name in shadowed:
        made = getattr(pytorch, name)
        assert made.__name__ == name and made is not getattr(symcount, name)
    assert type(pytorch.RNN(10, 8)).__name__ == "SimpleRNN" and pytorch.RNN(10, 8).return_sequences
    assert type(pytorch.LSTMCell(3, 4)).__name__ == "TorchLSTMCell"
    assert type(symcount.LSTMCell(4)).__name__ == "LSTMCell"  # Keras' cell
    # Conv2d(in_channels, out_channels, kernel_size, stride, padding): PyTorch's order and names.
    conv = symcount.Conv2d(3, 16, 3, 2, padding=1, bias=False)
    assert isinstance(conv, Conv2D) and (conv.filters, conv.strides, conv.use_bias) == (16, (2, 2), False)
    with raises(SpecError, "'filters' given twice"):  # out_channels (16) and Keras' own name
        symcount.Conv2d(3, 16, 3, filters=4)


@pytest.mark.frameworks
def test_a_python_model_in_pytorch_names_equals_the_module() -> None:
    from symcount import Conv2d, Linear, MaxPool2d

    nn = torch().nn
    ours = Sequential(
        Input(3, 12, 10), Conv2d(3, 8, 3, padding=1), BatchNorm2d(8), MaxPool2d(2), Flatten(), Linear(8 * 6 * 5, 4),
        framework="torch",
    )  # fmt: skip
    module = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(240, 4)
    )
    counts = {**ours.counts(), "output_shape": tuple(int(d) for d in ours.output_shape)}
    assert counts == torch_counts(module, torch().zeros(1, 3, 12, 10))


@pytest.mark.frameworks
def test_pytorch_constructors_make_the_model_count_as_pytorch() -> None:
    # Issue 20 item 1: Conv2d(C, 16, 3) on Input(C, H, W) without framework="torch" was read
    # channels last (144*W + 16, output (C - 2, H - 2, 16)); it now counts as PyTorch's module.
    from symcount import Conv2d, Linear

    (c, h, w, d, n) = symbols("C H W d h")
    model = Sequential(Input(c, h, w), Conv2d(c, 16, 3))
    assert model.framework == "torch"
    assert model.output_shape == (16, h - 2, w - 2)
    module = torch().nn.Conv2d(5, 16, 3)
    assert model.count(C=5, H=9, W=9) == sum(p.numel() for p in module.parameters())
    # The same layer once the model is substituted (a new model, refolded) stays PyTorch's.
    assert model.subs(C=5).framework == "torch"
    with raises(SpecError, "Conv2d is PyTorch's spelling", "framework='keras'", "Conv2D"):
        Sequential(Input(c, h, w), Conv2d(c, 16, 3), framework="keras")
    # in_features that disagree with the input: refused when the model is built, decided
    # symbolically (C against C + 1) or not decidable before values come (d against 32).
    with raises(ShapeError, "given 32", "write the same size"):
        Sequential(Input(d), Linear(32, n))
    with raises(ShapeError, "has C channels", "given C + 1"):
        Sequential(Input(c, h, w), Conv2d(c + 1, 16, 3))
    assert Sequential(Input(d), Linear(d, n)).params == d * n + n
