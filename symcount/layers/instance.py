"""PyTorch's other normalizations: InstanceNorm1d-3d, SyncBatchNorm, RMSNorm, LocalResponseNorm.

InstanceNorm and SyncBatchNorm are BatchNorm's bookkeeping (a weight and bias per channel when
`affine`, running mean and variance and num_batches_tracked as buffers when
`track_running_stats`) with other defaults and inputs: InstanceNorm normalises each example's
channel over its own positions, and starts with neither weights nor statistics. None of them
multiplies-accumulates (FlopCounterMode counts 0); their extra FLOPs are a normalisation's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..costs import NORMALIZE_FLOPS
from ..errors import SpecError
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from ..values import as_size
from .base import Layer, Weight, as_float, require_rank
from .normalization import _TorchBatchNorm, check_epsilon, normalize_flops

__all__ = [
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "SyncBatchNorm",
    "RMSNorm",
    "LocalResponseNorm",
]


@dataclass(frozen=True)
class _InstanceNorm(_TorchBatchNorm):
    """PyTorch's InstanceNorm: BatchNorm's weights and buffers, off by default."""

    affine: bool = False
    track_running_stats: bool = False

    torch_only = True
    torch_defaults = {
        "eps": 1e-5,
        "momentum": 0.1,
        "affine": False,
        "track_running_stats": False,
        "bias": True,
    }
    derivation = (
        "with affine, a weight and bias per channel (2C); with track_running_stats, running mean and "
        "variance (C each) and num_batches_tracked as buffers; neither by default"
    )
    torch_difference = ""


class InstanceNorm1d(_InstanceNorm):
    ranks = (2,)
    torch_name = "instance_norm1d"
    example_input = ("L", "C")


class InstanceNorm2d(_InstanceNorm):
    ranks = (3,)
    torch_name = "instance_norm2d"
    example_input = ("H", "W", "C")


class InstanceNorm3d(_InstanceNorm):
    ranks = (4,)
    torch_name = "instance_norm3d"
    example_input = ("D", "H", "W", "C")


class SyncBatchNorm(_TorchBatchNorm):
    """BatchNorm whose statistics are gathered across processes: the same weights and buffers,
    on an input of any rank from (C,) up."""

    ranks = (1, 2, 3, 4)
    torch_name = "sync_batch_norm"
    torch_only = True
    example_input = ("H", "W", "C")
    torch_positional = ("num_features", "eps", "momentum", "affine", "track_running_stats", "process_group")
    torch_defaults = {**_TorchBatchNorm.torch_defaults, "process_group": None}
    torch_args = {"process_group": ""}


@dataclass(frozen=True)
class RMSNorm(Layer):
    """PyTorch's RMSNorm over the last axes, whose sizes `normalized_shape` gives: x / rms(x) times
    a weight shaped like them (with `elementwise_affine`); no bias."""

    normalized_shape: Any
    eps: Any = None
    elementwise_affine: bool = True

    torch_name = "rms_norm"
    torch_only = True
    torch_positional = ("normalized_shape", "eps", "elementwise_affine")
    torch_defaults = {"eps": None, "elementwise_affine": True}
    example_args = {"normalized_shape": "d"}
    example_input = ("T", "d")
    derivation = "a weight shaped like normalized_shape scales each feature; no shift"
    torch_difference = "Keras spells it RMSNormalization"

    def validate(self) -> None:
        value = self.normalized_shape
        items = value if isinstance(value, (list, tuple)) else (value,)
        if not items:
            raise SpecError(f"expected a size or a list of sizes. Received: normalized_shape={value!r}")
        self._set("normalized_shape", tuple(as_size(item, "normalized_shape") for item in items))
        if self.eps is not None:
            self._set("eps", check_epsilon(self.eps, "eps"))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        count = len(self.normalized_shape)
        require_rank(self, input_shape, at_least=count)
        if any(certainly_differ(a, b) for a, b in zip(input_shape[-count:], self.normalized_shape)):
            raise SpecError(
                f"normalized_shape={format_shape(self.normalized_shape)} must be the input's last axes. "
                f"Received: input shape {format_shape(input_shape)}"
            )
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.output_shape(input_shape, target)
        return (self.weight("weight", self.normalized_shape),) if self.elementwise_affine else ()

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        self.output_shape(input_shape, target)
        return normalize_flops(input_shape, self.elementwise_affine, False)

    def expressions(self) -> Any:
        yield from self.normalized_shape


@dataclass(frozen=True)
class LocalResponseNorm(Layer):
    """Each element divided by (k + alpha/size * sum of the squares of `size` neighbouring
    channels)^beta (AlexNet's normalization): no weights, same shape."""

    size: Any
    alpha: Any = 1e-4
    beta: Any = 0.75
    k: Any = 1.0

    sizes = ("size",)
    torch_name = "local_response_norm"
    torch_only = True
    spatial_layout = True
    torch_positional = ("size", "alpha", "beta", "k")
    torch_defaults = {"alpha": 1e-4, "beta": 0.75, "k": 1.0}
    example_args = {"size": "n"}
    example_input = ("H", "W", "C")
    derivation = "no weights: each element divided by a power of its neighbours' squares"

    def validate(self) -> None:
        for what in ("alpha", "beta", "k"):
            self._set(what, as_float(getattr(self, what), what, -1e300, 1e300))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=2)
        return input_shape

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Per element: the `size` squares of its window summed (2 per neighbour), then the scale,
        # the power and the divide (a normalisation's unit).
        elements = product(self.output_shape(input_shape, target))
        return (2 * self.size + NORMALIZE_FLOPS) * elements
