"""What a model costs besides parameters, with the conventions stated.

Counters disagree mostly about conventions, so symcount fixes them here, in one place, and says
them in every output (`Convention.describe`):

- a multiply-accumulate (MAC) is 2 FLOPs; `macs` counts matrix products and convolutions only,
  which is what PyTorch's FlopCounterMode counts (as FLOPs, so twice our MACs);
- bias adds, activations, normalisation, softmax, pooling and merges are "extra" FLOPs, counted
  only with `extras=True`;
- a training step costs 3 forward passes (the backward pass is about twice the forward), which
  gives the rule of thumb C = 6 N per token for a transformer;
- memory is bytes: parameters x the dtype's size; training memory adds a gradient per trainable
  parameter and the optimizer's state (Adam: 2 per trainable parameter; SGD: none);
- everything but parameters and memory is per forward pass of the model's `batch` examples
  (default 1; `model.with_batch("B")` makes it a symbol like any other).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

from .errors import SpecError

if TYPE_CHECKING:
    from .model import Model, Row

__all__ = [
    "BIAS_FLOPS", "ACTIVATION_FLOPS", "SOFTMAX_FLOPS", "NORMALIZE_FLOPS", "MERGE_FLOPS", "activation_flops",
    "COSTS", "LABELS", "Measure", "PARAMS", "DTYPE_BYTES", "OPTIMIZER_STATES", "Convention", "row_cost", "total_cost",
]  # fmt: skip

# Extra FLOPs per element, one table for every layer (these are unit counts, stated, not a model of
# any hardware): a bias add or a scale or shift is 1; an activation function is 1 (softmax and
# log-softmax are 3: exponent, sum, divide); standardising (mean, variance, subtract, divide) is 4;
# a pooling window costs 1 per element it reads (an average adds 1 divide per output); a merge of
# n tensors costs n - 1 per output element.
BIAS_FLOPS = 1
ACTIVATION_FLOPS = 1
SOFTMAX_FLOPS = 3
NORMALIZE_FLOPS = 4
MERGE_FLOPS = 1

COSTS = ("params", "macs", "flops", "training_flops", "activations", "memory", "training_memory")
DTYPE_BYTES = {"float64": 8, "float32": 4, "bfloat16": 2, "float16": 2, "int8": 1}
OPTIMIZER_STATES = {"sgd": 0, "momentum": 1, "adam": 2}  # tensors kept per trainable parameter
TRAINING_PASSES = 3  # forward + backward, the backward counted as two forwards


def activation_flops(activation: str | None, elements: sympy.Expr) -> sympy.Expr:
    """Extra FLOPs of applying `activation` to `elements` numbers (0 for none or linear)."""
    if activation in (None, "linear"):
        return sympy.Integer(0)
    per_element = SOFTMAX_FLOPS if activation in ("softmax", "log_softmax") else ACTIVATION_FLOPS
    return per_element * elements


@dataclass(frozen=True)
class Convention:
    """How a cost is counted: dtype, optimizer, and whether extra FLOPs count."""

    dtype: str = "float32"
    optimizer: str = "adam"
    extras: bool = False

    def __post_init__(self) -> None:
        if self.dtype not in DTYPE_BYTES:
            raise SpecError(f"dtype must be one of {', '.join(DTYPE_BYTES)}. Received: dtype={self.dtype!r}")
        if self.optimizer not in OPTIMIZER_STATES:
            raise SpecError(
                f"optimizer must be one of {', '.join(OPTIMIZER_STATES)}. Received: optimizer={self.optimizer!r}"
            )

    @property
    def bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def describe(self, cost: str, batch: Any = 1) -> str:
        """The convention behind `cost`, in one line, for every output that shows it."""
        if cost == "params":
            return "parameters: trainable + non-trainable (PyTorch buffers and tied copies excluded)"
        per = f"per batch of {batch}" if batch != 1 else "per example"
        extras = "bias adds, activations, normalisation, softmax and pooling " + (
            "included" if self.extras else "not counted (--extras counts them)"
        )
        if cost == "macs":
            return f"forward multiply-accumulates of matrix products and convolutions, {per}"
        if cost == "flops":
            return f"forward FLOPs, 1 MAC = 2 FLOPs; {extras}; {per}"
        if cost == "training_flops":
            return f"training FLOPs = 3 x forward (backward = 2 x forward), 1 MAC = 2 FLOPs; {extras}; {per}"
        if cost == "activations":
            return f"output elements of every layer, {per}"
        if cost == "memory":
            return f"parameter memory in bytes, {self.dtype} ({self.bytes} bytes each)"
        if cost == "training_memory":
            states = OPTIMIZER_STATES[self.optimizer]
            return (
                f"training memory in bytes, {self.dtype}: parameters + a gradient and {states} "
                f"{self.optimizer} state(s) per trainable parameter"
            )
        raise SpecError(f"cost must be one of {', '.join(COSTS)}. Received: {cost!r}")


def row_cost(row: Row, cost: str, convention: Convention = Convention(), batch: Any = 1) -> sympy.Expr:
    """One row's share of `cost` under `convention`, for `batch` examples."""
    if cost == "params":
        return row.params
    if cost == "macs":
        return batch * row.macs
    if cost in ("flops", "training_flops"):
        forward = 2 * row.macs + (row.extra_flops if convention.extras else 0)
        passes = TRAINING_PASSES if cost == "training_flops" else 1
        return passes * batch * forward
    if cost == "activations":
        return batch * row.activations
    if cost == "memory":
        return convention.bytes * row.params
    if cost == "training_memory":
        extra_per_trainable = 1 + OPTIMIZER_STATES[convention.optimizer]
        return convention.bytes * (row.params + extra_per_trainable * row.trainable)
    raise SpecError(f"cost must be one of {', '.join(COSTS)}. Received: {cost!r}")


def total_cost(model: Model, cost: str, convention: Convention = Convention()) -> sympy.Expr:
    """The model's total `cost`: the sum over its rows, as built (never simplified)."""
    return sympy.Add(*(row_cost(row, cost, convention, model.batch) for row in model.rows))


LABELS = {
    "params": "parameters", "macs": "MACs", "flops": "FLOPs", "training_flops": "training FLOPs",
    "activations": "activation elements", "memory": "bytes", "training_memory": "bytes",
}  # fmt: skip


@dataclass(frozen=True)
class Measure:
    """A cost and its convention: what every command counts (parameters unless asked otherwise).

    Example:
        >>> from symcount import build
        >>> cnn = build("lesson-cnn")
        >>> Measure("flops").total(cnn), Measure("memory", Convention(dtype="bfloat16")).total(cnn)
        (1599360, 49066)
    """

    cost: str = "params"
    convention: Convention = Convention()

    def __post_init__(self) -> None:
        if self.cost not in COSTS:
            raise SpecError(f"cost must be one of {', '.join(COSTS)}. Received: cost={self.cost!r}")

    def total(self, model: Model) -> sympy.Expr:
        return total_cost(model, self.cost, self.convention)

    def row(self, model: Model, row: Row) -> sympy.Expr:
        return row_cost(row, self.cost, self.convention, model.batch)

    def rows(self, model: Model) -> list[sympy.Expr]:
        return [self.row(model, row) for row in model.rows]

    @property
    def label(self) -> str:
        return LABELS[self.cost]

    def describe(self, model: Model | None = None) -> str:
        return self.convention.describe(self.cost, model.batch if model is not None else 1)


PARAMS = Measure()
