"""Model factories for the examples in docs/import.md and the README (run by the tests).

A factory takes sizes as keyword arguments and returns a torch.nn.Module or a Keras model; the
frameworks are imported inside, so reading this file needs neither.
"""

from __future__ import annotations

from typing import Any


def mlp(d: int, h: int, k: int) -> Any:
    from torch import nn

    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, k))


def wide(d: int, h: int) -> Any:
    """(d*h)**2 + 2*d*h + 1 parameters: a count of degree 4 (docs/import.md, on `infer`)."""
    from torch import nn

    return nn.Sequential(nn.Linear(d * h, d * h), nn.Linear(d * h, 1))


def cnn(C: int, H: int, W: int, f: int) -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(C, f, 3, padding=1), nn.BatchNorm2d(f), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(f, 2 * f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * f * (H // 4) * (W // 4), 10),
    )  # fmt: skip


def llama(d: int, L: int, f: int, V: int) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        hidden_size=d, num_hidden_layers=L, intermediate_size=f, vocab_size=V, num_attention_heads=4,
        max_position_embeddings=128, bos_token_id=None, eos_token_id=None,
    )  # fmt: skip
    return LlamaForCausalLM(config)


def t5(d: int, L: int) -> Any:
    from transformers import T5Config, T5Model

    config = T5Config(
        d_model=d, num_layers=L, num_decoder_layers=L, d_ff=4 * d, vocab_size=100, num_heads=4, d_kv=16,
        relative_attention_num_buckets=8, decoder_start_token_id=0, pad_token_id=None, eos_token_id=None,
    )  # fmt: skip
    return T5Model(config)


def keras_classifier(d: int, h: int) -> Any:
    import keras

    inputs = keras.Input(shape=(d,))
    hidden = keras.layers.Dense(h, activation="relu", name="hidden")(inputs)
    hidden = keras.layers.Dropout(0.1)(hidden)
    return keras.Model(inputs, keras.layers.Dense(3, name="classes")(hidden))


def audio(f: int, K: int) -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Conv1d(2, f, 5, stride=2, padding=2), nn.BatchNorm1d(f), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(f, 2 * f, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2 * f, K),
    )  # fmt: skip
