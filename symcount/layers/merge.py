"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate.

A merge takes a tuple of input shapes (`merges = True`) and has no weights. Elementwise merges
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
from .base import Layer, Saved

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


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
