"""The layer library: one module per family; importing this package registers every layer.

A new layer is one small frozen dataclass in its family's module, listed in that module's
`__all__`; the registry (spec keys) and the public names follow from there.
"""

from . import (
    attention,
    conv,
    core,
    embedding,
    merge,
    moe,
    normalization,
    pooling,
    recurrent,
    regularization,
    repeat,
    reshaping,
    scaling,
)  # fmt: skip
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

FAMILIES = (
    core, conv, pooling, reshaping, regularization, normalization, scaling, embedding, recurrent, attention, merge, repeat, moe,
)  # fmt: skip

__all__ = ["REGISTRY", "Layer", "Weight"]
for _family in FAMILIES:
    __all__ += _family.__all__
