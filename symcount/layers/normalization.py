"""Normalization layers: Keras' Batch/Layer/Group/UnitNormalization and PyTorch's own spellings.

Two differences between the frameworks change counts. Keras keeps BatchNorm's moving mean and
variance as non-trainable weights; PyTorch keeps its running statistics (and a one-element step
counter) as buffers, outside the parameter total. And PyTorch's classes take other options: one
`affine` switch for both scale and shift, `track_running_stats`, a `normalized_shape` of sizes
instead of axes. So PyTorch's BatchNorm1d/2d/3d, LayerNorm and GroupNorm are small layers of their
own with PyTorch's signatures, and a positional spec (`batch_norm2d: 64`, `group_norm: [4, 32]`)
means what it means in PyTorch.

Keras counts the batch as axis 0, so a positive `axis` here is one more than the index into the
batch-free shapes symcount uses: with input (H, W, C), axis=1 is H and axis=-1 is C.

None of them multiplies matrices, so their MACs are 0; their FLOPs are extra, from costs.py's
table: standardising each element (NORMALIZE_FLOPS), then a scale and a shift (BIAS_FLOPS each)
when the layer has them. BatchNorm at inference uses its stored statistics but is counted the
same, as costs.py says.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from ..costs import BIAS_FLOPS, NORMALIZE_FLOPS
from ..errors import ShapeError, SpecError
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from ..values import as_expr, as_size
from .base import Layer, Saved, Weight, as_float, check_divisible, keras_names, require_rank

__all__ = [
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "RMSNormalization",
    "SpectralNormalization",
]  # fmt: skip

INFINITY = float("inf")


def check_axes(value: Any, many: bool) -> int | tuple[int, ...]:
    """Keras' `axis`: an integer or, when `many`, a list of them; never 0, the batch axis."""
    items = list(value) if many and isinstance(value, (list, tuple)) else [value]
    expected = "an integer axis or a list of them" if many else "an integer axis"
    if not items or any(isinstance(a, bool) or not isinstance(a, int) for a in items):
        raise SpecError(f"expected {expected}. Received: axis={value!r}")
    if 0 in items:
        raise SpecError(
            f"axis 0 is the batch axis (Keras counts it), which has no size. Received: axis={value!r}"
        )
    return tuple(items) if isinstance(value, (list, tuple)) else value


def axis_indices(axis: int | tuple[int, ...], input_shape: Shape) -> tuple[int, ...]:
    """Where Keras' axes fall in the batch-free shape, in input order; distinct and in range."""
    rank = len(input_shape)
    indices = []
    for a in axis if isinstance(axis, tuple) else (axis,):
        index = a - 1 if a > 0 else rank + a
        if not 0 <= index < rank:
            raise ShapeError(
                f"axis {a} is out of range for an input of {rank} axes (Keras counts the batch as "
                f"axis 0). Received: axis={axis!r}, input shape {format_shape(input_shape)}"
            )
        if index in indices:
            raise ShapeError(
                f"axes must name distinct input axes. Received: axis={axis!r} for input shape "
                f"{format_shape(input_shape)}"
            )
        indices.append(index)
    return tuple(sorted(indices))


def check_epsilon(value: Any, what: str) -> float:
    return as_float(value, what, 0.0, INFINITY)


def affine(layer: Layer, shape: Shape, scale: bool, center: bool, target: Target) -> tuple[Weight, ...]:
    """The learned scale and shift: Keras' gamma and beta, PyTorch's weight and bias."""
    scale_name, shift_name = ("weight", "bias") if target.torch else ("gamma", "beta")
    found = [layer.weight(scale_name, shape)] if scale else []
    return (*found, layer.weight(shift_name, shape)) if center else tuple(found)


def normalize_flops(input_shape: Shape, scale: bool, center: bool) -> sympy.Expr:
    """Extra FLOPs of normalising every element of `input_shape`, then scaling and shifting it."""
    # Per element: standardise (mean, variance, subtract, divide) = NORMALIZE_FLOPS, plus one
    # multiply by the scale and one add of the shift when the layer learns them.
    per_element = NORMALIZE_FLOPS + BIAS_FLOPS * (int(scale) + int(center))
    return per_element * product(input_shape)


def take_channels(layer: Layer, given: Any, what: str) -> None:
    """PyTorch's `num_features`/`num_channels` is the input's channel axis: check it as `channels_in`."""
    if given is None:
        return
    if layer.channels_in is not None and certainly_differ(layer.channels_in, given):
        raise SpecError(
            f"{what} and channels_in differ. Received: {what}={given}, channels_in={layer.channels_in}"
        )
    layer._set("channels_in", given)


class _BatchNorm(Layer):
    """Per-channel scale and shift, learned, and per-channel running mean and variance, tracked."""

    derivation = (
        "gamma and beta scale and shift each of the C channels (trainable); the moving mean and "
        "variance (C each) are statistics, not trained"
    )

    def channel_axis(self, input_shape: Shape, target: Target) -> int:
        return len(input_shape) - 1

    def scale_and_shift(self) -> tuple[bool, bool]:
        return True, True

    def keeps_statistics(self) -> bool:
        return True

    def renormalizes(self) -> bool:
        return False

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        self.channel_axis(input_shape, target)
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        shape = (input_shape[self.channel_axis(input_shape, target)],)
        found = list(affine(self, shape, *self.scale_and_shift(), target))
        if target.torch:
            if self.renormalizes():
                raise SpecError("PyTorch has no batch renormalization. Received: renorm=True")
            if self.keeps_statistics():
                found += [
                    self.weight("running_mean", shape, "buffer"),
                    self.weight("running_var", shape, "buffer"),
                    self.weight("num_batches_tracked", (), "buffer"),
                ]
            return tuple(found)
        names: tuple[str, ...] = ("moving_mean", "moving_variance") if self.keeps_statistics() else ()
        if self.renormalizes():
            names += ("moving_stddev", "renorm_mean", "renorm_stddev")
        return (*found, *(self.weight(name, shape, "non_trainable") for name in names))

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Every element standardised by its channel's statistics, then scaled and shifted
        # (renormalization only changes training).
        self.channel_axis(input_shape, target)
        return normalize_flops(input_shape, *self.scale_and_shift())

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # Training mode: the input, and the batch's mean and inverse deviation per channel (the
        # same for every example of the batch: counted per example, an overcount of 2*C*(B-1)
        # numbers, stated in docs/costs.md).
        channels = input_shape[self.channel_axis(input_shape, target)]
        return Saved(("float",), extra=((2 * channels, "stat"),))


@dataclass(frozen=True)
class BatchNormalization(_BatchNorm):
    """Keras' BatchNormalization over `axis` (default the channels, -1), any input rank.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> H, W, C = symbols("H W C")
        >>> model = Sequential(Input(H, W, C), BatchNormalization())
        >>> model.trainable, model.non_trainable
        (2*C, 2*C)
        >>> model = Sequential(Input(H, W, C), BatchNormalization(), framework="torch")
        >>> model.params, model.buffers
        (2*C, 2*C + 1)
    """

    keras_positional = keras_names(
        "axis momentum epsilon center scale beta_initializer gamma_initializer moving_mean_initializer moving_variance_initializer beta_regularizer gamma_regularizer beta_constraint gamma_constraint renorm renorm_clipping renorm_momentum synchronized"
    )

    rules_noted = True

    axis: Any = -1
    momentum: Any = 0.99
    epsilon: Any = 1e-3
    center: bool = True
    scale: bool = True
    renorm: bool = False

    example_input = ("H", "W", "C")
    torch_counterpart = "batch_norm1d, batch_norm2d, batch_norm3d"
    torch_difference = (
        "spelled batch_norm1d/2d/3d; the running mean and variance and a one-element "
        "num_batches_tracked are buffers, outside the total: 2C parameters, 2C + 1 buffers"
    )

    def validate(self) -> None:
        self._set("axis", check_axes(self.axis, many=False))
        self._set("momentum", as_float(self.momentum, "momentum"))
        self._set("epsilon", check_epsilon(self.epsilon, "epsilon"))

    def channel_axis(self, input_shape: Shape, target: Target) -> int:
        require_rank(self, input_shape, at_least=1)
        (index,) = axis_indices(self.axis, input_shape)
        return index

    def scale_and_shift(self) -> tuple[bool, bool]:
        return self.scale, self.center

    def renormalizes(self) -> bool:
        return self.renorm


@dataclass(frozen=True)
class _TorchBatchNorm(_BatchNorm):
    """PyTorch's BatchNorm: `affine` gives weight (and bias), `track_running_stats` the buffers."""

    num_features: Any = None
    eps: Any = 1e-5
    momentum: Any = 0.1
    affine: bool = True
    track_running_stats: bool = True
    bias: bool = field(default=True, kw_only=True)

    sizes = ("num_features",)
    spatial_layout = True
    ranks: ClassVar[tuple[int, ...]] = ()
    example_args = {"num_features": "C"}
    torch_positional: ClassVar[tuple[str, ...]] = (
        "num_features", "eps", "momentum", "affine", "track_running_stats",
    )  # fmt: skip
    torch_input_side = ("num_features",)
    torch_defaults = {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True, "bias": True}
    derivation = (
        "weight and bias scale and shift each of the C channels; the running mean and variance "
        "(C each) are statistics: Keras' non-trainable weights"
    )
    torch_difference = (
        "the running mean and variance and a one-element num_batches_tracked are buffers, outside "
        "the total: 2C parameters, 2C + 1 buffers"
    )

    def validate(self) -> None:
        self._set("eps", check_epsilon(self.eps, "eps"))
        if self.momentum is not None:  # None: a cumulative average, as in PyTorch
            self._set("momentum", as_float(self.momentum, "momentum"))
        take_channels(self, self.num_features, "num_features")

    def channel_axis(self, input_shape: Shape, target: Target) -> int:
        if len(input_shape) not in self.ranks:
            ranks = " or ".join(str(r) for r in self.ranks)
            torch_ranks = " or ".join(f"{r + 1}D" for r in self.ranks)
            raise ShapeError(
                f"{type(self).__name__} expects an input with {ranks} axes (batch excluded; "
                f"PyTorch's {torch_ranks}). Received: input shape {format_shape(input_shape)}"
            )
        return target.channel_index(len(input_shape))

    def scale_and_shift(self) -> tuple[bool, bool]:
        return self.affine, self.affine and self.bias

    def keeps_statistics(self) -> bool:
        return self.track_running_stats


class BatchNorm1d(_TorchBatchNorm):
    """PyTorch's BatchNorm1d: input (C,) or (C, L) (Keras' layout: (L, C))."""

    ranks = (1, 2)
    torch_name = "batch_norm1d"
    torch_only = True
    example_input = ("L", "C")


class BatchNorm2d(_TorchBatchNorm):
    """PyTorch's BatchNorm2d: input (C, H, W) (Keras' layout: (H, W, C))."""

    ranks = (3,)
    torch_name = "batch_norm2d"
    torch_only = True
    example_input = ("H", "W", "C")


class BatchNorm3d(_TorchBatchNorm):
    """PyTorch's BatchNorm3d: input (C, D, H, W) (Keras' layout: (D, H, W, C))."""

    ranks = (4,)
    torch_name = "batch_norm3d"
    torch_only = True
    example_input = ("D", "H", "W", "C")


@dataclass(frozen=True)
class LayerNormalization(Layer):
    """Keras' LayerNormalization: gamma and beta shaped like the normalized axes.

    With `rms_scaling` (deprecated in Keras, kept for its count) only gamma is made.
    """

    keras_positional = keras_names(
        "axis epsilon center scale beta_initializer gamma_initializer beta_regularizer gamma_regularizer beta_constraint gamma_constraint"
    )

    rules_noted = True

    axis: Any = -1
    epsilon: Any = 1e-3
    center: bool = True
    scale: bool = True
    rms_scaling: bool = False

    example_input = ("T", "d")
    derivation = "gamma and beta scale and shift each of the d features on the normalized axis"
    torch_difference = "none in the count; spelled layer_norm, which takes the last axes' sizes"
    torch_counterpart = "layer_norm"

    def validate(self) -> None:
        self._set("axis", check_axes(self.axis, many=True))
        self._set("epsilon", check_epsilon(self.epsilon, "epsilon"))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        axis_indices(self.axis, input_shape)
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        shape = tuple(input_shape[i] for i in axis_indices(self.axis, input_shape))
        scale = self.scale or self.rms_scaling
        return affine(self, shape, scale, self.center and not self.rms_scaling, target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Every element standardised over the normalized axes (with rms_scaling: divided by the
        # root mean square, counted as the same standardisation), then scaled and shifted.
        axis_indices(self.axis, input_shape)
        return normalize_flops(
            input_shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling
        )

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # The input, and a mean and an inverse deviation for each row it normalizes.
        axes = axis_indices(self.axis, input_shape)
        rows = product([n for i, n in enumerate(input_shape) if i not in axes])
        return Saved(("float",), extra=((2 * rows, "stat"),))


@dataclass(frozen=True)
class LayerNorm(Layer):
    """PyTorch's LayerNorm over the last axes, whose sizes `normalized_shape` gives.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> T, d = symbols("T d")
        >>> Sequential(Input(T, d), LayerNorm(d), framework="torch").params
        2*d
    """

    normalized_shape: Any
    eps: Any = 1e-5
    elementwise_affine: bool = True
    bias: bool = True

    example_args = {"normalized_shape": "d"}
    example_input = ("T", "d")
    derivation = "weight and bias, each shaped like normalized_shape, scale and shift each feature"
    torch_name = "layer_norm"
    torch_only = True
    torch_positional = ("normalized_shape", "eps", "elementwise_affine", "bias")
    torch_defaults = {"eps": 1e-5, "elementwise_affine": True, "bias": True}

    def validate(self) -> None:
        value = self.normalized_shape
        items = value if isinstance(value, (list, tuple)) else (value,)
        if not items:
            raise SpecError(f"expected a size or a list of sizes. Received: normalized_shape={value!r}")
        self._set("normalized_shape", tuple(as_size(item, "normalized_shape") for item in items))
        self._set("eps", check_epsilon(self.eps, "eps"))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        shape = self.normalized_shape
        require_rank(self, input_shape, at_least=len(shape))
        last = input_shape[len(input_shape) - len(shape) :]
        if any(certainly_differ(a, b) for a, b in zip(last, shape)):
            raise ShapeError(
                f"normalized_shape must equal the input's last axes {format_shape(last)}. "
                f"Received: normalized_shape={format_shape(shape)}"
            )
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.output_shape(input_shape, target)
        on = self.elementwise_affine
        return affine(self, self.normalized_shape, on, on and self.bias, target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Every element standardised over the last axes, then scaled and shifted if affine.
        self.output_shape(input_shape, target)
        on = self.elementwise_affine
        return normalize_flops(input_shape, on, on and self.bias)

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # The input, and a mean and an inverse deviation for each row it normalizes.
        self.output_shape(input_shape, target)
        rows = product(input_shape[: len(input_shape) - len(self.normalized_shape)])
        return Saved(("float",), extra=((2 * rows, "stat"),))

    def describe(self) -> str:
        return f"LayerNorm({', '.join(str(s) for s in self.normalized_shape)})"


@dataclass(frozen=True)
class GroupNormalization(Layer):
    """Keras' GroupNormalization: statistics per group of channels, gamma and beta per channel.

    `groups` must divide the channels; -1 means one group per channel (instance normalization).
    """

    keras_positional = keras_names(
        "groups axis epsilon center scale beta_initializer gamma_initializer beta_regularizer gamma_regularizer beta_constraint gamma_constraint"
    )

    groups: Any = 32
    axis: Any = -1
    epsilon: Any = 1e-3
    center: bool = True
    scale: bool = True

    example_args = {"groups": "g"}
    example_input = ("H", "W", "C")
    derivation = "gamma and beta scale and shift each of the C channels; the g groups cost nothing"
    torch_difference = "none in the count; spelled group_norm (num_groups, num_channels, affine)"
    torch_counterpart = "group_norm"

    def validate(self) -> None:
        groups = as_expr(self.groups, "groups")
        if groups != -1 and (
            (groups.is_number and not (groups.is_integer and groups.is_positive))
            or groups.is_positive is False
            or groups.is_integer is False
        ):
            raise SpecError(
                f"expected a positive integer, or -1 for one group per channel. Received: groups={self.groups!r}"
            )
        self._set("groups", groups)
        self._set("axis", check_axes(self.axis, many=False))
        self._set("epsilon", check_epsilon(self.epsilon, "epsilon"))

    def channels(self, input_shape: Shape) -> sympy.Expr:
        (index,) = axis_indices(self.axis, input_shape)
        channels = input_shape[index]
        if self.groups != -1:
            check_divisible("channels", channels, "groups", self.groups, ShapeError)
        return channels

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        self.channels(input_shape)
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        return affine(self, (self.channels(input_shape),), self.scale, self.center, target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Every element standardised by its group's statistics, then scaled and shifted per channel.
        self.channels(input_shape)
        return normalize_flops(input_shape, self.scale, self.center)

    def describe(self) -> str:
        return f"GroupNormalization({self.groups})"


@dataclass(frozen=True)
class GroupNorm(Layer):
    """PyTorch's GroupNorm: `num_groups` must divide the channels (the input's first axis under
    PyTorch's layout, its last under Keras')."""

    num_groups: Any
    num_channels: Any = None
    eps: Any = 1e-5
    affine: bool = True
    bias: bool = field(default=True, kw_only=True)

    sizes = ("num_groups", "num_channels")
    spatial_layout = True
    example_args = {"num_groups": "g"}
    example_input = ("H", "W", "C")
    derivation = "weight and bias scale and shift each of the C channels; the g groups cost nothing"
    torch_name = "group_norm"
    torch_only = True
    torch_positional = ("num_groups", "num_channels", "eps", "affine")  # then bias=
    torch_input_side = ("num_channels",)
    torch_defaults = {"eps": 1e-5, "affine": True, "bias": True}

    def validate(self) -> None:
        self._set("eps", check_epsilon(self.eps, "eps"))
        if self.num_channels is not None:
            check_divisible("num_channels", self.num_channels, "num_groups", self.num_groups)
        take_channels(self, self.num_channels, "num_channels")

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=1)
        _, channels = target.split(input_shape)
        check_divisible("channels", channels, "num_groups", self.num_groups, ShapeError)
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.output_shape(input_shape, target)
        _, channels = target.split(input_shape)
        return affine(self, (channels,), self.affine, self.affine and self.bias, target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Every element standardised by its group's statistics, then scaled and shifted if affine.
        self.output_shape(input_shape, target)
        return normalize_flops(input_shape, self.affine, self.affine and self.bias)

    def describe(self) -> str:
        return f"GroupNorm({self.num_groups})"


@dataclass(frozen=True)
class UnitNormalization(Layer):
    """Scales each input to unit L2 norm along `axis`: no weights, same shape."""

    axis: Any = -1

    example_input = ("n",)
    derivation = "no weights: each vector is divided by its length"

    def validate(self) -> None:
        self._set("axis", check_axes(self.axis, many=True))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        axis_indices(self.axis, input_shape)
        return input_shape

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Every element normalised (squared and summed into its vector's norm, then divided by it):
        # costs.py's one unit for any normalisation, NORMALIZE_FLOPS, with no scale or shift.
        axis_indices(self.axis, input_shape)
        return normalize_flops(input_shape, scale=False, center=False)


@dataclass(frozen=True)
class RMSNormalization(Layer):
    """Root-mean-square normalization (Keras' RMSNormalization, PyTorch's RMSNorm, Llama's and
    T5's norms): x / rms(x) times a learned scale per feature of `axis`; no shift, no mean.

    Example:
        >>> from symcount import Input, Sequential, RMSNormalization, symbols
        >>> T, d = symbols("T d")
        >>> Sequential(Input(T, d), RMSNormalization()).params
        d
    """

    axis: Any = -1
    epsilon: Any = 1e-6

    example_input = ("T", "d")
    derivation = "one learned scale for each of the d features (no shift)"
    torch_counterpart = "rms_norm"

    def validate(self) -> None:
        self._set("axis", check_axes(self.axis, many=True))
        self._set("epsilon", check_epsilon(self.epsilon, "epsilon"))

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        shape = tuple(input_shape[i] for i in axis_indices(self.axis, input_shape))
        return (self.weight("weight" if target.torch else "scale", shape),)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Divided by the root mean square (counted as a standardisation), then scaled.
        axis_indices(self.axis, input_shape)
        return normalize_flops(input_shape, True, False)

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # Llama's RMSNorm (Hugging Face's, written out; torch.nn.RMSNorm keeps as much in
        # float32): the input upcast to float32 (for its square), an inverse root mean square per
        # row, and the normalized input in the dtype (for the scale's gradient).
        axes = axis_indices(self.axis, input_shape)
        rows = product([n for i, n in enumerate(input_shape) if i not in axes])
        return Saved(("float32",), extra=((product(input_shape), "float"), (rows, "stat")))


@dataclass(frozen=True)
class SpectralNormalization(Layer):
    """Keras' SpectralNormalization: the wrapped layer with its kernel divided by its largest
    singular value, estimated by `power_iterations` steps of the power method while training. It
    keeps the estimate's vector, (1, the kernel's last axis), as a non-trainable weight; the
    forward pass at inference is the wrapped layer's."""

    layer: Any
    power_iterations: Any = 1

    nested = ("layer",)
    sizes = ("power_iterations",)
    example_args = {"layer": {"dense": "u"}}
    example_input = ("n",)
    derivation = "the wrapped layer's weights, plus a non-trainable vector as long as the kernel's last axis"

    def validate(self) -> None:
        if not isinstance(self.layer, Layer) or self.layer.merges:
            raise SpecError(
                f"layer must be a layer of one input. Received: layer={type(self.layer).__name__}"
            )

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return self.layer.output_shape(input_shape, target)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.layer.check_channels(input_shape, target)
        inner = self.layer.weights(input_shape, target)
        kernel = next((w for w in inner if w.name in ("kernel", "embeddings")), None)
        if kernel is None:
            raise SpecError(
                f"SpectralNormalization needs a layer with a kernel or embeddings (as Keras). "
                f"Received: layer={type(self.layer).__name__}"
            )
        vector = Weight("vector_u", (sympy.Integer(1), kernel.shape[-1]), "non_trainable")
        return (*(self.weight(w.name, w.shape, w.kind) for w in inner), vector)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return self.layer.macs(input_shape, target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return self.layer.extra_flops(input_shape, target)

    def expressions(self) -> Iterator[sympy.Expr]:
        yield from self.layer.expressions()
        yield self.power_iterations

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        return dataclasses.replace(
            self, layer=self.layer.xreplace(mapping), power_iterations=self.power_iterations.xreplace(mapping)
        )

    def describe(self) -> str:
        return f"SpectralNormalization({self.layer.describe()})"
