"""The checks a fold could not decide yet, noted as rules to evaluate at many points at once.

Layers check their sizes when they are made and folded: a width is a positive integer, groups
divide the channels, a kernel fits its input. With symbols most checks wait (they pass now and run
again when values are substituted). While `noting()` is on, each check that waits is noted here as
a `Rule`: what must hold at a point for that check to pass there. The explorer evaluates the rules
with numpy over a whole grid instead of folding the model at every point. A check that has no rule
here notes `Rule("undecided")`, and the explorer folds the model at each point again.

The kinds, each a condition on the values of `exprs` at a point:

- `size`: a positive integer; `amount`: a non-negative integer;
- `divides`: exprs[1] divides exprs[0] (a non-zero divisor, a whole quotient);
- `equal`: exprs[0] == exprs[1];
- `positive`: exprs[0] >= 1 (a window's output length); `not_positive`: exprs[0] <= 0;
- `undecided`: no condition can be written: every point is checked by folding the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["Rule", "KINDS", "note", "noting"]

KINDS = ("size", "amount", "divides", "equal", "positive", "not_positive", "undecided")


@dataclass(frozen=True)
class Rule:
    """One check that waits for values: its kind and the expressions it compares."""

    kind: str
    exprs: tuple[Any, ...] = ()


_notebooks: list[dict[Rule, None]] = []


def note(kind: str, *exprs: Any) -> None:
    """Note a check that waits for values (nothing happens unless `noting()` is on)."""
    if _notebooks:
        _notebooks[-1][Rule(kind, exprs)] = None


@contextmanager
def noting() -> Iterator[dict[Rule, None]]:
    """Collect the rules noted inside the block, in order, each once."""
    notebook: dict[Rule, None] = {}
    _notebooks.append(notebook)
    try:
        yield notebook
    finally:
        _notebooks.pop()
