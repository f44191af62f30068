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
- `equal`: exprs[0] == exprs[1]; `broadcast`: equal, or either is 1 (an elementwise merge's axis);
- `positive`: exprs[0] >= 1 (a window's output length); `not_positive`: exprs[0] <= 0;
- `undecided`: no condition can be written: every point is checked by folding the model.

A rule may also carry what the check would say where it fails (`says`): the message, with each
value the message quotes at a point written as a placeholder (`value(expr)`), wrapped in the
contexts the error would gather on its way out (`context`: the layer, its position, the values the
user gave). The explorer page evaluates the placeholders at a point and shows the very line
`symcount count` prints there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Rule", "KINDS", "note", "noting", "context", "Said", "OPEN", "CLOSE"]

KINDS = ("size", "amount", "divides", "equal", "broadcast", "positive", "not_positive", "undecided")


@dataclass(frozen=True)
class Rule:
    """One check that waits for values: its kind and the expressions it compares."""

    kind: str
    exprs: tuple[Any, ...] = ()
    says: Said | None = field(default=None, compare=False, hash=False)


# A placeholder in a message: OPEN, the index of an expression in `Said.values`, CLOSE.
OPEN, CLOSE = "\ue000", "\ue001"


@dataclass(frozen=True)
class Said:
    """A check's message with placeholders for the values it quotes (see `value`)."""

    text: str
    values: tuple[Any, ...]


# A message: given `value` (expression -> placeholder), the text. A context wraps a message.
Message = Callable[[Callable[[Any], str]], str]
Wrap = Callable[[str, Callable[[Any], str]], str]

_notebooks: list[dict[Rule, None]] = []
_contexts: list[Wrap] = []


def note(kind: str, *exprs: Any, says: Message | None = None) -> None:
    """Note a check that waits for values (nothing happens unless `noting()` is on), and what it
    would say where it fails: `says(value)`, where `value(expr)` stands for expr's value there."""
    if not _notebooks:
        return
    said = None
    if says is not None:
        values: list[Any] = []

        def value(expr: Any) -> str:
            values.append(expr)
            return f"{OPEN}{len(values) - 1}{CLOSE}"

        text = says(value)
        for wrap in reversed(_contexts):
            text = wrap(text, value)
        said = Said(text, tuple(values))
    rule = Rule(kind, exprs, said)
    if rule not in _notebooks[-1]:
        _notebooks[-1][rule] = None


@contextmanager
def context(wrap: Wrap) -> Iterator[None]:
    """While noting, wrap the message of every rule noted inside the block with `wrap(text,
    value)`, as the error raised there would be wrapped on its way out."""
    if not _notebooks:
        yield
        return
    _contexts.append(wrap)
    try:
        yield
    finally:
        _contexts.pop()


@contextmanager
def noting() -> Iterator[dict[Rule, None]]:
    """Collect the rules noted inside the block, in order, each once."""
    notebook: dict[Rule, None] = {}
    _notebooks.append(notebook)
    try:
        yield notebook
    finally:
        _notebooks.pop()
