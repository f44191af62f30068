"""Budgets: the largest integer value of a symbol whose total stays within a budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy

from .. import algebra
from ..costs import PARAMS, Measure
from ..errors import SpecError, SymcountError
from ..model import Model
from ..values import as_amount
from .common import Values, fix, named, symbol_of
from .evaluate import Evaluator

# Budgets.


@dataclass(frozen=True)
class Budget:
    """The largest integer value of a symbol whose total stays within a budget.

    `status` is "found" (`value` fits; `value + 1` does not, or is no valid size), "none" (no
    valid value fits: even the smallest gives `smallest_total`), "unbounded" (the total does not
    grow with the symbol: there is no largest value; values from `value` on fit) or "beyond" (the
    largest value is past the end of the search range: `value`, the last value searched, fits). `method` says how
    the answer is known to be the largest: "scan" (every valid value was counted), "exact" (the
    total is a polynomial in the symbol, or one per residue class when strides bring floors:
    past its slope's last real root each never falls), or "smoothed" (floors of another kind, read
    as their arguments: the answer assumes the total never falls once the smoothed total grows).
    """

    symbol: str
    budget: sympy.Expr
    status: str
    value: int | None
    total: int | None  # the total at `value`
    next_total: int | None  # the total at `value + 1`, None where that size is invalid
    smallest: int  # the smallest valid value of the symbol
    smallest_total: int  # the total there
    formula: sympy.Expr
    real_root: sympy.Expr | None  # where the total (smoothed) crosses the budget, over the reals
    method: str
    measure: Measure = PARAMS  # what the total counts
    convention: str = PARAMS.describe()
    next_error: str | None = None  # why `value + 1` is not a valid size, in the model's words


_SEARCH_LIMIT = 2**256  # no network has a width near this; searches stop there, or further for a
# budget so large that a total growing by 2**-64 per step could still fit past it (_search_limit)
_SCAN_LIMIT = 100_000  # at most this many values are counted one by one


def solve_budget(
    model: Model, wrt: str, budget: Any, values: Values | None = None, measure: Measure = PARAMS
) -> Budget:
    """The largest integer `wrt` whose total is at most `budget`, exact, other symbols at `values`
    (a value given for `wrt` itself is ignored). The total is `measure`'s cost: parameters by
    default, or FLOPs, bytes... for a compute or memory budget.

    Every candidate is counted exactly. When the valid sizes end soon (a kernel within its image)
    every one is counted. Otherwise the total is a polynomial in the symbol (or, with strided
    layers, one polynomial per residue class modulo some period); past the last real root of its
    slope a polynomial never falls, so there the search brackets by doubling from the real
    solution of total = budget and bisects, and values before that point are counted one by one.
    The answer is checked by counting at `value` and `value + 1`.

    Example:
        >>> from symcount import load_spec
        >>> spec = load_spec("lesson-dense")
        >>> model = spec.model()
        >>> found = solve_budget(model, "h1", 10**6, spec.values_for(model, {}))
        >>> found.value, found.total, found.next_total
        (1257, 999358, 1000153)
        >>> solve_budget(model, "h1", 10**6, spec.values_for(model, {}), Measure("flops")).value
        629
    """
    given = {name: value for name, value in named(values).items() if name != wrt}
    variable = symbol_of(model, wrt)
    limit, unit = as_amount(budget, "budget")
    if not (limit.is_number and limit.is_real):
        raise SpecError(f"the budget must be a number. Received: {budget!r}")
    if unit is not None and measure.entry.unit != "bytes":
        raise SpecError(
            f"a budget in {unit} is a memory budget: give a cost in bytes (--cost memory, "
            f"training-memory or kv-cache). Received: budget={budget!r} for {measure.label}"
        )
    fixed = fix(model, given, [wrt])
    total = algebra.formula(measure.total(fixed), "expand")
    search = _search_limit(limit)
    evaluator = Evaluator(fixed, (wrt,), False, (search,), measure)

    def count(n: int) -> int | None:
        return evaluator.count((n,))

    pieces = _pieces(evaluator, variable, search)
    if not pieces:
        evaluator.folded((1,))  # nothing works: raise the model's own error
        raise SymcountError(f"no value of {wrt} gives a valid network")  # pragma: no cover
    first = _first_counting(count, pieces)
    if first is None:
        evaluator.folded((pieces[0][0],))
        raise SymcountError(f"no value of {wrt} gives a valid network")  # pragma: no cover
    roots = algebra.real_roots(total - limit, variable) or []
    crossing = roots[-1] if roots and roots[-1] > 0 else None
    # The highest piece with an answer has the largest: every value below it is smaller.
    status, value, method = "none", None, "scan"
    for start, end in reversed(pieces):
        if end is not None and end - start < _SCAN_LIMIT:
            fitting = next((n for n in range(end, start - 1, -1) if _fits(count(n), limit)), None)
            status, value, method = ("found", fitting, "scan") if fitting else ("none", None, "scan")
        else:
            status, value, method = _search_classes(total, variable, count, start, end, limit, search)
        if status != "none":
            break
    at = count(value) if value is not None else None
    following = count(value + 1) if value is not None and status == "found" else None
    lowest = count(first)
    assert lowest is not None
    why = (
        _why_invalid(evaluator, value + 1)
        if value is not None and status == "found" and following is None
        else None
    )
    return Budget(
        wrt, limit, status, value, at, following, first, lowest, total, crossing, method, measure,
        measure.describe(fixed), why,
    )  # fmt: skip


def _search_limit(budget: sympy.Expr) -> int:
    """Where searches stop: 2**256, or far enough that a total growing by 2**-64 per step from
    0 would pass `budget` before it."""
    return 2 ** max(256, int(abs(budget)).bit_length() + 64)


_MAX_PIECES = 1_000  # cuts in the valid sizes: a network has a handful


def _pieces(evaluator: Evaluator, variable: sympy.Symbol, search: int) -> list[tuple[int, int | None]]:
    """The valid sizes of `variable` up to `search` as runs (start, end), ascending; the last
    run's end is None when it goes on forever.

    Valid sizes need not form one range (`dense: (k-5)**2` is refused at k = 5 alone), so none is
    assumed. Every edge of the evaluator (a dimension minus 1, a range rule's value: >= 0 wherever
    a count can succeed) is, on each residue class k = P*m + r modulo the period P of its floors,
    a polynomial in m (`algebra.residue_classes`), which changes sign only next to its real
    roots. Cutting the integers at P*floor(root) + r and the value after it, for every root of
    every class of every edge, leaves pieces on which no edge changes sign within a class; each
    piece is tested on its first values (one per class of the largest period, and more), and the
    valid ones are joined. A piece valid on some classes only has holes there, which the search
    skips as it skips values a divisibility rule refuses. An edge of another form (floors of a
    non-linear argument, min or max) is cut at the roots of its smoothed form, a few values
    either side. The work is a root-finding per class and edge, then one vector test per piece.
    """
    cuts = {1}
    widest = 1
    found: dict[sympy.Expr, list[sympy.Expr] | None] = {}
    for edge in evaluator.edges:
        classes = algebra.residue_classes(edge, variable)
        if classes is None:
            roots = algebra.real_roots(edge, variable) or []
            cuts |= {algebra.floor_of(root) + step for root in roots for step in range(-2, 4)}
            continue
        period, polynomials, m = classes
        widest = max(widest, period)
        for r, polynomial in enumerate(polynomials):
            if polynomial not in found:
                found[polynomial] = algebra.real_roots(polynomial, m) if m in polynomial.free_symbols else []
            for root in found[polynomial] or []:
                low = algebra.floor_of(root)
                cuts |= {period * low + r, period * (low + 1) + r}
        if len(cuts) > _MAX_PIECES:
            raise SymcountError(
                f"the valid values of {variable} break into more than {_MAX_PIECES:,} pieces: "
                "too many to search"
            )
    points = sorted(c for c in cuts if 1 <= c <= search)
    pieces: list[tuple[int, int | None]] = []
    for i, start in enumerate(points):
        end = points[i + 1] - 1 if i + 1 < len(points) else None
        tested = range(start, min(search if end is None else end, start + widest + 64) + 1)
        if not any(evaluator.within_edges(tested)):
            continue
        if pieces and pieces[-1][1] == start - 1:
            pieces[-1] = (pieces[-1][0], end)
        else:
            pieces.append((start, end))
    return pieces


def _first_counting(count: Callable[[int], int | None], pieces: list[tuple[int, int | None]]) -> int | None:
    """The first value in `pieces` that counts (looking at most `_SCAN_LIMIT` values in all)."""
    looked = 0
    for start, end in pieces:
        stop = start + _SCAN_LIMIT - looked if end is None else min(end, start + _SCAN_LIMIT - looked)
        for n in range(start, stop + 1):
            if count(n) is not None:
                return n
        looked += stop - start + 1
        if looked >= _SCAN_LIMIT:
            return None
    return None


def _why_invalid(evaluator: Evaluator, value: int) -> str | None:
    """The model's own words for why `value` is not a valid size."""
    try:
        evaluator.folded((value,))
    except SymcountError as error:
        return str(error)
    return None


def _fits(value: int | None, limit: sympy.Expr) -> bool:
    return value is not None and bool(value <= limit)


def _search_classes(
    total: sympy.Expr,
    variable: sympy.Symbol,
    count: Callable[[int], int | None],
    smallest: int,
    end: int | None,
    limit: sympy.Expr,
    search: int,
) -> tuple[str, int | None, str]:
    """Search each residue class on its own polynomial, then take the best answer of all."""
    classes = algebra.residue_classes(total, variable)
    if classes is None:  # floors of another kind: the exact total, with the smoothed one's slope
        period, polynomials, m, method = 1, [total], variable, "smoothed"
    else:
        (period, polynomials, m), method = classes, "exact"
    answers = []
    for r, polynomial in enumerate(polynomials):
        low = max(0, -((r - smallest) // period))  # the least m with period*m + r >= smallest
        high = None if end is None else (end - r) // period
        if high is not None and high < low:
            continue
        formula = algebra.exact_function([polynomial], (m,))

        def under(n: int, formula: Callable[..., list[Any]] = formula) -> bool:
            return bool(formula(n)[0] <= limit)

        def fits(n: int, r: int = r) -> bool:
            return _fits(count(period * n + r), limit)

        status, value = _search(polynomial, m, under, fits, low, high, limit, search // period)
        answers.append((status, None if value is None else period * value + r))
    unbounded = [value for status, value in answers if status == "unbounded" and value is not None]
    if unbounded:
        return "unbounded", min(unbounded), method
    beyond = [value for status, value in answers if status == "beyond" and value is not None]
    if beyond:
        return "beyond", max(beyond), method
    found = [value for status, value in answers if status == "found" and value is not None]
    return ("found", max(found), method) if found else ("none", None, method)


def _search(
    expr: sympy.Expr,
    variable: sympy.Symbol,
    under: Callable[[int], bool],
    fits: Callable[[int], bool],
    low: int,
    high: int | None,
    limit: sympy.Expr,
    search: int,
) -> tuple[str, int | None]:
    """The largest n in [low, high] (high None: no end) where `fits(n)`.

    `under(n)` says whether the formula `expr` is within the budget at n (whether or not the
    network is valid there); `fits(n)` also asks the model. Past `steady`, the last real root of
    the slope, `expr` is monotone: `under` is bisected there, then `fits` looks down for the first
    valid value (holes, where a rule such as divisibility by groups fails, are short).
    """
    slope_roots = algebra.real_roots(algebra.derivative(expr, variable), variable) or []
    steady = max([low, *(algebra.floor_of(root) + 1 for root in slope_roots[-1:])])
    top = search if high is None else high
    if min(steady, top + 1) - low > _SCAN_LIMIT:
        raise SymcountError(f"the total falls and rises again with {variable} for too long to search")
    best = max((n for n in range(low, min(steady, top + 1)) if fits(n)), default=None)
    if steady > top:
        return ("none", None) if best is None else ("found", best)
    try:
        grows = variable in expr.free_symbols and algebra.limit_at_infinity(expr, variable) is sympy.oo
    except SymcountError:
        raise SymcountError(
            "cannot tell whether the total keeps growing: sympy cannot take its limit (is there a max() "
            "or min() of the symbol solved for?)"
        ) from None
    if grows and under(steady):
        roots = algebra.real_roots(expr - limit, variable) or []
        guess = algebra.floor_of(roots[-1]) if roots and roots[-1] > steady else steady
        last = _last_under(under, steady, min(guess, top), top)
        if high is None and last == top:
            return "beyond", top  # the formula is still within the budget where the search ends
        best = _down(fits, last, steady, best)
    elif not grows and under(top):
        # The formula never grows past `steady` (a stride, say): the far end fits if anything does.
        if high is None:
            start = _first(under, steady, search)
            assert start is not None
            return "unbounded", start
        best = _down(fits, top, steady, best)
    return ("none", None) if best is None else ("found", best)


def _down(fits: Callable[[int], bool], top: int, bottom: int, best: int | None) -> int | None:
    """The first value counting down from `top` to `bottom` that fits, else `best`."""
    for n in range(top, max(bottom, top - _SCAN_LIMIT) - 1, -1):
        if fits(n):
            return n
    return best


def _first(test: Callable[[int], bool], start: int, stop: int) -> int | None:
    """The first n in [start, stop] where `test` holds, if it holds from there on (doubling from
    `start`, then bisecting); None if it holds nowhere up to `stop`."""
    if test(start):
        return start
    step = 1
    while not test(start + step):
        step *= 2
        if start + step > stop:
            return None
    low, high = start + step // 2, start + step
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if test(middle) else (middle, high)
    return high


def _last(test: Callable[[int], bool], start: int, stop: int) -> int | None:
    """The last n from `start` (where `test` holds) on where it holds, or None if it goes on."""
    step = 1
    while test(start + step):
        if start + step >= stop:
            return None
        step *= 2
    low, high = start + step // 2 if step > 1 else start, start + step
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if test(middle) else (low, middle)
    return low


def _last_under(under: Callable[[int], bool], start: int, guess: int, top: int) -> int:
    """The last n in [start, top] where `under` holds, given it holds at `start` and, from there,
    fails from some point on. Brackets from `guess` by doubling, then bisects."""
    if guess > start and not under(guess):
        low, high = start, guess
    else:
        low, step = max(start, guess), 1
        while low + step <= top and under(low + step):
            low += step
            step *= 2
        high = min(low + step, top + 1)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if under(middle) else (low, middle)
    return low
