"""Pooling: Max/Average pooling in 1, 2 and 3 dimensions. No parameters, only a smaller shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..shapes import Shape, pool_length
from .base import Layer, check_choice, require_rank
from .conv import check_fits, window

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
]  # fmt: skip


@dataclass(frozen=True)
class _Pooling(Layer):
    """A pooling window of `pool_size`, moved by `strides` (default: the pool size, as in Keras)."""

    pool_size: Any = 2
    strides: Any = None
    padding: str = "valid"

    size_tuples = ("pool_size", "strides")
    example_args = {"pool_size": "p"}
    derivation = "no weights: each window is reduced to its maximum or mean"

    def validate(self) -> None:
        check_choice(self.padding, "padding", ("valid", "same"))
        if self.strides is None:
            self._set("strides", self.pool_size)

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        lengths = tuple(
            pool_length(n, p, s, self.padding)
            for n, p, s in zip(input_shape[:-1], self.pool_size, self.strides)
        )
        check_fits(self, lengths, input_shape, f"pool {window(self.pool_size)} with padding {self.padding!r}")
        return (*lengths, input_shape[-1])

    def describe(self) -> str:
        return f"{type(self).__name__}({window(self.pool_size)})"


@dataclass(frozen=True)
class MaxPooling1D(_Pooling):
    rank = 1
    example_input = ("L", "C")


@dataclass(frozen=True)
class MaxPooling2D(_Pooling):
    rank = 2
    example_input = ("H", "W", "C")


@dataclass(frozen=True)
class MaxPooling3D(_Pooling):
    rank = 3
    example_input = ("D", "H", "W", "C")


@dataclass(frozen=True)
class AveragePooling1D(_Pooling):
    rank = 1
    example_input = ("L", "C")


@dataclass(frozen=True)
class AveragePooling2D(_Pooling):
    rank = 2
    example_input = ("H", "W", "C")


@dataclass(frozen=True)
class AveragePooling3D(_Pooling):
    rank = 3
    example_input = ("D", "H", "W", "C")
