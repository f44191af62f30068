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
  parameter, the optimizer's state (Adam: 2 per trainable parameter; SGD: none) and the
  activation memory, the bytes autograd keeps for the backward pass as PyTorch keeps them;
  `--precision mixed` is DeepSpeed's 20 bytes a parameter with Adam, ZeRO divides per device;
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
ATTENTION_KERNELS = ("eager", "sdpa")  # what attention keeps for backward: see kept_by_attention
RECOMPUTE = ("none", "full", "selective")
PRECISIONS = ("pure", "mixed")
ZERO_STAGES = (0, 1, 2, 3)
# Mixed precision (DeepSpeed's estimators' convention): per parameter, 16-bit weights (2 bytes);
# per trainable parameter, 16-bit gradients (2), float32 gradients (4), float32 master weights (4)
# and each optimizer state in float32 (4): 20 bytes with Adam, of which ZeRO-1 partitions the 16
# of float32 (gradients, master weights, states), ZeRO-2 the 16-bit gradients too (DeepSpeed's
# 2 + 18/N) and ZeRO-3 the 16-bit weights too.
MIXED_WEIGHT = 2
MIXED_GRADIENTS = 2 + 4
MIXED_MASTER = 4
MIXED_STATE = 4
# Bytes of the kinds of tensors autograd keeps that --dtype does not size (see graph.Saved).
INDEX_BYTES = 8  # int64
MASK_BYTES = 1  # bool
STAT_BYTES = 4  # float32: a normalization's statistics, accumulated in float32 for 16-bit inputs
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
    # Training memory: what attention keeps, which activations are recomputed, pure or mixed
    # precision, and the parallel layout (data-parallel ranks, ZeRO stage, tensor- and
    # pipeline-parallel degrees; a degree may be a symbol's name, as the batch may).
    attention: str = "eager"
    recompute: str = "none"
    precision: str = "pure"
    dp: Any = 1
    zero: int = 0
    tp: Any = 1
    pp: Any = 1

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
        for name, choices in (
            ("attention", ATTENTION_KERNELS),
            ("recompute", RECOMPUTE),
            ("precision", PRECISIONS),
        ):
            if getattr(self, name) not in choices:
                raise SpecError(
                    f"{name} must be one of {', '.join(choices)}. Received: {name}={getattr(self, name)!r}"
                )
        if self.zero not in ZERO_STAGES or isinstance(self.zero, bool):
            raise SpecError(f"zero must be one of 0, 1, 2, 3. Received: zero={self.zero!r}")

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
    def activation_bytes(self) -> int | Fraction:
        """Bytes of an activation: the dtype's, or 2 under mixed precision (16-bit compute)."""
        return MIXED_WEIGHT if self.precision == "mixed" else self.bytes

    def kind_bytes(self, kind: str) -> int | Fraction:
        """Bytes of one number autograd keeps, by its kind (see graph.Saved)."""
        if kind == "index":
            return INDEX_BYTES
        if kind == "mask":
            return MASK_BYTES
        if kind in ("stat", "float32"):
            return max(STAT_BYTES, self.activation_bytes)
        if kind.startswith("scores") and self.recompute == "selective":
            return 0
        if kind == "scores32":
            return max(STAT_BYTES, self.activation_bytes)
        if kind == "scores_cast":  # a 16-bit copy of float32 scores; none when they are float32
            return self.activation_bytes if self.activation_bytes < STAT_BYTES else 0
        return self.activation_bytes

    def degree(self, name: str) -> sympy.Expr:
        """A parallel degree (dp, tp, pp) as an expression: a number or a symbol."""
        from .values import as_size

        return as_size(getattr(self, name), name)

    @property
    def parallel(self) -> bool:
        return (self.dp, self.zero, self.tp, self.pp) != (1, 0, 1, 1)

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


def _kept_bytes(row: Row, c: Convention) -> sympy.Expr:
    """Bytes one node keeps for the backward pass, for one example (see graph.Saved)."""
    import sympy

    from .shapes import product

    saved = row.saved(c.attention)
    shapes = row.input_shapes or (row.input_shape,)
    total = [product(shape) * c.kind_bytes(kind) for shape, kind in zip(shapes, saved.inputs) if kind]
    if saved.output:
        total.append(product(row.output_shape) * c.activation_bytes)
    total += [elements * c.kind_bytes(kind) for elements, kind in saved.extra]
    return sympy.Add(*total)


def _entry_bytes(rows: tuple[Row, ...], c: Convention) -> sympy.Expr:
    """Bytes of a block's input that its rows keep (counted in every copy)."""
    import sympy

    from .shapes import product

    for row in rows:
        for name, shape, kind in zip(row.inputs, row.input_shapes or (row.input_shape,), row.saved().inputs):
            if name == "input" and kind is not None:
                return product(shape) * c.kind_bytes(kind)
    return sympy.Integer(0)


def _activation_memory(row: Row, c: Convention) -> sympy.Expr:
    """Bytes autograd keeps for one example at this node. A repeated block adds up its copies,
    each storage once: when a copy keeps its input and the copy before keeps its output (or,
    for the first, the node before), that input is not counted again. Under full recomputation
    a block keeps only its input (the checkpoint's), and one copy's other activations are kept again
    while its backward runs: the largest copy's are added once."""
    import sympy

    from .graph import Over
    from .shapes import product

    parts = row.parts()
    if parts is None:
        return _kept_bytes(row, c)
    if not row.records:  # no weight trains and no input needs a gradient: nothing is recorded
        return sympy.Integer(0)
    if c.recompute == "full":
        plain = Convention(c.dtype, c.optimizer, c.extras, c.attention, "none", c.precision)
        inputs, copies = [], []
        for times, rows in parts:
            entry = product(_entry_shape(rows, row.input_shape)) * c.activation_bytes
            # A copy recomputed in the backward pass keeps all but its input, the checkpoint's.
            inner = sympy.Add(*(_activation_memory(r, plain) for r in rows)) - _entry_bytes(rows, plain)
            inputs.append(times.total(entry) if isinstance(times, Over) else times * entry)
            copies.append(
                inner.xreplace({times.index: times.count - 1}) if isinstance(times, Over) else inner
            )
        if row.kept_before and row.kept_before[0]:  # the first copy's input is kept already
            inputs.append(-product(row.input_shape) * c.activation_bytes)
        return sympy.Add(*inputs) + (sympy.Max(*copies) if copies else 0)
    total = []
    before = bool(row.kept_before and row.kept_before[0])
    for times, rows in parts:
        inner = sympy.Add(*(_activation_memory(r, c) for r in rows))
        entry = _entry_bytes(rows, c)
        kept_exit = bool(rows) and rows[-1].saved().output
        if isinstance(times, Over):
            first = entry.xreplace({times.index: 0})
            again = times.total(entry) - first if kept_exit else 0
            total.append(times.total(inner) - again - (first if before else 0))
        else:
            total.append(times * inner - entry * ((times - 1) * int(kept_exit) + int(before)))
        before = kept_exit
    return sympy.Add(*total)


def _entry_shape(rows: tuple[Row, ...], default: Any) -> Any:
    """The shape of a block copy's input, as its rows see it."""
    for row in rows:
        for name, shape in zip(row.inputs, row.input_shapes or (row.input_shape,)):
            if name == "input":
                return shape
    return default


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
    # A term of the whole model that no one row holds (inference memory's largest activation),
    # added to the rows' sum in the total; None for the costs that are a sum over rows.
    whole: Callable[[Any, Convention], sympy.Expr] | None = None

    @property
    def option(self) -> str:
        """The command line's spelling: `training-flops`."""
        return self.name.replace("_", "-")


def _packed(convention: Convention) -> str:
    return "" if isinstance(convention.bytes, int) else f" ({convention.bytes_words})"


def _model_states(row: Row, c: Convention) -> sympy.Expr:
    """Bytes of one node's weights, gradients and optimizer states on one device: pure (every
    number in the dtype) or mixed precision (DeepSpeed's convention, see MIXED_WEIGHT), ZeRO's
    stage dividing states, then gradients, then weights over the data-parallel ranks, tensor and
    pipeline parallelism dividing all of them."""
    states = OPTIMIZER_STATES[c.optimizer]
    params, trainable = row.params, row.trainable
    if c.precision == "mixed":
        # 16-bit weights, 16-bit gradients, and the float32 gradients, master weights and states.
        float32 = (MIXED_GRADIENTS - MIXED_WEIGHT + MIXED_MASTER + MIXED_STATE * states) * trainable
        parts = [MIXED_WEIGHT * params, MIXED_WEIGHT * trainable, float32]
    elif isinstance(c.bytes, int):
        parts = [c.bytes * params, c.bytes * trainable, states * c.bytes * trainable]
    else:  # a packed dtype (int4): whole bytes per tensor
        kinds = ("trainable", "non_trainable")
        parts = [
            c.tensors(row, kinds),
            c.tensors(row, ("trainable",)),
            c.tensors(row, ("trainable",), states),
        ]
    # ZeRO-1 partitions the optimizer's part (the last), ZeRO-2 the gradients too, ZeRO-3 all.
    whole = sum(parts[: 3 - c.zero], 0 * params)
    divided = sum(parts[3 - c.zero :], 0 * params)
    if c.zero:
        divided = divided / c.degree("dp")
    model_parallel = c.degree("tp") * c.degree("pp")
    return (whole + divided) / model_parallel if model_parallel != 1 else whole + divided


def _training_memory_row(row: Row, c: Convention, batch: Any) -> sympy.Expr:
    kept = batch * _activation_memory(row, c)
    tp = c.degree("tp") if c.tp != 1 else 1
    return _model_states(row, c) + (kept / tp if tp != 1 else kept)


def _held(row: Row) -> sympy.Expr:
    """Elements one node holds at once in a forward pass: its inputs and its output (for a
    repeated block, its largest node's)."""
    import sympy

    from .shapes import product

    parts = row.parts()
    if parts is None:
        return sympy.Add(*(product(s) for s in row.input_shapes or (row.input_shape,))) + product(
            row.output_shape
        )
    from .graph import Over

    held = []
    for times, rows in parts:
        for inner in rows:
            size = _held(inner)
            if isinstance(times, Over):  # copies whose input grows: the last copy is the largest
                size = size.xreplace({times.index: times.count - 1})
            held.append(size)
    return sympy.Max(*held) if held else sympy.Integer(0)


def _largest_activation(model: Any, c: Convention) -> sympy.Expr:
    """Bytes of the largest activation a forward pass holds at once: the node whose inputs and
    output are the most numbers, for the model's batch (what inference holds beyond weights and
    cache; a residual stream held across a block beside it is not counted)."""
    import sympy

    held = [_held(row) for row in model.rows]
    return model.batch * c.activation_bytes * (sympy.Max(*held) if held else 0)


def _inference_memory_row(row: Row, c: Convention, batch: Any) -> sympy.Expr:
    mixed = c.precision == "mixed"
    weights = MIXED_WEIGHT * row.params if mixed else c.tensors(row, ("trainable", "non_trainable"))
    tokens = row.measure(lambda layer, x, target: layer.kv_cache(x, target))
    return weights + c.activation_bytes * batch * tokens


def _parallel_words(c: Convention) -> str:
    if not c.parallel:
        return ""
    words = f"; per device: ZeRO-{c.zero} over {c.dp} data-parallel ranks"
    return words + f", tensor-parallel {c.tp} (weights and activations), pipeline-parallel {c.pp} (weights)"


def _kept_words(c: Convention) -> str:
    recompute = {"none": "", "full": ", each repeated block recomputed (its input kept, one copy's other activations at once)",
                 "selective": ", attention scores recomputed"}[c.recompute]  # fmt: skip
    return (
        f"bytes autograd keeps for the backward pass ({_precision_words(c)} activations, int64 indices, "
        f"float32 statistics; {c.attention} attention{recompute})"
    )


def _precision_words(c: Convention) -> str:
    return "16-bit" if c.precision == "mixed" else c.dtype


def _training_memory(convention: Convention) -> str:
    states = OPTIMIZER_STATES[convention.optimizer]
    if convention.precision == "mixed":
        held = (
            f"mixed precision: 16-bit weights (2 bytes), and per trainable parameter 16-bit and float32 "
            f"gradients (2 + 4), float32 master weights (4) and {states} float32 {convention.optimizer} state(s)"
        )
    else:
        held = (
            f"{convention.dtype}{_packed(convention)}: parameters + a gradient and {states} "
            f"{convention.optimizer} state(s) per trainable parameter"
        )
    return f"training memory in bytes, {held}, + the {_kept_words(convention)}{_parallel_words(convention)}"


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
        "activation_memory", "activation bytes", "Activation memory (bytes)", "bytes",
        lambda row, c, batch: batch * _activation_memory(row, c),
        lambda c, per: f"{_kept_words(c)}, {per}",
        "bytes autograd keeps for the backward pass",
    ),
    Cost(
        "training_memory", "bytes", "Training memory (bytes)", "bytes",
        _training_memory_row,
        lambda c, per: f"{_training_memory(c)}, {per}",
        "bytes of a training step: weights, gradients, optimizer states and activations",
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
        "inference_memory", "bytes", "Inference memory (bytes)", "bytes",
        _inference_memory_row,
        lambda c, per: (
            f"inference memory in bytes, {_precision_words(c)}: the weights, the KV cache of the "
            f"input's tokens of context, and the largest activation a forward pass holds at once "
            f"(one layer's inputs and output), {per}"
        ),
        "bytes to serve: weights, KV cache and the largest activation",
        whole=_largest_activation,
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
    rows = sympy.Add(*(entry.row(row, convention, model.batch) for row in model.rows))
    return rows + entry.whole(model, convention) if entry.whole is not None else rows


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
