"""KV-cache bytes: the keys and values attention layers keep for their tokens of context.

Derivation: a layer with h heads of key size k and value size v caches, per token, h*k keys and
h*v values, so T tokens cost T*h*(k + v) numbers; PyTorch (and GPT-2) heads are d/h wide, giving
2*T*d per layer. Bytes are numbers times the dtype's size; a batch multiplies. The oracle is
Hugging Face's own cache, filled by a real forward pass of a tiny GPT-2.
"""

from __future__ import annotations

import pytest
import sympy
from click.testing import CliRunner

from symcount import Input, MultiHeadAttention, Repeat, Sequential, TransformerEncoder, build, symbols
from symcount.cli import main
from symcount.costs import Convention, Measure
from tests.frameworks import torch

T, d, h, k, v, L, B = symbols("T d h k v L B")


def test_attention_caches_keys_and_values_per_token() -> None:
    keras_style = Sequential(Input(T, d), MultiHeadAttention(h, key_dim=k, value_dim=v))
    assert (
        sympy.expand(keras_style.rows[0].measure(lambda layer, x, t: layer.kv_cache(x, t)) - T * h * (k + v))
        == 0
    )
    torch_style = Sequential(Input(T, d), MultiHeadAttention(h), framework="torch")
    assert Measure("kv_cache").total(torch_style) == 4 * 2 * T * d  # float32
    # Repeated L times, batched by B, in bfloat16; layers without attention cache nothing.
    stack = Sequential(Input(T, d), Repeat(L, [MultiHeadAttention(h)]), framework="torch").with_batch(B)
    assert sympy.expand(Measure("kv_cache", Convention("bfloat16")).total(stack) - 2 * B * L * 2 * T * d) == 0
    encoder = Sequential(Input(T, d), TransformerEncoder(h, 4 * d), framework="torch")
    assert Measure("kv_cache").total(encoder) == 4 * 2 * T * d
    assert Measure("kv_cache").total(build("lesson-cnn")) == 0


@pytest.mark.frameworks
@pytest.mark.parametrize(("layers", "heads", "width", "tokens"), [(3, 2, 16, 7), (2, 4, 32, 5), (1, 1, 8, 3)])
def test_gpt2_cache_equals_hugging_face(layers: int, heads: int, width: int, tokens: int) -> None:
    t = torch()
    transformers = pytest.importorskip("transformers")
    config = transformers.GPT2Config(
        n_embd=width, n_layer=layers, n_head=heads, vocab_size=50, n_positions=tokens, bos_token_id=0,
        eos_token_id=0,
    )  # fmt: skip
    twin = transformers.GPT2LMHeadModel(config).eval()
    with t.no_grad():
        cache = twin(t.randint(0, 50, (1, tokens)), use_cache=True).past_key_values
    cached = sum(layer.keys.numel() + layer.values.numel() for layer in cache.layers)
    values = {"d": width, "L": layers, "h": heads, "T": tokens, "V": 50}
    model = build("gpt2", values)
    assert Measure("kv_cache").total(model) == 4 * cached  # float32 bytes
    assert Measure("kv_cache", Convention("float16")).total(model) == 2 * cached


def test_kv_cache_on_the_command_line() -> None:
    # GPT-2 small at one token, float16: 12 layers x 2 x 768 numbers x 2 bytes.
    result = CliRunner().invoke(
        main, ["count", "gpt2", "--cost", "kv-cache", "--dtype", "float16", "--set", "T=1"]
    )
    assert result.exit_code == 0, result.output
    first, convention = result.output.splitlines()
    assert (
        first == f"gpt2: {12 * 2 * 768 * 2:,} KV-cache bytes (36.86 kB decimal, 36.00 KiB binary)"
    )  # 36,864 = 36 x 1024
    assert convention.startswith("KV-cache bytes, float16 (2 bytes each)")
    formula = CliRunner().invoke(main, ["formula", "gpt2", "--cost", "kv-cache", "--batch", "B"])
    assert formula.output.splitlines()[0] == "8*B*L*T*d"
