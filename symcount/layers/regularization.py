"""Regularization: Dropout and its variants (PyTorch's FeatureAlphaDropout too), GaussianNoise,
ActivityRegularization. Random while training, free to count.

None of them has weights or changes the shape; a typo in a rate is still an error, and the
spatial variants still check that the input has the rank they drop channels from. Costs are of a
forward pass at inference, where every one of them (GaussianNoise included) is the identity: no
MACs and no extra FLOPs, the base class's zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from ..shapes import Shape, product
from ..target import Target
from ..values import as_expr
from .base import Layer, Saved, as_float, keras_names, require_rank

__all__ = [
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "GaussianDropout", "GaussianNoise", "AlphaDropout", "ActivityRegularization", "FeatureAlphaDropout",
]  # fmt: skip


def check_seed(seed: Any) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise SpecError(f"expected an integer or nothing. Received: seed={seed!r}")


def as_noise_shape(value: Any) -> tuple[int | None, ...] | None:
    """Keras' `noise_shape`: the mask's shape, batch axis included, None where it broadcasts."""
    if value is None:
        return None
    if not isinstance(value, (tuple, list)):
        raise SpecError(f"expected a list of sizes (null to broadcast). Received: noise_shape={value!r}")
    dims: list[int | None] = []
    for item in value:
        expr = None if item is None else as_expr(item, "noise_shape")
        if expr is not None and not (expr.is_number and expr.is_integer and expr.is_positive):
            raise SpecError(f"expected positive integers or null. Received: noise_shape={value!r}")
        dims.append(None if expr is None else int(expr))
    return tuple(dims)


class _Noise(Layer):
    """A layer that only perturbs values while training: no weights, same shape."""

    rules_noted = True

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=1)
        return input_shape


@dataclass(frozen=True)
class Dropout(_Noise):
    """Zeroes a fraction `rate` of inputs while training (PyTorch's nn.Dropout with p = rate)."""

    rate: Any = 0.5
    noise_shape: Any = None
    seed: int | None = None

    example_args = {"rate": 0.5}
    derivation = "no weights: a random mask while training"
    torch_name = "dropout"
    torch_args = {"p": "rate", "inplace": ""}
    torch_positional = ("p", "inplace")
    torch_defaults = {"p": 0.5, "inplace": False}
    torch_lone = "p"

    def validate(self) -> None:
        self._set("rate", as_float(self.rate, "rate"))
        self._set("noise_shape", as_noise_shape(self.noise_shape))
        check_seed(self.seed)

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # PyTorch's CPU dropout multiplies by a float noise tensor of the input's size (scaled by
        # 1/(1 - rate)) and keeps it; rate 0 returns the input itself.
        if self.rate == 0:
            return Saved(view=True)
        return Saved(extra=((product(input_shape), "float"),))


@dataclass(frozen=True)
class _SpatialDropout(_Noise):
    """Drops whole channels: the mask is shared by every position (PyTorch's nn.Dropout1d/2d/3d)."""

    rate: Any = 0.5
    seed: int | None = None

    example_args = {"rate": 0.5}
    derivation = "no weights: a random mask over channels while training"
    torch_args = {"p": "rate", "inplace": ""}
    torch_positional = ("p", "inplace")
    torch_defaults = {"p": 0.5, "inplace": False}
    torch_lone = "p"

    def validate(self) -> None:
        self._set("rate", as_float(self.rate, "rate"))
        check_seed(self.seed)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 1)
        return input_shape

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # One noise number per channel, broadcast over the positions.
        if self.rate == 0:
            return Saved(view=True)
        _, channels = target.split(self.output_shape(input_shape, target))
        return Saved(extra=((channels, "float"),))


class SpatialDropout1D(_SpatialDropout):
    keras_positional = keras_names("rate seed name dtype")
    rank = 1
    torch_name = "dropout1d"


class SpatialDropout2D(_SpatialDropout):
    keras_positional = keras_names("rate data_format seed name dtype")
    rank = 2
    torch_name = "dropout2d"


class SpatialDropout3D(_SpatialDropout):
    keras_positional = keras_names("rate data_format seed name dtype")
    rank = 3
    torch_name = "dropout3d"


@dataclass(frozen=True)
class GaussianDropout(_Noise):
    """Multiplies inputs by noise of mean 1 and variance rate/(1 - rate) while training."""

    rate: Any
    seed: int | None = None

    example_args = {"rate": 0.5}
    derivation = "no weights: multiplicative noise while training"

    def validate(self) -> None:
        self._set("rate", as_float(self.rate, "rate"))
        check_seed(self.seed)


@dataclass(frozen=True)
class GaussianNoise(_Noise):
    """Adds zero-mean noise of standard deviation `stddev` (at most 1, as Keras asks) while training."""

    stddev: Any
    seed: int | None = None

    example_args = {"stddev": 0.1}
    derivation = "no weights: additive noise while training"

    def validate(self) -> None:
        self._set("stddev", as_float(self.stddev, "stddev"))
        check_seed(self.seed)


@dataclass(frozen=True)
class AlphaDropout(_Noise):
    """Dropout that keeps a SELU network's mean and variance (PyTorch's nn.AlphaDropout)."""

    rate: Any = 0.5
    noise_shape: Any = None
    seed: int | None = None

    example_args = {"rate": 0.5}
    derivation = "no weights: a random mask and an affine correction while training"
    torch_name = "alpha_dropout"
    torch_args = {"p": "rate", "inplace": ""}
    torch_positional = ("p", "inplace")
    torch_defaults = {"p": 0.5, "inplace": False}
    torch_lone = "p"

    def validate(self) -> None:
        self._set("rate", as_float(self.rate, "rate"))
        self._set("noise_shape", as_noise_shape(self.noise_shape))
        check_seed(self.seed)


@dataclass(frozen=True)
class ActivityRegularization(_Noise):
    """Adds l1 * sum|x| + l2 * sum x^2 of its input to the training loss; the input passes."""

    l1: Any = 0.0
    l2: Any = 0.0

    derivation = "no weights: a penalty on the activations, added to the loss while training"

    def validate(self) -> None:
        for name in ("l1", "l2"):
            self._set(name, as_float(getattr(self, name), name, 0.0, float("inf")))


@dataclass(frozen=True)
class FeatureAlphaDropout(_Noise):
    """AlphaDropout of whole channels (PyTorch's nn.FeatureAlphaDropout): no weights, same shape."""

    rate: Any = 0.5

    example_args = {"rate": 0.5}
    derivation = "no weights: a random mask of channels and an affine correction while training"
    torch_name = "feature_alpha_dropout"
    torch_only = True
    torch_args = {"p": "rate", "inplace": ""}
    torch_positional = ("p", "inplace")
    torch_defaults = {"p": 0.5, "inplace": False}
    torch_lone = "p"

    def validate(self) -> None:
        self._set("rate", as_float(self.rate, "rate"))
