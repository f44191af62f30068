"""symcount: exact, closed-form parameter counts for neural networks, as sympy formulas.

`import symcount` stays light: sympy and the layer library load on first use of a name that
needs them (PEP 562 module `__getattr__`), so `symcount --help` never pays for sympy. In Jupyter,
models display as their summary table and their total as LaTeX: the render package's work,
registered with IPython here, by name, so that models themselves never import render.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import display
from .errors import MissingValueError, ParseError, ShapeError, SpecError, SymcountError

__version__ = "0.1.0"

_LAZY = {
    "symbols": "symcount.values",
    "symbol": "symcount.values",
    "parse_expression": "symcount.parse",
    "Sequential": "symcount.model",
    "Model": "symcount.model",
    "Row": "symcount.model",
    "load_spec": "symcount.spec",
    "build": "symcount.spec",
    "examples": "symcount.spec",
    "formula": "symcount.algebra",
    "Target": "symcount.target",
    "summary": "symcount.render",
    "infer": "symcount.inference",
    "from_torch": "symcount.importing.lift",
    "from_torch_model": "symcount.importing.lift",
    "from_keras": "symcount.importing.keras",
}
_LAYERS = (
    "Layer",
    "Weight",
    "Input",
    "Dense",
    "Flatten",
    "Activation",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "Reshape",
    "Permute",
    "Select",
    "Narrow",
    "RepeatVector",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LayerNorm",
    "GroupNorm",
    "RMSNormalization",
    "Normalization",
    "Rescaling",
    "LayerScale",
    "Embedding",
    "PositionEmbedding",
    "ClassToken",
    "RotaryEmbedding",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "Bidirectional",
    "MultiHeadAttention",
    "GroupQueryAttention",
    "TransformerEncoder",
    "TorchActivation",
    "Unflatten",
    "PixelShuffle",
    "PixelUnshuffle",
    "ChannelShuffle",
    "Upsample",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "SyncBatchNorm",
    "RMSNorm",
    "LocalResponseNorm",
    "FeatureAlphaDropout",
    "EmbeddingBag",
    "Bilinear",
    "TorchRNNCell",
    "TorchLSTMCell",
    "TorchGRUCell",
    "Fold",
    "Unfold",
    "TransformerDecoderLayer",
    "TransformerEncoderStack",
    "TransformerDecoderStack",
    "Transformer",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Repeat",
    "MixtureOfExperts",
    "Block",
    # Keras' catalogue (issue 23)
    "EinsumDense", "Identity", "Masking", "ActivityRegularization",
    "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "ReversibleEmbedding", "Resizing", "CenterCrop", "Attention", "AdditiveAttention", "Dot",
    "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "TimeDistributed", "SpectralNormalization",
)  # fmt: skip

# PyTorch's names for layers symcount calls otherwise, as constructors in PyTorch's argument order
# (symcount.pytorch; a test keeps this list equal to its __all__ less the layer classes' names).
# Where a Keras class has PyTorch's name for another layer (RNN, LSTMCell, GRUCell, ReLU, PReLU,
# ELU, LeakyReLU, Softmax, Identity), symcount.X is Keras' class and symcount.pytorch.X PyTorch's
# module; PyTorch's own cells are the classes TorchRNNCell, TorchLSTMCell, TorchGRUCell.
_TORCH = (
    "AvgPool1d", "AvgPool2d", "AvgPool3d", "CELU", "CircularPad1d", "CircularPad2d",
    "CircularPad3d", "Conv1d", "Conv2d", "Conv3d", "Dropout1d", "Dropout2d", "Dropout3d",
    "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "Linear", "LogSigmoid", "LogSoftmax", "MaxPool1d", "MaxPool2d", "MaxPool3d", "Mish",
    "MultiheadAttention", "RNNCell", "RReLU", "ReLU6", "ReflectionPad1d",
    "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "SELU", "SiLU", "Sigmoid", "Softmax2d", "Softmin", "Softplus",
    "Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold", "TransformerDecoder",
    "TransformerEncoderLayer", "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d",
    "ZeroPad2d", "ZeroPad3d",
)  # fmt: skip

__all__ = [
    "SymcountError", "ParseError", "SpecError", "ShapeError", "MissingValueError",
    *_LAZY, *_LAYERS, *_TORCH,
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name[:1].isupper():  # every public layer class, including families added later
        layers = import_module("symcount.layers")
        if name in layers.__all__:
            return getattr(layers, name)
        pytorch = import_module("symcount.pytorch")
        if name in pytorch.__all__:
            return getattr(pytorch, name)
    raise AttributeError(f"module 'symcount' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def _summary(model: Any, values: Any = None, **options: Any) -> Any:
    return import_module("symcount.render").summary(model, values, **options)


display.SUMMARY = _summary


def _page(model: Any, values: Any = None, **options: Any) -> Any:
    return import_module("symcount.render.page").page(model, values, **options)


display.PAGE = _page


def _model_html(model: Any) -> str:
    return import_module("symcount.render").summary_html(model)  # type: ignore[no-any-return]


def _model_latex(model: Any) -> str:
    return import_module("symcount.render").latex_formula(model.params)  # type: ignore[no-any-return]


def register_jupyter(shell: Any = None) -> bool:
    """Show models in IPython/Jupyter as their summary (HTML) and total (LaTeX). Done on import
    when IPython runs; returns whether a shell was there to register with."""
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    if shell is None:
        return False
    formatters = shell.display_formatter.formatters
    formatters["text/html"].for_type_by_name("symcount.model", "Model", _model_html)
    formatters["text/latex"].for_type_by_name("symcount.model", "Model", _model_latex)
    return True


register_jupyter()


if TYPE_CHECKING:  # pragma: no cover
    from .algebra import formula
    from .importing.keras import from_keras
    from .importing.lift import from_torch, from_torch_model
    from .inference import infer
    from .layers import *  # noqa: F403
    from .model import Model, Row, Sequential
    from .parse import parse_expression
    from .spec import build, examples, load_spec
    from .values import symbol, symbols
