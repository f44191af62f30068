"""The kit around imports: `infer` says when the sizes it may draw cannot pin down the degree
asked, and `assert_matches` names the first differing layer by module path on a Hugging Face
model and skips the draws the factory itself refuses (up to a bound). Real models, on meta."""

from __future__ import annotations

from typing import Any

import pytest

from symcount.errors import SpecError
from symcount.inference import InferenceError, infer
from symcount.testing import assert_matches
from tests.frameworks import torch

pytestmark = pytest.mark.frameworks


def wide(d: int, h: int) -> Any:
    """(d*h)**2 + 2*d*h + 1 parameters: a true degree-4 count."""
    from torch import nn

    return nn.Sequential(nn.Linear(d * h, d * h), nn.Linear(d * h, 1))


def test_infer_says_the_points_are_too_few_for_the_degree_and_suggests_sizes() -> None:
    """At d=64, h=4, the draws keep h | d with d/h a multiple of 16 among 4 values: every point
    lies on one of 4 lines d = c*h, so (d - 16h)(d - 32h)(d - 48h)(d - 64h), of degree 4, vanishes
    on all of them and no degree-4 fit is determined. The sizes suggested draw freely, and fit."""
    torch()
    with pytest.raises(InferenceError) as error:
        infer(wide, d=64, h=4)
    message = str(error.value)
    assert "too few for a polynomial of degree 4 in d, h: keeping h | d" in message
    assert message.endswith("e.g. d=64, h=5")
    d, h = (pytest.importorskip("sympy").Symbol(n, positive=True, integer=True) for n in "dh")
    assert infer(wide, d=64, h=5).total == d**2 * h**2 + 2 * d * h + 1


def llama(d: int, h: int, L: int, f: int, V: int) -> Any:
    """A Llama from its config; like any RoPE model, it needs an even head width (the rotation
    turns pairs of features), which this factory checks at build as a user's factory would."""
    from transformers import LlamaConfig, LlamaForCausalLM

    if (d // h) % 2:
        raise ValueError(f"RoPE needs an even head width. Received: d/h = {d}/{h}")
    config = LlamaConfig(
        hidden_size=d, num_attention_heads=h, num_key_value_heads=h, num_hidden_layers=L, intermediate_size=f,
        vocab_size=V, max_position_embeddings=64, bos_token_id=None, eos_token_id=None,
    )  # fmt: skip
    return LlamaForCausalLM(config)


def llama_spec(norm: dict[str, Any]) -> dict[str, Any]:
    """Llama written as `symcount import` writes it: entries named after their module paths
    (`model.layers` -> `model_layers`), `norm` the final norm's arguments."""
    block = [
        {"layer_normalization": {"center": False}, "name": "input_layernorm"},
        {"multi_head_attention": {"num_heads": "h", "use_bias": False}, "name": "self_attn"},
        {"layer_normalization": {"center": False}, "name": "post_attention_layernorm"},
        {"dense": {"units": "f", "use_bias": False}, "name": "gate_proj"},
        {
            "dense": {"units": "f", "use_bias": False},
            "name": "up_proj",
            "inputs": ["post_attention_layernorm"],
        },
        {"multiply": {}, "inputs": ["gate_proj", "up_proj"]},
        {"dense": {"units": "d", "use_bias": False}, "name": "down_proj"},
    ]
    return {
        "framework": "torch",
        "input": ["T"],
        "values": {"d": 64, "h": 4, "L": 2, "f": 176, "V": 1000, "T": 8},
        "layers": [
            {"embedding": {"input_dim": "V", "output_dim": "d"}, "name": "model_embed_tokens"},
            {"repeat": {"times": "L", "block": "model_layers"}, "name": "model_layers"},
            {"layer_normalization": norm, "name": "model_norm"},
            {"dense": {"units": "V", "use_bias": False}, "name": "lm_head"},
        ],
        "blocks": {"model_layers": block},
    }


def hugging_face() -> None:
    torch()
    pytest.importorskip("transformers")


def test_assert_matches_pairs_layers_with_modules_by_path() -> None:
    """Top-level, Llama is `model` and `lm_head`; the spec's `model_norm` is `model.norm`."""
    hugging_face()
    wrong = llama_spec({"center": True})  # PyTorch's RMSNorm has no bias: d parameters, not 2d
    with pytest.raises(AssertionError) as error:
        assert_matches(wrong, llama, examples=2, d=32, h=4, L=2, f=32, V=64, T=8)
    assert "first layer that differs: 'model_norm' has " in str(error.value)
    assert "in torch's 'model.norm'" in str(error.value)


def test_assert_matches_skips_the_sizes_the_factory_refuses() -> None:
    """Draws keep h | d, not d/h even: Llama refuses some; they are skipped, the others match."""
    hugging_face()
    calls: list[int] = []

    def counted(d: int, h: int, L: int, f: int, V: int) -> Any:
        calls.append((d // h) % 2)
        return llama(d, h, L, f, V)

    assert_matches(llama_spec({"center": False}), counted, examples=6, d=48, h=4, L=2, f=32, V=64, T=8)
    assert 0 in calls and 1 in calls  # some drawn sizes built and matched, some were refused


def test_assert_matches_stops_after_too_many_refusals() -> None:
    torch()

    def refuses(d: int) -> Any:
        raise ValueError("this factory builds nothing")

    spec = {"framework": "torch", "input": ["d"], "values": {"d": 8}, "layers": [{"dense": 1}]}
    with pytest.raises(
        SpecError,
        match=r"the factory refused (\d+) of \1 drawn sizes \(more than 6 are not skipped\), e.g. d=\d+: ValueError: this factory builds nothing",
    ):
        assert_matches(spec, refuses, examples=3)
