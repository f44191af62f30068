"""Attention layers: MultiHeadAttention and TransformerEncoder (one encoder block), as self-attention.

In a Sequential model the only tensor at hand is the input, so query, key and value are all the
input of shape (T, d): T positions (any length; attention weights never depend on it) of d features.
Keras lets each head's size be chosen (`key_dim`); PyTorch fixes it at d/num_heads and fuses the
three input projections into one matrix. The counts agree whenever the head sizes do, which is why
an omitted `key_dim` means d/num_heads here: the one choice both frameworks can make.

Costs: every position is projected to h heads (queries and keys of k, values of v); each of the T
queries is dotted with the S keys (S = T, plus PyTorch's appended bias_k and zero key) and weights
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
from .base import Layer, Weight, as_float, check_activation, require_rank

__all__ = ["MultiHeadAttention", "TransformerEncoder"]

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
        rules.note("divides", features, heads)
    return features / heads


def output_sizes(value: Any) -> tuple[sympy.Expr, ...]:
    """Keras' `output_shape` of MultiHeadAttention: one size or a non-empty list of sizes."""
    if isinstance(value, (tuple, list)):
        if not value:
            raise SpecError(f"expected a size or a non-empty list of sizes. Received: output_dims={value!r}")
        return tuple(as_size(item, "output_dims") for item in value)
    return (as_size(value, "output_dims"),)


@dataclass(frozen=True)
class MultiHeadAttention(Layer):
    """Multi-head self-attention on an input (T, d): query, key and value are the input.

    Keras: query and key kernels (d, h, key_dim), a value kernel (d, h, value_dim), each with an
    (h, size) bias, and an output kernel (h, value_dim, *output) with an (*output,) bias; the output
    is d wide unless `output_dims` (Keras' `output_shape`, renamed here because `output_shape` is
    every layer's method) says otherwise. `use_gate` adds Keras' gate projection, shaped as value's.
    PyTorch (`framework="torch"`): head size d/h, in_proj (3d, d) + 3d and out_proj d*d + d, plus
    `add_bias_kv`'s two (1, 1, d) biases. `key_channels`/`value_channels` (PyTorch's kdim/vdim) are
    the key's and value's widths: in self-attention the input's, so they are only checked.

    Example:
        >>> from symcount import Input, MultiHeadAttention, Sequential, symbols
        >>> T, d, h, k = symbols("T d h k")
        >>> Sequential(Input(T, d), MultiHeadAttention(h, k)).params
        4*d*h*k + d + 3*h*k
        >>> Sequential(Input(T, d), MultiHeadAttention(h), framework="torch").params
        4*d**2 + 4*d
    """

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

    sizes = ("num_heads", "key_dim", "value_dim", "key_channels", "value_channels")
    example_args = {"num_heads": "h", "key_dim": "k"}
    example_input = ("T", "d")
    derivation = (
        "query and key map d features to h heads of k (d*h*k + h*k each), value to h heads of v "
        "(v = k by default), and the output maps h*v back to d (h*v*d + d)"
    )
    torch_difference = (
        "PyTorch fixes the head size at d/h (h must divide d) and fuses query, key and value: "
        "in_proj 3*d*d + 3*d and out_proj d*d + d, Keras' count with key_dim = d/h"
    )
    torch_name = "multihead_attention"
    torch_args = {
        "embed_dim": "channels_in", "bias": "use_bias", "kdim": "key_channels", "vdim": "value_channels",
    }  # fmt: skip

    def validate(self) -> None:
        self._set("dropout", as_float(self.dropout, "dropout"))
        if self.output_dims is not None:
            self._set("output_dims", output_sizes(self.output_dims))

    def features(self, input_shape: Shape) -> sympy.Expr:
        """The input's width d, after checking the rank and any stated key/value widths."""
        require_rank(self, input_shape, rank=2)
        features = input_shape[-1]
        for what, value in (("key_channels", self.key_channels), ("value_channels", self.value_channels)):
            if value is not None and certainly_differ(value, features):
                raise ShapeError(
                    f"in self-attention the key and value are the input, {features} features wide. "
                    f"Received: {what}={value}"
                )
        return features

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        features = self.features(input_shape)
        return (input_shape[0], *(self.output_dims or (features,)))

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        features = self.features(input_shape)
        if target.torch:
            return self.torch_weights(features)
        if self.add_bias_kv:
            raise SpecError(
                "add_bias_kv is PyTorch's (bias_k, bias_v); Keras' MultiHeadAttention has no such "
                "weights. Received: add_bias_kv=True under framework 'keras'"
            )
        return self.keras_weights(features)

    def keras_weights(self, features: sympy.Expr) -> tuple[Weight, ...]:
        key_dim = self.key_dim
        if key_dim is None:
            key_dim = head_size(features, self.num_heads, "without key_dim each head is d/num_heads wide")
        value_dim = self.value_dim if self.value_dim is not None else key_dim
        output = self.output_dims or (features,)
        projections = [("query", key_dim), ("key", key_dim), ("value", value_dim)]
        if self.use_gate:
            projections.append(("gate", value_dim))
        weights = []
        for name, size in projections:
            weights.append(self.weight(f"{name}/kernel", (features, self.num_heads, size)))
            if self.use_bias:
                weights.append(self.weight(f"{name}/bias", (self.num_heads, size)))
        weights.append(self.weight("attention_output/kernel", (self.num_heads, value_dim, *output)))
        if self.use_bias:
            weights.append(self.weight("attention_output/bias", output))
        return tuple(weights)

    def torch_weights(self, features: sympy.Expr) -> tuple[Weight, ...]:
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
                f"Received: output_dims={format_shape(self.output_dims)}"
            )
        weights = [self.weight("in_proj_weight", (3 * features, features))]
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

    def head_sizes(self, input_shape: Shape, target: Target) -> tuple[sympy.Expr, ...]:
        """(d, k, v, o, S): input width, key and value head sizes, output width, keys per query."""
        features = self.features(input_shape)
        self.weights(input_shape, target)  # the same checks as the weights (head sizes, options)
        if target.torch:
            key_dim = value_dim = features / self.num_heads
        else:
            key_dim = self.key_dim if self.key_dim is not None else features / self.num_heads
            value_dim = self.value_dim if self.value_dim is not None else key_dim
        outputs = product(self.output_dims or (features,))
        # PyTorch appends bias_k/bias_v and then a zero key and value to the key/value sequence.
        keys = input_shape[0] + int(self.add_bias_kv) + int(self.add_zero_attn)
        return features, key_dim, value_dim, outputs, keys

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # T positions projected to queries and keys (d*h*k each) and values (and Keras' gate, d*h*v);
        # per head, T queries times S keys (k each) and T weightings of S values (v each); the output
        # maps h*v to o per position.
        d, k, v, o, keys = self.head_sizes(input_shape, target)
        steps, h = input_shape[0], self.num_heads
        projections = steps * d * h * (2 * k + v + (v if self.use_gate else 0))
        return projections + steps * keys * h * (k + v) + steps * h * v * o

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # Biases of the projections (h*(2k + v) per position, the gate's h*v, the output's o),
        # the queries scaled by 1/sqrt(k), a softmax over each of the T*h rows of S scores, and
        # Keras' gate: a sigmoid and a product per element of the h*v attended values.
        _, k, v, o, keys = self.head_sizes(input_shape, target)
        steps, h = input_shape[0], self.num_heads
        gated = v if self.use_gate else 0
        biases = BIAS_FLOPS * steps * (h * (2 * k + v + gated) + o) if self.use_bias else 0
        scale = BIAS_FLOPS * steps * h * k
        softmax = SOFTMAX_FLOPS * steps * h * keys
        gate = activation_flops("sigmoid", steps * h * gated) + MERGE_FLOPS * steps * h * gated
        return biases + scale + softmax + gate

    def kv_cache(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The keys and values of the T tokens of context: h heads of k and of v numbers per token
        # (PyTorch's bias_k/bias_v are parameters and its zero attention a constant: not cached).
        _, k, v, _, _ = self.head_sizes(input_shape, target)
        return input_shape[0] * self.num_heads * (k + v)

    def describe(self) -> str:
        size = f", key_dim={self.key_dim}" if self.key_dim is not None else ""
        return f"MultiHeadAttention({self.num_heads} heads{size})"


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

    def describe(self) -> str:
        return f"TransformerEncoder({self.num_heads} heads, {self.intermediate_dim} wide)"
