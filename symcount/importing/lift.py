"""A spec from a PyTorch factory, its numbers lifted to the sizes it was given, and verified.

The factory is built (on the meta device) and read (`trace.read`) at the user's sizes and at random
sizes that keep their divisibility (`points.draw`). A container of blocks (`ModuleList`,
`Sequential`, the model itself) whose length changes with the sizes becomes children on their own,
a `repeat` of alike blocks whose `times` is lifted too, and children on their own (`_Run`). Every
integer argument is fitted, across the builds, by an exact polynomial in the sizes (`fit.fit`): of
degree 1 first, from the n + 1 builds that determine a line in n sizes (one more where an argument
comes out a fraction: a ratio), and only when an argument is not linear from more builds, at
degree 2; an argument no polynomial of degree <= 2 fits is an error naming the layer.

Then 3 fresh builds, none of them fitted from, are read with FlopCounterMode on in the same forward
pass (`_fresh`): every number they read must be what the fit says (else they join the fit, and new
fresh builds are read), and at them and at the user's sizes the spec's parameters, trainable
parameters and MACs must equal PyTorch's (`_verify`); any difference is an error naming the first
layer that differs.

What an import costs is its builds' forward passes, n + 4 for n sizes, which grow with the number
of blocks: each build is the cheapest of many random points (`_next_point`), by the operations the
builds read so far predict (`_operations`, `_depths`), and no build is spent on a point that adds
nothing to the fit. The first fresh build gives every size a value no build had, so the check sees
what a fit of cheap builds could miss.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import SymcountError
from ..model import Model
from ..names import symbol
from ..spec import Spec, parse_spec
from .common import (
    CHECKS,
    DEGREE,
    Imported,
    Lifter,
    Linear,
    NotLinear,
    ReadError,
    Undetermined,
    is_default,
    sizes_text,
    spec_yaml,
)
from .fit import fit, monomials, rank
from .frameworks import build, framework_of, prepare_torchvision, require
from .inputs import SEQUENCE, TOKENS, Inputs
from .points import draw
from .trace import Entry, ForwardError, Reading, child_index, module_flops, read

__all__ = ["Imported", "ReadError", "from_torch", "from_torch_model", "channels"]


def channels(shape: Sequence[Any]) -> list[Any]:
    """The spec's input shape for a PyTorch input of `shape` (without the batch): the one place of
    the channel convention. symcount's `framework: torch` specs are channels-first, as PyTorch is,
    so an image (C, H, W) stays [C, H, W]."""
    return list(shape)


# One reading per build --------------------------------------------------------------------------


def _example(model: Any, input_sizes: Sequence[int | str] | None) -> Callable[[Any], Any]:
    """The example of a model already built: the given shape, else guessed from the model."""
    given = None if input_sizes is None else [str(n) for n in input_sizes]
    return Inputs.parse(given, {}).example(model, {})


# Blocks and structure ---------------------------------------------------------------------------


def _module(path: str) -> str:
    return path.split("#", 1)[0]


def _under(path: str, prefix: str) -> bool:
    if prefix == "":  # the model itself, a numbered Sequential: everything is in it
        return True
    module = _module(path)
    return module == prefix or module.startswith(prefix + ".") or (path.startswith(prefix + "#"))


def _inside(path: str, container: str) -> bool:
    """Whether module `path` is strictly inside `container` ("" being the model itself)."""
    return path != container and (container == "" or path.startswith(container + "."))


def _join(container: str, child: str) -> str:
    return f"{container}.{child}" if container else child


def _child(path: str, container: str) -> str | None:
    """The child of `container` that entry `path` runs in, None for an operation of the container's
    own forward."""
    module = _module(path)
    if not _inside(module, container):
        return None
    return module[len(container) + 1 if container else 0 :].split(".")[0]


@dataclass
class _Item:
    """A top-level spec entry at one build: one entry, or a repeat of `blocks` (lists of entries).
    `where` tells entries apart across builds (a layer after a repeat is child L+1 of its
    Sequential: counted from the end)."""

    entry: Entry | None = None
    container: str = ""
    blocks: list[list[int]] | None = None  # indices into the reading's entries, per block
    start: int = 0  # the index of the first repeated child (1 where block 0 stands on its own)
    where: str = ""


@dataclass(frozen=True)
class _Run:
    """How a container's children split: `before` children each on its own, then alike blocks of
    `period` children each (their number changes with the sizes), then `after` children on their
    own. A ModuleList of blocks is (0, 1, 0); a ResNet stage (1, 1, 0); `Sequential(stem,
    *blocks, head)` (1, 1, 1); a Sequential of [Linear, ReLU] pairs between two layers (2, 2, 1)."""

    before: int = 0
    period: int = 1
    after: int = 0


MAX_PERIOD = 8  # children in one repeated block, at most (Linear, norm, activation, dropout...)


def _children(reading: Reading, container: str) -> list[list[int]] | None:
    """The entries of each child of `container` (a child without parameters, a ReLU, has none),
    when they run one child after another as one stretch of the reading; else None."""
    count = reading.containers.get(container, 0)
    kids: list[list[int]] = [[] for _ in range(count)]
    found: list[int] = []
    for i, entry in enumerate(reading.entries):
        if entry.key == "input" or not _under(entry.path, container):
            continue
        child = _child(entry.path, container)
        index = child_index(child) if child is not None else -1
        if not 0 <= index < count:
            return None
        kids[index].append(i)
        found.append(i)
    order = [i for kid in kids for i in kid]
    if not order or order != found or order != list(range(order[0], order[0] + len(order))):
        return None
    return kids


def _shaped(reading: Reading, container: str, block: list[int]) -> tuple[Any, ...]:
    """`_signature` and the shapes in and out: alike blocks that a symbolic repeat may run."""
    if not block:
        return ()
    entries = reading.entries
    first = entries[block[0]]
    source = first.sources[0] if first.sources else -1
    before = entries[source].shape if source >= 0 else reading.input_shape
    signature = tuple(
        (key, where, repr(sorted(args.items(), key=str)), sources)
        for key, where, args, sources in _signature(reading, container, block)
    )
    return (before, signature, tuple(entries[i].shape for i in block))


def _skeleton(reading: Reading, container: str, block: list[int]) -> tuple[Any, ...]:
    """What alike blocks share across builds (their numbers change): keys and places."""
    return tuple((key, where) for key, where, *_ in _signature(reading, container, block)) if block else ()


def _find_run(readings: list[Reading], container: str) -> _Run | None:
    """The split of `container`'s children (`_Run`) that holds at every build: the fewest children
    per block, then the fewest on their own; None when no split does."""
    per = [_children(r, container) for r in readings]
    if any(kids is None for kids in per):
        return None
    kids_per: list[list[list[int]]] = per  # type: ignore[assignment]
    counts = [len(kids) for kids in kids_per]
    if len(set(counts)) == 1:
        return None
    smallest = min(counts)
    for period in range(1, min(smallest, MAX_PERIOD) + 1):
        for fixed in range(smallest - period + 1):
            if any((n - fixed) % period for n in counts):
                continue
            for before in range(fixed + 1):
                run = _Run(before, period, fixed - before)
                if _holds(readings, kids_per, container, run):
                    return run
    return None


def _holds(readings: list[Reading], per: list[list[list[int]]], container: str, run: _Run) -> bool:
    """Whether `run` splits every build's children into alike blocks, the same parts at each."""
    outline: tuple[Any, ...] | None = None
    for reading, kids in zip(readings, per):
        blocks = _run_blocks(kids, run)
        if not blocks or not all(blocks):
            return False
        if len({_shaped(reading, container, b) for b in blocks}) > 1:
            return False
        parts = kids[: run.before] + kids[len(kids) - run.after :]
        here = (
            tuple(_skeleton(reading, container, part) for part in parts),
            _skeleton(reading, container, blocks[0]),
        )
        if outline is None:
            outline = here
        elif here != outline:
            return False
    return True


def _run_blocks(kids: list[list[int]], run: _Run) -> list[list[int]]:
    count = (len(kids) - run.before - run.after) // run.period
    return [
        [i for kid in kids[run.before + b * run.period : run.before + (b + 1) * run.period] for i in kid]
        for b in range(count)
    ]


def _blocks(reading: Reading, container: str, i: int) -> tuple[list[list[int]], int]:
    """The blocks of `container` whose entries start at index `i`, one per child: entry indices per
    block, and the index after them."""
    entries = reading.entries
    blocks: list[list[int]] = []
    while i < len(entries) and _under(entries[i].path, container):
        child = _child(entries[i].path, container)
        index = child_index(child) if child is not None else -1
        if index < 0:
            raise ReadError(
                f"{entries[i].path}: an operation between the blocks of {container or 'the model'}"
            )
        while len(blocks) <= index:
            blocks.append([])
        blocks[index].append(i)
        i += 1
    if any(not b for b in blocks) or any(b[0] <= a[-1] for a, b in itertools.pairwise(blocks)):
        raise ReadError(f"{container or 'the model'}: its blocks do not run one after another")
    return blocks, i


def _signature(reading: Reading, container: str, block: list[int]) -> list[Any]:
    """What must agree for two blocks to be one repeated block: each entry's key, place (its child,
    counted from the block's first, and its path inside that child), arguments, and sources
    (inside the block, else -1)."""
    entries = reading.entries
    base = child_index(_child(entries[block[0]].path, container) or "")
    out = []
    for i in block:
        child = _child(entries[i].path, container) or ""
        out.append(
            (
                entries[i].key,
                (child_index(child) - base, entries[i].path[len(_join(container, child)) :]),
                entries[i].args,
                tuple(block.index(s) if s in block else -1 for s in entries[i].sources),
            )
        )
    return out


def _outermost(containers: Iterable[str]) -> set[str]:
    found = set(containers)
    return {c for c in found if not any(_inside(c, o) for o in found)}


def _minimum_children(reading: Reading) -> dict[str, int]:
    """The children each numbered container must keep at other sizes for its repeat to be read
    (see `_Run`): where its children are not all alike at the user's sizes, one more than the kinds
    of child it has (a ResNet stage: 2, its own first block and one repeated; `Sequential(stem,
    *blocks, head)`: 3), so that a build leaves one block at least."""
    needs: dict[str, int] = {}
    for container in reading.containers:
        kids = _children(reading, container)
        if kids is None or len(kids) < 2:
            continue
        kinds = len({_shaped(reading, container, kid) for kid in kids})
        if kinds > 1:
            needs[container] = min(kinds + 1, len(kids))
    return needs


def _structure(reading: Reading, repeated: set[str], runs: Mapping[str, _Run]) -> list[_Item]:
    items: list[_Item] = []
    entries = reading.entries
    i = 0
    while i < len(entries):
        path = entries[i].path
        if entries[i].key == "input":  # one of several named inputs: the spec's `input` names it
            i += 1
            continue
        container = next((c for c in repeated if _under(path, c)), None)
        if container is None:
            items.append(_Item(entry=entries[i], where=path))
            i += 1
            continue
        run = runs.get(container)
        kids = _children(reading, container) if run is not None else None
        if run is None or kids is None:
            blocks, i = _blocks(reading, container, i)  # one block per child, or the error
            items.append(_Item(container=container, blocks=blocks, where=container))
            continue
        for kid in kids[: run.before]:
            items += [_Item(entry=entries[e], where=entries[e].path) for e in kid]
        blocks = _run_blocks(kids, run)
        items.append(_Item(container=container, blocks=blocks, start=run.before, where=container))
        for k, kid in enumerate(kids[len(kids) - run.after :]):
            child = _join(container, str(len(kids) - run.after + k))
            for e in kid:  # counted from the end: the same place at every depth
                rest = entries[e].path[len(child) :]
                items.append(_Item(entry=entries[e], where=f"{_join(container, f'[{k - run.after}]')}{rest}"))
        i = max(e for kid in kids for e in kid) + 1
    return items


def _relative(path: str, prefix: str) -> str:
    return path[len(prefix) :].lstrip(".") if path.startswith(prefix) else path


def _name(path: str, key: str) -> str:
    module, _, op = path.partition("#")
    base = module.replace(".", "_")
    if op:
        return f"{base}_{key}_{op}" if base else f"{key}_{op}"
    if not base or base[0].isdigit():  # a Sequential's index: the layer's kind first
        return f"{key}_{base}" if base else key
    return base


# Lifting ----------------------------------------------------------------------------------------


def _sample(
    at: Callable[[tuple[int, ...]], Any],
    sizes: Mapping[str, int],
    rng: random.Random,
    needed: int,
    degree: int,
    points: list[tuple[int, ...]],
    readings: list[Any],
) -> None:
    """Builds read by `at` added to `points` and `readings` until there are `needed`: the user's
    sizes first (which must work), then random sizes keeping their divisibility (`_next_point`);
    sizes the factory refuses (a kernel wider than the image) are skipped, and so are builds `at`
    turns down before reading them (`_Refused`)."""
    if not points:
        user = tuple(sizes.values())
        try:
            readings.append(at(user))
        except SymcountError:
            raise
        except Exception as error:
            raise ReadError(
                f"the factory fails at {sizes_text(sizes)}: {type(error).__name__}: {error}"
            ) from None
        points.append(user)
    failures: list[str] = []
    refused: list[tuple[int, ...]] = []
    while len(points) < needed:
        cost = _operations(points, readings) if len(points) > len(sizes) else _depths(points[0], readings[0])
        point = _next_point(sizes, rng, degree, points, refused, cost)
        refused.append(point)  # drawn once: a point refused is not drawn again
        try:
            reading = at(point)
            readings.append(reading)
            points.append(point)
            refused.pop()
        except (ForwardError, _Refused) as error:
            failures.append(f"{sizes_text(dict(zip(sizes, point)))}: {error}")
        except SymcountError:
            raise
        except Exception as error:
            failures.append(f"{sizes_text(dict(zip(sizes, point)))}: {type(error).__name__}: {error}")
        if len(failures) > 2 * needed:
            raise ReadError(f"the factory fails at most sizes drawn near yours, e.g. {failures[-1]}")


CANDIDATES = 6  # random points drawn for each build; the cheapest is built
PREDICTED = 32  # as many when a build's cost is predicted (`_operations`, `_depths`): drawing is cheap


def _next_point(
    sizes: Mapping[str, int],
    rng: random.Random,
    degree: int,
    points: list[tuple[int, ...]],
    refused: list[tuple[int, ...]],
    cost: Callable[[tuple[int, ...]], Any] | None = None,
    novel: bool = False,
) -> tuple[int, ...]:
    """The next point to build: of a few random points keeping the sizes' divisibility, not taken
    yet, the cheapest: by `cost` when given (the forward pass's operations, as the builds read so
    far predict them), else the one of smallest sizes relative to the user's (a build's forward
    pass grows with its number of blocks; the sizes wander 2x either way, so this keeps them near
    the user's). Until the points determine a fit of `degree`, a point must raise their rank (no
    build wasted on a point that tells nothing new: the same depth three times). A `novel` point
    gives every size a value no point has yet, where one of those drawn does: a check there sees
    what a fit of these points could have got wrong (an L*d read as a line through builds of one
    depth)."""
    count = len(monomials(len(sizes), degree))
    known = rank(points, degree) if points else 0
    taken = set(points) | set(refused)
    found: list[tuple[int, ...]] = []
    for _ in range(64):
        point = tuple(draw(sizes, rng).values())
        if point in taken or point in found:
            continue
        found.append(point)
        if len(found) == (PREDICTED if cost else CANDIDATES):
            break
    if not found:
        raise ReadError(f"no new sizes could be drawn near {sizes_text(sizes)}: give sizes that can change")
    user = tuple(sizes.values())

    def relative(p: tuple[int, ...]) -> float:
        return sum(math.log(v / u) for v, u in zip(p, user))

    found.sort(key=lambda p: (cost(p), relative(p)) if cost else relative(p))
    if novel:
        seen = [{p[i] for p in points} for i in range(len(sizes))]
        found = [p for p in found if all(v not in s for v, s in zip(p, seen))] or found
    if known < count:  # the cheapest that tells something new (rank is dearer than drawing)
        return next((p for p in found if rank([*points, p], degree) > known), found[0])
    return found[0]


def _depths(user: tuple[int, ...], reading: Reading) -> Callable[[tuple[int, ...]], float] | None:
    """Until the builds predict a pass's cost (`_operations`), a guess from the user's build alone:
    a size equal to a stage's number of blocks there (L = 2 layers) is taken for that stage's
    depth, and a build costs the sum of such sizes (kept at the stage's `_minimum_children`). None
    when no size looks like a depth."""
    needs = _minimum_children(reading)
    lengths = set(reading.containers.values())
    depth = [i for i, v in enumerate(user) if v in lengths]
    if not depth:
        return None
    floor = {
        i: max((needs.get(c, 1) for c, n in reading.containers.items() if n == user[i]), default=1)
        for i in depth
    }

    def cost(p: tuple[int, ...]) -> float:
        return math.inf if any(p[i] < floor[i] for i in depth) else float(sum(p[i] for i in depth))

    return cost


def _operations(
    points: list[tuple[int, ...]], readings: list[Reading]
) -> Callable[[tuple[int, ...]], float] | None:
    """What a build's forward pass costs, predicted: its entries, fitted (degree 1) across the
    builds read so far. On the meta device a pass costs its operations, not its widths, so a fresh
    build of 7 blocks costs 3.5 of 2 whatever its widths; None when the builds do not tell. A build
    that would leave a stage fewer children than its parts need (which `at` turns down,
    `_keeps_its_parts`) is predicted too, from the stage's length, and costs infinity."""
    needs = _minimum_children(readings[0])
    columns = {" ": [len(r.entries) for r in readings]}
    columns.update({c: [r.containers.get(c, 0) for r in readings] for c in needs})
    results = fit(points, columns, 1)
    if any(r.coefficients is None for r in results.values()):
        return None
    lines = {
        c: [(float(v), exps) for exps, v in r.coefficients.items()]  # type: ignore[union-attr]
        for c, r in results.items()
    }  # a ranking: floats will do

    def at(line: list[tuple[float, tuple[int, ...]]], p: tuple[int, ...]) -> float:
        return sum(v * math.prod(x**e for x, e in zip(p, exps)) for v, exps in line)

    def cost(p: tuple[int, ...]) -> float:
        if any(at(lines[c], p) < n - 0.5 for c, n in needs.items()):
            return math.inf
        return at(lines[" "], p)

    return cost


def from_torch(
    factory: Callable[..., Any],
    /,
    *,
    input: Sequence[str | int] | None = None,
    seed: int = 0,
    name: str | None = None,
    **sizes: int,
) -> Imported:
    """The spec of `factory(**sizes)` (a torch.nn.Module), its numbers as expressions in the sizes,
    verified against PyTorch at the sizes given and at fresh ones.

    `input` names the sizes of the example input, channels-first as PyTorch takes it (an image:
    `input=("C", "H", "W")`); without it, a model starting with an embedding reads token ids and one
    starting with a Linear a vector.

    Arguments are fitted at degree 1 first, from n + 1 builds for n sizes (n + 2 when one comes out
    a fraction), then checked at 3 fresh builds; more builds are read, for degree 2, only when one is not linear.
    """
    require("torch")
    prepare_torchvision()  # a factory that imports transformers or timm imports torchvision
    names = list(sizes)
    for key, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ReadError(f"sizes must be positive integers. Received: {key}={value!r}")
    inputs = Inputs.parse(input, sizes)
    rng = random.Random(seed)
    user = tuple(sizes.values())
    needs: list[dict[str, int]] = []  # the children a stage must keep, from the user's sizes
    counted: set[tuple[int, ...]] = {user}  # builds read with FlopCounterMode on: where the spec is verified

    def at(point: tuple[int, ...]) -> Reading:
        model = _built(factory, dict(zip(names, point)))
        if needs and not _keeps_its_parts(needs[0], model):  # refused before its forward pass
            raise _Refused("a repeated stage with one block")
        reading = read(model, inputs.example(model, dict(zip(names, point))), flops=point in counted)
        if not needs:
            needs.append(_minimum_children(reading))
        return reading

    title = name or str(getattr(factory, "__name__", "imported"))
    checks = _lift(at, sizes, rng, inputs, title, counted)
    spec_data, comments = checks.spec
    spec = parse_spec(spec_data, "imported spec")
    checked = _verify(spec, factory, inputs, names, checks.points, checks.readings)
    return Imported(
        spec,
        spec_yaml(spec_data, comments, sizes, checked, getattr(factory, "__name__", "factory"), flops=True),
        dict(sizes),
        checked,
    )


@dataclass
class _Checked:
    """A lifted spec (its data and comments) and the builds it is verified at: the user's sizes, and
    fresh ones the fit did not see, each read with FlopCounterMode on."""

    spec: tuple[dict[str, Any], dict[str, str]]
    points: list[tuple[int, ...]]
    readings: list[Reading]


ATTEMPTS = 3  # fresh builds that disagree with a fit, at most, before the importer gives up


def _lift(
    at: Callable[[tuple[int, ...]], Reading],
    sizes: Mapping[str, int],
    rng: random.Random,
    inputs: Inputs,
    title: str,
    counted: set[tuple[int, ...]],
) -> _Checked:
    """Fit the spec's numbers from as few builds as determine them (degree 1 first: n + 1 builds
    for n sizes, one more where an argument comes out a fraction), then read `CHECKS` fresh builds, with their FLOPs counted (`counted`): every number
    they read must be what the fit says (a fit of every build gives the same spec). A fresh build
    that disagrees joins the fit, which is tried again (at degree 2 when degree 1 no longer fits)
    with new fresh builds."""
    names = list(sizes)
    points: list[tuple[int, ...]] = []
    readings: list[Reading] = []
    degrees = [(1, Linear), (DEGREE, Lifter)]
    level, attempts, extra = 0, 0, 0
    while True:
        degree, lifting = degrees[level]
        needed = len(monomials(len(names), degree)) + (extra if degree == 1 else 1) if names else 1
        _sample(at, sizes, rng, needed, degree, points, readings)
        _agree_on_attention(readings)
        try:
            spec = _spec_data(readings, lifting(names, points), sizes, inputs, title)
        except Undetermined:
            extra = 1
            continue
        except NotLinear:
            level += 1
            continue
        fresh_points: list[tuple[int, ...]] = []
        fresh: list[Reading] = []
        if names:
            fresh_points, fresh = _fresh(at, sizes, rng, points, _operations(points, readings), counted)
        both = readings + fresh
        _agree_on_attention(both)
        try:
            again = _spec_data(both, lifting(names, points + fresh_points), sizes, inputs, title)
        except NotLinear:
            again = None
        if again == spec:
            return _Checked(spec, [points[0], *fresh_points], [readings[0], *fresh])
        attempts += 1
        if attempts > ATTEMPTS:
            raise ReadError(
                f"the numbers read at fresh sizes keep differing from the fit (e.g. at {sizes_text(dict(zip(names, fresh_points[0])))})"
            )
        points += fresh_points
        readings += fresh
        if again is None:
            level += 1


def _fresh(
    at: Callable[[tuple[int, ...]], Reading],
    sizes: Mapping[str, int],
    rng: random.Random,
    taken: list[tuple[int, ...]],
    cost: Callable[[tuple[int, ...]], Any] | None,
    counted: set[tuple[int, ...]],
) -> tuple[list[tuple[int, ...]], list[Reading]]:
    """`CHECKS` fresh builds read, with FlopCounterMode on (`counted`): none of the points `taken`,
    the cheapest of many drawn (`cost`), the first new in every size (`_next_point`'s `novel`). Sizes the factory refuses, or that `at` turns down (a stage
    left with one block), are no evidence either way: others are drawn, a few times at most."""
    points: list[tuple[int, ...]] = []
    readings: list[Reading] = []
    refused: list[tuple[int, ...]] = []
    while len(points) < CHECKS and len(refused) <= 2 * CHECKS:
        point = _next_point(sizes, rng, 0, taken + points, refused, cost, novel=not points)
        counted.add(point)
        try:
            readings.append(at(point))
            points.append(point)
        except (ForwardError, _Refused):
            refused.append(point)
        except SymcountError:
            raise
        except Exception:
            refused.append(point)
    return points, readings


def _built(factory: Callable[..., Any], point: Mapping[str, int]) -> Any:
    model = build(factory, point)
    if framework_of(model) != "torch":
        raise ReadError("from_torch needs a torch.nn.Module; use from_keras for a Keras model")
    return model


class _Refused(ReadError):
    """A build not read: sizes that tell the importer nothing it can use."""


def _keeps_its_parts(needs: Mapping[str, int], model: Any) -> bool:
    """A stage whose children are not all alike (a ResNet stage's first block, with its projection;
    `Sequential(stem, *blocks, head)`) is read at sizes that leave it the children its parts need
    (`_minimum_children`): each part one child, the repeat one block at least. Told from the built
    model (the children of a numbered container, as `Reading.containers` counts them), so a build
    that would be turned down is not traced."""
    for container, least in needs.items():
        try:
            children = [n for n, _ in model.get_submodule(container).named_children()]
        except AttributeError:
            continue
        if children and all(child_index(n) == i for i, n in enumerate(children)) and len(children) < least:
            return False
    return True


def from_torch_model(
    model: Any, *, input: Sequence[int | str] | None = None, name: str = "imported"
) -> Imported:
    """The spec of an already built torch.nn.Module: every number concrete (no sizes to lift).
    `input` is the example input's shape without the batch (`(3, 32, 32)`), or one `NAME=AXES`
    per input of a forward that takes several (`("input_ids=8", "decoder_input_ids=8")`)."""
    require("torch")
    reading = read(model, _example(model, input))
    lifter = Lifter([], [()])
    data, comments = _spec_data([reading], lifter, {}, Inputs(()), name)
    spec = parse_spec(data, "imported spec")
    counted = spec.model()
    for what, mine, theirs in (
        ("parameters", int(counted.params), reading.params),
        ("trainable parameters", int(counted.trainable), reading.trainable),
    ):
        if mine != theirs:
            raise ReadError(f"the imported spec counts {mine:,} {what}, PyTorch {theirs:,}")
    return Imported(spec, spec_yaml(data, comments, {}, (), name), {}, ())


def _agree_on_attention(readings: list[Reading]) -> None:
    """One attention layer at every build: an attention read as `multi_head_attention` at sizes
    where its heads happen to add up to the width (T5's 4 heads of 16 on d = 64) is written as the
    `group_query_attention` it is read as at the other builds (d = 32), with the same numbers."""
    grouped = {e.path for r in readings for e in r.entries if e.key == "group_query_attention"}
    for reading in readings:
        for entry in reading.entries:
            if entry.key == "multi_head_attention" and entry.kind == "attention" and entry.path in grouped:
                heads, rest = entry.args["num_heads"], dict(entry.args)
                del rest["num_heads"]
                entry.key = "group_query_attention"
                entry.args = {
                    "head_dim": entry.shape[-1] // heads,
                    "num_query_heads": heads,
                    "num_key_value_heads": heads,
                    **rest,  # use_bias, relative_attention_buckets...
                }


def _calls_change(first: Reading, other: Reading, where: str) -> None:
    """Refuse, naming it, a module called a number of times that changes with the sizes (ALBERT's
    one layer called L times, its weights shared)."""
    calls: dict[str, list[int]] = {}
    for k, reading in enumerate((first, other)):
        for entry in reading.entries:
            if entry.use is not None:
                calls.setdefault(reading.entries[entry.use].path, [1, 1])[k] += 1
    for path, (before, after) in calls.items():
        if before != after:
            raise ReadError(
                f"{path}: called {before} times, then {after} (at {where}): a module called again as "
                "many times as a size says (weights shared across depth, ALBERT's) is not read yet; "
                "keep its number of calls fixed"
            )


def _spec_data(
    readings: list[Reading],
    lifter: Lifter,
    sizes: Mapping[str, int],
    inputs: Inputs,
    name: str,
) -> tuple[dict[str, Any], dict[str, str]]:
    lengths: dict[str, set[int]] = {}
    for reading in readings:
        for container, n in reading.containers.items():
            lengths.setdefault(container, set()).add(n)
    repeated = {c for c, ns in lengths.items() if len(ns) > 1 and all(c in r.containers for r in readings)}
    repeated = _outermost(repeated)
    runs = {c: run for c in repeated if (run := _find_run(readings, c)) is not None}
    structures = [_structure(r, repeated, runs) for r in readings]
    shapes = [[(i.entry.key if i.entry else "repeat", i.where) for i in s] for s in structures]
    for other, point, reading in zip(shapes[1:], lifter.points[1:], readings[1:]):
        if other != shapes[0]:
            _calls_change(readings[0], reading, sizes_text(dict(zip(lifter.names, point))))
            raise ReadError(
                f"the model's layers change with the sizes beyond repeated blocks (at {sizes_text(dict(zip(lifter.names, point)))})"
            )
    comments: dict[str, str] = {}
    top: list[dict[str, Any]] = []
    blocks: dict[str, Any] = {}  # a block: its layers, or {context, layers}
    names_at: dict[int, str] = {}  # entry index (first reading) -> spec name
    first = readings[0]
    item_names: list[str] = []
    taken: set[str] = set()
    for index, given in enumerate(first.entries):
        if given.key == "input":
            names_at[index] = given.args["name"]
            taken.add(given.args["name"])
    for item in structures[0]:
        if item.entry is not None:
            entry_name = _unique(_name(item.entry.path, item.entry.key), taken)
            names_at[first.entries.index(item.entry)] = entry_name
            item_names.append(entry_name)
        else:
            item_names.append(_unique(item.container.replace(".", "_") or "blocks", taken))
            assert item.blocks is not None
            for index in item.blocks[-1][-1:]:
                names_at[index] = item_names[-1]
    for position, item in enumerate(structures[0]):
        if item.entry is not None:
            entries = [e for s in structures if (e := s[position].entry) is not None]
            top.append(_entry(entries, lifter, item_names[position], first, names_at, None, comments))
            continue
        blocks_at = [s[position].blocks for s in structures]
        times = lifter.lift([len(b or []) for b in blocks_at], f"{item.container} (how many blocks)")
        block_name = item_names[position]
        block, context = _block(readings, structures, position, lifter, comments, block_name, names_at)
        entry = {"repeat": {"times": times, "block": block_name}, "name": block_name}
        comments[block_name] = item.container
        previous = item.blocks[0][0] if item.blocks else 0
        source = first.entries[previous].sources[0] if first.entries[previous].sources else -1
        if context:  # the block reads tensors from outside it too (a decoder, the encoder's output)
            blocks[block_name] = {"context": [names_at[c] for c in context], "layers": block}
            entry["inputs"] = [names_at.get(source, "input") if source >= 0 else "input"] + [
                names_at[c] for c in context
            ]
        else:
            blocks[block_name] = block
        if (
            (source != previous - 1 or names_at.get(source) in inputs.names())
            and position > 0
            and not context
        ):
            entry["inputs"] = [names_at.get(source, "input") if source >= 0 else "input"]
        top.append(entry)
    input_shape = _input_shape(first, lifter, readings, inputs)
    data: dict[str, Any] = {
        "name": name,
        "framework": "torch",
        "input": input_shape,
        "values": dict(sizes),
        "layers": top,
    }
    for items in [top, *[b["layers"] if isinstance(b, dict) else b for b in blocks.values()]]:
        # a mixture's expert: a block of its own
        for layer in items:
            if "expert" in layer:
                blocks[layer["mixture_of_experts"]["block"]] = layer.pop("expert")
    if blocks:
        data["blocks"] = blocks
    return data, comments


def _input_shape(
    first: Reading, lifter: Lifter, readings: list[Reading], inputs: Inputs
) -> list[Any] | dict[str, list[Any]]:
    given = inputs.spec_input()
    if isinstance(given, dict):
        return {name: channels(axes) for name, axes in given.items()}
    if given is not None:
        return channels(given)
    named = [e for e in first.entries if e.key == "input"]
    if named:  # several inputs, named by the model (an encoder-decoder's token ids)
        found: dict[str, list[Any]] = {}
        for k, entry in enumerate(named):
            shapes = [[e for e in r.entries if e.key == "input"][k].shape[1:] for r in readings]
            found[entry.args["name"]] = (
                [SEQUENCE]
                if "ids" in entry.args["name"] and len(entry.shape) == 2
                else [lifter.lift([s[i] for s in shapes], f"input {entry.args['name']}'s axis {i + 1}")
                      for i in range(len(entry.shape) - 1)]
            )  # fmt: skip
        return found
    if first.entries and first.entries[0].key == "embedding":
        return [SEQUENCE]
    shape = [
        lifter.lift([r.input_shape[i] for r in readings], f"the input's axis {i + 1}")
        for i in range(len(first.input_shape))
    ]
    return channels(shape)


def _args(entries: list[Entry], lifter: Lifter, where: str) -> dict[str, Any]:
    key = entries[0].key
    lifted: dict[str, Any] = {}
    for k, first in entries[0].args.items():
        values = [e.args[k] for e in entries]
        if isinstance(first, list) and all(isinstance(v, list) and len(v) == len(first) for v in values):
            lifted[k] = [lifter.lift([v[i] for v in values], f"{where}: {k}[{i}]") for i in range(len(first))]
        else:
            lifted[k] = lifter.lift(values, f"{where}: {k}")
    return {k: v for k, v in lifted.items() if not is_default(key, k, v)}


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name_2`, `name_3`... where a module called again already took it."""
    found, n = name, 1
    while found in taken:
        n += 1
        found = f"{name}_{n}"
    taken.add(found)
    return found


def _entry(
    entries: list[Entry], lifter: Lifter, name: str, reading: Reading, names_at: dict[int, str],
    block: list[int] | None, comments: dict[str, str],
) -> dict[str, Any]:  # fmt: skip
    entry = entries[0]
    out: dict[str, Any]
    if entry.use is not None:
        out = {"use": names_at.get(entry.use, "?"), "name": name}
    else:
        out = {entry.key: _args(entries, lifter, entry.path), "name": name}
    if entry.key == "mixture_of_experts":  # the expert, a SwiGLU, as a block of its own
        args = out[entry.key]
        units, width = args.pop("expert_units"), args.pop("expert_output")
        args["block"] = f"{name}_expert"
        out["expert"] = [
            {"dense": {"units": units, "activation": "silu", "use_bias": False}, "name": "gate"},
            {"dense": {"units": units, "use_bias": False}, "name": "up", "inputs": ["input"]},
            {"multiply": {}, "name": "multiply", "inputs": ["gate", "up"]},
            {"dense": {"units": width, "use_bias": False}, "name": "down"},
        ]
    index = reading.entries.index(entry)
    sources = []
    for s in entry.sources:
        if block is not None:  # inside a block: its layers and context, else its input
            sources.append(names_at.get(s, "input"))
        else:
            sources.append(names_at.get(s, "input") if s >= 0 else "input")
    previous = (
        (names_at.get(index - 1) if block is None or index - 1 in block else None) if index > 0 else None
    )
    named_input = any(s >= 0 and reading.entries[s].key == "input" for s in entry.sources)
    if named_input or not (
        len(sources) == 1
        and (sources[0] == previous or (sources[0] == "input" and index == (block or [0])[0]))
    ):
        out["inputs"] = sources
    if entry.tie is not None:
        out["tie"] = names_at.get(entry.tie, "?")
    if entry.frozen and entry.use is None:
        out["trainable"] = False
    if entry.modules:
        comments[name] = ", ".join(entry.modules) + (f" ({entry.kind})" if entry.kind else "")
    else:
        comments[name] = f"{entry.path} ({entry.key} in the forward pass)"
    return out


def _block(
    readings: list[Reading], structures: list[list[_Item]], position: int, lifter: Lifter,
    comments: dict[str, str], block_name: str, top_names: dict[int, str],
) -> tuple[list[dict[str, Any]], list[int]]:  # fmt: skip
    """The block of a repeat: block 0's entries, checked alike in every block, lifted across builds;
    and the entries outside it that it reads beside its input (its context: a decoder block reads
    the encoder's output)."""
    container = structures[0][position].container
    per_build: list[list[Entry]] = []
    start = structures[0][position].start
    for reading, structure in zip(readings, structures):
        blocks = structure[position].blocks or []
        signatures = [_signature(reading, container, b) for b in blocks]
        for index, signature in enumerate(signatures[1:], start=start + 1):
            if signature != signatures[0]:
                raise ReadError(
                    f"{container}: block {index} differs from block {start}; only alike blocks become a repeat"
                )
        per_build.append([reading.entries[i] for i in blocks[0]])
    first = readings[0]
    indices = structures[0][position].blocks[0]  # type: ignore[index]
    prefix = _join(container, _child(first.entries[indices[0]].path, container) or "")
    taken: set[str] = set()
    names_at = {
        i: _unique(_name(_relative(first.entries[i].path, prefix), first.entries[i].key), taken)
        for i in indices
    }
    # A block's last entry is its output; a block reads its input (the entry before it) and, as its
    # context, entries named at the top level (the encoder's output), the same in every block.
    out = []
    block_input = first.entries[indices[0]].sources[0] if first.entries[indices[0]].sources else -1
    context: list[int] = []
    for i in indices:
        for s in first.entries[i].sources:
            if s not in indices and s != block_input and s not in context:
                if s < 0 or s not in top_names:
                    raise ReadError(
                        f"{first.entries[i].path}: reads {first.entries[s].path if s >= 0 else 'the input'}, outside its block"
                    )
                context.append(s)
    names_at.update({c: top_names[c] for c in context})
    for k, i in enumerate(indices):
        entries = [build_entries[k] for build_entries in per_build]
        outside = comments.pop(names_at[i], None)  # a layer outside the block of the same name
        out.append(_entry(entries, lifter, names_at[i], first, names_at, indices, comments))
        comments[f"{block_name}.{names_at[i]}"] = comments.pop(names_at[i])
        if outside is not None:
            comments[names_at[i]] = outside
    return out, context


def _verify(
    spec: Spec,
    factory: Callable[..., Any],
    inputs: Inputs,
    names: Sequence[str],
    points: Sequence[tuple[int, ...]],
    readings: Sequence[Reading],
) -> tuple[dict[str, int], ...]:
    """The spec's count against PyTorch's at the user's sizes (`points[0]`) and at the fresh ones:
    parameters (`sum(p.numel())`) and FlopCounterMode's FLOPs, both taken in the forward pass that
    read each build. The fresh sizes are none of the builds the spec was fitted from."""
    model = spec.model()
    checked = []
    for index, (point, reading) in enumerate(zip(points, readings)):
        at = dict(zip(names, point))
        values = {symbol(k): v for k, v in at.items() if symbol(k) in model.symbols}
        if symbol(SEQUENCE) in model.symbols:
            values[symbol(SEQUENCE)] = TOKENS
        mine = int(model.params.xreplace(values))
        if mine != reading.params:
            valued = model.subs({str(k): v for k, v in values.items()})
            raise ReadError(
                f"the imported spec counts {mine:,} parameters at {sizes_text(at)}, PyTorch {reading.params:,}"
                + _differs(valued, reading)
            )
        trainable = int(model.trainable.xreplace(values))
        if trainable != reading.trainable:
            raise ReadError(
                f"the imported spec counts {trainable:,} trainable parameters at {sizes_text(at)}, PyTorch "
                f"{reading.trainable:,} (requires_grad)"
            )
        macs = int(model.macs.xreplace(values))
        if reading.flops is not None and 2 * macs != reading.flops:
            _flops_differ(
                model.subs({str(k): v for k, v in values.items()}), factory, inputs, at, reading.flops
            )
        if index:
            checked.append(at)
    return tuple(checked)


def _flops_differ(
    valued: Model, factory: Callable[..., Any], inputs: Inputs, point: Mapping[str, int], theirs: int
) -> None:
    """The error for a spec whose MACs are not FlopCounterMode's FLOPs (2 per MAC): it names the
    first module whose operations differ (the model built again at these sizes and read, its
    entries concrete, each against FlopCounterMode's count for its module)."""
    mine = int(valued.macs)
    built = build(factory, point)
    example = inputs.example(built, point)
    where = ""
    reading = read(built, example)
    concrete = parse_spec(
        _spec_data([reading], Lifter([], [()]), {}, Inputs(()), "check")[0], "imported spec"
    )
    # FlopCounterMode names modules by path under the root's class name ("Model.proj"); "Global"
    # is the whole pass.
    counts = {
        k.partition(".")[2]: sum(v.values()) for k, v in module_flops(built, example).items() if k != "Global"
    }
    for entry, row in zip(reading.entries, concrete.model().rows):
        path = _module(entry.path)
        if (path in counts or "#" not in entry.path) and 2 * int(row.macs) != counts.get(path, 0):
            where = (
                f"; first module whose operations differ: {path or 'the model'} ({entry.kind or entry.key}: "
                f"{2 * int(row.macs):,} FLOPs in the spec, {counts.get(path, 0):,} in PyTorch)"
            )
            break
    raise ReadError(
        f"the imported spec counts {2 * mine:,} FLOPs at {sizes_text(point)}, PyTorch's FlopCounterMode "
        f"{theirs:,}" + where
    )


def _differs(model: Model, reading: Reading) -> str:
    rows = [(row.name, int(row.params)) for row in model.rows if row.params]
    theirs = [(e.path, e.params) for e in reading.entries if e.params]
    for (name, mine), (path, count) in zip(rows, theirs):
        if mine != count:
            return f"; first layer that differs: {name} ({mine:,}) against {path} ({count:,})"
    return ""
