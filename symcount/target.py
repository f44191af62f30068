"""What is counted: the framework whose conventions a count follows.

Keras and PyTorch agree on most layers and differ on a few (two RNN biases in PyTorch, BatchNorm's
statistics as buffers, which options exist). Every question a layer answers (its output shape, its
weights, each cost) takes one `Target`, so no method can answer under one framework while the
model asked under the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

from .errors import SpecError

__all__ = ["Framework", "FRAMEWORKS", "Target", "KERAS", "TORCH", "as_target"]

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
