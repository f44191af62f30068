"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot; PyTorch's
Bilinear.

A merge takes a tuple of input shapes (`merges = True`) and has no weights (Bilinear aside). Elementwise merges
need equal shapes, except that an axis of size 1 broadcasts (as in Keras); Concatenate needs
equal shapes but on its axis, which it sums. Where sympy cannot decide whether two sizes are
equal, the check waits for values; where they certainly differ, the error names both shapes.

An elementwise merge of n tensors costs MERGE_FLOPS x (n - 1) extra FLOPs per output element
(costs.py); Concatenate only copies, so it costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from .. import rules
from ..costs import MERGE_FLOPS
from ..errors import ShapeError, SpecError
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from .base import Layer, Saved, Weight

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "Bilinear"]


def shapes_text(shapes: tuple[Shape, ...], show: Any = str) -> str:
    return " and ".join(format_shape(s, show) for s in shapes)


class _Elementwise(Layer):
    """An elementwise merge of two or more tensors of one shape (axes of size 1 broadcast)."""

    rules_noted = True

    merges = True
    arity: ClassVar[int | None] = None  # exactly this many inputs (Subtract: 2); None: two or more
    example_input = ("n",)
    derivation = "no weights: an elementwise operation on tensors of one shape"

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        shapes: tuple[Shape, ...] = input_shape
        count = len(shapes)
        if (self.arity is not None and count != self.arity) or count < 2:
            wanted = f"exactly {self.arity}" if self.arity is not None else "at least 2"
            raise ShapeError(f"{type(self).__name__} merges {wanted} inputs. Received: {count}")
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ShapeError(
                f"{type(self).__name__} needs inputs of one rank. Received: {shapes_text(shapes)}"
            )
        result = []
        for axis in range(rank):
            sizes = [s[axis] for s in shapes if s[axis] != 1] or [sympy.Integer(1)]
            for size in sizes[1:]:
                if not (size - sizes[0]).is_number:  # equal where the values come, or 1 (broadcast)

                    def says(v: Any, axis: int = axis, size: Any = size, first: Any = sizes[0]) -> str:
                        return (
                            f"{type(self).__name__} needs inputs of one shape. Received: "
                            f"{shapes_text(shapes, v)} (axis {axis}: {v(first)} vs {v(size)})"
                        )

                    rules.note("broadcast", sizes[0], size, says=says)
                if certainly_differ(size, sizes[0]):
                    raise ShapeError(
                        f"{type(self).__name__} needs inputs of one shape. Received: {shapes_text(shapes)} "
                        f"(axis {axis}: {sizes[0]} vs {size})"
                    )
            result.append(sizes[0])
        return tuple(result)

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        # Folding n inputs into one output element takes n - 1 binary operations (adds,
        # subtractions, products, comparisons), each MERGE_FLOPS; broadcast inputs are read
        # again for every output element they meet.
        outputs = product(self.output_shape(input_shape, target))
        return MERGE_FLOPS * (len(input_shape) - 1) * outputs


class Add(_Elementwise):
    """Sum of the inputs: the residual connection."""


class Subtract(_Elementwise):
    """First input minus the second."""

    arity = 2


class Multiply(_Elementwise):
    """Elementwise product of the inputs."""

    def saved(self, input_shape: Any, target: Target, attention: str = "eager") -> Saved:
        return Saved(("float",) * len(input_shape))  # each factor's gradient is the others'


class Average(_Elementwise):
    """Elementwise mean of the inputs."""


class Maximum(_Elementwise):
    """Elementwise maximum of the inputs."""


class Minimum(_Elementwise):
    """Elementwise minimum of the inputs."""


@dataclass(frozen=True)
class Concatenate(Layer):
    """Joins the inputs along `axis` (Keras' convention: -1 is the last axis, 1 the first after
    the batch); every other axis must agree."""

    rules_noted = True

    axis: int = -1

    merges = True
    example_input = ("n",)
    derivation = "no weights: the inputs side by side along one axis, whose sizes add up"

    def validate(self) -> None:
        if isinstance(self.axis, bool) or not isinstance(self.axis, int) or self.axis == 0:
            raise SpecError(f"axis must be a non-zero integer (0 is the batch). Received: axis={self.axis!r}")

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        shapes: tuple[Shape, ...] = input_shape
        if len(shapes) < 2:
            raise ShapeError(f"Concatenate joins at least 2 inputs. Received: {len(shapes)}")
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ShapeError(f"Concatenate needs inputs of one rank. Received: {shapes_text(shapes)}")
        axis = self.axis + rank if self.axis < 0 else self.axis - 1
        if not 0 <= axis < rank:
            raise ShapeError(
                f"axis {self.axis} is out of range for inputs of rank {rank}: {shapes_text(shapes)}"
            )
        for other in range(rank):
            if other != axis and any(certainly_differ(s[other], shapes[0][other]) for s in shapes):
                raise ShapeError(
                    f"Concatenate on axis {self.axis} needs the other axes equal. Received: {shapes_text(shapes)}"
                )
        joined = sympy.Add(*(s[axis] for s in shapes))
        return (*shapes[0][:axis], joined, *shapes[0][axis + 1 :])


@dataclass(frozen=True)
class Dot(Layer):
    """The dot products of two tensors along `axes` (Keras' axes: 1 is the first after the batch;
    one for both inputs or one each), sample by sample: the other axes of the first input, then
    the second's. With `normalize`, each input is first scaled to unit length along its axis.

    Example:
        >>> from symcount import Input, Model, symbols
        >>> T, S, d = symbols("T S d")
        >>> query, key = Input(T, d), Input(S, d)
        >>> Model([query, key], Dot(2)([query, key])).output_shape
        (T, S)
    """

    rules_noted = True

    axes: Any
    normalize: bool = False

    merges = True
    example_args = {"axes": 2}
    example_input = ("T", "d")
    derivation = "no weights: dot products along the given axes"

    def validate(self) -> None:
        axes = list(self.axes) if isinstance(self.axes, (list, tuple)) else [self.axes]
        if len(axes) not in (1, 2) or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise SpecError(f"expected an axis or a pair of axes. Received: axes={self.axes!r}")
        self._set("axes", tuple(axes) if isinstance(self.axes, (list, tuple)) else axes[0])

    def pair(self, shapes: tuple[Shape, ...]) -> tuple[int, int]:
        """The contracted axis of each input, counted without the batch (Keras' axis minus one)."""
        if len(shapes) != 2:
            raise ShapeError(f"Dot takes exactly 2 inputs. Received: {len(shapes)}")
        first, second = shapes
        if isinstance(self.axes, int):
            axes = (
                (self.axes % (len(first) + 1), self.axes % (len(second) + 1))
                if self.axes < 0
                else (self.axes,) * 2
            )
        else:
            axes = self.axes
        for axis, shape in zip(axes, shapes):
            if not 1 <= axis <= len(shape):
                raise ShapeError(
                    f"axes {self.axes} is no axis of the input {format_shape(shape)} (axis 0 is the batch). "
                    f"Received: axes={self.axes}"
                )
        left, right = axes[0] - 1, axes[1] - 1
        if certainly_differ(first[left], second[right]):
            raise ShapeError(
                f"Dot needs as many elements along axes {self.axes}. Received: {shapes_text(shapes)}"
            )
        return left, right

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        left, right = self.pair(input_shape)
        first, second = input_shape
        shape = (*first[:left], *first[left + 1 :], *second[:right], *second[right + 1 :])
        return shape or (sympy.Integer(1),)

    def macs(self, input_shape: Any, target: Target) -> sympy.Expr:
        # Each output element is a dot product along the shared axis.
        left, _ = self.pair(input_shape)
        return product(self.output_shape(input_shape, target)) * input_shape[0][left]

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        # normalize: per element a square, a sum and a divide (3), and a square root per vector.
        if not self.normalize:
            return sympy.Integer(0)
        self.pair(input_shape)
        return sum((3 * product(shape) for shape in input_shape), sympy.Integer(0))


@dataclass(frozen=True)
class Bilinear(Layer):
    """PyTorch's Bilinear on two inputs (..., n1) and (..., n2): y_k = x1 W_k x2 + b_k for each of
    the u outputs, a weight (u, n1, n2) and a bias (u,)."""

    in1_features: Any
    in2_features: Any
    out_features: Any
    bias: bool = True

    merges = True
    torch_only = True
    sizes = ("in1_features", "in2_features", "out_features")
    torch_name = "bilinear"
    torch_positional = ("in1_features", "in2_features", "out_features", "bias")
    torch_defaults = {"bias": True}
    torch_input_side = ("in1_features", "in2_features")
    example_args = {"in1_features": "n", "in2_features": "m", "out_features": "u"}
    example_input = ("n",)
    derivation = "one n1 x n2 matrix per output (u*n1*n2) plus u biases"

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        shapes: tuple[Shape, ...] = input_shape
        if len(shapes) != 2:
            raise ShapeError(f"Bilinear takes exactly 2 inputs. Received: {len(shapes)}")
        first, second = shapes
        for what, shape, size in (
            ("in1_features", first, self.in1_features),
            ("in2_features", second, self.in2_features),
        ):
            if not shape or certainly_differ(shape[-1], size):
                raise ShapeError(f"the input {format_shape(shape)} must end in {what}={size}")
        if len(first) != len(second) or any(certainly_differ(a, b) for a, b in zip(first[:-1], second[:-1])):
            raise ShapeError(
                f"Bilinear's inputs must agree but on their last axis. Received: {shapes_text(shapes)}"
            )
        return (*first[:-1], self.out_features)

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        self.output_shape(input_shape, target)
        weight = self.weight("weight", (self.out_features, self.in1_features, self.in2_features))
        return (weight, self.weight("bias", (self.out_features,))) if self.bias else (weight,)

    def macs(self, input_shape: Any, target: Target) -> sympy.Expr:
        # PyTorch contracts x1 with the weight (u*n1*n2 per position), then the result with x2
        # (u*n2 per position).
        positions = product(self.output_shape(input_shape, target)[:-1])
        u, n1, n2 = self.out_features, self.in1_features, self.in2_features
        return positions * (u * n1 * n2 + u * n2)

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        outputs = product(self.output_shape(input_shape, target))
        return outputs if self.bias else 0 * outputs
