"""Normalization layers: formulas, agreement with Keras 3 and PyTorch, bad input, specs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from symcount import Input, Sequential, ShapeError, SpecError, SymcountError, symbol, symbols
from symcount.layers import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    BatchNormalization,
    GroupNorm,
    GroupNormalization,
    LayerNorm,
    LayerNormalization,
    UnitNormalization,
)
from symcount.spec import parse_spec
from tests.checks import raises
from tests.frameworks import keras, keras_counts, symcount_counts, torch, torch_counts

D, H, W, C, L, T, d, g = symbols("D H W C L T d g")

# (layer, input shape, framework, trainable, non-trainable, torch buffers, output shape).
# Every normalization keeps its input's shape; what differs is what it stores per channel.
FORMULAS = [
    # Keras: gamma, beta (trainable) and moving mean, variance (non-trainable), C each.
    (BatchNormalization(), (H, W, C), "keras", 2 * C, 2 * C, 0, (H, W, C)),
    # No beta: gamma alone is trained; the statistics stay.
    (BatchNormalization(center=False), (H, W, C), "keras", C, 2 * C, 0, (H, W, C)),
    # Neither gamma nor beta: only the two statistics, never trained.
    (BatchNormalization(center=False, scale=False), (L, C), "keras", 0, 2 * C, 0, (L, C)),
    # axis=1 is H (Keras counts the batch as axis 0): four vectors of H numbers.
    (BatchNormalization(axis=1), (H, W, C), "keras", 2 * H, 2 * H, 0, (H, W, C)),
    (BatchNormalization(axis=-2), (H, W, C), "keras", 2 * W, 2 * W, 0, (H, W, C)),
    # renorm adds moving_stddev, renorm_mean and renorm_stddev: five statistics in all.
    (BatchNormalization(renorm=True), (H, W, C), "keras", 2 * C, 5 * C, 0, (H, W, C)),
    # A frozen layer trains nothing: gamma and beta join the statistics (checked against Keras).
    (BatchNormalization(trainable=False), (H, W, C), "keras", 0, 4 * C, 0, (H, W, C)),
    # PyTorch: weight and bias are parameters; running_mean, running_var (C each) and the
    # one-element num_batches_tracked are buffers.
    (BatchNormalization(), (H, W, C), "torch", 2 * C, 0, 2 * C + 1, (H, W, C)),
    (BatchNormalization(trainable=False), (C,), "torch", 0, 2 * C, 2 * C + 1, (C,)),
    # PyTorch's own layers read PyTorch's layout: channels first.
    (BatchNorm2d(), (C, H, W), "torch", 2 * C, 0, 2 * C + 1, (C, H, W)),
    (BatchNorm1d(C), (C,), "torch", 2 * C, 0, 2 * C + 1, (C,)),
    (BatchNorm1d(), (C, L), "torch", 2 * C, 0, 2 * C + 1, (C, L)),
    (BatchNorm3d(), (C, D, H, W), "torch", 2 * C, 0, 2 * C + 1, (C, D, H, W)),
    # affine=False: no weight, no bias; bias=False: the weight alone.
    (BatchNorm2d(affine=False), (C, H, W), "torch", 0, 0, 2 * C + 1, (C, H, W)),
    (BatchNorm2d(bias=False), (C, H, W), "torch", C, 0, 2 * C + 1, (C, H, W)),
    # track_running_stats=False: no buffers at all (batch statistics even at inference).
    (BatchNorm2d(track_running_stats=False), (C, H, W), "torch", 2 * C, 0, 0, (C, H, W)),
    # The same PyTorch layer counted as Keras would: its statistics are non-trainable weights.
    (BatchNorm2d(), (H, W, C), "keras", 2 * C, 2 * C, 0, (H, W, C)),
    # LayerNormalization: gamma and beta shaped like the normalized axes.
    (LayerNormalization(), (T, d), "keras", 2 * d, 0, 0, (T, d)),
    (LayerNormalization(axis=[1, -1]), (H, W, C), "keras", 2 * H * C, 0, 0, (H, W, C)),
    (LayerNormalization(axis=[-2, -1]), (H, W, C), "torch", 2 * W * C, 0, 0, (H, W, C)),
    (LayerNormalization(center=False), (T, d), "keras", d, 0, 0, (T, d)),
    (LayerNormalization(scale=False), (T, d), "keras", d, 0, 0, (T, d)),
    # rms_scaling keeps gamma (even with scale=False) and drops beta.
    (LayerNormalization(rms_scaling=True, scale=False), (T, d), "keras", d, 0, 0, (T, d)),
    # PyTorch's LayerNorm: weight and bias shaped like normalized_shape.
    (LayerNorm(d), (T, d), "torch", 2 * d, 0, 0, (T, d)),
    (LayerNorm([W, C]), (H, W, C), "torch", 2 * W * C, 0, 0, (H, W, C)),
    (LayerNorm(d, bias=False), (T, d), "torch", d, 0, 0, (T, d)),
    (LayerNorm(d, elementwise_affine=False), (T, d), "torch", 0, 0, 0, (T, d)),
    # GroupNormalization: groups only pool statistics; gamma and beta are per channel.
    (GroupNormalization(g), (H, W, C), "keras", 2 * C, 0, 0, (H, W, C)),
    (GroupNormalization(-1, scale=False), (L, C), "keras", C, 0, 0, (L, C)),
    (GroupNormalization(g, axis=1), (L, C), "torch", 2 * L, 0, 0, (L, C)),
    (GroupNorm(g), (C, H, W), "torch", 2 * C, 0, 0, (C, H, W)),
    (GroupNorm(g, affine=False), (C,), "torch", 0, 0, 0, (C,)),
    (GroupNorm(g, bias=False), (C, L), "torch", C, 0, 0, (C, L)),
    # UnitNormalization divides by a norm: nothing is learned.
    (UnitNormalization(), (T, d), "keras", 0, 0, 0, (T, d)),
    (UnitNormalization(axis=[1, 2]), (T, d), "torch", 0, 0, 0, (T, d)),
]


@pytest.mark.parametrize(
    "layer, shape, framework, trainable, non_trainable, buffers, output", FORMULAS, ids=str
)
def test_formulas(
    layer: Any, shape: tuple, framework: str, trainable: Any, non_trainable: Any, buffers: Any, output: tuple
) -> None:
    model = Sequential(Input(*shape), layer, framework=framework)
    assert (model.trainable, model.non_trainable, model.buffers) == (trainable, non_trainable, buffers)
    assert model.params == trainable + non_trainable
    assert model.output_shape == output


# Sizes for the oracles, 1-wide axes included.
SIZES = {
    (C,): [{"C": 1}, {"C": 6}],
    (L, C): [{"L": 1, "C": 1}, {"L": 5, "C": 3}, {"L": 2, "C": 8}],
    (H, W, C): [{"H": 1, "W": 1, "C": 1}, {"H": 5, "W": 3, "C": 7}, {"H": 2, "W": 9, "C": 4}],
    (D, H, W, C): [{"D": 1, "H": 1, "W": 1, "C": 1}, {"D": 3, "H": 2, "W": 4, "C": 5}],
    (T, d): [{"T": 1, "d": 1}, {"T": 7, "d": 6}],
}
# Group counts come with channel counts they divide (including 1 group and one per channel).
GROUPED = [{"C": 1, "g": 1}, {"C": 6, "g": 3}, {"C": 8, "g": 8}, {"C": 12, "g": 2}]


def concrete(shape: tuple, values: dict[str, int]) -> tuple[int, ...]:
    return tuple(int(dim.xreplace({symbol(k): v for k, v in values.items()})) for dim in shape)


def grouped(shape: tuple) -> list[dict[str, int]]:
    """Sizes for a shape ending in C, with a group count g that divides C."""
    rest = {k: v for k, v in SIZES[shape][-1].items() if k != "C"}
    return [{**rest, **values} for values in GROUPED]


def keras_sizes(layer: Any, shape: tuple) -> list[dict[str, int]]:
    return (
        grouped(shape) if "g" in {s.name for s in Sequential(Input(*shape), layer).symbols} else SIZES[shape]
    )


KERAS_CASES: list[tuple[Any, Callable[[Any, dict], Any], tuple]] = [
    (BatchNormalization(), lambda k, v: k.layers.BatchNormalization(), (H, W, C)),
    (BatchNormalization(), lambda k, v: k.layers.BatchNormalization(), (C,)),
    (BatchNormalization(center=False), lambda k, v: k.layers.BatchNormalization(center=False), (L, C)),
    (BatchNormalization(scale=False), lambda k, v: k.layers.BatchNormalization(scale=False), (L, C)),
    (
        BatchNormalization(center=False, scale=False),
        lambda k, v: k.layers.BatchNormalization(center=False, scale=False),
        (H, W, C),
    ),
    (BatchNormalization(axis=1), lambda k, v: k.layers.BatchNormalization(axis=1), (H, W, C)),
    (BatchNormalization(axis=-3), lambda k, v: k.layers.BatchNormalization(axis=-3), (D, H, W, C)),
    (BatchNormalization(renorm=True), lambda k, v: k.layers.BatchNormalization(renorm=True), (H, W, C)),
    (
        BatchNormalization(trainable=False),
        lambda k, v: k.layers.BatchNormalization(trainable=False),
        (H, W, C),
    ),
    (
        BatchNormalization(renorm=True, trainable=False),
        lambda k, v: k.layers.BatchNormalization(renorm=True, trainable=False),
        (L, C),
    ),
    # PyTorch's spellings counted as Keras counts the equivalent layer.
    (BatchNorm2d(), lambda k, v: k.layers.BatchNormalization(), (H, W, C)),
    (BatchNorm1d(affine=False), lambda k, v: k.layers.BatchNormalization(center=False, scale=False), (L, C)),
    (LayerNormalization(), lambda k, v: k.layers.LayerNormalization(), (T, d)),
    (LayerNormalization(), lambda k, v: k.layers.LayerNormalization(), (H, W, C)),
    (LayerNormalization(axis=[1, -1]), lambda k, v: k.layers.LayerNormalization(axis=[1, -1]), (H, W, C)),
    (LayerNormalization(axis=[2, 3]), lambda k, v: k.layers.LayerNormalization(axis=[2, 3]), (H, W, C)),
    (LayerNormalization(axis=1), lambda k, v: k.layers.LayerNormalization(axis=1), (T, d)),
    (LayerNormalization(center=False), lambda k, v: k.layers.LayerNormalization(center=False), (T, d)),
    (LayerNormalization(scale=False), lambda k, v: k.layers.LayerNormalization(scale=False), (T, d)),
    (
        LayerNormalization(rms_scaling=True, scale=False),
        lambda k, v: k.layers.LayerNormalization(rms_scaling=True, scale=False),
        (T, d),
    ),
    (
        LayerNormalization(trainable=False),
        lambda k, v: k.layers.LayerNormalization(trainable=False),
        (T, d),
    ),
    (GroupNormalization(g), lambda k, v: k.layers.GroupNormalization(v["g"]), (H, W, C)),
    (GroupNormalization(g), lambda k, v: k.layers.GroupNormalization(v["g"]), (C,)),
    (
        GroupNormalization(g, center=False),
        lambda k, v: k.layers.GroupNormalization(v["g"], center=False),
        (L, C),
    ),
    (
        GroupNormalization(g, scale=False, trainable=False),
        lambda k, v: k.layers.GroupNormalization(v["g"], scale=False, trainable=False),
        (L, C),
    ),
    (GroupNormalization(-1), lambda k, v: k.layers.GroupNormalization(-1), (H, W, C)),
    (GroupNormalization(1, axis=1), lambda k, v: k.layers.GroupNormalization(1, axis=1), (H, W, C)),
    (UnitNormalization(), lambda k, v: k.layers.UnitNormalization(), (T, d)),
    (UnitNormalization(axis=[1, 2]), lambda k, v: k.layers.UnitNormalization(axis=[1, 2]), (H, W, C)),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("layer, make, shape", KERAS_CASES, ids=lambda x: str(x) if not callable(x) else "")
def test_keras_agrees(layer: Any, make: Callable[[Any, dict], Any], shape: tuple) -> None:
    k = keras()
    for values in keras_sizes(layer, shape):
        expected = keras_counts([make(k, values)], concrete(shape, values))
        got = symcount_counts([layer], shape, "keras", **values)
        assert {key: got[key] for key in expected} == expected, values


def channels_first(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[-1], *shape[:-1])


def channels_last(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (*shape[1:], shape[0])


def affine_args(t: Any, **bias: bool) -> dict[str, bool]:
    """`bias=False` for BatchNorm/GroupNorm is recent in PyTorch: skip where it is unknown."""
    if bias and "bias" not in t.nn.GroupNorm.__init__.__code__.co_varnames:
        pytest.skip("this PyTorch has no bias argument on BatchNorm/GroupNorm")
    return bias


# (symcount layer, PyTorch module from (torch, values), input shape, channels-first in PyTorch?)
TORCH_CASES: list[tuple[Any, Callable[[Any, dict], Any], tuple, bool]] = [
    (BatchNormalization(), lambda t, v: t.nn.BatchNorm2d(v["C"]), (H, W, C), True),
    (
        BatchNormalization(scale=False, center=False),
        lambda t, v: t.nn.BatchNorm1d(v["C"], affine=False),
        (C,),
        True,
    ),
    (
        BatchNormalization(trainable=False),
        lambda t, v: t.nn.BatchNorm3d(v["C"]).requires_grad_(False),
        (D, H, W, C),
        True,
    ),
    (BatchNorm1d(), lambda t, v: t.nn.BatchNorm1d(v["C"]), (C,), True),
    (BatchNorm1d(C), lambda t, v: t.nn.BatchNorm1d(v["C"]), (L, C), True),
    (BatchNorm2d(), lambda t, v: t.nn.BatchNorm2d(v["C"]), (H, W, C), True),
    (BatchNorm3d(), lambda t, v: t.nn.BatchNorm3d(v["C"]), (D, H, W, C), True),
    (BatchNorm2d(affine=False), lambda t, v: t.nn.BatchNorm2d(v["C"], affine=False), (H, W, C), True),
    (
        BatchNorm2d(bias=False),
        lambda t, v: t.nn.BatchNorm2d(v["C"], **affine_args(t, bias=False)),
        (H, W, C),
        True,
    ),
    (
        BatchNorm1d(track_running_stats=False),
        lambda t, v: t.nn.BatchNorm1d(v["C"], track_running_stats=False),
        (L, C),
        True,
    ),
    (
        BatchNorm2d(affine=False, track_running_stats=False),
        lambda t, v: t.nn.BatchNorm2d(v["C"], affine=False, track_running_stats=False),
        (H, W, C),
        True,
    ),
    (
        BatchNorm2d(trainable=False),
        lambda t, v: t.nn.BatchNorm2d(v["C"]).requires_grad_(False),
        (H, W, C),
        True,
    ),
    (LayerNormalization(), lambda t, v: t.nn.LayerNorm(v["d"]), (T, d), False),
    (LayerNormalization(axis=[-2, -1]), lambda t, v: t.nn.LayerNorm([v["W"], v["C"]]), (H, W, C), False),
    (LayerNorm(d), lambda t, v: t.nn.LayerNorm(v["d"]), (T, d), False),
    (LayerNorm([H, W, C]), lambda t, v: t.nn.LayerNorm([v["H"], v["W"], v["C"]]), (H, W, C), False),
    (LayerNorm(d, bias=False), lambda t, v: t.nn.LayerNorm(v["d"], bias=False), (T, d), False),
    (
        LayerNorm(d, elementwise_affine=False),
        lambda t, v: t.nn.LayerNorm(v["d"], elementwise_affine=False),
        (T, d),
        False,
    ),
    (
        LayerNorm(d, trainable=False),
        lambda t, v: t.nn.LayerNorm(v["d"]).requires_grad_(False),
        (T, d),
        False,
    ),
    (GroupNormalization(g), lambda t, v: t.nn.GroupNorm(v["g"], v["C"]), (H, W, C), True),
    (GroupNorm(g), lambda t, v: t.nn.GroupNorm(v["g"], v["C"]), (L, C), True),
    (GroupNorm(g, C), lambda t, v: t.nn.GroupNorm(v["g"], v["C"]), (C,), True),
    (GroupNorm(g, affine=False), lambda t, v: t.nn.GroupNorm(v["g"], v["C"], affine=False), (H, W, C), True),
    (
        GroupNorm(g, bias=False),
        lambda t, v: t.nn.GroupNorm(v["g"], v["C"], **affine_args(t, bias=False)),
        (L, C),
        True,
    ),
]


@pytest.mark.frameworks
@pytest.mark.parametrize(
    "layer, make, shape, permute", TORCH_CASES, ids=lambda x: str(x) if not callable(x) else ""
)
def test_torch_agrees(layer: Any, make: Callable[[Any, dict], Any], shape: tuple, permute: bool) -> None:
    t = torch()
    sizes = (
        grouped(shape) if "g" in {s.name for s in Sequential(Input(*shape), layer).symbols} else SIZES[shape]
    )
    for values in sizes:
        ours = concrete(shape, values)
        # A batch of 2: PyTorch needs more than one value per channel for batch statistics.
        example = t.zeros(2, *(channels_first(ours) if permute else ours))
        expected = torch_counts(make(t, values), example)
        if permute and type(layer).torch_only:
            # PyTorch's own layers take PyTorch's layout: the very input the module took.
            ours_shape = channels_first(shape)
        elif permute:
            # Keras' layers keep Keras' `axis` (the last by default) under either target.
            ours_shape = shape
            expected["output_shape"] = channels_last(expected["output_shape"])
        else:
            ours_shape = shape
        assert symcount_counts([layer], ours_shape, "torch", **values) == expected, values


@pytest.mark.parametrize(
    "build, error, fragments",
    [
        (lambda: BatchNormalization(axis=0), SpecError, ("axis=0", "batch")),
        (lambda: BatchNormalization(axis="channels"), SpecError, ("axis='channels'",)),
        (lambda: BatchNormalization(axis=[1, 2]), SpecError, ("axis=[1, 2]",)),
        (lambda: BatchNormalization(center="yes"), SpecError, ("center='yes'",)),
        (lambda: BatchNormalization(momentum=2), SpecError, ("momentum=2",)),
        (lambda: BatchNorm2d(0), SymcountError, ("num_features=0",)),
        (lambda: BatchNorm2d(4, channels_in=5), SpecError, ("num_features=4", "channels_in=5")),
        (lambda: BatchNorm2d(momentum=-0.5), SpecError, ("momentum=-0.5",)),
        (lambda: LayerNormalization(axis=[]), SpecError, ("axis=[]",)),
        (lambda: LayerNorm([]), SpecError, ("normalized_shape=[]",)),
        (lambda: LayerNorm(-3), SymcountError, ("normalized_shape=-3",)),
        (lambda: LayerNorm(d, eps="T"), SpecError, ("eps='T'",)),
        (lambda: GroupNormalization(0), SpecError, ("groups=0",)),
        (lambda: GroupNormalization(-2), SpecError, ("groups=-2",)),
        (lambda: GroupNorm(4, 6), SpecError, ("num_groups=4", "num_channels=6")),
        (lambda: GroupNorm(2, affine=1), SpecError, ("affine=1",)),
        (lambda: UnitNormalization(axis=1.5), SpecError, ("axis=1.5",)),
    ],
)
def test_bad_options(
    build: Callable[[], Any], error: type[SymcountError], fragments: tuple[str, ...]
) -> None:
    with raises(error, *fragments):
        build()


@pytest.mark.parametrize(
    "layer, shape, framework, fragments",
    [
        (BatchNormalization(axis=4), (H, W, C), "keras", ("axis=4", "layer 1")),
        (BatchNormalization(axis=-3), (L, C), "keras", ("axis=-3",)),
        (BatchNorm2d(), (L, C), "torch", ("BatchNorm2d", "(L, C)")),
        (BatchNorm1d(), (H, W, C), "torch", ("BatchNorm1d", "(H, W, C)")),
        (BatchNorm3d(5), (4, D, H, W), "torch", ("4 channels", "5")),
        (LayerNormalization(axis=[1, -1]), (d,), "keras", ("distinct", "axis=(1, -1)")),
        (LayerNormalization(axis=[1, 3]), (T, d), "keras", ("axis 3",)),
        (LayerNorm([4, 5]), (H, 3, 5), "torch", ("normalized_shape=(4, 5)", "(3, 5)")),
        (LayerNorm([T, d]), (d,), "torch", ("LayerNorm", "at least 2 axes")),
        (GroupNormalization(4), (H, W, 6), "keras", ("groups=4", "channels=6")),
        (GroupNormalization(32), (L, 8), "keras", ("groups=32",)),
        (GroupNorm(3), (8, H, W), "torch", ("num_groups=3", "channels=8")),
        (UnitNormalization(axis=3), (d,), "keras", ("axis=3",)),
    ],
)
def test_bad_shapes(layer: Any, shape: tuple, framework: str, fragments: tuple[str, ...]) -> None:
    with raises(ShapeError, *fragments):
        Sequential(Input(*shape), layer, framework=framework)


def test_renorm_is_keras_only() -> None:
    with raises(SpecError, "renorm=True", "layer 1"):
        Sequential(Input(H, W, C), BatchNormalization(renorm=True), framework="torch")


def test_symbolic_groups_are_checked_once_substituted() -> None:
    model = Sequential(Input(H, W, C), GroupNormalization(g))
    assert model.subs(C=12, g=4).params == 24
    with raises(ShapeError, "groups=5", "channels=12", "layer 1"):
        model.subs(C=12, g=5)
    # A multiple of the group count always divides: no error, whatever the values.
    assert Sequential(Input(H, W, 3 * g), GroupNormalization(g)).params == 6 * g


def test_an_option_the_layer_does_not_take() -> None:
    spec = {"input": ["H", "W", "C"], "layers": [{"batch_normalization": {"units": 3}}]}
    with raises(SpecError, "'units'", "batch_normalization"):
        parse_spec(spec).model()
    # PyTorch's names are not Keras' options: `eps` belongs to batch_norm2d, not here.
    spec = {"input": ["H", "W", "C"], "layers": [{"batch_normalization": {"eps": 0.1}}]}
    with raises(SpecError, "'eps'"):
        parse_spec(spec).model()


def test_keras_spec_round_trip() -> None:
    spec = parse_spec(
        {
            "input": ["H", "W", "C"],
            "layers": [
                {"batch_normalization": {"center": False}},
                {"group_normalization": "g"},
                {"layer_normalization": {"axis": [-2, -1]}},
                "unit_normalization",
            ],
        }
    )
    model = spec.model()
    # gamma + 2 statistics, then gamma and beta per channel, then gamma and beta over (W, C).
    assert model.trainable == C + 2 * C + 2 * W * C
    assert model.non_trainable == 2 * C
    assert [row.name for row in model.rows] == [
        "batch_normalization", "group_normalization", "layer_normalization", "unit_normalization",
    ]  # fmt: skip
    assert model.counts(H=4, W=5, C=6, g=3) == {
        "total": 90,
        "trainable": 78,
        "non_trainable": 12,
        "buffers": 0,
    }


def test_torch_spec_round_trip() -> None:
    spec = parse_spec(
        {
            "framework": "torch",
            "input": ["C", "H", "W"],
            "layers": [
                {"batch_norm2d": "C"},
                {"batch_norm2d": {"num_features": "C", "affine": False, "track_running_stats": False}},
                {"group_norm": ["g", "C"]},
                {"layer_norm": {"normalized_shape": ["H", "W"], "bias": False}},
                # Keras' layer keeps Keras' `axis`: 1 is the first axis after the batch, here C.
                {"batch_normalization": {"center": False, "axis": 1}},
            ],
        }
    )
    model = spec.model()
    assert model.params == 2 * C + 0 + 2 * C + H * W + C
    assert model.buffers == (2 * C + 1) + 0 + 0 + 0 + (2 * C + 1)
    # As in PyTorch, GroupNorm(4, 6) is refused when it is made, before it sees an input.
    with raises(SpecError, "num_groups=4", "layer 3"):
        model.subs(C=6, g=4)
    # A list is positional, as in a Python call: [W, C] would be normalized_shape=W, eps=C.
    bad = {"framework": "torch", "input": ["T", "d"], "layers": [{"layer_norm": ["T", "d"]}]}
    with raises(SpecError, "eps='d'", "layer 1"):
        parse_spec(bad).model()
