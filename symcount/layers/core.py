"""Core layers: Input, Dense, EinsumDense, Flatten, Identity, Masking, Activation, and Keras'
activation layers (ELU, LeakyReLU, PReLU, ReLU, Softmax)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from ..costs import BIAS_FLOPS, activation_flops
from ..errors import ShapeError, SpecError
from ..graph import Input
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from ..text import dims, in_sum, many
from ..values import as_size
from .base import (
    Layer,
    Saved,
    Weight,
    activation_saved,
    as_number,
    check_activation,
    half,
    keras_names,
    require_rank,
)

__all__ = [
    "Input", "Dense", "EinsumDense", "Flatten", "Identity", "Masking", "Activation",
    "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax",
]  # fmt: skip

MAX_EQUATION = 64  # characters of an EinsumDense equation; Keras' own use a handful of letters


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

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # The input, for the kernel's gradient (a frozen kernel needs it not); the activation's
        # input (the product, a new tensor) or output, as the function needs.
        outputs = product(self.output_shape(input_shape, target))
        before, after, extra = activation_saved(self.activation, outputs)
        return Saved(("float",), after, ((outputs, "float"),) * before + extra, weights_only=(True,))

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

    keras_positional = keras_names("data_format")

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

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        return Saved(view=True)  # a view of its input

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

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        before, after, extra = activation_saved(self.activation, product(input_shape))
        return Saved(("float",) if before else (), after, extra, view=self.activation == "linear")


class Identity(Layer):
    """Returns its input: no weights, no cost."""

    rules_noted = True

    derivation = "no weights: the input passes unchanged"


@dataclass(frozen=True)
class Masking(Layer):
    """Marks the time steps whose features all equal `mask_value` as skipped by the layers after
    it; the numbers pass unchanged, so it counts no weights. Its extras: one comparison per element
    and one multiply per element (the masked steps are zeroed)."""

    rules_noted = True

    mask_value: Any = 0.0

    example_input = ("T", "n")
    derivation = "no weights: the steps equal to mask_value are marked, the numbers pass"

    def validate(self) -> None:
        self._set("mask_value", as_number(self.mask_value, "mask_value"))

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return 2 * product(input_shape)


@dataclass(frozen=True)
class _KerasActivation(Layer):
    """An activation function as a layer of its own (keras.layers.ReLU...): no weights (PReLU
    aside), same shape, the function's FLOPs on each element."""

    rules_noted = True

    function: ClassVar[str] = ""
    derivation = "no weights: a function applied to each element"

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return activation_flops(self.function, product(input_shape))

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        before, after, extra = activation_saved(self.function, product(input_shape))
        return Saved(("float",) if before else (), after, extra)


@dataclass(frozen=True)
class ELU(_KerasActivation):
    """x if x > 0, else alpha * (exp(x) - 1)."""

    alpha: Any = 1.0

    function = "elu"

    def validate(self) -> None:
        self._set("alpha", as_number(self.alpha, "alpha"))


@dataclass(frozen=True)
class LeakyReLU(_KerasActivation):
    """x if x >= 0, else negative_slope * x."""

    negative_slope: Any = 0.3

    kind = "leaky_relu"
    function = "leaky_relu"

    def validate(self) -> None:
        self._set("negative_slope", as_number(self.negative_slope, "negative_slope", 0.0))


@dataclass(frozen=True)
class ReLU(_KerasActivation):
    """max(x, 0), with Keras' options: a ceiling `max_value`, a `negative_slope` below
    `threshold`."""

    max_value: Any = None
    negative_slope: Any = 0.0
    threshold: Any = 0.0

    kind = "relu"
    function = "relu"

    def validate(self) -> None:
        if self.max_value is not None:
            self._set("max_value", as_number(self.max_value, "max_value", 0.0))
        self._set("negative_slope", as_number(self.negative_slope, "negative_slope", 0.0))
        self._set("threshold", as_number(self.threshold, "threshold", 0.0))


@dataclass(frozen=True)
class Softmax(_KerasActivation):
    """exp(x) / sum(exp(x)) along `axis`: 3 FLOPs per element (an exponential, a sum, a divide)."""

    axis: Any = -1

    function = "softmax"

    def validate(self) -> None:
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise SpecError(f"expected an axis or a list of axes. Received: axis={self.axis!r}")
        self._set("axis", tuple(axes) if isinstance(self.axis, (list, tuple)) else self.axis)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        axes = self.axis if isinstance(self.axis, tuple) else (self.axis,)
        for axis in axes:
            if not -len(input_shape) <= axis <= len(input_shape) or axis == 0:
                raise ShapeError(
                    f"axis {axis} is not an axis of the input {format_shape(input_shape)} "
                    "(axis 0 is the batch)"
                )
        return input_shape


@dataclass(frozen=True)
class PReLU(_KerasActivation):
    """A leaky ReLU whose slope is learned: one alpha per input element, except along
    `shared_axes` (Keras' axes, 1 the first after the batch), which share theirs."""

    shared_axes: Any = None

    kind = "prelu"
    function = "relu"
    keras_positional = keras_names("alpha_initializer alpha_regularizer alpha_constraint shared_axes")
    example_input = ("H", "W", "C")
    example_args = {"shared_axes": [1, 2]}
    derivation = "one learned slope per element, shared along shared_axes (here: one per channel)"

    def validate(self) -> None:
        axes = self.shared_axes
        if axes is None:
            return
        axes = list(axes) if isinstance(axes, (list, tuple)) else [axes]
        if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
            raise SpecError(
                f"expected axes from 1 (the first after the batch). Received: shared_axes={self.shared_axes!r}"
            )
        self._set("shared_axes", tuple(axes))

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        shape = list(input_shape)
        for axis in self.shared_axes or ():
            if axis > len(shape):
                raise ShapeError(
                    f"shared_axes {axis} is not an axis of the input {format_shape(input_shape)} "
                    "(1 is the first after the batch)"
                )
            shape[axis - 1] = sympy.Integer(1)
        return (self.weight("alpha", tuple(shape)),)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # relu(x) and relu(-x) (1 each), the slope's multiply, the sum: 4 per element.
        return 4 * product(input_shape)


def parse_equation(equation: Any) -> tuple[str, str, str, str]:
    """EinsumDense's equation, `ab,bc->ac`: (input, weight, output letters, where the input's and
    output's `...` stands: "left", "right" or ""). Letters are ASCII, each once per operand."""
    shape = "'ab,bc->ac' (letters, with '...' first or last in the input and output)"
    if not isinstance(equation, str) or len(equation) > MAX_EQUATION:
        raise SpecError(
            f"equation must look like {shape}, in at most {MAX_EQUATION} characters. Received: equation={equation!r}"
        )
    sides = equation.replace(" ", "").split("->")
    operands = sides[0].split(",")
    if len(sides) != 2 or len(operands) != 2:
        raise SpecError(f"equation must look like {shape}. Received: equation={equation!r}")
    (source, weight), output = operands, sides[1]
    ends = {
        part: ("left" if part.startswith("...") else "right" if part.endswith("...") else "")
        for part in (source, output)
    }
    elided = ends[source]
    source, output = (part.replace("...", "") for part in (source, output))
    for part in (source, weight, output):
        if not part or not (part.isascii() and part.isalpha()) or len(set(part)) != len(part):
            raise SpecError(
                f"equation must look like {shape}, each letter once per operand. Received: equation={equation!r}"
            )
    if ends[sides[0].split(",")[0]] != ends[sides[1]] or (elided == "right" and len(source) < 2):
        raise SpecError(
            f"the input and the output must elide the same side ('...'). Received: equation={equation!r}"
        )
    missing = set(output) - set(source) - set(weight)
    if missing:
        raise SpecError(
            f"output letters {''.join(sorted(missing))} are in neither operand. Received: equation={equation!r}"
        )
    return source, weight, output, elided


@dataclass(frozen=True)
class EinsumDense(Layer):
    """A dense layer written as an einsum, `abc,cd->abd`: the input's letters (the batch's first,
    unless `...` stands for it), the kernel's, and the output's. The kernel takes each of its
    letters' sizes from the input, or else from `output_shape` (the output without the batch);
    `bias_axes` names output letters that get a bias, which spans from the first of them to the
    output's last axis (1 on the others, as Keras shapes it). With `...` standing for more than
    one axis after the batch, Keras' symbolic output shape lists them in reverse order (its
    compute_output_shape); the tensor it computes has them in order, as here.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> T, n, u = symbols("T n u")
        >>> Sequential(Input(T, n), EinsumDense("abc,cd->abd", [T, u], bias_axes="d")).params
        n*u + u
    """

    equation: Any
    output_dims: Any
    activation: str | None = None
    bias_axes: Any = None

    keras_positional = keras_names(
        "equation output_shape activation bias_axes kernel_initializer bias_initializer kernel_regularizer "
        "bias_regularizer kernel_constraint bias_constraint lora_rank lora_alpha gptq_unpacked_column_size quantization_config"
    )
    aliases = {"output_shape": "output_dims"}
    example_args = {"equation": "abc,cd->abd", "output_dims": ["T", "u"], "bias_axes": "d"}
    example_input = ("T", "n")
    derivation = "a kernel of the equation's weight letters (here n x u), plus a bias on bias_axes"

    def validate(self) -> None:
        parse_equation(self.equation)
        dims = self.output_dims if isinstance(self.output_dims, (list, tuple)) else [self.output_dims]
        self._set("output_dims", tuple(None if d is None else as_size(d, "output_shape") for d in dims))
        check_activation(self.activation)
        if self.bias_axes is not None:
            output = parse_equation(self.equation)[2]
            if not isinstance(self.bias_axes, str) or not set(self.bias_axes) <= set(output):
                raise SpecError(
                    f"bias_axes must be letters of the output {output!r}. Received: bias_axes={self.bias_axes!r}"
                )

    def analyse(self, input_shape: Shape) -> tuple[Shape, Shape, Shape | None, sympy.Expr]:
        """(kernel shape, output shape, bias shape or None, product of the contracted letters'
        sizes) for a batch-free input, as Keras' EinsumDense reads its equation (the batch is the
        input's first letter, or in its `...`)."""
        source, weight, output, elided = parse_equation(self.equation)
        batch = sympy.Symbol("batch")
        full = (batch, *input_shape)
        given = list(self.output_dims)
        expected = len(output) if elided == "left" else len(output) - 1
        if len(given) != expected:
            raise ShapeError(
                f"output_shape needs {expected} sizes for {self.equation!r}. "
                f"Received: output_shape={format_shape(self.output_dims)}"
            )
        extra = len(full) - len(source)
        if extra < (1 if elided == "left" else 0) or (extra > 0 and not elided):
            raise ShapeError(
                f"the equation's input {source!r} does not match the input shape "
                f"{format_shape(input_shape)} (batch excluded)"
            )
        if elided == "left":
            outputs: list[Any] = [batch, *full[1:extra], *given]
            sizes = dict(zip(source, full[extra:]))
            spots = dict(zip(output, range(len(outputs) - len(output), len(outputs))))
        else:
            outputs = [batch, *given, *full[len(full) - extra :]]
            sizes = dict(zip(source, full))
            spots = dict(zip(output, range(len(output))))
        stated = list(outputs)  # Keras shapes the bias from output_shape itself, None and all
        for letter, spot in spots.items():
            if letter in sizes and outputs[spot] is None:
                outputs[spot] = sizes[letter]
            elif letter in sizes and certainly_differ(outputs[spot], sizes[letter]):
                raise ShapeError(
                    f"output_shape gives {letter!r} {outputs[spot]} where the input has {sizes[letter]}. "
                    f"Received: input shape {format_shape(input_shape)}"
                )
            elif outputs[spot] is None:
                raise ShapeError(f"output_shape must give the size of {letter!r}, which the input has not")
        kernel = tuple(sizes[c] if c in sizes else outputs[spots[c]] for c in weight)
        bias = None
        if self.bias_axes:
            start = min(output.index(c) for c in self.bias_axes)
            unstated = [c for c in self.bias_axes if stated[spots[c]] is None]
            if unstated:
                raise ShapeError(
                    f"output_shape must give the size of {unstated[0]!r}, which has a bias. "
                    f"Received: output_shape={self.output_dims}"
                )
            bias = tuple(
                stated[spots[c]] if c in self.bias_axes else sympy.Integer(1) for c in output[start:]
            )
            if elided == "right":
                bias += (sympy.Integer(1),) * extra
        # An einsum multiplies once per combination of its letters' sizes: each output element
        # takes the product of the sizes of the letters it sums over (in an operand, not the output).
        letters = {**dict(zip(weight, kernel)), **sizes}
        contracted = product([letters[c] for c in letters if c not in output and letters[c] is not batch])
        return kernel, tuple(outputs[1:]), bias, contracted

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return self.analyse(input_shape)[1]

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        kernel, _, bias, _ = self.analyse(input_shape)
        found = (self.weight("kernel", kernel),)
        return found if bias is None else (*found, self.weight("bias", bias))

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        _, outputs, _, contracted = self.analyse(input_shape)
        return product(outputs) * contracted

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        _, outputs, bias, _ = self.analyse(input_shape)
        elements = product(outputs)
        return (BIAS_FLOPS * elements if bias is not None else 0) + activation_flops(
            self.activation, elements
        )

    def describe(self) -> str:
        return f"EinsumDense({self.equation!r})"
