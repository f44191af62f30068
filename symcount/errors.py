"""The error hierarchy: every mistake a user can make raises a `SymcountError`.

The CLI turns these into one-line messages; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


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
