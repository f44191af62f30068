"""PyTorch's Transformer modules beyond one encoder layer: TransformerDecoderLayer (a target and a
memory), the TransformerEncoder and TransformerDecoder stacks (a layer given as an argument,
repeated `num_layers` times, symbolic or not) and Transformer (both stacks with final norms).

A decoder layer is an encoder layer (self-attention on the T target positions, a feed-forward
d -> f -> d, their LayerNorms) plus cross-attention from the target to the S memory positions and
a third LayerNorm. A stack of L layers holds L copies of its layer's weights and costs L times its
cost; its optional `norm` (a LayerNorm entry) is applied once at the end.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..costs import BIAS_FLOPS, MERGE_FLOPS, NORMALIZE_FLOPS
from ..errors import ShapeError, SpecError
from ..graph import Weight
from ..shapes import Shape, certainly_differ, format_shape
from ..target import Target
from .attention import TransformerEncoder
from .base import Layer, require_rank

__all__ = ["TransformerDecoderLayer", "TransformerEncoderStack", "TransformerDecoderStack", "Transformer"]


def two(layer: Layer, argument: Any) -> tuple[Shape, Shape]:
    """(target, memory): two inputs of (positions, d) with one width."""
    shapes = argument if argument and isinstance(argument[0], tuple) else None
    if shapes is None or len(shapes) != 2:
        raise ShapeError(
            f"{type(layer).__name__} takes two inputs, a target and a memory (a spec's `inputs: [a, b]`)"
        )
    for shape in shapes:
        require_rank(layer, shape, rank=2)
    if certainly_differ(shapes[0][-1], shapes[1][-1]):
        raise ShapeError(
            f"the target and the memory need one width. Received: {format_shape(shapes[0])}, {format_shape(shapes[1])}"
        )
    return shapes[0], shapes[1]


@dataclass(frozen=True)
class TransformerDecoderLayer(TransformerEncoder):
    """PyTorch's TransformerDecoderLayer on (target (T, d), memory (S, d)): the encoder layer's
    weights plus cross-attention (4*d^2 + 4*d) and a third LayerNorm (2d)."""

    most_inputs = 2
    torch_name = "transformer_decoder_layer"
    torch_only = True
    example_input = ("T", "d")
    derivation = (
        "self-attention and cross-attention with h heads of d/h (4*d^2 + 4*d each), a feed-forward "
        "d -> f -> d and three LayerNorms (2*d each)"
    )

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        return two(self, input_shape)[0]

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        query, memory = two(self, input_shape)
        own = super().weights(query, target)
        cross = tuple(
            Weight("multihead_attn." + w.name, w.shape, w.kind)
            for w in self.attention().weights((query, memory), target)
        )
        norm = [self.weight("norm3.weight", (query[-1],))]
        if self.use_bias:
            norm.append(self.weight("norm3.bias", (query[-1],)))
        return own + cross + tuple(norm)

    def macs(self, input_shape: Any, target: Target) -> sympy.Expr:
        # The encoder layer's on the target, and the T queries attending to the S memory positions.
        query, memory = two(self, input_shape)
        return super().macs(query, target) + self.attention().macs((query, memory), target)

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        # The encoder layer's, the cross-attention's, one more residual add and LayerNorm.
        query, memory = two(self, input_shape)
        steps, d = query
        norm = steps * d * (NORMALIZE_FLOPS + BIAS_FLOPS * (1 + int(self.use_bias))) + MERGE_FLOPS * steps * d
        return (
            super().extra_flops(query, target) + self.attention().extra_flops((query, memory), target) + norm
        )

    def kv_cache(self, input_shape: Any, target: Target) -> sympy.Expr:
        query, memory = two(self, input_shape)
        return super().kv_cache(query, target) + self.attention().kv_cache((query, memory), target)

    def describe(self) -> str:
        return f"TransformerDecoderLayer({self.num_heads} heads, {self.intermediate_dim} wide)"


def stacked(layer: Layer, copies: sympy.Expr, weights: tuple[Weight, ...]) -> tuple[Weight, ...]:
    """`copies` of each weight: one tensor per copy when a number, else one stacked tensor."""
    if copies.is_number:
        return tuple(
            layer.weight(f"layers.{i}.{w.name}", w.shape, w.kind) for i in range(int(copies)) for w in weights
        )
    return tuple(layer.weight(f"layers[0:{copies}].{w.name}", (copies, *w.shape), w.kind) for w in weights)


@dataclass(frozen=True)
class TransformerEncoderStack(Layer):
    """PyTorch's TransformerEncoder: `encoder_layer` (a transformer_encoder_layer entry) repeated
    `num_layers` times, then `norm` (a layer_norm entry) if given."""

    encoder_layer: Any
    num_layers: Any
    norm: Any = None

    sizes = ("num_layers",)
    nested = ("encoder_layer", "norm")
    # `transformer_encoder` is the encoder block's key (keras_hub's name); PyTorch's class name is
    # the key of this stack under torch.
    torch_name = "transformer_encoder_stack"
    torch_class = "TransformerEncoder"
    torch_functional = ("TransformerEncoder",)
    torch_only = True
    torch_positional: ClassVar[tuple[str, ...]] = (
        "encoder_layer",
        "num_layers",
        "norm",
        "enable_nested_tensor",
        "mask_check",
    )
    torch_defaults = {"norm": None, "enable_nested_tensor": True, "mask_check": True}
    torch_args = {"enable_nested_tensor": "", "mask_check": ""}
    example_args = {
        "encoder_layer": {"transformer_encoder": {"num_heads": "h", "intermediate_dim": "f"}},
        "num_layers": "L",
    }
    example_input = ("T", "d")
    derivation = "num_layers copies of the encoder layer's weights, and the final norm's"
    kind_of_layer: ClassVar[type[Layer]] = TransformerEncoder

    def validate(self) -> None:
        if not isinstance(self.layer, self.kind_of_layer):
            raise SpecError(
                f"expected a {self.kind_of_layer.torch_name} entry. Received: {type(self.layer).__name__}"
            )
        if self.norm is not None and not isinstance(self.norm, Layer):
            raise SpecError(f"norm is a layer entry, such as {{layer_norm: d}}. Received: norm={self.norm!r}")

    @property
    def layer(self) -> Any:
        return self.encoder_layer

    def query(self, input_shape: Any) -> Shape:
        return input_shape if not (input_shape and isinstance(input_shape[0], tuple)) else input_shape[0]

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        shape = self.layer.output_shape(input_shape, target)
        if self.norm is not None:
            self.norm.output_shape(shape, target)
        return shape

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        found = stacked(self, self.num_layers, self.layer.weights(input_shape, target))
        if self.norm is not None:
            shape = self.layer.output_shape(input_shape, target)
            found += tuple(
                self.weight(f"norm.{w.name}", w.shape, w.kind) for w in self.norm.weights(shape, target)
            )
        return found

    def macs(self, input_shape: Any, target: Target) -> sympy.Expr:
        return self.num_layers * self.layer.macs(input_shape, target)

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        total = self.num_layers * self.layer.extra_flops(input_shape, target)
        if self.norm is not None:
            total += self.norm.extra_flops(self.layer.output_shape(input_shape, target), target)
        return total

    def activations(self, input_shape: Any, target: Target) -> sympy.Expr:
        return self.num_layers * self.layer.activations(input_shape, target)

    def kv_cache(self, input_shape: Any, target: Target) -> sympy.Expr:
        return self.num_layers * self.layer.kv_cache(input_shape, target)

    def expressions(self) -> Any:
        yield self.num_layers
        yield from self.layer.expressions()
        if self.norm is not None:
            yield from self.norm.expressions()

    def _xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        changes = {
            "num_layers": self.num_layers.xreplace(mapping),
            self.nested[0]: self.layer.xreplace(mapping),
            "norm": None if self.norm is None else self.norm.xreplace(mapping),
        }
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class TransformerDecoderStack(TransformerEncoderStack):
    """PyTorch's TransformerDecoder: `decoder_layer` repeated `num_layers` times on (target,
    memory), then `norm` if given."""

    encoder_layer: Any = None
    num_layers: Any = None
    norm: Any = None
    decoder_layer: Any = None

    most_inputs = 2
    nested = ("decoder_layer", "norm")
    torch_name = "transformer_decoder_stack"
    torch_class = "TransformerDecoder"
    torch_functional = ("TransformerDecoder",)
    torch_positional = ("decoder_layer", "num_layers", "norm")
    torch_defaults = {"norm": None}
    torch_args: ClassVar[dict[str, str]] = {}
    example_args = {"decoder_layer": TransformerDecoderLayer("h", "f"), "num_layers": "L"}
    derivation = "num_layers copies of the decoder layer's weights, and the final norm's"
    kind_of_layer: ClassVar[type[Layer]] = TransformerDecoderLayer

    def validate(self) -> None:
        if self.encoder_layer is not None:
            raise SpecError("TransformerDecoder takes decoder_layer, not encoder_layer")
        if self.num_layers is None:
            raise SpecError("TransformerDecoder needs num_layers")
        super().validate()

    @property
    def layer(self) -> Any:
        return self.decoder_layer


@dataclass(frozen=True)
class Transformer(Layer):
    """PyTorch's Transformer on (source (S, d), target (T, d)): an encoder of
    `num_encoder_layers` encoder layers and a LayerNorm over the source, a decoder of
    `num_decoder_layers` decoder layers reading it, and a LayerNorm; output (T, d)."""

    d_model: Any = 512
    nhead: Any = 8
    num_encoder_layers: Any = 6
    num_decoder_layers: Any = 6
    dim_feedforward: Any = 2048
    dropout: Any = 0.1
    activation: str = "relu"
    layer_norm_eps: Any = 1e-5
    norm_first: bool = False
    bias: bool = True
    batch_first: bool = False

    most_inputs = 2
    sizes = ("d_model", "nhead", "num_encoder_layers", "num_decoder_layers", "dim_feedforward")
    torch_name = "transformer"
    torch_only = True
    torch_positional = (
        "d_model", "nhead", "num_encoder_layers", "num_decoder_layers", "dim_feedforward", "dropout", "activation",
        "custom_encoder", "custom_decoder", "layer_norm_eps", "batch_first", "norm_first", "bias",
    )  # fmt: skip
    torch_defaults = {
        "d_model": 512, "nhead": 8, "num_encoder_layers": 6, "num_decoder_layers": 6, "dim_feedforward": 2048,
        "dropout": 0.1, "activation": "relu", "custom_encoder": None, "custom_decoder": None, "layer_norm_eps": 1e-5,
        "batch_first": False, "norm_first": False, "bias": True,
    }  # fmt: skip
    torch_args = {"custom_encoder": "", "custom_decoder": ""}
    example_args = {
        "d_model": "d",
        "nhead": "h",
        "num_encoder_layers": "E",
        "num_decoder_layers": "D",
        "dim_feedforward": "f",
    }
    example_input = ("S", "d")
    derivation = "E encoder layers and D decoder layers, and a LayerNorm (2d) after each stack"

    def stacks(self) -> tuple[TransformerEncoderStack, TransformerDecoderStack, Layer]:
        options = {
            "intermediate_dim": self.dim_feedforward, "activation": self.activation, "use_bias": self.use_bias_,
            "normalize_first": self.norm_first, "trainable": self.trainable,
        }  # fmt: skip
        from .normalization import LayerNorm

        norm = LayerNorm(self.d_model, bias=self.bias, trainable=self.trainable)
        encoder = TransformerEncoderStack(
            TransformerEncoder(self.nhead, **options), self.num_encoder_layers, norm
        )
        decoder = TransformerDecoderStack(
            num_layers=self.num_decoder_layers,
            norm=norm,
            decoder_layer=TransformerDecoderLayer(self.nhead, **options),
        )
        return encoder, decoder, norm

    @property
    def use_bias_(self) -> bool:
        return self.bias

    def inputs(self, argument: Any) -> tuple[Shape, Shape]:
        source, target_ = two(self, argument)
        if certainly_differ(source[-1], self.d_model):
            raise ShapeError(f"the inputs are {source[-1]} wide. Received: d_model={self.d_model}")
        return source, target_

    def output_shape(self, input_shape: Any, target: Target) -> Shape:
        return self.inputs(input_shape)[1]

    def weights(self, input_shape: Any, target: Target) -> tuple[Weight, ...]:
        source, tgt = self.inputs(input_shape)
        encoder, decoder, _ = self.stacks()
        return tuple(
            Weight("encoder." + w.name, w.shape, w.kind) for w in encoder.weights(source, target)
        ) + tuple(
            Weight("decoder." + w.name, w.shape, w.kind) for w in decoder.weights((tgt, source), target)
        )

    def macs(self, input_shape: Any, target: Target) -> sympy.Expr:
        source, tgt = self.inputs(input_shape)
        encoder, decoder, _ = self.stacks()
        return encoder.macs(source, target) + decoder.macs((tgt, source), target)

    def extra_flops(self, input_shape: Any, target: Target) -> sympy.Expr:
        source, tgt = self.inputs(input_shape)
        encoder, decoder, _ = self.stacks()
        return encoder.extra_flops(source, target) + decoder.extra_flops((tgt, source), target)

    def activations(self, input_shape: Any, target: Target) -> sympy.Expr:
        # Every layer's output, in both stacks (as a stack counts its layers').
        source, tgt = self.inputs(input_shape)
        encoder, decoder, _ = self.stacks()
        return encoder.activations(source, target) + decoder.activations((tgt, source), target)

    def kv_cache(self, input_shape: Any, target: Target) -> sympy.Expr:
        source, tgt = self.inputs(input_shape)
        _, decoder, _ = self.stacks()
        return decoder.kv_cache((tgt, source), target)
