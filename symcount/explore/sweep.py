"""Sweeps: a model's counts over a grid of values, exact, streamed in chunks."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..algebra import INT64_MAX
from ..costs import PARAMS, Measure
from ..errors import ParseError, SpecError
from ..model import Model
from ..values import as_expr
from .common import Values, fix, named, symbol_of
from .evaluate import Evaluator, column

# Sweeps.

MAX_POINTS = 10_000_000  # points the command line sweeps unless asked for more (minutes of work)
GRID_HELP = "NAME=START:STOP[:STEP] (STOP included when it lands on the grid) or NAME=V1,V2,..."


def _positive(text: str, what: str) -> int:
    expr = as_expr(text.strip(), what)
    if not (expr.is_Integer and expr >= 1):
        raise ParseError(f"grid values must be positive integers. Received: {what}={text.strip()}")
    return int(expr)


def parse_grid(text: str) -> tuple[str, Sequence[int]]:
    """`"w=8:1024:8"` -> ("w", range(8, 1025, 8)); `"L=1:48"`; `"f=8,16,32"`; `"k=3"`.

    Example:
        >>> parse_grid("w=8:20:8")
        ('w', range(8, 21, 8))
    """
    name, sep, body = text.partition("=")
    name = name.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name) or not body.strip():
        raise ParseError(f"a grid is {GRID_HELP}. Received: {text!r}")
    if ":" in body:
        parts = body.split(":")
        if len(parts) not in (2, 3):
            raise ParseError(f"a grid is {GRID_HELP}. Received: {text!r}")
        start, stop = _positive(parts[0], name), _positive(parts[1], name)
        step = _positive(parts[2], f"{name} step") if len(parts) == 3 else 1
        if stop < start:
            raise ParseError(f"a grid's stop must not be below its start. Received: {text!r}")
        return name, range(start, stop + 1, step)
    return name, tuple(_positive(part, name) for part in body.split(","))


@dataclass(frozen=True)
class Sweep:
    """Counts over a grid, computed chunk by chunk as they are read (`rows()` or `chunks()`).

    Each row is the grid values (in the order of `names`, the first varying slowest), then the
    total and, with `layers`, each layer's count: all Python ints, equal to `model.count(...)`
    (to `measure.total(...)` at that point, for another cost).
    """

    names: tuple[str, ...]
    grid: tuple[Sequence[int], ...]
    columns: tuple[str, ...]
    chunk_size: int = 4096
    evaluator: Evaluator | None = field(default=None, repr=False, compare=False)
    measure: Measure = PARAMS  # what the totals count
    convention: str = PARAMS.describe()

    @property
    def header(self) -> tuple[str, ...]:
        return (*self.names, *self.columns)

    @property
    def size(self) -> int:
        return math.prod(len(values) for values in self.grid)

    def blocks(self) -> Iterator[list[list[int]]]:
        """The rows chunk by chunk as columns: the grid values, then the counts (Python ints)."""
        for block in self.arrays():
            yield [c if isinstance(c, list) else c.tolist() for c in block]

    def arrays(self) -> Iterator[list[Any]]:
        """As `blocks`, each column a numpy array (int64, or Python ints in an object array) or a
        list of Python ints (where some points were counted one by one, or without numpy)."""
        assert self.evaluator is not None
        numpy = _numpy()
        if numpy is None or self.size > INT64_MAX // 2:  # point by point
            points = _points(self.grid)
            while chunk := list(itertools.islice(points, self.chunk_size)):
                found = self.evaluator.evaluate(chunk)
                yield [list(c) for c in zip(*(point + row for point, row in zip(chunk, found)))]
            return
        lengths = [len(axis) for axis in self.grid]
        strides = [math.prod(lengths[j + 1 :]) for j in range(len(lengths))]
        axes = [axis if isinstance(axis, range) else column(axis) for axis in self.grid]
        for start in range(0, self.size, self.chunk_size):
            index = numpy.arange(start, min(start + self.chunk_size, self.size), dtype=numpy.int64)
            grid = [
                _values(axis, (index // stride) % length)
                for axis, stride, length in zip(axes, strides, lengths)
            ]
            counts = self.evaluator.evaluate_arrays(grid)
            yield [*grid, *counts]

    def chunks(self) -> Iterator[list[tuple[int, ...]]]:
        for block in self.blocks():
            yield list(zip(*block))

    def rows(self) -> Iterator[tuple[int, ...]]:
        for chunk in self.chunks():
            yield from chunk


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # numpy is optional (the `explore` extra)
        return None
    return numpy


def _values(axis: Sequence[int] | Any, index: Any) -> Any:
    """The grid values at positions `index` (a numpy array) of `axis` (a range, or the values as
    a numpy column): int64 where they fit, Python ints (an object array) past int64."""
    if isinstance(axis, range):
        if axis[-1] <= INT64_MAX:
            return axis.start + axis.step * index
        return axis.start + axis.step * index.astype(object)
    return axis[index]


def _points(axes: Sequence[Sequence[int]]) -> Iterator[tuple[int, ...]]:
    """Every point of the grid, the last axis fastest, without materialising an axis (as
    `itertools.product` does: a range of 10**11 values would not fit in memory)."""
    if not axes:
        yield ()
        return
    for first in axes[0]:
        for rest in _points(axes[1:]):
            yield (first, *rest)


def sweep(
    model: Model,
    grid: Mapping[str, Iterable[int]] | Iterable[tuple[str, Iterable[int]]],
    values: Values | None = None,
    layers: bool = False,
    chunk_size: int = 4096,
    measure: Measure = PARAMS,
    max_points: int | None = None,
) -> Sweep:
    """The total (and each layer's count) at every point of a grid, exact even past 2**63; what is
    counted is `measure`'s cost (parameters by default).

    `grid` maps symbol names to their values (a `range` or any sequence of positive ints; see
    `parse_grid`); `values` fix every other symbol; grids of more than `max_points` points are
    refused (None, the default: rows are computed as they are read, so any grid is fine). Formulas are evaluated with numpy int64 where
    an upper bound shows no overflow, exactly otherwise (and for floors and ceilings).

    Example:
        >>> from symcount import load_spec
        >>> spec = load_spec("lesson-dense")
        >>> model = spec.model()
        >>> list(sweep(model, {"h1": [10, 20]}, spec.values_for(model, {})).rows())
        [(10, 7993), (20, 15943)]
        >>> list(sweep(model, {"h1": [10, 20]}, spec.values_for(model, {}), measure=Measure("macs")).rows())
        [(10, 7970), (20, 15910)]
    """
    pairs = list(grid.items()) if isinstance(grid, Mapping) else list(grid)
    names = tuple(str(name) for name, _ in pairs)
    if not names:
        raise SpecError("a sweep needs at least one grid, e.g. w=8:1024:8")
    for name in names:
        symbol_of(model, name)
        if names.count(name) > 1:
            raise SpecError(f"{name!r} has two grids")
    axes: list[Sequence[int]] = []
    for name, raw in pairs:
        axis = raw if isinstance(raw, range) else tuple(raw)
        if not axis:
            raise SpecError(f"the grid of {name!r} is empty")
        if not isinstance(axis, range) and not all(isinstance(v, int) and v >= 1 for v in axis):
            raise SpecError(f"grid values must be positive integers. Received: {name}={list(axis)!r}")
        if isinstance(axis, range) and (axis.step < 1 or axis.start < 1):
            raise SpecError(f"a grid range must be increasing, from 1 or more. Received: {name}={axis!r}")
        axes.append(axis)
    points = math.prod(len(axis) for axis in axes)
    if max_points is not None and points > max_points:
        raise SpecError(
            f"the grid has {points:,} points, more than the {max_points:,} a sweep computes unless asked: "
            "give a step (w=8:1024:8), or allow more with --max-points"
        )
    fixed = fix(model, named(values), names)
    largest = tuple(axis[-1] if isinstance(axis, range) else max(axis) for axis in axes)
    evaluator = Evaluator(fixed, names, layers, largest, measure)
    # Fold the model itself at the grid's first and last points: what a formula cannot show
    # (a layer refusing some combination of values) is then reported before any output.
    evaluator.folded(tuple(axis[0] for axis in axes))
    evaluator.folded(tuple(axis[-1] for axis in axes))
    columns = ("total", *([row.name for row in fixed.rows] if layers else []))
    return Sweep(names, tuple(axes), columns, chunk_size, evaluator, measure, measure.describe(fixed))
