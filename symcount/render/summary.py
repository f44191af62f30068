"""The per-layer summary, like Keras' `model.summary()`: data first, then text, Markdown,
LaTeX and HTML (for notebooks)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import sympy

from ..costs import PARAMS, Measure
from ..model import Model, Row
from ..shapes import format_shape
from .numbers import all_costs, cost_data, cost_heading, number, row_costs, to_json_value
from .tables import table_latex


def _layer_data(
    model: Model, valued: Model | None, row: Row, placed: Row, measure: Measure
) -> dict[str, Any]:
    """One layer's entry: its formulas from `model`, and its numbers from `valued` if given."""
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
        "costs": {cost: str(value) for cost, value in row_costs(model, row, measure).items()},
    }
    if valued is not None:
        entry["value"] = {
            "output_shape": [to_json_value(d) for d in placed.output_shape],
            "params": to_json_value(placed.params),
            "trainable": to_json_value(placed.trainable),
            "non_trainable": to_json_value(placed.non_trainable),
            "costs": {
                cost: to_json_value(value) for cost, value in row_costs(valued, placed, measure).items()
            },
        }
    return entry


def _totals(model: Model, measure: Measure) -> dict[str, sympy.Expr]:
    """The total of `measure`, the trainable and non-trainable counts, and torch's buffers."""
    totals = {
        "total": measure.total(model),
        "trainable": model.trainable,
        "non_trainable": model.non_trainable,
    }
    if model.target.torch:
        totals["buffers"] = model.buffers
    return totals


def summary_data(model: Model, valued: Model | None = None, measure: Measure = PARAMS) -> dict[str, Any]:
    """The per-layer table as data: formulas from `model`, numbers from `valued` (if given).

    "totals" and "value_totals" hold the total of `measure` (parameters by default) and the
    parameter breakdown; "costs" and "value_costs" (and each layer's "costs") hold every cost
    under `measure`'s convention.
    """
    layers = [
        _layer_data(model, valued, row, placed, measure)
        for row, placed in zip(model.rows, (valued or model).rows)
    ]
    data: dict[str, Any] = {
        "name": model.name,
        "framework": model.framework,
        "input_shape": [str(d) for d in model.input_shape],
        "inputs": [
            {"name": name, "shape": [str(d) for d in item.shape or ()]} for name, item in _inputs(model)
        ],
        "layers": layers,
        "totals": {key: str(value) for key, value in _totals(model, measure).items()},
        "costs": {cost: str(value) for cost, value in all_costs(model, measure).items()},
        **cost_data(measure, valued or model),
    }
    if valued is not None:
        data["value_totals"] = {key: to_json_value(value) for key, value in _totals(valued, measure).items()}
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
    if measure.is_params:
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
    return [] if measure.is_params else [measure.describe(model)]


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
    caption = "; ".join([_input_line(model), *_convention_lines(measure, valued or model)])
    return f"<table><caption>{title}; {html.escape(caption)}</caption>{''.join(rows)}</table>"


def latex_formula(expr: sympy.Expr, name: str = "N") -> str:
    """`$\\displaystyle N = ...$`: a formula as Jupyter's `_repr_latex_` shows it."""
    return f"$\\displaystyle {name} = {sympy.latex(expr)}$"
