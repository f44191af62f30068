"""PyTorch's module names as constructors, with PyTorch's arguments in PyTorch's order.

`Linear(784, 10)` is `nn.Linear(784, 10)`: symcount's Dense of 10 units whose input must have 784
features. Each constructor goes through the spec's own path (`build_layer` under `framework:
torch`), so Python and YAML accept the same arguments and refuse the same mistakes. Names of
symcount's layer classes that are the same layer in both frameworks (`Embedding`, `LSTM`,
`BatchNorm2d`...) stay those classes. Where Keras has a class of PyTorch's name that is another
layer (`RNN`, `LSTMCell`, `GRUCell`, `ReLU`, `PReLU`, `ELU`, `LeakyReLU`, `Softmax`, `Identity`),
`symcount.X` is Keras' class and `symcount.pytorch.X` PyTorch's module: `symcount.pytorch.RNN(10, 8)`
is `nn.RNN(10, 8)`, `symcount.RNN(symcount.LSTMCell(8))` Keras' `RNN(LSTMCell(8))`.

A model holding a layer made by one of these constructors counts as PyTorch (channels first,
PyTorch's weights): `framework="torch"` is implied, and `framework="keras"` is refused.

Example:
    >>> from symcount import Conv2d, Flatten, Input, Linear, Sequential
    >>> net = Sequential(Input(3, 32, 32), Conv2d(3, 16, 3, padding=1), Flatten(), Linear(16 * 32 * 32, 10))
    >>> net.params, [row.kind for row in net.rows]  # 16*3*3*3 + 16 = 448; 16,384*10 + 10 = 163,850
    (164298, ['Conv2d', 'Flatten', 'Linear'])
    >>> net.framework
    'torch'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import layers
from .layers import Layer, load_all
from .layers.base import mark_torch
from .spec import build_layer
from .target import TORCH

# Every torch.nn class a layer spells (ReLU and LeakyReLU are one layer), unless it is the name of
# a layer class that is that same layer (`Embedding`): a Keras class of the same name that is
# another layer (`ReLU`, `RNN`, `LSTMCell`) does not hide PyTorch's module here.
_NAMES = {
    name: cls
    for cls in load_all().values()
    for name in cls.keys(True)
    if name not in layers.__all__ or getattr(layers, name) is not cls
}
__all__ = sorted(_NAMES)


def _constructor(torch_class: str) -> Callable[..., Layer]:
    def make(*args: Any, **kwargs: Any) -> Layer:
        entry = {torch_class: list(args), **kwargs} if args else {torch_class: dict(kwargs)}
        return mark_torch(build_layer(entry, TORCH))

    make.__name__ = make.__qualname__ = torch_class
    make.__doc__ = f"PyTorch's nn.{torch_class}, in its argument order, as a symcount layer."
    return make


for _name in __all__:
    globals()[_name] = _constructor(_name)
