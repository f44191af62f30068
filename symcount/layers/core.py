"""Core layers: Input, Dense, Flatten, Activation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..costs import BIAS_FLOPS, activation_flops
from ..errors import ShapeError, SymcountError
from ..shapes import Shape, format_shape, product
from ..values import as_size
from .base import Layer, Weight, check_activation, require_rank

__all__ = ["Input", "Dense", "Flatten", "Activation"]


class Input:
    """A model's input, batch axis excluded: `Input(H, W, C)` or `Input((H, W, C), name="x")`.

    Inputs are tensors of a graph: each `Input(...)` is its own tensor (compared by identity, as
    Keras' are), which is what lets two inputs of the same shape feed different branches.
    """

    __slots__ = ("name", "shape")
    shape: Shape | None  # None only for a block's placeholder, whose shape comes when it is used
    name: str | None

    def __init__(self, *shape: Any, name: str | None = None) -> None:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if not shape:
            raise ShapeError("Input needs at least one axis, e.g. Input(784) or Input(H, W, C)")
        try:
            sizes = tuple(as_size(dim, f"shape[{i}]") for i, dim in enumerate(shape))
        except SymcountError as error:
            raise error.with_context("Input") from None
        object.__setattr__(self, "shape", sizes)
        object.__setattr__(self, "name", name)

    @classmethod
    def placeholder(cls, name: str | None = None) -> Input:
        """An input of no fixed shape: the entry of a block that is folded on other inputs."""
        item = object.__new__(cls)
        object.__setattr__(item, "shape", None)
        object.__setattr__(item, "name", name)
        return item

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Input is immutable")

    def __repr__(self) -> str:
        shape = "?" if self.shape is None else format_shape(self.shape)
        return f"Input{shape}" if self.name is None else f"Input({self.name}: {shape})"

    def xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Input:
        if self.shape is None:
            return Input.placeholder(self.name)
        return Input(*(dim.xreplace(mapping) for dim in self.shape), name=self.name)


@dataclass(frozen=True)
class Dense(Layer):
    """A fully connected layer on the last axis: kernel (n_in, units) and bias (units,).

    Like Keras, an input of any rank works; the kernel is shared across the other axes.
    """

    units: Any
    activation: str | None = None
    use_bias: bool = True

    sizes = ("units",)
    example_args = {"units": "u"}
    example_input = ("n",)
    derivation = "an n x u kernel (one weight per input-output pair) plus u biases"
    torch_name = "linear"
    torch_args = {"out_features": "units", "in_features": "channels_in", "bias": "use_bias"}

    def validate(self) -> None:
        check_activation(self.activation)

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, at_least=1)
        return (*input_shape[:-1], self.units)

    def weights(self, input_shape: Shape, framework: str = "keras") -> tuple[Weight, ...]:
        require_rank(self, input_shape, at_least=1)
        kernel = self.weight("kernel", (input_shape[-1], self.units))
        return (kernel, self.weight("bias", (self.units,))) if self.use_bias else (kernel,)

    def macs(self, input_shape: Shape, framework: str = "keras") -> sympy.Expr:
        # Each of the u outputs is a dot product of the n inputs, at every position of the other axes.
        require_rank(self, input_shape, at_least=1)
        return product(input_shape[:-1]) * input_shape[-1] * self.units

    def extra_flops(self, input_shape: Shape, framework: str = "keras") -> sympy.Expr:
        # One bias add per output element, then the activation on each output element.
        outputs = product(self.output_shape(input_shape))
        bias = BIAS_FLOPS * outputs if self.use_bias else sympy.Integer(0)
        return bias + activation_flops(self.activation, outputs)

    def describe(self) -> str:
        return f"Dense({self.units})"


@dataclass(frozen=True)
class Flatten(Layer):
    """Flattens everything but the batch axis: no parameters, only a reshape."""

    example_input = ("H", "W", "C")
    derivation = "no weights: the output is the same numbers in one axis"

    def output_shape(self, input_shape: Shape) -> Shape:
        return (product(input_shape),)


@dataclass(frozen=True)
class Activation(Layer):
    """Applies an activation function elementwise: no parameters, same shape."""

    activation: str = "linear"

    example_args = {"activation": "relu"}
    derivation = "no weights: a function applied to each element"

    def validate(self) -> None:
        check_activation(self.activation)

    def extra_flops(self, input_shape: Shape, framework: str = "keras") -> sympy.Expr:
        # The function once per element of the input (which is the output: same shape).
        return activation_flops(self.activation, product(input_shape))
