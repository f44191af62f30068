"""Repeated blocks in a Keras model: where a Python loop made the same layers again for each block,
so that the number of layers changes with a size, the calls are one run of alike blocks between
a prefix and a suffix that every build shares; the spec writes the run as one `repeat`.

Blocks are alike when their calls have the same layers, the same arguments and read each other
the same way (inputs as offsets back from the reader); the prefix and the suffix must have the
same layers and wiring at every build (their arguments may change with the sizes, and are lifted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Run", "runs", "signature"]


@dataclass(frozen=True)
class Run:
    """Calls `start` .. `start + period * count[i] - 1` of reading i are `count[i]` alike blocks;
    the last `suffix` calls follow them."""

    start: int
    period: int
    counts: tuple[int, ...]
    suffix: int


def signature(entries: Sequence[Any], i: int, arguments: bool) -> tuple[Any, ...]:
    """Call i's layer, its arguments (if `arguments`) and its inputs as offsets back from it."""
    index = {"input": -1, **{e.name: j for j, e in enumerate(entries)}}  # the model's one input before all
    entry = entries[i]
    inputs = tuple(i - index[s] if s in index else s for s in entry.inputs)
    return (entry.key, repr(entry.args) if arguments else None, inputs)


def _longest_run(signatures: Sequence[Any]) -> tuple[int, int, int]:
    """(start, period, count) of the longest stretch of >= 2 equal consecutive blocks (the shortest
    period among the longest), or count 0."""
    n = len(signatures)
    best = (0, 0, 0)
    for period in range(1, n // 2 + 1):
        for start in range(n - 2 * period + 1):
            count = 1
            block = signatures[start : start + period]
            while signatures[start + count * period : start + (count + 1) * period] == block:
                count += 1
            if count >= 2 and count * period > best[1] * best[2]:
                best = (start, period, count)
    return best


def runs(entries_per_build: Sequence[Sequence[Any]]) -> Run | None:
    """The run of alike blocks that explains how the builds differ, or None when none does."""
    most = max(range(len(entries_per_build)), key=lambda i: len(entries_per_build[i]))
    widest = entries_per_build[most]
    full = [signature(widest, i, True) for i in range(len(widest))]
    start, period, count = _longest_run(full)
    if not count:
        return None
    suffix = len(widest) - start - period * count
    shape = [signature(widest, i, False) for i in range(len(widest))]
    counts = []
    for entries in entries_per_build:
        n = len(entries)
        middle = n - start - suffix
        if middle < 0 or middle % period:
            return None
        mine = [signature(entries, i, False) for i in range(n)]
        if mine[:start] != shape[:start] or mine[n - suffix :] != shape[len(widest) - suffix :]:
            return None
        blocks = middle // period
        first = [signature(entries, i, True) for i in range(start, start + period)]
        for b in range(blocks):
            at = start + b * period
            if mine[at : at + period] != shape[start : start + period]:
                return None
            if [signature(entries, i, True) for i in range(at, at + period)] != first:
                return None
        counts.append(blocks)
    return Run(start, period, tuple(counts), suffix)
