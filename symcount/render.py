"""Turning models into tables and text: plain text, Markdown, LaTeX and JSON-ready data.

Models never print. The summary is data first (`summary_rows`), rendered separately, so tests
check numbers and formulas, not sliced text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sympy

from .costs import COSTS, PARAMS, Measure
from .errors import MissingValueError, ShapeError, SymcountError
from .model import Model
from .shapes import format_shape

if TYPE_CHECKING:
    from .explore import Budget, Comparison, Diff, Explanation, LayerShare, ModelShares, Scaling

__all__ = [
    "number", "concrete", "all_costs", "cost_data", "cost_heading", "summary_data", "summary_text", "summary_markdown", "to_json_value", "summary_html",
    "latex_formula", "table_text", "table_markdown", "table_latex", "decimal", "exact_and_decimal",
    "json_number", "diff_text", "diff_latex", "diff_data", "scaling_rows", "scaling_text", "scaling_markdown",
    "scaling_latex", "scaling_data", "budget_text", "budget_data", "comparison_rows",
    "comparison_text", "comparison_markdown", "comparison_latex", "comparison_data",
    "explanation_rows", "explanation_text", "explanation_markdown", "explanation_latex",
    "explanation_data",
]  # fmt: skip


def number(value: sympy.Expr | int) -> str:
    """`24,533` for an integer, the formula's text otherwise."""
    if isinstance(value, int) or (isinstance(value, sympy.Expr) and value.is_Integer):
        return f"{int(value):,}"
    return str(value)


def to_json_value(value: sympy.Expr) -> int | str:
    """An int when the expression is one (JSON numbers), its sympy text otherwise."""
    return int(value) if value.is_Integer else str(value)


def concrete(expr: sympy.Expr, measure: Measure = PARAMS) -> int:
    """`expr` as an int, or a one-line error naming the symbols that still need a value."""
    if expr.free_symbols:
        names = ", ".join(sorted(s.name for s in expr.free_symbols))
        raise MissingValueError(f"the {measure.label} still depend on {names}: give each a value with --set")
    if not expr.is_Integer:
        raise ShapeError(f"the {measure.label} are not a whole number: {expr}")
    return int(expr)


def all_costs(model: Model, measure: Measure = PARAMS) -> dict[str, sympy.Expr]:
    """Every cost of `model` under `measure`'s convention, by name (as in `costs.COSTS`)."""
    return {cost: Measure(cost, measure.convention).total(model) for cost in COSTS}


def _row_costs(model: Model, row: Any, measure: Measure) -> dict[str, sympy.Expr]:
    return {cost: Measure(cost, measure.convention).row(model, row) for cost in COSTS}


def cost_data(measure: Measure, model: Model | None = None) -> dict[str, str]:
    """The "cost" and "convention" fields every JSON output carries."""
    return {"cost": measure.cost, "convention": measure.describe(model)}


def cost_heading(measure: Measure) -> str:
    """A column heading for the cost: `Params`, `FLOPs`, `Training FLOPs`, `Bytes`."""
    if measure.cost == "params":
        return "Params"
    return measure.label[0].upper() + measure.label[1:]


def summary_data(model: Model, valued: Model | None = None, measure: Measure = PARAMS) -> dict[str, Any]:
    """The per-layer table as data: formulas from `model`, numbers from `valued` (if given).

    "totals" and "value_totals" hold the total of `measure` (parameters by default) and the
    parameter breakdown; "costs" and "value_costs" (and each layer's "costs") hold every cost
    under `measure`'s convention.
    """
    layers = []
    for row, placed in zip(model.rows, (valued or model).rows):
        entry: dict[str, Any] = {
            "name": row.name,
            "type": row.kind,
            "inputs": list(row.inputs),
            "shared_with": row.shared_with,
            "tied_to": row.tied_to,
            "output_shape": [str(d) for d in row.output_shape],
            "params": str(row.params),
            "trainable": str(row.trainable),
            "non_trainable": str(row.non_trainable),
            "weights": [
                {"name": w.name, "shape": [str(d) for d in w.shape], "kind": w.kind} for w in row.weights
            ],
            "costs": {cost: str(value) for cost, value in _row_costs(model, row, measure).items()},
        }
        if valued is not None:
            entry["value"] = {
                "output_shape": [to_json_value(d) for d in placed.output_shape],
                "params": to_json_value(placed.params),
                "trainable": to_json_value(placed.trainable),
                "non_trainable": to_json_value(placed.non_trainable),
                "costs": {
                    cost: to_json_value(value) for cost, value in _row_costs(valued, placed, measure).items()
                },
            }
        layers.append(entry)
    totals = {
        "total": measure.total(model),
        "trainable": model.trainable,
        "non_trainable": model.non_trainable,
    }
    if model.framework == "torch":
        totals["buffers"] = model.buffers
    data: dict[str, Any] = {
        "name": model.name,
        "framework": model.framework,
        "input_shape": [str(d) for d in model.input_shape],
        "inputs": [
            {"name": name, "shape": [str(d) for d in item.shape or ()]} for name, item in _inputs(model)
        ],
        "layers": layers,
        "totals": {key: str(value) for key, value in totals.items()},
        "costs": {cost: str(value) for cost, value in all_costs(model, measure).items()},
        **cost_data(measure, valued or model),
    }
    if valued is not None:
        valued_totals = {
            "total": measure.total(valued), "trainable": valued.trainable, "non_trainable": valued.non_trainable,
        }  # fmt: skip
        if model.framework == "torch":
            valued_totals["buffers"] = valued.buffers
        data["value_totals"] = {key: to_json_value(value) for key, value in valued_totals.items()}
        data["value_costs"] = {
            cost: to_json_value(value) for cost, value in all_costs(valued, measure).items()
        }
    return data


def _inputs(model: Model) -> list[tuple[str, Any]]:
    names = [
        item.name or ("input" if len(model.inputs) == 1 else f"input_{k}")
        for k, item in enumerate(model.inputs)
    ]
    return list(zip(names, model.inputs))


def _input_line(model: Model) -> str:
    """`Input shape: (H, W, C)`, or every input by name for a model with several."""
    if len(model.inputs) == 1:
        return f"Input shape: {format_shape(model.input_shape)}"
    return "Inputs: " + ", ".join(f"{name} {format_shape(item.shape or ())}" for name, item in _inputs(model))


def _layer_cell(row: Any) -> str:
    """`enc#2 (Dense) [shares enc]`: the node, its class, and any reuse of weights."""
    marks = []
    if row.shared_with is not None:
        marks.append(f"shares {row.shared_with}")
    if row.tied_to is not None:
        marks.append(f"{row.weights[0].name} tied to {row.tied_to}")
    return f"{row.name} ({row.kind})" + (f" [{'; '.join(marks)}]" if marks else "")


def _table_cells(
    model: Model, valued: Model | None, measure: Measure = PARAMS
) -> tuple[list[str], list[list[str]], list[list[str]]]:
    heading = cost_heading(measure)
    header = ["Layer (type)", "Output shape", heading]
    if valued is not None:
        header = ["Layer (type)", "Output shape", f"{heading} (formula)", heading]
    graph = not model.is_chain
    if graph:
        header.append("Connected to")
    body = []
    for row, placed in zip(model.rows, (valued or model).rows):
        cells = [_layer_cell(row), format_shape(placed.output_shape), str(measure.row(model, row))]
        if valued is not None:
            cells.append(number(measure.row(valued, placed)))
        if graph:
            cells.append(", ".join(row.inputs))
        body.append(cells)
    totals: list[tuple[str, Any]] = [("Total", measure.total)]
    if measure.cost == "params":
        totals += [("Trainable", lambda m: m.trainable), ("Non-trainable", lambda m: m.non_trainable)]
        if model.framework == "torch":
            totals.append(("Buffers (not parameters)", lambda m: m.buffers))
    foot = []
    for label, total in totals:
        cells = [label, "", str(total(model))]
        if valued is not None:
            cells.append(number(total(valued)))
        if graph:
            cells.append("")
        foot.append(cells)
    return header, body, foot


def summary_text(model: Model, valued: Model | None = None, measure: Measure = PARAMS) -> str:
    """A table like Keras' `model.summary()`, every cell a formula (and a number when known); a
    cost other than parameters has its convention stated under the input line."""
    header, body, foot = _table_cells(model, valued, measure)
    widths = [max(len(r[i]) for r in [header, *body, *foot]) for i in range(len(header))]
    right = {3} if valued is not None else set()

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    title = f"Model: {model.name}" if model.name else "Model"
    lines = [
        title,
        _input_line(model),
        *_convention_lines(measure, valued or model),
        rule,
        line(header),
        rule,
    ]
    lines += [line(cells) for cells in body]
    lines += [rule, *(line(cells) for cells in foot)]
    return "\n".join(lines)


def _convention_lines(measure: Measure, model: Model | None) -> list[str]:
    """The convention's line, for every text output of a cost other than parameters."""
    return [] if measure.cost == "params" else [measure.describe(model)]


def summary_markdown(model: Model, valued: Model | None = None, measure: Measure = PARAMS) -> str:
    """The same table in Markdown, formulas in backticks (after the convention, for costs)."""
    header, body, foot = _table_cells(model, valued, measure)

    def line(cells: Sequence[str], code: bool) -> str:
        shown = [f"`{c}`" if code and i > 0 and c else c for i, c in enumerate(cells)]
        return "| " + " | ".join(shown) + " |"

    lines = [f"{text}\n" for text in _convention_lines(measure, valued or model)]
    lines += [line(header, False), "|" + "---|" * len(header)]
    lines += [line(cells, True) for cells in body]
    lines += [line([f"**{cells[0]}**", *cells[1:]], True) for cells in foot]
    return "\n".join(lines)


def summary_latex(model: Model, valued: Model | None = None, measure: Measure = PARAMS) -> str:
    """The same table as a LaTeX `tabular`, formulas and numbers as math (the convention, for
    costs, as a comment above)."""
    header, body, foot = _table_cells(model, valued, measure)
    formulas = [2, 3] if valued is not None else [2]
    comments = [f"% {text}" for text in _convention_lines(measure, valued or model)]
    return "\n".join([*comments, table_latex(header, [*body, *foot], formulas)])


# Notebooks: a model shows as a table (HTML) and its total as LaTeX.


def summary_html(model: Model, valued: Model | None = None, measure: Measure = PARAMS) -> str:
    """The summary table as HTML, for Jupyter's `_repr_html_`."""
    header, body, foot = _table_cells(model, valued, measure)

    def line(cells: Sequence[str], tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"

    title = html.escape(f"Model: {model.name}" if model.name else "Model")
    rows = [
        line(header, "th"),
        *(line(cells, "td") for cells in body),
        *(line(cells, "th") for cells in foot),
    ]
    caption = "; ".join([_input_line(model).lower(), *_convention_lines(measure, valued or model)])
    return f"<table><caption>{title}; {html.escape(caption)}</caption>{''.join(rows)}</table>"


def latex_formula(expr: sympy.Expr, name: str = "N") -> str:
    """`$\\displaystyle N = ...$`: a formula as Jupyter's `_repr_latex_` shows it."""
    return f"$\\displaystyle {name} = {sympy.latex(expr)}$"


# Tables of any cells, in the three forms every explorer command offers.


def table_text(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; the columns listed in `right` are right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), *(line(cells) for cells in rows)])


def table_markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in rows]
    return "\n".join(lines)


def _latex_cell(text: str) -> str:
    for char in "\\&%$#_{}":
        text = text.replace(char, "\\" + char)
    return text.replace("~", "\\textasciitilde{}").replace("^", "\\textasciicircum{}")


def table_latex(header: Sequence[str], rows: Sequence[Sequence[str]], formulas: Sequence[int] = ()) -> str:
    """A `tabular`; cells of the columns in `formulas` are sympy text, shown as math."""

    def cell(i: int, text: str) -> str:
        if i in formulas and text:
            try:
                from .parse import parse_expression

                return f"${sympy.latex(parse_expression(text.replace(',', '')))}$"
            except SymcountError:
                pass
        return _latex_cell(text)

    lines = [
        "\\begin{tabular}{" + "l" * len(header) + "}",
        " & ".join(_latex_cell(h) for h in header) + " \\\\",
    ]
    lines.append("\\hline")
    lines += [" & ".join(cell(i, c) for i, c in enumerate(cells)) + " \\\\" for cells in rows]
    lines.append("\\end{tabular}")
    return "\n".join(lines)


# The explorer's results (symcount.explore) as data, text, Markdown and LaTeX.


def decimal(value: sympy.Expr) -> str:
    """A number to six significant digits: `1.03656`."""
    return f"{float(value):.6g}"


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
        return {"exact": str(value), "decimal": float(value)}
    return str(value)


def _point(point: dict[str, sympy.Expr]) -> str:
    return ", ".join(f"{name}={value}" for name, value in point.items())


def _stated(result: Any) -> list[str]:
    """An explorer result's convention, as a line of its own, when it counts more than parameters."""
    return [] if result.measure.cost == "params" else [result.convention]


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
        ["quantity", "value"], [[name, f"`{value}`"] for name, value in scaling_rows(result)]
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
        "real_solution": None if result.real_root is None else float(result.real_root),
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
    if result.measure.cost == "params":
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
    return (label, "params") if result.measure.cost == "params" else (label, label)


def comparison_text(result: Comparison) -> str:
    totals, models = comparison_rows(result)
    label, column = _compared_labels(result)
    lines = [*_compared(result), table_text(["", label], totals, right=[1])]
    for name, body, most in models:
        lines += ["", f"Where the {label} sit in {name}:"]
        lines.append(table_text(["layer", column, "share"], body, right=[1, 2]))
        if most:
            lines.append(f"most: {most}")
    return "\n".join(lines)


def comparison_markdown(result: Comparison) -> str:
    totals, models = comparison_rows(result)
    label, column = _compared_labels(result)
    parts = [*_compared(result), table_markdown(["", label], totals)]
    for name, body, most in models:
        parts.append(f"**{name}**" + (f" (most: {most})" if most else ""))
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
    return [[str(layer.position), f"{layer.name} ({layer.kind})", layer.words] for layer in result.layers]


def explanation_text(result: Explanation) -> str:
    lines = [result.name or "model", *_stated(result)]
    lines += [f"  {number}. {layer}: {words}" for number, layer, words in explanation_rows(result)]
    lines.append(f"  total: {result.words}")
    return "\n".join(lines)


def explanation_markdown(result: Explanation) -> str:
    rows = [*explanation_rows(result), ["", "**total**", result.words]]
    table = table_markdown(["#", "layer", "where the count comes from"], rows)
    return "\n\n".join([*_stated(result), table])


def explanation_latex(result: Explanation) -> str:
    rows = [*explanation_rows(result), ["", "total", result.words]]
    return _latex_stated(result, table_latex(["\\#", "layer", "where the count comes from"], rows))


def explanation_data(result: Explanation) -> dict[str, Any]:
    return {
        "name": result.name,
        "layers": [
            {
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
            for layer in result.layers
        ],
        "total": json_number(result.total),
        "words": result.words,
        **_fields(result),
    }
