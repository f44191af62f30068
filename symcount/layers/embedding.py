"""Embeddings: learned lookup tables from token ids (Embedding, and ReversibleEmbedding, which also
maps vectors back to logits) or positions (PositionEmbedding), a learned token prepended to a
sequence (ClassToken), rotary position embeddings (RotaryEmbedding), which learn nothing but which
PyTorch models keep as buffers; PyTorch's EmbeddingBag, which pools the vectors of each bag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from .. import rules
from ..costs import BIAS_FLOPS
from ..errors import SpecError
from ..shapes import Shape, product
from ..target import Target
from .base import Layer, Saved, Weight, keras_names, require_rank

__all__ = [
    "Embedding",
    "ReversibleEmbedding",
    "PositionEmbedding",
    "ClassToken",
    "RotaryEmbedding",
    "EmbeddingBag",
]


@dataclass(frozen=True)
class Embedding(Layer):
    """Keras' Embedding: one row of `output_dim` numbers per id in a vocabulary of `input_dim`.

    The input holds token ids, of any rank; each id becomes a vector, so (T,) gives (T, output_dim).
    With `lora_rank` r (Keras only) the table is frozen and two trainable factors, (input_dim, r)
    and (r, output_dim), learn a low-rank update to it. With `embed_scale` the vectors are scaled
    by sqrt(output_dim), as Gemma's are: Hugging Face keeps that factor as a buffer of one number
    (GemmaTextScaledWordEmbedding's `embed_scale`), so under PyTorch it counts one buffer.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> T, V, d = symbols("T V d")
        >>> model = Sequential(Input(T), Embedding(V, d))
        >>> model.params, model.output_shape
        (V*d, (T, d))
    """

    keras_positional = keras_names(
        "input_dim output_dim embeddings_initializer embeddings_regularizer embeddings_constraint mask_zero weights lora_rank lora_alpha quantization_config"
    )

    input_dim: Any
    output_dim: Any
    mask_zero: bool = False
    lora_rank: Any = None
    embed_scale: bool = False
    freeze: bool = False  # PyTorch's `_freeze`: the table does not train (requires_grad=False)

    sizes = ("input_dim", "output_dim", "lora_rank")
    example_args = {"input_dim": "V", "output_dim": "d"}
    example_input = ("T",)
    derivation = "a V x d table: one learned vector of d numbers per token id"
    torch_name = "embedding"
    torch_args = {
        "num_embeddings": "input_dim", "embedding_dim": "output_dim", "padding_idx": "", "max_norm": "",
        "norm_type": "", "scale_grad_by_freq": "", "sparse": "", "_weight": "", "_freeze": "freeze",
    }  # fmt: skip
    torch_positional: ClassVar[tuple[str, ...]] = (
        "num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse",
        "_weight", "_freeze",
    )  # fmt: skip
    torch_defaults = {
        "padding_idx": None, "max_norm": None, "norm_type": 2.0, "scale_grad_by_freq": False, "sparse": False,
        "_weight": None, "_freeze": False,
    }  # fmt: skip

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=1)
        return (*input_shape, self.output_dim)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        table = (self.input_dim, self.output_dim)
        scale = (self.weight("embed_scale", (), "buffer"),) if self.embed_scale and target.torch else ()
        if self.lora_rank is None:
            return (self.weight("embeddings", table, "non_trainable" if self.freeze else "trainable"), *scale)
        if target.torch:
            raise SpecError(f"PyTorch's Embedding has no LoRA. Received: lora_rank={self.lora_rank}")
        return (
            self.weight("embeddings", table, "non_trainable"),
            self.weight("lora_embeddings_a", (self.input_dim, self.lora_rank)),
            self.weight("lora_embeddings_b", (self.lora_rank, self.output_dim)),
        )

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # The ids, int64, for the table's gradient (a frozen table keeps nothing).
        return Saved(("index",), weights_only=(True,))

    def describe(self) -> str:
        return f"Embedding({self.input_dim}, {self.output_dim})"


@dataclass(frozen=True)
class ReversibleEmbedding(Embedding):
    """Keras' ReversibleEmbedding: an Embedding that, called with `reverse=True`, maps d-wide
    vectors back to logits over the vocabulary; with `tie_weights` (the default) by the same
    table, otherwise by a (d, V) table of its own. Counted as its forward call (the lookup)."""

    tie_weights: bool = True

    keras_positional = keras_names(
        "input_dim output_dim tie_weights embeddings_initializer embeddings_regularizer "
        "embeddings_constraint mask_zero reverse_dtype logit_soft_cap"
    )
    derivation = "a V x d table, plus a d x V one for the reverse call unless tie_weights"
    torch_name = ""
    torch_args = {}
    torch_positional = ()

    def validate(self) -> None:
        if self.lora_rank is not None:
            raise SpecError(
                f"symcount does not count lora_rank other than None here. Received: lora_rank={self.lora_rank}"
            )
        if self.freeze:
            raise SpecError("freeze is PyTorch's _freeze; a Keras layer freezes with trainable: false")

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        table = (self.weight("embeddings", (self.input_dim, self.output_dim)),)
        if self.tie_weights:
            return table
        return (*table, self.weight("reverse_embeddings", (self.output_dim, self.input_dim)))

    def describe(self) -> str:
        return f"ReversibleEmbedding({self.input_dim}, {self.output_dim})"


@dataclass(frozen=True)
class PositionEmbedding(Layer):
    """A learned vector per position, added to a (T, d) input: a (sequence_length, d) table.

    keras_hub's PositionEmbedding; in PyTorch models (GPT-2's `wpe`, BERT's position embeddings)
    it is an `nn.Embedding(sequence_length, d)` indexed by position and added to the tokens'
    vectors. The input's length T may be shorter than the table, never longer.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> T, V, d = symbols("T V d")
        >>> Sequential(Input(T), Embedding(V, d), PositionEmbedding(T)).params
        T*d + V*d
    """

    sequence_length: Any

    sizes = ("sequence_length",)
    example_args = {"sequence_length": "T"}
    example_input = ("T", "d")
    derivation = "a T x d table: one learned vector per position, added to the input"
    torch_difference = "spelled nn.Embedding(T, d) over positions, added by hand in the model's forward"

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=2)
        length = input_shape[-2]
        excess = length - self.sequence_length
        if not excess.is_number:
            rules.note(
                "not_positive",
                excess,
                says=lambda v: (
                    f"the input has {v(length)} positions, more than the table's. Received: "
                    f"sequence_length={v(self.sequence_length)}"
                ),
            )
        if excess.is_positive:
            raise SpecError(
                f"the input has {length} positions, more than the table's. Received: "
                f"sequence_length={self.sequence_length}"
            )
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, at_least=2)
        return (self.weight("embeddings", (self.sequence_length, input_shape[-1])),)

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        # Adding a learned table keeps nothing (the position ids are one (T,) tensor for the
        # whole batch, not counted).
        return Saved()

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # One add per element: the position's vector joins the token's.
        return BIAS_FLOPS * product(input_shape)


class ClassToken(Layer):
    """A learned vector of d numbers put before a (T, d) sequence, which becomes (T + 1, d).

    The Vision Transformer's [CLS] token: the encoder mixes it with every patch, and the classifier
    reads its row. Keras builds it as a (1, d) weight concatenated in front of the tokens (keras_hub
    folds it into its ViT patching layer); torchvision's VisionTransformer holds it as
    `class_token = nn.Parameter(torch.zeros(1, 1, d))`, the same d numbers.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> T, d = symbols("T d")
        >>> model = Sequential(Input(T, d), ClassToken())
        >>> model.params, model.output_shape
        (d, (T + 1, d))
    """

    example_input = ("T", "d")
    derivation = "one learned vector of d numbers, put before the T tokens: (T, d) becomes (T + 1, d)"
    torch_difference = (
        "spelled nn.Parameter(torch.zeros(1, 1, d)), concatenated by hand in the model's forward"
    )

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=2)
        return (input_shape[0] + 1, input_shape[1])

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, rank=2)
        return (self.weight("class_token", (sympy.Integer(1), input_shape[1])),)

    def describe(self) -> str:
        return "ClassToken()"


@dataclass(frozen=True)
class RotaryEmbedding(Layer):
    """Rotary position embeddings (RoPE): queries and keys rotated by their position, `dim` numbers
    of each head (its width, or a part of it), with no learned weight.

    It passes its (T, d) input on unchanged here: the rotation happens inside attention. Hugging
    Face's decoders (LlamaRotaryEmbedding and its kin, one per model) keep the rotation's
    frequencies as buffers: `inv_freq` and `original_inv_freq`, ceil(dim/2) numbers each, so under
    PyTorch the layer counts 2*ceil(dim/2) buffers (dim for an even dim) and no parameter. Keras'
    (keras_hub's RotaryEmbedding) holds nothing.

    Example:
        >>> from symcount import Input, Sequential, symbols
        >>> T, d = symbols("T d")
        >>> Sequential(Input(T, d), RotaryEmbedding(128), framework="torch").buffers
        128
    """

    dim: Any

    sizes = ("dim",)
    example_args = {"dim": "r"}
    example_input = ("T", "d")
    derivation = "no weight: a rotation of r numbers per head by the position"
    torch_difference = (
        "Hugging Face's rotary embeddings keep inv_freq and original_inv_freq: 2*ceil(r/2) buffers"
    )

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, at_least=1)
        return input_shape

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        require_rank(self, input_shape, at_least=1)
        if not target.torch:
            return ()
        half = sympy.ceiling(self.dim / 2)
        return (
            self.weight("inv_freq", (half,), "buffer"),
            self.weight("original_inv_freq", (half,), "buffer"),
        )

    def activations(self, input_shape: Shape, target: Target) -> sympy.Expr:
        return sympy.Integer(0)  # the input, passed on: nothing new is made

    def saved(self, input_shape: Shape, target: Target, attention: str = "eager") -> Saved:
        return Saved(view=True)  # the input passed on: its storage, kept by whoever keeps it

    def describe(self) -> str:
        return f"RotaryEmbedding({self.dim})"


@dataclass(frozen=True)
class EmbeddingBag(Layer):
    """PyTorch's EmbeddingBag: the `mode` ('mean', 'sum' or 'max') of the embeddings of a bag of
    ids, so (L,) ids give (embedding_dim,); a (num_embeddings, embedding_dim) table."""

    num_embeddings: Any
    embedding_dim: Any
    mode: str = "mean"

    sizes = ("num_embeddings", "embedding_dim")
    torch_name = "embedding_bag"
    torch_only = True
    torch_positional = (
        "num_embeddings", "embedding_dim", "max_norm", "norm_type", "scale_grad_by_freq", "mode", "sparse",
        "_weight", "include_last_offset", "padding_idx",
    )  # fmt: skip
    torch_defaults = {
        "max_norm": None, "norm_type": 2.0, "scale_grad_by_freq": False, "mode": "mean", "sparse": False,
        "_weight": None, "include_last_offset": False, "padding_idx": None,
    }  # fmt: skip
    torch_args = {
        "max_norm": "", "norm_type": "", "scale_grad_by_freq": "", "sparse": "", "_weight": "",
        "include_last_offset": "", "padding_idx": "",
    }  # fmt: skip
    example_args = {"num_embeddings": "V", "embedding_dim": "d"}
    example_input = ("L",)
    derivation = "a V x d table: one learned vector per id; a bag of ids pooled to one vector"

    def validate(self) -> None:
        if self.mode not in ("mean", "sum", "max"):
            raise SpecError(f"mode must be 'mean', 'sum' or 'max'. Received: mode={self.mode!r}")

    def output_shape(self, input_shape: Shape, target: Target) -> Shape:
        require_rank(self, input_shape, rank=1)
        return (self.embedding_dim,)

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        return (self.weight("weight", (self.num_embeddings, self.embedding_dim)),)

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The L vectors of the bag reduced into one (1 per element read), a divide per output
        # for the mean.
        require_rank(self, input_shape, rank=1)
        return input_shape[0] * self.embedding_dim + (self.embedding_dim if self.mode == "mean" else 0)
