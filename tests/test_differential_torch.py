"""Differential test for PyTorch: random chains of torch.nn modules drawn from the catalogue, each
written in a random spelling (positional in PyTorch's order, by keyword, class name as key), built
as a `framework: torch` spec and as an nn.Sequential, count the same.

Each step picks a module that fits the current shape (channels first, batch excluded) and draws
its arguments; PyTorch's own counts, output shape and FlopCounterMode's MACs (tests/frameworks.py)
are the oracle. A draw PyTorch refuses (a window larger than the input) is discarded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symcount.spec import parse_spec
from tests.frameworks import torch, torch_counts, torch_macs
from tests.test_catalogue_torch import ACTIVATIONS, SNAKE, Case, spellings

Step = tuple[str, str, tuple[Any, ...], dict[str, Any]]  # module, key, args, kwargs


def pick(data: st.DataObject, strategy: st.SearchStrategy[Any], label: str) -> Any:
    return data.draw(strategy, label=label)


def linear(data: st.DataObject, shape: tuple[int, ...]) -> Step | None:
    return (
        "Linear",
        "linear",
        (shape[-1], pick(data, st.integers(1, 6), "units"), pick(data, st.booleans(), "bias")),
        {},
    )


def conv(data: st.DataObject, shape: tuple[int, ...]) -> Step | None:
    rank = len(shape) - 1
    if not 1 <= rank <= 2:
        return None
    k = pick(data, st.integers(1, 3), "k")
    if min(shape[1:]) < k:
        return None
    f, s, p = (
        pick(data, st.integers(1, 4), "filters"),
        pick(data, st.integers(1, 2), "stride"),
        pick(data, st.integers(0, 1), "padding"),
    )
    return f"Conv{rank}d", f"conv{rank}d", (shape[0], f, k, s, p), {"bias": pick(data, st.booleans(), "bias")}


def pool(data: st.DataObject, shape: tuple[int, ...]) -> Step | None:
    rank = len(shape) - 1
    if not 1 <= rank <= 2:
        return None
    k = pick(data, st.integers(1, 2), "k")
    if min(shape[1:]) < k:
        return None
    kind = pick(data, st.sampled_from(["Max", "Avg"]), "kind")
    args = (k, None, 0, 1, False, pick(data, st.booleans(), "ceil_mode")) if kind == "Max" else (k,)
    return f"{kind}Pool{rank}d", f"{kind.lower()}_pool{rank}d", args, {}


def adaptive(data: st.DataObject, shape: tuple[int, ...]) -> Step | None:
    rank = len(shape) - 1
    if not 1 <= rank <= 3:
        return None
    kind = pick(data, st.sampled_from(["Avg", "Max"]), "kind")
    return (
        f"Adaptive{kind}Pool{rank}d",
        f"adaptive_{kind.lower()}_pool{rank}d",
        (pick(data, st.integers(1, 3), "o"),),
        {},
    )


def norm(data: st.DataObject, shape: tuple[int, ...]) -> Step | None:
    rank = len(shape) - 1
    kind = pick(
        data, st.sampled_from(["LayerNorm", "BatchNorm", "InstanceNorm", "GroupNorm", "RMSNorm"]), "norm"
    )
    if kind == "LayerNorm":
        return "LayerNorm", "layer_norm", (shape[-1],), {"bias": pick(data, st.booleans(), "bias")}
    if kind == "RMSNorm":
        return "RMSNorm", "rms_norm", (shape[-1],), {}
    if kind == "GroupNorm":
        if rank < 1:
            return None
        groups = pick(data, st.sampled_from([g for g in (1, 2, 3) if shape[0] % g == 0]), "groups")
        return "GroupNorm", "group_norm", (groups, shape[0]), {}
    if not 1 <= rank <= 2 or sum(shape[1:]) < 3:
        return None
    snake = "batch_norm" if kind == "BatchNorm" else "instance_norm"
    return f"{kind}{rank}d", f"{snake}{rank}d", (shape[0],), {"affine": pick(data, st.booleans(), "affine")}


def activation(data: st.DataObject, shape: tuple[int, ...]) -> Step | None:
    name = pick(data, st.sampled_from(ACTIVATIONS), "activation")
    args: tuple[Any, ...] = ()
    if name == "GLU":
        if shape[-1] % 2:
            return None
    elif name == "Softmax2d":
        if len(shape) != 3:
            return None
    elif name == "PReLU" and len(shape) > 1:
        args = (pick(data, st.sampled_from([1, shape[0]]), "num_parameters"),)
    elif name == "Threshold":
        args = (0.0, 1.0)
    return name, SNAKE.get(name, name.lower()), args, {}


def reshape(data: st.DataObject, shape: tuple[int, ...]) -> Step | None:
    kind = pick(
        data, st.sampled_from(["Flatten", "Upsample", "Pad", "PixelShuffle", "Dropout", "Unflatten"]), "kind"
    )
    rank = len(shape) - 1
    if kind == "Flatten" and len(shape) > 1:
        return "Flatten", "flatten", (pick(data, st.integers(1, len(shape) - 1), "start_dim"), -1), {}
    if kind == "Upsample" and 1 <= rank <= 2:
        return "Upsample", "upsample", (None, pick(data, st.sampled_from([2, 1.5]), "scale")), {}
    if kind == "Pad" and 1 <= rank <= 3:
        mode = pick(data, st.sampled_from(["Zero", "Replication", "Constant"]), "mode")
        amount = pick(data, st.integers(0, 2), "padding")
        return (
            f"{mode}Pad{rank}d",
            f"{mode.lower()}_pad{rank}d",
            ((amount, 0.0) if mode == "Constant" else (amount,)),
            {},
        )
    if kind == "PixelShuffle" and rank == 2 and shape[0] % 4 == 0:
        return "PixelShuffle", "pixel_shuffle", (2,), {}
    if kind == "Unflatten" and len(shape) == 1 and shape[0] % 2 == 0:
        return "Unflatten", "unflatten", (1, (2, shape[0] // 2)), {}
    if kind == "Dropout":
        return "Dropout", "dropout", (0.5,), {}
    return None


def sequence(data: st.DataObject, shape: tuple[int, ...]) -> Step | None:
    if len(shape) != 2:
        return None
    kind = pick(data, st.sampled_from(["LSTM", "GRU", "RNN", "TransformerEncoderLayer"]), "kind")
    if kind == "TransformerEncoderLayer":
        heads = pick(data, st.sampled_from([h for h in (1, 2, 3) if shape[1] % h == 0]), "heads")
        return (
            kind,
            "transformer_encoder_layer",
            (shape[1], heads, pick(data, st.integers(1, 6), "ff"), 0.0),
            {"batch_first": True},
        )
    units = pick(data, st.integers(1, 5), "units")
    return (
        kind,
        kind.lower(),
        (shape[1], units, pick(data, st.integers(1, 2), "layers")),
        {
            "batch_first": True,
            "bidirectional": pick(data, st.booleans(), "bidirectional"),
        },
    )


DRAWS: list[Callable[[st.DataObject, tuple[int, ...]], Step | None]] = [
    linear,
    conv,
    pool,
    adaptive,
    norm,
    activation,
    reshape,
    sequence,
]


class First:
    """A recurrent module's output sequence (it returns (output, state))."""

    def __new__(cls, module: Any) -> Any:
        nn = torch().nn

        class Output(nn.Module):  # type: ignore[misc,name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.inner = module

            def forward(self, x: Any) -> Any:
                return self.inner(x)[0]

        return Output()


@pytest.mark.frameworks
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_torch_chains_count_as_pytorch(data: st.DataObject) -> None:
    t = torch()
    start = pick(data, st.sampled_from([(6,), (5, 4), (4, 5, 5), (2, 4, 4, 3)]), "input")
    shape: tuple[int, ...] = start
    modules, entries = [], []
    for position in range(pick(data, st.integers(1, 4), "layers")):
        step = pick(data, st.sampled_from(DRAWS), f"kind {position}")(data, shape)
        if step is None:
            continue
        module_name, key, args, kwargs = step
        try:
            module = getattr(t.nn, module_name)(*args, **kwargs).eval()
            if module_name in ("LSTM", "GRU", "RNN"):
                module = First(module)
            with t.no_grad():
                shape = tuple(module(t.randn(1, *shape)).shape[1:])
        except (RuntimeError, ValueError):
            assume(False)
        assume(all(0 < d <= 64 for d in shape))
        modules.append(module)
        how = pick(
            data,
            st.sampled_from(sorted(spellings(Case(module_name, lambda d: ((), {}, ()), key), args, kwargs))),
            f"spelling {position}",
        )
        entries.append(spellings(Case(module_name, lambda d: ((), {}, ()), key), args, kwargs)[how])
    assume(modules)
    twin = t.nn.Sequential(*modules).eval()
    x = t.randn(1, *start)
    expected = torch_counts(twin, x)
    model = parse_spec({"input": list(start), "framework": "torch", "layers": entries}).model()
    counts = model.counts()
    assert counts["total"] == expected["total"], entries
    assert counts["trainable"] == expected["trainable"], entries
    assert counts["buffers"] == expected["buffers"], entries
    assert tuple(int(d) for d in model.output_shape) == expected["output_shape"], entries
    assert int(model.macs) == torch_macs(twin, x), entries
