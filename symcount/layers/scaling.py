"""Layers that scale features: Keras' Rescaling and Normalization (preprocessing) and LayerScale.

`Rescaling(scale, offset)` computes x * scale + offset and holds nothing. `Normalization`
computes (x - mean) / sqrt(variance) with statistics it keeps as non-trainable weights (mean and
variance shaped like the kept axes, and a scalar count of the examples `adapt` saw), which Keras'
count_params includes; given `mean` and `variance` in the constructor it keeps none.
`LayerScale` (ConvNeXt, CaiT) multiplies each feature by a learned factor: one vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..costs import BIAS_FLOPS
from ..errors import ShapeError, SpecError
from ..shapes import Shape, certainly_differ, product
from ..target import Target
from .base import Layer, Weight, as_float, check_flag, require_rank
from .normalization import axis_indices, check_axes

__all__ = ["Rescaling", "Normalization", "LayerScale"]


def _number(value: Any, what: str) -> float:
    return as_float(value, what, float("-inf"), float("inf"))


@dataclass(frozen=True)
class Rescaling(Layer):
    """x * scale + offset, elementwise: no weights (the pixels' 1/255 of many Keras models)."""

    scale: Any = 1.0
    offset: Any = 0.0

    example_args = {"scale": "1/255"}
    derivation = "no weights: each element times a constant, plus a constant"
    torch_counterpart = "a multiplication in forward()"

    def validate(self) -> None:
        self._set("scale", _number(self.scale, "scale"))
        self._set("offset", _number(self.offset, "offset"))

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # A multiply per element, and an add when there is an offset.
        return BIAS_FLOPS * (1 + int(self.offset != 0)) * product(input_shape)


@dataclass(frozen=True)
class Normalization(Layer):
    """Keras' Normalization: (x - mean) / sqrt(variance) over the kept `axis` (default the last;
    a list keeps several, None keeps none). Its statistics are weights Keras does not train: mean
    and variance shaped like the kept axes and a scalar count, unless `mean` and `variance` are
    given (then it keeps nothing). Under PyTorch the statistics are buffers.

    Example:
        >>> from symcount import Input, Sequential, Normalization, symbols
        >>> H, W, C = symbols("H W C")
        >>> model = Sequential(Input(H, W, C), Normalization())
        >>> model.params, model.non_trainable
        (2*C + 1, 2*C + 1)
    """

    axis: Any = -1
    mean: Any = None
    variance: Any = None
    invert: bool = False

    example_input = ("H", "W", "C")
    derivation = "non-trainable mean and variance for each of the C kept features, and a count"

    def validate(self) -> None:
        if self.axis is not None:
            self._set("axis", check_axes(self.axis, many=True))
        check_flag(self.invert, "invert")
        if (self.mean is None) != (self.variance is None):
            raise SpecError("give both mean and variance, or neither (then they are weights)")
        for what in ("mean", "variance"):
            value = getattr(self, what)
            if value is not None:
                items = value if isinstance(value, (list, tuple)) else [value]
                self._set(what, tuple(_number(item, what) for item in items))

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        kept = (
            () if self.axis is None else tuple(input_shape[i] for i in axis_indices(self.axis, input_shape))
        )
        if self.mean is not None:
            return ()
        kind = "buffer" if target.torch else "non_trainable"
        return (
            self.weight("mean", kept, kind),
            self.weight("variance", kept, kind),
            self.weight("count", (), kind),
        )

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Subtract the mean and divide by the standard deviation: 2 per element.
        return 2 * BIAS_FLOPS * product(input_shape)


@dataclass(frozen=True)
class LayerScale(Layer):
    """A learned factor per feature of the last axis (ConvNeXt's LayerScale, CaiT): one vector of
    `projection_dim` (the input's last axis, checked when given), initialised to `init_values`.

    Example:
        >>> from symcount import Input, Sequential, LayerScale, symbols
        >>> H, W, C = symbols("H W C")
        >>> Sequential(Input(H, W, C), LayerScale(1e-6)).params
        C
    """

    init_values: Any = 1e-6
    projection_dim: Any = None

    sizes = ("projection_dim",)
    example_input = ("T", "d")
    derivation = "one learned factor for each of the d features"
    torch_counterpart = "an nn.Parameter of d, multiplied in forward()"

    def validate(self) -> None:
        self._set("init_values", _number(self.init_values, "init_values"))

    def width(self, input_shape: Shape) -> sympy.Expr:
        require_rank(self, input_shape, at_least=1)
        if self.projection_dim is not None and certainly_differ(self.projection_dim, input_shape[-1]):
            raise ShapeError(
                f"projection_dim is the input's last axis, {input_shape[-1]}. "
                f"Received: projection_dim={self.projection_dim}"
            )
        return input_shape[-1]

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        return (self.weight("gamma", (self.width(input_shape),)),)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # One multiply per element.
        self.width(input_shape)
        return BIAS_FLOPS * product(input_shape)
