"""Derivatives and growth: d total / d w, degree, leading term, big-O and elasticity."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from .. import algebra
from ..costs import PARAMS, Measure
from ..errors import ParseError, SpecError
from ..model import Model
from ..values import as_expr, symbol
from .common import Values, at_point, fix, named, resolved, symbol_of

# Derivatives and growth.


@dataclass(frozen=True)
class Diff:
    """d total / d wrt, with every other value substituted, and its value where `wrt` has one."""

    wrt: str
    derivative: sympy.Expr
    point: dict[str, sympy.Expr]
    value: sympy.Expr | None
    smoothed: bool  # floors/ceilings in `wrt` were read as their arguments
    measure: Measure = PARAMS  # what the total counts
    convention: str = PARAMS.describe()


def diff(model: Model, wrt: str, values: Values | None = None, measure: Measure = PARAMS) -> Diff:
    """The derivative of the total (of `measure`'s cost: parameters by default) in `wrt`;
    `values` fix other symbols, and `wrt`'s own value (if given) is the point where the
    derivative is also evaluated.

    Example:
        >>> from symcount import build
        >>> model = build("lesson-dense", defaults=False)
        >>> diff(model, "h1", {"H": 28, "W": 28}).derivative
        h2 + 785
        >>> diff(model, "h1", {"H": 28, "W": 28}, Measure("macs")).derivative
        h2 + 784
    """
    given = named(values)
    variable = symbol_of(model, wrt)
    fixed = fix(model, given, [wrt])
    total = measure.total(fixed)
    derivative = algebra.derivative(total, variable)
    point = {wrt: resolved(given)[wrt]} if wrt in given else {}
    value = derivative.xreplace({variable: point[wrt]}) if point else None
    smooth = algebra.is_smooth(total, variable)
    return Diff(wrt, derivative, point, value, not smooth, measure, measure.describe(fixed))


@dataclass(frozen=True)
class Scaling:
    """How the total grows with one symbol, or with several scaled together by one factor."""

    variable: str
    substitution: dict[str, sympy.Expr]  # empty for one symbol; {"w": s*w0, ...} when scaled together
    total: sympy.Expr
    degree: sympy.Expr
    leading_term: sympy.Expr
    order: sympy.Expr
    elasticity: sympy.Expr
    point: dict[str, sympy.Expr]  # where the values below are taken (s = 1 when scaled together)
    total_at: sympy.Expr | None
    elasticity_at: sympy.Expr | None  # exact: a Rational once every symbol has a value
    smoothed: bool
    measure: Measure = PARAMS  # what the total counts
    convention: str = PARAMS.describe()

    @property
    def elasticity_limit(self) -> sympy.Expr:
        """What the elasticity tends to as the variable grows: the degree, for a polynomial."""
        return algebra.limit_at_infinity(self.elasticity, symbol(self.variable))


def parse_scaling(text: str) -> dict[str, str]:
    """`"w=s*w0, h=s*h0"` -> {"w": "s*w0", "h": "s*h0"} (commas inside parentheses are kept)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    result: dict[str, str] = {}
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name) or not value.strip():
            raise ParseError(
                f"expected NAME=EXPR pairs separated by commas, e.g. 'w=s*w0, h=s*h0'. Received: {text!r}"
            )
        if name in result:
            raise ParseError(f"{name!r} is given twice in {text!r}")
        result[name] = value.strip()
    return result


def _substitution(
    wrt: str | Sequence[str] | Mapping[str, Any], by: str
) -> tuple[dict[str, sympy.Expr], list[str]]:
    """What `wrt` scales: no substitution for one symbol; else each name -> its scaled expression."""
    if isinstance(wrt, str) and "=" not in wrt:
        return {}, [wrt]
    raw = parse_scaling(wrt) if isinstance(wrt, str) else wrt
    if not isinstance(raw, Mapping):
        raw = {name: f"{by}*{name}" for name in raw}
    substitution = {str(k): as_expr(v, str(k)) for k, v in raw.items()}
    if not substitution:
        raise SpecError("scaling needs at least one symbol to scale")
    return substitution, list(substitution)


def _scaled(
    model: Model,
    total: sympy.Expr,
    variables: list[sympy.Symbol],
    substitution: dict[str, sympy.Expr],
    by: str,
    point: Mapping[str, sympy.Expr],
) -> tuple[sympy.Symbol, sympy.Expr, dict[str, sympy.Expr]]:
    """The scale factor, the total in it, and the point (s = 1 at the symbols' own values)."""
    variable = symbol(by)
    if variable in model.symbols:
        raise SpecError(f"the scale factor {by!r} is already a symbol of the model: choose another name")
    for name, expr in substitution.items():
        if variable not in expr.free_symbols:
            raise SpecError(f"{name}={expr} does not mention the scale factor {by!r}")
    total = total.xreplace(dict(zip(variables, substitution.values())))
    at = {by: sympy.Integer(1)}
    for name, expr in substitution.items():
        base = expr.xreplace({variable: 1})
        if name in point and isinstance(base, sympy.Symbol) and base.name not in at:
            at[base.name] = point[name]
    return variable, total, at


def scaling(
    model: Model,
    wrt: str | Sequence[str] | Mapping[str, Any],
    values: Values | None = None,
    by: str = "s",
    measure: Measure = PARAMS,
) -> Scaling:
    """Degree, leading term, big-O and elasticity (d log N / d log w) of the total in `wrt`
    (the total of `measure`'s cost: parameters by default).

    `wrt` is one symbol's name; or several names, scaled together as w -> s*w (s named by `by`);
    or a mapping such as {"w": "s*w0", "h": "s*h0"}. Other symbols take their `values`. The
    values of the scaled symbols give the point where the elasticity is evaluated exactly (with
    s = 1 when several are scaled together: the growth of the net around its current widths).

    Example:
        >>> from symcount import load_spec
        >>> spec = load_spec("lesson-cnn")
        >>> model = spec.model()
        >>> report = scaling(model, "f", spec.values_for(model, {}))
        >>> report.degree, report.leading_term, report.elasticity_at
        (2, 9*f**2, 25430/24533)
    """
    given = named(values)
    substitution, names = _substitution(wrt, by)
    variables = [symbol_of(model, name) for name in names]
    fixed = fix(model, given, names)
    total = measure.total(fixed)
    point = resolved(given)
    if not substitution:
        variable = variables[0]
        at = {names[0]: point[names[0]]} if names[0] in point else {}
    else:
        variable, total, at = _scaled(model, total, variables, substitution, by, point)
    degree, leading = algebra.growth(total, variable)
    rate = algebra.elasticity(total, variable)
    return Scaling(
        variable=variable.name,
        substitution=substitution,
        total=sympy.expand(total),
        degree=degree,
        leading_term=leading,
        order=algebra.big_o(total, variable),
        elasticity=rate,
        point=at,
        total_at=at_point(total, at),
        elasticity_at=at_point(rate, at),
        smoothed=not algebra.is_smooth(total, variable),
        measure=measure,
        convention=measure.describe(fixed),
    )
