"""Turning models into tables and text: plain text, Markdown, LaTeX and JSON-ready data.

Models never print. The summary is data first (`summary_rows`), rendered separately, so tests
check numbers and formulas, not sliced text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from .model import Sequential
from .shapes import format_shape

__all__ = ["number", "summary_data", "summary_text", "summary_markdown", "to_json_value"]


def number(value: sympy.Expr | int) -> str:
    """`24,533` for an integer, the formula's text otherwise."""
    if isinstance(value, int) or (isinstance(value, sympy.Expr) and value.is_Integer):
        return f"{int(value):,}"
    return str(value)


def to_json_value(value: sympy.Expr) -> int | str:
    """An int when the expression is one (JSON numbers), its sympy text otherwise."""
    return int(value) if value.is_Integer else str(value)


def summary_data(model: Sequential, valued: Sequential | None = None) -> dict[str, Any]:
    """The per-layer table as data: formulas from `model`, numbers from `valued` (if given)."""
    layers = []
    for row, placed in zip(model.rows, (valued or model).rows):
        entry: dict[str, Any] = {
            "name": row.name,
            "type": row.kind,
            "output_shape": [str(d) for d in row.output_shape],
            "params": str(row.params),
            "trainable": str(row.trainable),
            "non_trainable": str(row.non_trainable),
            "weights": [
                {"name": w.name, "shape": [str(d) for d in w.shape], "kind": w.kind} for w in row.weights
            ],
        }
        if valued is not None:
            entry["value"] = {
                "output_shape": [to_json_value(d) for d in placed.output_shape],
                "params": to_json_value(placed.params),
                "trainable": to_json_value(placed.trainable),
                "non_trainable": to_json_value(placed.non_trainable),
            }
        layers.append(entry)
    totals = {"total": model.params, "trainable": model.trainable, "non_trainable": model.non_trainable}
    if model.framework == "torch":
        totals["buffers"] = model.buffers
    data: dict[str, Any] = {
        "name": model.name,
        "framework": model.framework,
        "input_shape": [str(d) for d in model.input_shape],
        "layers": layers,
        "totals": {key: str(value) for key, value in totals.items()},
    }
    if valued is not None:
        valued_totals = {
            "total": valued.params, "trainable": valued.trainable, "non_trainable": valued.non_trainable,
        }  # fmt: skip
        if model.framework == "torch":
            valued_totals["buffers"] = valued.buffers
        data["value_totals"] = {key: to_json_value(value) for key, value in valued_totals.items()}
    return data


def _table_cells(
    model: Sequential, valued: Sequential | None
) -> tuple[list[str], list[list[str]], list[list[str]]]:
    header = ["Layer (type)", "Output shape", "Params"]
    if valued is not None:
        header = ["Layer (type)", "Output shape", "Params (formula)", "Params"]
    body = []
    for row, placed in zip(model.rows, (valued or model).rows):
        cells = [f"{row.name} ({row.kind})", format_shape(placed.output_shape), str(row.params)]
        if valued is not None:
            cells.append(number(placed.params))
        body.append(cells)
    totals = [("Total", "params"), ("Trainable", "trainable"), ("Non-trainable", "non_trainable")]
    if model.framework == "torch":
        totals.append(("Buffers (not parameters)", "buffers"))
    foot = []
    for label, attribute in totals:
        cells = [label, "", str(getattr(model, attribute))]
        if valued is not None:
            cells.append(number(getattr(valued, attribute)))
        foot.append(cells)
    return header, body, foot


def summary_text(model: Sequential, valued: Sequential | None = None) -> str:
    """A table like Keras' `model.summary()`, every cell a formula (and a number when known)."""
    header, body, foot = _table_cells(model, valued)
    widths = [max(len(r[i]) for r in [header, *body, *foot]) for i in range(len(header))]
    right = {len(header) - 1} if valued is not None else set()

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    title = f"Model: {model.name}" if model.name else "Model"
    lines = [title, f"Input shape: {format_shape(model.input_shape)}", rule, line(header), rule]
    lines += [line(cells) for cells in body]
    lines += [rule, *(line(cells) for cells in foot)]
    return "\n".join(lines)


def summary_markdown(model: Sequential, valued: Sequential | None = None) -> str:
    """The same table in Markdown, formulas in backticks."""
    header, body, foot = _table_cells(model, valued)

    def line(cells: Sequence[str], code: bool) -> str:
        shown = [f"`{c}`" if code and i > 0 and c else c for i, c in enumerate(cells)]
        return "| " + " | ".join(shown) + " |"

    lines = [line(header, False), "|" + "---|" * len(header)]
    lines += [line(cells, True) for cells in body]
    lines += [line([f"**{cells[0]}**", *cells[1:]], True) for cells in foot]
    return "\n".join(lines)
