"""The layer library: one module per family, each loaded the first time a name from it is used.

A spec that names `conv2d` and `dense` loads the `conv` and `core` families, not all of them:
`FAMILIES` lists, per family, its public classes, its spec keys (Keras' snake_case of the class
name) and the keys it adds under `framework: torch` (PyTorch's spellings and torch-only layers). A
test checks this table against the families themselves. A new layer is one small frozen dataclass
in its family's module, listed in that module's `__all__` and here.
"""

from __future__ import annotations

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
    "reshaping": (
        "Reshape Permute RepeatVector UpSampling1D UpSampling2D UpSampling3D ZeroPadding1D ZeroPadding2D ZeroPadding3D Cropping1D Cropping2D Cropping3D Resizing CenterCrop",
        "reshape permute repeat_vector up_sampling1d up_sampling2d up_sampling3d zero_padding1d zero_padding2d zero_padding3d cropping1d cropping2d cropping3d resizing center_crop",
        "upsample zero_pad1d zero_pad2d zero_pad3d",
    ),
    "regularization": (
        "Dropout SpatialDropout1D SpatialDropout2D SpatialDropout3D GaussianDropout GaussianNoise AlphaDropout ActivityRegularization",
        "dropout spatial_dropout1d spatial_dropout2d spatial_dropout3d gaussian_dropout gaussian_noise alpha_dropout activity_regularization",
        "dropout1d dropout2d dropout3d",
    ),
    "normalization": (
        "BatchNormalization LayerNormalization GroupNormalization UnitNormalization BatchNorm1d BatchNorm2d BatchNorm3d LayerNorm GroupNorm RMSNormalization SpectralNormalization",
        "batch_normalization layer_normalization group_normalization unit_normalization rms_normalization spectral_normalization",
        "batch_norm1d batch_norm2d batch_norm3d layer_norm group_norm",
    ),
    "scaling": (
        "Rescaling Normalization LayerScale",
        "rescaling normalization layer_scale",
        "",
    ),
    "embedding": (
        "Embedding ReversibleEmbedding PositionEmbedding ClassToken",
        "embedding reversible_embedding position_embedding class_token",
        "",
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
    "merge": (
        "Add Subtract Multiply Average Maximum Minimum Concatenate Dot",
        "add subtract multiply average maximum minimum concatenate dot",
        "",
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

__all__ = ["REGISTRY", "Layer", "Weight", "layer_keys", "layer_class", "load_all", *NAMES]


def layer_keys(torch: bool) -> dict[str, str]:
    """The spec keys known under a framework (PyTorch's spellings too, under torch) -> family."""
    return TORCH_KEYS if torch else KERAS_KEYS


def layer_class(key: str, torch: bool) -> Any:
    """The class a spec key names (loading only its family), or None for an unknown key."""
    family = layer_keys(torch).get(key)
    if family is None:
        return None
    module = import_module(f"{__name__}.{family}").__name__
    from .base import REGISTRY

    found = {k: c for k, c in REGISTRY.items() if c.__module__ == module and (torch or not c.torch_only)}
    if torch:  # as in the registry: PyTorch's spellings over the keys
        found.update({cls.torch_name: cls for cls in list(found.values()) if cls.torch_name})
    return found.get(key)


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
