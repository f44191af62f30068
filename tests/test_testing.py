"""The testing kit: `values` draws sizes every spec builds with; `assert_matches` passes on the
zoo's hand-written PyTorch twins and fails, naming the sizes and the layer, on a wrong factory."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from symcount import SpecError
from symcount.spec import load_spec
from symcount.testing import _plan, assert_matches, values
from tests.frameworks import keras, torch
from tests.test_zoo_cnn import lenet_twin, resnet_twin, vgg_twin
from tests.test_zoo_mobile_vit import vit_twin
from tests.test_zoo_transformers import bert_twin, gpt2_twin


@settings(max_examples=40)
@given(values("vit-b16"))
def test_drawn_values_build_and_keep_the_rules(point: dict[str, int]) -> None:
    # ViT: patches tile the image (P | S at the defaults 16 | 224), heads divide the width.
    assert point["S"] % point["P"] == 0 and point["d"] % point["h"] == 0
    assert _plan(load_spec("vit-b16"), {}).valued(point) is not None
    assert set(point) == {"C", "K", "L", "P", "S", "d", "h", "m"}


@settings(max_examples=40)
@given(values("lenet-5", k=(3, 7), H=64))
def test_input_sizes_start_where_the_shapes_stay_positive(point: dict[str, int]) -> None:
    # Two valid k x k convolutions, each followed by 2x2 pooling: the side must reach 1 at the end.
    side = ((point["H"] - point["k"] + 1) // 2 - point["k"] + 1) // 2
    assert side >= 1 and 3 <= point["k"] <= 7 and point["H"] <= 64


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ({"q": 3}, "unknown size 'q' in the bounds; the spec's free sizes: C, H, K, W, d1, d2, f1, f2, k"),
        ({"ff1": 3}, "(did you mean 'f1'?)"),
        ({"k": (0, 3)}, "Received: k=(0, 3)"),
    ],
)
def test_bounds_are_checked(bounds: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as error:
        values("lenet-5", **bounds)
    assert message in str(error.value)


@pytest.mark.frameworks
def test_gpt2_twin_matches() -> None:
    torch()
    assert_matches("gpt2", lambda V, T, d, L, h: gpt2_twin(V, T, d, L, h), examples=15, V=500, T=64, L=4)


@pytest.mark.frameworks
def test_bert_twin_matches() -> None:
    torch()
    assert_matches("bert-base", bert_twin, examples=15, V=500, P=64, L=4)


@pytest.mark.frameworks
def test_lenet_twin_matches() -> None:
    torch()
    assert_matches("lenet-5", lenet_twin, examples=15)


@pytest.mark.frameworks
def test_vgg_twin_matches() -> None:
    torch()
    assert_matches("vgg-16", vgg_twin, examples=10, n1=3, n2=3, n3=3, n4=3, n5=3)


@pytest.mark.frameworks
def test_resnet_twins_match() -> None:
    torch()

    def resnet18(w: int, K: int, C: int, n1: int, n2: int, n3: int, n4: int) -> Any:
        return resnet_twin(False, [n1, n2, n3, n4], w, K, C)

    def resnet50(w: int, K: int, C: int, n1: int, n2: int, n3: int, n4: int) -> Any:
        return resnet_twin(True, [n1, n2, n3, n4], w, K, C)

    bounds = {"n1": 3, "n2": 3, "n3": 3, "n4": 3, "H": 64, "W": 64}
    assert_matches("resnet-18", resnet18, examples=10, **bounds)
    assert_matches("resnet-50", resnet50, examples=10, **bounds)


@pytest.mark.frameworks
def test_vit_twin_matches() -> None:
    torch()

    def vit(S: int, P: int, L: int, h: int, d: int, m: int, K: int, C: int) -> Any:
        return vit_twin(image=S, patch=P, layers=L, heads=h, width=d, mlp=m, classes=K)

    # torchvision's ViT reads 3 channels: the bound pins the spec's C there.
    assert_matches("vit-b16", vit, examples=10, C=(3, 3), L=3)


@pytest.mark.frameworks
def test_keras_model_matches_by_layer_names() -> None:
    k = keras()

    def mlp(d: int, h: int) -> Any:
        return k.Sequential([k.Input(shape=(d,)), k.layers.Dense(h), k.layers.Dense(h), k.layers.Dense(1)])

    spec = {
        "input": ["d"],
        "values": {"d": 8, "h": 16},
        "layers": [{"dense": "h"}, {"dense": "h"}, {"dense": 1}],
    }
    assert_matches(spec, mlp, framework="keras", examples=10)

    def wider(d: int, h: int) -> Any:  # the second layer one unit wider: it and the next differ
        return k.Sequential(
            [k.Input(shape=(d,)), k.layers.Dense(h), k.layers.Dense(h + 1), k.layers.Dense(1)]
        )

    with pytest.raises(AssertionError) as error:
        assert_matches(spec, wider, framework="keras", examples=10)
    # At d=1, h=1: the spec's dense_1 has h*h + h = 2, Keras' dense_1 (h+1)*h + h + 1 = 4; Keras
    # names its layers dense, dense_1, dense_2 as the spec does.
    assert "at d=1, h=1; first layer that differs: 'dense_1' has 2 parameters in the spec, 4 in keras" in str(
        error.value
    )


def test_assert_matches_checks_its_arguments() -> None:
    with pytest.raises(SpecError, match="framework must be 'torch' or 'keras'. Received: 'jax'"):
        assert_matches("gpt2", gpt2_twin, framework="jax")
    with pytest.raises(
        SpecError, match="compares params, trainable, non_trainable, buffers. Received: 'flops'"
    ):
        assert_matches("gpt2", gpt2_twin, costs=("flops",))


@pytest.mark.frameworks
def test_a_factory_needing_a_size_the_spec_lacks() -> None:
    torch()
    with pytest.raises(SpecError, match="the factory takes width, which the spec does not know"):
        assert_matches("gpt2", lambda width: None, examples=2)


def wrong_gpt2(V: int, T: int, d: int, L: int, h: int) -> Any:
    """GPT-2 with an MLP of 3*d, not 4*d: every block has 2*d**2 + d parameters too few."""
    nn = torch().nn
    twin = gpt2_twin(V, T, d, L, h)
    for block in twin.h:
        block.mlp.c_fc, block.mlp.c_proj = nn.Linear(d, 3 * d), nn.Linear(3 * d, d)
    return twin


@pytest.mark.frameworks
def test_a_wrong_factory_fails_naming_the_sizes_and_the_layer() -> None:
    torch()
    with pytest.raises(AssertionError) as error:
        assert_matches("gpt2", wrong_gpt2, examples=15, V=500, T=64, L=4)
    message = str(error.value)
    # Shrunk to the smallest sizes: one block, width 1 (h=1 divides it), one token, one position.
    assert "symcount's params" in message and "at L=1, T=1, V=1, d=1, h=1;" in message
    # The spec's `blocks` and the twin's `h` pair up by position; one block of width 1 has
    # 2*d**2 + d = 3 parameters fewer in the twin.
    assert (
        "first layer that differs: 'blocks' has 25 parameters in the spec, 22 in torch's 'h' (paired by position)"
        in message
    )
