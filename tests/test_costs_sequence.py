"""What sequence layers cost: recurrent layers and attention, in symbols, proven against PyTorch.

1 MAC = 2 FLOPs; `macs` are matrix products only, everything elementwise is an extra (symcount.costs).

Recurrent layers, per time step, direction and layer, with g gate blocks of u units reading n
features (SimpleRNN g = 1, LSTM g = 4, GRU g = 3):
    MACs   g*u*n (input kernel) + g*u*u (recurrent kernel); T steps, so T*g*u*(n + u)
    extras per gate unit: 1 to add the two products, 1 per bias (Keras 1; PyTorch 2, b_ih and b_hh;
           Keras' GRU with reset_after 2), 1 for its nonlinearity; then the state update:
           SimpleRNN  nothing more                          3u  (Keras) / 4u  (PyTorch)
           LSTM       c = f*c + i*g: 3, h = o*tanh(c): 2    17u (Keras) / 21u (PyTorch)
           GRU        r * (recurrent product) or r * h: 1,  16u (reset_after, both) / 13u (Keras,
                      h = g + z*(h - g): 3                  reset_after=False)
Attention on (T, d), h heads of k (queries, keys) and v (values), S keys per query (T; PyTorch's
add_bias_kv and add_zero_attn append one each):
    MACs   projections T*d*h*(2k + v) + scores T*S*h*k + weighted values T*S*h*v + output T*h*v*d
    extras biases, queries scaled by 1/sqrt(k) (T*h*k), softmax 3 per score (3*T*S*h)
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
import sympy

from symcount import Input, Sequential, symbols
from symcount.layers import GRU, LSTM, Bidirectional, MultiHeadAttention, SimpleRNN, TransformerEncoder
from tests.frameworks import torch

T, n, u, d, h, k, v, o, f, L = symbols("T n u d h k v o f L")

# --- 1. The formulas ----------------------------------------------------------------------------

# (layer, input shape, framework, MACs, extra FLOPs), one example.
FORMULAS = [
    # One gate block: x W (n*u) + h U (u*u) per step; extras: the sum, the bias, tanh.
    (SimpleRNN(u), (T, n), "keras", T * (n * u + u**2), 3 * T * u),
    (SimpleRNN(u), (T, n), "torch", T * (n * u + u**2), 4 * T * u),
    (SimpleRNN(u, activation=None, use_bias=False), (T, n), "keras", T * (n * u + u**2), T * u),
    # Four blocks: 4u(n + u) MACs; 4u sums + 4u biases + 3u sigmoids + 2u tanh + 4u state ops.
    (LSTM(u), (T, n), "keras", 4 * T * u * (n + u), 17 * T * u),
    (LSTM(u), (T, n), "torch", 4 * T * u * (n + u), 21 * T * u),
    (LSTM(u, use_bias=False), (T, n), "torch", 4 * T * u * (n + u), 13 * T * u),
    # Three blocks: 3u sums + 6u biases + 2u sigmoids + u tanh + 4u state ops (reset_after);
    # without reset_after one bias: 3u. The reset gate moves, the u x u product stays.
    (GRU(u), (T, n), "keras", 3 * T * u * (n + u), 16 * T * u),
    (GRU(u), (T, n), "torch", 3 * T * u * (n + u), 16 * T * u),
    (GRU(u, reset_after=False), (T, n), "keras", 3 * T * u * (n + u), 13 * T * u),
    # return_sequences changes what is kept, not what is computed: every step runs.
    (GRU(u, return_sequences=True), (T, n), "keras", 3 * T * u * (n + u), 16 * T * u),
    # Stacked and bidirectional: layers above the first read 2u features per step.
    (
        LSTM(hidden_size=u, num_layers=L, bidirectional=True),
        (T, n),
        "torch",
        2 * T * (4 * u * (n + u) + (L - 1) * 4 * u * (2 * u + u)),
        2 * L * 21 * T * u,
    ),
    (SimpleRNN(u, num_layers=L), (T, n), "keras", T * (n * u + u**2 + (L - 1) * 2 * u**2), 3 * L * T * u),
    # Bidirectional: both copies; sum/mul/ave add one operation per output element.
    (Bidirectional(LSTM(u)), (T, n), "keras", 8 * T * u * (n + u), 34 * T * u),
    (Bidirectional(LSTM(u), merge_mode="ave"), (T, n), "torch", 8 * T * u * (n + u), 42 * T * u + u),
    (
        Bidirectional(GRU(u, return_sequences=True), merge_mode="sum"),
        (T, n),
        "keras",
        6 * T * u * (n + u),
        32 * T * u + T * u,
    ),
    (
        Bidirectional(LSTM(u), backward_layer=GRU(v, go_backwards=True)),
        (T, n),
        "keras",
        4 * T * u * (n + u) + 3 * T * v * (n + v),
        17 * T * u + 16 * T * v,
    ),
    # Keras attention: Q, K (d*h*k each) and V (d*h*k) per position, QK^T and AV (T*T*h*k each),
    # output h*k*d per position; extras: biases 3hk + d and the scale hk per position, softmax 3hT^2.
    (
        MultiHeadAttention(h, k),
        (T, d),
        "keras",
        3 * T * d * h * k + 2 * T**2 * h * k + T * h * k * d,
        T * (3 * h * k + d) + T * h * k + 3 * h * T**2,
    ),
    (
        MultiHeadAttention(h, k, v, output_dims=o, use_bias=False),
        (T, d),
        "keras",
        T * d * h * (2 * k + v) + T**2 * h * (k + v) + T * h * v * o,
        T * h * k + 3 * h * T**2,
    ),
    # Keras' gate: one more projection (d*h*k), its bias, a sigmoid and a product per h*k value.
    (
        MultiHeadAttention(h, k, use_gate=True),
        (T, d),
        "keras",
        4 * T * d * h * k + 2 * T**2 * h * k + T * h * k * d,
        T * (4 * h * k + d) + T * h * k + 3 * h * T**2 + 2 * T * h * k,
    ),
    # PyTorch: heads of d/h, so 4*T*d^2 for the projections and 2*T^2*d for QK^T and AV.
    (MultiHeadAttention(h), (T, d), "torch", 4 * T * d**2 + 2 * T**2 * d, 5 * T * d + 3 * h * T**2),
    (
        MultiHeadAttention(h, use_bias=False),
        (T, d),
        "torch",
        4 * T * d**2 + 2 * T**2 * d,
        T * d + 3 * h * T**2,
    ),
    # bias_k/bias_v and the zero key make S = T + 2 keys for every query.
    (
        MultiHeadAttention(h, add_bias_kv=True, add_zero_attn=True),
        (T, d),
        "torch",
        4 * T * d**2 + 2 * T * (T + 2) * d,
        5 * T * d + 3 * h * T * (T + 2),
    ),
    # Encoder block: attention + feed-forward 2*T*d*f; extras: attention's, biases T(f + d),
    # activation T*f, two residual adds 2*T*d, two LayerNorms 2*T*d*(4 + 1 + 1).
    (
        TransformerEncoder(h, f),
        (T, d),
        "torch",
        4 * T * d**2 + 2 * T**2 * d + 2 * T * d * f,
        5 * T * d + 3 * h * T**2 + T * (f + d) + T * f + 2 * T * d + 12 * T * d,
    ),
    (
        TransformerEncoder(h, f, use_bias=False, activation="gelu"),
        (T, d),
        "keras",
        4 * T * d**2 + 2 * T**2 * d + 2 * T * d * f,
        T * d + 3 * h * T**2 + T * f + 2 * T * d + 10 * T * d,
    ),
]


@pytest.mark.parametrize(("layer", "shape", "framework", "macs", "extras"), FORMULAS)
def test_formula(layer: Any, shape: tuple, framework: str, macs: sympy.Expr, extras: sympy.Expr) -> None:
    row = Sequential(Input(*shape), layer, framework=framework).rows[0]
    assert sympy.expand(row.macs - macs) == 0
    assert sympy.expand(row.extra_flops - extras) == 0


def test_keras_and_torch_attention_agree_when_heads_are_d_over_h() -> None:
    # Keras' key_dim = value_dim = d/h is PyTorch's layer: the same MACs and extras.
    for layer in (MultiHeadAttention(h), TransformerEncoder(h, f)):
        keras_row, torch_row = (
            Sequential(Input(T, d), layer, framework=fw).rows[0] for fw in ("keras", "torch")
        )
        assert sympy.expand(keras_row.macs - torch_row.macs) == 0
        assert sympy.expand(keras_row.extra_flops - torch_row.extra_flops) == 0


# --- 2. The proof: PyTorch's FlopCounterMode ----------------------------------------------------


def flop_counter() -> ModuleType:
    torch()  # skips when PyTorch is absent
    return importlib.import_module("torch.utils.flop_counter")


def math_attention() -> Any:
    """A context in which scaled_dot_product_attention runs its math kernel (plain bmm)."""
    attention = importlib.import_module("torch.nn.attention")
    return attention.sdpa_kernel(attention.SDPBackend.MATH)


def counted(function: Any, *args: Any) -> int:
    """FLOPs that torch.utils.flop_counter counts for `function(*args)`, without autograd."""
    t = torch()
    with t.no_grad(), flop_counter().FlopCounterMode(display=False) as mode:
        function(*args)
    return int(mode.get_total_flops())


def ours(layer: Any, shape: tuple, **values: int) -> tuple[int, int]:
    """(MACs, activations) of one example, from symcount's formula with `values` given."""
    row = Sequential(Input(*shape), layer, framework="torch").subs(values).rows[0]
    return int(row.macs), int(row.activations)


TORCH_RNNS = {"RNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}
# (T, n, u) and the module's options.
RNN_SIZES = [(1, 1, 1), (4, 3, 5), (7, 2, 3)]
RNN_OPTIONS = [
    {},
    {"bias": False},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 3, "bidirectional": True},
]


def rnn_module(kind: str, features: int, units: int, options: dict) -> tuple[Any, Any]:
    """A torch module and symcount's layer for it (the module's depth as a number)."""
    module = getattr(torch().nn, kind)(features, units, batch_first=True, **options).eval()
    layer = TORCH_RNNS[kind](
        hidden_size=units,
        num_layers=options.get("num_layers", 1),
        bidirectional=options.get("bidirectional", False),
        use_bias=options.get("bias", True),
    )
    return module, layer


@pytest.mark.frameworks
@pytest.mark.parametrize("options", RNN_OPTIONS)
@pytest.mark.parametrize("size", RNN_SIZES)
@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_torch_rnn_and_gru_count_as_symcount(kind: str, size: tuple, options: dict) -> None:
    # On the CPU, RNN and GRU run as aten ops: one addmm for all T inputs of a layer (T*n*g*u) and
    # one per step for the recurrent product (g*u*u). FlopCounterMode counts them all, bias-free.
    t = torch()
    steps, features, units = size
    module, layer = rnn_module(kind, features, units, options)
    macs, activations = ours(layer, (steps, features))
    x = t.randn(1, steps, features)
    assert counted(module, x) == 2 * macs
    assert counted(module, t.randn(3, steps, features)) == 3 * 2 * macs
    assert module(x)[0].numel() == activations


@pytest.mark.frameworks
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("options", RNN_OPTIONS)
@pytest.mark.parametrize("size", RNN_SIZES)
def test_torch_lstm_fused_kernel_is_not_counted(size: tuple, options: dict) -> None:
    # PyTorch's CPU LSTM runs each layer as one oneDNN kernel (aten.mkldnn_rnn_layer), which has no
    # formula in FlopCounterMode: counted = 2*macs - 2*macs = 0. With oneDNN off it runs as aten
    # ops (addmm per step) and FlopCounterMode counts 2*macs.
    t = torch()
    steps, features, units = size
    module, layer = rnn_module("LSTM", features, units, options)
    macs, activations = ours(layer, (steps, features))
    x = t.randn(1, steps, features)
    fused = t.backends.mkldnn.is_available()
    assert counted(module, x) == (0 if fused else 2 * macs)
    with t.backends.mkldnn.flags(enabled=False):
        assert counted(module, x) == 2 * macs
        assert counted(module, t.randn(3, steps, features)) == 3 * 2 * macs
    assert module(x)[0].numel() == activations


def unrolled(module: Any, x: Any) -> Any:
    """`module` (nn.RNN, nn.LSTM or nn.GRU, batch first) computed one step at a time with F.linear.

    Every matrix product is an explicit F.linear (addmm or mm), which FlopCounterMode counts, so
    this is the oracle for the fused kernels; it returns what the module returns as its output.
    """
    t = torch()
    linear, sigmoid = t.nn.functional.linear, t.sigmoid
    kind = type(module).__name__
    layer_input = x
    for depth in range(module.num_layers):
        directions = []
        for suffix in ("", "_reverse")[: 1 + module.bidirectional]:
            w_ih, w_hh = (
                getattr(module, f"weight_ih_l{depth}{suffix}"),
                getattr(module, f"weight_hh_l{depth}{suffix}"),
            )
            b_ih = getattr(module, f"bias_ih_l{depth}{suffix}", None)
            b_hh = getattr(module, f"bias_hh_l{depth}{suffix}", None)
            state = cell = t.zeros(x.shape[0], module.hidden_size)
            steps = range(x.shape[1])
            outputs = []
            for step in reversed(steps) if suffix else steps:
                inputs, recurrent = linear(layer_input[:, step], w_ih, b_ih), linear(state, w_hh, b_hh)
                if kind == "RNN":
                    state = t.tanh(inputs + recurrent)
                elif kind == "LSTM":
                    i, f, g, o = (inputs + recurrent).chunk(4, dim=1)
                    cell = sigmoid(f) * cell + sigmoid(i) * t.tanh(g)
                    state = sigmoid(o) * t.tanh(cell)
                else:
                    (x_r, x_z, x_n), (h_r, h_z, h_n) = inputs.chunk(3, dim=1), recurrent.chunk(3, dim=1)
                    r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
                    candidate = t.tanh(x_n + r * h_n)
                    state = candidate + z * (state - candidate)
                outputs.append(state)
            directions.append(t.stack(outputs[::-1] if suffix else outputs, dim=1))
        layer_input = t.cat(directions, dim=2)
    return layer_input


@pytest.mark.frameworks
@pytest.mark.parametrize("options", RNN_OPTIONS)
@pytest.mark.parametrize("size", [(1, 2, 1), (5, 3, 4)])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unrolled_torch_matches_the_module_and_symcount(kind: str, size: tuple, options: dict) -> None:
    # The step-by-step computation gives the module's output, and FlopCounterMode counts its
    # products as exactly 2 x symcount's MACs (per example: 3 examples count 3 times as much).
    t = torch()
    steps, features, units = size
    module, layer = rnn_module(kind, features, units, options)
    macs, _ = ours(layer, (steps, features))
    x = t.randn(3, steps, features)
    with t.no_grad():
        assert t.allclose(unrolled(module, x), module(x)[0], atol=1e-5)
    assert counted(unrolled, module, x[:1]) == 2 * macs
    assert counted(unrolled, module, x) == 3 * 2 * macs


@pytest.mark.frameworks
@pytest.mark.parametrize("size", [(1, 1, 1), (6, 4, 3)])
def test_unrolled_gru_with_reset_before_costs_the_same_products(size: tuple) -> None:
    # Keras' reset_after=False: r multiplies the previous output before its u x u product, which
    # is as large as the reset_after one (PyTorch has no such module, so its products are counted).
    t = torch()
    linear, sigmoid = t.nn.functional.linear, t.sigmoid
    steps, features, units = size
    w_ih, w_hh, bias = t.randn(3 * units, features), t.randn(3 * units, units), t.randn(3 * units)

    def reset_before(x: Any) -> Any:
        state = t.zeros(x.shape[0], units)
        for step in range(steps):
            x_r, x_z, x_n = linear(x[:, step], w_ih, bias).chunk(3, dim=1)
            h_r, h_z = linear(state, w_hh[: 2 * units]).chunk(2, dim=1)
            r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
            candidate = t.tanh(x_n + linear(r * state, w_hh[2 * units :]))
            state = candidate + z * (state - candidate)
        return state

    row = Sequential(Input(T, n), GRU(u, reset_after=False)).subs(T=steps, n=features, u=units).rows[0]
    macs = int(row.macs)
    assert counted(reset_before, t.randn(1, steps, features)) == 2 * macs
    assert counted(reset_before, t.randn(3, steps, features)) == 3 * 2 * macs


@pytest.mark.frameworks
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_bidirectional_wrapper_is_the_bidirectional_module(kind: str) -> None:
    t = torch()
    module = getattr(t.nn, kind)(3, 4, batch_first=True, bidirectional=True).eval()
    inner = TORCH_RNNS[kind](4, return_sequences=True)
    macs, activations = ours(Bidirectional(inner), (T, n), T=5, n=3)
    x = t.randn(1, 5, 3)
    with t.backends.mkldnn.flags(enabled=False):
        assert counted(module, x) == 2 * macs
    assert module(x)[0].numel() == activations


def self_attention(size: int, heads: int, need_weights: bool, **options: Any) -> Any:
    """nn.MultiheadAttention as self-attention (query, key and value the input), in eval mode."""
    module = torch().nn.MultiheadAttention(size, heads, batch_first=True, **options).eval()
    return lambda x: module(x, x, x, need_weights=need_weights)[0]


def context_macs(steps: int, keys: int, size: int) -> int:
    """The two T x S products of attention with heads of d/h: QK^T and the weighted values."""
    return 2 * steps * keys * size


def sdpa_counted() -> bool:
    """Whether FlopCounterMode has a formula for the CPU kernel of scaled_dot_product_attention."""
    t = torch()
    kernel = t.ops.aten._scaled_dot_product_flash_attention_for_cpu
    return kernel in flop_counter().FlopCounterMode(display=False).flop_registry


# (T, d, h): one position, one head, as many heads as features, longer sequences.
ATTENTION_SIZES = [(1, 1, 1), (5, 12, 3), (2, 8, 8), (9, 6, 1), (16, 32, 4)]
ATTENTION_OPTIONS = [{}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True, "add_bias_kv": True}]


@contextmanager
def no_fast_path() -> Iterator[None]:
    """PyTorch's inference fast path for attention off (torch.backends.mha), as in training."""
    mha = torch().backends.mha
    before = mha.get_fastpath_enabled()
    mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        mha.set_fastpath_enabled(before)


@pytest.mark.frameworks
@pytest.mark.parametrize("options", ATTENTION_OPTIONS)
@pytest.mark.parametrize(("length", "size", "heads"), ATTENTION_SIZES)
def test_multi_head_attention_counts_as_symcount(length: int, size: int, heads: int, options: dict) -> None:
    t = torch()
    layer = MultiHeadAttention(
        h, use_bias=options.get("bias", True), add_bias_kv=options.get("add_bias_kv", False),
        add_zero_attn=options.get("add_zero_attn", False),
    )  # fmt: skip
    macs, activations = ours(layer, (T, d), T=length, d=size, h=heads)
    keys = length + options.get("add_bias_kv", False) + options.get("add_zero_attn", False)
    x, batch = t.randn(1, length, size), t.randn(3, length, size)
    with_weights = self_attention(size, heads, True, **options)
    without = self_attention(size, heads, False, **options)
    # need_weights=False runs F.scaled_dot_product_attention, whose CPU kernel FlopCounterMode
    # does not count (it has formulas for the CUDA flash/efficient/cuDNN kernels only): the two
    # context products are missing, counted = 2*macs - 2*(2*T*S*d).
    missing = 0 if sdpa_counted() else 2 * context_macs(length, keys, size)
    with no_fast_path():
        # need_weights=True: explicit bmm for QK^T and for the weighted values, all counted.
        assert counted(with_weights, x) == 2 * macs
        assert counted(with_weights, batch) == 3 * 2 * macs
        assert counted(without, x) == 2 * macs - missing
        assert counted(without, batch) == 3 * (2 * macs - missing)
        # SDPA's math kernel is plain bmm: counted in full.
        with math_attention():
            assert counted(without, x) == 2 * macs
    # Inference (eval, no autograd) with an even number of heads and biases, and no bias_kv or
    # zero key, takes the fast path: the whole layer is one aten._native_multi_head_attention,
    # which FlopCounterMode does not count at all: counted = 2*macs - 2*macs = 0.
    fast = heads % 2 == 0 and not options  # the default options: biases, no bias_kv, no zero key
    assert counted(with_weights, x) == (0 if fast else 2 * macs)
    assert counted(without, x) == (0 if fast else 2 * macs - missing)
    with t.no_grad():
        assert without(x).numel() == activations


@pytest.mark.frameworks
@pytest.mark.parametrize(("length", "size", "heads"), ATTENTION_SIZES)
def test_sdpa_formula_is_the_context_term(length: int, size: int, heads: int) -> None:
    # FlopCounterMode's formula for the fused kernels (what it counts on a GPU) is 2 FLOPs per MAC
    # of QK^T and of the weighted values: symcount's context term for a (batch, h, T, d/h) query.
    t = torch()
    shape = (1, heads, length, size // heads)
    assert flop_counter().sdpa_flop_count(shape, shape, shape) == 2 * context_macs(length, length, size)
    q = t.randn(*shape)
    with math_attention():
        assert counted(t.nn.functional.scaled_dot_product_attention, q, q, q) == 2 * context_macs(
            length, length, size
        )


# (T, d, h, feed-forward width)
ENCODER_SIZES = [(1, 1, 1, 1), (5, 12, 3, 7), (8, 16, 4, 64), (3, 6, 2, 1)]


@pytest.mark.frameworks
@pytest.mark.parametrize("options", [{}, {"bias": False}, {"norm_first": True, "activation": "gelu"}])
@pytest.mark.parametrize(("length", "size", "heads", "ff"), ENCODER_SIZES)
def test_transformer_encoder_counts_as_symcount(
    length: int, size: int, heads: int, ff: int, options: dict
) -> None:
    t = torch()
    module = t.nn.TransformerEncoderLayer(size, heads, ff, batch_first=True, **options)
    layer = TransformerEncoder(
        h, f, use_bias=options.get("bias", True), normalize_first=options.get("norm_first", False),
        activation=options.get("activation", "relu"),
    )  # fmt: skip
    macs, activations = ours(layer, (T, d), T=length, d=size, h=heads, f=ff)
    x, batch = t.randn(1, length, size), t.randn(3, length, size)
    # Eval mode: the attention runs through scaled_dot_product_attention's CPU kernel,
    # uncounted: counted = 2*macs - 2*(2*T*T*d); with its math kernel everything is counted.
    module.eval()
    missing = 0 if sdpa_counted() else 2 * context_macs(length, length, size)
    with no_fast_path():
        assert counted(module, x) == 2 * macs - missing
        assert counted(module, batch) == 3 * (2 * macs - missing)
        with math_attention():
            assert counted(module, x) == 2 * macs
    # Inference with an even number of heads and biases takes the fast path, one fused
    # aten._transformer_encoder_layer_fwd that FlopCounterMode does not count: 0.
    fast = heads % 2 == 0 and options.get("bias", True)
    assert counted(module, x) == (0 if fast else 2 * macs - missing)
    with t.no_grad():
        assert module(x).numel() == activations
    # Training mode with dropout: SDPA falls back to its math kernel, so everything is counted.
    module.train()
    assert counted(module, x) == 2 * macs


# --- 3. The attention term per token, and Kaplan et al. (2020) -------------------------------


def test_context_term_per_token_and_kaplan() -> None:
    """symcount's forward FLOPs per token of an encoder stack, against Kaplan et al.'s C_forward.

    Per layer, QK^T and the weighted values are each T*T*d MACs (heads of d/h), so per token:
        context MACs = 2*T*d,  context FLOPs = 4*T*d                         (full attention)
    Kaplan et al. (2020, Table 1), with n_ctx = T, d_attn = d_model = d and N = n_layer*(4d^2 + 2 d f)
    the weight matrices (biases, norms and embeddings neglected):
        C_forward = 2N + 2*n_layer*n_ctx*d_attn
    which counts 2*T*d FLOPs of context per token and layer: one T x T product (QK^T), or both
    products over the T/2 keys a causal query sees on average. So, per token:
        symcount (full)   = 2N + 4*n_layer*T*d = C_forward + 2*n_layer*n_ctx*d_attn
        symcount (causal) = 2N + 2*n_layer*(T + 1)*d = C_forward + 2*n_layer*d
    """
    (n_layer,) = symbols("n_layer")
    row = Sequential(Input(T, d), TransformerEncoder(h, f), framework="torch").rows[0]
    # The weight matrices of one block (2-axis weights): in_proj, out_proj, linear1, linear2.
    matrices = sympy.Add(*(w.size for w in row.weights if len(w.shape) == 2))
    assert sympy.expand(matrices - (4 * d**2 + 2 * d * f)) == 0
    N = n_layer * matrices

    # The context term: what the T*T products add, per token and layer.
    context = sympy.expand(row.macs - T * matrices)
    assert sympy.expand(context / T - 2 * T * d) == 0  # MACs per token
    assert sympy.expand(2 * context / T - 4 * T * d) == 0  # FLOPs per token

    forward_per_token = sympy.expand(n_layer * 2 * row.macs / T)
    kaplan = 2 * N + 2 * n_layer * T * d
    assert sympy.expand(forward_per_token - kaplan - 2 * n_layer * T * d) == 0
    assert sympy.expand(forward_per_token - (2 * N + 2 * (2 * n_layer * T * d))) == 0

    # A causal mask: query i sees i keys, so each product is d * (1 + 2 + ... + T) MACs a layer.
    i = sympy.Symbol("i", positive=True, integer=True)
    causal_context = 2 * sympy.summation(i * d, (i, 1, T))
    causal_per_token = sympy.expand(n_layer * 2 * (T * matrices + causal_context) / T)
    assert sympy.expand(causal_per_token - (2 * N + 2 * n_layer * (T + 1) * d)) == 0
    assert sympy.expand(causal_per_token - kaplan - 2 * n_layer * d) == 0
    # Relative to C_forward the causal count differs by the diagonal only: 1/n_ctx of the term.
    assert sympy.limit((causal_per_token - 2 * N) / (kaplan - 2 * N), T, sympy.oo) == 1


def test_kaplan_at_gpt2_small_sizes() -> None:
    # GPT-2 small's sizes: 12 layers, d = 768, f = 3072, n_ctx = 1024. symcount's forward FLOPs
    # per token are C_forward + 2*n_layer*n_ctx*d_attn.
    row = (
        Sequential(Input(T, d), TransformerEncoder(h, f), framework="torch")
        .subs(T=1024, d=768, h=12, f=3072)
        .rows[0]
    )
    N = 12 * (4 * 768**2 + 2 * 768 * 3072)
    kaplan = 2 * N + 2 * 12 * 1024 * 768
    assert 12 * 2 * row.macs / 1024 == kaplan + 2 * 12 * 1024 * 768
