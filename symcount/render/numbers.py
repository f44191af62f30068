"""Numbers and costs as people and JSON read them: `24,533`, exact and decimal, every cost."""

from __future__ import annotations

import math
from typing import Any

import sympy

from ..costs import COSTS, PARAMS, Measure
from ..errors import ShapeError, missing_values
from ..model import Model
from ..text import number

__all__ = [
    "number", "to_json_value", "concrete", "all_costs", "row_costs", "cost_data", "cost_heading", "decimal",
    "exact_and_decimal", "json_number", "finite", "human", "share", "byte_units",
]  # fmt: skip


def to_json_value(value: sympy.Expr) -> int | str:
    """An int when the expression is one (JSON numbers), its sympy text otherwise."""
    return int(value) if value.is_Integer else str(value)


def concrete(expr: sympy.Expr, measure: Measure = PARAMS) -> int:
    """`expr` as an int, or a one-line error naming the symbols that still need a value."""
    if expr.free_symbols:
        raise missing_values(f"the {measure.label}", sorted(s.name for s in expr.free_symbols), "depend")
    if not expr.is_Integer:
        raise ShapeError(f"the {measure.label} are not a whole number: {expr}")
    return int(expr)


def all_costs(model: Model, measure: Measure = PARAMS) -> dict[str, sympy.Expr]:
    """Every cost of `model` under `measure`'s convention, by name (as in `costs.COSTS`)."""
    return {cost: measure.with_cost(cost).total(model) for cost in COSTS}


def row_costs(model: Model, row: Any, measure: Measure) -> dict[str, sympy.Expr]:
    return {cost: measure.with_cost(cost).row(model, row) for cost in COSTS}


def cost_data(measure: Measure, model: Model | None = None) -> dict[str, str]:
    """The "cost" and "convention" fields every JSON output carries."""
    return {"cost": measure.cost, "convention": measure.describe(model)}


def cost_heading(measure: Measure) -> str:
    """A column heading for the cost: `Params`, `FLOPs`, `Training FLOPs`, `Bytes`."""
    return measure.heading


# The explorer's results (symcount.explore) as data, text, Markdown and LaTeX.


def decimal(value: sympy.Expr) -> str:
    """A number to six significant digits: `1.03656`."""
    shown = finite(value)
    return f"{shown:.6g}" if isinstance(shown, float) else str(sympy.N(value, 6))


def exact_and_decimal(value: sympy.Expr) -> str:
    """`25430/24533 (1.03656)` for a fraction, `7,993` for an integer, the formula otherwise."""
    if value.is_Integer:
        return number(value)
    if value.is_Rational:
        return f"{value} ({decimal(value)})"
    if value.is_number:
        return decimal(value)
    return str(value)


def json_number(value: sympy.Expr | None) -> Any:
    """An int, {"exact": "p/q", "decimal": float} for a fraction, the formula's text otherwise."""
    if value is None:
        return None
    if value.is_Integer:
        return int(value)
    if value.is_Rational:
        return {"exact": str(value), "decimal": finite(value)}
    return str(value)


def finite(value: sympy.Expr) -> float | str:
    """A float for JSON, or past a float's range (about 1.8e308, or below about 1e-308) the
    number's text to 16 digits: JSON has no Infinity, and a ratio is never shown as 0.

    Example:
        >>> finite(sympy.Rational(1, 3)), finite(sympy.Integer(10) ** 400 / 3)
        (0.3333333333333333, '3.333333333333333e+399')
    """
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if math.isfinite(number) and (number != 0 or value == 0):
        return number
    return str(sympy.N(value, 16))


# Human units beside exact figures, as torchinfo prints them: 124.4M parameters, 8.18 GFLOPs,
# 474.6 MB. Decimal prefixes throughout (a MB is 10^6 bytes, as torchinfo's).
PREFIXES = ("", "K", "M", "G", "T", "P", "E")
COUNT_PREFIXES = ("", "K", "M", "B", "T", "Q", "E")


def human(value: Any, unit: str = "parameters") -> str:
    """`124.4M` (counts), `8.18 GFLOPs` (FLOPs, MACs), `474.6 MB` (bytes); "" below 1,000 or for a
    formula, where the exact figure says it all.

    Example:
        >>> human(124_439_808), human(8_180_000_000, "FLOPs"), human(474_600_000, "bytes"), human(999)
        ('124.4M', '8.18 GFLOPs', '474.6 MB', '')
    """
    if not (isinstance(value, int) or (isinstance(value, sympy.Expr) and value.is_Integer)):
        return ""
    exact = int(value)
    if abs(exact) < 1000 or exact.bit_length() > 900:  # past a float's range the exact figure says it all
        return ""
    power = min((len(str(abs(exact))) - 1) // 3, len(PREFIXES) - 1)
    scaled = exact / 10 ** (3 * power)
    digits = 2 if unit in ("FLOPs", "MACs") else 1
    if round(scaled, digits) >= 1000 and power + 1 < len(PREFIXES):  # 999,999 is 1.0M, not 1000.0K
        power, scaled = power + 1, exact / 10 ** (3 * (power + 1))
    if unit in ("FLOPs", "MACs"):
        return f"{scaled:.2f} {PREFIXES[power]}{unit}"
    if unit == "bytes":
        return f"{scaled:.1f} {PREFIXES[power].replace('K', 'k')}B"
    return f"{scaled:.1f}{COUNT_PREFIXES[power]}"


def byte_units(value: int) -> str:
    """A count of bytes rounded, in both bases, each named: decimal (GB = 10**9 bytes, as disks
    and most counters) and binary (GiB = 2**30, as accelerate and memory tools print).

    Example:
        >>> byte_units(13_476_831_232), byte_units(1_500)
        ('13.48 GB decimal, 12.55 GiB binary', '1.50 kB decimal, 1.46 KiB binary')
    """
    decimal = ("B", "kB", "MB", "GB", "TB", "PB", "EB")
    binary = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    power = min(max((len(str(abs(value))) - 1) // 3, 0), len(decimal) - 1)
    power2 = min(max((abs(value).bit_length() - 1) // 10, 0), len(binary) - 1)
    return f"{value / 1000**power:.2f} {decimal[power]} decimal, {value / 1024**power2:.2f} {binary[power2]} binary"


def share(part: Any, total: Any) -> str:
    """`12.3%`: a row's share of a total, when both are numbers and the total is not 0."""
    if not (
        isinstance(part, sympy.Expr) and part.is_number and isinstance(total, sympy.Expr) and total.is_number
    ):
        return ""
    if total == 0:
        return ""
    return f"{float(100 * part / total):.1f}%"
