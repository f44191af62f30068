"""The zoo's CNNs against twins: LeNet-5, and VGG-16, ResNet-18 and ResNet-50 as torchvision builds
them (PyTorch modules written here from the published architectures: torchvision is no dependency),
and ResNet-50 as keras.applications builds it.

For each: the published count at the spec's defaults, the twin at other sizes (widths, per-stage
depths, image sizes, classes), named stages against the twin's submodules, and the formula's shape.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import pytest
import sympy

from symcount import Model, build, load_spec, symbols
from tests.frameworks import keras, torch

C, H, W, K, w, h = symbols("C H W K w h")
f1, f2, k, d1, d2 = symbols("f1 f2 k d1 d2")
n1, n2, n3, n4, n5 = depths = symbols("n1 n2 n3 n4 n5")


@functools.cache
def symbolic(name: str) -> Model:
    return load_spec(name).model()


def sizes(name: str, overrides: dict[str, int]) -> dict[str, int]:
    """The spec's defaults (all numbers in the zoo's CNNs) with `overrides`, for building twins."""
    return {**{key: int(value) for key, value in load_spec(name).values.items()}, **overrides}


def torch_parts(modules: Iterable[Any]) -> tuple[int, int]:
    """Parameters and buffers of some PyTorch modules."""
    modules = list(modules)
    params = sum(p.numel() for m in modules for p in m.parameters())
    return params, sum(b.numel() for m in modules for b in m.buffers())


def spec_parts(model: Model, prefix: str) -> tuple[int, int]:
    """Parameters and buffers of the rows named `prefix` or starting with it."""
    rows = [row for row in model.rows if row.name.startswith(prefix)]
    assert rows, f"no row named {prefix}..."
    return int(sum(row.params for row in rows)), int(sum(row.buffers for row in rows))


def halved(size: sympy.Expr, times: int) -> sympy.Expr:
    """The length left after `times` 2x2 poolings: floor(floor(n/2)/2)... = floor(n/2**times), as
    the fold writes it (for integers, floor(floor(y)/2) = floor(y/2))."""
    return sympy.floor(size / 2**times)


# LeNet-5 -------------------------------------------------------------------------------------------


def lenet_twin(H: int, W: int, C: int, f1: int, f2: int, k: int, d1: int, d2: int, K: int) -> Any:
    nn = torch().nn

    def side(n: int) -> int:  # valid k x k convolution, 2x2 pooling, twice
        return ((n - k + 1) // 2 - k + 1) // 2

    return nn.Sequential(
        OrderedDict(
            c1=nn.Conv2d(C, f1, k), tanh1=nn.Tanh(), s2=nn.AvgPool2d(2),
            c3=nn.Conv2d(f1, f2, k), tanh3=nn.Tanh(), s4=nn.AvgPool2d(2),
            flatten=nn.Flatten(),
            c5=nn.Linear(f2 * side(H) * side(W), d1), tanh5=nn.Tanh(),
            f6=nn.Linear(d1, d2), tanh6=nn.Tanh(),
            output=nn.Linear(d2, K),
        )
    )  # fmt: skip


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("overrides", "published"),
    [
        ({}, 61_706),
        ({"H": 28, "W": 36, "C": 3, "f1": 4, "f2": 8, "k": 3, "d1": 32, "d2": 16, "K": 5}, None),
        ({"H": 64, "W": 64, "k": 7, "f1": 20, "f2": 50, "d1": 500}, None),
    ],
)
def test_lenet_equals_torch(overrides: dict[str, int], published: int | None) -> None:
    values = sizes("lenet-5", overrides)
    model = build("lenet-5", overrides)
    twin = lenet_twin(**values)
    assert (model.count(), 0) == torch_parts([twin])
    if published is not None:
        assert model.count() == published
    for name in ("c1", "c3", "c5", "f6", "output"):
        assert spec_parts(model, name) == torch_parts([twin.get_submodule(name)])
    batch = torch().zeros(1, values["C"], values["H"], values["W"])
    assert tuple(twin(batch).shape[1:]) == tuple(int(d) for d in model.output_shape)


def test_lenet_formula_at_32x32() -> None:
    # c1: f1 kernels 5x5 over C channels, with biases; c3: f2 over f1 channels. The map goes 32, 28
    # (c1), 14 (s2), 10 (c3), 5 (s4): c5 reads 5 * 5 * f2 numbers.
    expected = (25 * C * f1 + f1) + (25 * f1 * f2 + f2) + (25 * f2 * d1 + d1) + (d1 * d2 + d2) + (d2 * K + K)
    assert sympy.expand(symbolic("lenet-5").subs(H=32, W=32, k=5).params - expected) == 0


# VGG-16 --------------------------------------------------------------------------------------------


def vgg_twin(
    H: int, W: int, C: int, w: int, h: int, K: int, n1: int, n2: int, n3: int, n4: int, n5: int
) -> Any:
    """torchvision's VGG, its features grouped by stage (the same modules, one Sequential each)."""
    nn = torch().nn
    stages, channels = [], C
    for depth, width in zip((n1, n2, n3, n4, n5), (w, 2 * w, 4 * w, 8 * w, 8 * w)):
        layers: list[Any] = []
        for _ in range(depth):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
            channels = width
        stages.append(nn.Sequential(*layers, nn.MaxPool2d(2, 2)))
    side = (H // 32, W // 32)  # torchvision pools adaptively to (7, 7): the same map at 224x224
    return nn.Sequential(
        OrderedDict(
            features=nn.Sequential(*stages),
            avgpool=nn.AdaptiveAvgPool2d(side),
            flatten=nn.Flatten(),
            classifier=nn.Sequential(
                nn.Linear(channels * side[0] * side[1], h), nn.ReLU(True), nn.Dropout(),
                nn.Linear(h, h), nn.ReLU(True), nn.Dropout(),
                nn.Linear(h, K),
            ),
        )
    )  # fmt: skip


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("overrides", "published"),
    [
        ({}, 138_357_544),
        ({"n1": 2, "n2": 2, "n3": 2, "n4": 2, "n5": 2}, 133_047_848),  # VGG-13
        ({"n3": 4, "n4": 4, "n5": 4}, 143_667_240),  # VGG-19
        ({"H": 96, "W": 160, "C": 1, "w": 8, "h": 100, "K": 10, "n3": 2, "n5": 5}, None),
        ({"H": 250, "W": 71, "w": 3, "h": 7, "K": 2}, None),
    ],
)
def test_vgg_equals_torch(overrides: dict[str, int], published: int | None) -> None:
    values = sizes("vgg-16", overrides)
    model = build("vgg-16", overrides)
    stages: list[tuple[int, ...]] = []  # each stage's output, batch excluded: (C, H, W)
    with torch().device("meta"):
        twin = vgg_twin(**values)
        for stage in twin.features:
            stage.register_forward_hook(lambda m, i, o: stages.append(tuple(o.shape[1:])))
        output = twin(torch().empty(1, values["C"], values["H"], values["W"]))
    assert (model.count(), 0) == torch_parts([twin])
    # The spec reads PyTorch's layout: each stage's pooled map is the twin's, channels first.
    pooled = {row.name: tuple(int(d) for d in row.output_shape) for row in model.rows}
    assert [pooled[f"pool{stage}"] for stage in range(1, 6)] == stages
    if published is not None:
        assert model.count() == published
    assert tuple(output.shape[1:]) == tuple(int(d) for d in model.output_shape)
    for stage in range(1, 6):
        first = twin.features[stage - 1][0]
        assert spec_parts(model, f"conv{stage}_1") == torch_parts([first])
        assert spec_parts(model, f"conv{stage}_") == torch_parts([twin.features[stage - 1]])
    for name, index in (("fc6", 0), ("fc7", 3), ("fc8", 6)):
        assert spec_parts(model, name) == torch_parts([twin.classifier[index]])


def test_vgg_formula() -> None:
    widths = (w, 2 * w, 4 * w, 8 * w, 8 * w)
    channels, expected = C, sympy.Integer(0)
    for depth, width in zip(depths, widths):
        # The first 3x3 convolution widens channels -> width; the depth - 1 after it keep the width.
        expected += 9 * channels * width + width + (depth - 1) * (9 * width**2 + width)
        channels = width
    flat = 8 * w * halved(H, 5) * halved(W, 5)  # the 8w-channel map after five 2x2 poolings
    expected += (flat * h + h) + (h * h + h) + (h * K + K)
    params = symbolic("vgg-16").params
    assert sympy.expand(params - expected) == 0
    at_224 = sympy.expand(params.subs({H: 224, W: 224}))
    assert sympy.degree(at_224, w) == 2 and sympy.degree(at_224, h) == 2
    for depth, width in zip(depths, widths):  # each extra convolution in a stage costs 9u^2 + u
        assert at_224.coeff(depth) == sympy.expand(9 * width**2 + width)


# ResNet-18 and ResNet-50 (torchvision) -------------------------------------------------------------


def resnet_twin(bottleneck: bool, stage_depths: list[int], w: int, K: int, C: int) -> Any:
    """torchvision's ResNet: BasicBlock (two 3x3) or Bottleneck (1x1, 3x3 with the stride, 1x1 to
    4x), convolutions without bias, a 1x1 projection where a block changes the shape."""
    nn = torch().nn
    expansion = 4 if bottleneck else 1

    class Block(nn.Module):
        def __init__(self, channels: int, width: int, stride: int) -> None:
            super().__init__()
            out = expansion * width
            if bottleneck:
                self.conv1 = nn.Conv2d(channels, width, 1, bias=False)
                self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
                self.conv3 = nn.Conv2d(width, out, 1, bias=False)
                self.bn3 = nn.BatchNorm2d(out)
            else:
                self.conv1 = nn.Conv2d(channels, width, 3, stride, 1, bias=False)
                self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
            self.bn1, self.bn2 = nn.BatchNorm2d(width), nn.BatchNorm2d(width)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or channels != out:
                self.downsample = nn.Sequential(
                    nn.Conv2d(channels, out, 1, stride, bias=False), nn.BatchNorm2d(out)
                )

        def forward(self, x: Any) -> Any:
            y = self.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            if bottleneck:
                y = self.bn3(self.conv3(self.relu(y)))
            return self.relu(y + (x if self.downsample is None else self.downsample(x)))

    class ResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(C, w, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(w)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            channels = w
            for stage, depth in enumerate(stage_depths):
                width = w * 2**stage
                blocks = []
                for index in range(depth):
                    blocks.append(Block(channels, width, 2 if stage and not index else 1))
                    channels = expansion * width
                setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(channels, K)

        def forward(self, x: Any) -> Any:
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            for stage in range(len(stage_depths)):
                x = getattr(self, f"layer{stage + 1}")(x)
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet()


RESNETS = [
    ("resnet-18", {}, 11_689_512),
    ("resnet-18", {"n1": 3, "n2": 4, "n3": 6, "n4": 3}, 21_797_672),  # ResNet-34
    ("resnet-18", {"w": 8, "n1": 1, "n2": 2, "n3": 3, "n4": 2, "K": 10, "C": 1, "H": 32, "W": 32}, None),
    ("resnet-18", {"w": 24, "n2": 3, "n4": 4, "K": 7, "H": 97, "W": 61}, None),
    ("resnet-50", {}, 25_557_032),
    ("resnet-50", {"n3": 23}, 44_549_160),  # ResNet-101
    ("resnet-50", {"n2": 8, "n3": 36}, 60_192_808),  # ResNet-152
    ("resnet-50", {"w": 16, "n1": 2, "n2": 2, "n3": 2, "n4": 5, "K": 10, "C": 1, "H": 64, "W": 48}, None),
]


@pytest.mark.frameworks
@pytest.mark.parametrize(("name", "overrides", "published"), RESNETS)
def test_resnet_equals_torch(name: str, overrides: dict[str, int], published: int | None) -> None:
    values = sizes(name, overrides)
    model = build(name, overrides)
    stage_depths = [values[f"n{stage}"] for stage in range(1, 5)]
    seen: dict[str, tuple[int, ...]] = {}  # each module's output shape, batch excluded
    with torch().device("meta"):
        twin = resnet_twin(name == "resnet-50", stage_depths, values["w"], values["K"], values["C"])
        for path, module in twin.named_modules():
            # (A hook that returns something replaces the output: this one returns None.)
            module.register_forward_hook(lambda m, i, o, path=path: seen.update({path: tuple(o.shape[1:])}))
        output = twin.eval()(torch().empty(1, values["C"], values["H"], values["W"]))
    counts = model.counts()
    assert (counts["total"], counts["buffers"]) == torch_parts([twin])
    if published is not None:
        assert counts["total"] == published
    assert tuple(output.shape[1:]) == tuple(int(d) for d in model.output_shape)

    # Every row with weights is the twin's module of that name (torchvision's module paths), or the
    # blocks of a stage after its first (`layer2.rest`); a stage's rows are the twin's stage.
    for row in model.rows:
        if row.name.endswith(".rest"):
            modules = list(twin.get_submodule(row.name.removesuffix(".rest")))[1:]
        else:
            try:
                modules = [twin.get_submodule(row.name)]
            except AttributeError:
                assert row.params == 0 and row.buffers == 0, row.name
                continue
        assert (int(row.params), int(row.buffers)) == torch_parts(modules), row.name
        # The spec is in PyTorch's layout: each layer's (C, H, W) is its module's, channels first.
        if row.name in seen and row.params:
            assert tuple(int(d) for d in row.output_shape) == seen[row.name], row.name
    for stage in range(1, 5):
        assert spec_parts(model, f"layer{stage}") == torch_parts([twin.get_submodule(f"layer{stage}")])


def test_resnet18_formula() -> None:
    def basic(u: Any) -> Any:  # two 3x3 convolutions u -> u without bias, two BatchNorms
        return 2 * 9 * u**2 + 2 * 2 * u

    def first_basic(c: Any, u: Any) -> Any:  # 3x3 c -> u, 3x3 u -> u, 1x1 projection c -> u
        return 9 * c * u + 9 * u**2 + c * u + 3 * 2 * u

    expected = 49 * C * w + 2 * w + n1 * basic(w)  # stem; stage 1 keeps the stem's shape throughout
    for depth, c, u in ((n2, w, 2 * w), (n3, 2 * w, 4 * w), (n4, 4 * w, 8 * w)):
        expected += first_basic(c, u) + (depth - 1) * basic(u)
    expected += 8 * w * K + K
    params = symbolic("resnet-18").params
    assert sympy.expand(params - expected) == 0
    assert sympy.degree(params, w) == 2
    assert all(sympy.degree(params, depth) == 1 for depth in depths[:4])


def bottleneck(u: Any, keras_spelling: bool = False) -> Any:
    """A bottleneck block that keeps its shape (4u -> u -> u -> 4u): 1x1, 3x3 and 1x1 convolutions and
    three BatchNorms: 2 parameters per channel, or in Keras 5 (a bias, and 2 statistics beside the
    BatchNorm's 2)."""
    per_channel = 5 if keras_spelling else 2
    return 4 * u * u + 9 * u * u + u * 4 * u + per_channel * (u + u + 4 * u)


def first_bottleneck(c: Any, u: Any, keras_spelling: bool = False) -> Any:
    """The first block of a stage: c -> u -> u -> 4u, plus a 1x1 projection c -> 4u and its BatchNorm."""
    per_channel = 5 if keras_spelling else 2
    return c * u + 9 * u * u + u * 4 * u + c * 4 * u + per_channel * (u + u + 4 * u + 4 * u)


@pytest.mark.parametrize(("name", "keras_spelling"), [("resnet-50", False), ("resnet-50-keras", True)])
def test_resnet50_formula(name: str, keras_spelling: bool) -> None:
    stem = 49 * C * w + (5 if keras_spelling else 2) * w  # 7x7 convolution, BatchNorm (per channel)
    expected = stem + 32 * w * K + K  # and the dense head on 4 * 8w channels
    for stage, depth in enumerate(depths[:4]):
        u = w * 2**stage
        c = w if stage == 0 else 2 * u  # the stem's w, then the previous stage's 4 * (u / 2)
        expected += first_bottleneck(c, u, keras_spelling) + (depth - 1) * bottleneck(u, keras_spelling)
    params = symbolic(name).params
    assert sympy.expand(params - expected) == 0
    assert sympy.degree(params, w) == 2
    for stage, depth in enumerate(depths[:4]):
        assert sympy.expand(params).coeff(depth) == sympy.expand(bottleneck(w * 2**stage, keras_spelling))


def test_keras_and_torchvision_resnet50_differ_by_per_channel_terms() -> None:
    """Keras' biases and BatchNorm statistics cost per channel: the difference is linear in w, free of
    C, K and the image; where the stride sits (first 1x1 or the 3x3) changes no count."""
    difference = sympy.expand(symbolic("resnet-50-keras").params - symbolic("resnet-50").params)
    u = [w * 2**stage for stage in range(4)]
    # Per channel, Keras adds a bias and 2 statistics (3) where torchvision has none: on the 6u
    # channels of every block's convolutions, 18u; on the first block's 4u-channel projection, 12u;
    # on the stem's w channels, 3w.
    expected = sum(18 * depth * ui for depth, ui in zip(depths[:4], u)) + sum(12 * ui for ui in u) + 3 * w
    assert difference == sympy.expand(expected)
    assert sympy.degree(difference, w) == 1 and not difference.free_symbols & {C, K, H, W}


def test_a_stage_of_one_block() -> None:
    # n2 = 1 leaves `times: n2 - 1` at 0: the stage would be its first block alone.
    assert build("resnet-18", {"n2": 1}).count() == 11_689_512 - (72 * 64**2 + 8 * 64)


# ResNet-50 (Keras) ---------------------------------------------------------------------------------


def keras_resnet50_twin(w: int, stage_depths: list[int], K: int, shape: tuple[int, int, int]) -> Any:
    """keras.applications' ResNet50 (v1) with the stem and stage widths from `w` and any depths."""
    k = keras()
    layers = k.layers

    def normalized(x: Any, name: str) -> Any:
        return layers.BatchNormalization(epsilon=1.001e-5, name=f"{name}_bn")(x)

    x = inputs = k.Input(shape)
    x = layers.ZeroPadding2D(3, name="conv1_pad")(x)
    x = normalized(layers.Conv2D(w, 7, strides=2, name="conv1_conv")(x), "conv1")
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, depth in enumerate(stage_depths):
        u = w * 2**stage
        for index in range(1, depth + 1):
            name = f"conv{stage + 2}_block{index}"
            stride = 2 if stage and index == 1 else 1
            shortcut = x
            if index == 1:
                shortcut = layers.Conv2D(4 * u, 1, strides=stride, name=f"{name}_0_conv")(x)
                shortcut = normalized(shortcut, f"{name}_0")
            y = normalized(layers.Conv2D(u, 1, strides=stride, name=f"{name}_1_conv")(x), f"{name}_1")
            y = layers.Activation("relu", name=f"{name}_1_relu")(y)
            y = normalized(layers.Conv2D(u, 3, padding="same", name=f"{name}_2_conv")(y), f"{name}_2")
            y = layers.Activation("relu", name=f"{name}_2_relu")(y)
            y = normalized(layers.Conv2D(4 * u, 1, name=f"{name}_3_conv")(y), f"{name}_3")
            x = layers.Add(name=f"{name}_add")([shortcut, y])
            x = layers.Activation("relu", name=f"{name}_out")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return k.Model(inputs, layers.Dense(K, activation="softmax", name="predictions")(x))


def keras_counts(model: Any) -> dict[str, int]:
    trainable = sum(math.prod(variable.shape) for variable in model.trainable_weights)
    total = model.count_params()
    return {"total": total, "trainable": trainable, "non_trainable": total - trainable}


def check_keras(model: Model, twin: Any) -> None:
    """Totals, every named layer, the blocks after each stage's first, and each stage."""
    counts = model.counts()
    assert {key: counts[key] for key in ("total", "trainable", "non_trainable")} == keras_counts(twin)
    theirs = {layer.name: layer.count_params() for layer in twin.layers}
    for row in model.rows:
        if row.name.endswith("_rest"):
            stage = row.name.removesuffix("_rest")
            expected = sum(
                n for name, n in theirs.items() if name.startswith(f"{stage}_") and "_block1_" not in name
            )
        else:
            expected = theirs[row.name]
        assert int(row.params) == expected, row.name
    for stage in range(1, 6):
        prefix = f"conv{stage}_"
        assert spec_parts(model, prefix)[0] == sum(n for name, n in theirs.items() if name.startswith(prefix))


@pytest.mark.frameworks
def test_resnet50_keras_equals_keras_applications() -> None:
    app = keras().applications.ResNet50(weights=None)
    twin = keras_resnet50_twin(64, [3, 4, 6, 3], 1000, (224, 224, 3))
    assert [layer.name for layer in twin.layers[1:]] == [layer.name for layer in app.layers[1:]]
    assert keras_counts(twin) == keras_counts(app)
    assert keras_counts(app) == {"total": 25_636_712, "trainable": 25_583_592, "non_trainable": 53_120}
    check_keras(build("resnet-50-keras"), app)


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("overrides", "application"),
    [
        ({"n3": 23}, "ResNet101"),
        ({"H": 160, "W": 96, "K": 10}, "ResNet50"),
    ],
)
def test_resnet50_keras_other_depths_and_sizes(overrides: dict[str, int], application: str) -> None:
    values = sizes("resnet-50-keras", overrides)
    app = getattr(keras().applications, application)(
        weights=None, input_shape=(values["H"], values["W"], values["C"]), classes=values["K"]
    )
    check_keras(build("resnet-50-keras", overrides), app)


@pytest.mark.frameworks
@pytest.mark.parametrize(
    "overrides",
    [
        {"w": 8, "n1": 2, "n2": 3, "n3": 2, "n4": 2, "K": 10, "C": 1, "H": 64, "W": 64},
        {"w": 4, "n1": 4, "n2": 2, "n3": 3, "n4": 2, "K": 3, "H": 45, "W": 33},
    ],
)
def test_resnet50_keras_other_widths(overrides: dict[str, int]) -> None:
    values = sizes("resnet-50-keras", overrides)
    stage_depths = [values[f"n{stage}"] for stage in range(1, 5)]
    shape = (values["H"], values["W"], values["C"])
    twin = keras_resnet50_twin(values["w"], stage_depths, values["K"], shape)
    check_keras(build("resnet-50-keras", overrides), twin)
