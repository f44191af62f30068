"""A spec from a Keras factory: its layer calls in graph order, each read as the symcount layer of
its class (`keras_layers.describe`), lifted to the sizes across builds as for PyTorch (`Lifter`),
and verified against Keras' `count_params()` and, for compute, against PyTorch's
`FlopCounterMode` on the same model (on Keras' torch backend a Keras model is a torch Module), at
the user's sizes and at fresh ones.

Keras models are built on Keras' meta device (torch backend): no weights. A layer called twice
(a shared layer) is one entry and then `use` entries. Where a loop made alike blocks whose number
changes with the sizes, they become one `repeat` (`keras_blocks`); other changes are refused.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..spec import parse_spec
from .common import CHECKS, DEGREE, Imported, Lifter, ReadError, is_default, sizes_text, spec_yaml
from .fit import fit, monomials
from .frameworks import build, framework_of, require
from .keras_blocks import Run, runs
from .keras_layers import describe
from .points import draw, verification_points

__all__ = ["from_keras", "keras_macs"]

MERGES = frozenset({"add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"})


@dataclass
class _Entry:
    key: str  # a spec key, or "use" for a shared layer's later call
    args: dict[str, Any]
    name: str
    inputs: list[str]
    params: int
    path: str  # the comment: the Keras class and layer name
    node: Any = field(default=None, repr=False)
    row: str = ""  # a `use` of `x` whose name nothing reads is the model's row `x#2`, `x#3`...


@dataclass
class _Reading:
    entries: list[_Entry]
    inputs: dict[str, tuple[int, ...]]  # input name -> shape without the batch
    outputs: list[str] = field(default_factory=list)  # the entries (or inputs) the model returns


def _graph(model: Any) -> Any:
    """The functional graph behind `model` (a Sequential keeps one once it has an Input)."""
    graph = getattr(model, "_functional", model) if type(model).__name__ == "Sequential" else model
    if graph is None or not hasattr(graph, "_nodes_by_depth"):
        raise ReadError(
            f"{model.name}: a model with no graph yet (a Sequential without keras.Input, or a subclassed "
            "Model); start it with keras.Input(shape=...)"
        )
    return graph


def _nodes(graph: Any) -> list[Any]:
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


def _read(model: Any) -> _Reading:
    """The entries of a built Keras model, in graph order, and its inputs' shapes."""
    keras = require("keras")
    graph = _graph(model)
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
    entries: list[_Entry] = []
    first_call: dict[int, str] = {}  # id(layer) -> its first entry's name
    uses: dict[int, int] = {}  # id(layer) -> its calls so far
    nodes = _nodes(graph)
    inside = {id(n) for n in nodes}
    for node in nodes:
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
                _Entry(
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
            _Entry(key, args, layer.name, reads, weights, f"{type(layer).__name__} {layer.name}", node)
        )
        first_call[id(layer)] = layer.name
        source[id(node.output_tensors[0])] = layer.name
    return _Reading(entries, inputs, [source.get(id(t), "?") for t in graph.outputs])


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _layout(reading: _Reading) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.key, e.name, tuple(e.inputs)) for e in reading.entries]


def _lift(lifter: Lifter, values: Sequence[Any], where: str) -> Any:
    """Lift an argument's values, element by element for lists and nested entries."""
    first = values[0]
    if isinstance(first, dict) and all(isinstance(v, dict) and v.keys() == first.keys() for v in values):
        return {k: _lift(lifter, [v[k] for v in values], f"{where}.{k}") for k in first}
    if isinstance(first, list) and all(isinstance(v, list) and len(v) == len(first) for v in values):
        return [_lift(lifter, [v[i] for v in values], f"{where}[{i}]") for i in range(len(first))]
    return lifter.lift(values, where)


def from_keras(
    factory: Callable[..., Any], /, *, seed: int = 0, name: str | None = None, **sizes: int
) -> Imported:
    """The spec of the Keras model `factory(**sizes)`, its numbers lifted to the sizes, verified
    against Keras' `count_params()` and PyTorch's FlopCounterMode (MACs) at the sizes given and at
    fresh ones."""
    require("keras")
    names = list(sizes)
    for key, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ReadError(f"sizes must be positive integers. Received: {key}={value!r}")
    rng = random.Random(seed)
    points: list[tuple[int, ...]] = []
    readings: list[_Reading] = []
    users: Any = None
    for degree, lifting in ((1, _Linear), (DEGREE, Lifter)):  # most arguments are linear: fewer builds
        while len(points) < len(monomials(len(names), degree)) + 3:
            point = tuple(sizes[n] for n in names) if not points else tuple(draw(sizes, rng).values())
            if point not in points:
                model = _build(factory, dict(zip(names, point)), not points)
                users = model if not points else users  # the model at the user's sizes: verified too
                readings.append(_read(model))
                points.append(point)
        try:
            data, comments = _spec_data(readings, points, names, sizes, lifting(names, points))
            break
        except _NotLinear:
            continue
    data["name"] = name or str(getattr(factory, "__name__", "imported"))
    spec = parse_spec(data, "imported spec")
    checked = _verify(spec, factory, sizes, rng, users)
    text = spec_yaml(data, comments, sizes, checked, str(getattr(factory, "__name__", "factory")))
    return Imported(spec, text, dict(sizes), checked)


class _NotLinear(ReadError):
    """An argument that no polynomial of degree 1 gives: read more builds, for degree 2."""


class _Linear(Lifter):
    """A `Lifter` of degree 1, tried first: it needs fewer builds (n + 4 for n sizes, not about n*n/2)."""

    def lift(self, values: Sequence[Any], where: str) -> Any:
        first = values[0]
        if all(v == first and type(v) is type(first) for v in values):
            return first
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return super().lift(values, where)  # the error, worded once
        result = fit(self.points, {"v": list(values)}, 1)["v"]
        if result.coefficients is None:
            raise _NotLinear(where)
        return self.expression(result.coefficients)


def _spec_data(
    readings: list[_Reading],
    points: list[tuple[int, ...]],
    names: list[str],
    sizes: Mapping[str, int],
    lifter: Lifter,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The spec (as YAML data, without its name) of the builds `readings` at `points`, and the
    comments of its entries."""
    first = readings[0]
    comments: dict[str, str] = {}
    blocks: dict[str, list[dict[str, Any]]] = {}
    changed = next((i for i, r in enumerate(readings) if _layout(r) != _layout(first)), None)
    if changed is None:
        layers = _items(readings, [list(range(len(first.entries)))] * len(readings), lifter, {}, comments, "")
    else:
        run = runs([r.entries for r in readings])
        if run is None or not run.counts[0]:
            at = sizes_text(dict(zip(names, points[changed])))
            raise ReadError(
                f"the model's layers change with the sizes ({len(first.entries)} layers at {sizes_text(sizes)}, "
                f"{len(readings[changed].entries)} at {at}) but not as one run of alike blocks; keep the number "
                "of blocks fixed (not a size), or import one block and write a `repeat` of it in the spec"
            )
        layers, blocks = _repeated(readings, run, names, points, lifter, comments)
    shapes = {
        key: [
            lifter.lift([r.inputs[key][i] for r in readings], f"input {key!r}, axis {i + 1}")
            for i in range(len(shape))
        ]
        for key, shape in first.inputs.items()
    }
    shape: Any = shapes["input"] if list(shapes) == ["input"] else shapes
    data = {"name": "", "framework": "keras", "input": shape, "values": dict(sizes), "layers": layers}
    outputs = [BLOCKS if blocks and o == _last_block_entry(first, layers) else o for o in first.outputs]
    if outputs != [layers[-1]["name"]]:
        data["outputs"] = outputs
    if blocks:
        data["blocks"] = blocks
    return data, comments


def _items(
    readings: Sequence[_Reading],
    positions: Sequence[Sequence[int]],
    lifter: Lifter,
    renamed: Mapping[str, str],
    comments: dict[str, str],
    scope: str,
    previous: str | None = None,
) -> list[dict[str, Any]]:
    """Spec entries for the calls at `positions[i]` of each reading `i` (the same calls at every
    build), their arguments lifted, their inputs `renamed` where they leave the group."""
    first = readings[0]
    items: list[dict[str, Any]] = []
    for n, position in enumerate(positions[0]):
        entry = first.entries[position]
        item: dict[str, Any]
        if entry.key == "use":
            item = {"use": _used(first, entry)}
        else:
            args = {}
            for arg in entry.args:
                values = [r.entries[p[n]].args[arg] for r, p in zip(readings, positions)]
                value = _lift(lifter, values, f"{entry.name}: {arg}")
                if not is_default(entry.key, arg, value):
                    args[arg] = value
            item = {entry.key: args}
        item["name"] = entry.name
        inputs = [renamed.get(s, s) for s in entry.inputs]
        before = items[-1]["name"] if items else (previous or next(iter(first.inputs)))
        several = len(first.inputs) > 1 and set(inputs) & set(first.inputs)  # named: no default input
        if inputs != [before] or entry.key == "use" or several:
            item["inputs"] = inputs
        items.append(item)
        comments[scope + entry.name] = entry.path
    return items


BLOCK, BLOCKS = "block", "blocks"  # the repeated block's name in `blocks:`, and its repeat's


def _repeated(
    readings: Sequence[_Reading],
    run: Run,
    names: Sequence[str],
    points: Sequence[tuple[int, ...]],
    lifter: Lifter,
    comments: dict[str, str],
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The spec's layers and its block for models whose calls are a prefix, `run` and a suffix."""
    first = readings[0]
    start, period, count = run.start, run.period, run.counts[0]
    block = first.entries[start : start + period]
    inside = {e.name for e in block}
    before = first.entries[start - 1].name if start else next(iter(first.inputs))
    for entry in block:
        for source in entry.inputs:
            if source not in inside and source != before:
                raise ReadError(f"{entry.name}: a repeated block that reads {source}, outside the block")
    last = first.entries[start + period * count - 1].name
    body = {e.name for e in first.entries[start : start + period * count]}
    for entry in first.entries[len(first.entries) - run.suffix :]:
        for source in entry.inputs:
            if source in body and source != last:
                raise ReadError(f"{entry.name}: reads {source}, inside a repeated block (not its output)")
    prefix = _items(readings, [list(range(start))] * len(readings), lifter, {}, comments, "")
    times = lifter.lift(list(run.counts), "the repeated blocks (how many)")
    full = [i for i, c in enumerate(run.counts) if c]  # builds with a block to read its arguments
    inner = type(lifter)(list(names), [points[i] for i in full])
    block_items = _items(
        [readings[i] for i in full],
        [list(range(start, start + period))] * len(full),
        inner,
        {before: "input"},
        comments,
        f"{BLOCK}.",
        previous="input",
    )
    repeat: dict[str, Any] = {"repeat": {"times": times, "block": BLOCK}, "name": BLOCKS}
    suffix_items = _items(
        readings,
        [[len(r.entries) - run.suffix + j for j in range(run.suffix)] for r in readings],
        lifter,
        {last: BLOCKS},
        comments,
        "",
        previous=BLOCKS,
    )
    return [*prefix, repeat, *suffix_items], {BLOCK: block_items}


def _last_block_entry(reading: _Reading, layers: list[dict[str, Any]]) -> str:
    """The name, at the user's sizes, of the last call in the repeated blocks (the repeat's output)."""
    names = [item["name"] for item in layers]
    after = len(layers) - 1 - names.index(BLOCKS)  # entries after the repeat
    return reading.entries[len(reading.entries) - after - 1].name


def _used(reading: _Reading, entry: _Entry) -> str:
    """The name of the entry a `use` entry calls again: the same layer's first call."""
    layer = entry.node.operation
    return next(e.name for e in reading.entries if e.key != "use" and e.node.operation is layer)


def _build(factory: Callable[..., Any], point: Mapping[str, int], users: bool) -> Any:
    try:
        model = build(factory, point)
    except Exception as error:
        if isinstance(error, ReadError) or not users:
            raise
        raise ReadError(
            f"the factory fails at {sizes_text(point)}: {type(error).__name__}: {error}"
        ) from None
    if framework_of(model) != "keras":
        raise ReadError("from_keras needs a Keras model; use from_torch for a torch.nn.Module")
    return model


def keras_macs(model: Any) -> list[tuple[Any, int]]:
    """Each call's MACs in a forward pass of a built Keras model (batch 1), in graph order, as
    PyTorch's FlopCounterMode counts them (its FLOPs halved): on Keras' torch backend a layer is a
    torch Module. The graph is run call by call on the meta device, as Keras' functional model runs
    it; a layer without weights that cannot run on meta (UpSampling converts a tensor to NumPy) runs
    on the CPU, on zeros of its input's shape (at most `CPU_ELEMENTS` of them)."""
    torch = require("torch")
    keras = require("keras")
    from torch.utils.flop_counter import FlopCounterMode

    graph = _graph(model)
    dtypes = {"int32": torch.int32, "int64": torch.int64}

    def zeros(tensor: Any, device: str) -> Any:
        shape = (1, *(int(s) for s in tensor.shape[1:]))
        return torch.zeros(shape, dtype=dtypes.get(str(tensor.dtype), torch.float32), device=device)

    values = {id(t): zeros(t, "meta") for t in graph.inputs}
    found = []
    for node in _nodes(graph):
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


def _verify(
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
            entries = _read(built).entries
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
        _check_macs(valued, built, point)
    return tuple(points[1:])


RECURRENT = frozenset({"lstm", "gru", "simple_rnn", "bidirectional"})


def _check_macs(valued: Any, built: Any, point: Mapping[str, int]) -> None:
    """The spec's MACs against FlopCounterMode's, call by call; a difference names the first call.

    Keras' torch backend runs a recurrent layer's first step twice when it loops in Python (once
    "to determine the cell output shape", keras/src/backend/torch/rnn.py), so FlopCounterMode counts
    T + 1 steps of T there: a recurrent layer matches at T steps or at exactly that one more."""
    from ..costs import Measure

    measure = Measure("macs")
    rows = {row.name: int(measure.row(valued, row)) for row in valued.rows}
    entries = {id(e.node): e for e in _read(built).entries}
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
