"""Reading a built Keras model: its layer calls in graph order (a Functional's nodes, each after
those it reads, otherwise in the order the layers were made), each read as a symcount layer
(`keras_layers.describe`), with the names of the tensors it reads; a shared layer's later calls
are `use` entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .common import ReadError
from .frameworks import require
from .keras_layers import describe

__all__ = ["Entry", "Reading", "read", "graph_of", "nodes"]

MERGES = frozenset({"add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"})


@dataclass
class Entry:
    key: str  # a spec key, or "use" for a shared layer's later call
    args: dict[str, Any]
    name: str
    inputs: list[str]
    params: int
    path: str  # the comment: the Keras class and layer name
    node: Any = field(default=None, repr=False)
    row: str = ""  # a `use` of `x` whose name nothing reads is the model's row `x#2`, `x#3`...
    frozen: bool = False  # a layer with weights and `trainable = False`: `trainable: false`


@dataclass
class Reading:
    entries: list[Entry]
    inputs: dict[str, tuple[int, ...]]  # input name -> shape without the batch
    outputs: list[str] = field(default_factory=list)  # the entries (or inputs) the model returns


def graph_of(model: Any) -> Any:
    """The functional graph behind `model` (a Sequential keeps one once it has an Input)."""
    graph = getattr(model, "_functional", model) if type(model).__name__ == "Sequential" else model
    if graph is None or not hasattr(graph, "_nodes_by_depth"):
        raise ReadError(
            f"{model.name}: a model with no graph yet (a Sequential without keras.Input, or a subclassed "
            "Model); start it with keras.Input(shape=...)"
        )
    return graph


def nodes(graph: Any) -> list[Any]:
    """The graph's calls, each after those it reads, otherwise in the order the layers were made."""
    nodes = [n for depth in graph._nodes_by_depth.values() for n in depth if not n.is_input]
    index = {id(op): i for i, op in enumerate(graph.operations)}
    nodes.sort(key=lambda n: (index.get(id(n.operation), -1), n.operation._inbound_nodes.index(n)))
    inside = {id(n) for n in nodes}
    placed: list[Any] = []
    seen: set[int] = set()

    def place(node: Any) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parent_nodes:
            if id(parent) in inside:
                place(parent)
        placed.append(node)

    for node in nodes:
        place(node)
    return placed


def read(model: Any) -> Reading:
    """The entries of a built Keras model, in graph order, and its inputs' shapes."""
    keras = require("keras")
    graph = graph_of(model)
    one = len(graph.inputs) == 1
    source: dict[int, str] = {}  # id(tensor) -> the name of the entry (or input) it comes from
    inputs: dict[str, tuple[int, ...]] = {}
    for tensor in graph.inputs:
        name = "input" if one else tensor._keras_history.operation.name
        source[id(tensor)] = name
        inputs[name] = tuple(int(s) if s is not None else 0 for s in tensor.shape[1:])
        if 0 in inputs[name]:
            raise ReadError(
                f"input {name!r}: an axis of unknown size ({tuple(tensor.shape[1:])}); give keras.Input its shape"
            )
    entries: list[Entry] = []
    first_call: dict[int, str] = {}  # id(layer) -> its first entry's name
    uses: dict[int, int] = {}  # id(layer) -> its calls so far
    calls = nodes(graph)
    inside = {id(n) for n in calls}
    for node in calls:
        layer = node.operation
        calls = [id(n) for n in layer._inbound_nodes if id(n) in inside]
        call = calls.index(id(node))
        tensors = node.input_tensors
        found = [source.get(id(t)) for t in tensors]
        if None in found:
            raise ReadError(f"{layer.name}: reads a tensor made outside the model's layers")
        sources = [s for s in found if s is not None]
        if isinstance(layer, keras.Model):
            raise ReadError(
                f"{layer.name}: a model used as a layer is not read yet; build its layers into the outer model"
            )
        if not isinstance(layer, keras.layers.Layer):
            raise ReadError(
                f"{layer.name}: the operation {type(layer).__name__} between layers is not read; "
                "use its layer (keras.layers.Add, Multiply, Concatenate, Reshape...) instead"
            )
        if len(node.output_tensors) != 1:
            raise ReadError(
                f"{layer.name}: a layer with {len(node.output_tensors)} outputs is not read (return_state)"
            )
        weights = layer.count_params()
        if call > 0 and id(layer) in first_call:
            name = f"{layer.name}_call{call + 1}"
            entries.append(
                Entry(
                    "use", {}, name, _unique(sources), 0, f"{type(layer).__name__} {layer.name}, again", node
                )
            )
            uses[id(layer)] = uses.get(id(layer), 1) + 1
            entries[-1].row = f"{first_call[id(layer)]}#{uses[id(layer)]}"
            source[id(node.output_tensors[0])] = name
            continue
        described = describe(layer)
        if described is None:
            same = [tuple(t.shape) for t in tensors] == [tuple(t.shape) for t in node.output_tensors]
            if weights == 0 and same and len(set(sources)) == 1:  # Dropout, ReLU(max_value=...)...
                source[id(node.output_tensors[0])] = sources[0]
                continue
            raise ReadError(
                f"{layer.name}: no symcount layer for the Keras layer {type(layer).__name__} ({weights:,} weights); "
                "`symcount layers` lists those read"
            )
        key, args = described
        reads = sources if key in MERGES else _unique(sources)
        entries.append(
            Entry(key, args, layer.name, reads, weights, f"{type(layer).__name__} {layer.name}", node)
        )
        entries[-1].frozen = bool(weights) and not layer.trainable
        first_call[id(layer)] = layer.name
        source[id(node.output_tensors[0])] = layer.name
    return Reading(entries, inputs, [source.get(id(t), "?") for t in graph.outputs])


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))
