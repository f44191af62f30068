"""Symbols: one assumption set for a name, everywhere.

sympy treats `Symbol("w")` and `Symbol("w", integer=True)` as different symbols, so mixing them makes
`==` fail silently. Every size in symcount is a positive integer, so every name becomes one
canonical symbol here, whether it came from Python, a spec file or the command line.
"""

from __future__ import annotations

import sympy

from .errors import SymcountError

__all__ = ["symbol", "symbols", "canonical"]


def symbol(name: str) -> sympy.Symbol:
    """The symbol called `name`: a positive integer."""
    return sympy.Symbol(name, positive=True, integer=True)


def symbols(names: str) -> tuple[sympy.Symbol, ...]:
    """Several symbols from a space- or comma-separated string.

    Example:
        >>> H, W = symbols("H W")
        >>> (H * W).is_positive
        True
    """
    parts = names.replace(",", " ").split()
    if not parts:
        raise SymcountError(f"symbols() needs at least one name. Received: {names!r}")
    return tuple(symbol(part) for part in parts)


def canonical(expr: sympy.Expr) -> sympy.Expr:
    """`expr` with every symbol replaced by the canonical symbol of the same name."""
    swaps = {s: symbol(s.name) for s in expr.free_symbols if s != symbol(s.name)}
    return expr.xreplace(swaps) if swaps else expr
