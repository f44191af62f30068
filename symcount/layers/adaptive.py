"""PyTorch's pools sized by their output or a norm: AdaptiveAvgPool and AdaptiveMaxPool (1-D to
3-D), LPPool (1-D to 3-D) and FractionalMaxPool (2-D, 3-D).

None has weights or multiply-accumulates (FlopCounterMode counts none). Inputs are channels first,
(C, *spatial), batch excluded. An adaptive pool's output position i of o along an axis of n reads
the inputs floor(i*n/o) up to ceil((i+1)*n/o): windows that tile the axis when o divides n and
overlap otherwise, so its extra FLOPs (1 per input read, 1 divide per output of an average) sum
those window lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..shapes import Shape, format_shape, pool_length, product
from ..target import Target
from ..values import as_expr, as_size, as_sizes
from .base import Layer, require_rank

__all__ = [
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
    "LPPool1d", "LPPool2d", "LPPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d",
]  # fmt: skip


def reads(size: sympy.Expr, out: sympy.Expr) -> sympy.Expr:
    """The inputs an adaptive pool's `out` windows over an axis of `size` read, all together."""
    if out == 1:
        return size
    if size.is_number and out.is_number:
        n, o = int(size), int(out)
        return sympy.Integer(sum(-(-(i + 1) * n // o) - (i * n // o) for i in range(o)))
    i = sympy.Dummy("i", integer=True, nonnegative=True)
    return sympy.Sum(sympy.ceiling((i + 1) * size / out) - sympy.floor(i * size / out), (i, 0, out - 1))


@dataclass(frozen=True)
class _Adaptive(Layer):
    """An adaptive pool: `output_size` per spatial axis (one size for all; None keeps an axis)."""

    output_size: Any

    rules_noted = True
    torch_only = True
    spatial_layout = True
    averages: ClassVar[bool] = True
    torch_positional: ClassVar[tuple[str, ...]] = ("output_size",)
    example_args = {"output_size": 1}
    derivation = "no weights: each channel pooled to output_size windows per axis"

    def validate(self) -> None:
        given = (
            self.output_size
            if isinstance(self.output_size, (list, tuple))
            else (self.output_size,) * self.rank
        )
        if len(given) != self.rank:
            raise SpecError(f"expected 1 or {self.rank} sizes. Received: output_size={self.output_size!r}")
        self._set("output_size", tuple(None if s is None else as_size(s, "output_size") for s in given))

    def sizes_for(self, input_shape: Shape) -> tuple[sympy.Expr, ...]:
        require_rank(self, input_shape, rank=self.rank + 1)
        return tuple(n if o is None else o for n, o in zip(input_shape[1:], self.output_size))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return (input_shape[0], *self.sizes_for(input_shape))

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Each output reads its window (per axis, the windows' lengths add up to `reads`), plus a
        # divide per output for an average.
        outputs = self.sizes_for(input_shape)
        read = product([reads(n, o) for n, o in zip(input_shape[1:], outputs)])
        return input_shape[0] * (read + (product(outputs) if self.averages else 0))

    def expressions(self) -> Any:
        yield from (s for s in self.output_size if s is not None)

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        import dataclasses

        sizes = tuple(None if s is None else s.xreplace(mapping) for s in self.output_size)
        return dataclasses.replace(self, output_size=sizes)


class AdaptiveAvgPool1d(_Adaptive):
    rank = 1
    torch_name = "adaptive_avg_pool1d"


class AdaptiveAvgPool2d(_Adaptive):
    rank = 2
    torch_name = "adaptive_avg_pool2d"


class AdaptiveAvgPool3d(_Adaptive):
    rank = 3
    torch_name = "adaptive_avg_pool3d"


class _AdaptiveMax(_Adaptive):
    averages = False
    torch_positional = ("output_size", "return_indices")
    torch_defaults = {"return_indices": False}
    torch_args = {"return_indices": ""}


class AdaptiveMaxPool1d(_AdaptiveMax):
    rank = 1
    torch_name = "adaptive_max_pool1d"


class AdaptiveMaxPool2d(_AdaptiveMax):
    rank = 2
    torch_name = "adaptive_max_pool2d"


class AdaptiveMaxPool3d(_AdaptiveMax):
    rank = 3
    torch_name = "adaptive_max_pool3d"


@dataclass(frozen=True)
class _LPPool(Layer):
    """The p-norm of each window: (sum of x^p)^(1/p), PyTorch's LPPool (no padding)."""

    norm_type: Any
    kernel_size: Any
    stride: Any = None
    ceil_mode: bool = False

    torch_only = True
    spatial_layout = True
    size_tuples = ("kernel_size", "stride")
    torch_positional = ("norm_type", "kernel_size", "stride", "ceil_mode")
    torch_defaults = {"stride": None, "ceil_mode": False}
    example_args = {"norm_type": 2, "kernel_size": "k"}
    derivation = "no weights: each window reduced to its p-norm"

    def validate(self) -> None:
        norm = as_expr(self.norm_type, "norm_type")
        if not norm.is_positive:
            raise SpecError(f"expected a positive norm. Received: norm_type={self.norm_type!r}")
        self._set("norm_type", norm)
        if self.stride is None:
            self._set("stride", self.kernel_size)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        lengths = tuple(
            pool_length(n, k, s, sympy.Integer(0), ceil_mode=self.ceil_mode)
            for n, k, s in zip(input_shape[1:], self.kernel_size, self.stride)
        )
        for length in lengths:
            if length.is_number and length < 1:
                raise ShapeError(
                    f"the window {format_shape(self.kernel_size)} does not fit the input {format_shape(input_shape)}"
                )
        return (input_shape[0], *lengths)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # A power and an add per element each window reads, and a root per output.
        outputs = product(self.output_shape(input_shape, target))
        return (2 * product(self.kernel_size) + 1) * outputs


class LPPool1d(_LPPool):
    rank = 1
    torch_name = "lp_pool1d"


class LPPool2d(_LPPool):
    rank = 2
    torch_name = "lp_pool2d"


class LPPool3d(_LPPool):
    rank = 3
    torch_name = "lp_pool3d"


@dataclass(frozen=True)
class _FractionalMaxPool(Layer):
    """Max pooling at pseudo-random positions, to `output_size`, or each axis times
    `output_ratio` (floored, as PyTorch computes it)."""

    kernel_size: Any
    output_size: Any = None
    output_ratio: Any = None

    torch_only = True
    spatial_layout = True
    size_tuples = ("kernel_size", "output_size")
    torch_positional = ("kernel_size", "output_size", "output_ratio", "return_indices", "_random_samples")
    torch_defaults = {
        "output_size": None,
        "output_ratio": None,
        "return_indices": False,
        "_random_samples": None,
    }
    torch_args = {"return_indices": "", "_random_samples": ""}
    example_args = {"kernel_size": 2, "output_size": "o"}
    derivation = "no weights: each channel pooled to output_size windows per axis"

    def validate(self) -> None:
        if (self.output_size is None) == (self.output_ratio is None):
            raise SpecError(
                "give exactly one of output_size and output_ratio, as PyTorch requires. "
                f"Received: output_size={self.output_size!r}, output_ratio={self.output_ratio!r}"
            )
        if self.output_ratio is not None:
            given = (
                self.output_ratio if isinstance(self.output_ratio, (list, tuple)) else (self.output_ratio,)
            )
            ratios = tuple(as_expr(r, "output_ratio") for r in given) * (self.rank if len(given) == 1 else 1)
            if len(ratios) != self.rank or not all(r.is_positive and r < 1 for r in ratios):
                raise SpecError(
                    f"expected {self.rank} ratios in (0, 1), as PyTorch requires. Received: output_ratio={self.output_ratio!r}"
                )
            self._set("output_ratio", ratios)
        else:
            self._set("output_size", as_sizes(self.output_size, self.rank, "output_size"))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        spatial = input_shape[1:]
        if self.output_size is not None:
            lengths = tuple(self.output_size)
        else:
            lengths = tuple(sympy.floor(n * r) for n, r in zip(spatial, self.output_ratio))
        for n, o, k in zip(spatial, lengths, self.kernel_size):
            if (o + k - 1 - n).is_nonnegative:
                raise ShapeError(
                    f"output {o} with kernel {k} needs an axis of more than {o + k - 1}, as PyTorch requires. "
                    f"Received: input shape {format_shape(input_shape)}"
                )
        return (input_shape[0], *lengths)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return product(self.kernel_size) * product(self.output_shape(input_shape, target))


class FractionalMaxPool2d(_FractionalMaxPool):
    rank = 2
    torch_name = "fractional_max_pool2d"


class FractionalMaxPool3d(_FractionalMaxPool):
    rank = 3
    torch_name = "fractional_max_pool3d"
