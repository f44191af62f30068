"""The lesson's networks and the core layers, counted by Keras 3 and PyTorch themselves."""

import pytest

from symcount import Conv2D, Dense, Flatten, Input, Sequential, build, symbols
from tests.frameworks import keras, keras_counts, symcount_counts, torch, torch_counts

H, W, C, f, k, h1, h2 = symbols("H W C f k h1 h2")


def keras_cnn(filters: tuple[int, int], kernel: int, classes: int = 3) -> list:
    layers = keras().layers
    return [
        layers.Conv2D(filters[0], kernel, padding="same", activation="relu"),
        layers.Conv2D(filters[1], kernel, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(classes, activation="softmax"),
    ]


def keras_dense(widths: tuple[int, ...]) -> list:
    layers = keras().layers
    return [layers.Flatten(), *(layers.Dense(width) for width in widths)]


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("example", "oracle", "input_shape"),
    [
        ("lesson-dense", lambda: keras_dense((10, 10, 3)), (28, 28)),
        ("lesson-dense-increasing", lambda: keras_dense((5, 15, 3)), (28, 28)),
        ("lesson-cnn", lambda: keras_cnn((10, 10), 3), (28, 28, 1)),
        ("lesson-cnn-increasing", lambda: keras_cnn((5, 15), 3), (28, 28, 1)),
    ],
)
def test_lesson_examples_equal_keras(example: str, oracle, input_shape: tuple[int, ...]) -> None:
    expected = keras_counts(oracle(), input_shape)
    model = build(example)
    assert model.counts()["total"] == expected["total"]
    assert tuple(int(d) for d in model.output_shape) == expected["output_shape"]


@pytest.mark.frameworks
@pytest.mark.parametrize(
    "sizes", [dict(H=28, W=28, C=1, f=10, k=3), dict(H=7, W=5, C=3, f=4, k=5), dict(H=1, W=1, C=1, f=1, k=1)]
)
def test_symbolic_cnn_equals_keras_and_torch(sizes: dict[str, int]) -> None:
    layers = [Conv2D(f, k, padding="same"), Conv2D(f, k, padding="same"), Flatten(), Dense(3)]
    ours = symcount_counts(layers, (H, W, C), **sizes)
    assert ours == {
        **keras_counts(keras_cnn((sizes["f"],) * 2, sizes["k"]), (sizes["H"], sizes["W"], sizes["C"])),
        "buffers": 0,
    }

    nn = torch().nn
    pad = sizes["k"] // 2  # odd kernels: 'same' is padding k//2 in torch too
    net = nn.Sequential(
        nn.Conv2d(sizes["C"], sizes["f"], sizes["k"], padding=pad),
        nn.Conv2d(sizes["f"], sizes["f"], sizes["k"], padding=pad),
        nn.Flatten(),
        nn.Linear(sizes["H"] * sizes["W"] * sizes["f"], 3),
    )
    theirs = torch_counts(net, torch().zeros(1, sizes["C"], sizes["H"], sizes["W"]))
    assert ours["total"] == theirs["total"] and theirs["output_shape"] == (3,)


@pytest.mark.frameworks
def test_frozen_first_layer_keras() -> None:
    layers = keras_dense((10, 10, 3))
    layers[1].trainable = False
    expected = keras_counts(layers, (28, 28))
    model = Sequential(Input(28, 28), Flatten(), Dense(10, trainable=False), Dense(10), Dense(3))
    assert expected["trainable"] == 143 and expected["non_trainable"] == 7850
    assert model.counts() == {
        **{key: expected[key] for key in ("total", "trainable", "non_trainable")},
        "buffers": 0,
    }


@pytest.mark.frameworks
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("input_shape", [(7,), (4, 7), (2, 3, 7)])
def test_dense_on_any_rank(use_bias: bool, input_shape: tuple[int, ...]) -> None:
    (u,) = symbols("u")
    symbolic_input = tuple(symbols(" ".join(f"d{i}" for i in range(len(input_shape)))))
    ours = symcount_counts(
        [Dense(u, use_bias=use_bias)], symbolic_input, u=5, **{f"d{i}": n for i, n in enumerate(input_shape)}
    )
    expected = keras_counts([keras().layers.Dense(5, use_bias=use_bias)], input_shape)
    assert ours == {**expected, "buffers": 0}
    linear = torch().nn.Linear(input_shape[-1], 5, bias=use_bias)
    theirs = torch_counts(linear, torch().zeros(1, *input_shape))
    assert (ours["total"], ours["output_shape"]) == (theirs["total"], theirs["output_shape"])
