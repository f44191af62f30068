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

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..spec import parse_spec
from .common import DEGREE, Imported, Lifter, Linear, NotLinear, ReadError, is_default, sizes_text, spec_yaml
from .fit import monomials
from .frameworks import build, framework_of, require
from .keras_blocks import Run, runs
from .keras_read import Entry, Reading, read
from .keras_verify import BLOCKS, keras_macs, verify
from .points import draw

__all__ = ["from_keras", "keras_macs"]


def _layout(reading: Reading) -> list[tuple[str, str, tuple[str, ...]]]:
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
    readings: list[Reading] = []
    users: Any = None
    for degree, lifting in ((1, Linear), (DEGREE, Lifter)):  # most arguments are linear: fewer builds
        while len(points) < len(monomials(len(names), degree)) + 3:
            point = tuple(sizes[n] for n in names) if not points else tuple(draw(sizes, rng).values())
            if point not in points:
                model = _build(factory, dict(zip(names, point)), not points)
                users = model if not points else users  # the model at the user's sizes: verified too
                readings.append(read(model))
                points.append(point)
        try:
            data, comments = _spec_data(readings, points, names, sizes, lifting(names, points))
            break
        except NotLinear:
            continue
    data["name"] = name or str(getattr(factory, "__name__", "imported"))
    spec = parse_spec(data, "imported spec")
    checked = verify(spec, factory, sizes, rng, users)
    text = spec_yaml(data, comments, sizes, checked, str(getattr(factory, "__name__", "factory")))
    return Imported(spec, text, dict(sizes), checked)


def _spec_data(
    readings: list[Reading],
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
    readings: Sequence[Reading],
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
        if entry.frozen:
            item["trainable"] = False
        inputs = [renamed.get(s, s) for s in entry.inputs]
        before = items[-1]["name"] if items else (previous or next(iter(first.inputs)))
        several = len(first.inputs) > 1 and set(inputs) & set(first.inputs)  # named: no default input
        if inputs != [before] or entry.key == "use" or several:
            item["inputs"] = inputs
        items.append(item)
        comments[scope + entry.name] = entry.path
    return items


BLOCK = "block"  # the repeated block's name in `blocks:` (its repeat is BLOCKS)


def _repeated(
    readings: Sequence[Reading],
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


def _last_block_entry(reading: Reading, layers: list[dict[str, Any]]) -> str:
    """The name, at the user's sizes, of the last call in the repeated blocks (the repeat's output)."""
    names = [item["name"] for item in layers]
    after = len(layers) - 1 - names.index(BLOCKS)  # entries after the repeat
    return reading.entries[len(reading.entries) - after - 1].name


def _used(reading: Reading, entry: Entry) -> str:
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
