"""The layer library: one module per family, each loaded the first time a name from it is used.

A spec that names `conv2d` and `dense` loads the `conv` and `core` families, not all of them:
`FAMILIES` lists, per family, its public classes, its spec keys (Keras' snake_case of the class
name) and the keys it adds under `framework: torch` (PyTorch's spellings and torch-only layers). A
test checks this table against the families themselves. A new layer is one small frozen dataclass
in its family's module, listed in that module's `__all__` and here.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import TYPE_CHECKING, Any

# family -> (public classes, spec keys, keys added under framework: torch), space-separated
FAMILIES: dict[str, tuple[str, str, str]] = {
    "core": (
        "Input Dense EinsumDense Flatten Identity Masking Activation ELU LeakyReLU PReLU ReLU Softmax",
        "dense einsum_dense flatten identity masking activation elu leaky_relu prelu relu softmax",
        "linear",
    ),
    "conv": (
        "Conv1D Conv2D Conv3D Conv1DTranspose Conv2DTranspose Conv3DTranspose ConvTranspose1d ConvTranspose2d ConvTranspose3d DepthwiseConv1D DepthwiseConv2D SeparableConv1D SeparableConv2D",
        "conv1d conv2d conv3d conv1d_transpose conv2d_transpose conv3d_transpose depthwise_conv1d depthwise_conv2d separable_conv1d separable_conv2d",
        "conv_transpose1d conv_transpose2d conv_transpose3d",
    ),
    "pooling": (
        "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D AdaptiveAveragePooling1D AdaptiveAveragePooling2D AdaptiveAveragePooling3D AdaptiveMaxPooling1D AdaptiveMaxPooling2D AdaptiveMaxPooling3D",
        "max_pooling1d max_pooling2d max_pooling3d average_pooling1d average_pooling2d average_pooling3d global_max_pooling1d global_max_pooling2d global_max_pooling3d global_average_pooling1d global_average_pooling2d global_average_pooling3d adaptive_average_pooling1d adaptive_average_pooling2d adaptive_average_pooling3d adaptive_max_pooling1d adaptive_max_pooling2d adaptive_max_pooling3d",
        "max_pool1d max_pool2d max_pool3d avg_pool1d avg_pool2d avg_pool3d",
    ),
    "adaptive": (
        "AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d LPPool1d LPPool2d LPPool3d FractionalMaxPool2d FractionalMaxPool3d",
        "",
        "adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d adaptive_max_pool1d adaptive_max_pool2d adaptive_max_pool3d lp_pool1d lp_pool2d lp_pool3d fractional_max_pool2d fractional_max_pool3d",
    ),
    "reshaping": (
        "Reshape Permute Select Narrow RepeatVector UpSampling1D UpSampling2D UpSampling3D ZeroPadding1D ZeroPadding2D ZeroPadding3D Cropping1D Cropping2D Cropping3D Resizing CenterCrop",
        "reshape permute select narrow repeat_vector up_sampling1d up_sampling2d up_sampling3d zero_padding1d zero_padding2d zero_padding3d cropping1d cropping2d cropping3d resizing center_crop",
        "zero_pad1d zero_pad2d zero_pad3d",
    ),
    "rearrange": (
        "Unflatten PixelShuffle PixelUnshuffle ChannelShuffle Upsample ConstantPad1d ConstantPad2d ConstantPad3d",
        "",
        "unflatten pixel_shuffle pixel_unshuffle channel_shuffle upsample upsampling_nearest2d upsampling_bilinear2d interpolate constant_pad1d constant_pad2d constant_pad3d reflection_pad1d replication_pad1d circular_pad1d reflection_pad2d replication_pad2d circular_pad2d reflection_pad3d replication_pad3d circular_pad3d",
    ),
    "regularization": (
        "Dropout SpatialDropout1D SpatialDropout2D SpatialDropout3D GaussianDropout GaussianNoise AlphaDropout ActivityRegularization FeatureAlphaDropout",
        "dropout spatial_dropout1d spatial_dropout2d spatial_dropout3d gaussian_dropout gaussian_noise alpha_dropout activity_regularization",
        "dropout1d dropout2d dropout3d feature_alpha_dropout",
    ),
    "normalization": (
        "BatchNormalization LayerNormalization GroupNormalization UnitNormalization BatchNorm1d BatchNorm2d BatchNorm3d LayerNorm GroupNorm RMSNormalization SpectralNormalization",
        "batch_normalization layer_normalization group_normalization unit_normalization rms_normalization spectral_normalization",
        "batch_norm1d batch_norm2d batch_norm3d layer_norm group_norm",
    ),
    "instance": (
        "InstanceNorm1d InstanceNorm2d InstanceNorm3d SyncBatchNorm RMSNorm LocalResponseNorm",
        "",
        "instance_norm1d instance_norm2d instance_norm3d sync_batch_norm rms_norm local_response_norm",
    ),
    "scaling": (
        "Rescaling Normalization LayerScale",
        "rescaling normalization layer_scale",
        "",
    ),
    "embedding": (
        "Embedding ReversibleEmbedding PositionEmbedding ClassToken RotaryEmbedding EmbeddingBag",
        "embedding reversible_embedding position_embedding class_token rotary_embedding",
        "embedding_bag",
    ),
    "recurrent": (
        "SimpleRNN LSTM GRU Bidirectional SimpleRNNCell LSTMCell GRUCell StackedRNNCells RNN ConvLSTM1D ConvLSTM2D ConvLSTM3D TimeDistributed",
        "simple_rnn lstm gru bidirectional simple_rnn_cell lstm_cell gru_cell stacked_rnn_cells rnn conv_lstm1d conv_lstm2d conv_lstm3d time_distributed",
        "rnn",
    ),
    "attention": (
        "MultiHeadAttention GroupQueryAttention TransformerEncoder Attention AdditiveAttention",
        "multi_head_attention group_query_attention transformer_encoder attention additive_attention",
        "multihead_attention transformer_encoder_layer",
    ),
    "elementwise": (
        "TorchActivation",
        "",
        "torch_activation relu relu6 leaky_relu prelu rrelu elu celu selu gelu silu mish sigmoid tanh hardtanh hardsigmoid hardswish hardshrink softshrink tanhshrink softplus softsign logsigmoid log_sigmoid threshold softmax softmin log_softmax softmax2d glu identity",
    ),
    "cells": (
        "TorchRNNCell TorchLSTMCell TorchGRUCell",
        "",
        "torch_rnn_cell torch_lstm_cell torch_gru_cell rnn_cell lstm_cell gru_cell",
    ),
    "patches": (
        "Fold Unfold",
        "",
        "fold unfold",
    ),
    "transformer": (
        "TransformerDecoderLayer TransformerEncoderStack TransformerDecoderStack Transformer",
        "",
        "transformer_decoder_layer transformer_encoder_stack transformer_decoder_stack transformer TransformerEncoder TransformerDecoder",
    ),
    "merge": (
        "Add Subtract Multiply Average Maximum Minimum Concatenate Dot Bilinear",
        "add subtract multiply average maximum minimum concatenate dot",
        "bilinear",
    ),
    "repeat": (
        "Repeat Block MAX_UNROLLED",
        "",
        "",
    ),
    "moe": (
        "MixtureOfExperts",
        "",
        "",
    ),
}  # fmt: skip

NAMES = {name: family for family, (names, _, _) in FAMILIES.items() for name in names.split()}
KERAS_KEYS = {key: family for family, (_, keys, _) in FAMILIES.items() for key in keys.split()}
TORCH_KEYS = {
    **KERAS_KEYS,
    **{key: family for family, (_, _, keys) in FAMILIES.items() for key in keys.split()},
}

__all__ = ["REGISTRY", "Layer", "Weight", "layer_keys", "layer_class", "find_layer", "load_all", *NAMES]

# Keras' aliases in snake_case -> the key of the class they name (`Convolution2D` is `conv2d`).
UNALIAS = (
    ("convolution", "conv"),
    ("global_avg_pool", "global_average_pooling"),
    ("global_max_pool", "global_max_pooling"),
    ("avg_pool", "average_pooling"),
)


def layer_keys(torch: bool) -> dict[str, str]:
    """The snake_case spec keys known under a framework (PyTorch's spellings too, under torch) ->
    family. Class names (`Conv2d`, `Conv2D`) are keys too: `find_layer` finds their family."""
    return TORCH_KEYS if torch else KERAS_KEYS


def _families(key: str, torch: bool) -> list[str]:
    """The families a key may belong to, the framework's own first (`relu` is PyTorch's module
    under torch, Keras' class under Keras): its own entry, or for a class name the entries of its
    snake_case (`MaxPool2D` -> `max_pool2d`, `LeakyReLU` -> `leaky_relu`)."""
    tables = (TORCH_KEYS, KERAS_KEYS) if torch else (KERAS_KEYS, TORCH_KEYS)
    found = [table[key] for table in tables if key in table]
    if not key[:1].isupper():
        return found
    snake = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", key)).lower()
    unaliased = snake
    for alias, ours in UNALIAS:
        unaliased = unaliased.replace(alias, ours)
    for guess in (snake, snake.replace("re_lu", "relu"), key.lower(), unaliased):
        found += [table[guess] for table in tables if guess in table]
    return list(dict.fromkeys(found))


def family_keys(family: str, torch: bool) -> dict[str, Any]:
    """Every key of a family's classes under a framework (loading the family): snake_case keys,
    and class names as each framework writes them."""
    module = import_module(f"{__name__}.{family}").__name__
    from .base import REGISTRY

    classes = [c for c in REGISTRY.values() if c.__module__ == module and (torch or not c.torch_only)]
    found = {k: c for k, c in REGISTRY.items() if c in classes}
    if torch:  # as in the registry: PyTorch's spellings over the keys
        for cls in classes:
            found.update({name: cls for name in (cls.torch_name, *cls.torch_functional) if name})
    for cls in classes:
        found.update({name: cls for name in cls.keys(torch)})
    return found


def find_layer(key: str, torch: bool) -> tuple[Any, str]:
    """(the class a spec key names, "") loading only its family; or (None, the framework whose
    spelling the key is, or "" for an unknown key)."""
    families = _families(key, torch) if isinstance(key, str) else []
    for family in families:
        cls = family_keys(family, torch).get(key)
        if cls is not None:
            return cls, ""
    for family in families:
        if key in family_keys(family, not torch):
            return None, "keras" if torch else "torch"
    return None, ""


def layer_class(key: str, torch: bool) -> Any:
    """The class a spec key names (loading only its family), or None for an unknown key."""
    return find_layer(key, torch)[0]


def load_all() -> dict[str, Any]:
    """Load every family; the registry of every layer class by its spec key."""
    for family in FAMILIES:
        import_module(f"{__name__}.{family}")
    from .base import REGISTRY

    return REGISTRY


def __getattr__(name: str) -> Any:
    if name == "REGISTRY":
        return load_all()
    if name in ("Layer", "Weight"):
        return getattr(import_module(f"{__name__}.base"), name)
    if name in NAMES:
        return getattr(import_module(f"{__name__}.{NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    from .attention import *  # noqa: F403
    from .base import REGISTRY, Layer, Weight
    from .conv import *  # noqa: F403
    from .core import *  # noqa: F403
    from .embedding import *  # noqa: F403
    from .merge import *  # noqa: F403
    from .moe import *  # noqa: F403
    from .normalization import *  # noqa: F403
    from .pooling import *  # noqa: F403
    from .recurrent import *  # noqa: F403
    from .regularization import *  # noqa: F403
    from .repeat import *  # noqa: F403
    from .reshaping import *  # noqa: F403
    from .scaling import *  # noqa: F403
