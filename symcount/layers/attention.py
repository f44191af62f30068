"""Attention layers: MultiHeadAttention, GroupQueryAttention and TransformerEncoder (one block);
Keras' Attention (Luong's dot product) and AdditiveAttention (Bahdanau's), which take a query, a
value and a key of their own and have no projections.

In a Sequential model the only tensor at hand is the input, so query, key and value are all the
input of shape (T, d): T positions (any length; attention weights never depend on it) of d
features. Called on several tensors (a spec's `inputs: [query, value]`), an attention layer takes
its queries from the first and its keys and values from the others (S positions): cross-attention.
Keras lets each head's size be chosen (`key_dim`); PyTorch fixes it at d/num_heads and fuses the
three input projections into one matrix. The counts agree whenever the head sizes do, which is why
an omitted `key_dim` means d/num_heads here: the one choice both frameworks can make.

Costs: every position is projected to h heads (queries and keys of k, values of v); each of the T
queries is dotted with the S keys (S = T in self-attention, plus PyTorch's appended bias_k and
zero key) and weights
the S values, per head; then the heads are projected back. The two S-long products are what makes
attention's cost grow with T*T: 2*T*d MACs per token and layer with heads of d/h (T*S*h*k + T*S*h*v
for the sequence). Scaling the queries by 1/sqrt(k) and the softmax over each query's S scores are
extras, like the biases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from .. import rules
from ..costs import BIAS_FLOPS, MERGE_FLOPS, NORMALIZE_FLOPS, SOFTMAX_FLOPS, activation_flops
from ..errors import ShapeError, SpecError
from ..shapes import Shape, certainly_differ, format_shape, product
from ..target import Target
from ..values import as_size
from .base import (
    Layer,
    Saved,
    Weight,
    as_float,
    check_activation,
    check_choice,
    check_divisible,
    check_flag,
    keras_names,
    require_rank,
)

__all__ = [
    "MultiHeadAttention",
    "GroupQueryAttention",
    "TransformerEncoder",
    "Attention",
    "AdditiveAttention",
]

SCORE_MODES = ("dot", "concat")

# PyTorch's TransformerEncoderLayer takes only these activation names.
TORCH_ACTIVATIONS = ("relu", "gelu")


def head_size(features: sympy.Expr, heads: sympy.Expr, why: str) -> sympy.Expr:
    """d/h, PyTorch's size of each head: h must divide d (checked once both are numbers)."""
    remainder = features % heads
    if remainder.is_number and remainder != 0:
        raise ShapeError(
            f"{why}, so expected the input's last axis to be divisible by num_heads. "
            f"Received: {features} features, num_heads={heads}"
        )
    if not remainder.is_number:
        rules.note(
            "divides",
            features,
            heads,
            says=lambda v: (
                f"{why}, so expected the input's last axis to be divisible by num_heads. "
                f"Received: {v(features)} features, num_heads={v(heads)}"
            ),
        )
    return features / heads


def output_sizes(value: Any) -> tuple[sympy.Expr, ...]:
    """Keras' `output_shape` of MultiHeadAttention: one size or a non-empty list of sizes."""
    if isinstance(value, (tuple, list)):
        if not value:
            raise SpecError(f"expected a size or a non-empty list of sizes. Received: output_shape={value!r}")
        return tuple(as_size(item, "output_shape") for item in value)
    return (as_size(value, "output_shape"),)


def attention_inputs(layer: Layer, argument: Any, key_first: bool = False) -> tuple[Shape, Shape, Shape]:
    """The (query, value, key) shapes of an attention call: one shape is self-attention; several
    are Keras' call order `layer(query, value, key)`, the key defaulting to the value, or with
    `key_first` PyTorch's `forward(query, key, value)`, the value defaulting to the key. Each is
    (positions, features); key and value have the same number of positions."""
    shapes: tuple[Shape, ...] = argument if argument and isinstance(argument[0], tuple) else (argument,)
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    key = shapes[2] if len(shapes) > 2 else value
    if key_first:
        key, value = value, key
    for shape in (query, value, key):
        require_rank(layer, shape, rank=2)
    if certainly_differ(key[0], value[0]):
        raise ShapeError(
            f"the key and the value need as many positions. Received: key {format_shape(key)}, "
            f"value {format_shape(value)}"
        )
    return query, value, key


def kept_by_attention(
    steps: sympy.Expr,
    sources: sympy.Expr,
    d: sympy.Expr,
    attended: sympy.Expr,
    heads: sympy.Expr,
    dropout: float,
    attention: str,
) -> tuple[tuple[sympy.Expr, str], ...]:
    """What PyTorch's multi-head attention keeps besides its input, for T queries of d features
    attending to S' keys (S source positions) in h heads: the projected queries, keys and values
    (one tensor, 3*T*d, in self-attention), the heads' output for out_proj's gradient (T*d), and
    what the kernel keeps. Eager (need_weights=True, nn.MultiheadAttention's default): the scaled
    queries (T*d) and the probabilities (h*T*S'), with dropout also its noise and the dropped
    probabilities. SDPA (need_weights=False, as nn.TransformerEncoderLayer calls it): without
    dropout the fused kernel's log-sum-exp per query and head (h*T, float32); with dropout the
    math kernel, which scales queries and keys (2*T*d) and keeps the eager probabilities, noise
    and dropped probabilities. Tensors of h*T*S' numbers are "scores": what selective
    recomputation recomputes."""
    projected = steps * d + 2 * sources * d
    scores = heads * steps * attended
    dropped = ((scores, "scores"), (scores, "scores")) if dropout > 0 else ()
    if attention == "sdpa" and dropout == 0:
        kernel: tuple[tuple[sympy.Expr, str], ...] = ((heads * steps, "stat"),)
    else:
        scaled = 2 * steps * d if attention == "sdpa" else steps * d
        kernel = ((scaled, "float"), (scores, "scores"), *dropped)
    return ((projected, "float"), *kernel, (steps * d, "float"))


def kept_by_hugging_face(
    projected: tuple[sympy.Expr, ...],
    repeated: tuple[sympy.Expr, ...],
    scores: sympy.Expr,
    rows: sympy.Expr,
    dropout: float,
    attention: str,
    fused: bool = True,
) -> tuple[tuple[sympy.Expr, str], ...]:
    """What Hugging Face's attention keeps besides its input, from the sizes of the queries, keys,
    values and output (`projected`: as projected; `repeated`: as each query head sees them, the
    key/value heads repeated for grouped-query attention), the scores (h*T*S') and the rows of
    scores (h*T). `fused` is GPT-2's (one projection for q, k, v); Llama's (not fused) also
    takes its softmax in float32. Eager: the queries, keys and values as the batched products read them (copies
    of the heads' views, for a batch of more than one), the probabilities (with dropout also its
    noise and the dropped probabilities) and the heads' output. SDPA without dropout: the
    queries, keys and values, the output and a log-sum-exp per row (float32); when the queries,
    keys and values are views of one fused projection (GPT-2's c_attn), that projection and
    contiguous copies of the queries and keys."""
    q, k, v, out = projected
    if attention == "sdpa" and dropout == 0:
        inputs = (q + k + v, repeated[0] + repeated[1]) if fused else (q, k, v)
        return (*((size, "float") for size in inputs), (out, "float"), (rows, "stat"))
    noise = ((scores, "scores"), (scores, "scores")) if dropout > 0 else ()
    copies = tuple((size, "float") for size in repeated[:3])
    if fused:
        return (*copies, (scores, "scores"), *noise, (out, "float"))
    # Llama's softmax runs in float32 and its probabilities are cast back to the dtype.
    return (*copies, (scores, "scores32"), (scores, "scores_cast"), *noise, (out, "float"))


@dataclass(frozen=True)
class MultiHeadAttention(Layer):
    """Multi-head attention: self-attention on one input (T, d), or cross-attention when called on
    a query (T, d) and a value (S, d_v) (and a key (S, d_k), by default the value), as Keras'
    `layer(query, value, key)`; a spec writes `inputs: [query, value]`.

    Keras: a query kernel (d, h, key_dim), a key kernel (d_k, h, key_dim), a value kernel
    (d_v, h, value_dim), each with an (h, size) bias, and an output kernel (h, value_dim, *output)
    with an (*output,) bias; the output is d wide (the query's) unless `output_shape` says
    otherwise (in Python `output_dims`, since `output_shape` is every layer's method; a spec
    writes Keras' name, and messages use it).
    `use_gate` adds Keras' gate projection of the query, shaped as value's. PyTorch
    (`framework="torch"`): head size d/h, in_proj (3d, d) + 3d (separate q/k/v weights (d, d),
    (d, d_k), (d, d_v) when the key or value is narrower or wider) and out_proj d*d + d, plus
    `add_bias_kv`'s two (1, 1, d) biases. `key_channels`/`value_channels` (PyTorch's kdim/vdim) are
    the key's and value's widths, checked against the inputs.

    Example:
        >>> from symcount import Input, Model, MultiHeadAttention, Sequential, symbols
        >>> T, S, d, e, h, k = symbols("T S d e h k")
        >>> Sequential(Input(T, d), MultiHeadAttention(h, k)).params
        4*d*h*k + d + 3*h*k
        >>> Sequential(Input(T, d), MultiHeadAttention(h), framework="torch").params
        4*d**2 + 4*d
        >>> query, memory = Input(T, d), Input(S, e)
        >>> Model([query, memory], MultiHeadAttention(h, k)([query, memory])).params
        2*d*h*k + d + 2*e*h*k + 3*h*k
    """

    keras_positional = keras_names(
        "num_heads key_dim value_dim dropout use_bias output_shape attention_axes sliding_window flash_attention kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint use_gate seed"
    )

    rules_noted = True

    num_heads: Any
    key_dim: Any = None
    value_dim: Any = None
    dropout: Any = 0.0
    use_bias: bool = True
    output_dims: Any = None
    use_gate: bool = field(default=False, kw_only=True)
    add_bias_kv: bool = field(default=False, kw_only=True)
    add_zero_attn: bool = field(default=False, kw_only=True)
    batch_first: bool = field(default=False, kw_only=True)
    key_channels: Any = field(default=None, kw_only=True)
    value_channels: Any = field(default=None, kw_only=True)
    # T5's relative position bias: a learned bias per (distance bucket, head), added to the scores.
    relative_attention_buckets: Any = field(default=None, kw_only=True)

    most_inputs = 3
    sizes = (
        "num_heads",
        "key_dim",
        "value_dim",
        "key_channels",
        "value_channels",
        "relative_attention_buckets",
    )
    example_args = {"num_heads": "h", "key_dim": "k"}
    example_input = ("T", "d")
    derivation = (
        "query and key map d features to h heads of k (d*h*k + h*k each), value to h heads of v "
        "(v = k by default), and the output maps h*v back to d (h*v*d + d); in cross-attention the "
        "key and value kernels take the key's and value's widths instead of d"
    )
    torch_difference = (
        "PyTorch fixes the head size at d/h (h must divide d) and fuses query, key and value: "
        "in_proj 3*d*d + 3*d and out_proj d*d + d, Keras' count with key_dim = d/h"
    )
    elsewhere = {
        "num_key_value_heads": "key/value heads shared by groups of query heads are group_query_attention's",
        "num_query_heads": "group_query_attention's; here it is num_heads",
        "head_dim": "group_query_attention's; here it is key_dim",
    }
    torch_name = "multihead_attention"
    torch_args = {
        "embed_dim": "channels_in", "bias": "use_bias", "kdim": "key_channels", "vdim": "value_channels",
    }  # fmt: skip
    aliases = {"output_shape": "output_dims"}
    torch_positional = (
        "embed_dim", "num_heads", "dropout", "bias", "add_bias_kv", "add_zero_attn", "kdim", "vdim", "batch_first",
    )  # fmt: skip
    torch_defaults = {
        "dropout": 0.0, "bias": True, "add_bias_kv": False, "add_zero_attn": False, "kdim": None, "vdim": None,
        "batch_first": False,
    }  # fmt: skip

    def validate(self) -> None:
        self._set("dropout", as_float(self.dropout, "dropout"))
        if self.output_dims is not None:
            self._set("output_dims", output_sizes(self.output_dims))

    def inputs(self, argument: Any, target: Target) -> tuple[Shape, Shape, Shape]:
        """(query, value, key): called on several tensors, Keras' order is (query, value, key)
        and PyTorch's (query, key, value)."""
        return attention_inputs(self, argument, key_first=target.torch)

    def widths(self, argument: Any, target: Target) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
        """The query's, key's and value's widths, after checking ranks and stated widths."""
        query, value, key = self.inputs(argument, target)
        for what, given, width in (
            ("key_channels", self.key_channels, key[-1]),
            ("value_channels", self.value_channels, value[-1]),
        ):
            if given is not None and certainly_differ(given, width):
                raise ShapeError(f"the {what[:-9]} is {width} features wide. Received: {what}={given}")
        return query[-1], key[-1], value[-1]

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        query, _, _ = self.inputs(input_shape, target)
        self.widths(input_shape, target)
        return (query[0], *(self.output_dims or (query[-1],)))

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        widths = self.widths(input_shape, target)
        relative: tuple[Weight, ...] = ()
        if self.relative_attention_buckets is not None:
            name = "relative_attention_bias.weight" if target.torch else "relative_attention_bias"
            relative = (self.weight(name, (self.relative_attention_buckets, self.num_heads)),)
        if target.torch:
            return self.torch_weights(*widths) + relative
        if self.add_bias_kv:
            raise SpecError(
                "add_bias_kv is PyTorch's (bias_k, bias_v); Keras' MultiHeadAttention has no such "
                "weights. Received: add_bias_kv=True under framework 'keras'"
            )
        return self.keras_weights(*widths) + relative

    def keras_weights(self, features: sympy.Expr, keys: sympy.Expr, values: sympy.Expr) -> tuple[Weight, ...]:
        key_dim = self.key_dim
        if key_dim is None:
            key_dim = head_size(features, self.num_heads, "without key_dim each head is d/num_heads wide")
        value_dim = self.value_dim if self.value_dim is not None else key_dim
        output = self.output_dims or (features,)
        projections = [("query", features, key_dim), ("key", keys, key_dim), ("value", values, value_dim)]
        if self.use_gate:
            projections.append(("gate", features, value_dim))
        weights = []
        for name, width, size in projections:
            weights.append(self.weight(f"{name}/kernel", (width, self.num_heads, size)))
            if self.use_bias:
                weights.append(self.weight(f"{name}/bias", (self.num_heads, size)))
        weights.append(self.weight("attention_output/kernel", (self.num_heads, value_dim, *output)))
        if self.use_bias:
            weights.append(self.weight("attention_output/bias", output))
        return tuple(weights)

    def torch_weights(self, features: sympy.Expr, keys: sympy.Expr, values: sympy.Expr) -> tuple[Weight, ...]:
        if self.use_gate:
            raise SpecError(
                "use_gate is Keras' gated attention; PyTorch's MultiheadAttention has no gate. "
                "Received: use_gate=True under framework 'torch'"
            )
        head = head_size(features, self.num_heads, "PyTorch splits embed_dim among the heads")
        for what, value in (("key_dim", self.key_dim), ("value_dim", self.value_dim)):
            if value is not None and certainly_differ(value, head):
                raise SpecError(
                    f"PyTorch's heads are embed_dim/num_heads = {head} wide. Received: {what}={value}"
                )
        if self.output_dims is not None and (
            len(self.output_dims) != 1 or certainly_differ(self.output_dims[0], features)
        ):
            raise SpecError(
                f"PyTorch's MultiheadAttention returns embed_dim = {features} features. "
                f"Received: output_shape={format_shape(self.output_dims)}"
            )
        if sympy.expand(keys - features) == 0 and sympy.expand(values - features) == 0:
            weights = [self.weight("in_proj_weight", (3 * features, features))]
        else:  # kdim or vdim differ from embed_dim: three separate projections
            weights = [
                self.weight(f"{name}_proj_weight", (features, width))
                for name, width in (("q", features), ("k", keys), ("v", values))
            ]
        if self.use_bias:
            weights.append(self.weight("in_proj_bias", (3 * features,)))
        if self.add_bias_kv:
            one = sympy.Integer(1)
            weights.append(self.weight("bias_k", (one, one, features)))
            weights.append(self.weight("bias_v", (one, one, features)))
        weights.append(self.weight("out_proj.weight", (features, features)))
        if self.use_bias:
            weights.append(self.weight("out_proj.bias", (features,)))
        return tuple(weights)

    def head_sizes(self, input_shape: Any, target: Target) -> tuple[sympy.Expr, ...]:
        """(T, S, d, d_k, d_v, k, v, o, S'): query and key/value positions, the three widths, key
        and value head sizes, output width, and keys per query (S plus PyTorch's extras)."""
        query, value, _ = self.inputs(input_shape, target)
        features, keys, values = self.widths(input_shape, target)
        self.weights(input_shape, target)  # the same checks as the weights (head sizes, options)
        if target.torch:
            key_dim = value_dim = features / self.num_heads
        else:
            key_dim = self.key_dim if self.key_dim is not None else features / self.num_heads
            value_dim = self.value_dim if self.value_dim is not None else key_dim
        outputs = product(self.output_dims or (features,))
        # PyTorch appends bias_k/bias_v and then a zero key and value to the key/value sequence.
        attended = value[0] + int(self.add_bias_kv) + int(self.add_zero_attn)
        return query[0], value[0], features, keys, values, key_dim, value_dim, outputs, attended

    def macs(self, input_shape: Any, target: Target) -> sympy.Expr:
        # T queries projected from d (d*h*k each, and Keras' gate, d*h*v); S keys from d_k and S
        # values from d_v; per head, T queries times S' keys (k each) and T weightings of S'
        # values (v each); the output maps h*v to o per query position.
        steps, sources, d, dk, dv, k, v, o, attended = self.head_sizes(input_shape, target)
        h = self.num_heads
        projections = steps * d * h * (k + (v if self.use_gate else 0)) + sources * h * (dk * k + dv * v)
        return projections + steps * attended * h * (k + v) + steps * h * v * o

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        # Biases of the projections (h*k per query, h*(k + v) per key/value position, the gate's
        # h*v and the output's o per query), the queries scaled by 1/sqrt(k), a softmax over each
        # of the T*h rows of S' scores, and Keras' gate: a sigmoid and a product per element of
        # the h*v attended values.
        steps, sources, _, _, _, k, v, o, attended = self.head_sizes(input_shape, target)
        h = self.num_heads
        gated = v if self.use_gate else 0
        per_query, per_source = h * (k + gated) + o, h * (k + v)
        biases = BIAS_FLOPS * (steps * per_query + sources * per_source) if self.use_bias else 0
        scale = BIAS_FLOPS * steps * h * k
        softmax = SOFTMAX_FLOPS * steps * h * attended
        gate = activation_flops("sigmoid", steps * h * gated) + MERGE_FLOPS * steps * h * gated
        relative = BIAS_FLOPS * steps * h * attended if self.relative_attention_buckets is not None else 0
        return biases + scale + softmax + gate + relative

    def kv_cache(self, input_shape: Any, target: Target) -> sympy.Expr:
        # The keys and values of the S tokens of context: h heads of k and of v numbers per token
        # (PyTorch's bias_k/bias_v are parameters and its zero attention a constant: not cached).
        _, sources, _, _, _, k, v, _, _ = self.head_sizes(input_shape, target)
        return sources * self.num_heads * (k + v)

    def saved(self, input_shape: Any, target: Target, attention: str = "eager") -> Saved:
        # Under PyTorch's spelling, nn.MultiheadAttention (see kept_by_attention), its queries
        # from the first input and keys and values from the last; under Keras', what Hugging
        # Face's attention (GPT-2's, BERT's) keeps (see kept_by_hugging_face).
        steps, sources, d, _, _, k, v, _, attended = self.head_sizes(input_shape, target)
        h = self.num_heads
        if target.torch:
            extra = kept_by_attention(steps, sources, d, attended, h, self.dropout, attention)
        else:
            sizes = (steps * h * k, sources * h * k, sources * h * v, steps * h * v)
            extra = kept_by_hugging_face(
                sizes, sizes, h * steps * attended, h * steps, self.dropout, attention
            )
        many = len(input_shape) if input_shape and isinstance(input_shape[0], tuple) else 1
        return Saved(("float",) * many, extra=extra, weights_only=(True,) * many)

    def describe(self) -> str:
        size = f", key_dim={self.key_dim}" if self.key_dim is not None else ""
        return f"MultiHeadAttention({self.num_heads} heads{size})"


@dataclass(frozen=True)
class GroupQueryAttention(Layer):
    """Grouped-query attention (Keras' GroupQueryAttention; Hugging Face's Llama, Mistral and
    Qwen2 attention): h query heads share kv key/value heads, each head `head_dim` wide (which
    need not be d/h). kv = h is multi-head attention, kv = 1 multi-query attention. Called on one
    input (self-attention) or on a query and a value (and a key), as MultiHeadAttention.

    Keras: query kernel (d, h, hd), key (d_k, kv, hd), value (d_v, kv, hd), output (h, hd, d),
    biases (h, hd), (kv, hd), (kv, hd), (d,). PyTorch (`framework="torch"`, Hugging Face's names):
    q_proj (h*hd, d), k_proj and v_proj (kv*hd, d), o_proj (d, h*hd). `use_bias` switches every
    bias; `output_bias` (default: as use_bias) the output projection's alone: Qwen2 biases q, k
    and v but not o. A `sliding_window` of W (Mistral's) changes no weight and no product (the
    scores outside the window are masked, not skipped), only the KV cache: W - 1 tokens at most.

    Example:
        >>> from symcount import Input, Sequential, GroupQueryAttention, symbols
        >>> T, d, h, kv = symbols("T d h kv")
        >>> Sequential(Input(T, d), GroupQueryAttention(d / h, h, kv, use_bias=False)).params
        2*d**2 + 2*d**2*kv/h
    """

    keras_positional = keras_names(
        "head_dim num_query_heads num_key_value_heads dropout use_bias sliding_window flash_attention kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint use_gate seed"
    )

    head_dim: Any
    num_query_heads: Any
    num_key_value_heads: Any
    dropout: Any = 0.0
    use_bias: bool = True
    sliding_window: Any = None
    output_bias: bool | None = field(default=None, kw_only=True)
    use_gate: bool = field(default=False, kw_only=True)
    # Biases per projection where a model mixes them: Whisper biases q, v and o but not k
    # (`key_bias: false`); None follows use_bias.
    key_bias: bool | None = field(default=None, kw_only=True)
    # T5's relative position bias: a learned (buckets, heads) table added to the scores.
    relative_attention_buckets: Any = field(default=None, kw_only=True)
    # RMS norms of the queries and keys before the product (Hugging Face's q_norm and k_norm, a
    # scale each): "head", over each head's hd features (Qwen3's, Gemma 3's); "all", over each
    # projection's features, h*hd and kv*hd (OLMo 2's).
    qk_norm: str | None = field(default=None, kw_only=True)

    most_inputs = 3
    sizes = (
        "head_dim",
        "num_query_heads",
        "num_key_value_heads",
        "sliding_window",
        "relative_attention_buckets",
    )
    example_args = {"head_dim": "k", "num_query_heads": "h", "num_key_value_heads": "g"}
    example_input = ("T", "d")
    derivation = (
        "the query maps d features to h heads of k (d*h*k + h*k), key and value to g heads of k "
        "each (d*g*k + g*k), and the output maps h*k back to d (h*k*d + d)"
    )
    torch_counterpart = "Hugging Face's LlamaAttention, MistralAttention, Qwen2Attention"
    elsewhere = {
        "num_heads": "multi_head_attention's; here num_query_heads and num_key_value_heads",
        "key_dim": "multi_head_attention's; here it is head_dim",
    }

    def validate(self) -> None:
        self._set("dropout", as_float(self.dropout, "dropout"))
        for name in ("output_bias", "key_bias"):
            if getattr(self, name) is not None:
                check_flag(getattr(self, name), name)
        check_divisible(
            "num_query_heads", self.num_query_heads, "num_key_value_heads", self.num_key_value_heads
        )
        if self.qk_norm is not None:
            check_choice(self.qk_norm, "qk_norm", ("head", "all"))

    @property
    def biased_output(self) -> bool:
        return self.use_bias if self.output_bias is None else self.output_bias

    @property
    def biased_key(self) -> bool:
        return self.use_bias if self.key_bias is None else self.key_bias

    def inputs(self, input_shape: Any, target: Target) -> tuple[Shape, Shape, Shape]:
        """(query, value, key), checked: Keras' layer wants the value as wide as the query."""
        query, value, key = attention_inputs(self, input_shape)
        if target.keras and certainly_differ(query[-1], value[-1]):
            raise ShapeError(
                f"Keras' GroupQueryAttention needs the value as wide as the query. Received: query "
                f"{format_shape(query)}, value {format_shape(value)}"
            )
        return query, value, key

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        return self.inputs(input_shape, target)[0]

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        query, value, key = self.inputs(input_shape, target)
        d, hd, h, kv = query[-1], self.head_dim, self.num_query_heads, self.num_key_value_heads
        projections = [("query", "q", d, h), ("key", "k", key[-1], kv), ("value", "v", value[-1], kv)]
        if self.use_gate:
            if target.torch:
                raise SpecError("use_gate is Keras' gated attention. Received: use_gate=True under 'torch'")
            projections.append(("gate", "g", d, h))
        weights = []
        for name, short, width, heads in projections:
            biased = self.biased_key if name == "key" else self.use_bias
            if target.torch:
                weights.append(self.weight(f"{short}_proj.weight", (heads * hd, width)))
                if biased:
                    weights.append(self.weight(f"{short}_proj.bias", (heads * hd,)))
            else:
                weights.append(self.weight(f"{name}/kernel", (width, heads, hd)))
                if biased:
                    weights.append(self.weight(f"{name}/bias", (heads, hd)))
        if target.torch:
            weights.append(self.weight("o_proj.weight", (d, h * hd)))
            if self.biased_output:
                weights.append(self.weight("o_proj.bias", (d,)))
        else:
            weights.append(self.weight("attention_output/kernel", (h, hd, d)))
            if self.biased_output:
                weights.append(self.weight("attention_output/bias", (d,)))
        if self.relative_attention_buckets is not None:
            name = "relative_attention_bias.weight" if target.torch else "relative_attention_bias"
            weights.append(self.weight(name, (self.relative_attention_buckets, h)))
        if self.qk_norm is not None:
            widths = (hd, hd) if self.qk_norm == "head" else (h * hd, kv * hd)
            names = (
                ("q_norm.weight", "k_norm.weight") if target.torch else ("query_norm/scale", "key_norm/scale")
            )
            weights.extend(self.weight(name, (width,)) for name, width in zip(names, widths))
        return tuple(weights)

    def macs(self, input_shape: Any, target: Target) -> sympy.Expr:
        # T queries projected from d to h heads of hd (and Keras' gate); S keys and S values to kv
        # heads of hd; per query head, T queries times S keys and T weightings of S values (hd
        # each: sharing a key/value head saves projections and cache, not these products); the
        # output maps h*hd back to d per query position.
        query, value, key = attention_inputs(self, input_shape)
        steps, sources, d = query[0], value[0], query[-1]
        hd, h, kv = self.head_dim, self.num_query_heads, self.num_key_value_heads
        queries = steps * d * h * hd * (2 if self.use_gate else 1)
        keys_values = sources * kv * hd * (key[-1] + value[-1])
        return queries + keys_values + 2 * steps * sources * h * hd + steps * h * hd * d

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        # Biases (h*hd per query, 2*kv*hd per key/value position, d per output), the queries
        # scaled by 1/sqrt(hd), a softmax over each of the T*h rows of S scores, and Keras' gate:
        # a sigmoid and a product per attended value.
        query, value, _ = attention_inputs(self, input_shape)
        steps, sources, d = query[0], value[0], query[-1]
        hd, h, kv = self.head_dim, self.num_query_heads, self.num_key_value_heads
        gated = h * hd if self.use_gate else 0
        per_source = kv * hd * (int(self.use_bias) + int(self.biased_key))
        biases = BIAS_FLOPS * (steps * (h * hd + gated) * int(self.use_bias) + sources * per_source)
        output = BIAS_FLOPS * steps * d if self.biased_output else 0
        gate = activation_flops("sigmoid", steps * gated) + MERGE_FLOPS * steps * gated
        # T5's relative position bias: one add per score.
        relative = BIAS_FLOPS * steps * h * sources if self.relative_attention_buckets is not None else 0
        scores = BIAS_FLOPS * steps * h * hd + SOFTMAX_FLOPS * steps * h * sources
        # The queries' and keys' norms: each of their numbers normalized, then scaled.
        normed = (NORMALIZE_FLOPS + 1) * (steps * h + sources * kv) * hd if self.qk_norm is not None else 0
        return biases + output + scores + gate + relative + normed

    def kv_cache(self, input_shape: Any, target: Target) -> sympy.Expr:
        # The keys and values of the S tokens of context: kv heads (not h) of hd numbers each. A
        # sliding window of W keeps only the W - 1 tokens before the current one, which with it
        # make the window (what Hugging Face's sliding-window cache holds between steps).
        _, value, _ = attention_inputs(self, input_shape)
        tokens = value[0] if self.sliding_window is None else sympy.Min(value[0], self.sliding_window - 1)
        return 2 * tokens * self.num_key_value_heads * self.head_dim

    def saved(self, input_shape: Any, target: Target, attention: str = "eager") -> Saved:
        # Hugging Face's LlamaAttention (Mistral's, Qwen2's): the input (for the projections'
        # gradients), then, eager, the rotated queries, the key/value heads repeated for each
        # query head, the probabilities and the heads' output; SDPA, the rotated queries and
        # keys, the values as projected, the output and a log-sum-exp per query and head.
        query, value, _ = attention_inputs(self, input_shape)
        steps, sources = query[0], value[0]
        hd, h, kv = self.head_dim, self.num_query_heads, self.num_key_value_heads
        projected = (steps * h * hd, sources * kv * hd, sources * kv * hd, steps * h * hd)
        repeated = (steps * h * hd, sources * h * hd, sources * h * hd, steps * h * hd)
        extra = kept_by_hugging_face(
            projected, repeated, h * steps * sources, h * steps, self.dropout, attention, fused=False
        )
        many = len(input_shape) if input_shape and isinstance(input_shape[0], tuple) else 1
        return Saved(("float",) * many, extra=extra, weights_only=(True,) * many)

    def describe(self) -> str:
        return f"GroupQueryAttention({self.num_query_heads} heads, {self.num_key_value_heads} key/value)"


@dataclass(frozen=True)
class TransformerEncoder(Layer):
    """One Transformer encoder block on (T, d), as PyTorch's TransformerEncoderLayer.

    Self-attention with h heads of d/h, then a feed-forward network d -> intermediate_dim -> d,
    each followed (or, with `normalize_first`, preceded) by a LayerNorm. Under Keras it is the same
    block built from MultiHeadAttention(h, d/h), two Dense layers and two LayerNormalization
    layers (keras_hub's TransformerEncoder, whose argument names these are). `use_bias=False`
    drops every bias, the LayerNorms' shifts included. Where the norms sit changes no count.

    Example:
        >>> from symcount import Input, Sequential, TransformerEncoder, symbols
        >>> T, d, h, f = symbols("T d h f")
        >>> Sequential(Input(T, d), TransformerEncoder(h, f)).params
        4*d**2 + 2*d*f + 9*d + f
    """

    num_heads: Any
    intermediate_dim: Any = 2048
    dropout: Any = 0.0
    activation: str = "relu"
    layer_norm_epsilon: Any = 1e-5
    normalize_first: bool = False
    use_bias: bool = True
    batch_first: bool = field(default=False, kw_only=True)

    sizes = ("num_heads", "intermediate_dim")
    example_args = {"num_heads": "h", "intermediate_dim": "f"}
    example_input = ("T", "d")
    derivation = (
        "self-attention with h heads of d/h (4*d^2 + 4*d), a feed-forward d -> f -> d "
        "(d*f + f + f*d + d) and two LayerNorms (2*d each)"
    )
    torch_name = "transformer_encoder_layer"
    torch_args = {
        "d_model": "channels_in", "nhead": "num_heads", "dim_feedforward": "intermediate_dim",
        "bias": "use_bias", "norm_first": "normalize_first", "layer_norm_eps": "layer_norm_epsilon",
    }  # fmt: skip
    torch_positional = (
        "d_model", "nhead", "dim_feedforward", "dropout", "activation", "layer_norm_eps", "batch_first",
        "norm_first", "bias",
    )  # fmt: skip
    torch_defaults = {
        "dim_feedforward": 2048, "dropout": 0.1, "activation": "relu", "layer_norm_eps": 1e-5,
        "batch_first": False, "norm_first": False, "bias": True,
    }  # fmt: skip
    torch_lone = "nhead"

    def validate(self) -> None:
        self._set("dropout", as_float(self.dropout, "dropout"))
        self._set("layer_norm_epsilon", as_float(self.layer_norm_epsilon, "layer_norm_epsilon"))
        check_activation(self.activation)

    def attention(self) -> MultiHeadAttention:
        """The block's self-attention: heads of d/h, biases as the block's."""
        return MultiHeadAttention(self.num_heads, use_bias=self.use_bias, trainable=self.trainable)

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=2)
        return input_shape

    def check_framework(self, input_shape: Shape, target: Target) -> None:
        require_rank(self, input_shape, rank=2)
        if target.torch and self.activation not in TORCH_ACTIVATIONS:
            raise SpecError(
                f"PyTorch's TransformerEncoderLayer takes activation 'relu' or 'gelu'. "
                f"Received: activation={self.activation!r}"
            )

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        self.check_framework(input_shape, target)
        d, f = input_shape[-1], self.intermediate_dim
        torch = target.torch
        # (name, shape, is a bias): PyTorch's Linear weight is (out, in), Keras' Dense kernel (in, out).
        parts = [
            ("linear1.weight", (f, d), False) if torch else ("intermediate_dense/kernel", (d, f), False),
            ("linear1.bias" if torch else "intermediate_dense/bias", (f,), True),
            ("linear2.weight", (d, f), False) if torch else ("output_dense/kernel", (f, d), False),
            ("linear2.bias" if torch else "output_dense/bias", (d,), True),
        ]
        for norm in ("norm1", "norm2") if torch else ("attention_norm", "feedforward_norm"):
            parts.append((f"{norm}.weight" if torch else f"{norm}/gamma", (d,), False))
            parts.append((f"{norm}.bias" if torch else f"{norm}/beta", (d,), True))
        prefix = "self_attn." if torch else "self_attention/"
        attention = tuple(
            Weight(prefix + w.name, w.shape, w.kind) for w in self.attention().weights(input_shape, target)
        )
        rest = tuple(self.weight(name, shape) for name, shape, bias in parts if self.use_bias or not bias)
        return attention + rest

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The self-attention, then the feed-forward d -> f -> d at each of the T positions.
        self.check_framework(input_shape, target)
        steps, d = input_shape
        return self.attention().macs(input_shape, target) + steps * 2 * d * self.intermediate_dim

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The attention's extras; the feed-forward's biases (f + d) and activation (f) per position;
        # two residual adds and two LayerNorms (standardise, scale, and shift with biases) of T*d.
        self.check_framework(input_shape, target)
        steps, d = input_shape
        f = self.intermediate_dim
        biases = BIAS_FLOPS * steps * (f + d) if self.use_bias else 0
        norms = 2 * steps * d * (NORMALIZE_FLOPS + BIAS_FLOPS * (1 + int(self.use_bias)))
        residuals = MERGE_FLOPS * 2 * steps * d
        feed_forward = biases + activation_flops(self.activation, steps * f)
        return self.attention().extra_flops(input_shape, target) + feed_forward + residuals + norms

    def kv_cache(self, input_shape: Shape, target: Target) -> sympy.Expr:
        self.check_framework(input_shape, target)
        return self.attention().kv_cache(input_shape, target)

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # As nn.TransformerEncoderLayer keeps it in training: its self-attention through SDPA
        # (it asks for no weights) with dropout p; a noise tensor after the attention, after the
        # activation and after the feed-forward when p > 0; each LayerNorm its input and two
        # numbers per position; linear1 its input; the activation its output (relu) or input
        # (gelu); linear2 its input (the dropped activations, or gelu's output, or relu's, kept
        # already). Where the norms sit moves which tensor is kept, not how many.
        self.check_framework(input_shape, target)
        steps, d = input_shape
        f, p = self.intermediate_dim, self.dropout
        noise = p > 0
        extra = list(kept_by_attention(steps, steps, d, steps, self.num_heads, p, "sdpa"))
        norms = [(steps * d, "float"), (2 * steps, "stat")] * 2
        activated = [(steps * f, "float")]
        into_linear2 = [(steps * f, "float")] if noise or self.activation != "relu" else []
        dropouts = [(steps * d, "float"), (steps * f, "float"), (steps * d, "float")] if noise else []
        extra += [*norms, (steps * d, "float"), *activated, *into_linear2, *dropouts]
        return Saved(("float",), extra=tuple(extra))

    def describe(self) -> str:
        return f"TransformerEncoder({self.num_heads} heads, {self.intermediate_dim} wide)"


@dataclass(frozen=True)
class _KerasAttention(Layer):
    """Attention without projections, on Keras' `[query, value]` or `[query, value, key]`: each of
    the T queries scores the S keys (d features each, as many as the query's), a softmax turns the
    scores into weights, and the output is the weighted sum of the S values, (T, d_v). Its only
    weights are scalars (or one per feature) that scale the scores."""

    rules_noted = True

    merges = True
    example_input = ("T", "d")
    derivation = "no weights but a learned scale: queries score keys, the scores weight the values"

    def shapes(self, input_shape: Any) -> tuple[Shape, Shape, Shape]:
        shapes: tuple[Shape, ...] = input_shape
        if not 2 <= len(shapes) <= 3:
            raise ShapeError(
                f"{type(self).__name__} takes [query, value] or [query, value, key]. Received: {len(shapes)} inputs"
            )
        query, value, key = attention_inputs(self, shapes)
        if certainly_differ(query[-1], key[-1]):
            raise ShapeError(
                f"the query and the key need as many features. Received: query {format_shape(query)}, "
                f"key {format_shape(key)}"
            )
        return query, value, key

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        query, value, _ = self.shapes(input_shape)
        return (query[0], value[-1])

    def macs(self, input_shape: Any, target: Target) -> sympy.Expr:
        # The weighted sum of the values: T x S weights times S x d_v values; the dot scores add
        # T x S x d (`scores_macs`).
        query, value, key = self.shapes(input_shape)
        return query[0] * key[0] * value[-1] + self.scores_macs(query, key)

    def scores_macs(self, query: Shape, key: Shape) -> sympy.Expr:
        return sympy.Integer(0)

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        # The softmax over each query's S scores; the elementwise scoring (`scores_flops`).
        query, _, key = self.shapes(input_shape)
        scores = query[0] * key[0]
        return SOFTMAX_FLOPS * scores + self.scores_flops(scores, query[-1])

    def scores_flops(self, scores: sympy.Expr, features: sympy.Expr) -> sympy.Expr:
        return sympy.Integer(0)


@dataclass(frozen=True)
class Attention(_KerasAttention):
    """Keras' Attention: scores are query . key (`dot`), times a learned scalar `scale` if
    `use_scale`; or (`concat`) the sum over features of tanh(query + key), times a learned scalar."""

    use_scale: bool = False
    score_mode: str = "dot"
    dropout: Any = 0.0
    seed: Any = None

    def validate(self) -> None:
        check_choice(self.score_mode, "score_mode", SCORE_MODES)
        self._set("dropout", as_float(self.dropout, "dropout"))

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        self.shapes(input_shape)
        found = (self.weight("scale", ()),) if self.use_scale else ()
        return (*found, self.weight("concat_score_weight", ())) if self.score_mode == "concat" else found

    def scores_macs(self, query: Shape, key: Shape) -> sympy.Expr:
        # dot: each of the T x S scores a d-long dot product; concat scores elementwise (extras).
        return query[0] * key[0] * query[-1] if self.score_mode == "dot" else sympy.Integer(0)

    def scores_flops(self, scores: sympy.Expr, features: sympy.Expr) -> sympy.Expr:
        # dot: the scale's multiply per score; concat: per score and feature a sum, a tanh and
        # the sum over features, then the weight's multiply per score.
        scaled = scores if self.use_scale else 0
        if self.score_mode == "dot":
            return scaled + 0 * scores
        return 3 * scores * features + scores + scaled


@dataclass(frozen=True)
class AdditiveAttention(_KerasAttention):
    """Keras' AdditiveAttention: scores are the sum over features of scale * tanh(query + key),
    with a learned `scale` per feature if `use_scale`."""

    use_scale: bool = True
    dropout: Any = 0.0

    def validate(self) -> None:
        self._set("dropout", as_float(self.dropout, "dropout"))

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        query, _, _ = self.shapes(input_shape)
        return (self.weight("scale", (query[-1],)),) if self.use_scale else ()

    def scores_flops(self, scores: sympy.Expr, features: sympy.Expr) -> sympy.Expr:
        # Per score and feature: the sum q + k, the tanh, the scale's multiply, the sum over features.
        return (4 if self.use_scale else 3) * scores * features
