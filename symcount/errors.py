"""The error hierarchy: every mistake a user can make raises a `SymcountError`.

The CLI turns these into one-line messages (`one_line`); anything else is a bug, which the CLI
reports as an internal error. Messages quote a user's values with `shown`: bounded and printable.
"""

from __future__ import annotations

import reprlib
from typing import Any

MESSAGE_LENGTH = 2000  # the most characters of one error line


class SymcountError(ValueError):
    """Base class of every user-facing error symcount raises."""

    def with_context(self, context: str) -> SymcountError:
        """A copy of this error whose message starts with `context` (e.g. the layer at fault)."""
        error = type(self)(f"{context}: {self}")
        error.__cause__ = self.__cause__
        return error


class ParseError(SymcountError):
    """User text that is not a valid expression (or is too large to be one)."""


class SpecError(SymcountError):
    """A spec file (or Python call) that names an unknown layer, option or value."""


class ShapeError(SymcountError):
    """A shape a layer cannot take, or one it would make empty."""


class MissingValueError(SymcountError):
    """A concrete number was asked for, but some symbols have no value."""


def missing_values(what: str, names: list[str], verb: str = "depends") -> MissingValueError:
    """`what still depends on d, h`, saying each way to give the values.

    Example:
        >>> print(missing_values("the total", ["d", "h"]))
        the total still depends on d, h: give each a value (--set d=... --set h=... on the command line, under `values:` in a spec, or count(d=..., h=...) in Python)
    """
    sets = " ".join(f"--set {name}=..." for name in names)
    keywords = ", ".join(f"{name}=..." for name in names)
    return MissingValueError(
        f"{what} still {verb} on {', '.join(names)}: give each a value ({sets} on the command line, "
        f"under `values:` in a spec, or count({keywords}) in Python)"
    )


def one_line(text: str, limit: int = MESSAGE_LENGTH) -> str:
    """`text` as one printable line of at most `limit` characters: line breaks and other control
    characters escaped (a name holding "\\nTraceback" cannot fake a traceback), the rest cut.

    Example:
        >>> one_line("bad\\nTraceback (most recent call last):")
        'bad\\\\nTraceback (most recent call last):'
        >>> one_line("x" * 30, 10)
        'xxxxxxx...'
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit * 4])
    return text if len(text) <= limit else text[: limit - 3] + "..."


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 60, 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6


def shown(value: Any, limit: int = 80) -> str:
    """A user's value as a message quotes it: its repr, bounded in the work and the text (a
    nested list of a million items shows its first few), on one printable line.

    Example:
        >>> shown([list(range(10))] * 1000, 40)
        '[[0, 1, 2, 3, 4, 5, ...], [0, 1, 2, 3...'
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"<an integer of {value.bit_length()} bits>"
    return one_line(_SHORT.repr(value), limit)
