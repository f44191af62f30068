"""The explorer's results (symcount.explore) as data, text, Markdown and LaTeX."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy

from .numbers import exact_and_decimal, finite, json_number, number
from .tables import markdown_text, table_latex, table_markdown, table_text

if TYPE_CHECKING:
    from ..explore import Budget, Comparison, Diff, Explanation, LayerShare, ModelShares, Scaling


def _point(point: dict[str, sympy.Expr]) -> str:
    return ", ".join(f"{name}={value}" for name, value in point.items())


def _stated(result: Any) -> list[str]:
    """An explorer result's convention, as a line of its own, when it counts more than parameters."""
    return [] if result.measure.is_params else [result.convention]


def _latex_stated(result: Any, latex: str) -> str:
    """LaTeX with the convention before it as a comment (LaTeX ignores it; a reader does not)."""
    return "\n".join([*(f"% {line}" for line in _stated(result)), latex])


def _fields(result: Any) -> dict[str, str]:
    return {"cost": result.measure.cost, "convention": result.convention}


def diff_text(result: Diff) -> str:
    lines = [f"d total / d {result.wrt} = {result.derivative}"]
    if result.value is not None and result.derivative.free_symbols:
        lines.append(f"at {_point(result.point)}: {exact_and_decimal(result.value)}")
    if result.smoothed:
        lines.append(f"(floors and ceilings in {result.wrt} are read as their arguments)")
    return "\n".join([*lines, *_stated(result)])


def diff_latex(result: Diff) -> str:
    return _latex_stated(result, sympy.latex(result.derivative))


def diff_data(result: Diff) -> dict[str, Any]:
    return {
        "wrt": result.wrt,
        "derivative": str(result.derivative),
        "latex": sympy.latex(result.derivative),
        "point": {name: json_number(value) for name, value in result.point.items()},
        "value": json_number(result.value),
        "smoothed": result.smoothed,
        **_fields(result),
    }


def _order(result: Scaling) -> str:
    term = result.order.args[0] if result.order.args else sympy.Integer(1)
    return f"O({term})"


def scaling_rows(result: Scaling) -> list[tuple[str, str]]:
    """(quantity, value) pairs: the report as data for every rendering."""
    v = result.variable
    rows = [("cost", line) for line in _stated(result)]
    if result.substitution:
        rows.append(("scaling", ", ".join(f"{name} -> {expr}" for name, expr in result.substitution.items())))
    rows += [
        ("total", str(result.total)),
        (f"degree in {v}", str(result.degree)),
        ("leading term", str(result.leading_term)),
        ("growth", f"{_order(result)} as {v} grows"),
        (f"elasticity d log N / d log {v}", str(result.elasticity)),
    ]
    if result.point:
        if result.total_at is not None:
            rows.append((f"total at {_point(result.point)}", exact_and_decimal(result.total_at)))
        if result.elasticity_at is not None:
            rows.append((f"elasticity at {_point(result.point)}", exact_and_decimal(result.elasticity_at)))
    if result.smoothed:
        rows.append(("note", f"floors and ceilings in {v} are read as their arguments"))
    return rows


def scaling_text(result: Scaling) -> str:
    rows = scaling_rows(result)
    width = max(len(name) for name, _ in rows) + 1
    return "\n".join(f"{(name + ':').ljust(width)} {value}" for name, value in rows)


def scaling_markdown(result: Scaling) -> str:
    return table_markdown(
        ["quantity", "value"], [[name, value] for name, value in scaling_rows(result)], code=[1]
    )


def scaling_latex(result: Scaling) -> str:
    v = sympy.latex(sympy.Symbol(result.variable))
    lines = [
        f"N &= {sympy.latex(result.total)}",
        f"\\deg_{{{v}}} N &= {sympy.latex(result.degree)}",
        f"N &\\sim {sympy.latex(result.leading_term)}",
        f"N &= {sympy.latex(result.order)}",
        f"\\frac{{d \\log N}}{{d \\log {v}}} &= {sympy.latex(result.elasticity)}",
    ]
    if result.elasticity_at is not None:
        lines.append(
            f"\\left.\\frac{{d \\log N}}{{d \\log {v}}}\\right|_{{{_point(result.point)}}} &= {sympy.latex(result.elasticity_at)}"
        )
    return _latex_stated(result, "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}")


def scaling_data(result: Scaling) -> dict[str, Any]:
    return {
        "variable": result.variable,
        "substitution": {name: str(expr) for name, expr in result.substitution.items()},
        "total": str(result.total),
        "degree": json_number(result.degree),
        "leading_term": str(result.leading_term),
        "big_o": _order(result),
        "elasticity": str(result.elasticity),
        "point": {name: json_number(value) for name, value in result.point.items()},
        "total_at": json_number(result.total_at),
        "elasticity_at": json_number(result.elasticity_at),
        "smoothed": result.smoothed,
        **_fields(result),
    }


def budget_text(result: Budget) -> str:
    return "\n".join([*_budget_lines(result), *_stated(result)])


def _budget_lines(result: Budget) -> list[str]:
    w, budget = result.symbol, number(result.budget) if result.budget.is_Integer else str(result.budget)
    if result.status == "none":
        first, least = result.smallest, result.smallest_total
        return [
            f"no value of {w} fits the budget {budget}: even {w} = {first:,} gives {least:,} {result.measure.label}"
        ]
    assert result.value is not None and result.total is not None
    if result.status == "unbounded":
        if result.formula.free_symbols:
            return [
                f"every value of {w} from {w} = {result.value:,} on fits the budget {budget}: the total does not grow with {w}"
            ]
        return [
            f"every value of {w} fits the budget {budget}: the total does not depend on {w} (it is {result.total:,})"
        ]
    if result.status == "beyond":
        return [
            f"the largest value of {w} within the budget {budget} is beyond the search range: "
            f"the search ends at {w} = {result.value:,}, where the total is {result.total:,}, still "
            "within the budget"
        ]
    lines = [
        f"{w} = {result.value:,} is the largest value within the budget {budget}",
        f"total at {w} = {result.value:,}: {result.total:,}",
    ]
    if result.next_total is None:
        why = f": {result.next_error}" if result.next_error else ""
        lines.append(f"{w} = {result.value + 1:,} is not a valid size for this network{why}")
    else:
        lines.append(f"total at {w} = {result.value + 1:,}: {result.next_total:,} (over the budget)")
    if result.method == "smoothed":
        lines.append(f"(assumes the total never falls once its smoothed form grows with {w})")
    return lines


def budget_data(result: Budget) -> dict[str, Any]:
    return {
        "symbol": result.symbol,
        "budget": json_number(result.budget),
        "status": result.status,
        "value": result.value,
        "total": result.total,
        "next_total": result.next_total,
        "next_error": result.next_error,
        "smallest_valid": result.smallest,
        "smallest_total": result.smallest_total,
        "formula": str(result.formula),
        "real_solution": None if result.real_root is None else finite(result.real_root),
        "method": result.method,
        **_fields(result),
    }


def _share(share: sympy.Expr | None) -> str:
    if share is None:
        return ""
    if share.is_number:
        return f"{float(share) * 100:.1f}%"
    return str(share)


def _labels(result: Comparison) -> tuple[str, str]:
    a, b = result.first.name, result.second.name
    return (f"{a} (A)", f"{b} (B)") if a == b else (a, b)


def _compared(result: Comparison) -> list[str]:
    """The comparison's convention(s): one line, or one per model where they differ (batches)."""
    if result.measure.is_params:
        return []
    a, b = _labels(result)
    first, second = result.first.convention, result.second.convention
    return [first] if first == second else [f"{a}: {first}", f"{b}: {second}"]


def comparison_rows(result: Comparison) -> tuple[list[list[str]], list[tuple[str, list[list[str]], str]]]:
    """The totals table, and for each model its layer table and the layer holding the most."""
    a, b = _labels(result)
    totals = [
        [a, number(result.first.total)],
        [b, number(result.second.total)],
        [f"difference ({a} - {b})", number(result.difference)],
        [f"ratio ({a} / {b})", "" if result.ratio is None else exact_and_decimal(result.ratio)],
    ]
    models = []
    for label, shares in ((a, result.first), (b, result.second)):
        body = [
            [f"{layer.name} ({layer.kind})", number(layer.value), _share(layer.share)]
            for layer in shares.layers
        ]
        top = shares.largest
        most = "" if top is None else f"{top.name} ({_share(top.share)})"
        models.append((label, body, most))
    return totals, models


def _compared_labels(result: Comparison) -> tuple[str, str]:
    """What the totals and the layers' column are called: `parameters` and `params`, or `FLOPs`."""
    label = result.measure.label
    return (label, "params") if result.measure.is_params else (label, label)


def comparison_text(result: Comparison) -> str:
    """Side by side: the two totals in two columns, difference and ratio (a decimal; --json has
    the exact fraction), then each model's layers and shares, next to each other."""
    a, b = _labels(result)
    label, column = _compared_labels(result)
    (name_a, body_a, most_a), (name_b, body_b, most_b) = comparison_rows(result)[1]
    ratio = "" if result.ratio is None else _ratio_decimal(result.ratio)
    totals = [
        [label, number(result.first.total), number(result.second.total)],
        ["largest layer", most_a, most_b],
    ]
    lines = [*_compared(result), table_text(["", a, b], totals, right=[1, 2])]
    lines += [f"difference ({a} - {b}): {number(result.difference)}", f"ratio ({a} / {b}): {ratio}", ""]
    left = table_text(["layer", column, "share"], body_a, right=[1, 2]).splitlines()
    right = table_text(["layer", column, "share"], body_b, right=[1, 2]).splitlines()
    width = max(len(line) for line in [name_a, *left])
    for k in range(max(len(left), len(right)) + 1):
        first = ([name_a, *left] + [""] * len(right))[k]
        second = ([name_b, *right] + [""] * len(left))[k]
        lines.append(f"{first.ljust(width)}  |  {second}".rstrip())
    return "\n".join(lines)


def _ratio_decimal(value: Any) -> str:
    """A ratio as a decimal people compare at a glance: 0.3258, 3.069; a formula stays one."""
    if not value.is_number:
        return str(value)
    shown = finite(value)  # past a float's range either way: sympy's digits, never inf or 0
    return f"{shown:.4g}" if isinstance(shown, float) else str(sympy.N(value, 4))


def comparison_markdown(result: Comparison) -> str:
    totals, models = comparison_rows(result)
    label, column = _compared_labels(result)
    parts = [*map(markdown_text, _compared(result)), table_markdown(["", label], totals)]
    for name, body, most in models:
        parts.append(f"**{markdown_text(name)}**" + (f" (most: {markdown_text(most)})" if most else ""))
        parts.append(table_markdown(["layer", column, "share"], body))
    return "\n\n".join(parts)


def comparison_latex(result: Comparison) -> str:
    totals, models = comparison_rows(result)
    label, column = _compared_labels(result)
    parts = [table_latex(["", label], totals, formulas=[1])]
    parts += [table_latex([name, column, "share"], body, formulas=[1]) for name, body, _ in models]
    return "\n".join([*(f"% {line}" for line in _compared(result)), "\n\n".join(parts)])


def comparison_data(result: Comparison) -> dict[str, Any]:
    """Both models' totals and layers; each layer has its "params" and, for another cost, its
    value under the cost's name ("flops": ...); "share" is of the compared cost."""
    cost = result.measure.cost

    def layer_data(layer: LayerShare) -> dict[str, Any]:
        data = {"name": layer.name, "type": layer.kind, "params": json_number(layer.params)}
        if cost != "params":
            data[cost] = json_number(layer.value)
        return {**data, "share": json_number(layer.share)}

    def model(shares: ModelShares) -> dict[str, Any]:
        top = shares.largest
        return {
            "name": shares.name,
            "total": json_number(shares.total),
            "layers": [layer_data(layer) for layer in shares.layers],
            "largest": None if top is None else top.name,
            "convention": shares.convention,
        }

    return {
        "first": model(result.first),
        "second": model(result.second),
        "difference": json_number(result.difference),
        "ratio": json_number(result.ratio),
        "cost": cost,
        "convention": result.first.convention,
    }


def explanation_rows(result: Explanation) -> list[list[str]]:
    """One row per layer and, under a repeated block, one per inner layer (`17.1`, indented)."""
    rows = []

    def add(layer: Any, number: str, indent: int) -> None:
        rows.append([number, f"{'  ' * indent}{layer.name} ({layer.kind})", layer.words])
        for k, inner in enumerate(layer.inner, start=1):
            add(inner, f"{number}.{k}", indent + 1)

    for layer in result.layers:
        add(layer, str(layer.position), 0)
    return rows


def explanation_text(result: Explanation) -> str:
    lines = [result.name or "model", *_stated(result)]
    lines += [f"  {number}. {layer}: {words}" for number, layer, words in explanation_rows(result)]
    lines.append(f"  total: {result.words}")
    return "\n".join(lines)


def explanation_markdown(result: Explanation) -> str:
    rows = [*explanation_rows(result), ["", "**total**", result.words]]
    table = table_markdown(["#", "layer", "where the count comes from"], rows)
    return "\n\n".join([*map(markdown_text, _stated(result)), table])


def explanation_latex(result: Explanation) -> str:
    rows = [*explanation_rows(result), ["", "total", result.words]]
    return _latex_stated(result, table_latex(["#", "layer", "where the count comes from"], rows))


def explanation_data(result: Explanation) -> dict[str, Any]:
    """Every layer explained; a repeated block's "inner" layers each with the "copies" it stands
    for (the block's value is the sum of copies x value)."""

    def layer_data(layer: Any, copies: Any = None) -> dict[str, Any]:
        data = {
            "position": layer.position,
            "name": layer.name,
            "type": layer.kind,
            "params": json_number(layer.params),
            "formula": str(layer.formula),
            "value": json_number(layer.value),
            "words": layer.words,
            "weights": [
                {
                    "name": t.name,
                    "shape": [json_number(d) for d in t.shape],
                    "size": json_number(t.size),
                    "kind": t.kind,
                }
                for t in layer.terms
            ],
        }
        if copies is not None:
            data["copies"] = json_number(copies)
        if layer.inner:
            data["inner"] = [layer_data(inner, times) for inner, times in zip(layer.inner, layer.copies)]
        return data

    return {
        "name": result.name,
        "layers": [layer_data(layer) for layer in result.layers],
        "total": json_number(result.total),
        "words": result.words,
        **_fields(result),
    }
