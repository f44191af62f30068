"""Core layers: Input, Dense, Flatten, Activation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from ..costs import BIAS_FLOPS, activation_flops
from ..errors import ShapeError, SpecError
from ..graph import Input
from ..shapes import Shape, format_shape, product
from ..target import Target
from ..text import dims, in_sum, many
from .base import Layer, Weight, check_activation, half, require_rank

__all__ = ["Input", "Dense", "Flatten", "Activation"]


@dataclass(frozen=True)
class Dense(Layer):
    """A fully connected layer on the last axis: kernel (n_in, units) and bias (units,).

    Like Keras, an input of any rank works; the kernel is shared across the other axes.
    """

    rules_noted = True

    units: Any
    activation: str | None = None
    use_bias: bool = True

    sizes = ("units",)
    example_args = {"units": "u"}
    example_input = ("n",)
    derivation = "an n x u kernel (one weight per input-output pair) plus u biases"
    torch_name = "linear"
    torch_args = {"out_features": "units", "in_features": "channels_in", "bias": "use_bias"}
    torch_positional = ("in_features", "out_features", "bias")
    torch_defaults = {"bias": True}

    def validate(self) -> None:
        check_activation(self.activation)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=1)
        return (*input_shape[:-1], self.units)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, at_least=1)
        kernel = self.weight("kernel", (input_shape[-1], self.units))
        return (kernel, self.weight("bias", (self.units,))) if self.use_bias else (kernel,)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Each of the u outputs is a dot product of the n inputs, at every position of the other axes.
        require_rank(self, input_shape, at_least=1)
        return product(input_shape[:-1]) * input_shape[-1] * self.units

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # One bias add per output element, then the activation on each output element.
        outputs = product(self.output_shape(input_shape, target))
        bias = BIAS_FLOPS * outputs if self.use_bias else sympy.Integer(0)
        return bias + activation_flops(self.activation, outputs)

    def explain(self, input_shape: Shape, target: Target) -> str | None:
        if not self.trainable:
            return None
        bias = f" + {many(self.units, 'bias')}" if self.use_bias else ""
        return f"{many(input_shape[-1], 'input')} x {many(self.units, 'unit')}{bias}"

    def describe(self) -> str:
        return f"Dense({self.units})"


@dataclass(frozen=True)
class Flatten(Layer):
    """Flattens everything but the batch axis: no parameters, only a reshape. PyTorch's
    `start_dim` and `end_dim` (counting the batch as axis 0) flatten only those axes."""

    rules_noted = True

    start_dim: Any = field(default=1, kw_only=True)
    end_dim: Any = field(default=-1, kw_only=True)

    example_input = ("H", "W", "C")
    derivation = "no weights: the output is the same numbers in one axis"
    torch_name = "flatten"
    torch_positional = ("start_dim", "end_dim")
    torch_defaults = {"start_dim": 1, "end_dim": -1}

    def validate(self) -> None:
        for what in ("start_dim", "end_dim"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"expected an axis (an integer). Received: {what}={value!r}")

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        rank = len(input_shape) + 1  # PyTorch counts the batch
        start, end = (d if d >= 0 else rank + d for d in (self.start_dim, self.end_dim))
        if not (0 <= start <= end < rank) or start == 0:
            raise ShapeError(
                f"start_dim={self.start_dim}, end_dim={self.end_dim} name no run of axes after the batch "
                f"of an input {format_shape(input_shape)}"
            )
        if (start, end) != (1, rank - 1) and target.keras:
            raise SpecError("start_dim and end_dim are PyTorch's; Keras' Flatten flattens every axis")
        return (*input_shape[: start - 1], product(input_shape[start - 1 : end]), *input_shape[end:])

    def explain(self, input_shape: Shape, target: Target) -> str | None:
        return f"it only reshapes {dims(input_shape)} into {in_sum(product(input_shape))}"


@dataclass(frozen=True)
class Activation(Layer):
    """Applies an activation function elementwise: no parameters, same shape."""

    rules_noted = True

    activation: str = "linear"

    example_args = {"activation": "relu"}
    derivation = "no weights: a function applied to each element"

    def validate(self) -> None:
        if self.activation != "glu":  # GLU is an Activation layer's own: it shapes the output
            check_activation(self.activation)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        if self.activation != "glu":
            return input_shape
        # GLU gates one half of the last axis with the other: the output is half as wide.
        require_rank(self, input_shape, at_least=1)
        return (*input_shape[:-1], half(input_shape[-1], "the last axis"))

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The function once per element of the input (GLU: a sigmoid and a product per output).
        if self.activation == "glu":
            return 2 * activation_flops("sigmoid", product(self.output_shape(input_shape, target)))
        return activation_flops(self.activation, product(input_shape))
