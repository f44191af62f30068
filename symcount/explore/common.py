"""What every exploration shares: values, which symbols stay free, and the point.

Values arrive by name (from Python, or already bound by the spec on the command line); each is
checked and resolved by `values.bind`, the one path for user values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sympy

from ..model import Model
from ..values import bind, check_names, name_of

__all__ = ["Values", "named", "resolved", "symbol_of", "fix", "at_point"]

Values = Mapping[Any, Any]


def named(values: Values | None) -> dict[str, Any]:
    """Values keyed by name, whether given by name or by symbol."""
    return {name_of(key): value for key, value in (values or {}).items()}


def resolved(values: Mapping[str, Any]) -> dict[str, sympy.Expr]:
    """Values with references between them followed: {f: 2*k, k: 3} -> {f: 6, k: 3}."""
    return bind(values)


def symbol_of(model: Model, name: str, where: str = "the explorer") -> sympy.Symbol:
    """The model's symbol called `name`, or the one error for an unknown name."""
    known = {s.name: s for s in model.symbols}
    check_names([name], known, where, "the model")
    return known[name]


def fix(model: Model, values: Mapping[str, Any], free: Iterable[str]) -> Model:
    """`model` with every value substituted except those of the `free` symbols, which stay free
    (a value that mentions them keeps them: `f: 2*k` with k free gives f = 2*k)."""
    kept = set(free)
    return model.subs({name: value for name, value in values.items() if name not in kept})


def at_point(expr: sympy.Expr, point: Mapping[str, sympy.Expr]) -> sympy.Expr | None:
    """`expr` at `point`, or None while some of its symbols have no value there."""
    if any(s.name not in point for s in expr.free_symbols):
        return None
    return expr.xreplace({s: point[s.name] for s in expr.free_symbols})
