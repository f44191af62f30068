"""What a model costs besides parameters: every cost declared once, with its convention.

Counters disagree mostly about conventions, so symcount fixes them here, in one place, and says
them in every output:

- a multiply-accumulate (MAC) is 2 FLOPs; `macs` counts matrix products and convolutions only,
  which is what PyTorch's FlopCounterMode counts (as FLOPs, so twice our MACs);
- bias adds, activations, normalisation, softmax, pooling and merges are "extra" FLOPs, counted
  only with `extras=True`;
- a training step costs 3 forward passes (the backward pass is about twice the forward), which
  gives the rule of thumb C = 6 N per token for a transformer;
- memory is bytes: parameters x the dtype's size; training memory adds a gradient per trainable
  parameter and the optimizer's state (Adam: 2 per trainable parameter; SGD: none);
- active parameters are those one token uses: a mixture of experts' idle experts are not;
- the KV cache is the keys and values attention layers keep for the tokens of context, in bytes;
- everything but parameters and memory is for the model's `batch` examples (default 1).

`COSTS` is the registry: each `Cost` has its name, label, unit, convention and how a row computes
it. A row's per-layer quantity (MACs, say) is the layer's method of that name; a layer made of
others (a repeated block) adds its copies' quantities up (`graph.Row.measure`), so a new cost is one
entry here plus the layer methods that define it (a zero default in `layers/base.py`).

This module imports no sympy at import time, so the command line can list the costs for free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .errors import SpecError

if TYPE_CHECKING:
    import sympy

    from .graph import Row

__all__ = [
    "BIAS_FLOPS", "ACTIVATION_FLOPS", "SOFTMAX_FLOPS", "NORMALIZE_FLOPS", "MERGE_FLOPS", "activation_flops",
    "Cost", "COSTS", "Measure", "PARAMS", "DTYPE_BYTES", "DTYPE_ALIASES", "OPTIMIZER_STATES", "Convention", "row_cost",
    "total_cost", "cost_named",
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

# Bytes per number; int4 is half a byte, exact until a tensor is stored (rounded up to whole
# bytes per tensor, as frameworks pack two 4-bit numbers in a byte).
DTYPE_BYTES: dict[str, int | Fraction] = {
    "float32": 4, "bfloat16": 2, "float16": 2, "float8": 1, "int8": 1, "int4": Fraction(1, 2), "float64": 8,
}  # fmt: skip
# The short spellings people use (PyTorch's, Hugging Face's, accelerate's).
DTYPE_ALIASES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16", "fp8": "float8", "fp64": "float64"}
OPTIMIZER_STATES = {"adam": 2, "sgd": 0, "momentum": 1}  # tensors kept per trainable parameter
TRAINING_PASSES = 3  # forward + backward, the backward counted as two forwards


def activation_flops(activation: str | None, elements: sympy.Expr) -> sympy.Expr:
    """Extra FLOPs of applying `activation` to `elements` numbers (0 for none or linear)."""
    if activation in (None, "linear"):
        return 0 * elements
    per_element = SOFTMAX_FLOPS if activation in ("softmax", "log_softmax") else ACTIVATION_FLOPS
    return per_element * elements


@dataclass(frozen=True)
class Convention:
    """How a cost is counted: dtype, optimizer, and whether extra FLOPs count."""

    dtype: str = "float32"
    optimizer: str = "adam"
    extras: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.dtype, str) and self.dtype.lower() in DTYPE_ALIASES:
            object.__setattr__(self, "dtype", DTYPE_ALIASES[self.dtype.lower()])
        if self.dtype not in DTYPE_BYTES:
            known = ", ".join([*DTYPE_BYTES, *DTYPE_ALIASES])
            raise SpecError(f"dtype must be one of {known}. Received: dtype={self.dtype!r}")
        if self.optimizer not in OPTIMIZER_STATES:
            raise SpecError(
                f"optimizer must be one of {', '.join(OPTIMIZER_STATES)}. Received: optimizer={self.optimizer!r}"
            )

    @property
    def bytes(self) -> int | Fraction:
        return DTYPE_BYTES[self.dtype]

    @property
    def bytes_words(self) -> str:
        """`4 bytes each`, or `1/2 byte each, whole bytes per tensor` for a packed dtype."""
        size = self.bytes
        if isinstance(size, int):
            return f"{size} byte{'s' if size != 1 else ''} each"
        return f"{size} byte each, rounded up to whole bytes per tensor"

    def stored(self, numbers: sympy.Expr) -> sympy.Expr:
        """Bytes of one tensor of `numbers` values: exact for whole-byte dtypes; rounded up to
        whole bytes for a packed one (int4: ceiling(numbers/2))."""
        import sympy

        size = self.bytes
        if isinstance(size, int):
            return size * numbers
        return sympy.ceiling(sympy.Rational(size.numerator, size.denominator) * numbers)

    def tensors(self, row: Row, kinds: tuple[str, ...], copies: int = 1) -> sympy.Expr:
        """Bytes of a row's weights of `kinds`, `copies` of each (a gradient, optimizer states)."""
        import sympy

        if isinstance(self.bytes, int):
            total = sympy.Add(*(w.size for w in row.weights if w.kind in kinds))
            return self.bytes * copies * total
        return sympy.Add(*(copies * self.stored(w.size) for w in row.weights if w.kind in kinds))

    @property
    def extras_words(self) -> str:
        return "bias adds, activations, normalisation, softmax and pooling " + (
            "included" if self.extras else "not counted (--extras counts them)"
        )


# The per-layer quantities rows measure (each one layer method, see layers/base.py).
def _macs(row: Row) -> sympy.Expr:
    return row.macs


def _forward_flops(row: Row, convention: Convention) -> sympy.Expr:
    return 2 * row.macs + (row.extra_flops if convention.extras else 0)


def _kv_cache(row: Row) -> sympy.Expr:
    return row.measure(lambda layer, x, target: layer.kv_cache(x, target))


def _active_params(row: Row) -> sympy.Expr:
    return row.params - row.measure(lambda layer, x, target: layer.inactive_params(x, target))


@dataclass(frozen=True)
class Cost:
    """One cost: its names, unit, convention in words, and a row's share of it.

    `row(row, convention, batch)` is the row's share for `batch` examples; `describe(convention,
    per)` states the convention in one line (`per` is "per example" or "per batch of B").
    """

    name: str
    label: str  # "training FLOPs": what a count is of
    heading: str  # a column's heading
    unit: str  # "parameters", "FLOPs", "bytes", "elements"
    row: Callable[[Row, Convention, Any], sympy.Expr]
    describe: Callable[[Convention, str], str]
    help: str  # for the command line's --help
    per_example: bool = True  # scales with the batch

    @property
    def option(self) -> str:
        """The command line's spelling: `training-flops`."""
        return self.name.replace("_", "-")


def _packed(convention: Convention) -> str:
    return "" if isinstance(convention.bytes, int) else f" ({convention.bytes_words})"


def _training_memory(convention: Convention) -> str:
    states = OPTIMIZER_STATES[convention.optimizer]
    return (
        f"training memory in bytes, {convention.dtype}{_packed(convention)}: parameters + a gradient and {states} "
        f"{convention.optimizer} state(s) per trainable parameter"
    )


_REGISTRY = (
    Cost(
        "params", "parameters", "Params", "parameters",
        lambda row, c, batch: row.params,
        lambda c, per: "parameters: trainable + non-trainable (PyTorch buffers and tied copies excluded)",
        "parameters",
        per_example=False,
    ),
    Cost(
        "macs", "MACs", "MACs", "MACs",
        lambda row, c, batch: batch * _macs(row),
        lambda c, per: f"forward multiply-accumulates of matrix products and convolutions, {per}",
        "forward multiply-accumulates",
    ),
    Cost(
        "flops", "FLOPs", "FLOPs", "FLOPs",
        lambda row, c, batch: batch * _forward_flops(row, c),
        lambda c, per: f"forward FLOPs, 1 MAC = 2 FLOPs; {c.extras_words}; {per}",
        "forward FLOPs (1 MAC = 2 FLOPs)",
    ),
    Cost(
        "training_flops", "training FLOPs", "Training FLOPs", "FLOPs",
        lambda row, c, batch: TRAINING_PASSES * batch * _forward_flops(row, c),
        lambda c, per: (
            f"training FLOPs = 3 x forward (backward = 2 x forward), 1 MAC = 2 FLOPs; {c.extras_words}; {per}"
        ),
        "training FLOPs (3 forward passes)",
    ),
    Cost(
        "activations", "activation elements", "Activation elements", "elements",
        lambda row, c, batch: batch * row.activations,
        lambda c, per: f"output elements of every layer, {per}",
        "activation elements",
    ),
    Cost(
        "memory", "bytes", "Memory (bytes)", "bytes",
        lambda row, c, batch: c.tensors(row, ("trainable", "non_trainable")),
        lambda c, per: f"parameter memory in bytes, {c.dtype} ({c.bytes_words})",
        "bytes of the parameters",
        per_example=False,
    ),
    Cost(
        "training_memory", "bytes", "Training memory (bytes)", "bytes",
        lambda row, c, batch: (
            c.tensors(row, ("trainable", "non_trainable"))
            + c.tensors(row, ("trainable",), 1 + OPTIMIZER_STATES[c.optimizer])
        ),
        lambda c, per: _training_memory(c),
        "bytes of training state",
        per_example=False,
    ),
    Cost(
        "kv_cache", "KV-cache bytes", "KV-cache bytes", "bytes",
        lambda row, c, batch: c.stored(batch * _kv_cache(row)),
        lambda c, per: (
            f"KV-cache bytes, {c.dtype} ({c.bytes_words}): the keys and values every attention "
            f"layer keeps for its tokens of context (2 x tokens x key/value heads x head size), {per}"
        ),
        "bytes of attention's KV cache",
    ),
    Cost(
        "active_params", "active parameters", "Active params", "parameters",
        lambda row, c, batch: _active_params(row),
        lambda c, per: (
            "parameters one token uses: every parameter but the experts its router leaves idle "
            "(a mixture of experts runs top_k of num_experts)"
        ),
        "parameters a token uses (top-k experts only)",
        per_example=False,
    ),
)  # fmt: skip

COSTS: dict[str, Cost] = {cost.name: cost for cost in _REGISTRY}


def cost_named(name: str) -> Cost:
    """The registered cost called `name` (`training_flops` or `training-flops`)."""
    cost = COSTS.get(name.replace("-", "_")) if isinstance(name, str) else None
    if cost is None:
        raise SpecError(f"cost must be one of {', '.join(COSTS)}. Received: cost={name!r}")
    return cost


def _per(batch: Any) -> str:
    return f"per batch of {batch}" if batch != 1 else "per example"


def row_cost(row: Row, cost: str, convention: Convention = Convention(), batch: Any = 1) -> sympy.Expr:
    """One row's share of `cost` under `convention`, for `batch` examples."""
    return cost_named(cost).row(row, convention, batch)


def total_cost(model: Any, cost: str, convention: Convention = Convention()) -> sympy.Expr:
    """The model's total `cost`: the sum over its rows, as built (never simplified)."""
    import sympy

    entry = cost_named(cost)
    return sympy.Add(*(entry.row(row, convention, model.batch) for row in model.rows))


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
        object.__setattr__(self, "cost", cost_named(self.cost).name)

    @property
    def entry(self) -> Cost:
        return COSTS[self.cost]

    def total(self, model: Any) -> sympy.Expr:
        return total_cost(model, self.cost, self.convention)

    def row(self, model: Any, row: Row) -> sympy.Expr:
        return self.entry.row(row, self.convention, model.batch)

    def rows(self, model: Any) -> list[sympy.Expr]:
        return [self.row(model, row) for row in model.rows]

    @property
    def label(self) -> str:
        return self.entry.label

    @property
    def heading(self) -> str:
        return self.entry.heading

    @property
    def is_params(self) -> bool:
        return self.cost == "params"

    def describe(self, model: Any = None) -> str:
        """The convention behind this cost, in one line, for every output that shows it."""
        return self.entry.describe(self.convention, _per(model.batch if model is not None else 1))

    def with_cost(self, cost: str) -> Measure:
        """The same convention, another cost."""
        return Measure(cost, self.convention)


PARAMS = Measure()
