"""Activation memory against PyTorch itself: the bytes autograd keeps in a training-mode forward
pass (tests/saved.py reads them with saved-tensor hooks), equal to `activation-memory` exactly.

Each model is built twice, in symcount and in PyTorch, at several sizes; the batch is a factor of
the cost. PyTorch's LSTM runs its native cell (oneDNN off: its fused kernel's work buffer is the
kernel's, not the model's), as docs/costs.md says.
"""

from __future__ import annotations

import pytest

from symcount import (
    LSTM,
    Activation,
    BatchNorm2d,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Input,
    LayerNorm,
    MaxPooling2D,
    MultiHeadAttention,
    Repeat,
    Sequential,
    TransformerEncoder,
)
from symcount.costs import Convention, Measure
from tests.frameworks import torch as need_torch
from tests.saved import saved_bytes


def kept(model: Sequential, **convention: object) -> int:
    return int(Measure("activation_memory", Convention(**convention)).total(model))  # type: ignore[arg-type]


@pytest.mark.parametrize(("batch", "n", "h", "rate"), [(1, 5, 7, 0.5), (3, 16, 9, 0.1), (4, 8, 32, 0.0)])
def test_mlp_with_dropout(batch: int, n: int, h: int, rate: float) -> None:
    torch = need_torch()
    nn = torch.nn
    net = nn.Sequential(
        nn.Linear(n, h), nn.ReLU(), nn.Dropout(rate), nn.Linear(h, h), nn.GELU(), nn.Dropout(rate),
        nn.Linear(h, h), nn.Tanh(), nn.Linear(h, 3), nn.LogSoftmax(-1),
    )  # fmt: skip
    model = Sequential(
        Input(n), Dense(h, activation="relu"), Dropout(rate), Dense(h), Activation("gelu"), Dropout(rate),
        Dense(h, activation="tanh"), Dense(3, activation="log_softmax"), framework="torch", batch=batch,
    )  # fmt: skip
    assert kept(model) == saved_bytes(net, torch.randn(batch, n))


@pytest.mark.parametrize(("batch", "c", "size", "f"), [(2, 3, 8, 4), (1, 1, 12, 6), (3, 2, 10, 5)])
def test_cnn_with_batch_norm_and_pooling(batch: int, c: int, size: int, f: int) -> None:
    torch = need_torch()
    nn = torch.nn
    pooled = (size - 2) // 2
    net = nn.Sequential(
        nn.Conv2d(c, f, 3), nn.BatchNorm2d(f), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(f, f, 1),
        nn.Flatten(), nn.Linear(f * pooled * pooled, 10),
    )  # fmt: skip
    model = Sequential(
        Input(c, size, size), Conv2D(f, 3), BatchNorm2d(f), Activation("relu"), MaxPooling2D(2),
        Conv2D(f, 1), Flatten(), Dense(10), framework="torch", batch=batch,
    )  # fmt: skip
    # BatchNorm keeps 2 numbers per channel for the whole batch; symcount counts them per example.
    overcount = 2 * f * 4 * (batch - 1)
    assert kept(model) - overcount == saved_bytes(net, torch.randn(batch, c, size, size))


@pytest.mark.parametrize(("batch", "steps", "vocab", "e", "u"), [(2, 5, 20, 8, 6), (3, 7, 11, 4, 10)])
def test_lstm_classifier(batch: int, steps: int, vocab: int, e: int, u: int) -> None:
    torch = need_torch()
    nn = torch.nn

    class Classifier(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.embedding, self.lstm, self.head = nn.Embedding(vocab, e), nn.LSTM(e, u), nn.Linear(u, 4)

        def forward(self, ids: object) -> object:
            _, (h, _) = self.lstm(self.embedding(ids).transpose(0, 1))
            return self.head(h[-1])

    model = Sequential(Input(steps), Embedding(vocab, e), LSTM(u), Dense(4), framework="torch", batch=batch)
    with torch.backends.mkldnn.flags(enabled=False):
        measured = saved_bytes(Classifier(), torch.randint(0, vocab, (batch, steps)))
    assert kept(model) == measured


@pytest.mark.parametrize(
    ("batch", "steps", "d", "heads", "f", "depth", "rate", "activation", "first"),
    [
        (2, 5, 8, 2, 16, 1, 0.0, "relu", False),
        (1, 6, 8, 4, 12, 2, 0.1, "relu", False),
        (3, 4, 12, 3, 8, 3, 0.1, "gelu", True),
        (2, 7, 6, 2, 10, 2, 0.0, "gelu", False),
    ],
)
def test_transformer_encoder_stack(
    batch: int, steps: int, d: int, heads: int, f: int, depth: int, rate: float, activation: str, first: bool
) -> None:
    torch = need_torch()
    nn = torch.nn
    layer = nn.TransformerEncoderLayer(d, heads, f, rate, activation, batch_first=True, norm_first=first)
    net = nn.Sequential(
        nn.Linear(d, d), nn.TransformerEncoder(layer, depth, enable_nested_tensor=False), nn.LayerNorm(d)
    )
    block = TransformerEncoder(heads, f, rate, activation, normalize_first=first)
    model = Sequential(
        Input(steps, d), Dense(d), Repeat(depth, [block]), LayerNorm(d), framework="torch", batch=batch
    )
    assert kept(model) == saved_bytes(net, torch.randn(batch, steps, d))


@pytest.mark.parametrize("kernel", ["eager", "sdpa"])
@pytest.mark.parametrize(("batch", "steps", "d", "heads", "rate"), [(2, 5, 8, 2, 0.0), (1, 9, 12, 3, 0.2)])
def test_multi_head_attention(kernel: str, batch: int, steps: int, d: int, heads: int, rate: float) -> None:
    torch = need_torch()
    nn = torch.nn
    attention = nn.MultiheadAttention(d, heads, dropout=rate, batch_first=True)
    net = nn.Sequential(nn.Linear(d, d), nn.LayerNorm(d))

    def call(_: object, x: object) -> object:
        y = net(x)
        return attention(y, y, y, need_weights=kernel == "eager")[0]

    model = Sequential(
        Input(steps, d), Dense(d), LayerNorm(d), MultiHeadAttention(heads, dropout=rate),
        framework="torch", batch=batch,
    )  # fmt: skip
    both = nn.ModuleList([net, attention])
    assert kept(model, attention=kernel) == saved_bytes(both, torch.randn(batch, steps, d), call=call)
