"""Recurrent layers: SimpleRNN, LSTM, GRU, and the Bidirectional wrapper; Keras' cells
(SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells) and the RNN layer that runs them; ConvLSTM1D-3D;
and TimeDistributed, which applies a layer at every step.

A recurrent layer reads a sequence (T, n) one step at a time. Each of its g gate blocks (1 for
SimpleRNN, 4 for LSTM, 3 for GRU) sees the step's n inputs and the previous u outputs, so one
direction of one layer holds an input kernel (n, g*u), a recurrent kernel (u, g*u) and g*u biases:
none of it depends on T. PyTorch keeps two bias vectors (b_ih and b_hh) where Keras keeps one, and
its modules also stack `num_layers` layers and run both directions (`bidirectional`) themselves; a
layer above the first reads the 2u (or u) outputs of the one below.

Costs, per time step, per direction and per layer (T steps make a layer's cost T times a step's):
each gate block takes an n x u product of the input and a u x u product of the previous output,
g*u*(n + u) MACs. The extras are elementwise, per unit: every gate block adds its two products (1),
adds its bias (1, or 2 with PyTorch's b_ih and b_hh and Keras' reset_after GRU) and applies its
nonlinearity (1); the cell state's update is one binary operation per unit per product or sum it
takes (LSTM: c = f*c + i*g is 3, h = o*tanh(c) is 2 with the tanh; GRU: r times the recurrent
candidate is 1, h = g + z*(h - g) is 3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from .. import rules
from ..costs import BIAS_FLOPS, MERGE_FLOPS, activation_flops
from ..errors import ShapeError, SpecError
from ..shapes import Shape, certainly_differ, conv_length, format_shape, product
from ..target import Target
from .base import (
    Layer,
    Saved,
    Weight,
    as_amount,
    as_float,
    check_activation,
    check_choice,
    check_flag,
    keras_names,
    require_rank,
)

__all__ = [
    "SimpleRNN", "LSTM", "GRU", "Bidirectional", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RNN",
    "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "TimeDistributed",
]  # fmt: skip

MERGE_MODES = ("concat", "sum", "mul", "ave")


def check_cudnn(value: Any) -> None:
    """Keras' `use_cudnn` ("auto", true or false) only picks a kernel; it changes no count."""
    if value != "auto" and not isinstance(value, bool):
        raise SpecError(f"expected 'auto', true or false. Received: use_cudnn={value!r}")


@dataclass(frozen=True)
class _Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: Keras' arguments plus PyTorch's stacking options.

    `hidden_size` is PyTorch's spelling of `units`. A layer given it stands for PyTorch's module,
    which always returns the whole sequence, so its `return_sequences` defaults to true: the
    output shape cannot depend on the target, only on what the layer was told.
    """

    units: Any = None
    activation: str | None = "tanh"
    use_bias: bool = field(default=True, kw_only=True)
    dropout: Any = field(default=0.0, kw_only=True)
    recurrent_dropout: Any = field(default=0.0, kw_only=True)
    seed: Any = field(default=None, kw_only=True)
    return_sequences: bool | None = field(default=None, kw_only=True)
    return_state: bool = field(default=False, kw_only=True)
    go_backwards: bool = field(default=False, kw_only=True)
    stateful: bool = field(default=False, kw_only=True)
    unroll: bool = field(default=False, kw_only=True)
    # PyTorch's options (torch.nn.RNN, LSTM, GRU); batch_first only moves the batch axis.
    hidden_size: Any = field(default=None, kw_only=True)
    num_layers: Any = field(default=1, kw_only=True)
    bidirectional: bool = field(default=False, kw_only=True)
    batch_first: bool = field(default=False, kw_only=True)

    gates: ClassVar[int] = 1
    sizes = ("units", "hidden_size", "num_layers")
    example_args = {"units": "u"}
    example_input = ("T", "n")
    # Under torch, hidden_size is units and the module returns its whole sequence, however the
    # layer is written (`lstm: 8` as much as `lstm: [10, 8]`).
    torch_args = {"hidden_size": "units", "input_size": "channels_in", "bias": "use_bias"}
    torch_positional: ClassVar[tuple[str, ...]] = (
        "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional",
    )  # fmt: skip
    torch_defaults = {
        "num_layers": 1,
        "bias": True,
        "batch_first": False,
        "dropout": 0.0,
        "bidirectional": False,
    }
    torch_implied = {"return_sequences": True}
    torch_lone = "hidden_size"

    def validate(self) -> None:
        if self.hidden_size is not None:
            if self.units is not None and self.units != self.hidden_size:
                raise SpecError(
                    "units and hidden_size are two names for one size; give one. "
                    f"Received: units={self.units}, hidden_size={self.hidden_size}"
                )
            self._set("units", self.hidden_size)
            if self.return_sequences is None:
                self._set("return_sequences", True)
        if self.units is None:
            raise SpecError(f"{type(self).__name__} needs units (PyTorch: hidden_size)")
        if self.return_sequences is None:
            self._set("return_sequences", False)
        check_flag(self.return_sequences, "return_sequences")  # the one switch that may be None
        if self.return_state:
            raise SpecError(
                "return_state=True adds the final states as extra outputs, which a sequential "
                "model cannot pass on. Received: return_state=True"
            )
        for name in ("activation", "recurrent_activation"):
            check_activation(getattr(self, name, None))
        self._set("dropout", as_float(self.dropout, "dropout"))
        self._set("recurrent_dropout", as_float(self.recurrent_dropout, "recurrent_dropout"))

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def state_size(self) -> sympy.Expr:
        """What each step outputs per direction: the units, or LSTM's `proj_size` projection."""
        return self.units

    @property
    def width(self) -> sympy.Expr:
        """The output's last axis: both directions' units side by side."""
        return self.directions * self.state_size

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=2)
        return (input_shape[0], self.width) if self.return_sequences else (self.width,)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, rank=2)
        self.check_framework(target)
        single = self.num_layers == 1 and not self.bidirectional and target.keras
        ends = ("",) if single else ("_l0", "_l0_reverse")[: self.directions]
        found = [w for end in ends for w in self.cell(input_shape[-1], target, end)]
        # Every layer above the first reads the one below: `width` inputs per step.
        if self.num_layers.is_number:
            for k in range(1, int(self.num_layers)):
                ends = (f"_l{k}", f"_l{k}_reverse")[: self.directions]
                found += [w for end in ends for w in self.cell(self.width, target, end)]
        else:
            # Symbolic depth: layers 1 .. num_layers-1 are alike, one stacked tensor per weight.
            depth = self.num_layers - 1
            ends = (f"_l[1:{self.num_layers}]", f"_l[1:{self.num_layers}]_reverse")[: self.directions]
            for end in ends:
                found += [
                    self.weight(w.name, (depth, *w.shape), w.kind) for w in self.cell(self.width, target, end)
                ]
        return tuple(found)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Per step and direction, g*u*(n + u) for the first layer; the layers above read `width`.
        require_rank(self, input_shape, rank=2)
        self.check_framework(target)
        steps, features = input_shape
        block, out = self.gates * self.units, self.state_size
        per_step = block * (features + out) + (self.num_layers - 1) * block * (self.width + out)
        return steps * self.directions * (per_step + self.num_layers * self.projection_macs())

    def projection_macs(self) -> sympy.Expr:
        """Per step, direction and layer: LSTM's projection of the units to proj_size."""
        return sympy.Integer(0)

    # Numbers PyTorch's native cell (RNN.cpp; not oneDNN's or cuDNN's fused kernels, whose work
    # buffers are outside the model) keeps per step and direction, in units: an LSTM its 4u gates
    # (activated in place), the previous h and c, and tanh(c); a GRU its 3u recurrent gates, the
    # previous h and three u-sized intermediates. A simple RNN keeps its states h_0 .. h_T, one
    # more than its steps (`kept_states`).
    kept_per_step: ClassVar[int] = 1
    kept_states: ClassVar[int] = 1

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # The input (projected for every step at once, kept for the input kernel's gradient); per
        # step and direction the cell's numbers; each layer above the first keeps the sequence
        # of the one below (a new tensor).
        require_rank(self, input_shape, rank=2)
        steps = input_shape[0]
        per_layer = self.directions * (steps * self.kept_per_step + self.kept_states) * self.units
        below = (self.num_layers - 1) * steps * self.width
        return Saved(
            ("float",), extra=((self.num_layers * per_layer + below, "float"),), weights_only=(True,)
        )

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Per step, direction and layer: each of the g*u gate units sums its two products and adds
        # its bias (or two), then the gate nonlinearities and the state update (`state_flops`).
        require_rank(self, input_shape, rank=2)
        self.check_framework(target)
        block = self.gates * self.units
        biases = 2 * block if target.torch else product(self.keras_bias())
        per_step = MERGE_FLOPS * block + (BIAS_FLOPS * biases if self.use_bias else 0) + self.state_flops()
        return input_shape[0] * self.directions * self.num_layers * per_step

    def state_flops(self) -> sympy.Expr:
        """Per step: the gate nonlinearities and the elementwise state update, u units."""
        return activation_flops(self.activation, self.units)

    def cell(self, inputs: sympy.Expr, target: Target, end: str) -> list[Weight]:
        """One direction of one layer reading `inputs` features per step."""
        block = self.gates * self.units
        if target.torch:
            # torch stores (out, in) and adds b_ih and b_hh to the same pre-activation.
            found = [
                self.weight(f"weight_ih{end}", (block, inputs)),
                self.weight(f"weight_hh{end}", (block, self.state_size)),
            ]
            if self.use_bias:
                found += [self.weight(f"bias_ih{end}", (block,)), self.weight(f"bias_hh{end}", (block,))]
            return found + self.projection(end)
        found = [
            self.weight(f"kernel{end}", (inputs, block)),
            self.weight(f"recurrent_kernel{end}", (self.units, block)),
        ]
        if self.use_bias:
            found.append(self.weight(f"bias{end}", self.keras_bias()))
        return found

    def projection(self, end: str) -> list[Weight]:
        """LSTM's projection weight (PyTorch's weight_hr); none for the others."""
        return []

    def keras_bias(self) -> Shape:
        return (self.gates * self.units,)

    def check_framework(self, target: Target) -> None:
        """Raise when this configuration has no counterpart in `framework`."""

    def describe(self) -> str:
        extras = [f"num_layers={self.num_layers}"] if self.num_layers != 1 else []
        extras += ["bidirectional"] if self.bidirectional else []
        return f"{type(self).__name__}({', '.join([str(self.units), *extras])})"


class SimpleRNN(_Recurrent):
    """A fully connected recurrent layer: h_t = activation(x_t W + h_(t-1) U + b)."""

    keras_positional = keras_names(
        "units activation use_bias kernel_initializer recurrent_initializer bias_initializer kernel_regularizer recurrent_regularizer bias_regularizer activity_regularizer kernel_constraint recurrent_constraint bias_constraint dropout recurrent_dropout return_sequences return_state go_backwards stateful unroll seed"
    )

    gates = 1
    derivation = "an n x u input kernel, a u x u recurrent kernel and u biases"
    torch_difference = "PyTorch's RNN keeps two bias vectors (b_ih, b_hh): 2u biases instead of u"
    torch_name = "rnn"
    torch_args = {**_Recurrent.torch_args, "nonlinearity": "activation"}
    torch_positional: ClassVar[tuple[str, ...]] = (
        "input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout", "bidirectional",
    )  # fmt: skip
    torch_defaults = {**_Recurrent.torch_defaults, "nonlinearity": "tanh"}

    def validate(self) -> None:
        if not isinstance(self.activation, str) and self.activation is not None:
            raise SpecError(
                f"expected 'tanh' or 'relu' (PyTorch's nonlinearity) or a Keras activation. "
                f"Received: activation={self.activation!r}"
            )
        super().validate()

    def check_framework(self, target: Target) -> None:
        if target.torch and self.activation not in ("tanh", "relu"):
            raise SpecError(
                f"PyTorch's RNN takes nonlinearity 'tanh' or 'relu'. Received: activation={self.activation!r}"
            )


@dataclass(frozen=True)
class LSTM(_Recurrent):
    """Long short-term memory: four gate blocks (input, forget, cell, output).

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> T, n, u = symbols("T n u")
        >>> Sequential(Input(T, n), LSTM(u)).params
        4*n*u + 4*u**2 + 4*u
    """

    keras_positional = keras_names(
        "units activation recurrent_activation use_bias kernel_initializer recurrent_initializer bias_initializer unit_forget_bias kernel_regularizer recurrent_regularizer bias_regularizer activity_regularizer kernel_constraint recurrent_constraint bias_constraint dropout recurrent_dropout seed return_sequences return_state go_backwards stateful unroll use_cudnn"
    )

    recurrent_activation: str | None = "sigmoid"
    unit_forget_bias: bool = field(default=True, kw_only=True)
    use_cudnn: Any = field(default="auto", kw_only=True)
    # PyTorch's projected LSTM: each step's u units are projected to proj_size (weight_hr), which
    # is what the layer outputs and what the next step (and layer) reads.
    proj_size: Any = field(default=0, kw_only=True)

    gates = 4
    kept_per_step = 7
    kept_states = 0

    torch_positional: ClassVar[tuple[str, ...]] = (*_Recurrent.torch_positional, "proj_size")
    torch_defaults = {**_Recurrent.torch_defaults, "proj_size": 0}
    derivation = "4 gates, each an n x u input kernel, a u x u recurrent kernel and u biases"
    torch_difference = "PyTorch keeps two bias vectors (b_ih, b_hh): 8u biases instead of 4u"
    torch_name = "lstm"

    def validate(self) -> None:
        super().validate()
        check_cudnn(self.use_cudnn)
        self._set("proj_size", as_amount(self.proj_size, "proj_size"))
        if (self.proj_size - self.units).is_nonnegative and self.proj_size != 0:
            raise SpecError(
                f"proj_size must be smaller than hidden_size, as PyTorch requires. "
                f"Received: proj_size={self.proj_size}, hidden_size={self.units}"
            )

    @property
    def state_size(self) -> sympy.Expr:
        return self.proj_size if self.proj_size != 0 else self.units

    def projection(self, end: str) -> list[Weight]:
        return [self.weight(f"weight_hr{end}", (self.proj_size, self.units))] if self.proj_size != 0 else []

    def projection_macs(self) -> sympy.Expr:
        return self.proj_size * self.units

    def check_framework(self, target: Target) -> None:
        if target.keras and self.proj_size != 0:
            raise SpecError(
                f"proj_size is PyTorch's; Keras' LSTM has none. Received: proj_size={self.proj_size}"
            )

    def state_flops(self) -> sympy.Expr:
        # Gates i, f, o: recurrent_activation; candidate g and tanh(c): activation; c = f*c + i*g
        # (2 products, 1 sum) and h = o*tanh(c) (1 product).
        u = self.units
        nonlinear = activation_flops(self.recurrent_activation, 3 * u) + activation_flops(
            self.activation, 2 * u
        )
        return nonlinear + MERGE_FLOPS * 4 * u


@dataclass(frozen=True)
class GRU(_Recurrent):
    """Gated recurrent unit: three gate blocks (update, reset, candidate).

    With `reset_after` (Keras 3's default, and PyTorch's only form) the reset gate scales the
    recurrent product after it is taken, so that product keeps its own bias: a (2, 3u) bias.
    """

    keras_positional = keras_names(
        "units activation recurrent_activation use_bias kernel_initializer recurrent_initializer bias_initializer kernel_regularizer recurrent_regularizer bias_regularizer activity_regularizer kernel_constraint recurrent_constraint bias_constraint dropout recurrent_dropout seed return_sequences return_state go_backwards stateful unroll reset_after use_cudnn"
    )

    recurrent_activation: str | None = "sigmoid"
    reset_after: bool = field(default=True, kw_only=True)
    use_cudnn: Any = field(default="auto", kw_only=True)

    gates = 3
    kept_per_step = 7
    kept_states = 0
    derivation = (
        "3 gates, each an n x u input kernel, a u x u recurrent kernel and u biases, "
        "plus u more for the recurrent product with reset_after (the default)"
    )
    torch_difference = (
        "none with reset_after=True (PyTorch's b_ih, b_hh are Keras' (2, 3u) bias); "
        "PyTorch has no reset_after=False"
    )
    torch_name = "gru"

    def validate(self) -> None:
        super().validate()
        check_cudnn(self.use_cudnn)

    def keras_bias(self) -> Shape:
        block = self.gates * self.units
        return (sympy.Integer(2), block) if self.reset_after else (block,)

    def state_flops(self) -> sympy.Expr:
        # Gates z, r: recurrent_activation; candidate g: activation. The reset gate multiplies the
        # recurrent product (reset_after) or the previous output (before it): 1 product either way;
        # h = g + z*(h - g): a difference, a product, a sum. The u x u product is the same size in both.
        u = self.units
        nonlinear = activation_flops(self.recurrent_activation, 2 * u) + activation_flops(self.activation, u)
        return nonlinear + MERGE_FLOPS * 4 * u

    def check_framework(self, target: Target) -> None:
        if target.torch and not self.reset_after:
            raise SpecError(
                "PyTorch's GRU has only Keras' reset_after=True form (the reset gate applied after "
                "the recurrent product). Received: reset_after=False"
            )


@dataclass(frozen=True)
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the two outputs.

    The backward copy has weights of its own (or `backward_layer`'s), so the count doubles.
    `layer` is a recurrent layer or its spec entry (`{lstm: 64}`).
    """

    keras_positional = keras_names("layer merge_mode weights backward_layer")

    layer: Any
    merge_mode: str | None = "concat"
    backward_layer: Any = None

    example_args = {"layer": {"lstm": "u"}}
    nested = ("layer", "backward_layer")
    example_input = ("T", "n")
    derivation = "the wrapped layer's weights twice (forward and backward); concat doubles the width"
    torch_difference = (
        "PyTorch has no wrapper (its modules take bidirectional=True); each copy counts as PyTorch "
        "counts the wrapped layer"
    )

    def validate(self) -> None:
        self._set("layer", self.inner(self.layer, "layer"))
        if self.backward_layer is None:
            if self.forward.go_backwards:
                raise SpecError(
                    "the backward copy reads the sequence backwards, so the wrapped layer must read "
                    "it forwards (as in Keras). Received: go_backwards=True"
                )
        else:
            self._set("backward_layer", self.inner(self.backward_layer, "backward_layer"))
            forward, backward = self.forward, self.backward
            if forward.go_backwards == backward.go_backwards:
                raise SpecError(
                    "layer and backward_layer must read the sequence in opposite directions (as in "
                    f"Keras). Received: go_backwards={forward.go_backwards} for both"
                )
            if forward.return_sequences != backward.return_sequences:
                raise SpecError(
                    "layer and backward_layer must agree on return_sequences. Received: "
                    f"return_sequences={forward.return_sequences} and {backward.return_sequences}"
                )
        if self.merge_mode is None:
            raise SpecError(
                "merge_mode=None returns the forward and backward outputs as two tensors, which a "
                "sequential model cannot pass on; use 'concat', 'sum', 'mul' or 'ave'. "
                "Received: merge_mode=None"
            )
        check_choice(self.merge_mode, "merge_mode", MERGE_MODES)
        if self.merge_mode != "concat" and certainly_differ(self.forward.width, self.backward.width):
            raise SpecError(
                f"merge_mode={self.merge_mode!r} needs outputs of one width from both directions. "
                f"Received: widths {self.forward.width} and {self.backward.width}"
            )

    @staticmethod
    def inner(entry: Any, what: str) -> _Recurrent:
        """The wrapped layer (one direction, one layer); a spec's entry is built by the spec."""
        if isinstance(entry, RNN):  # Keras' RNN over a cell: one layer, one direction
            return entry  # type: ignore[return-value]
        if not isinstance(entry, _Recurrent):
            raise SpecError(
                f"{what} must be a recurrent layer (simple_rnn, lstm, gru or rnn). "
                f"Received: {what}={type(entry).__name__}"
            )
        if entry.bidirectional or entry.num_layers != 1:
            raise SpecError(
                f"{what} must be one layer in one direction; Bidirectional makes the second. "
                f"Received: bidirectional={entry.bidirectional}, num_layers={entry.num_layers}"
            )
        return entry

    @property
    def forward(self) -> _Recurrent:
        return self.layer  # type: ignore[no-any-return]

    @property
    def backward(self) -> _Recurrent:
        return self.backward_layer if self.backward_layer is not None else self.layer  # type: ignore[no-any-return]

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=2)
        shape = self.forward.output_shape(input_shape, target)
        if self.merge_mode == "concat":
            return (*shape[:-1], shape[-1] + self.backward.width)
        return shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, rank=2)
        found = []
        for prefix, layer in (("forward", self.forward), ("backward", self.backward)):
            layer.check_channels(input_shape, target)
            found += [
                self.weight(f"{prefix}/{w.name}", w.shape, w.kind) for w in layer.weights(input_shape, target)
            ]
        return tuple(found)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The two directions, each counted as its own layer.
        return self.forward.macs(input_shape, target) + self.backward.macs(input_shape, target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Both directions' extras; sum, mul and ave merge the two outputs with one binary operation
        # per output element (as the Add, Multiply and Average merges count; concat only places).
        both = self.forward.extra_flops(input_shape, target) + self.backward.extra_flops(input_shape, target)
        if self.merge_mode == "concat":
            return both
        return both + MERGE_FLOPS * product(self.output_shape(input_shape, target))

    def expressions(self) -> Iterator[sympy.Expr]:
        yield from self.forward.expressions()
        if self.backward_layer is not None:
            yield from self.backward.expressions()

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        backward = self.backward_layer.xreplace(mapping) if self.backward_layer is not None else None
        return dataclasses.replace(self, layer=self.forward.xreplace(mapping), backward_layer=backward)

    def describe(self) -> str:
        return f"Bidirectional({self.forward.describe()})"


def xreplace_all(layers: tuple[Layer, ...], mapping: dict[sympy.Symbol, sympy.Expr]) -> tuple[Layer, ...]:
    return tuple(layer.xreplace(mapping) for layer in layers)


@dataclass(frozen=True)
class _Cell(Layer):
    """One step of a recurrent layer (Keras' cells, which RNN runs over a sequence): on an input
    of n features it gives `units` outputs, with the weights of the layer it steps (`layer_class`)."""

    rules_noted = True

    units: Any
    activation: str | None = "tanh"
    use_bias: bool = True
    dropout: Any = 0.0
    recurrent_dropout: Any = 0.0
    seed: Any = None

    layer_class: ClassVar[type[_Recurrent]]
    sizes = ("units",)
    example_args = {"units": "u"}
    example_input = ("n",)

    def sequence_layer(self, return_sequences: bool = False) -> _Recurrent:
        """The recurrent layer that runs this cell over a sequence."""
        own = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("name", "tie")
        }
        return self.layer_class(**own, return_sequences=return_sequences)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=1)
        return (self.units,)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, rank=1)
        return self.sequence_layer().weights((sympy.Integer(1), *input_shape), target)

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        require_rank(self, input_shape, rank=1)
        return self.sequence_layer().macs((sympy.Integer(1), *input_shape), target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        require_rank(self, input_shape, rank=1)
        return self.sequence_layer().extra_flops((sympy.Integer(1), *input_shape), target)

    def describe(self) -> str:
        return f"{type(self).__name__}({self.units})"


class SimpleRNNCell(_Cell):
    """SimpleRNN's step."""

    layer_class = SimpleRNN
    keras_positional = keras_names(
        "units activation use_bias kernel_initializer recurrent_initializer bias_initializer kernel_regularizer "
        "recurrent_regularizer bias_regularizer kernel_constraint recurrent_constraint bias_constraint dropout "
        "recurrent_dropout seed"
    )
    derivation = SimpleRNN.derivation


@dataclass(frozen=True)
class LSTMCell(_Cell):
    """LSTM's step."""

    recurrent_activation: str | None = "sigmoid"
    unit_forget_bias: bool = True

    layer_class = LSTM
    keras_positional = keras_names(
        "units activation recurrent_activation use_bias kernel_initializer recurrent_initializer bias_initializer "
        "unit_forget_bias kernel_regularizer recurrent_regularizer bias_regularizer kernel_constraint "
        "recurrent_constraint bias_constraint dropout recurrent_dropout seed"
    )
    derivation = LSTM.derivation


@dataclass(frozen=True)
class GRUCell(_Cell):
    """GRU's step."""

    recurrent_activation: str | None = "sigmoid"
    reset_after: bool = True

    layer_class = GRU
    keras_positional = keras_names(
        "units activation recurrent_activation use_bias kernel_initializer recurrent_initializer bias_initializer "
        "kernel_regularizer recurrent_regularizer bias_regularizer kernel_constraint recurrent_constraint "
        "bias_constraint dropout recurrent_dropout reset_after seed"
    )
    derivation = GRU.derivation


@dataclass(frozen=True)
class StackedRNNCells(Layer):
    """Cells run one above the other at each step: the first reads the input, each next one the
    outputs of the one below; the step's output is the last cell's."""

    cells: Any

    nested = ("cells",)
    example_args = {"cells": [{"lstm_cell": "u"}, {"gru_cell": "v"}]}
    example_input = ("n",)
    derivation = "each cell's weights, each reading the outputs of the cell below"

    def validate(self) -> None:
        cells = self.cells if isinstance(self.cells, (list, tuple)) else [self.cells]
        if not cells or not all(isinstance(cell, _Cell) for cell in cells):
            raise SpecError(
                "cells must be a non-empty list of cells (simple_rnn_cell, lstm_cell, gru_cell). "
                f"Received: cells={[type(c).__name__ for c in cells]}"
            )
        self._set("cells", tuple(cells))

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=1)
        return (self.cells[-1].units,)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, rank=1)
        return tuple(
            self.weight(f"cell_{i}/{w.name}", w.shape, w.kind)
            for i, cell in enumerate(self.cells)
            for w in cell.weights((self.width_below(i, input_shape[0]),), target)
        )

    def width_below(self, index: int, features: sympy.Expr) -> sympy.Expr:
        return features if index == 0 else self.cells[index - 1].units

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        require_rank(self, input_shape, rank=1)
        return sum(
            (c.macs((self.width_below(i, input_shape[0]),), target) for i, c in enumerate(self.cells)),
            sympy.Integer(0),
        )

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        require_rank(self, input_shape, rank=1)
        return sum(
            (c.extra_flops((self.width_below(i, input_shape[0]),), target) for i, c in enumerate(self.cells)),
            sympy.Integer(0),
        )

    def expressions(self) -> Iterator[sympy.Expr]:
        for cell in self.cells:
            yield from cell.expressions()

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        return dataclasses.replace(self, cells=xreplace_all(self.cells, mapping))

    def describe(self) -> str:
        return f"StackedRNNCells({', '.join(c.describe() for c in self.cells)})"


@dataclass(frozen=True)
class RNN(Layer):
    """Keras' RNN: runs a cell (or a list of cells, stacked) over a sequence (T, n), returning its
    last output (u,) or, with `return_sequences`, every step's (T, u). RNN(LSTMCell(u)) counts as
    LSTM(u)."""

    cell: Any
    return_sequences: bool = False
    return_state: bool = False
    go_backwards: bool = False
    stateful: bool = False
    unroll: bool = False
    zero_output_for_mask: bool = False

    nested = ("cell",)
    example_args = {"cell": {"lstm_cell": "u"}}
    example_input = ("T", "n")
    derivation = "the cell's weights, shared by every step"

    def validate(self) -> None:
        cell = self.cell
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(list(cell))
        if not isinstance(cell, (_Cell, StackedRNNCells)):
            raise SpecError(
                "cell must be a cell (simple_rnn_cell, lstm_cell, gru_cell), a list of cells or "
                f"stacked_rnn_cells. Received: cell={type(cell).__name__}"
            )
        self._set("cell", cell)
        if self.return_state:
            raise SpecError(
                "return_state=True adds the final states as extra outputs, which a sequential "
                "model cannot pass on. Received: return_state=True"
            )

    @property
    def width(self) -> sympy.Expr:
        """The output's last axis: the last cell's units."""
        return self.stack.cells[-1].units  # type: ignore[no-any-return]

    @property
    def stack(self) -> StackedRNNCells:
        return self.cell if isinstance(self.cell, StackedRNNCells) else StackedRNNCells([self.cell])

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=2)
        units = self.stack.cells[-1].units
        return (input_shape[0], units) if self.return_sequences else (units,)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, rank=2)
        return self.cell.weights(input_shape[1:], target)  # type: ignore[no-any-return]

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        require_rank(self, input_shape, rank=2)
        return input_shape[0] * self.cell.macs(input_shape[1:], target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        require_rank(self, input_shape, rank=2)
        return input_shape[0] * self.cell.extra_flops(input_shape[1:], target)

    def expressions(self) -> Iterator[sympy.Expr]:
        yield from self.cell.expressions()

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        return dataclasses.replace(self, cell=self.cell.xreplace(mapping))

    def describe(self) -> str:
        return f"RNN({self.cell.describe()})"


@dataclass(frozen=True)
class _ConvLSTM(Layer):
    """An LSTM whose gates are convolutions (Keras' ConvLSTM1D-3D), on a sequence of images
    (T, *spatial, C): at each step the input's convolution (kernel (*k, C, 4f)) and the previous
    output's ('same', stride 1: kernel (*k, f, 4f)) feed the four gates of f channels, plus a
    (4f,) bias. MACs: per step and output position, 4f filters over k taps of C + f channels."""

    rules_noted = True

    filters: Any
    kernel_size: Any
    strides: Any = 1
    padding: str = "valid"
    dilation_rate: Any = 1
    activation: str | None = "tanh"
    recurrent_activation: str | None = "sigmoid"
    use_bias: bool = True
    unit_forget_bias: bool = True
    dropout: Any = 0.0
    recurrent_dropout: Any = 0.0
    seed: Any = None
    return_sequences: bool = False
    return_state: bool = False
    go_backwards: bool = False
    stateful: bool = False

    sizes = ("filters",)
    size_tuples = ("kernel_size", "strides", "dilation_rate")
    keras_positional = keras_names(
        "filters kernel_size strides padding data_format dilation_rate activation recurrent_activation use_bias "
        "kernel_initializer recurrent_initializer bias_initializer unit_forget_bias kernel_regularizer "
        "recurrent_regularizer bias_regularizer activity_regularizer kernel_constraint recurrent_constraint "
        "bias_constraint dropout recurrent_dropout seed return_sequences return_state go_backwards stateful"
    )
    example_args = {"filters": "f", "kernel_size": "k"}
    derivation = (
        "4 gates of f channels, each a k-wide kernel over the C input and f recurrent channels, and f biases"
    )

    def validate(self) -> None:
        check_choice(self.padding, "padding", ("valid", "same"))
        for name in ("activation", "recurrent_activation"):
            check_activation(getattr(self, name))
        for name in ("dropout", "recurrent_dropout"):
            self._set(name, as_float(getattr(self, name), name))
        if self.return_state:
            raise SpecError(
                "return_state=True adds the final states as extra outputs, which a sequential "
                "model cannot pass on. Received: return_state=True"
            )

    def lengths(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=self.rank + 2)
        if target.torch:
            raise SpecError(f"PyTorch has no {type(self).__name__}: use it in a spec with framework: keras")
        lengths = tuple(
            conv_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate)
        )
        for axis, length in enumerate(lengths):
            if (length.is_number and length < 1) or length.is_positive is False:
                raise ShapeError(
                    f"kernel {'x'.join(map(str, self.kernel_size))} does not fit: spatial axis {axis} of "
                    f"{format_shape(input_shape)} would have size {length}"
                )
            if not length.is_number:
                rules.note("positive", length)
        return lengths

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        step = (*self.lengths(input_shape, target), self.filters)
        return (input_shape[0], *step) if self.return_sequences else step

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.lengths(input_shape, target)
        block = 4 * self.filters
        found = (
            self.weight("kernel", (*self.kernel_size, input_shape[-1], block)),
            self.weight("recurrent_kernel", (*self.kernel_size, self.filters, block)),
        )
        return (*found, self.weight("bias", (block,))) if self.use_bias else found

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        positions = product(self.lengths(input_shape, target))
        taps = product(self.kernel_size) * (input_shape[-1] + self.filters)
        return input_shape[0] * positions * 4 * self.filters * taps

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # As LSTM's per unit, with a unit per output position and filter: the two products summed,
        # the bias, the gates' nonlinearities and the state update.
        units = product(self.lengths(input_shape, target)) * self.filters
        nonlinear = activation_flops(self.recurrent_activation, 3 * units) + activation_flops(
            self.activation, 2 * units
        )
        bias = BIAS_FLOPS * 4 * units if self.use_bias else 0
        return input_shape[0] * (MERGE_FLOPS * 4 * units + bias + nonlinear + MERGE_FLOPS * 4 * units)

    def describe(self) -> str:
        return f"{type(self).__name__}({self.filters}, {'x'.join(map(str, self.kernel_size))})"


class ConvLSTM1D(_ConvLSTM):
    rank = 1
    example_input = ("T", "L", "C")


class ConvLSTM2D(_ConvLSTM):
    rank = 2
    example_input = ("T", "H", "W", "C")


class ConvLSTM3D(_ConvLSTM):
    rank = 3
    example_input = ("T", "D", "H", "W", "C")


@dataclass(frozen=True)
class TimeDistributed(Layer):
    """Applies a layer to every step of a sequence (T, ...) with one set of weights: the layer's
    weights once, its costs T times."""

    layer: Any

    nested = ("layer",)
    example_args = {"layer": {"dense": "u"}}
    example_input = ("T", "n")
    derivation = "the wrapped layer's weights, shared by the T steps"

    def validate(self) -> None:
        if not isinstance(self.layer, Layer) or self.layer.merges:
            raise SpecError(
                f"layer must be a layer of one input. Received: layer={type(self.layer).__name__}"
            )

    def step(self, input_shape: Shape) -> Shape:
        require_rank(self, input_shape, at_least=2)
        return input_shape[1:]

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        return (input_shape[0], *self.layer.output_shape(self.step(input_shape), target))

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.layer.check_channels(self.step(input_shape), target)
        return tuple(
            self.weight(w.name, w.shape, w.kind) for w in self.layer.weights(self.step(input_shape), target)
        )

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return input_shape[0] * self.layer.macs(self.step(input_shape), target)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return input_shape[0] * self.layer.extra_flops(self.step(input_shape), target)

    def activations(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return input_shape[0] * self.layer.activations(self.step(input_shape), target)

    def expressions(self) -> Iterator[sympy.Expr]:
        yield from self.layer.expressions()

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        return dataclasses.replace(self, layer=self.layer.xreplace(mapping))

    def describe(self) -> str:
        return f"TimeDistributed({self.layer.describe()})"
