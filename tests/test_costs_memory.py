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


@pytest.mark.parametrize(
    "module", ["ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "ELU", "LeakyReLU", "Softplus", "Mish", "Identity"]
)
def test_torch_activation_modules_keep_what_pytorch_keeps(module: str) -> None:
    # The activation table's modules (issue 23) between two Linears: what each keeps (its output
    # or its input, Identity nothing of its own) against PyTorch's saved tensors.
    from symcount.spec import parse_spec

    torch = need_torch()
    batch, n, h = 3, 5, 7
    net = torch.nn.Sequential(torch.nn.Linear(n, h), getattr(torch.nn, module)(), torch.nn.Linear(h, 2))
    layers = [{"Linear": [n, h]}, module, {"Linear": [h, 2]}]
    spec = {"framework": "torch", "input": [n], "layers": layers}
    model = parse_spec(spec, "test").model()
    assert batch * Measure("activation_memory", Convention()).total(model) == saved_bytes(
        net, torch.randn(batch, n)
    )


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


@pytest.mark.parametrize(
    ("batch", "steps", "d", "heads", "f", "depth", "rate"),
    [(2, 5, 8, 2, 16, 3, 0.1), (3, 4, 6, 3, 8, 2, 0.0)],
)
def test_full_recomputation_is_checkpointing_each_block(
    batch: int, steps: int, d: int, heads: int, f: int, depth: int, rate: float
) -> None:
    # With torch.utils.checkpoint around each block, the forward pass keeps each block's input;
    # the backward pass recomputes one block at a time, which keeps that block's tensors again
    # (its input is the checkpoint's, kept already): measured as one block alone.
    torch = need_torch()
    nn = torch.nn
    from torch.utils.checkpoint import checkpoint

    blocks = nn.ModuleList(
        nn.TransformerEncoderLayer(d, heads, f, rate, batch_first=True) for _ in range(depth)
    )
    net = nn.ModuleList([nn.Linear(d, d), blocks, nn.LayerNorm(d)])

    def call(_: object, x: object) -> object:
        y = net[0](x)
        for block in blocks:
            y = checkpoint(block, y, use_reentrant=True)
        return net[2](y)

    x = torch.randn(batch, steps, d)
    forward = saved_bytes(net, x, call=call)
    one_block = saved_bytes(blocks[0], torch.randn(batch, steps, d, requires_grad=True))
    entry = 4 * batch * steps * d
    model = Sequential(
        Input(steps, d), Dense(d), Repeat(depth, [TransformerEncoder(heads, f, rate)]), LayerNorm(d),
        framework="torch", batch=batch,
    )  # fmt: skip
    assert kept(model, recompute="full") == forward + one_block - entry
    assert kept(model, recompute="full") < kept(model)


def _hugging_face() -> object:
    need_torch()
    return pytest.importorskip("transformers", reason="transformers is not installed")


@pytest.mark.parametrize("kernel", ["eager", "sdpa"])
@pytest.mark.parametrize(
    ("batch", "steps", "depth", "d", "heads", "vocab"), [(2, 16, 2, 24, 2, 50), (3, 32, 1, 32, 4, 64)]
)
def test_hugging_face_gpt2(
    kernel: str, batch: int, steps: int, depth: int, d: int, heads: int, vocab: int
) -> None:
    # The gpt2 spec, as Hugging Face keeps it, but for one tensor per batch that no spec layer
    # holds: the position ids wpe looks up, T int64 numbers (not per example). HF's GPT-2 takes
    # its exact GELU here (the spec's); its default gelu_new is written out in several
    # operations that keep 3 more tensors of T*4d numbers per block, and its default dropout
    # (0.1) adds noise the spec does not have (docs/costs.md).
    transformers = _hugging_face()
    import torch

    from symcount import build

    config = transformers.GPT2Config(  # type: ignore[attr-defined]
        n_positions=steps, n_embd=d, n_layer=depth, n_head=heads, vocab_size=vocab, resid_pdrop=0.0,
        embd_pdrop=0.0, attn_pdrop=0.0, activation_function="gelu", attn_implementation=kernel,
    )  # fmt: skip
    net = transformers.GPT2LMHeadModel(config)  # type: ignore[attr-defined]
    ids = torch.randint(0, vocab, (batch, steps))
    measured = saved_bytes(net, ids, call=lambda m, x: m(x).logits)
    model = build("gpt2", {"T": steps, "L": depth, "d": d, "h": heads, "V": vocab}).with_batch(batch)
    assert kept(model, attention=kernel) + 8 * steps == measured


@pytest.mark.parametrize("kernel", ["eager", "sdpa"])
@pytest.mark.parametrize(
    ("batch", "steps", "depth", "d", "heads", "kv", "f", "vocab"),
    [(2, 16, 2, 24, 4, 2, 40, 50), (3, 8, 1, 32, 4, 4, 48, 64)],
)
def test_hugging_face_llama(
    kernel: str, batch: int, steps: int, depth: int, d: int, heads: int, kv: int, f: int, vocab: int
) -> None:
    # The llama2-7b spec at small sizes, as Hugging Face keeps it, but for the rotary cosines
    # and sines: two (T, d/h) tensors made once per batch and shared by every layer.
    transformers = _hugging_face()
    import torch

    from symcount import build

    config = transformers.LlamaConfig(  # type: ignore[attr-defined]
        hidden_size=d, intermediate_size=f, num_hidden_layers=depth, num_attention_heads=heads,
        num_key_value_heads=kv, vocab_size=vocab, max_position_embeddings=64, attn_implementation=kernel,
    )  # fmt: skip
    net = transformers.LlamaForCausalLM(config)  # type: ignore[attr-defined]
    measured = saved_bytes(net, torch.randint(0, vocab, (batch, steps)), call=lambda m, x: m(x).logits)
    sizes = {"T": steps, "L": depth, "d": d, "h": heads, "kv": kv, "f": f, "V": vocab}
    model = build("llama2-7b", sizes).with_batch(batch)
    assert kept(model, attention=kernel) + 2 * steps * (d // heads) * 4 == measured


def test_inference_memory_is_weights_cache_and_the_largest_activation() -> None:
    # gpt2 at small sizes, float16, a batch of 3: the weights (2 bytes each, the head tied), the
    # KV cache (2*L*T*d numbers a sequence) and the largest layer's inputs and output at once:
    # the MLP's first layer, T*d inputs and T*4d outputs (the head's T*V logits are fewer).
    from symcount import build

    sizes = {"T": 16, "L": 2, "d": 24, "h": 2, "V": 50}
    model = build("gpt2", sizes).with_batch(3)
    convention = Convention(dtype="float16")
    weights = 2 * int(model.params)
    cache = 2 * 3 * 2 * 2 * 16 * 24
    largest = 2 * 3 * (16 * 24 + 16 * 4 * 24)
    assert Measure("inference_memory", convention).total(model) == weights + cache + largest
    assert Measure("kv_cache", convention).total(model) == cache


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("lenet-5", {}),
        ("lenet-5", {"H": 28, "W": 36, "C": 3, "f1": 4, "f2": 8, "k": 3, "d1": 32, "d2": 16, "K": 5}),
        ("resnet-18", {"w": 4, "n1": 1, "n2": 2, "n3": 1, "n4": 2, "K": 10, "C": 1, "H": 32, "W": 32}),
        ("resnet-50", {"w": 4, "n1": 2, "n2": 1, "n3": 1, "n4": 1, "K": 5, "C": 3, "H": 40, "W": 24}),
    ],
)
def test_zoo_torch_twins(name: str, overrides: dict[str, int]) -> None:
    # The zoo's PyTorch twins (tests/test_zoo_cnn.py) in training mode, a batch of 2. LeNet-5's
    # spec ends in a softmax its twin leaves to the loss: the twin gets one. ResNet's in-place
    # ReLUs keep their result in the BatchNorm's output storage: one storage, as symcount counts.
    torch = need_torch()
    from symcount import build
    from tests.test_zoo_cnn import lenet_twin, resnet_twin, sizes

    values = sizes(name, overrides)
    if name == "lenet-5":
        twin = torch.nn.Sequential(lenet_twin(**values), torch.nn.Softmax(-1))
    else:
        depths = [values[f"n{stage}"] for stage in range(1, 5)]
        twin = resnet_twin(name == "resnet-50", depths, values["w"], values["K"], values["C"])
    model = build(name, overrides).with_batch(2)
    batch_norms = [m for m in twin.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    # BatchNorm's 2 statistics per channel are one pair per batch: symcount counts them per example.
    overcount = sum(2 * m.num_features * 4 for m in batch_norms)
    measured = saved_bytes(twin, torch.randn(2, values["C"], values["H"], values["W"]))
    assert kept(model) - overcount == measured


@pytest.mark.parametrize(("batch", "steps", "vocab", "d"), [(2, 5, 30, 8), (3, 4, 11, 6)])
def test_frozen_layers_keep_only_what_their_inputs_gradients_need(
    batch: int, steps: int, vocab: int, d: int
) -> None:
    # A frozen embedding keeps no ids; the trainable Linear after it keeps its input; a frozen
    # Linear keeps nothing (its input's gradient needs only its weight); a ReLU on a tensor that
    # needs no gradient keeps nothing.
    torch = need_torch()
    nn = torch.nn
    net = nn.Sequential(
        nn.Embedding(vocab, d), nn.ReLU(), nn.Linear(d, d), nn.GELU(), nn.Linear(d, d), nn.Linear(d, 2)
    )
    for index in (0, 4):
        net[index].requires_grad_(False)
    model = Sequential(
        Input(steps), Embedding(vocab, d, trainable=False), Activation("relu"), Dense(d), Activation("gelu"),
        Dense(d, trainable=False), Dense(2), framework="torch", batch=batch,
    )  # fmt: skip
    assert kept(model) == saved_bytes(net, torch.randint(0, vocab, (batch, steps)))


@pytest.mark.parametrize("kernel", ["eager", "sdpa"])
def test_hugging_face_llama_in_bfloat16_is_mixed_precision(kernel: str) -> None:
    # Llama in bfloat16 keeps 16-bit activations but upcasts its RMSNorm's input and its softmax
    # to float32: `--precision mixed`, plus the rotary cosines and sines (2 bytes each).
    transformers = _hugging_face()
    import torch

    from symcount import build

    batch, steps, depth, d, heads, kv, f, vocab = 2, 16, 2, 24, 4, 2, 40, 50
    config = transformers.LlamaConfig(  # type: ignore[attr-defined]
        hidden_size=d, intermediate_size=f, num_hidden_layers=depth, num_attention_heads=heads,
        num_key_value_heads=kv, vocab_size=vocab, max_position_embeddings=64, attn_implementation=kernel,
    )  # fmt: skip
    net = transformers.LlamaForCausalLM(config).to(torch.bfloat16)  # type: ignore[attr-defined]
    measured = saved_bytes(net, torch.randint(0, vocab, (batch, steps)), call=lambda m, x: m(x).logits)
    sizes = {"T": steps, "L": depth, "d": d, "h": heads, "kv": kv, "f": f, "V": vocab}
    model = build("llama2-7b", sizes).with_batch(batch)
    assert kept(model, attention=kernel, precision="mixed") + 2 * steps * (d // heads) * 2 == measured
