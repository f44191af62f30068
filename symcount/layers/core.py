"""Core layers: Input, Dense, Flatten, Activation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..costs import BIAS_FLOPS, activation_flops
from ..graph import Input
from ..shapes import Shape, product
from ..target import Target
from ..text import dims, in_sum, many
from .base import Layer, Weight, check_activation, keras_names, require_rank

__all__ = ["Input", "Dense", "Flatten", "Activation"]


@dataclass(frozen=True)
class Dense(Layer):
    """A fully connected layer on the last axis: kernel (n_in, units) and bias (units,).

    Like Keras, an input of any rank works; the kernel is shared across the other axes.
    """

    keras_positional = keras_names(
        "units activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint lora_rank lora_alpha quantization_config"
    )

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


class Flatten(Layer):
    """Flattens everything but the batch axis: no parameters, only a reshape."""

    keras_positional = keras_names("data_format")

    rules_noted = True

    example_input = ("H", "W", "C")
    derivation = "no weights: the output is the same numbers in one axis"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return (product(input_shape),)

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
        check_activation(self.activation)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The function once per element of the input (which is the output: same shape).
        return activation_flops(self.activation, product(input_shape))
