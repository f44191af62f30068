"""Convolutions: plain (Conv1D-3D), transposed, depthwise and separable.

The input is (*spatial, C) under Keras and (C, *spatial) under PyTorch (`Target.split`).

Every one slides a kernel of `kernel_size` over the spatial axes; they differ in which channels a
kernel sees. Padding is a Keras name (`valid`, `same`, Conv1D's `causal`) or, for the plain and
transposed convolutions, PyTorch's explicit number of zeros per side (`padding: 1`, or one per axis).
Keras' own refusals (strides > 1 with dilation_rate > 1, groups on a transposed convolution) apply
under `framework: keras` only, since PyTorch accepts both. Transposed convolutions have two
spellings because their defaults differ when the kernel is shorter than the stride:

Example:
    >>> from symcount import Input, Sequential, symbols
    >>> L, C = symbols("L C")
    >>> Sequential(Input(L, C), Conv1DTranspose(4, 2, strides=3)).output_shape
    (3*L, 4)
    >>> Sequential(Input(C, L), ConvTranspose1d(C, 4, 2, strides=3), framework="torch").output_shape
    (4, 3*L - 1)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from .. import rules
from ..costs import BIAS_FLOPS, activation_flops
from ..errors import ShapeError, SpecError
from ..shapes import Padding, Shape, conv_length, format_shape, product, transposed_conv_length
from ..target import Target
from ..text import dims, many
from ..values import as_expr
from .base import (
    Layer,
    Saved,
    Weight,
    activation_saved,
    check_activation,
    check_divisible,
    keras_names,
    require_rank,
)

__all__ = [
    "Conv1D", "Conv2D", "Conv3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D",
]  # fmt: skip


def check_fits(layer: Layer, lengths: Shape, input_shape: Shape, said: Callable[[Any], str]) -> None:
    """Raise when a window does not fit: a concrete output length below 1. `said(show)` names the
    window, each size written by `show` (str, or a rule's placeholder)."""
    what = said(str)
    for axis, length in enumerate(lengths):
        if (length.is_number and length < 1) or length.is_positive is False:
            raise ShapeError(
                f"{what} does not fit: spatial axis {axis} of {format_shape(input_shape)} "
                f"would have size {length}"
            )
        if not length.is_number:

            def says(v: Callable[[Any], str], axis: int = axis, length: sympy.Expr = length) -> str:
                return (
                    f"{said(v)} does not fit: spatial axis {axis} of {format_shape(input_shape, v)} "
                    f"would have size {v(length)}"
                )

            rules.note("positive", length, says=says)


def as_written(value: Any, v: Any) -> str:
    """`repr(value)` with each expression in it a rule's placeholder (symcount.rules)."""
    if isinstance(value, (tuple, list)):
        inner = ", ".join(v(item) for item in value)
        inner = f"{inner}," if isinstance(value, tuple) and len(value) == 1 else inner
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    return v(value)


def window(values: tuple[sympy.Expr, ...], show: Callable[[Any], str] = str) -> str:
    """`3x3`: a kernel or pool size as people write it."""
    return "x".join(show(v) for v in values)


def as_amounts(value: Any, rank: int, what: str) -> tuple[sympy.Expr, ...]:
    """`rank` non-negative integers (zeros added per side) from one, repeated, or `rank` of them."""
    values = list(value) if isinstance(value, (tuple, list)) else [value] * rank
    if len(values) != rank:
        raise SpecError(f"expected {rank} values for {what}. Received: {what}={tuple(value)!r}")
    amounts = tuple(as_expr(item, what) for item in values)
    for amount in amounts:
        if amount.is_integer is False or amount.is_nonnegative is False:
            raise SpecError(f"expected a non-negative integer. Received: {what}={value!r}")
        if not (amount.is_integer and amount.is_nonnegative):
            rules.note(
                "amount",
                amount,
                says=lambda v: f"expected a non-negative integer. Received: {what}={as_written(value, v)}",
            )
    return amounts


def _known(condition: Any) -> bool:
    """True only when a sympy relation is certainly true (symbolic ones wait for numbers)."""
    return bool(condition == sympy.true)


class _Convolution(Layer):
    """What every convolution shares: padding rules, the sliding window, and Keras' refusals.

    Subclasses declare the fields, in Keras' positional order, so that `Conv2D(f, 3)` and
    `DepthwiseConv2D(3)` read as they do in Keras. (This class is no dataclass, so the names
    below only tell type checkers what every subclass has.)
    """

    kernel_size: tuple[sympy.Expr, ...]
    strides: tuple[sympy.Expr, ...]
    padding: Any
    dilation_rate: tuple[sympy.Expr, ...]
    activation: str | None
    use_bias: bool

    # Keras' padding names this layer takes, and whether PyTorch's explicit zeros are allowed too.
    paddings: ClassVar[tuple[str, ...]] = ("valid", "same")
    explicit_padding: ClassVar[bool] = False
    # Keras refuses strides > 1 with dilation_rate > 1 in Conv and ConvTranspose (not in depthwise
    # or separable convolutions); PyTorch accepts it everywhere.
    keras_stride_or_dilation: ClassVar[bool] = True
    spatial_layout = True

    def validate(self) -> None:
        self._check_padding()
        check_activation(self.activation)

    def _check_padding(self) -> None:
        """A Keras name, or (where allowed) zeros per side: numbers, expressions, or one per axis.

        A lone word is read as a name, so a typo or another library's mode ('full', 'reflect')
        is an error rather than a new symbol; a symbolic padding is written `[p]` or `2*p`.
        """
        value = self.padding
        if isinstance(value, str) and value.lower() in self.paddings:
            self._set("padding", value.lower())
            return
        word = isinstance(value, str) and value.strip().isidentifier()
        if not self.explicit_padding or word:
            names = f"one of {', '.join(repr(name) for name in self.paddings)}" if self.paddings else ""
            zeros = "a number of zeros per side" if self.explicit_padding else ""
            expected = " or ".join(part for part in (names, zeros) if part)
            close = difflib.get_close_matches(str(value).lower(), self.paddings, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"padding must be {expected}. Received: padding={value!r}{hint}")
        self._set("padding", as_amounts(value, self.rank, "padding"))

    def pads(self) -> tuple[Padding, ...]:
        """The padding along each spatial axis."""
        return self.padding if isinstance(self.padding, tuple) else (self.padding,) * self.rank

    def keras_rules(self, target: Target) -> None:
        """Raise under `framework: keras` for what Keras refuses to build and PyTorch accepts."""
        if not target.keras or not self.keras_stride_or_dilation:
            return
        strided = any(_known(s > 1) for s in self.strides)
        dilated = any(_known(d > 1) for d in self.dilation_rate)
        if any(not e.is_number for e in (*self.strides, *self.dilation_rate)):
            rules.note("undecided")  # strides or dilation waiting for values: no rule for both
        if strided and dilated:
            raise SpecError(
                "Keras does not support strides > 1 together with dilation_rate > 1 (PyTorch does: "
                f"framework: torch). Received: strides={self.strides}, dilation_rate={self.dilation_rate}"
            )

    def spatial(self, input_shape: Shape, target: Target) -> tuple[Shape, sympy.Expr]:
        """The input's spatial axes and its channels (which `groups`, if any, must divide)."""
        require_rank(self, input_shape, rank=self.rank + 1)
        spatial, channels = target.split(input_shape)
        groups = getattr(self, "groups", None)
        if groups is not None:
            check_divisible("input channels", channels, "groups", groups, ShapeError)
        return spatial, channels

    def lengths(self, input_shape: Shape, target: Target) -> Shape:
        """The output's spatial axes: a window slid over each input axis."""
        spatial, _ = self.spatial(input_shape, target)
        lengths = tuple(
            conv_length(n, k, s, d, p)
            for n, k, s, d, p in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, self.pads())
        )
        check_fits(
            self,
            lengths,
            input_shape,
            lambda show: f"kernel {window(self.kernel_size, show)} with {self.padding_text(show)}",
        )
        return lengths

    def padding_text(self, show: Callable[[Any], str] = str) -> str:
        shown = format_shape(self.padding, show) if isinstance(self.padding, tuple) else repr(self.padding)
        return f"padding {shown}"

    def describe(self) -> str:
        filters = getattr(self, "filters", None)
        shown = window(self.kernel_size) if filters is None else f"{filters}, {window(self.kernel_size)}"
        return f"{type(self).__name__}({shown})"

    def with_bias(self, kernels: tuple[Weight, ...], size: sympy.Expr) -> tuple[Weight, ...]:
        return (*kernels, self.weight("bias", (size,))) if self.use_bias else kernels

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # One bias add per output element (each channel's bias at every position), then the
        # activation on each output element.
        outputs = product(self.output_shape(input_shape, target))
        bias = BIAS_FLOPS * outputs if self.use_bias else sympy.Integer(0)
        return bias + activation_flops(self.activation, outputs)

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # The input (PyTorch's convolution backward takes it whether or not the kernel trains),
        # and the activation's input or output.
        outputs = product(self.output_shape(input_shape, target))
        before, after, extra = activation_saved(self.activation, outputs)
        return Saved(("float",), after, ((outputs, "float"),) * before + extra)


@dataclass(frozen=True)
class _Conv(_Convolution):
    """An N-D convolution: kernel (*kernel_size, channels // groups, filters) and bias (filters,)."""

    keras_positional = keras_names(
        "filters kernel_size strides padding data_format dilation_rate groups activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint"
    )

    rules_noted = True

    filters: Any
    kernel_size: Any
    strides: Any = 1
    padding: Any = "valid"
    dilation_rate: Any = 1
    groups: Any = 1
    activation: str | None = None
    use_bias: bool = True

    sizes = ("filters", "groups")
    size_tuples = ("kernel_size", "strides", "dilation_rate")
    explicit_padding = True
    example_args = {"filters": "f", "kernel_size": "k"}
    torch_args = {
        "out_channels": "filters", "in_channels": "channels_in", "stride": "strides",
        "dilation": "dilation_rate", "bias": "use_bias", "padding_mode": "",
    }  # fmt: skip
    torch_positional = (
        "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
        "padding_mode",
    )  # fmt: skip
    torch_defaults = {
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "groups": 1,
        "bias": True,
        "padding_mode": "zeros",
    }
    derivation = (
        "each of the f filters has a k-wide kernel over the C/groups channels of its group, "
        "plus one bias per filter"
    )
    torch_difference = (
        "same count (weight (f, C/groups, *k)); PyTorch also takes strides > 1 with dilation > 1, "
        "and its padding='same' needs stride 1"
    )

    def validate(self) -> None:
        super().validate()
        check_divisible("filters", self.filters, "groups", self.groups)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return target.join(self.lengths(input_shape, target), self.filters)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.keras_rules(target)
        _, channels = self.spatial(input_shape, target)
        kernel = self.weight("kernel", (*self.kernel_size, channels / self.groups, self.filters))
        return self.with_bias((kernel,), self.filters)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # At each output position, each of the f filters takes a dot product of its k-wide window
        # over the C/groups channels of its group (dilation spreads the taps, padding zeros count).
        _, channels = self.spatial(input_shape, target)
        taps = product(self.kernel_size) * channels / self.groups
        return product(self.lengths(input_shape, target)) * self.filters * taps

    def explain(self, input_shape: Shape, target: Target) -> str | None:
        if not self.trainable:
            return None
        *kernel_window, channels, filters = self.weights(input_shape, target)[0].shape
        bias = f" + {many(filters, 'bias')}" if self.use_bias else ""
        return f"{many(filters, 'kernel')} x {dims(kernel_window)} x {many(channels, 'channel')}{bias}"


class Conv1D(_Conv):
    class_aliases = ("Convolution1D",)
    rank = 1
    paddings = ("valid", "same", "causal")
    torch_name = "conv1d"


class Conv2D(_Conv):
    class_aliases = ("Convolution2D",)
    rank = 2
    torch_name = "conv2d"


class Conv3D(_Conv):
    class_aliases = ("Convolution3D",)
    rank = 3
    torch_name = "conv3d"


class _Transposed(_Convolution):
    """A transposed convolution: kernel (*kernel_size, filters // groups, channels), bias (filters,).

    Each input position stamps a kernel onto the output, s apart. `groups` is PyTorch's (Keras has
    none); `output_padding` adds that many positions on the right of each axis. Two spellings
    share this: Keras' (Conv2DTranspose) and PyTorch's (ConvTranspose2d, whose padding is 0 by
    default, where Keras' default `valid` keeps max(k, s) per step instead of k).
    """

    filters: sympy.Expr
    output_padding: tuple[sympy.Expr, ...] | None
    groups: sympy.Expr

    sizes: ClassVar[tuple[str, ...]] = ("filters", "groups")
    size_tuples = ("kernel_size", "strides", "dilation_rate")
    explicit_padding = True
    derivation = (
        "each of the C input channels stamps a k-wide kernel onto the f/groups filters of its "
        "group, plus one bias per filter"
    )

    def validate(self) -> None:
        super().validate()
        check_divisible("filters", self.filters, "groups", self.groups)
        if self.output_padding is None:
            return
        self._set("output_padding", as_amounts(self.output_padding, self.rank, "output_padding"))
        for extra, stride, dilation in zip(self.output_padding, self.strides, self.dilation_rate):
            if _known(extra >= stride) and _known(extra >= dilation):
                raise SpecError(
                    "output_padding must be smaller than strides (or, in PyTorch, dilation_rate). "
                    f"Received: output_padding={self.output_padding}, strides={self.strides}"
                )

    def keras_rules(self, target: Target) -> None:
        super().keras_rules(target)
        if not target.keras:
            return
        if self.groups != 1:
            raise SpecError(
                f"Keras' transposed convolutions have no groups (PyTorch's do: framework: torch). "
                f"Received: groups={self.groups}"
            )
        if self.output_padding is not None and any(
            _known(extra >= stride) for extra, stride in zip(self.output_padding, self.strides)
        ):
            raise SpecError(
                "Keras requires output_padding < strides on every axis. "
                f"Received: output_padding={self.output_padding}, strides={self.strides}"
            )

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        spatial, _ = self.spatial(input_shape, target)
        extras = self.output_padding or (None,) * self.rank
        lengths = tuple(
            transposed_conv_length(n, k, s, d, p, extra)
            for n, k, s, d, p, extra in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate, self.pads(), extras
            )
        )
        check_fits(
            self,
            lengths,
            input_shape,
            lambda show: f"kernel {window(self.kernel_size, show)} with {self.padding_text(show)}",
        )
        return target.join(lengths, self.filters)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.keras_rules(target)
        _, channels = self.spatial(input_shape, target)
        kernel = self.weight("kernel", (*self.kernel_size, self.filters / self.groups, channels))
        return self.with_bias((kernel,), self.filters)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Each input position scatters each of its C values through a k-wide kernel onto the
        # f/groups filters of its group: every product is made, including those that land on
        # positions the padding crops (as PyTorch's FlopCounterMode counts).
        spatial, channels = self.spatial(input_shape, target)
        return product(spatial) * channels * product(self.kernel_size) * self.filters / self.groups


@dataclass(frozen=True)
class _ConvTranspose(_Transposed):
    """Keras' spelling: Conv2DTranspose(filters, kernel_size, strides, padding, output_padding...)."""

    keras_positional = keras_names(
        "filters kernel_size strides padding output_padding data_format dilation_rate activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint"
    )

    filters: Any
    kernel_size: Any
    strides: Any = 1
    padding: Any = "valid"
    output_padding: Any = None
    dilation_rate: Any = 1
    activation: str | None = None
    use_bias: bool = True
    groups: Any = 1

    example_args = {"filters": "f", "kernel_size": "k", "strides": "s"}
    torch_args = {
        "out_channels": "filters", "in_channels": "channels_in", "stride": "strides",
        "dilation": "dilation_rate", "bias": "use_bias",
    }  # fmt: skip
    torch_difference = (
        "spelled conv_transpose1d/2d/3d, weight (C, f/groups, *k), same count; groups are "
        "PyTorch's only; its padding=0 keeps k per step where Keras' 'valid' keeps max(k, s)"
    )


class Conv1DTranspose(_ConvTranspose):
    class_aliases = ("Convolution1DTranspose",)
    rank = 1
    torch_counterpart = "conv_transpose1d"


class Conv2DTranspose(_ConvTranspose):
    class_aliases = ("Convolution2DTranspose",)
    rank = 2
    torch_counterpart = "conv_transpose2d"


class Conv3DTranspose(_ConvTranspose):
    class_aliases = ("Convolution3DTranspose",)
    keras_positional = keras_names(
        "filters kernel_size strides padding data_format output_padding dilation_rate activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint"
    )
    rank = 3
    torch_counterpart = "conv_transpose3d"


@dataclass(frozen=True)
class _TorchConvTranspose(_Transposed):
    """PyTorch's spelling, in its argument order and with its defaults (padding 0, output_padding 0):
    ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups,
    bias, dilation), each argument under PyTorch's name in specs."""

    in_channels: Any
    filters: Any
    kernel_size: Any
    strides: Any = 1
    padding: Any = 0
    output_padding: Any = 0
    groups: Any = 1
    use_bias: bool = True
    dilation_rate: Any = 1
    activation: str | None = None

    sizes = ("in_channels", "filters", "groups")
    paddings = ()
    torch_only = True
    example_args = {"in_channels": "C", "filters": "f", "kernel_size": "k", "strides": "s"}
    torch_args = {
        "out_channels": "filters",
        "stride": "strides",
        "dilation": "dilation_rate",
        "bias": "use_bias",
        "padding_mode": "",
    }
    torch_positional = (
        "in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias",
        "dilation", "padding_mode",
    )  # fmt: skip
    torch_input_side = ("in_channels",)
    torch_defaults = {
        "stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "bias": True, "dilation": 1,
        "padding_mode": "zeros",
    }  # fmt: skip
    torch_difference = "Keras spells it Conv1DTranspose/2D/3D, whose default 'valid' keeps max(k, s) per step"

    def validate(self) -> None:
        super().validate()
        self._set("channels_in", self.in_channels)


class ConvTranspose1d(_TorchConvTranspose):
    rank = 1
    torch_name = "conv_transpose1d"


class ConvTranspose2d(_TorchConvTranspose):
    rank = 2
    torch_name = "conv_transpose2d"


class ConvTranspose3d(_TorchConvTranspose):
    rank = 3
    torch_name = "conv_transpose3d"


@dataclass(frozen=True)
class _DepthwiseConv(_Convolution):
    """One kernel per input channel and multiplier: kernel (*kernel_size, C, m), bias (C*m,)."""

    keras_positional = keras_names(
        "kernel_size strides padding depth_multiplier data_format dilation_rate activation use_bias depthwise_initializer bias_initializer depthwise_regularizer bias_regularizer activity_regularizer depthwise_constraint bias_constraint"
    )

    kernel_size: Any
    strides: Any = 1
    padding: str = "valid"
    depth_multiplier: Any = 1
    dilation_rate: Any = 1
    activation: str | None = None
    use_bias: bool = True

    sizes = ("depth_multiplier",)
    size_tuples = ("kernel_size", "strides", "dilation_rate")
    keras_stride_or_dilation = False
    example_args = {"kernel_size": "k", "depth_multiplier": "m"}
    derivation = "each of the C channels has m k-wide kernels of its own, plus one bias per output channel"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        _, channels = self.spatial(input_shape, target)
        return target.join(self.lengths(input_shape, target), channels * self.depth_multiplier)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        _, channels = self.spatial(input_shape, target)
        kernel = self.weight("kernel", (*self.kernel_size, channels, self.depth_multiplier))
        return self.with_bias((kernel,), channels * self.depth_multiplier)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # At each output position, each of the C*m output channels is a k-wide window on one channel.
        _, channels = self.spatial(input_shape, target)
        positions = product(self.lengths(input_shape, target))
        return positions * channels * self.depth_multiplier * product(self.kernel_size)


class DepthwiseConv1D(_DepthwiseConv):
    rank = 1
    torch_difference = "no such module: Conv1d(C, C*m, k, groups=C) has the same weights"


class DepthwiseConv2D(_DepthwiseConv):
    rank = 2
    torch_difference = "no such module: Conv2d(C, C*m, k, groups=C) has the same weights"


@dataclass(frozen=True)
class _SeparableConv(_Convolution):
    """A depthwise convolution, then a 1-wide one mixing its C*m channels into `filters`.

    Kernels: depthwise (*kernel_size, C, m), pointwise (1, ..., C*m, filters); bias (filters,).
    """

    keras_positional = keras_names(
        "filters kernel_size strides padding data_format dilation_rate depth_multiplier activation use_bias depthwise_initializer pointwise_initializer bias_initializer depthwise_regularizer pointwise_regularizer bias_regularizer activity_regularizer depthwise_constraint pointwise_constraint bias_constraint"
    )

    filters: Any
    kernel_size: Any
    strides: Any = 1
    padding: str = "valid"
    dilation_rate: Any = 1
    depth_multiplier: Any = 1
    activation: str | None = None
    use_bias: bool = True

    sizes = ("filters", "depth_multiplier")
    size_tuples = ("kernel_size", "strides", "dilation_rate")
    keras_stride_or_dilation = False
    example_args = {"filters": "f", "kernel_size": "k", "depth_multiplier": "m"}
    derivation = (
        "m k-wide kernels per input channel, then a C*m x f pointwise kernel, plus one bias per filter"
    )

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return target.join(self.lengths(input_shape, target), self.filters)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        _, channels = self.spatial(input_shape, target)
        depthwise = self.weight("depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier))
        ones = (sympy.Integer(1),) * self.rank
        pointwise = self.weight("pointwise_kernel", (*ones, channels * self.depth_multiplier, self.filters))
        return self.with_bias((depthwise, pointwise), self.filters)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Depthwise: a k-wide window per each of the C*m channels; then pointwise: each of the f
        # filters a dot product over the C*m channels; both at every output position. Only the
        # pointwise step has a bias, so `extra_flops` (per output element) holds as for any conv.
        _, channels = self.spatial(input_shape, target)
        positions = product(self.lengths(input_shape, target))
        depthwise = positions * channels * self.depth_multiplier * product(self.kernel_size)
        pointwise = positions * channels * self.depth_multiplier * self.filters
        return depthwise + pointwise


class SeparableConv1D(_SeparableConv):
    rank = 1
    class_aliases = ("SeparableConvolution1D",)
    torch_difference = (
        "no such module: Conv1d(C, C*m, k, groups=C, bias=False) then Conv1d(C*m, f, 1) has the same weights"
    )


class SeparableConv2D(_SeparableConv):
    rank = 2
    class_aliases = ("SeparableConvolution2D",)
    torch_difference = (
        "no such module: Conv2d(C, C*m, k, groups=C, bias=False) then Conv2d(C*m, f, 1) has the same weights"
    )
