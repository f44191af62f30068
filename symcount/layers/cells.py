"""PyTorch's recurrent cells: RNNCell, LSTMCell, GRUCell, one step of their recurrent layers.

A cell reads one step's n features (and the previous state, zeros when not given) and returns the
next u-wide state; like the layers it holds weight_ih (g*u, n), weight_hh (g*u, u) and, with
`bias`, b_ih and b_hh (g*u each): g = 1, 4, 3 gate blocks. One step costs g*u*(n + u) MACs.

The classes are TorchRNNCell, TorchLSTMCell and TorchGRUCell: `LSTMCell` and `GRUCell` are Keras'
cells (symcount.layers.recurrent), whose single bias differs. A spec reaches these under
`framework: torch` as `LSTMCell`, `lstm_cell`...; Python as symcount.pytorch.LSTMCell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..costs import ACTIVATION_FLOPS, BIAS_FLOPS, MERGE_FLOPS
from ..errors import SpecError
from ..shapes import Shape
from ..target import Target
from .base import Layer, Weight, require_rank

__all__ = ["TorchRNNCell", "TorchLSTMCell", "TorchGRUCell"]


@dataclass(frozen=True)
class _Cell(Layer):
    """One step of a recurrent layer on (n,): the next state (u,)."""

    input_size: Any = None  # None: the input's width
    hidden_size: Any = None
    bias: bool = True

    rules_noted = True
    torch_only = True
    gates: ClassVar[int] = 1
    sizes = ("input_size", "hidden_size")
    torch_positional: ClassVar[tuple[str, ...]] = ("input_size", "hidden_size", "bias")
    torch_defaults = {"bias": True}
    torch_input_side = ("input_size",)
    torch_lone = "hidden_size"
    example_args = {"input_size": "n", "hidden_size": "u"}
    example_input = ("n",)
    derivation = "g gate blocks, each a u x n input kernel, a u x u recurrent kernel and 2u biases"

    def validate(self) -> None:
        if self.hidden_size is None:
            raise SpecError(f"{self.torch_class} needs hidden_size")
        self._set("channels_in", self.input_size)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=1)
        self.check_channels(input_shape, target)
        return (self.hidden_size,)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.output_shape(input_shape, target)
        block = self.gates * self.hidden_size
        found = [
            self.weight("weight_ih", (block, input_shape[0])),
            self.weight("weight_hh", (block, self.hidden_size)),
        ]
        if self.bias:
            found += [self.weight("bias_ih", (block,)), self.weight("bias_hh", (block,))]
        return tuple(found)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Each of the g*u gate units: a dot product with the n inputs and one with the u state.
        self.output_shape(input_shape, target)
        return self.gates * self.hidden_size * (input_shape[0] + self.hidden_size)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The two products summed and two biases added per gate unit, a nonlinearity per gate unit
        # and the state update (as the recurrent layers count it).
        self.output_shape(input_shape, target)
        block = self.gates * self.hidden_size
        biases = 2 * BIAS_FLOPS * block if self.bias else 0
        update = MERGE_FLOPS * 4 * self.hidden_size if self.gates > 1 else 0
        return (
            MERGE_FLOPS * block
            + biases
            + ACTIVATION_FLOPS * (block + (self.hidden_size if self.gates == 4 else 0))
            + update
        )


@dataclass(frozen=True)
class TorchRNNCell(_Cell):
    nonlinearity: str = "tanh"

    torch_name = "rnn_cell"
    torch_class = "RNNCell"
    torch_positional = ("input_size", "hidden_size", "bias", "nonlinearity")
    torch_defaults = {"bias": True, "nonlinearity": "tanh"}

    def validate(self) -> None:
        super().validate()
        if self.nonlinearity not in ("tanh", "relu"):
            raise SpecError(
                f"nonlinearity must be 'tanh' or 'relu'. Received: nonlinearity={self.nonlinearity!r}"
            )


class TorchLSTMCell(_Cell):
    gates = 4
    torch_name = "lstm_cell"
    torch_class = "LSTMCell"


class TorchGRUCell(_Cell):
    gates = 3
    torch_name = "gru_cell"
    torch_class = "GRUCell"
