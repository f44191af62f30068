"""Measure what PyTorch's autograd keeps for the backward pass: the oracle of `activation-memory`.

`saved_bytes(module, *inputs)` runs one training-mode forward pass under
`torch.autograd.graph.saved_tensors_hooks` and returns the bytes of the distinct storages the
tensors saved for backward live in (a view keeps its whole storage; a storage saved twice counts
once), parameters and buffers excluded. Nothing runs backward: the hooks see every tensor as it
is saved.
"""

from __future__ import annotations

from typing import Any


def saved_storages(module: Any, *inputs: Any, call: Any = None) -> dict[int, tuple[int, str]]:
    """Storage pointer -> (bytes, dtype) of every tensor saved for backward, parameters excluded."""
    import torch

    excluded = {p.untyped_storage().data_ptr() for p in module.parameters()}
    excluded |= {b.untyped_storage().data_ptr() for b in module.buffers()}
    kept: dict[int, tuple[int, str]] = {}
    keep_alive: list[Any] = []

    def pack(tensor: Any) -> Any:
        storage = tensor.untyped_storage()
        pointer = storage.data_ptr()
        if pointer not in excluded and storage.nbytes():
            kept[pointer] = (storage.nbytes(), str(tensor.dtype))
        keep_alive.append(tensor)  # a freed storage's address could be reused by a later one
        return tensor

    module.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = call(module, *inputs) if call is not None else module(*inputs)
    del output
    return kept


def saved_bytes(module: Any, *inputs: Any, call: Any = None) -> int:
    """Bytes of the distinct storages autograd keeps in a training-mode forward pass."""
    return sum(size for size, _ in saved_storages(module, *inputs, call=call).values())
