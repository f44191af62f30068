"""Pooling: Max/Average pooling (windowed), global and adaptive pooling in 1, 2 and 3 dimensions.

None of them has weights; what they change is the shape, which is what the next layer pays for.
They do no multiply-accumulates either; their FLOPs are extra (costs.py): 1 per element a window
reads (a comparison or an add) and, for an average, 1 divide per output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from .. import rules
from ..errors import SpecError
from ..shapes import Shape, pool_length, product
from ..target import Target
from .base import Layer, Saved, as_amount, check_choice, keras_names, require_rank
from .conv import as_written, check_fits, window

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]  # fmt: skip


@dataclass(frozen=True)
class _Pooling(Layer):
    """A pooling window of `pool_size`, moved by `strides` (default: the pool size, as in Keras).

    `padding` is Keras' "valid" or "same", or PyTorch's number of zeros on each side (one, or one
    per axis; at most half the pool size, as PyTorch requires). PyTorch's MaxPool/AvgPool default
    their stride to the kernel size too; their `ceil_mode` and `dilation` are not supported.
    """

    keras_positional = keras_names("pool_size strides padding data_format name")

    rules_noted = True

    pool_size: Any = 2
    strides: Any = None
    padding: Any = "valid"
    # PyTorch's options: a dilated window (max pooling), and one more window for a partial end.
    dilation: Any = field(default=1, kw_only=True)
    ceil_mode: bool = field(default=False, kw_only=True)

    size_tuples = ("pool_size", "strides", "dilation")
    spatial_layout = True
    averages: ClassVar[bool] = False  # an average divides each output's sum by the window size
    example_args = {"pool_size": "p"}
    derivation = "no weights: each window is reduced to its maximum or mean"
    torch_args = {"kernel_size": "pool_size", "stride": "strides", "return_indices": ""}
    torch_positional: ClassVar[tuple[str, ...]] = (
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "return_indices",
        "ceil_mode",
    )
    torch_defaults = {
        "stride": None,
        "padding": 0,
        "dilation": 1,
        "return_indices": False,
        "ceil_mode": False,
    }

    def validate(self) -> None:
        if self.strides is None:
            self._set("strides", self.pool_size)
        if isinstance(self.padding, str):
            check_choice(self.padding, "padding", ("valid", "same"))
            return
        amounts = self.padding if isinstance(self.padding, (tuple, list)) else (self.padding,) * self.rank
        if len(amounts) != self.rank:
            raise SpecError(
                f"expected 'valid', 'same' or {self.rank} numbers of zeros. Received: padding={self.padding!r}"
            )
        padding = tuple(as_amount(value, "padding") for value in amounts)
        for p, k in zip(padding, self.pool_size):
            if not (2 * p - k).is_number:
                rules.note(
                    "not_positive",
                    2 * p - k,
                    says=lambda v: (
                        "padding must be at most half the pool size, as PyTorch requires. Received: "
                        f"padding={'x'.join(map(v, padding))}, pool_size={'x'.join(map(v, self.pool_size))}"
                    ),
                )
        if any((2 * p - k).is_positive for p, k in zip(padding, self.pool_size)):
            raise SpecError(
                "padding must be at most half the pool size, as PyTorch requires. Received: "
                f"padding={window(padding)}, pool_size={window(self.pool_size)}"
            )
        self._set("padding", padding)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        spatial, channels = target.split(input_shape)
        paddings = (self.padding,) * self.rank if isinstance(self.padding, str) else self.padding
        if target.keras and (self.ceil_mode or any(d != 1 for d in self.dilation)):
            raise SpecError(
                "ceil_mode and dilation are PyTorch's; Keras' pooling has neither. "
                f"Received: ceil_mode={self.ceil_mode}, dilation={window(self.dilation)}"
            )
        lengths = tuple(
            pool_length(n, p, s, pad, d, self.ceil_mode)
            for n, p, s, pad, d in zip(spatial, self.pool_size, self.strides, paddings, self.dilation)
        )
        padding = self.padding

        def said(show: Any) -> str:
            shown = as_written(padding, show) if isinstance(padding, tuple) else repr(padding)
            return f"pool {window(self.pool_size, show)} with padding {shown}"

        check_fits(self, lengths, input_shape, said)
        return target.join(lengths, channels)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Each output element reads one window of prod(pool_size) inputs of its channel, padded
        # positions included (the window's full size, as PyTorch's count_include_pad=True divides
        # by): 1 FLOP per element read, plus 1 divide per output for an average.
        outputs = product(self.output_shape(input_shape, target))
        per_output = product(self.pool_size) + (1 if self.averages else 0)
        return per_output * outputs

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # Both keep their input; max pooling also the int64 index of each output's maximum.
        outputs = product(self.output_shape(input_shape, target))
        return Saved(("float",), extra=() if self.averages else ((outputs, "index"),))

    def describe(self) -> str:
        return f"{type(self).__name__}({window(self.pool_size)})"


class MaxPooling1D(_Pooling):
    class_aliases = ("MaxPool1D",)
    rank = 1
    torch_name = "max_pool1d"


class MaxPooling2D(_Pooling):
    class_aliases = ("MaxPool2D",)
    rank = 2
    torch_name = "max_pool2d"


class MaxPooling3D(_Pooling):
    class_aliases = ("MaxPool3D",)
    rank = 3
    torch_name = "max_pool3d"


class _AveragePooling(_Pooling):
    averages = True
    # count_include_pad and divisor_override change what an average divides by, not its cost.
    torch_args = {
        "kernel_size": "pool_size",
        "stride": "strides",
        "count_include_pad": "",
        "divisor_override": "",
    }
    torch_positional: ClassVar[tuple[str, ...]] = (
        "kernel_size",
        "stride",
        "padding",
        "ceil_mode",
        "count_include_pad",
        "divisor_override",
    )
    torch_defaults = {
        "stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True, "divisor_override": None,
    }  # fmt: skip


class AveragePooling1D(_AveragePooling):
    class_aliases = ("AvgPool1D",)
    rank = 1
    torch_name = "avg_pool1d"
    torch_positional: ClassVar[tuple[str, ...]] = _AveragePooling.torch_positional[:-1]
    torch_defaults = {k: v for k, v in _AveragePooling.torch_defaults.items() if k != "divisor_override"}


class AveragePooling2D(_AveragePooling):
    class_aliases = ("AvgPool2D",)
    rank = 2
    torch_name = "avg_pool2d"


class AveragePooling3D(_AveragePooling):
    class_aliases = ("AvgPool3D",)
    rank = 3
    torch_name = "avg_pool3d"


@dataclass(frozen=True)
class _GlobalPooling(Layer):
    """Reduces every spatial axis at once, leaving one number per channel.

    `keepdims` keeps the spatial axes with length 1, which is the shape PyTorch's
    AdaptiveAvgPool/AdaptiveMaxPool with output size 1 produce.
    """

    keras_positional = keras_names("data_format keepdims")

    rules_noted = True

    keepdims: bool = False

    spatial_layout = True
    averages: ClassVar[bool] = False  # an average divides each channel's sum by the positions
    derivation = "no weights: each channel is reduced to its maximum or mean over all positions"

    def validate(self) -> None:
        if not isinstance(self.keepdims, bool):
            raise SpecError(f"expected true or false. Received: keepdims={self.keepdims!r}")

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        _, channels = target.split(input_shape)
        if not self.keepdims:
            return (channels,)
        return target.join((sympy.Integer(1),) * self.rank, channels)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # One window covering every position: each of the C outputs reads all prod(spatial)
        # inputs of its channel, so every input element is read once (1 FLOP each), plus 1 divide
        # per channel for an average.
        self.output_shape(input_shape, target)
        _, channels = target.split(input_shape)
        return product(input_shape) + (channels if self.averages else 0)


class GlobalMaxPooling1D(_GlobalPooling):
    class_aliases = ("GlobalMaxPool1D",)
    rank = 1


class GlobalMaxPooling2D(_GlobalPooling):
    class_aliases = ("GlobalMaxPool2D",)
    rank = 2


class GlobalMaxPooling3D(_GlobalPooling):
    class_aliases = ("GlobalMaxPool3D",)
    rank = 3


class GlobalAveragePooling1D(_GlobalPooling):
    class_aliases = ("GlobalAvgPool1D",)
    rank = 1
    averages = True


class GlobalAveragePooling2D(_GlobalPooling):
    class_aliases = ("GlobalAvgPool2D",)
    rank = 2
    averages = True


class GlobalAveragePooling3D(_GlobalPooling):
    class_aliases = ("GlobalAvgPool3D",)
    rank = 3
    averages = True


@dataclass(frozen=True)
class _AdaptivePooling(Layer):
    """Pools each spatial axis into `output_size` windows, whatever its length (window i of n
    positions into o spans floor(i*n/o) to ceil((i+1)*n/o)). No weights. Extras, symcount's
    definition: every input element read once (exact when o divides n; overlapping windows read a
    few twice), plus 1 divide per output for an average."""

    rules_noted = True

    output_size: Any

    size_tuples = ("output_size",)
    spatial_layout = True
    averages: ClassVar[bool] = False
    keras_positional = keras_names("output_size data_format")
    example_args = {"output_size": "o"}
    derivation = "no weights: each axis is pooled into output_size windows"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        _, channels = target.split(input_shape)
        return target.join(self.output_size, channels)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        outputs = product(self.output_shape(input_shape, target))
        return product(input_shape) + (outputs if self.averages else 0)

    def describe(self) -> str:
        return f"{type(self).__name__}({window(self.output_size)})"


class AdaptiveAveragePooling1D(_AdaptivePooling):
    rank = 1
    averages = True


class AdaptiveAveragePooling2D(_AdaptivePooling):
    rank = 2
    averages = True


class AdaptiveAveragePooling3D(_AdaptivePooling):
    rank = 3
    averages = True


class AdaptiveMaxPooling1D(_AdaptivePooling):
    rank = 1


class AdaptiveMaxPooling2D(_AdaptivePooling):
    rank = 2


class AdaptiveMaxPooling3D(_AdaptivePooling):
    rank = 3
