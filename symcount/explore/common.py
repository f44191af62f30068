"""What every exploration shares: values, which symbols stay free, and the point."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sympy

from ..errors import SpecError
from ..model import Model
from ..values import as_expr, resolve, symbol

Values = Mapping[Any, Any]


# Values: which symbols stay free, and where the point is.


def _names(values: Values | None) -> dict[str, Any]:
    return {(k.name if isinstance(k, sympy.Symbol) else str(k)): v for k, v in (values or {}).items()}


def _resolved(values: Mapping[str, Any]) -> dict[str, sympy.Expr]:
    """Values with references between them followed: {f: 2*k, k: 3} -> {f: 6, k: 3}."""
    mapping = {symbol(name): as_expr(value, name) for name, value in values.items()}
    return {key.name: value for key, value in resolve(mapping).items()}


def _symbol_of(model: Model, name: str) -> sympy.Symbol:
    known = {s.name: s for s in model.symbols}
    if name not in known:
        listed = ", ".join(known) or "none"
        raise SpecError(f"unknown symbol {name!r}: the model's symbols are {listed}")
    return known[name]


def _fix(model: Model, values: Mapping[str, Any], free: Iterable[str]) -> Model:
    """`model` with every value substituted except those of the `free` symbols, which stay free
    (a value that mentions them keeps them: `f: 2*k` with k free gives f = 2*k)."""
    kept = set(free)
    return model.subs({name: value for name, value in values.items() if name not in kept})


def _known(expr: sympy.Expr, point: Mapping[str, sympy.Expr]) -> sympy.Expr | None:
    """`expr` at `point`, or None while some of its symbols have no value there."""
    if any(s.name not in point for s in expr.free_symbols):
        return None
    return expr.xreplace({s: point[s.name] for s in expr.free_symbols})
