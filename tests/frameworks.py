"""The oracles: build the same layer or model in Keras 3 (torch backend) and PyTorch and count.

Tests call `keras()` / `torch()` to get the module or be skipped cleanly when it is absent.
Counts come back as plain ints, straight from the framework's own weights.
"""

from __future__ import annotations

import math
import os
import warnings
from types import ModuleType
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")


def channels_first(shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """Keras' layout (*spatial, C) in PyTorch's (C, *spatial), for the same layer under both."""
    return (shape[-1], *shape[:-1])


def keras() -> ModuleType:
    module = pytest.importorskip("keras", reason="Keras 3 is not installed")
    if module.backend.backend() != "torch":
        pytest.skip("these tests run Keras on the torch backend (KERAS_BACKEND=torch)")
    return module


def torch() -> ModuleType:
    return pytest.importorskip("torch", reason="PyTorch is not installed")


def keras_counts(layers: list[Any], input_shape: tuple[int, ...], dtype: str | None = None) -> dict[str, Any]:
    """Build `keras.Sequential([Input(input_shape), *layers])` and count as Keras does (`dtype`
    "int32" for token ids)."""
    k = keras()
    return keras_model_counts(k.Sequential([k.Input(shape=input_shape, dtype=dtype), *layers]))


def keras_model_counts(model: Any) -> dict[str, Any]:
    """Total, trainable, non-trainable and output shape of a built Keras model."""
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    non_trainable = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    assert model.count_params() == trainable + non_trainable
    return {
        "total": model.count_params(),
        "trainable": trainable,
        "non_trainable": non_trainable,
        "output_shape": tuple(model.output_shape[1:]),
    }


def torch_counts(module: Any, example_input: Any = None) -> dict[str, Any]:
    """Parameters (all, trainable), buffers, and the output shape of a forward pass if given."""
    params = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    counts = {
        "total": params,
        "trainable": trainable,
        "non_trainable": params - trainable,
        "buffers": sum(b.numel() for b in module.buffers()),
    }
    if example_input is not None:
        t = torch()
        module.eval()
        with t.no_grad():
            output = module(example_input)
        if isinstance(output, tuple):
            output = output[0]
        counts["output_shape"] = tuple(output.shape[1:])
    return counts


def symcount_counts(
    layers: list[Any], input_shape: tuple[Any, ...], framework: str = "keras", **values: Any
) -> dict[str, Any]:
    """The same counts from symcount, with `values` substituted."""
    from symcount import Input, Sequential

    model = Sequential(Input(*input_shape), *layers, framework=framework).subs(values)
    counts = model.counts()
    counts["output_shape"] = tuple(int(d) for d in model.output_shape)
    return counts


def torch_macs(module: Any, *inputs: Any) -> int:
    """Multiply-accumulates of `module(*inputs)` as torch.utils.flop_counter counts them (half its
    FLOPs), on the paths that count every product: the attention fast path off, SDPA's math
    kernel, oneDNN off (recurrent layers then run as one addmm per step), no autograd."""
    t = torch()
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    fast = t.backends.mha.get_fastpath_enabled()
    t.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # oneDNN's flags warn of TF32 on Intel GPUs
            with (
                t.no_grad(),
                sdpa_kernel(SDPBackend.MATH),
                t.backends.mkldnn.flags(enabled=False),
                FlopCounterMode(display=False) as mode,
            ):
                module(*inputs)
    finally:
        t.backends.mha.set_fastpath_enabled(fast)
    flops = int(mode.get_total_flops())
    assert flops % 2 == 0
    return flops // 2
