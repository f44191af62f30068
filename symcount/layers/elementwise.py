"""PyTorch's activation modules, as one table: ReLU, GELU, Softmax, PReLU, GLU, Identity...

Each of torch.nn's thirty activation modules is a key of its own (`ReLU`, `relu`, `LeakyReLU`,
`leaky_relu`; torch.nn.functional's names too) with its own constructor (`LeakyReLU(0.2)`,
`Softmax(dim=1)`, `Threshold(0.1, 20)`), but they are one layer here, `TorchActivation`, told
which function it applies: a table row gives the module's parameters in order with their
defaults (checked by a test against `inspect.signature` of the installed class), its other names,
and what it costs. None of them multiplies-accumulates (FlopCounterMode counts 0); they keep the
input's shape, except GLU, which gates one half of an axis with the other; only PReLU has weights
(one slope, or one per channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..costs import ACTIVATION_FLOPS, SOFTMAX_FLOPS
from ..errors import ShapeError, SpecError
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from .base import Layer, Saved, TorchSpelling, Weight, activation_saved, half, require_rank

__all__ = ["TorchActivation"]

ELEMENTWISE, SOFTMAX, NONE, GATED = "elementwise", "softmax", "none", "gated"


@dataclass(frozen=True)
class Function:
    """One module of the table: its parameters in order, their defaults, its snake_case and
    torch.nn.functional names, and its cost per element."""

    positional: tuple[str, ...]
    defaults: dict[str, Any]
    names: tuple[str, ...]
    cost: str = ELEMENTWISE


INPLACE: dict[str, Any] = {"inplace": False}

FUNCTIONS: dict[str, Function] = {
    "ReLU": Function(("inplace",), INPLACE, ("relu",)),
    "ReLU6": Function(("inplace",), INPLACE, ("relu6",)),
    "LeakyReLU": Function(
        ("negative_slope", "inplace"), {"negative_slope": 0.01, **INPLACE}, ("leaky_relu",)
    ),
    "PReLU": Function(("num_parameters", "init"), {"num_parameters": 1, "init": 0.25}, ("prelu",)),
    "RReLU": Function(("lower", "upper", "inplace"), {"lower": 1 / 8, "upper": 1 / 3, **INPLACE}, ("rrelu",)),
    "ELU": Function(("alpha", "inplace"), {"alpha": 1.0, **INPLACE}, ("elu",)),
    "CELU": Function(("alpha", "inplace"), {"alpha": 1.0, **INPLACE}, ("celu",)),
    "SELU": Function(("inplace",), INPLACE, ("selu",)),
    "GELU": Function(("approximate",), {"approximate": "none"}, ("gelu",)),
    "SiLU": Function(("inplace",), INPLACE, ("silu",)),
    "Mish": Function(("inplace",), INPLACE, ("mish",)),
    "Sigmoid": Function((), {}, ("sigmoid",)),
    "Tanh": Function((), {}, ("tanh",)),
    "Hardtanh": Function(
        ("min_val", "max_val", "inplace", "min_value", "max_value"),
        {"min_val": -1.0, "max_val": 1.0, **INPLACE, "min_value": None, "max_value": None},
        ("hardtanh",),
    ),
    "Hardsigmoid": Function(("inplace",), INPLACE, ("hardsigmoid",)),
    "Hardswish": Function(("inplace",), INPLACE, ("hardswish",)),
    "Hardshrink": Function(("lambd",), {"lambd": 0.5}, ("hardshrink",)),
    "Softshrink": Function(("lambd",), {"lambd": 0.5}, ("softshrink",)),
    "Tanhshrink": Function((), {}, ("tanhshrink",)),
    "Softplus": Function(("beta", "threshold"), {"beta": 1.0, "threshold": 20.0}, ("softplus",)),
    "Softsign": Function((), {}, ("softsign",)),
    "LogSigmoid": Function((), {}, ("logsigmoid", "log_sigmoid")),
    "Threshold": Function(("threshold", "value", "inplace"), INPLACE, ("threshold",)),
    "Softmax": Function(("dim",), {"dim": None}, ("softmax",), SOFTMAX),
    "Softmin": Function(("dim",), {"dim": None}, ("softmin",), SOFTMAX),
    "LogSoftmax": Function(("dim",), {"dim": None}, ("log_softmax",), SOFTMAX),
    "Softmax2d": Function((), {}, ("softmax2d",), SOFTMAX),
    "GLU": Function(("dim",), {"dim": -1}, ("glu",), GATED),
    "Identity": Function((), {}, ("identity",), NONE),
}
# Every name of a module -> its class name.
BY_NAME = {name: cls for cls, row in FUNCTIONS.items() for name in (cls, *row.names)}
# The arguments that reach a field; every other one changes no count.
FIELDS = ("num_parameters", "dim")
GELU_APPROXIMATIONS = ("none", "tanh")


@dataclass(frozen=True)
class TorchActivation(Layer):
    """One of torch.nn's activation modules, applied elementwise (`function` names it).

    Example:
        >>> from symcount import Input, Sequential
        >>> from symcount.spec import build_layer
        >>> prelu = build_layer({"PReLU": [16]}, "torch")
        >>> net = Sequential(Input(16, 8, 8), prelu, framework="torch")
        >>> net.params, net.rows[0].kind
        (16, 'PReLU')
    """

    rules_noted = True

    function: str = "Identity"
    num_parameters: Any = 1
    dim: Any = None
    approximate: str = "none"

    sizes = ("num_parameters",)
    torch_only = True
    torch_name = "identity"
    torch_class = "Identity"  # an instance shows its own module (ReLU, GELU...)
    torch_functional = tuple(name for name in BY_NAME if name[:1].islower())
    example_args = {"function": "PReLU", "num_parameters": "C"}
    example_input = ("H", "W", "C")
    derivation = (
        "no weights but PReLU's slopes (num_parameters: 1, or one per channel); GLU halves the axis it gates"
    )

    @classmethod
    def torch_spelling(cls, key: str) -> TorchSpelling:
        function = BY_NAME.get(key, "Identity")
        row = FUNCTIONS[function]
        arguments = {name: name if name in FIELDS else "" for name in row.positional}
        if function == "GELU":
            arguments["approximate"] = "approximate"
        # A lone value is the module's first argument (`leaky_relu: 0.2`).
        lone = row.positional[0] if row.positional else ""
        return TorchSpelling(row.positional, row.defaults, arguments, {"function": function}, lone, function)

    @classmethod
    def keys(cls, torch: bool) -> tuple[str, ...]:
        return tuple(FUNCTIONS) if torch else ()

    def validate(self) -> None:
        if self.function not in FUNCTIONS:
            raise SpecError(
                f"function must be one of torch.nn's activations ({', '.join(FUNCTIONS)}). "
                f"Received: function={self.function!r}"
            )
        if self.function == "GELU" and self.approximate not in GELU_APPROXIMATIONS:
            raise SpecError(
                f"approximate must be 'none' or 'tanh'. Received: approximate={self.approximate!r}"
            )
        if self.dim is not None and (isinstance(self.dim, bool) or not isinstance(self.dim, int)):
            raise SpecError(f"expected an axis (an integer). Received: dim={self.dim!r}")
        if self.function == "GLU" and self.dim is None:
            self._set("dim", -1)
        # Tables show the module's own name: ReLU, not TorchActivation.
        self._set("torch_class", self.function)
        self._set("torch_name", FUNCTIONS[self.function].names[0])

    @property
    def row(self) -> Function:
        return FUNCTIONS[self.function]

    def axis(self, input_shape: Shape) -> int:
        """The axis `dim` names in a batch-free shape (PyTorch counts the batch as axis 0)."""
        rank = len(input_shape)
        index = self.dim - 1 if self.dim >= 0 else rank + self.dim
        if not 0 <= index < rank:
            raise ShapeError(
                f"dim={self.dim} is no axis of the input {format_shape(input_shape)} (PyTorch counts "
                "the batch as axis 0)"
            )
        return index

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        if self.function == "Softmax2d":
            require_rank(self, input_shape, rank=3)
        if self.function == "GLU":
            require_rank(self, input_shape, at_least=1)
            index = self.axis(input_shape)
            return (
                *input_shape[:index],
                half(input_shape[index], f"axis {self.dim}"),
                *input_shape[index + 1 :],
            )
        if self.dim is not None and input_shape:
            self.axis(input_shape)
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.output_shape(input_shape, target)
        if self.function != "PReLU":
            return ()
        if self.num_parameters != 1:
            # One slope per channel: the input's channel axis (PyTorch's dim 1).
            require_rank(self, input_shape, at_least=1)
            channels = input_shape[target.channel_index(len(input_shape))]
            if certainly_differ(channels, self.num_parameters):
                raise ShapeError(
                    f"PReLU's num_parameters is 1 or the input's channels ({channels}). "
                    f"Received: num_parameters={self.num_parameters}"
                )
        return (self.weight("weight", (self.num_parameters,)),)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The function once per element (a softmax's exponent, sum and divide per element; GLU a
        # sigmoid and a product per output; Identity nothing).
        outputs = product(self.output_shape(input_shape, target))
        per_element = {
            ELEMENTWISE: ACTIVATION_FLOPS,
            SOFTMAX: SOFTMAX_FLOPS,
            NONE: 0,
            GATED: 2 * ACTIVATION_FLOPS,
        }
        return per_element[self.row.cost] * outputs

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # What the module's backward needs, as activation_saved says for its function (ReLU,
        # Sigmoid, Tanh, Softmax, LogSoftmax: the output; the others: the input); Identity is
        # its input, passed on.
        if self.row.cost == NONE:
            return Saved(view=True)
        name = {"Softmax2d": "softmax", "LogSoftmax": "log_softmax"}.get(self.function, self.row.names[0])
        before, after, extra = activation_saved(name, product(input_shape))
        return Saved(("float",) if before else (), after, extra)

    def describe(self) -> str:
        return f"{self.function}({self.num_parameters})" if self.function == "PReLU" else self.function
