"""What the explorer page computes, folded once: formulas, rules and slider ranges as data.

The model is folded once with every symbol free, noting each check that waits for values and what
it would say where it fails (symcount.rules). The page (symcount.render.page) compiles these
formulas and rules to JavaScript once; a slider move evaluates them, never Python. The checks are
kept in the fold's order, so the first that fails at a point is the one `symcount count` reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from .. import rules
from ..costs import COSTS, Convention, Measure
from ..errors import SpecError, SymcountError
from ..model import Model
from ..values import symbol

__all__ = ["Slider", "PageCost", "PageRow", "PageModel", "page_model"]


@dataclass(frozen=True)
class Slider:
    """A symbol's input: its value, its range and a step that keeps the model's rules."""

    name: str
    value: int
    low: int
    high: int
    step: int


@dataclass(frozen=True)
class PageCost:
    """One cost: its total and each row's, as formulas in the page's symbols."""

    name: str
    label: str
    total: sympy.Expr
    rows: tuple[sympy.Expr, ...]


@dataclass(frozen=True)
class Weight:
    name: str
    shape: tuple[sympy.Expr, ...]
    kind: str


@dataclass(frozen=True)
class PageRow:
    """A row as `count --json` lists it, with its weights for the explanation."""

    name: str
    kind: str
    weights: tuple[Weight, ...]
    repeated: bool  # a block made of others: explained by its formula


@dataclass(frozen=True)
class PageModel:
    name: str
    description: str
    sliders: tuple[Slider, ...]
    rows: tuple[PageRow, ...]
    costs: tuple[PageCost, ...]
    rules: tuple[rules.Rule, ...]  # in the fold's order; each with what it says where it fails
    checks: tuple[sympy.Expr, ...]  # every output size: a positive integer
    convention: Convention

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sliders)


def page_model(
    model: Model,
    values: Mapping[str, Any],
    costs: Sequence[str] = (),
    convention: Convention | None = None,
    name: str = "",
    description: str = "",
) -> PageModel:
    """The page's data for `model` (every symbol free) at `values` (a number for each symbol):
    `costs` by name, or every registered cost the model has (those not zero everywhere)."""
    convention = convention or Convention()
    names = tuple(s.name for s in model.symbols)
    missing = [n for n in names if n not in values]
    if missing:
        raise SpecError(f"the page needs a value for every symbol: give {', '.join(missing)} one with --set")
    point = {}
    for n in names:
        value = sympy.sympify(values[n])
        if not value.is_Integer:
            raise SpecError(f"the page's inputs are whole numbers. Received: {n}={value}")
        point[n] = int(value)
    with rules.noting() as notebook:
        folded = model.xreplace({n: symbol(n) for n in names})
    wanted = list(costs) or list(COSTS)
    page_costs = []
    for cost in wanted:
        measure = Measure(cost, convention)
        total = sympy.expand(measure.total(folded))
        if not costs and total == 0:
            continue  # a cost this model does not have (a CNN's KV cache)
        page_costs.append(PageCost(measure.cost, measure.label, total, tuple(measure.rows(folded))))
    checks: dict[sympy.Expr, None] = {}
    for row in folded.rows:
        for dim in row.output_shape:  # (a repeated block's weights may be empty: no copies)
            if dim.free_symbols:
                checks[dim] = None
    # A rule with nothing to say is a shortcut of the explorer's (a block that may keep its shape),
    # not a refusal: only those whose check raises are the page's.
    # A rule in a repeated block's copy index (DenseNet's i-th copy) holds for every copy: the page
    # leaves those to the sizes it checks.
    known = set(model.symbols)
    noted = tuple(
        rule
        for rule in notebook
        if rule.kind != "undecided"
        and rule.says is not None
        and all(sympy.sympify(e).free_symbols <= known for e in (*rule.exprs, *rule.says.values))
    )
    rows = tuple(
        PageRow(
            row.name,
            row.kind,
            ()
            if row.parts() is not None
            else tuple(Weight(w.name, tuple(w.shape), w.kind) for w in row.weights),
            row.parts() is not None,
        )
        for row in folded.rows
    )
    sliders = tuple(_within_bounds(model, _slider(n, point, noted), point) for n in names)
    return PageModel(name, description, sliders, rows, tuple(page_costs), noted, tuple(checks), convention)


def _within_bounds(model: Model, slider: Slider, point: Mapping[str, int]) -> Slider:
    """The slider, its top lowered until the model folds there (the others at their values): a
    bound on the work (a block unrolled copy by copy, at most 1,000 layers) is no rule a page can
    check, so the slider stays below it."""
    high = slider.high
    for _ in range(8):
        try:
            model.xreplace(
                {**{n: sympy.Integer(v) for n, v in point.items()}, slider.name: sympy.Integer(high)}
            )
            break
        except SymcountError:
            high = slider.value + (high - slider.value) // 2 // slider.step * slider.step
    return Slider(slider.name, slider.value, slider.low, max(high, slider.value), slider.step)


def _slider(name: str, point: Mapping[str, int], noted: Sequence[rules.Rule]) -> Slider:
    """A range around the value, with a step every rule that divides this symbol asks for
    (heads divide the width: the width moves by the heads' value)."""
    value = point[name]
    step = 1
    this = symbol(name)
    at = {symbol(n): sympy.Integer(v) for n, v in point.items()}
    for rule in noted:
        if rule.kind == "divides" and rule.exprs[0] == this:
            divisor = sympy.sympify(rule.exprs[1]).xreplace(at)
        elif rule.kind == "size" and rule.exprs[0].is_Mul and this in rule.exprs[0].args:
            divisor = sympy.denom(rule.exprs[0]).xreplace(at)  # d/h: the width a multiple of h
        else:
            continue
        if divisor.is_Integer and divisor > 0 and value % int(divisor) == 0:
            step = math.lcm(step, int(divisor))
    high = max(4 * value, value + 8 * step)
    return Slider(name, value, step, high - high % step, step)
