"""Zoo: MobileNetV2 and ViT-B/16 as torchvision builds them, and the ClassToken layer ViT needs.

Each spec is checked against its published count and against a PyTorch twin written here from the
published architecture (torchvision itself is not a dependency): at the defaults, at other sizes,
stage by stage, and in the shape of its formula. Large twins are built on the meta device, which
makes parameters without memory.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cache
from typing import Any

import pytest
import sympy

from symcount import (
    ClassToken,
    Input,
    Model,
    PositionEmbedding,
    Sequential,
    ShapeError,
    symbols,
)
from symcount.layers import Repeat
from symcount.spec import build, load_spec, parse_spec
from symcount.values import as_expr
from tests.frameworks import torch, torch_counts

# ClassToken


def test_class_token_prepends_one_learned_vector() -> None:
    T, d = symbols("T d")
    model = Sequential(Input(T, d), ClassToken(), PositionEmbedding(T + 1))
    token = model.rows[0]
    assert token.output_shape == (T + 1, d)
    assert [(w.name, w.shape, w.kind) for w in token.weights] == [("class_token", (1, d), "trainable")]
    assert model.params == d + (T + 1) * d
    assert Sequential(Input(T, d), ClassToken(trainable=False)).non_trainable == d


def test_class_token_needs_a_sequence_of_vectors() -> None:
    H, W, C = symbols("H W C")
    with pytest.raises(ShapeError, match=r"ClassToken expects an input with 2 axes .* \(H, W, C\)"):
        Sequential(Input(H, W, C), ClassToken())


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_class_token_spec_key(framework: str) -> None:
    spec = parse_spec(
        {
            "input": ["T", "d"],
            "framework": framework,
            "layers": ["class_token", {"position_embedding": {"sequence_length": "T + 1"}}],
        }
    )
    T, d = symbols("T d")
    assert spec.model().params == d + (T + 1) * d
    assert spec.model().rows[0].name == "class_token"


@pytest.mark.frameworks
@pytest.mark.parametrize(("length", "width"), [(1, 1), (5, 3), (196, 8)])
def test_class_token_equals_torch(length: int, width: int) -> None:
    t = torch()
    token = t.nn.Parameter(t.zeros(1, 1, width))  # torchvision's VisionTransformer.class_token
    tokens = t.zeros(2, length, width)
    joined = t.cat([token.expand(2, -1, -1), tokens], dim=1)
    model = Sequential(Input(length, width), ClassToken(), framework="torch")
    assert model.count() == token.numel() == width
    assert model.output_shape == tuple(joined.shape[1:])


# MobileNetV2 (torchvision's mobilenet_v2)

# torchvision's inverted_residual_setting: expansion t, width c, blocks n, first stride s.
MOBILENET_STAGES = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
MOBILENET_V2 = 3_504_872  # torchvision's MobileNet_V2_Weights.IMAGENET1K_V1 num_params


def make_divisible(value: float, divisor: int = 8) -> int:
    """torchvision's `_make_divisible`, in floats as it runs: the nearest multiple of `divisor`, at
    least `divisor`, and one step up if rounding lost more than 10%."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def mobilenet_v2_twin(
    width: float = 1.0,
    classes: int = 1000,
    expansion: int = 6,
    depths: tuple[int, ...] = (2, 3, 4, 3, 3),
    meta: bool = True,
) -> Any:
    """MobileNetV2 as torchvision writes it: `features` (stem, 17 blocks, 1x1 head convolution) and
    `classifier` (dropout, linear). `depths` are stages 2 to 6's block counts, `expansion` their t."""
    t = torch()
    nn = t.nn

    def conv_bn(
        inputs: int, outputs: int, kernel: int = 1, stride: int = 1, groups: int = 1, relu: bool = True
    ):
        layers = [
            nn.Conv2d(inputs, outputs, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(outputs),
        ]
        return [*layers, nn.ReLU6()] if relu else layers

    class InvertedResidual(nn.Module):
        def __init__(self, inputs: int, outputs: int, stride: int, ratio: int) -> None:
            super().__init__()
            hidden = round(inputs * ratio)  # torchvision: int(round(inp * t))
            layers = conv_bn(inputs, hidden) if ratio != 1 else []
            layers += conv_bn(hidden, hidden, 3, stride, groups=hidden) + conv_bn(hidden, outputs, relu=False)
            self.conv = nn.Sequential(*layers)
            self.residual = stride == 1 and inputs == outputs

        def forward(self, x: Any) -> Any:
            return x + self.conv(x) if self.residual else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            channels = make_divisible(32 * width)
            last = make_divisible(1280 * max(1.0, width))
            features = [nn.Sequential(*conv_bn(3, channels, 3, 2))]
            stages = [
                (1, 16, 1, 1),
                *((expansion, c, n, s) for (_, c, _, s), n in zip(MOBILENET_STAGES[1:6], depths)),
            ]
            for ratio, base, blocks, first_stride in [*stages, (expansion, 320, 1, 1)]:
                out = make_divisible(base * width)
                for i in range(blocks):
                    features.append(InvertedResidual(channels, out, first_stride if i == 0 else 1, ratio))
                    channels = out
            features.append(nn.Sequential(*conv_bn(channels, last)))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, classes))

        def forward(self, x: Any) -> Any:
            return self.classifier(self.features(x).mean((2, 3)))

    if not meta:
        return MobileNetV2()
    with t.device("meta"):
        return MobileNetV2()


@cache
def mobilenet(**values: Any) -> Model:
    """The mobilenet-v2 example with its values, some overridden as `--set` would."""
    return build("mobilenet-v2", values)


def twin_counts(module: Any) -> dict[str, int]:
    counts = torch_counts(module)
    return {key: counts[key] for key in ("total", "trainable", "non_trainable", "buffers")}


@pytest.mark.frameworks
def test_mobilenet_v2_defaults_equal_the_published_count_and_the_twin() -> None:
    counts = mobilenet().counts()
    assert counts["total"] == MOBILENET_V2
    assert counts == twin_counts(mobilenet_v2_twin())


@pytest.mark.frameworks
@pytest.mark.parametrize("percent", [75, 50, 140, 35])
def test_mobilenet_v2_width_multipliers_equal_the_twin(percent: int) -> None:
    # 75 and 35 make torchvision's 10% correction fire (alpha 0.75: 24 * 0.75 = 18 rounds to 16,
    # under 90% of 18, so 24); 140 widens the last convolution too (1280 * 1.4 = 1792).
    assert mobilenet(a=percent).counts() == twin_counts(mobilenet_v2_twin(width=percent / 100))


@pytest.mark.frameworks
def test_mobilenet_v2_depths_expansion_and_classes_equal_the_twin() -> None:
    depths = (3, 2, 5, 2, 4)
    model = mobilenet(a=50, t=4, K=10, **{f"n{i}": n for i, n in zip(range(2, 7), depths)})
    twin = mobilenet_v2_twin(width=0.5, classes=10, expansion=4, depths=depths)
    assert model.counts() == twin_counts(twin)


def test_mobilenet_v2_widths_are_torchvision_rounding_exactly() -> None:
    spec = load_spec("mobilenet-v2")
    a = symbols("a")[0]
    bases = {"c0": 32, **{f"c{i}": c for i, (_, c, _, _) in enumerate(MOBILENET_STAGES, start=1)}}
    widths = {name: as_expr(spec.values[name]) for name in (*bases, "c8")}
    for percent in range(1, 301):
        got = {name: int(expr.xreplace({a: percent})) for name, expr in widths.items()}
        expected = {name: make_divisible(base * (percent / 100)) for name, base in bases.items()}
        expected["c8"] = make_divisible(1280 * max(1.0, percent / 100))
        assert got == expected, f"alpha = {percent / 100}"


@pytest.mark.frameworks
def test_mobilenet_v2_stages_equal_the_twins_submodules() -> None:
    model, twin = mobilenet(), mobilenet_v2_twin()

    def stage(prefix: str) -> int:
        return int(sum(row.params for row in model.rows if row.name.startswith(prefix)))

    def twin_params(*modules: Any) -> int:
        return sum(p.numel() for module in modules for p in module.parameters())

    features = list(twin.features)
    # features: 0 stem, 1 stage 1, 2-3 stage 2, 4-6 stage 3, 7-10 stage 4, 11-13, 14-16, 17, 18 head.
    assert stage("stem_") == twin_params(features[0]) == 928
    assert stage("stage1_") == twin_params(features[1])
    assert stage("stage4_") == twin_params(*features[7:11])
    assert stage("stage6_") == twin_params(*features[14:17])
    assert stage("stage7_") == twin_params(features[17])
    assert stage("head_") == twin_params(features[18])
    assert stage("classifier") == twin_params(twin.classifier) == 1_281_000
    rest = next(row for row in model.rows if row.name == "stage4_rest")
    assert isinstance(rest.layer, Repeat)
    one_block = sum(row.params for row in rest.layer.block_rows(rest.input_shape, "torch"))
    assert one_block == twin_params(features[8]) and rest.params == 3 * one_block


@pytest.mark.frameworks
def test_mobilenet_v2_runs_to_the_classes() -> None:
    t = torch()
    twin = mobilenet_v2_twin(width=0.5, classes=7, meta=False)
    seen: list[tuple[int, ...]] = []  # each of the 19 features' outputs, batch excluded
    for feature in twin.features:
        feature.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape[1:])))
    counts = torch_counts(twin, t.zeros(1, 3, 64, 64))
    model = mobilenet(a=50, K=7, H=64, W=64)
    assert counts["output_shape"] == model.output_shape == (7,)
    assert model.count() == counts["total"]
    # The spec reads PyTorch's (C, H, W): the stem, the last block and the head convolution give
    # the maps the module's features 0, 17 and 18 give.
    rows = {row.name: tuple(int(d) for d in row.output_shape) for row in model.rows}
    assert [rows["stem_bn"], rows["stage7_project_bn"], rows["head_bn"]] == [seen[0], seen[17], seen[18]]
    assert seen[0] == (16, 32, 32)  # 32 * 0.5 channels, 64 / 2 per side


def test_mobilenet_v2_formula_shape() -> None:
    params = sympy.expand(load_spec("mobilenet-v2").model().params)
    names = {s.name for s in params.free_symbols}
    assert names == {"C", "K", "t", *(f"c{i}" for i in range(9)), *(f"n{i}" for i in range(2, 7))}
    widths = symbols(" ".join(f"c{i}" for i in range(9)))
    assert sympy.Poly(params, *widths).total_degree() == 2  # quadratic in the widths
    t, K, c4, n4 = symbols("t K c4 n4")
    assert all(sympy.degree(params, s) == 1 for s in (t, K, *symbols("n2 n3 n4 n5 n6")))
    # One more residual block of width c: expand t*c^2, depthwise 9*t*c, project t*c^2, and three
    # BatchNorms 2*t*c + 2*t*c + 2*c.
    assert sympy.diff(params, n4) == 2 * t * c4**2 + 13 * t * c4 + 2 * c4


def test_mobilenet_v2_a_stage_of_one_block() -> None:
    # n2 = 1 repeats the residual block 0 times: the total is linear in n2 down to 1.
    counts = [build("mobilenet-v2", {"n2": n}).count() for n in (1, 2, 3)]
    assert counts[1] - counts[0] == counts[2] - counts[1] == 2 * 6 * 24**2 + 13 * 6 * 24 + 2 * 24


# ViT-B/16 (torchvision's vit_b_16)

# torchvision's published num_params: (image size, patch, layers, heads, width, MLP) -> count.
VIT_PUBLISHED = [
    ((224, 16, 12, 12, 768, 3072), 86_567_656),  # vit_b_16
    ((384, 16, 12, 12, 768, 3072), 86_859_496),  # vit_b_16 SWAG end-to-end, 384x384
    ((224, 32, 12, 12, 768, 3072), 88_224_232),  # vit_b_32
    ((224, 16, 24, 16, 1024, 4096), 304_326_632),  # vit_l_16
]


def vit_twin(
    image: int = 224,
    patch: int = 16,
    layers: int = 12,
    heads: int = 12,
    width: int = 768,
    mlp: int = 3072,
    classes: int = 1000,
    meta: bool = True,
) -> Any:
    """torchvision's VisionTransformer: conv_proj, class_token, encoder (pos_embedding, pre-norm
    blocks, ln) and heads.head."""
    t = torch()
    nn = t.nn

    class EncoderBlock(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(width, eps=1e-6)
            self.self_attention = nn.MultiheadAttention(width, heads, batch_first=True)
            self.ln_2 = nn.LayerNorm(width, eps=1e-6)
            self.mlp = nn.Sequential(nn.Linear(width, mlp), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp, width))

        def forward(self, x: Any) -> Any:
            y = self.ln_1(x)
            y, _ = self.self_attention(y, y, y, need_weights=False)
            x = x + y
            return x + self.mlp(self.ln_2(x))

    class Encoder(nn.Module):
        def __init__(self, length: int) -> None:
            super().__init__()
            self.pos_embedding = nn.Parameter(t.zeros(1, length, width))
            self.layers = nn.Sequential(*(EncoderBlock() for _ in range(layers)))
            self.ln = nn.LayerNorm(width, eps=1e-6)

        def forward(self, x: Any) -> Any:
            return self.ln(self.layers(x + self.pos_embedding))

    class VisionTransformer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv_proj = nn.Conv2d(3, width, kernel_size=patch, stride=patch)
            self.class_token = nn.Parameter(t.zeros(1, 1, width))
            self.encoder = Encoder((image // patch) ** 2 + 1)
            self.heads = nn.Sequential(OrderedDict(head=nn.Linear(width, classes)))

        def forward(self, x: Any) -> Any:
            x = self.conv_proj(x).flatten(2).transpose(1, 2)  # (n, patches, width)
            x = t.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
            return self.heads(self.encoder(x)[:, 0])

    if not meta:
        return VisionTransformer()
    with t.device("meta"):
        return VisionTransformer()


@cache
def vit(**values: Any) -> Model:
    return build("vit-b16", values)


@pytest.mark.frameworks
def test_vit_b16_defaults_equal_the_published_count_and_the_twin() -> None:
    counts = vit().counts()
    assert counts["total"] == 86_567_656
    assert counts == twin_counts(vit_twin())


@pytest.mark.frameworks
@pytest.mark.parametrize(("sizes", "published"), VIT_PUBLISHED)
def test_vit_published_sizes_equal_the_twin(sizes: tuple[int, ...], published: int) -> None:
    image, patch, layers, heads, width, mlp = sizes
    model = vit(S=image, P=patch, L=layers, h=heads, d=width, m=mlp)
    assert model.count() == published == twin_counts(vit_twin(*sizes))["total"]


@pytest.mark.frameworks
def test_small_vit_runs_to_the_classes() -> None:
    t = torch()
    twin = vit_twin(image=32, patch=8, layers=3, heads=4, width=64, mlp=96, classes=10, meta=False)
    seen: dict[str, tuple[int, ...]] = {}
    for path in ("conv_proj", "encoder.ln"):
        twin.get_submodule(path).register_forward_hook(
            lambda m, i, o, path=path: seen.update({path: tuple(o.shape[1:])})
        )
    counts = torch_counts(twin, t.zeros(2, 3, 32, 32))
    model = vit(S=32, P=8, L=3, h=4, d=64, m=96, K=10)
    # The spec reads PyTorch's (C, H, W): the patch grid is (d, S/P, S/P), the encoder's output
    # (patches + 1, d), as in the module.
    rows = {row.name: tuple(int(d) for d in row.output_shape) for row in model.rows}
    assert (
        (rows["conv_proj"], rows["ln"]) == (seen["conv_proj"], seen["encoder.ln"]) == ((64, 4, 4), (17, 64))
    )
    assert counts["output_shape"] == model.output_shape == (10,)
    assert model.counts() == {key: counts[key] for key in ("total", "trainable", "non_trainable", "buffers")}


@pytest.mark.frameworks
def test_vit_b16_parts_equal_the_twins_submodules() -> None:
    model, twin = vit(), vit_twin()
    rows = {row.name: row for row in model.rows}

    def twin_params(module: Any) -> int:
        return sum(p.numel() for p in module.parameters())

    assert rows["conv_proj"].params == twin_params(twin.conv_proj) == 590_592
    assert rows["class_token"].params == twin.class_token.numel() == 768
    assert rows["pos_embedding"].params == twin.encoder.pos_embedding.numel() == 197 * 768
    assert rows["encoder"].params == twin_params(twin.encoder.layers)
    assert rows["ln"].params == twin_params(twin.encoder.ln)
    assert rows["head"].params == twin_params(twin.heads) == 769_000
    encoder = rows["encoder"]
    block = {row.name: row.params for row in encoder.layer.block_rows(encoder.input_shape, "torch")}
    first = twin.encoder.layers[0]
    assert sum(block.values()) == twin_params(first) == 7_087_872
    assert block["self_attention"] == twin_params(first.self_attention) == 4 * 768**2 + 4 * 768
    assert block["mlp_1"] + block["mlp_2"] == twin_params(first.mlp)


def test_vit_formula_shape() -> None:
    params = sympy.expand(load_spec("vit-b16").model().params)
    C, K, L, P, S, d, m = symbols("C K L P S d m")
    patches = sympy.floor(S / P) ** 2
    block = (4 * d**2 + 4 * d) + 2 * (2 * d) + (d * m + m) + (m * d + d)  # attention, 2 norms, MLP
    expected = (C * P**2 * d + d) + d + (patches + 1) * d + L * block + 2 * d + (K * d + K)
    assert sympy.expand(params - expected) == 0
    assert sympy.degree(params, d) == 2 and sympy.degree(params, L) == 1
    assert sympy.diff(params, L).subs(m, 4 * d) == 12 * d**2 + 13 * d  # a block at MLP ratio 4
    assert "h" not in {s.name for s in params.free_symbols}  # PyTorch's heads cost nothing extra
