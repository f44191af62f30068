"""The LLM zoo: Llama 2 7B, Mistral 7B, Mixtral 8x7B and T5-small, against Hugging Face transformers.

Each spec is checked at its published size (the Hugging Face model built from the same config on
the meta device: parameters without memory) and at small random sizes (several configs), and its
formula against the derivation in docs/transformers.md. The KV cache is measured from a real
forward pass of a small model: the keys and values Hugging Face keeps.
"""

from __future__ import annotations

import importlib
import random
from typing import Any

import pytest
import sympy
from click.testing import CliRunner

from symcount import Input, MultiHeadAttention, Sequential, build, symbols
from symcount.cli import main
from symcount.costs import Convention, total_cost
from symcount.spec import load_spec
from tests.frameworks import torch

d, L, f, V, h, kv, T, E, topk = symbols("d L f V h kv T E topk")

PUBLISHED = {"llama2-7b": 6_738_415_616, "mistral-7b": 7_241_732_096, "mixtral-8x7b": 46_702_792_704}
MIXTRAL_ACTIVE = 12_879_925_248


def symbolic(name: str) -> Any:
    return load_spec(name).model()


def test_published_totals_at_the_defaults() -> None:
    for name, total in PUBLISHED.items():
        assert build(name).params == total, name
    assert total_cost(build("mixtral-8x7b"), "active_params") == MIXTRAL_ACTIVE


def test_llama_formula() -> None:
    # Per layer: attention q and o (d x h*d/h each = d^2), k and v (d x kv*d/h each), the SwiGLU
    # MLP 3*d*f, two RMSNorms 2*d; then embedding and untied head V*d each, the final norm d.
    params = symbolic("llama2-7b").params
    expected = L * (2 * d**2 + 2 * d * kv * d / h + 3 * d * f + 2 * d) + 2 * V * d + d
    assert sympy.expand(params - expected) == 0
    # Without grouping (kv = h): the d*(4*L*d + 3*L*f + 2*L + 2*V + 1).
    assert sympy.expand(params.subs(kv, h) - d * (4 * L * d + 3 * L * f + 2 * L + 2 * V + 1)) == 0
    # What grouping removes: k and v shrink from d^2 to d^2*kv/h each, per layer.
    assert sympy.expand(params.subs(kv, h) - params - 2 * L * d**2 * (1 - kv / h)) == 0
    # Mistral is the same formula (only the defaults differ): 805,306,368 fewer than with kv = h.
    mistral = symbolic("mistral-7b").params
    assert sympy.expand(mistral - params) == 0
    defaults = {s: load_spec("mistral-7b").values[s.name] for s in (d, L, f, V, h, kv)}
    assert mistral.subs(defaults) == PUBLISHED["mistral-7b"]
    assert mistral.subs({**defaults, kv: 32}) - mistral.subs(defaults) == 805_306_368


def test_mixtral_formula_total_and_active() -> None:
    model = symbolic("mixtral-8x7b")
    attention = 2 * d**2 + 2 * d * kv * d / h
    total = L * (attention + 2 * d + E * d + E * 3 * d * f) + 2 * V * d + d
    assert sympy.expand(model.params - total) == 0
    # Active: every parameter but the E - topk idle experts of each layer.
    active = total_cost(model, "active_params")
    assert sympy.expand(active - (total - L * (E - topk) * 3 * d * f)) == 0


def test_kv_cache_follows_key_value_heads() -> None:
    # 2 (keys and values) x L layers x kv heads x d/h numbers x T tokens x 2 bytes (float16); a
    # sliding window of W keeps W - 1 tokens at most.
    fp16 = Convention(dtype="float16")
    cache = total_cost(symbolic("llama2-7b"), "kv_cache", fp16)
    assert sympy.expand(cache - 2 * L * kv * (d / h) * T * 2) == 0
    (W,) = symbols("W")
    mistral = total_cost(symbolic("mistral-7b"), "kv_cache", fp16)
    assert sympy.expand(mistral - 2 * L * kv * (d / h) * sympy.Min(T, W - 1) * 2) == 0
    runner = CliRunner()
    for name, expected in (("llama2-7b", 524_288), ("mistral-7b", 131_072), ("mixtral-8x7b", 131_072)):
        result = runner.invoke(
            main, ["count", name, "--cost", "kv-cache", "--dtype", "float16", "--set", "T=1"]
        )
        assert result.exit_code == 0 and f"{name}: {expected:,} KV-cache bytes" in result.output
    assert 4 * 131_072 == 524_288  # Mistral's 8 key/value heads are a quarter of Llama's 32


# --- Hugging Face -------------------------------------------------------------------------------


def hugging_face(kind: str, **config: Any) -> Any:
    """`{kind}ForCausalLM` from a config, on the meta device (no memory, no download)."""
    t = torch()
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    settings = getattr(transformers, f"{kind}Config")(**config)
    with t.device("meta"):
        return getattr(transformers, f"{kind}ForCausalLM")(settings)


def config_of(name: str, values: dict[str, int]) -> tuple[str, dict[str, Any]]:
    """The Hugging Face class and config for symcount's values of a spec."""
    config = {
        "hidden_size": values["d"], "num_hidden_layers": values["L"], "intermediate_size": values["f"],
        "vocab_size": values["V"], "num_attention_heads": values["h"], "num_key_value_heads": values["kv"],
        "tie_word_embeddings": False,
    }  # fmt: skip
    if name == "mixtral-8x7b":
        config |= {"num_local_experts": values["E"], "num_experts_per_tok": values["topk"]}
    if name == "mistral-7b":
        config["sliding_window"] = values.get("W", 4096)  # Mistral's, and MistralConfig's default
    return {"llama2-7b": "Llama", "mistral-7b": "Mistral", "mixtral-8x7b": "Mixtral"}[name], config


def total(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_sizes_match_hugging_face(name: str) -> None:
    values = {key: int(value) for key, value in load_spec(name).values.items()}
    kind, config = config_of(name, values)
    model = hugging_face(kind, **config, max_position_embeddings=values["T"])
    assert total(model) == build(name).params == PUBLISHED[name]
    if name == "mixtral-8x7b":
        # The experts' parameters are Hugging Face's fused gate_up_proj and down_proj tensors.
        experts = sum(p.numel() for n, p in model.named_parameters() if ".experts." in n)
        layers, count, top = values["L"], values["E"], values["topk"]
        assert total(model) - experts + experts // count * top == MIXTRAL_ACTIVE
        assert layers * count * 3 * values["d"] * values["f"] == experts


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(PUBLISHED))
@pytest.mark.parametrize("seed", range(4))
def test_small_random_sizes_match_hugging_face(name: str, seed: int) -> None:
    rng = random.Random(seed)
    kv_heads = rng.choice([1, 2, 3])
    heads = kv_heads * rng.choice([1, 2, 4])
    values = {
        "d": heads * rng.choice([2, 4, 6]), "L": rng.randint(1, 3), "f": rng.randint(1, 40),
        "V": rng.randint(2, 300), "h": heads, "kv": kv_heads, "T": rng.randint(1, 16),
    }  # fmt: skip
    if name == "mixtral-8x7b":
        values["E"] = rng.randint(1, 6)
        values["topk"] = rng.randint(1, values["E"])
    kind, config = config_of(name, values)
    ours = build(name, values)
    theirs = hugging_face(kind, **config)
    assert ours.params == total(theirs)
    # The rotary embedding's frequency tables (inv_freq, original_inv_freq): buffers, not weights.
    assert ours.buffers == sum(b.numel() for b in theirs.buffers()) > 0
    if name == "mixtral-8x7b":
        experts = sum(p.numel() for n, p in theirs.named_parameters() if ".experts." in n)
        active = total(theirs) - experts + experts // values["E"] * values["topk"]
        assert total_cost(ours, "active_params") == active


@pytest.mark.frameworks
@pytest.mark.parametrize(
    ("name", "tokens", "window"),
    [("llama2-7b", 1, None), ("llama2-7b", 7, None), ("mistral-7b", 5, 16), ("mistral-7b", 10, 4), ("mistral-7b", 3, 4),
     ("mixtral-8x7b", 3, None)],
)  # fmt: skip
def test_kv_cache_matches_a_hugging_face_forward_pass(name: str, tokens: int, window: Any) -> None:
    # A small model run for real: the keys and values its cache holds, 2 bytes each in float16.
    # Mistral's sliding window of W keeps W - 1 tokens at most: 3 of 10 with W = 4.
    t = torch()
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    # f = 12: the grouped expert kernel wants rows of a multiple of 16 bytes (12 float32s).
    values = {"d": 24, "L": 2, "f": 12, "V": 50, "h": 6, "kv": 2, "T": tokens}
    if name == "mixtral-8x7b":
        values |= {"E": 3, "topk": 2}
    if window is not None:
        values["W"] = window
    kind, config = config_of(name, values)
    model = getattr(transformers, f"{kind}ForCausalLM")(
        getattr(transformers, f"{kind}Config")(**config)
    ).eval()
    with t.no_grad():
        output = model(input_ids=t.zeros((1, tokens), dtype=t.long), use_cache=True)
    cache = getattr(output, "cache", None) or output.past_key_values
    measured = sum(2 * (layer.keys.numel() + layer.values.numel()) for layer in cache.layers)
    assert total_cost(build(name, values), "kv_cache", Convention(dtype="float16")) == measured


# --- T5 -----------------------------------------------------------------------------------------

T5_SMALL = 60_506_624


def test_t5_formula() -> None:
    # One shared embedding V*d; an encoder block: self-attention 4*d*h*dkv (q, k, v, o, no
    # biases), feed-forward 2*d*f, two RMS norms 2d; a decoder block adds cross-attention 4*d*h*dkv
    # and a third norm; each stack's first block has a (B, h) relative bias; two final norms.
    Le, Ld, dkv, B = symbols("Le Ld dkv B")
    expected = V * d + Le * (4 * d * h * dkv + 2 * d * f + 2 * d) + Ld * (8 * d * h * dkv + 2 * d * f + 3 * d)
    expected += 2 * B * h + 2 * d
    assert sympy.expand(symbolic("t5-small").params - expected) == 0
    assert build("t5-small").params == T5_SMALL


def t5_values(name_values: dict[str, int]) -> dict[str, Any]:
    keys = {"V": "vocab_size", "d": "d_model", "dkv": "d_kv", "h": "num_heads", "f": "d_ff", "Le": "num_layers",
            "Ld": "num_decoder_layers", "B": "relative_attention_num_buckets"}  # fmt: skip
    return {keys[name]: value for name, value in name_values.items() if name in keys}


@pytest.mark.frameworks
@pytest.mark.parametrize(
    "values",
    [
        {"V": 32128, "d": 512, "dkv": 64, "h": 8, "f": 2048, "Le": 6, "Ld": 6, "B": 32},  # t5-small
        {"V": 120, "d": 16, "dkv": 8, "h": 2, "f": 33, "Le": 3, "Ld": 2, "B": 8},
        {"V": 50, "d": 16, "dkv": 6, "h": 3, "f": 7, "Le": 1, "Ld": 1, "B": 16},  # h*dkv = 18, not d
        {"V": 77, "d": 24, "dkv": 4, "h": 5, "f": 12, "Le": 2, "Ld": 4, "B": 4},
    ],
)
def test_t5_matches_hugging_face(values: dict[str, int]) -> None:
    t = torch()
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    config = transformers.T5Config(**t5_values(values), feed_forward_proj="relu")
    with t.device("meta"):
        model = transformers.T5Model(config)
    assert build("t5-small", values).params == total(model)


@pytest.mark.frameworks
def test_t5_attention_with_relative_bias_matches_hugging_face() -> None:
    t = torch()
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    modeling = importlib.import_module("transformers.models.t5.modeling_t5")
    config = transformers.T5Config(d_model=20, d_kv=6, num_heads=3, relative_attention_num_buckets=7)
    for relative in (True, False):
        with t.device("meta"):
            attention = modeling.T5Attention(config, has_relative_attention_bias=relative)
        layer = MultiHeadAttention(3, 6, use_bias=False, relative_attention_buckets=7 if relative else None)
        assert Sequential(Input(5, 20), layer).params == total(attention)
