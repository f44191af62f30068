"""What is counted: the framework whose conventions a count follows.

Keras and PyTorch agree on most layers and differ on a few (two RNN biases in PyTorch, BatchNorm's
statistics as buffers, which options exist) and on where the channels are: last in Keras, first in
PyTorch (`split` and `join` below). Every question a layer answers (its output shape, its
weights, each cost) takes one `Target`, so no method can answer under one framework while the
model asked under the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar, cast, get_args

from .errors import SpecError

__all__ = ["Framework", "FRAMEWORKS", "Target", "KERAS", "TORCH", "as_target"]

T = TypeVar("T")

Framework = Literal["keras", "torch"]
FRAMEWORKS: tuple[Framework, ...] = get_args(Framework)


@dataclass(frozen=True)
class Target:
    """The conventions of one framework, passed to every layer question.

    Example:
        >>> Target("torch").torch, Target().framework
        (True, 'keras')
    """

    framework: Framework = "keras"

    def __post_init__(self) -> None:
        if self.framework not in FRAMEWORKS:
            raise SpecError(
                f"framework must be one of {', '.join(FRAMEWORKS)}. Received: framework={self.framework!r}"
            )

    @property
    def torch(self) -> bool:
        return self.framework == "torch"

    @property
    def keras(self) -> bool:
        return self.framework == "keras"

    @property
    def channels_first(self) -> bool:
        """PyTorch's layout: a spatial input is (C, *spatial), as Conv2d reads (C, H, W); Keras'
        is (*spatial, C). Layers that have channels (convolution, pooling, normalization over
        channels, upsampling, padding, cropping) ask the target where they are."""
        return self.torch

    def channel_index(self, rank: int) -> int:
        """The index of the channel axis in a batch-free shape of `rank` axes.

        Example:
            >>> Target("torch").channel_index(3), Target("keras").channel_index(3)
            (0, 2)
        """
        return 0 if self.channels_first else rank - 1

    def split(self, shape: Sequence[T]) -> tuple[tuple[T, ...], T]:
        """(spatial axes, channels) of a batch-free shape in this target's layout.

        Example:
            >>> Target("torch").split(("C", "H", "W")), Target("keras").split(("H", "W", "C"))
            ((('H', 'W'), 'C'), (('H', 'W'), 'C'))
        """
        if self.channels_first:
            return tuple(shape[1:]), shape[0]
        return tuple(shape[:-1]), shape[-1]

    def join(self, spatial: Sequence[T], channels: T) -> tuple[T, ...]:
        """A batch-free shape in this target's layout from its spatial axes and channels."""
        return (channels, *spatial) if self.channels_first else (*spatial, channels)

    def __str__(self) -> str:
        return self.framework


KERAS = Target("keras")
TORCH = Target("torch")


def as_target(value: Target | str) -> Target:
    """A `Target` from itself or a framework's name (`"torch"`), checked."""
    if isinstance(value, Target):
        return value
    if not isinstance(value, str):
        raise SpecError(f"framework must be one of {', '.join(FRAMEWORKS)}. Received: framework={value!r}")
    return Target(cast(Framework, value))
