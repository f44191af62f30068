"""Reshaping: Reshape, Permute, Select, RepeatVector, UpSampling, ZeroPadding and Cropping (1, 2, 3-D),
and Keras' image Resizing and CenterCrop.

None of them has weights. They matter because they change the shape the next layer pays for: a
Dense after UpSampling2D(2) costs four times as much as one before it. They only move or copy
numbers, so they cost no FLOPs, except UpSampling2D when it interpolates (see
`interpolation_flops`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from ..values import as_expr, as_size
from .base import Layer, Saved, as_amount, check_choice, keras_names, require_rank

__all__ = [
    "Reshape", "Permute", "Select", "Narrow", "RepeatVector",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "Resizing", "CenterCrop",
]  # fmt: skip

Pairs = tuple[tuple[sympy.Expr, sympy.Expr], ...]

INTERPOLATIONS = ("bicubic", "bilinear", "lanczos3", "lanczos5", "nearest")

# Input positions each interpolation weighs along one axis: bilinear the 2 nearest, bicubic 4,
# Lanczos with radius a 2a; nearest copies 1 and computes nothing.
INTERPOLATION_TAPS = {"nearest": 1, "bilinear": 2, "bicubic": 4, "lanczos3": 6, "lanczos5": 10}


def interpolation_flops(interpolation: str, rank: int) -> int:
    """Extra FLOPs per output element of resampling `rank` axes with `interpolation`.

    symcount's definition: an interpolated output is a weighted sum of taps**rank inputs, so it
    costs taps**rank multiplies and taps**rank - 1 adds. The weights depend only on an output's
    row or column, so they are computed once per row or column, not per element, and not counted.
    Nearest-neighbour is a copy: 0. Bilinear in 2-D: 7; bicubic: 31.
    """
    if interpolation == "nearest":
        return 0
    taps = INTERPOLATION_TAPS[interpolation] ** rank
    return 2 * taps - 1


def as_pairs(value: Any, rank: int, what: str) -> Pairs:
    """Keras' spellings of (before, after) amounts per spatial axis, as `rank` pairs.

    One amount for every side; for rank 1 a pair (before, after); otherwise `rank` entries, each
    one amount (both sides of that axis) or a pair.
    """
    if not isinstance(value, (tuple, list)):
        amount = as_amount(value, what)
        return ((amount, amount),) * rank
    if rank == 1:
        if len(value) == 1 and isinstance(value[0], (tuple, list)):
            value = value[0]  # the stored form, one pair per axis
        if len(value) != 2:
            raise SpecError(f"expected an integer or a pair of integers. Received: {what}={value!r}")
        return ((as_amount(value[0], what), as_amount(value[1], what)),)
    if len(value) != rank:
        raise SpecError(
            f"expected an integer, {rank} integers or {rank} pairs of integers. Received: {what}={value!r}"
        )
    pairs = []
    for entry in value:
        if isinstance(entry, (tuple, list)):
            if len(entry) != 2:
                raise SpecError(f"expected a pair of integers in {what}. Received: {what}={value!r}")
            pairs.append((as_amount(entry[0], what), as_amount(entry[1], what)))
        else:
            amount = as_amount(entry, what)
            pairs.append((amount, amount))
    return tuple(pairs)


def torch_pairs(value: Any, rank: int, what: str) -> Pairs:
    """PyTorch's ZeroPad spelling: one amount, or 2*rank amounts starting from the LAST axis.

    ZeroPad2d((left, right, top, bottom)) pads width first; Keras writes ((top, bottom),
    (left, right)), so the pairs are reversed.
    """
    if not isinstance(value, (tuple, list)):
        amount = as_amount(value, what)
        return ((amount, amount),) * rank
    if len(value) != 2 * rank:
        raise SpecError(
            f"expected an integer or {2 * rank} integers (PyTorch's order, last axis first). "
            f"Received: {what}={value!r}"
        )
    amounts = [as_amount(item, what) for item in value]
    return tuple((amounts[2 * i], amounts[2 * i + 1]) for i in reversed(range(rank)))


def format_pairs(pairs: Pairs) -> str:
    """`((1, 2), (0, 0))` as Keras writes it; one pair (rank 1) is `(1, 2)`."""
    inner = ", ".join(f"({a}, {b})" for a, b in pairs)
    return inner if len(pairs) == 1 else f"({inner})"


@dataclass(frozen=True)
class Reshape(Layer):
    """Gives the same elements a new shape; one axis may be -1, inferred as Keras does.

    The element count must not change: where sympy can decide that it does (numbers, or
    expressions whose difference is certainly non-zero), the layer says so with both counts;
    otherwise the check waits for the values to be substituted.
    """

    target_shape: Any

    example_args = {"target_shape": ("-1", "C")}
    example_input = ("H", "W", "C")
    derivation = "no weights: the same numbers in a new shape"

    def validate(self) -> None:
        if not isinstance(self.target_shape, (tuple, list)) or not self.target_shape:
            raise SpecError(f"expected a list of sizes. Received: target_shape={self.target_shape!r}")
        dims = []
        for i, value in enumerate(self.target_shape):
            expr = as_expr(value, f"target_shape[{i}]")
            dims.append(expr if expr == -1 else as_size(expr, f"target_shape[{i}]"))
        if dims.count(sympy.Integer(-1)) > 1:
            raise SpecError(
                f"at most one axis of target_shape may be -1. Received: target_shape={format_shape(dims)}"
            )
        self._set("target_shape", tuple(dims))

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        return Saved(view=True)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        total = product(input_shape)
        known = product([d for d in self.target_shape if d != -1])
        wanted = format_shape(self.target_shape)
        if -1 not in self.target_shape:
            if certainly_differ(total, known):
                raise ShapeError(
                    f"Reshape must keep the number of elements: the input has {total}, "
                    f"target_shape={wanted} has {known}"
                )
            return self.target_shape
        # The -1 axis holds whatever the others leave: total / known, which must be a whole number.
        inferred = total / known
        if inferred.is_integer is False:
            raise ShapeError(
                f"Reshape cannot infer the -1 in target_shape={wanted}: the input has {total} "
                f"elements, not a multiple of the {known} the other axes hold"
            )
        return tuple(inferred if d == -1 else d for d in self.target_shape)

    def describe(self) -> str:
        return f"Reshape({format_shape(self.target_shape)})"


@dataclass(frozen=True)
class Permute(Layer):
    """Reorders the axes: `dims` counts from 1 and excludes the batch axis, as in Keras."""

    dims: Any

    example_args = {"dims": (2, 1)}
    example_input = ("L", "C")
    derivation = "no weights: the same numbers with their axes reordered"

    def validate(self) -> None:
        values = self.dims if isinstance(self.dims, (tuple, list)) else (self.dims,)
        dims: list[int] = []
        for value in values:
            expr = as_expr(value, "dims")
            if not (expr.is_number and expr.is_integer):
                dims = []
                break
            dims.append(int(expr))
        if not dims or sorted(dims) != list(range(1, len(dims) + 1)):
            raise SpecError(
                "dims must be a permutation of 1, 2, ..., n (1-based, batch axis excluded, as in "
                f"Keras). Received: dims={self.dims!r}"
            )
        self._set("dims", tuple(dims))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=len(self.dims))
        return tuple(input_shape[d - 1] for d in self.dims)

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        return Saved(view=True)

    def describe(self) -> str:
        return f"Permute({self.dims})"


@dataclass(frozen=True)
class Select(Layer):
    """One position of one axis, the axis dropped: PyTorch's `x.select(dim, index)`, which is
    what `x[:, 0]` does (BERT's pooler reads its first token, a ViT's head its class token).
    `dim` counts as PyTorch does, the batch axis being 0; a negative `index` counts from the end.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> T, d = symbols("T d")
        >>> Sequential(Input(T, d), Select(1, 0)).output_shape
        (d,)
    """

    rules_noted = True

    dim: Any
    index: Any = 0

    example_args = {"dim": 1, "index": 0}
    example_input = ("T", "d")
    derivation = "no weights: one position of one axis"

    def validate(self) -> None:
        for name in ("dim", "index"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"expected an integer. Received: {name}={value!r}")
        if self.dim == 0:
            raise SpecError("dim 0 is the batch axis; select picks along another. Received: dim=0")

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        rank = len(input_shape)
        axis = self.dim + rank if self.dim < 0 else self.dim - 1
        if not 0 <= axis < rank:
            raise ShapeError(
                f"dim {self.dim} is out of range for an input of shape {format_shape(input_shape)}"
            )
        length = input_shape[axis]
        reach = self.index if self.index >= 0 else -self.index - 1
        if (length - reach).is_positive is False:
            raise ShapeError(
                f"index {self.index} is out of range for an axis of {length}. Received: index={self.index}"
            )
        return (*input_shape[:axis], *input_shape[axis + 1 :])

    def describe(self) -> str:
        return f"Select(dim={self.dim}, index={self.index})"


@dataclass(frozen=True)
class Narrow(Layer):
    """`length` consecutive positions of one axis from `start`: PyTorch's `x.narrow(dim, start,
    length)`, which is what `x[:, a:b]` does, and each part of `torch.chunk`/`torch.split`
    (ShuffleNet's two halves of the channels). `dim` counts as PyTorch does, the batch axis being 0.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> C, H = symbols("C H")
        >>> Sequential(Input(2 * C, H, H), Narrow(1, C, C)).output_shape
        (C, H, H)
    """

    rules_noted = True

    dim: Any
    start: Any
    length: Any

    sizes = ("length",)
    example_args = {"dim": 1, "start": 0, "length": "n"}
    example_input = ("T", "d")
    derivation = "no weights: a run of positions of one axis"

    def validate(self) -> None:
        if isinstance(self.dim, bool) or not isinstance(self.dim, int):
            raise SpecError(f"expected an integer. Received: dim={self.dim!r}")
        if self.dim == 0:
            raise SpecError("dim 0 is the batch axis; narrow takes from another. Received: dim=0")
        start = as_expr(self.start, "start")
        if start.is_negative:
            raise SpecError(f"start must be 0 or more. Received: start={self.start}")
        self._set("start", start)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        rank = len(input_shape)
        axis = self.dim + rank if self.dim < 0 else self.dim - 1
        if not 0 <= axis < rank:
            raise ShapeError(
                f"dim {self.dim} is out of range for an input of shape {format_shape(input_shape)}"
            )
        if (input_shape[axis] - self.start - self.length).is_negative:
            raise ShapeError(
                f"positions {self.start} to {self.start + self.length} are out of range for an axis of "
                f"{input_shape[axis]}. Received: start={self.start}, length={self.length}"
            )
        return (*input_shape[:axis], self.length, *input_shape[axis + 1 :])

    def describe(self) -> str:
        return f"Narrow(dim={self.dim}, start={self.start}, length={self.length})"


@dataclass(frozen=True)
class RepeatVector(Layer):
    """Repeats a vector of features `n` times: (F,) becomes (n, F)."""

    n: Any

    sizes = ("n",)
    example_args = {"n": "r"}
    example_input = ("F",)
    derivation = "no weights: n copies of the input"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=1)
        return (self.n, input_shape[0])

    def describe(self) -> str:
        return f"RepeatVector({self.n})"


def _upsample(layer: Layer, input_shape: Shape, factors: tuple[sympy.Expr, ...], target: Target) -> Shape:
    require_rank(layer, input_shape, rank=len(factors) + 1)
    spatial, channels = target.split(input_shape)
    return target.join(tuple(n * s for n, s in zip(spatial, factors)), channels)


@dataclass(frozen=True)
class UpSampling1D(Layer):
    """Repeats each step `size` times along the time axis."""

    size: Any = 2

    sizes = ("size",)
    spatial_layout = True
    example_args = {"size": "s"}
    example_input = ("L", "C")
    derivation = "no weights: each step repeated s times"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return _upsample(self, input_shape, (self.size,), target)

    def describe(self) -> str:
        return f"UpSampling1D({self.size})"


@dataclass(frozen=True)
class UpSampling2D(Layer):
    """Scales height and width by integer factors `size` (default 2x2).

    PyTorch's nn.Upsample takes the factor as `scale_factor` and may instead fix the output size
    (`size` there, `output_size` here); `mode` is `interpolation`.
    """

    keras_positional = keras_names("size data_format interpolation")

    size: Any = None
    interpolation: str = "nearest"
    output_size: Any = field(default=None, kw_only=True)

    size_tuples = ("size", "output_size")
    rank = 2
    spatial_layout = True
    example_args = {"size": "s"}
    derivation = "no weights: each row and column interpolated to s of them"
    torch_counterpart = "upsample"

    def validate(self) -> None:
        if self.size is not None and self.output_size is not None:
            raise SpecError(
                "give the scale factor (size; scale_factor in PyTorch) or the output size "
                f"(output_size; size in PyTorch), not both. Received: size={self.size}, "
                f"output_size={self.output_size}"
            )
        if self.size is None and self.output_size is None:
            self._set("size", (sympy.Integer(2),) * 2)
        interpolation = self.interpolation.lower() if isinstance(self.interpolation, str) else None
        check_choice(interpolation or self.interpolation, "interpolation", INTERPOLATIONS)
        self._set("interpolation", interpolation)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        if self.output_size is not None:
            require_rank(self, input_shape, rank=3)
            return target.join(self.output_size, target.split(input_shape)[1])
        return _upsample(self, input_shape, self.size, target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Every output element (sH x sW x C of them, or the output_size's) is one interpolation:
        # 2 * taps**2 - 1 FLOPs (`interpolation_flops`), 0 for nearest.
        return interpolation_flops(self.interpolation, 2) * product(self.output_shape(input_shape, target))

    def describe(self) -> str:
        if self.output_size is not None:
            return f"UpSampling2D(output_size={format_shape(self.output_size)})"
        return f"UpSampling2D({'x'.join(str(s) for s in self.size)})"


@dataclass(frozen=True)
class UpSampling3D(Layer):
    """Repeats each of the three spatial axes by its factor in `size` (default 2x2x2)."""

    keras_positional = keras_names("size data_format")

    size: Any = 2

    size_tuples = ("size",)
    rank = 3
    spatial_layout = True
    example_args = {"size": "s"}
    derivation = "no weights: each position repeated s times along each spatial axis"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return _upsample(self, input_shape, self.size, target)

    def describe(self) -> str:
        return f"UpSampling3D({'x'.join(str(s) for s in self.size)})"


class _Margins(Layer):
    """Adds or removes (before, after) amounts on each spatial axis, stored as `rank` pairs.

    The pairs are nested tuples, so this class lists and replaces their symbols itself (the base
    class looks one level deep).
    """

    margin: ClassVar[str] = "padding"
    spatial_layout = True

    def pairs(self) -> Pairs:
        pairs: Pairs = getattr(self, self.margin)
        return pairs

    def expressions(self) -> Iterator[sympy.Expr]:
        yield from super().expressions()
        for pair in self.pairs():
            yield from pair

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        layer = super()._xreplace(mapping)
        changes: dict[str, Any] = {
            self.margin: tuple(tuple(v.xreplace(mapping) for v in pair) for pair in self.pairs())
        }
        return dataclasses.replace(layer, **changes)

    def describe(self) -> str:
        pairs = self.pairs()
        amounts = {v for pair in pairs for v in pair}
        shown = str(next(iter(amounts))) if len(amounts) == 1 else format_pairs(pairs)
        return f"{type(self).__name__}({shown})"


@dataclass(frozen=True)
class _ZeroPadding(_Margins):
    """Adds zeros before and after each spatial axis (default: 1 on every side, as in Keras).

    PyTorch's ZeroPad1d/2d/3d list the amounts from the last axis ((left, right, top, bottom) in
    2-D); the torch spelling's `padding` arrives as `torch_padding` and is reordered here.
    """

    keras_positional = keras_names("padding data_format")

    padding: Any = None
    torch_padding: Any = field(default=None, kw_only=True)

    derivation = "no weights: the input surrounded by zeros"
    torch_args = {"padding": "torch_padding"}
    torch_positional = ("padding",)
    torch_lone = "padding"

    def validate(self) -> None:
        if self.torch_padding is not None:
            if self.padding is not None:
                raise SpecError(
                    "give padding (Keras' order) or torch_padding (PyTorch's), not both. "
                    f"Received: padding={self.padding!r}, torch_padding={self.torch_padding!r}"
                )
            self._set("padding", torch_pairs(self.torch_padding, self.rank, "torch_padding"))
            self._set("torch_padding", None)
            return
        self._set("padding", as_pairs(1 if self.padding is None else self.padding, self.rank, "padding"))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        spatial, channels = target.split(input_shape)
        return target.join(tuple(n + a + b for n, (a, b) in zip(spatial, self.padding)), channels)


class ZeroPadding1D(_ZeroPadding):
    rank = 1
    example_args = {"padding": "p"}
    torch_name = "zero_pad1d"


class ZeroPadding2D(_ZeroPadding):
    rank = 2
    example_args = {"padding": "p"}
    torch_name = "zero_pad2d"


class ZeroPadding3D(_ZeroPadding):
    rank = 3
    example_args = {"padding": "p"}
    torch_name = "zero_pad3d"


@dataclass(frozen=True)
class _Cropping(_Margins):
    """Removes (before, after) positions from each spatial axis; something must remain."""

    cropping: Any = None

    margin = "cropping"
    default: ClassVar[int] = 1
    derivation = "no weights: the input with its borders cut off"

    def validate(self) -> None:
        value = self.default if self.cropping is None else self.cropping
        self._set("cropping", as_pairs(value, self.rank, "cropping"))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        spatial, channels = target.split(input_shape)
        lengths = []
        for axis, (n, (a, b)) in enumerate(zip(spatial, self.cropping)):
            length = n - a - b
            if (length.is_number and length < 1) or length.is_positive is False:
                raise ShapeError(
                    f"cropping removes {a + b} of the {n} positions of spatial axis {axis}, leaving "
                    f"nothing. Received: cropping={format_pairs(self.cropping)}"
                )
            lengths.append(length)
        return target.join(tuple(lengths), channels)


class Cropping1D(_Cropping):
    rank = 1
    example_args = {"cropping": "c"}


class Cropping2D(_Cropping):
    keras_positional = keras_names("cropping data_format")
    rank = 2
    default = 0  # Keras' Cropping2D crops nothing unless told; 1D and 3D crop 1 from each side.
    example_args = {"cropping": "c"}


class Cropping3D(_Cropping):
    keras_positional = keras_names("cropping data_format")
    rank = 3
    example_args = {"cropping": "c"}


@dataclass(frozen=True)
class _ImageSize(Layer):
    """An image (H, W, C) made (height, width, C): no weights."""

    rules_noted = True

    height: Any
    width: Any

    sizes = ("height", "width")
    spatial_layout = True
    example_args = {"height": "h", "width": "w"}
    example_input = ("H", "W", "C")

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=3)
        _, channels = target.split(input_shape)
        return target.join((self.height, self.width), channels)


@dataclass(frozen=True)
class Resizing(_ImageSize):
    """Resamples an image to (height, width) by `interpolation`; Keras' aspect-ratio, fill and
    antialias options change no count. Extras as UpSampling2D's (`interpolation_flops` per output
    element); `area` averages: each input element read once, one divide per output."""

    interpolation: str = "bilinear"

    keras_positional = keras_names(
        "height width interpolation crop_to_aspect_ratio pad_to_aspect_ratio fill_mode fill_value antialias data_format"
    )
    derivation = "no weights: the image resampled to height x width"

    def validate(self) -> None:
        check_choice(self.interpolation, "interpolation", (*INTERPOLATIONS, "area"))

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        outputs = product(self.output_shape(input_shape, target))
        if self.interpolation == "area":
            return product(input_shape) + outputs
        return interpolation_flops(self.interpolation, 2) * outputs


class CenterCrop(_ImageSize):
    """Crops the centre (height, width) of an image (Keras resizes an image smaller than that
    first; either way the output is (height, width, C))."""

    keras_positional = keras_names("height width data_format")
    derivation = "no weights: the central height x width of the image"
