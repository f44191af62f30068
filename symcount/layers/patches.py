"""PyTorch's Unfold (sliding blocks into columns) and Fold (columns back into an image).

Unfold turns (C, H, W) into (C*kh*kw, L): one column of each block a kernel of (kh, kw) reads,
for the L positions a convolution with that kernel, stride, padding and dilation visits. Fold is
its inverse in shape: (C*kh*kw, L) into (C, *output_size), summing overlaps; L must be the number
of blocks output_size holds. No weights, no multiply-accumulates (FlopCounterMode counts none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ShapeError
from ..shapes import Shape, certainly_differ, conv_length, format_shape, product
from ..target import Target
from .base import Layer, check_divisible, require_rank

__all__ = ["Fold", "Unfold"]


@dataclass(frozen=True)
class _Blocks(Layer):
    kernel_size: Any
    dilation: Any = 1
    padding: Any = 0
    stride: Any = 1

    torch_only = True
    rank = 2
    size_tuples: ClassVar[tuple[str, ...]] = ("kernel_size", "dilation", "stride")
    torch_defaults = {"dilation": 1, "padding": 0, "stride": 1}

    def validate(self) -> None:
        from .base import as_amount

        values = self.padding if isinstance(self.padding, (list, tuple)) else (self.padding,) * 2
        if len(values) != 2:
            raise ShapeError(f"expected 1 or 2 amounts. Received: padding={self.padding!r}")
        self._set("padding", tuple(as_amount(v, "padding") for v in values))

    def blocks(self, spatial: Shape) -> Shape:
        """The block positions along each axis: a convolution's output lengths."""
        lengths = tuple(
            conv_length(n, k, s, d, p)
            for n, k, s, d, p in zip(spatial, self.kernel_size, self.stride, self.dilation, self.padding)
        )
        if any(length.is_number and length < 1 for length in lengths):
            raise ShapeError(
                f"the kernel {format_shape(self.kernel_size)} fits no block of {format_shape(spatial)}"
            )
        return lengths

    def expressions(self) -> Any:
        yield from super().expressions()
        yield from self.padding


class Unfold(_Blocks):
    """(C, H, W) -> (C*kh*kw, L)."""

    torch_name = "unfold"
    torch_positional = ("kernel_size", "dilation", "padding", "stride")
    example_args = {"kernel_size": "k"}
    example_input = ("H", "W", "C")
    spatial_layout = True
    derivation = "no weights: each block a kernel reads, as a column"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=3)
        channels, *spatial = input_shape
        return (channels * product(self.kernel_size), product(self.blocks(tuple(spatial))))


@dataclass(frozen=True)
class Fold(_Blocks):
    """(C*kh*kw, L) -> (C, *output_size)."""

    output_size: Any = None

    size_tuples = ("kernel_size", "dilation", "stride", "output_size")
    torch_positional = ("output_size", "kernel_size", "dilation", "padding", "stride")
    torch_name = "fold"
    example_args = {"kernel_size": 2, "output_size": ("H", "W"), "stride": 2}
    example_input = ("C4", "L")
    derivation = "no weights: columns summed back into the image they were cut from"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=2)
        if self.output_size is None:
            raise ShapeError("Fold needs output_size")
        columns, positions = input_shape
        window = product(self.kernel_size)
        check_divisible("the input's first axis", columns, "kernel_size's product", window, ShapeError)
        blocks = product(self.blocks(self.output_size))
        if certainly_differ(blocks, positions):
            raise ShapeError(
                f"output_size={format_shape(self.output_size)} holds {blocks} blocks, but the input has "
                f"{positions}. Received: input shape {format_shape(input_shape)}"
            )
        return (columns / window, *self.output_size)
