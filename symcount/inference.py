"""Formulas from counts alone: build a factory at enough integer sizes to pin down a polynomial of
bounded total degree, exactly, then check it at fresh sizes.

For any factory (its structure unread), the parameter count, per top-level submodule and in total,
is measured at random points that keep the divisibility seen at the user's sizes (`points.draw`),
fitted degree by degree with exact rational arithmetic (`fit.fit`), and verified at points not used
in the fit. A count that no polynomial of the allowed degree matches is refused, never rounded.

Example:
    >>> result = infer_counts(lambda s: (s["d"] * (s["d"] + 1) * s["L"], {}, None), {"d": 8, "L": 2})
    >>> result.total, result.degree
    (L*d**2 + L*d, 3)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from .errors import SymcountError
from .importing.fit import Exponents, fit, monomials
from .importing.points import divides, draw
from .names import symbol

__all__ = ["Inference", "InferenceError", "infer", "infer_counts", "MAX_BUILDS", "MAX_DEGREE"]

MAX_DEGREE = 4
MAX_BUILDS = 400
CHECKS = 3  # fresh points each formula must match after the fit
TOTAL = "total"
BUFFERS = "buffers"

Measured = tuple[int, Mapping[str, int], int | None]


class InferenceError(SymcountError):
    """A count that is not a polynomial of the allowed degree, or could not be measured."""


@dataclass(frozen=True)
class Inference:
    """What `infer` found: formulas in the sizes, per top-level group (None: not a polynomial of
    the allowed degree), in total, and for buffers (None: none measured, or not a polynomial)."""

    sizes: dict[str, int]
    total: sympy.Expr
    degree: int
    groups: dict[str, sympy.Expr | None] = field(default_factory=dict)
    buffers: sympy.Expr | None = None
    builds: int = 0
    checked: tuple[dict[str, int], ...] = ()
    framework: str = ""
    varying: tuple[str, ...] = ()  # groups present at some sizes only (e.g. one per layer)


def _expression(coefficients: Mapping[Exponents, Fraction], names: list[str]) -> sympy.Expr:
    symbols = [symbol(name) for name in names]
    terms = [
        sympy.Rational(c.numerator, c.denominator) * sympy.Mul(*(s**e for s, e in zip(symbols, exps)))
        for exps, c in coefficients.items()
    ]
    return sympy.Add(*terms)


class _Oracle:
    """Memoised measurements at points; failures at drawn points are skipped, within the budget."""

    def __init__(self, measure: Callable[[dict[str, int]], Measured], names: list[str], budget: int) -> None:
        self.measure, self.names, self.budget = measure, names, budget
        self.seen: dict[tuple[int, ...], Measured] = {}
        self.failures: list[str] = []

    @property
    def builds(self) -> int:
        return len(self.seen) + len(self.failures)

    def at(self, point: tuple[int, ...]) -> Measured | None:
        if point not in self.seen:
            if self.builds >= self.budget:
                raise InferenceError(
                    f"the fit needs more than {self.budget} builds (max_builds); fewer sizes or a lower degree need fewer"
                )
            try:
                self.seen[point] = self.measure(dict(zip(self.names, point)))
            except SymcountError:
                raise
            except Exception as error:  # the user's factory refused these sizes: draw others
                self.failures.append(f"{dict(zip(self.names, point))}: {type(error).__name__}: {error}")
                if len(self.failures) > max(10, len(self.seen)):
                    raise InferenceError(
                        f"the factory failed at {len(self.failures)} of {self.builds} drawn sizes, "
                        f"e.g. {self.failures[-1]}"
                    ) from None
                return None
        return self.seen[point]


def infer_counts(
    measure: Callable[[dict[str, int]], Measured],
    sizes: Mapping[str, int],
    *,
    max_degree: int = MAX_DEGREE,
    max_builds: int = MAX_BUILDS,
    seed: int = 0,
    framework: str = "",
) -> Inference:
    """Fit what `measure(point)` returns, (total, {group: count}, buffers or None), by polynomials
    in `sizes` of total degree <= `max_degree`, within `max_builds` calls."""
    names = list(sizes)
    for name, value in sizes.items():
        if not name.isidentifier() or isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InferenceError(f"sizes must be positive integers. Received: {name}={value!r}")
    if not names:
        raise InferenceError("infer needs at least one size, e.g. --size d=64")
    if not 0 <= max_degree <= 8:
        raise InferenceError(f"the degree must be between 0 and 8. Received: {max_degree}")
    rng = random.Random(seed)
    oracle = _Oracle(measure, names, max_builds)
    user = tuple(sizes[name] for name in names)
    try:
        first = measure(dict(sizes))
    except SymcountError:
        raise
    except Exception as error:
        raise InferenceError(
            f"the factory fails at the given sizes: {type(error).__name__}: {error}"
        ) from None
    oracle.seen[user] = first
    points = [user]

    def grow(count: int) -> None:
        attempts = 0
        while len(points) < count:
            attempts += 1
            if attempts > 50 * count:
                raise InferenceError(f"could not draw {count} distinct sizes near {dict(sizes)}")
            point = tuple(draw(sizes, rng).values())
            if point not in oracle.seen and oracle.at(point) is not None:
                points.append(point)

    found: dict[str, sympy.Expr] = {}
    degrees: dict[str, int] = {}
    undetermined: list[int] = []  # degrees whose points could not tell (too few, or too special)
    keys = [TOTAL, *(f"group:{g}" for g in first[1]), *([BUFFERS] if first[2] is not None else [])]
    for degree in range(max_degree + 1):
        pending = [k for k in keys if k not in found]
        if not pending:
            break
        grow(len(monomials(len(names), degree)) + 2)
        common = [k for k in pending if all(_value(oracle.seen[p], k) is not None for p in points)]
        columns = {k: [_value(oracle.seen[p], k) or 0 for p in points] for k in common}
        for key, result in fit(points, columns, degree).items():
            if key == TOTAL and not result.determined:
                undetermined.append(degree)
            if result.coefficients is not None:
                found[key] = _expression(result.coefficients, names)
                degrees[key] = degree
        if not common:
            break
    checked: list[dict[str, int]] = []
    if TOTAL in found:
        start = len(points)
        grow(start + CHECKS)
        for point in points[start:]:
            checked.append(dict(zip(names, point)))
            values = dict(zip((symbol(n) for n in names), point))
            for key in list(found):
                actual = _value(oracle.seen[point], key)
                if actual is None or found[key].xreplace(values) != actual:
                    del found[key]
    if TOTAL not in found:
        rules = _rules(sizes)
        if undetermined and rules:
            raise InferenceError(
                f"the sizes infer may draw are too few for a polynomial of degree {undetermined[-1]} in "
                f"{', '.join(names)}: keeping {rules} as at your sizes, each quotient takes only a few values, "
                f"so the {len(points)} points drawn lie on too few lines to tell the terms apart; "
                f"give sizes where none divides another, e.g. {_suggest(sizes)}"
            )
        raise InferenceError(
            f"the parameter count is not a polynomial of total degree <= {max_degree} in "
            f"{', '.join(names)} ({oracle.builds} builds{', keeping ' + rules if rules else ''}); "
            "a higher degree (--degree) or other sizes may help"
        )
    everywhere = [g for g in first[1] if all(g in oracle.seen[p][1] for p in points)]
    somewhere = {g for p in points for g in oracle.seen[p][1]}
    return Inference(
        sizes=dict(sizes),
        total=found[TOTAL],
        degree=degrees[TOTAL],
        groups={g: found.get(f"group:{g}") for g in everywhere},
        buffers=found.get(BUFFERS),
        builds=oracle.builds,
        checked=tuple(checked),
        framework=framework,
        varying=tuple(sorted(somewhere - set(everywhere))),
    )


def _value(measured: Measured, key: str) -> int | None:
    total, groups, buffers = measured
    if key == TOTAL:
        return total
    if key == BUFFERS:
        return buffers
    return groups.get(key.removeprefix("group:"))


def _suggest(sizes: Mapping[str, int]) -> str:
    """Sizes near `sizes` where no size divides another (each divisor moved up a little)."""
    suggested = dict(sizes)
    for _ in range(len(suggested)):
        rules = divides(suggested)
        if not rules:
            break
        divisor = next(iter(rules.values()))[0]
        value = suggested[divisor] + 1
        while any(v % value == 0 or value % v == 0 for k, v in suggested.items() if k != divisor and v > 1):
            value += 1
        suggested[divisor] = value
    return ", ".join(f"{k}={v}" for k, v in suggested.items())


def _rules(sizes: Mapping[str, int]) -> str:
    return ", ".join(f"{j} | {i}" for i, parts in divides(sizes).items() for j in parts)


def infer(
    factory: Callable[..., Any],
    /,
    *,
    max_degree: int = MAX_DEGREE,
    max_builds: int = MAX_BUILDS,
    seed: int = 0,
    **sizes: int,
) -> Inference:
    """The parameter count of `factory(**sizes)` (a torch.nn.Module or a Keras model) as exact
    polynomials in the sizes, per top-level submodule and in total, verified at fresh sizes."""
    from .importing import frameworks

    kind: list[str] = []

    def measure(point: dict[str, int]) -> Measured:
        model = frameworks.build(factory, point)
        kind.append(frameworks.framework_of(model))
        return frameworks.counts(model)

    result = infer_counts(measure, sizes, max_degree=max_degree, max_builds=max_builds, seed=seed)
    return Inference(**{**result.__dict__, "framework": kind[0] if kind else ""})
