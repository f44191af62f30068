"""Rescaling, Normalization, LayerScale and RMSNormalization, against Keras 3 and PyTorch."""

from __future__ import annotations

from typing import Any

import pytest

from symcount import Input, Sequential, ShapeError, SpecError, SymcountError, symbols
from symcount.costs import total_cost
from symcount.layers import LayerScale, Normalization, Rescaling, RMSNormalization
from symcount.spec import parse_spec
from tests.frameworks import keras, keras_counts, symcount_counts, torch, torch_counts

H, W, C, T, d = symbols("H W C T d")

# (layer, input shape, trainable, non-trainable)
FORMULAS = [
    (Rescaling(1 / 255), (H, W, C), 0, 0),
    (Rescaling(2, offset=-1), (T, d), 0, 0),
    # mean and variance of the C kept features, and one count: none of them trained.
    (Normalization(), (H, W, C), 0, 2 * C + 1),
    # axis (1, 2) keeps H and W: mean and variance of H*W each.
    (Normalization(axis=[1, 2]), (H, W, C), 0, 2 * H * W + 1),
    # axis None keeps no axis: three scalars.
    (Normalization(axis=None), (H, W, C), 0, 3),
    # Given statistics are constants, not weights (ConvNeXt's first layer).
    (Normalization(mean=[1, 2, 3], variance=[4, 5, 6]), (H, W, 3), 0, 0),
    (LayerScale(1e-6), (H, W, C), C, 0),
    (LayerScale(0.1, projection_dim=d), (T, d), d, 0),
    (RMSNormalization(), (T, d), d, 0),
    (RMSNormalization(axis=[-2, -1]), (T, d), T * d, 0),
]


@pytest.mark.parametrize(("layer", "shape", "trainable", "non_trainable"), FORMULAS)
def test_formula(layer: Any, shape: tuple, trainable: Any, non_trainable: Any) -> None:
    model = Sequential(Input(*shape), layer)
    assert model.trainable == trainable and model.non_trainable == non_trainable
    assert model.output_shape == shape


def test_extra_flops_and_torch_buffers() -> None:
    # Rescaling: a multiply (and an add with an offset); Normalization: subtract and divide;
    # LayerScale: a multiply; RMSNormalization: a standardisation (4) and a scale (1) per element.
    elements = H * W * C
    for layer, per_element in [
        (Rescaling(0.5), 1),
        (Rescaling(0.5, 1), 2),
        (Normalization(), 2),
        (LayerScale(), 1),
    ]:
        model = Sequential(Input(H, W, C), layer)
        assert total_cost(model, "flops", _extras()) == per_element * elements
    assert total_cost(Sequential(Input(T, d), RMSNormalization()), "flops", _extras()) == 5 * T * d
    # Under PyTorch, the statistics are buffers: no parameters.
    model = Sequential(Input(H, W, C), Normalization(), framework="torch")
    assert model.params == 0 and model.buffers == 2 * C + 1


def _extras() -> Any:
    from symcount.costs import Convention

    return Convention(extras=True)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Normalization(mean=[1, 2]), "give both mean and variance"),
        (lambda: Normalization(axis=0), "batch axis"),
        (lambda: Rescaling("x"), "expected a number"),
        (
            lambda: Sequential(Input(T, 8), LayerScale(projection_dim=4)),
            "projection_dim is the input's last axis, 8",
        ),
        (lambda: Sequential(Input(T, 8), Normalization(axis=3)), "out of range"),
    ],
)
def test_errors(make: Any, fragment: str) -> None:
    with pytest.raises((SpecError, ShapeError, SymcountError), match=fragment):
        make()


def test_spec() -> None:
    spec = {
        "input": ["H", "W", 3],
        "layers": [
            {"rescaling": {"scale": "1/255"}},
            {"normalization": {"axis": 3}},
            {"conv2d": {"filters": "C", "kernel_size": 1}},
            {"layer_scale": {"init_values": 1e-6, "projection_dim": "C"}},
        ],
    }
    model = parse_spec(spec).model()
    assert model.non_trainable == 7 and model.trainable == 3 * C + C + C


# --- The oracles --------------------------------------------------------------------------------


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("shape", "axis"), [((5, 7), -1), ((5, 7), (1, 2)), ((5, 7), None), ((4, 6, 3), 3), ((4, 6, 3), 1)]
)
def test_normalization_matches_keras(shape: tuple, axis: Any) -> None:
    K = keras()
    names = symbols("a b c")[: len(shape)]
    theirs = keras_counts([K.layers.Normalization(axis=axis)], shape)
    ours = symcount_counts(
        [Normalization(axis=list(axis) if isinstance(axis, tuple) else axis)],
        names,
        **dict(zip((n.name for n in names), shape)),
    )
    assert (ours["total"], ours["non_trainable"], ours["output_shape"]) == (
        theirs["total"], theirs["non_trainable"], theirs["output_shape"],
    )  # fmt: skip


@pytest.mark.frameworks
def test_given_statistics_rescaling_layer_scale_and_rms_match_keras() -> None:
    K = keras()
    convnext = pytest.importorskip("keras.src.applications.convnext")
    cases = [
        (K.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]), Normalization(mean=[1, 2, 3], variance=[1, 4, 9])),
        (K.layers.Rescaling(1 / 255), Rescaling(1 / 255)),
        (K.layers.Rescaling(2.0, offset=-1.0), Rescaling(2, offset=-1)),
        (convnext.LayerScale(1e-6, 3), LayerScale(1e-6, 3)),
        (K.layers.RMSNormalization(), RMSNormalization()),
    ]  # fmt: skip
    for theirs_layer, ours_layer in cases:
        theirs = keras_counts([theirs_layer], (4, 6, 3))
        ours = symcount_counts([ours_layer], (4, 6, 3))
        assert ours == {**ours, **theirs}, type(ours_layer).__name__


@pytest.mark.frameworks
@pytest.mark.parametrize("shape", [(5, 7), (3, 4, 6)])
def test_rms_normalization_matches_torch(shape: tuple) -> None:
    t = torch()
    theirs = torch_counts(t.nn.RMSNorm(shape[-1]), t.zeros(2, *shape))
    ours = symcount_counts([RMSNormalization()], shape, "torch")
    assert ours == {**ours, **theirs}
