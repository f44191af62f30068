"""PyTorch modules as symcount layers: the spec key and the numbers each module's attributes hold
(constructor arguments read back, never parsed from `repr`). Spec entries use Keras' keys and
argument names under `framework: torch`, where the counts follow PyTorch's conventions.

Modules without parameters that keep their input's shape (activations, dropout) are not layers
here: the data flow passes through them. Unknown modules with parameters are refused by name.
"""

from __future__ import annotations

from typing import Any

from ..errors import SymcountError

__all__ = ["describe", "is_leaf", "atomic_paths"]

ATOMIC = ("MultiheadAttention",)  # modules with their own parameters and children, read as one


def is_leaf(module: Any) -> bool:
    return next(module.children(), None) is None


def atomic_paths(model: Any) -> set[str]:
    return {name for name, m in model.named_modules() if type(m).__name__ in ATOMIC}


def _pair(value: Any, what: str, path: str) -> int:
    """A square window's side (PyTorch keeps ints or tuples)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(set(values)) != 1 or not isinstance(values[0], int):
        raise SymcountError(f"{path}: only square windows are read so far. Received: {what}={value}")
    return values[0]


def describe(module: Any, path: str) -> tuple[str, dict[str, Any]] | None:
    """(spec key, arguments at this build) for `module`, or None for a module the data flow passes
    through (no parameters)."""
    kind = type(module).__name__
    params = sum(p.numel() for p in module.parameters())
    if kind in ("Linear", "NonDynamicallyQuantizableLinear"):
        return "dense", {"units": module.out_features, "use_bias": module.bias is not None}
    if kind == "Conv1D" and hasattr(module, "nf"):  # Hugging Face's GPT-2 projection, weight (in, out)
        return "dense", {"units": module.nf, "use_bias": True}
    if kind == "Embedding":
        return "embedding", {"input_dim": module.num_embeddings, "output_dim": module.embedding_dim}
    if kind == "LayerNorm":
        if len(module.normalized_shape) != 1:
            raise SymcountError(
                f"{path}: a LayerNorm over several axes. Received: {tuple(module.normalized_shape)}"
            )
        affine = module.elementwise_affine
        return "layer_normalization", {"center": affine and module.bias is not None, "scale": affine}
    if kind.endswith("RMSNorm") or kind == "T5LayerNorm":
        return "layer_normalization", {"center": False, "scale": params > 0}
    if kind in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"):
        if not (module.affine and module.track_running_stats):
            raise SymcountError(f"{path}: a BatchNorm without affine weights or running statistics")
        return f"batch_norm{kind[-2:]}", {}  # PyTorch's own: statistics on the channel axis, as buffers
    if kind == "Conv2d":
        padding = (
            module.padding if isinstance(module.padding, str) else _pair(module.padding, "padding", path)
        )
        args: dict[str, Any] = {
            "filters": module.out_channels,
            "kernel_size": _pair(module.kernel_size, "kernel_size", path),
            "strides": _pair(module.stride, "stride", path),
            "padding": padding,
            "use_bias": module.bias is not None,
        }
        if module.groups != 1:
            args["groups"] = module.groups
        if _pair(module.dilation, "dilation", path) != 1:
            args["dilation_rate"] = _pair(module.dilation, "dilation", path)
        return "conv2d", args
    if kind in ("MaxPool2d", "AvgPool2d"):
        key = "max_pooling2d" if kind == "MaxPool2d" else "average_pooling2d"
        pool = {
            "pool_size": _pair(module.kernel_size, "kernel_size", path),
            "strides": _pair(module.stride, "stride", path),
        }
        padding = _pair(module.padding, "padding", path)
        return key, {**pool, "padding": padding} if padding else pool
    if kind == "AdaptiveAvgPool2d" and module.output_size in (1, (1, 1)):
        return "global_average_pooling2d", {}
    if kind == "Flatten":
        return "flatten", {}
    if kind == "MultiheadAttention":
        if not module._qkv_same_embed_dim or module.bias_k is not None:
            raise SymcountError(f"{path}: a MultiheadAttention with other key/value widths or bias_kv")
        return "multi_head_attention", {
            "num_heads": module.num_heads,
            "use_bias": module.in_proj_bias is not None,
        }
    if params == 0:
        return None
    raise SymcountError(f"{path}: no symcount layer for the PyTorch module {kind} ({params:,} parameters)")
