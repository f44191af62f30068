"""PyTorch's module names as constructors, with PyTorch's arguments in PyTorch's order.

`Linear(784, 10)` is `nn.Linear(784, 10)`: symcount's Dense of 10 units whose input must have 784
features. Each constructor goes through the spec's own path (`build_layer` under `framework:
torch`), so Python and YAML accept the same arguments and refuse the same mistakes. Names that
symcount's layers already use (`Embedding`, `LSTM`, `BatchNorm2d`...) stay those classes.

Example:
    >>> from symcount import Conv2d, Flatten, Input, Linear, Sequential
    >>> net = Sequential(Input(3, 32, 32), Conv2d(3, 16, 3, padding=1), Flatten(), Linear(16 * 32 * 32, 10),
    ...                  framework="torch")
    >>> net.params, [row.kind for row in net.rows]  # 16*3*3*3 + 16 = 448; 16,384*10 + 10 = 163,850
    (164298, ['Conv2d', 'Flatten', 'Linear'])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .layers import REGISTRY, Layer
from .layers import __all__ as layer_names
from .spec import build_layer
from .target import TORCH

# Every torch.nn class a layer spells (ReLU and LeakyReLU are one layer), unless a layer class
# already has its name.
_NAMES = {name: cls for cls in REGISTRY.values() for name in cls.keys(True) if name not in layer_names}
__all__ = sorted(_NAMES)


def _constructor(torch_class: str) -> Callable[..., Layer]:
    def make(*args: Any, **kwargs: Any) -> Layer:
        entry = {torch_class: list(args), **kwargs} if args else {torch_class: dict(kwargs)}
        return build_layer(entry, TORCH)

    make.__name__ = make.__qualname__ = torch_class
    make.__doc__ = f"PyTorch's nn.{torch_class}, in its argument order, as a symcount layer."
    return make


for _name in __all__:
    globals()[_name] = _constructor(_name)
