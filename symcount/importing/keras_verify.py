"""Verifying an imported Keras spec: its parameters against Keras' `count_params()`, its MACs
against PyTorch's `FlopCounterMode` run on the Keras model call by call (on Keras' torch backend
each layer is a torch Module), at the user's sizes and at fresh ones.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any

from .common import CHECKS, ReadError, sizes_text
from .frameworks import build, require
from .keras_read import graph_of, nodes, read
from .points import verification_points

__all__ = ["keras_macs", "verify", "check_macs", "BLOCKS"]

BLOCKS = "blocks"  # the name of an imported spec's repeat of Keras blocks


def keras_macs(model: Any) -> list[tuple[Any, int]]:
    """Each call's MACs in a forward pass of a built Keras model (batch 1), in graph order, as
    PyTorch's FlopCounterMode counts them (its FLOPs halved): on Keras' torch backend a layer is a
    torch Module. The graph is run call by call on the meta device, as Keras' functional model runs
    it; a layer without weights that cannot run on meta (UpSampling converts a tensor to NumPy) runs
    on the CPU, on zeros of its input's shape (at most `CPU_ELEMENTS` of them)."""
    torch = require("torch")
    keras = require("keras")
    from torch.utils.flop_counter import FlopCounterMode

    graph = graph_of(model)
    dtypes = {"int32": torch.int32, "int64": torch.int64}

    def zeros(tensor: Any, device: str) -> Any:
        shape = (1, *(int(s) for s in tensor.shape[1:]))
        return torch.zeros(shape, dtype=dtypes.get(str(tensor.dtype), torch.float32), device=device)

    values = {id(t): zeros(t, "meta") for t in graph.inputs}
    found = []
    for node in nodes(graph):
        with FlopCounterMode(display=False) as mode, torch.no_grad():
            try:
                with keras.device("meta"):
                    args, kwargs = node.arguments.fill_in(values)
                    outputs = node.operation(*args, **kwargs)
            except Exception as error:
                elements = sum(math.prod(int(s) for s in t.shape[1:]) for t in node.input_tensors)
                if node.operation.count_params() or elements > CPU_ELEMENTS:
                    raise ReadError(
                        f"{node.operation.name}: FlopCounterMode cannot run it on the meta device "
                        f"({type(error).__name__}: {str(error).strip().splitlines()[0]})"
                    ) from None
                with keras.device("cpu"):
                    args, kwargs = node.arguments.fill_in(
                        {id(t): zeros(t, "cpu") for t in node.input_tensors}
                    )
                    outputs = node.operation(*args, **kwargs)
        for tensor in node.output_tensors:
            values[id(tensor)] = zeros(tensor, "meta")
        del outputs
        found.append((node, int(mode.get_total_flops()) // 2))
    return found


CPU_ELEMENTS = 10**7  # the largest input of a layer run on the CPU because it cannot run on meta


def verify(
    spec: Any, factory: Callable[..., Any], sizes: Mapping[str, int], rng: random.Random, users: Any
) -> tuple[dict[str, int], ...]:
    model = spec.model()
    points = verification_points(sizes, rng, CHECKS)
    known = {s.name for s in model.symbols}
    for point in points:
        built = users if point == dict(sizes) else build(factory, point)
        valued = model.subs({k: v for k, v in point.items() if k in known})
        mine, theirs = int(valued.params), built.count_params()
        if mine != theirs:
            entries = read(built).entries
            rows = {row.name: int(row.params) for row in valued.rows}
            first = next((e for e in entries if e.key != "use" and rows.get(e.name) != e.params), None)
            where = (
                f"; first layer that differs: {first.name} ({rows.get(first.name)} against {first.params:,})"
                if first
                else ""
            )
            raise ReadError(
                f"the imported spec counts {mine:,} parameters at {sizes_text(point)}, Keras {theirs:,}{where}"
            )
        mine = int(valued.trainable)
        theirs = sum(math.prod(w.shape) for w in built.trainable_weights)
        if mine != theirs:
            raise ReadError(
                f"the imported spec counts {mine:,} trainable parameters at {sizes_text(point)}, Keras {theirs:,}"
            )
        check_macs(valued, built, point)
    return tuple(points[1:])


RECURRENT = frozenset({"lstm", "gru", "simple_rnn", "bidirectional"})


def check_macs(valued: Any, built: Any, point: Mapping[str, int]) -> None:
    """The spec's MACs against FlopCounterMode's, call by call; a difference names the first call.

    Keras' torch backend runs a recurrent layer's first step twice when it loops in Python (once
    "to determine the cell output shape", keras/src/backend/torch/rnn.py), so FlopCounterMode counts
    T + 1 steps of T there: a recurrent layer matches at T steps or at exactly that one more."""
    from ..costs import Measure

    measure = Measure("macs")
    rows = {row.name: int(measure.row(valued, row)) for row in valued.rows}
    entries = {id(e.node): e for e in read(built).entries}
    measured = []  # (name, the spec's MACs for it or None where no row is its own, FlopCounterMode's)
    for node, theirs in keras_macs(built):
        entry = entries.get(id(node))
        name = entry.name if entry else node.operation.name
        row = name if name in rows else (entry.row if entry and entry.row in rows else None)
        mine = rows[row] if row is not None else (None if entry and BLOCKS in rows else 0)
        steps = int(node.input_tensors[0].shape[1]) if entry and entry.key in RECURRENT else 0
        if mine is not None and steps and theirs * steps == mine * (steps + 1):
            theirs = mine  # the step Keras' torch backend runs twice
        measured.append((name, mine, theirs))
    total = sum(theirs for _, _, theirs in measured)
    if total == int(valued.macs):
        return
    first = next((m for m in measured if m[1] is not None and m[1] != m[2]), None)
    where = f"; first layer that differs: {first[0]} ({first[1]:,} against {first[2]:,})" if first else ""
    raise ReadError(
        f"the imported spec computes {int(valued.macs):,} MACs at {sizes_text(point)}, FlopCounterMode counts "
        f"{total:,}{where}"
    )
