"""Every torch.nn class symcount spells, built in PyTorch at drawn sizes and written four ways.

One table: each row names a torch.nn class and draws a constructor call (positional arguments,
keyword arguments, a batch-free input shape). The module is built and run in PyTorch on one
example; the spec is written four ways, as a user copies the call: positional in PyTorch's order
(`conv2d: [3, 8, 3]`), by keyword (`conv2d: {in_channels: 3, ...}`), as a lone size where the
layer has one (`linear: 8`), and with the class name as the key (`Conv2d: [3, 8, 3]`). Each must
give PyTorch's parameters, trainable parameters, buffers, output shape and MACs (half the FLOPs
torch.utils.flop_counter counts on the paths that count every product, tests/frameworks.py).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import Input, Model, Sequential, SymcountError
from symcount.spec import build_layer
from tests.frameworks import torch, torch_counts, torch_macs

Call = tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]
small = st.integers(1, 4)


@dataclass(frozen=True)
class Case:
    """A torch.nn class, a strategy for (args, kwargs, input shape), its snake_case key, and the
    lone value a call can be written as (None: it cannot)."""

    module: str
    draw: Callable[[st.DataObject], Call]
    key: str
    lone: Callable[[tuple[Any, ...], dict[str, Any]], Any] | None = None
    dtype: str = "float"


def pick(data: st.DataObject, strategy: st.SearchStrategy[Any], label: str) -> Any:
    return data.draw(strategy, label=label)


def linear(data: st.DataObject) -> Call:
    n, u = pick(data, small, "n"), pick(data, small, "u")
    return (n, u, pick(data, st.booleans(), "bias")), {}, (pick(data, small, "T"), n)


def conv(rank: int, transposed: bool = False) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        groups = pick(data, st.sampled_from([1, 2]), "groups")
        c, f = groups * pick(data, small, "c/g"), groups * pick(data, small, "f/g")
        k, s = pick(data, st.integers(1, 3), "k"), pick(data, st.integers(1, 2), "s")
        p, d = pick(data, st.integers(0, 1), "p"), pick(data, st.integers(1, 2), "d")
        spatial = tuple(pick(data, st.integers(d * (k - 1) + 1, 7), f"n{i}") for i in range(rank))
        if transposed:
            out = pick(data, st.integers(0, max(s, d) - 1), "output_padding")
            return (c, f, k, s, p, out, groups, pick(data, st.booleans(), "bias"), d), {}, (c, *spatial)
        return (
            (c, f, k, s, p, d, groups, pick(data, st.booleans(), "bias")),
            {"padding_mode": "zeros"},
            (c, *spatial),
        )

    return draw


def pool(rank: int, average: bool) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        k = pick(data, st.integers(1, 3), "k")
        s = pick(data, st.integers(1, 3), "s")
        p = pick(data, st.integers(0, k // 2), "p")
        ceil = pick(data, st.booleans(), "ceil_mode")
        c = pick(data, small, "c")
        d = 1 if average else pick(data, st.integers(1, 2), "d")
        spatial = tuple(pick(data, st.integers(d * (k - 1) + 1, 7), f"n{i}") for i in range(rank))
        if average:
            return (k, s, p, ceil, pick(data, st.booleans(), "count_include_pad")), {}, (c, *spatial)
        return (k, s, p, d, False, ceil), {}, (c, *spatial)

    return draw


def norm(rank: int) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        c = pick(data, small, "c")
        affine, stats = pick(data, st.booleans(), "affine"), pick(data, st.booleans(), "stats")
        # Without running statistics even eval() normalises by the batch's: more than one value.
        spatial = tuple(pick(data, st.integers(2, 4), f"n{i}") for i in range(rank))
        return (c, 1e-5, 0.1, affine, stats), {}, (c, *spatial)

    return draw


def layer_norm(data: st.DataObject) -> Call:
    d = pick(data, small, "d")
    return (d, 1e-5, pick(data, st.booleans(), "affine"), pick(data, st.booleans(), "bias")), {}, (3, d)


def group_norm(data: st.DataObject) -> Call:
    g = pick(data, st.integers(1, 3), "g")
    c = g * pick(data, small, "c/g")
    return (g, c, 1e-5, pick(data, st.booleans(), "affine")), {}, (c, pick(data, st.integers(2, 4), "L"))


def dropout(rank: int) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        return (
            (pick(data, st.sampled_from([0.0, 0.5]), "p"),),
            {},
            tuple(pick(data, small, "n") for _ in range(rank + 1)),
        )

    return draw


def recurrent(kind: str) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        n, u, layers = (
            pick(data, small, "n"),
            pick(data, st.integers(2, 4), "u"),
            pick(data, st.integers(1, 2), "layers"),
        )
        bias, both = pick(data, st.booleans(), "bias"), pick(data, st.booleans(), "bidirectional")
        head: tuple[Any, ...] = (n, u, layers)
        if kind == "RNN":
            head += (pick(data, st.sampled_from(["tanh", "relu"]), "nonlinearity"),)
        args = (*head, bias, True, 0.0, both)
        if kind == "LSTM":
            args += (pick(data, st.integers(0, u - 1), "proj_size"),)
        return args, {}, (pick(data, small, "T"), n)

    return draw


def attention(data: st.DataObject) -> Call:
    h = pick(data, st.integers(1, 3), "h")
    d = h * pick(data, small, "d/h")
    options = (
        pick(data, st.booleans(), "bias"),
        pick(data, st.booleans(), "bias_kv"),
        pick(data, st.booleans(), "zero"),
    )
    return (d, h, 0.0, *options, None, None, True), {}, (pick(data, small, "T"), d)


def encoder_layer(data: st.DataObject) -> Call:
    h = pick(data, st.integers(1, 3), "h")
    d = h * pick(data, small, "d/h")
    activation = pick(data, st.sampled_from(["relu", "gelu"]), "activation")
    first, bias = pick(data, st.booleans(), "norm_first"), pick(data, st.booleans(), "bias")
    return (
        (d, h, pick(data, small, "ff"), 0.0, activation, 1e-5, True, first, bias),
        {},
        (pick(data, small, "T"), d),
    )


def embedding(data: st.DataObject) -> Call:
    return (
        (pick(data, st.integers(2, 9), "vocabulary"), pick(data, small, "d")),
        {},
        (pick(data, small, "T"),),
    )


def upsample(data: st.DataObject) -> Call:
    rank = pick(data, st.integers(1, 3), "rank")
    modes = ["nearest", "nearest-exact", "area", {1: "linear", 2: "bilinear", 3: "trilinear"}[rank]]
    mode = pick(data, st.sampled_from(modes + (["bicubic"] if rank == 2 else [])), "mode")
    spatial = tuple(pick(data, small, f"n{i}") for i in range(rank))
    if pick(data, st.booleans(), "to a size"):
        return (tuple(pick(data, small, f"size{i}") for i in range(rank)), None, mode), {}, (2, *spatial)
    scale = pick(data, st.sampled_from([1, 2, 1.5, 2.5, 0.5]), "scale")
    return (None, scale, mode), {}, (2, *spatial)


def fixed_upsample(data: st.DataObject) -> Call:
    spatial = (pick(data, small, "h"), pick(data, small, "w"))
    if pick(data, st.booleans(), "to a size"):
        return ((pick(data, small, "H"), pick(data, small, "W")),), {}, (2, *spatial)
    return (None, pick(data, st.integers(1, 3), "scale")), {}, (2, *spatial)


def flatten(data: st.DataObject) -> Call:
    rank = pick(data, st.integers(1, 4), "rank")
    start = pick(data, st.integers(1, rank), "start_dim")
    end = pick(data, st.sampled_from([-1, *range(start, rank + 1)]), "end_dim")
    return (start, end), {}, tuple(pick(data, small, f"n{i}") for i in range(rank))


def unflatten(data: st.DataObject) -> Call:
    a, b = pick(data, small, "a"), pick(data, small, "b")
    sizes = pick(data, st.sampled_from([(a, b), (a, -1), (-1, b)]), "sizes")
    return (pick(data, st.sampled_from([1, -1]), "dim"), sizes), {}, (a * b,)


def shuffle(kind: str) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        r = pick(data, st.integers(1, 3), "r")
        c, h, w = pick(data, small, "c"), pick(data, small, "h"), pick(data, small, "w")
        if kind == "PixelShuffle":
            return (r,), {}, (c * r * r, h, w)
        if kind == "PixelUnshuffle":
            return (r,), {}, (c, h * r, w * r)
        return (r,), {}, (c * r, h, w)

    return draw


def pad(rank: int, constant: bool) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        spatial = tuple(pick(data, st.integers(3, 5), f"n{i}") for i in range(rank))
        amounts: Any = tuple(pick(data, st.integers(0, 2), f"p{i}") for i in range(2 * rank))
        if pick(data, st.booleans(), "one amount"):
            amounts = amounts[0]
        return ((amounts, 0.5) if constant else (amounts,)), {}, (pick(data, small, "c"), *spatial)

    return draw


def zero_pad(rank: int) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        amounts = tuple(pick(data, st.integers(0, 2), f"p{i}") for i in range(2 * rank))
        spatial = tuple(pick(data, small, f"n{i}") for i in range(rank))
        return (amounts,), {}, (pick(data, small, "c"), *spatial)

    return draw


def adaptive(rank: int, maximum: bool) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        spatial = tuple(pick(data, st.integers(1, 7), f"n{i}") for i in range(rank))
        sizes: Any = tuple(pick(data, st.one_of(st.none(), st.integers(1, 5)), f"o{i}") for i in range(rank))
        if pick(data, st.booleans(), "one size") or rank == 1:
            sizes = pick(data, st.integers(1, 5), "o")
        return ((sizes, False) if maximum else (sizes,)), {}, (pick(data, small, "c"), *spatial)

    return draw


def lp_pool(rank: int) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        k, s = pick(data, st.integers(1, 3), "k"), pick(data, st.one_of(st.none(), st.integers(1, 3)), "s")
        spatial = tuple(pick(data, st.integers(k, 7), f"n{i}") for i in range(rank))
        norm = pick(data, st.sampled_from([1, 2, 3.0]), "norm")
        return (norm, k, s, pick(data, st.booleans(), "ceil_mode")), {}, (pick(data, small, "c"), *spatial)

    return draw


def fractional(rank: int) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        k = pick(data, st.integers(1, 3), "k")
        spatial = tuple(pick(data, st.integers(k + 2, 8), f"n{i}") for i in range(rank))
        if pick(data, st.booleans(), "ratio"):
            return (k, None, pick(data, st.sampled_from([0.5, 0.25]), "ratio")), {}, (2, *spatial)
        size = pick(data, st.integers(1, min(spatial) - k), "o")
        return (k, size), {}, (2, *spatial)

    return draw


def instance_norm(rank: int) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        c = pick(data, small, "c")
        spatial = tuple(pick(data, st.integers(2, 4), f"n{i}") for i in range(rank))
        options = (pick(data, st.booleans(), "affine"), pick(data, st.booleans(), "stats"))
        return (c, 1e-5, 0.1, *options), {"bias": pick(data, st.booleans(), "bias")}, (c, *spatial)

    return draw


def rms_norm(data: st.DataObject) -> Call:
    d = pick(data, small, "d")
    shape: Any = pick(data, st.sampled_from([d, (d,), (3, d)]), "normalized_shape")
    return (shape, None, pick(data, st.booleans(), "affine")), {}, (3, d)


def local_response_norm(data: st.DataObject) -> Call:
    return (pick(data, st.integers(1, 4), "size"),), {}, (pick(data, small, "c"), pick(data, small, "h"))


def cell(kind: str) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        n, u = pick(data, small, "n"), pick(data, small, "u")
        args: tuple[Any, ...] = (n, u, pick(data, st.booleans(), "bias"))
        if kind == "RNNCell":
            args += (pick(data, st.sampled_from(["tanh", "relu"]), "nonlinearity"),)
        return args, {}, (n,)

    return draw


def bilinear(data: st.DataObject) -> Call:
    n1, n2, u = pick(data, small, "n1"), pick(data, small, "n2"), pick(data, small, "u")
    return (n1, n2, u, pick(data, st.booleans(), "bias")), {}, (pick(data, small, "T"), n1, n2)


def embedding_bag(data: st.DataObject) -> Call:
    mode = pick(data, st.sampled_from(["mean", "sum", "max"]), "mode")
    return (
        (pick(data, st.integers(2, 9), "vocabulary"), pick(data, small, "d")),
        {"mode": mode},
        (pick(data, small, "L"),),
    )


def unfold(data: st.DataObject) -> Call:
    k, d, s = (
        pick(data, st.integers(1, 3), "k"),
        pick(data, st.integers(1, 2), "d"),
        pick(data, st.integers(1, 2), "s"),
    )
    p = pick(data, st.integers(0, 1), "p")
    spatial = (
        pick(data, st.integers(d * (k - 1) + 1, 6), "h"),
        pick(data, st.integers(d * (k - 1) + 1, 6), "w"),
    )
    return (k, d, p, s), {}, (pick(data, small, "c"), *spatial)


def fold(data: st.DataObject) -> Call:
    k, s = pick(data, st.integers(1, 3), "k"), pick(data, st.integers(1, 2), "s")
    h, w = pick(data, st.integers(k, 6), "h"), pick(data, st.integers(k, 6), "w")
    blocks = ((h - k) // s + 1) * ((w - k) // s + 1)
    return ((h, w), k, 1, 0, s), {}, (pick(data, small, "c") * k * k, blocks)


def activation(module: str) -> Callable[[st.DataObject], Call]:
    def draw(data: st.DataObject) -> Call:
        c = 2 * pick(data, small, "c/2")
        shape = (c, pick(data, small, "h"), 2 * pick(data, small, "w/2"))
        args: tuple[Any, ...] = ()
        if module == "PReLU":
            args = (pick(data, st.sampled_from([1, c]), "num_parameters"),)
        elif module == "GLU":
            args = (pick(data, st.sampled_from([1, -1]), "dim"),)
        elif module in ("Softmax", "Softmin", "LogSoftmax"):
            args = (pick(data, st.sampled_from([1, 2, -1]), "dim"),)
        elif module == "Threshold":
            args = (0.1, 20.0)
        elif module == "LeakyReLU":
            args = (0.2,)
        elif module == "GELU":
            args = (pick(data, st.sampled_from(["none", "tanh"]), "approximate"),)
        return args, {}, shape

    return draw


def lone_at(
    module: str, index: int, input_side: tuple[int, ...] = ()
) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    """The lone value of a call: argument `index`, when every other argument is PyTorch's default
    or one the input gives (`linear: u` is Linear(n, u))."""

    def lone(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        init = getattr(torch().nn, module).__init__
        overloads = typing.get_overloads(init)
        parameters = [
            p
            for p in inspect.signature(overloads[0] if overloads else init).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD
        ][1:]
        for position, (value, parameter) in enumerate(zip(args, parameters)):
            if position != index and position not in input_side and value != parameter.default:
                return None
        return None if kwargs or isinstance(args[index], tuple) else args[index]

    return lone


def first(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The one argument of a call, which a spec may write alone (a list would be positional)."""
    return args[0] if len(args) == 1 and not kwargs and not isinstance(args[0], tuple) else None


ACTIVATIONS = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "PReLU",
    "RReLU",
    "ELU",
    "CELU",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "Hardshrink",
    "Softshrink",
    "Tanhshrink",
    "Softplus",
    "Softsign",
    "LogSigmoid",
    "Threshold",
    "Softmax",
    "Softmin",
    "LogSoftmax",
    "Softmax2d",
    "GLU",
    "Identity",
]
SNAKE = {
    "LogSigmoid": "logsigmoid",
    "Softmax2d": "softmax2d",
    "LeakyReLU": "leaky_relu",
    "LogSoftmax": "log_softmax",
}

CASES = [
    Case("Linear", linear, "linear", lone_at("Linear", 1, (0,))),
    *(Case(f"Conv{r}d", conv(r), f"conv{r}d") for r in (1, 2, 3)),
    *(Case(f"ConvTranspose{r}d", conv(r, True), f"conv_transpose{r}d") for r in (1, 2, 3)),
    *(Case(f"MaxPool{r}d", pool(r, False), f"max_pool{r}d", lone_at(f"MaxPool{r}d", 0)) for r in (1, 2, 3)),
    *(Case(f"AvgPool{r}d", pool(r, True), f"avg_pool{r}d", lone_at(f"AvgPool{r}d", 0)) for r in (1, 2, 3)),
    *(Case(f"BatchNorm{r}d", norm(r), f"batch_norm{r}d", lone_at(f"BatchNorm{r}d", 0)) for r in (1, 2, 3)),
    Case("LayerNorm", layer_norm, "layer_norm", lone_at("LayerNorm", 0)),
    *(Case(f"InstanceNorm{r}d", instance_norm(r), f"instance_norm{r}d") for r in (1, 2, 3)),
    Case("SyncBatchNorm", norm(2), "sync_batch_norm"),
    Case("RMSNorm", rms_norm, "rms_norm", first),
    Case("LocalResponseNorm", local_response_norm, "local_response_norm", first),
    Case("FeatureAlphaDropout", dropout(2), "feature_alpha_dropout", first),
    Case("GroupNorm", group_norm, "group_norm", lone_at("GroupNorm", 0, (1,))),
    Case("Dropout", dropout(1), "dropout", first),
    *(Case(f"Dropout{r}d", dropout(r), f"dropout{r}d", first) for r in (1, 2, 3)),
    Case("AlphaDropout", dropout(1), "alpha_dropout", first),
    Case("Embedding", embedding, "embedding", dtype="long"),
    *(Case(kind, recurrent(kind), kind.lower()) for kind in ("RNN", "LSTM", "GRU")),
    Case("MultiheadAttention", attention, "multihead_attention"),
    Case("TransformerEncoderLayer", encoder_layer, "transformer_encoder_layer"),
    Case("Upsample", upsample, "upsample"),
    Case("UpsamplingNearest2d", fixed_upsample, "upsampling_nearest2d"),
    Case("UpsamplingBilinear2d", fixed_upsample, "upsampling_bilinear2d"),
    Case("Flatten", flatten, "flatten"),
    *(
        Case(kind, cell(kind), snake, lone_at(kind, 1, (0,)))
        for kind, snake in (("RNNCell", "rnn_cell"), ("LSTMCell", "lstm_cell"), ("GRUCell", "gru_cell"))
    ),
    Case("Bilinear", bilinear, "bilinear"),
    Case("EmbeddingBag", embedding_bag, "embedding_bag", dtype="long"),
    Case("Unfold", unfold, "unfold"),
    Case("Fold", fold, "fold"),
    *(Case(f"AdaptiveAvgPool{r}d", adaptive(r, False), f"adaptive_avg_pool{r}d", first) for r in (1, 2, 3)),
    *(Case(f"AdaptiveMaxPool{r}d", adaptive(r, True), f"adaptive_max_pool{r}d") for r in (1, 2, 3)),
    *(Case(f"LPPool{r}d", lp_pool(r), f"lp_pool{r}d") for r in (1, 2, 3)),
    *(Case(f"FractionalMaxPool{r}d", fractional(r), f"fractional_max_pool{r}d") for r in (2, 3)),
    Case("Unflatten", unflatten, "unflatten"),
    *(
        Case(kind, shuffle(kind), snake, first)
        for kind, snake in (
            ("PixelShuffle", "pixel_shuffle"),
            ("PixelUnshuffle", "pixel_unshuffle"),
            ("ChannelShuffle", "channel_shuffle"),
        )
    ),
    *(Case(f"ConstantPad{r}d", pad(r, True), f"constant_pad{r}d") for r in (1, 2, 3)),
    *(
        Case(f"{mode}Pad{r}d", pad(r, False), f"{mode.lower()}_pad{r}d", first)
        for mode in ("Reflection", "Replication", "Circular")
        for r in (1, 2, 3)
    ),
    *(Case(f"ZeroPad{r}d", zero_pad(r), f"zero_pad{r}d", first) for r in (1, 2, 3)),
    *(Case(name, activation(name), SNAKE.get(name, name.lower()), first) for name in ACTIVATIONS),
]


def parameter_names(module: str) -> list[str]:
    init = getattr(torch().nn, module).__init__
    overloads = typing.get_overloads(init)
    signature = inspect.signature(overloads[0] if overloads else init)
    return [p.name for p in signature.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD][1:]


def spellings(case: Case, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The spec entries a user may write for `nn.<module>(*args, **kwargs)`."""
    values = [list(a) if isinstance(a, tuple) else a for a in args]
    found: dict[str, Any] = {
        "positional": {case.key: values, **kwargs},
        "keyword": {case.key: {**dict(zip(parameter_names(case.module), values)), **kwargs}},
        "class name": {case.module: values, **kwargs},
    }
    lone = case.lone(args, kwargs) if case.lone else None
    if lone is not None:
        found["lone"] = {case.key: list(lone) if isinstance(lone, tuple) else lone}
    return found


def reference(
    case: Case, args: tuple[Any, ...], kwargs: dict[str, Any], shape: tuple[int, ...]
) -> dict[str, Any]:
    """PyTorch's counts for one example of `shape`."""
    t = torch()
    module = getattr(t.nn, case.module)(*args, **kwargs).eval()
    x = t.randint(0, args[0], (1, *shape)) if case.dtype == "long" else t.randn(1, *shape)
    if case.module == "Bilinear":  # two inputs, (T, n1) and (T, n2)
        steps, n1, n2 = shape
        x1, x2 = t.randn(1, steps, n1), t.randn(1, steps, n2)
        counts = torch_counts(module)
        with t.no_grad():
            counts["output_shape"] = tuple(module(x1, x2).shape[1:])
        # FlopCounterMode has no formula for aten._trilinear (it counts 0); PyTorch contracts x1
        # with the (u, n1, n2) weight, then the (u, n2) result with x2, at each of the T positions.
        assert torch_macs(module, x1, x2) == 0
        u = args[2]
        counts["macs"] = steps * (u * n1 * n2 + u * n2)
        return counts
    if case.module == "MultiheadAttention":
        counts = torch_counts(module)
        with t.no_grad():
            counts["output_shape"] = tuple(module(x, x, x, need_weights=False)[0].shape[1:])
        counts["macs"] = torch_macs(lambda q: module(q, q, q, need_weights=False), x)
        return counts
    counts = torch_counts(module, x)
    counts["macs"] = torch_macs(module, x)
    return counts


@pytest.mark.frameworks
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.module)
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_each_torch_class_counts_as_pytorch_in_every_spelling(case: Case, data: st.DataObject) -> None:
    args, kwargs, shape = case.draw(data)
    try:
        expected = reference(case, args, kwargs, shape)
    except (RuntimeError, ValueError):  # a call PyTorch refuses, symcount refuses in every spelling
        assert case.module != "Bilinear"
        for entry in spellings(case, args, kwargs).values():
            with pytest.raises(SymcountError):
                Sequential(Input(*shape), build_layer(entry, "torch"), framework="torch")
        return
    if 0 in expected["output_shape"]:  # PyTorch returns an empty tensor; symcount says why it has none
        for entry in spellings(case, args, kwargs).values():
            with pytest.raises(SymcountError, match="positive"):
                Sequential(Input(*shape), build_layer(entry, "torch"), framework="torch")
        return
    for how, entry in spellings(case, args, kwargs).items():
        layer = build_layer(entry, "torch")
        if case.module == "Bilinear":
            first, second = Input(shape[0], shape[1]), Input(shape[0], shape[2])
            model: Any = Model([first, second], layer([first, second]), framework="torch")
        else:
            model = Sequential(Input(*shape), layer, framework="torch")
        counts = model.counts()
        found = {
            "total": counts["total"],
            "trainable": counts["trainable"],
            "non_trainable": counts["non_trainable"],
            "buffers": int(model.buffers),
            "output_shape": tuple(int(d) for d in model.output_shape),
            "macs": int(model.macs),
        }
        assert found == expected, (how, entry)
