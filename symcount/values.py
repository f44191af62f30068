"""Symbols and values: one assumption set for a name, everywhere.

sympy treats `Symbol("w")` and `Symbol("w", integer=True)` as different symbols, so mixing them makes
`==` fail silently. Every size in symcount is a positive integer, so every name becomes one
canonical symbol here, whether it came from Python, a spec file or the command line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import sympy

from . import rules
from .errors import SpecError, SymcountError

__all__ = [
    "symbol", "symbols", "as_expr", "as_size", "as_sizes", "canonical", "check_names", "bind", "suggest", "name_of",
]  # fmt: skip


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


def as_expr(value: Any, what: str = "value") -> sympy.Expr:
    """A sympy expression from an int, an integral float, a string (parsed safely) or an expression."""
    if isinstance(value, bool):
        raise SymcountError(f"expected a number or an expression. Received: {what}={value!r}")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SymcountError(f"expected a finite number. Received: {what}={value!r}")
        fraction = Fraction(value)
        return sympy.Rational(fraction.numerator, fraction.denominator)
    if isinstance(value, str):
        from .parse import parse_expression

        try:
            return parse_expression(value)
        except SymcountError as error:
            raise error.with_context(what) from None
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise SymcountError(f"expected an expression. Received: {what}={value!r}")
        return canonical(value)
    raise SymcountError(
        f"expected a number or an expression. Received: {what}={value!r} ({type(value).__name__})"
    )


def as_size(value: Any, what: str) -> sympy.Expr:
    """A size (width, kernel, stride...): a positive integer or an expression that may be one.

    Concrete values are checked now; symbolic ones when they are substituted.
    """
    expr = as_expr(value, what)
    check_size(expr, what)
    return expr


def check_size(expr: sympy.Expr, what: str) -> None:
    """Raise if `expr` is certainly not a positive integer."""
    if expr.is_number:
        if not expr.is_integer:
            raise SymcountError(f"expected a positive integer. Received: {what}={expr}")
        if not expr.is_positive:
            raise SymcountError(f"expected a positive integer. Received: {what}={expr}")
    elif expr.is_positive is False or expr.is_integer is False:
        raise SymcountError(f"expected a positive integer. Received: {what}={expr}")
    elif not (expr.is_positive and expr.is_integer):
        rules.note("size", expr)


def as_sizes(value: Any, rank: int, what: str) -> tuple[sympy.Expr, ...]:
    """A tuple of `rank` sizes from one size (repeated) or a sequence of `rank` sizes."""
    if isinstance(value, (tuple, list)):
        if len(value) != rank:
            raise SymcountError(f"expected {rank} values for {what}. Received: {what}={tuple(value)!r}")
        return tuple(as_size(item, what) for item in value)
    size = as_size(value, what)
    return (size,) * rank


def resolve(mapping: dict[sympy.Symbol, sympy.Expr]) -> dict[sympy.Symbol, sympy.Expr]:
    """Follow values that refer to other given values: {f: 2*k, k: 3} -> {f: 6, k: 3}.

    A value may mention its own name (`w -> 2*w`, a rescaling); values that refer to each other
    in a cycle are an error.
    """
    depends = {key: (expr.free_symbols & set(mapping)) - {key} for key, expr in mapping.items()}
    result: dict[sympy.Symbol, sympy.Expr] = {}
    while len(result) < len(mapping):
        ready = [key for key in mapping if key not in result and depends[key] <= set(result)]
        if not ready:
            cycle = sorted(key.name for key in mapping if key not in result)
            raise SymcountError(f"values refer to each other in a cycle: {', '.join(cycle)}")
        for key in ready:
            expr = mapping[key]
            result[key] = expr.xreplace({d: result[d] for d in depends[key]}) if depends[key] else expr
    return {key: result[key] for key in mapping}


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'dense'?)` when one choice is close (same but for case, or one or two
    letters off); nothing otherwise, since a far-fetched suggestion misleads."""
    options = list(choices)
    same_but_case = [choice for choice in options if choice.lower() == word.lower()]
    close = same_but_case or difflib.get_close_matches(word, options, n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def name_of(key: Any) -> str:
    """A value's name, whether given as text or as a symbol."""
    return key.name if isinstance(key, sympy.Symbol) else str(key)


def check_names(names: Iterable[Any], known: Iterable[str], where: str, owner: str = "this spec") -> None:
    """Raise unless every name is known: the one check, and the one wording, for user values."""
    listed = sorted(set(known))
    for key in names:
        name = name_of(key)
        if name not in listed:
            raise SpecError(
                f"unknown name {name!r} in {where}{suggest(name, listed)}; "
                f"{owner} knows: {', '.join(listed) or 'no names'}"
            )


def bind(
    values: Mapping[Any, Any],
    known: Iterable[str] | None = None,
    where: str = "values",
    owner: str = "this spec",
) -> dict[str, sympy.Expr]:
    """User values by name, checked against `known` (unless None), parsed and resolved, once.

    Example:
        >>> bind({"f": "2*k", "k": 3}, ["f", "k"])
        {'f': 6, 'k': 3}
    """
    named = {name_of(key): value for key, value in values.items()}
    if known is not None:
        check_names(named, known, where, owner)
    mapping = {symbol(name): as_expr(value, name) for name, value in named.items()}
    return {key.name: value for key, value in resolve(mapping).items()}
