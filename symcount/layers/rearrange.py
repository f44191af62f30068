"""PyTorch's modules that move numbers without weights: Unflatten, PixelShuffle, PixelUnshuffle,
ChannelShuffle, Upsample (1-D to 3-D, fractional factors) and the Constant, Reflection,
Replication and Circular pads.

None has weights or multiply-accumulates (FlopCounterMode counts 0 for each); they matter for the
shape the next layer pays for. Inputs are PyTorch's, channels first: (C, *spatial), batch excluded
(PyTorch's `dim` arguments count the batch as axis 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from ..values import as_expr, as_size
from .base import Layer, TorchSpelling, check_choice, check_divisible, require_rank
from .reshaping import Pairs, torch_pairs

__all__ = [
    "Unflatten", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "Upsample",
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
]  # fmt: skip


def axis(dim: Any, rank: int, what: str = "dim") -> int:
    """The batch-free index of PyTorch's `dim` (which counts the batch as axis 0)."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise SpecError(f"expected an axis (an integer). Received: {what}={dim!r}")
    index = dim - 1 if dim >= 0 else rank + 1 + dim - 1
    if not 0 <= index < rank:
        raise ShapeError(
            f"{what}={dim} is no axis of an input of {rank} axes (PyTorch counts the batch as axis 0)"
        )
    return index


@dataclass(frozen=True)
class Unflatten(Layer):
    """Splits axis `dim` into `unflattened_size` (whose product must be its length; one -1 is
    inferred)."""

    dim: Any
    unflattened_size: Any

    torch_name = "unflatten"
    torch_only = True
    torch_positional = ("dim", "unflattened_size")
    example_args = {"dim": 1, "unflattened_size": ("C", "-1")}
    example_input = ("n",)
    derivation = "no weights: one axis split into several"

    def validate(self) -> None:
        sizes = self.unflattened_size
        if not isinstance(sizes, (list, tuple)) or not sizes:
            raise SpecError(f"expected a list of sizes. Received: unflattened_size={sizes!r}")
        parsed = []
        for value in sizes:
            expr = as_expr(value, "unflattened_size")
            parsed.append(expr if expr == -1 else as_size(expr, "unflattened_size"))
        if parsed.count(sympy.Integer(-1)) > 1:
            raise SpecError(f"at most one size may be -1. Received: unflattened_size={format_shape(parsed)}")
        self._set("unflattened_size", tuple(parsed))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        index = axis(self.dim, len(input_shape))
        length = input_shape[index]
        known = product([s for s in self.unflattened_size if s != -1])
        sizes = tuple(length / known if s == -1 else s for s in self.unflattened_size)
        if certainly_differ(product(sizes), length) or any(s.is_integer is False for s in sizes):
            raise ShapeError(
                f"unflattened_size={format_shape(self.unflattened_size)} does not hold the {length} "
                f"positions of dim {self.dim}"
            )
        return (*input_shape[:index], *sizes, *input_shape[index + 1 :])


@dataclass(frozen=True)
class PixelShuffle(Layer):
    """(C*r^2, H, W) -> (C, H*r, W*r): channels moved into space."""

    upscale_factor: Any

    sizes = ("upscale_factor",)
    torch_name = "pixel_shuffle"
    torch_only = True
    torch_positional = ("upscale_factor",)
    example_args = {"upscale_factor": "r"}
    example_input = ("H", "W", "C")
    spatial_layout = True
    derivation = "no weights: r*r channels become an r x r block of positions"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=3)
        r = self.upscale_factor
        *rest, channels, height, width = input_shape
        check_divisible("channels", channels, "upscale_factor**2", r**2, ShapeError)
        return (*rest, channels / r**2, height * r, width * r)


@dataclass(frozen=True)
class PixelUnshuffle(Layer):
    """(C, H*r, W*r) -> (C*r^2, H, W): space moved into channels."""

    downscale_factor: Any

    sizes = ("downscale_factor",)
    torch_name = "pixel_unshuffle"
    torch_only = True
    torch_positional = ("downscale_factor",)
    example_args = {"downscale_factor": "r"}
    example_input = ("H", "W", "C")
    spatial_layout = True
    derivation = "no weights: each r x r block of positions becomes r*r channels"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=3)
        r = self.downscale_factor
        *rest, channels, height, width = input_shape
        check_divisible("height", height, "downscale_factor", r, ShapeError)
        check_divisible("width", width, "downscale_factor", r, ShapeError)
        return (*rest, channels * r**2, height / r, width / r)


@dataclass(frozen=True)
class ChannelShuffle(Layer):
    """Interleaves the channels of `groups` groups: same shape, no weights."""

    groups: Any

    sizes = ("groups",)
    torch_name = "channel_shuffle"
    torch_only = True
    torch_positional = ("groups",)
    example_args = {"groups": "g"}
    example_input = ("H", "W", "C")
    spatial_layout = True
    derivation = "no weights: the channels reordered"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=2)
        check_divisible("channels", input_shape[0], "groups", self.groups, ShapeError)
        return input_shape


# Upsample's modes and the input rank (batch-free, channels first) each takes; extra FLOPs per
# output: a weighted sum of taps**axes inputs (as UpSampling2D counts: 2*taps**axes - 1).
MODES = {
    "nearest": None,
    "nearest-exact": None,
    "linear": 2,
    "bilinear": 3,
    "bicubic": 3,
    "trilinear": 4,
    "area": None,
}
MODE_TAPS = {"linear": 2, "bilinear": 2, "bicubic": 4, "trilinear": 2}
# UpsamplingNearest2d and UpsamplingBilinear2d are Upsample with its mode fixed.
FIXED_MODES = {"UpsamplingNearest2d": "nearest", "UpsamplingBilinear2d": "bilinear"}


@dataclass(frozen=True)
class Upsample(Layer):
    """PyTorch's Upsample on (C, *spatial) with 1 to 3 spatial axes: to `size`, or each axis
    times `scale_factor` (fractional factors floor: 5 x 1.5 = 7), interpolated by `mode`."""

    size: Any = None
    scale_factor: Any = None
    mode: str = "nearest"

    torch_name = "upsample"
    torch_only = True
    spatial_layout = True
    torch_functional = ("upsampling_nearest2d", "upsampling_bilinear2d", "interpolate")
    torch_args = {"align_corners": "", "recompute_scale_factor": ""}
    torch_positional = ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor")
    torch_defaults = {
        "size": None, "scale_factor": None, "mode": "nearest", "align_corners": None, "recompute_scale_factor": None,
    }  # fmt: skip
    example_args = {"scale_factor": "s"}
    example_input = ("H", "W", "C")
    derivation = "no weights: each spatial axis resampled to n*s (floored) or to the given size"

    @classmethod
    def torch_spelling(cls, key: str) -> TorchSpelling:
        for module, mode in FIXED_MODES.items():
            if key in (module, module.lower().replace("upsampling", "upsampling_")):
                return TorchSpelling(
                    ("size", "scale_factor"),
                    {"size": None, "scale_factor": None},
                    {},
                    {"mode": mode},
                    "",
                    module,
                )
        return super().torch_spelling(key)

    @classmethod
    def keys(cls, torch: bool) -> tuple[str, ...]:
        return ("Upsample", *FIXED_MODES) if torch else ()

    def validate(self) -> None:
        check_choice(self.mode, "mode", tuple(MODES))
        if (self.size is None) == (self.scale_factor is None):
            raise SpecError(
                "give exactly one of size and scale_factor, as PyTorch requires. "
                f"Received: size={self.size!r}, scale_factor={self.scale_factor!r}"
            )
        if self.scale_factor is not None:
            factors = (
                self.scale_factor if isinstance(self.scale_factor, (list, tuple)) else (self.scale_factor,)
            )
            parsed = tuple(as_expr(f, "scale_factor") for f in factors)
            if not parsed or any(not f.is_positive for f in parsed):
                raise SpecError(
                    f"expected positive scale factors. Received: scale_factor={self.scale_factor!r}"
                )
            self._set("scale_factor", parsed)
        else:
            sizes = self.size if isinstance(self.size, (list, tuple)) else (self.size,)
            self._set("size", tuple(as_size(s, "size") for s in sizes))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=2)
        channels, *spatial = input_shape
        if not 1 <= len(spatial) <= 3:
            raise ShapeError(
                f"Upsample takes 1 to 3 spatial axes. Received: input shape {format_shape(input_shape)}"
            )
        rank = MODES[self.mode]
        if rank is not None and rank != len(input_shape):
            raise ShapeError(
                f"mode {self.mode!r} takes {rank - 1} spatial axes. Received: input shape {format_shape(input_shape)}"
            )
        given = self.size if self.size is not None else self.scale_factor
        if len(given) not in (1, len(spatial)):
            raise ShapeError(f"expected 1 or {len(spatial)} values. Received: {format_shape(given)}")
        values = given * len(spatial) if len(given) == 1 else given
        if self.size is not None:
            return (channels, *values)
        lengths = tuple(sympy.floor(n * s) for n, s in zip(spatial, values))
        if any(length.is_number and length < 1 for length in lengths):
            raise ShapeError(
                f"scale_factor={format_shape(values)} leaves nothing of the input {format_shape(input_shape)}"
            )
        return (channels, *lengths)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        outputs = product(self.output_shape(input_shape, target))
        taps = MODE_TAPS.get(self.mode)
        if taps is None:
            return sympy.Integer(0) * outputs
        return (2 * taps ** (len(input_shape) - 1) - 1) * outputs


# The pads that take only `padding` (and reflect or repeat the border instead of a constant).
BORDER_PADS = ("Reflection", "Replication", "Circular")


@dataclass(frozen=True)
class _ConstantPad(Layer):
    """PyTorch's ConstantPad (and ReflectionPad, ReplicationPad, CircularPad: `mode`): amounts
    from the last axis first, as ZeroPad's; a reflection needs fewer zeros than positions."""

    padding: Any
    value: Any = 0.0
    mode: str = field(default="constant", kw_only=True)

    torch_only = True
    spatial_layout = True
    torch_positional = ("padding", "value")
    torch_args = {"value": ""}
    example_args = {"padding": "p"}
    derivation = "no weights: the input surrounded by p numbers on each side"
    prefix: ClassVar[str] = ""

    @classmethod
    def torch_spelling(cls, key: str) -> TorchSpelling:
        for mode in BORDER_PADS:
            if key in (f"{mode}Pad{cls.rank}d", f"{mode.lower()}_pad{cls.rank}d"):
                return TorchSpelling(
                    ("padding",), {}, {}, {"mode": mode.lower()}, "padding", f"{mode}Pad{cls.rank}d"
                )
        return super().torch_spelling(key)

    @classmethod
    def keys(cls, torch: bool) -> tuple[str, ...]:
        return tuple(f"{mode}Pad{cls.rank}d" for mode in ("Constant", *BORDER_PADS)) if torch else ()

    def validate(self) -> None:
        check_choice(self.mode, "mode", ("constant", *(m.lower() for m in BORDER_PADS)))
        self._set("padding", torch_pairs(self.padding, self.rank, "padding"))

    def pairs(self) -> Pairs:
        pairs: Pairs = self.padding
        return pairs

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        channels, *spatial = input_shape
        if self.mode != "constant":
            for n, (a, b) in zip(spatial, self.pairs()):
                if (sympy.Max(a, b) - n).is_nonnegative:
                    raise ShapeError(
                        f"{self.mode} padding must be smaller than the axis it pads. Received: padding "
                        f"({a}, {b}) on an axis of {n}"
                    )
        return (channels, *(n + a + b for n, (a, b) in zip(spatial, self.pairs())))

    def expressions(self) -> Any:
        for pair in self.pairs():
            yield from pair

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        import dataclasses

        pairs = tuple(tuple(v.xreplace(mapping) for v in pair) for pair in self.pairs())
        return dataclasses.replace(self, padding=tuple(v for pair in reversed(pairs) for v in pair))


class ConstantPad1d(_ConstantPad):
    rank = 1
    torch_name = "constant_pad1d"
    torch_functional = tuple(f"{m.lower()}_pad1d" for m in BORDER_PADS)
    example_input = ("L", "C")


class ConstantPad2d(_ConstantPad):
    rank = 2
    torch_name = "constant_pad2d"
    torch_functional = tuple(f"{m.lower()}_pad2d" for m in BORDER_PADS)


class ConstantPad3d(_ConstantPad):
    rank = 3
    torch_name = "constant_pad3d"
    torch_functional = tuple(f"{m.lower()}_pad3d" for m in BORDER_PADS)
