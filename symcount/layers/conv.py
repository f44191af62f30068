"""Convolutions: Conv1D, Conv2D, Conv3D (channels-last, with strides, dilation and groups)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import ShapeError, SpecError
from ..shapes import Shape, conv_length, format_shape
from .base import Layer, Weight, check_activation, check_choice, require_rank

__all__ = ["Conv1D", "Conv2D", "Conv3D"]


def check_fits(layer: Layer, lengths: Shape, input_shape: Shape, what: str) -> None:
    """Raise when a window does not fit: a concrete output length below 1."""
    for axis, length in enumerate(lengths):
        if (length.is_number and length < 1) or length.is_positive is False:
            raise ShapeError(
                f"{what} does not fit: spatial axis {axis} of {format_shape(input_shape)} "
                f"would have size {length}"
            )


def window(values: tuple[sympy.Expr, ...]) -> str:
    """`3x3`: a kernel or pool size as people write it."""
    return "x".join(str(v) for v in values)


@dataclass(frozen=True)
class _Conv(Layer):
    """An N-D convolution: kernel (*kernel_size, channels // groups, filters) and bias (filters,)."""

    filters: Any
    kernel_size: Any
    strides: Any = 1
    padding: str = "valid"
    dilation_rate: Any = 1
    groups: Any = 1
    activation: str | None = None
    use_bias: bool = True

    sizes = ("filters", "groups")
    size_tuples = ("kernel_size", "strides", "dilation_rate")
    torch_args = {
        "out_channels": "filters", "in_channels": "channels_in", "stride": "strides",
        "dilation": "dilation_rate", "bias": "use_bias",
    }  # fmt: skip
    derivation = (
        "one kernel of size k per filter over the C/groups channels it sees, plus f biases; "
        "torch's Conv has the same weights in (f, C/groups, *k) order"
    )

    def validate(self) -> None:
        check_choice(
            self.padding, "padding", ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        )
        check_activation(self.activation)
        strided = any(s.is_number and s > 1 for s in self.strides)
        dilated = any(d.is_number and d > 1 for d in self.dilation_rate)
        if strided and dilated:
            raise SpecError(
                "strides > 1 is not supported together with dilation_rate > 1 (as in Keras). "
                f"Received: strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        remainder = self.filters % self.groups
        if remainder.is_number and remainder != 0:
            raise SpecError(
                f"filters must be divisible by groups. Received: filters={self.filters}, groups={self.groups}"
            )

    def channels(self, input_shape: Shape) -> sympy.Expr:
        require_rank(self, input_shape, rank=self.rank + 1)
        channels = input_shape[-1]
        remainder = channels % self.groups
        if remainder.is_number and remainder != 0:
            raise ShapeError(
                f"input channels must be divisible by groups. Received: {channels} channels, "
                f"groups={self.groups}"
            )
        return channels

    def output_shape(self, input_shape: Shape) -> Shape:
        self.channels(input_shape)
        lengths = tuple(
            conv_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(input_shape[:-1], self.kernel_size, self.strides, self.dilation_rate)
        )
        check_fits(
            self, lengths, input_shape, f"kernel {window(self.kernel_size)} with padding {self.padding!r}"
        )
        return (*lengths, self.filters)

    def weights(self, input_shape: Shape, framework: str = "keras") -> tuple[Weight, ...]:
        channels = self.channels(input_shape)
        kernel = self.weight("kernel", (*self.kernel_size, channels / self.groups, self.filters))
        return (kernel, self.weight("bias", (self.filters,))) if self.use_bias else (kernel,)

    def describe(self) -> str:
        return f"{type(self).__name__}({self.filters}, {window(self.kernel_size)})"


@dataclass(frozen=True)
class Conv1D(_Conv):
    rank = 1
    torch_name = "conv1d"
    example_args = {"filters": "f", "kernel_size": "k"}
    example_input = ("L", "C")


@dataclass(frozen=True)
class Conv2D(_Conv):
    rank = 2
    torch_name = "conv2d"
    example_args = {"filters": "f", "kernel_size": "k"}
    example_input = ("H", "W", "C")


@dataclass(frozen=True)
class Conv3D(_Conv):
    rank = 3
    torch_name = "conv3d"
    example_args = {"filters": "f", "kernel_size": "k"}
    example_input = ("D", "H", "W", "C")
