"""Model factories as users write them: keyword sizes in, a torch.nn.Module or a Keras model out.

Used as `tests/factories.py:NAME` targets by the CLI tests and as callables by the API tests. The
frameworks are imported inside the factories, so collecting the tests never needs them.
"""

from __future__ import annotations

from typing import Any


def mlp(d: int, h: int, k: int) -> Any:
    # Linear(d, h) then Linear(h, k): (d*h + h) + (h*k + k) parameters.
    from torch import nn

    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, k))


def exponential(k: int) -> Any:
    # A width of 2**k: a count no polynomial matches.
    from torch import nn

    return nn.Linear(2**k, 1)


def llama(d: int, L: int, f: int, V: int) -> Any:
    # Four heads of d/4 (multi-head, not grouped): attention 4*d**2, SwiGLU 3*d*f, two RMS norms
    # 2*d per block; embedding and untied head V*d each; the final norm d.
    # Total: d*(4*L*d + 3*L*f + 2*L + 2*V + 1).
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        hidden_size=d,
        num_hidden_layers=L,
        intermediate_size=f,
        vocab_size=V,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=64,
        bos_token_id=None,
        eos_token_id=None,
    )
    return LlamaForCausalLM(config)


def keras_mlp(d: int, h: int) -> Any:
    # Dense(h) on d inputs, then Dense(1): (d*h + h) + (h + 1).
    import keras

    return keras.Sequential(
        [keras.Input(shape=(d,)), keras.layers.Dense(h, name="hidden"), keras.layers.Dense(1, name="out")]
    )
