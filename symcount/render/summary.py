"""The per-layer summary, like Keras' `model.summary()`: data first, then text, Markdown,
LaTeX and HTML (for notebooks)."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import sympy

from ..costs import PARAMS, Measure
from ..graph import Over
from ..model import Model, Row
from ..shapes import format_shape
from .numbers import all_costs, cost_data, human, json_number, number, row_costs, share, to_json_value
from .tables import markdown_code, markdown_text, table_latex


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
    under `measure`'s convention; with numbers, each layer's "value" has its "share" of the
    total, exact and decimal.
    """
    layers = [
        _layer_data(model, valued, row, placed, measure)
        for row, placed in zip(model.rows, (valued or model).rows)
    ]
    total = measure.total(valued) if valued is not None else None
    if valued is not None and total is not None and total.is_number and total != 0:
        for entry, placed in zip(layers, valued.rows):
            entry["value"]["share"] = json_number(measure.row(valued, placed) / total)
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


def _layer_cell(row: Any, indent: int = 0, times: Any = None) -> str:
    """`enc#2 (Dense) [shares enc]`: the node, its class, and any reuse of weights; an inner
    layer of an expanded block is indented and says how many copies it stands for."""
    marks = []
    if row.shared_with is not None:
        marks.append(f"shares {row.shared_with}")
    if row.tied_to is not None:
        marks.append(f"{row.weights[0].name} tied to {row.tied_to}")
    copies = "" if times is None or times == 1 else f" x {times}"
    cell = f"{'  ' * indent}{row.name} ({row.kind}){copies}"
    return cell + (f" [{'; '.join(marks)}]" if marks else "")


# Each column's kind: how it is aligned, wrapped and rendered (formulas as math in LaTeX and HTML).
TEXT, FORMULA, NUMBER, SHARE = "text", "formula", "number", "share"
# The Trainable row's formula when it is the total's.
SAME_AS_TOTAL = "= Total"


@dataclass(frozen=True)
class SummaryTable:
    """The summary as data: a title, notes (input, values, conventions), and cells by column kind.

    Renderers only lay these out (text to a width, Markdown, LaTeX, HTML); no renderer computes.
    """

    title: str
    notes: tuple[str, ...]
    header: tuple[str, ...]
    kinds: tuple[str, ...]
    body: tuple[tuple[str, ...], ...]
    foot: tuple[tuple[str, ...], ...]


def _expanded(model: Model, valued: Model, depth: int) -> list[tuple[Row, Row, int, Any, Any]]:
    """(row, valued row, indent, copies, valued copies) for every row and, to `depth` levels, the
    rows of each repeated block (a row with `parts`), each standing for all its copies."""
    found: list[tuple[Row, Row, int, Any, Any]] = []

    def paired(row: Row, valued_row: Row) -> list[tuple[Any, Any]]:
        """The block's parts and the valued block's, pair by pair: only when each part is a number
        of alike copies on both sides. A block whose copies grow (DenseNet's, summed over the copy
        index) stays one row: no inner row stands for all its copies."""
        inner, valued_inner = row.parts() or (), valued_row.parts() or ()
        alike = all(not isinstance(times, Over) for times, _ in (*inner, *valued_inner))
        return list(zip(inner, valued_inner)) if alike and len(inner) == len(valued_inner) else []

    def visit(
        rows: Sequence[Row], placed: Sequence[Row], level: int, copies: Any, valued_copies: Any
    ) -> None:
        for row, valued_row in zip(rows, placed):
            found.append((row, valued_row, level, copies, valued_copies))
            if level < depth:
                for (times, block), (valued_times, valued_block) in paired(row, valued_row):
                    visit(block, valued_block, level + 1, copies * times, valued_copies * valued_times)

    one = sympy.Integer(1)
    visit(model.rows, valued.rows, 0, one, one)
    return found


def summary_table(
    model: Model,
    valued: Model | None = None,
    measures: Sequence[Measure] = (PARAMS,),
    depth: int = 0,
    values: Mapping[str, Any] | None = None,
) -> SummaryTable:
    """The per-layer table: each layer's output shape, then for the first cost its formula and,
    when `valued` gives numbers, every cost's number and the first cost's share of its total.

    Repeated blocks show their inner layers to `depth` levels (each standing for all its copies,
    so the shares still add up to 100%). The total is in the form `symcount formula` prints.
    """
    from ..algebra import formula

    first = measures[0]
    numbers = valued is not None
    header = ["Layer (type)", "Output shape", f"{first.heading} (formula)" if numbers else first.heading]
    kinds = [TEXT, TEXT, FORMULA]
    if not numbers:
        header += [measure.heading for measure in measures[1:]]
        kinds += [FORMULA] * (len(measures) - 1)
    else:
        header += [measure.heading for measure in measures]
        header.append("Share" if len(measures) == 1 else f"{first.heading} share")
        kinds += [NUMBER] * len(measures) + [SHARE]
    graph = not model.is_chain
    if graph:
        header.append("Connected to")
        kinds.append(TEXT)
    target = valued or model
    totals = {measure: measure.total(target) for measure in measures}
    body = []
    for row, placed, level, copies, valued_copies in _expanded(model, target, depth):
        cells = [_layer_cell(row, level, copies), format_shape(placed.output_shape)]
        cells.append(_formula_text(copies * first.row(model, row)))
        if numbers:
            shown = [valued_copies * measure.row(target, placed) for measure in measures]
            cells += [number(value) for value in shown]
            cells.append(share(shown[0], totals[first]))
        else:
            cells += [_formula_text(copies * measure.row(model, row)) for measure in measures[1:]]
        if graph:
            cells.append(", ".join(row.inputs) if level == 0 else "")
        body.append(tuple(cells))
    foot = []
    lines: list[tuple[str, Any]] = [("Total", None)]
    if first.is_params:
        lines += [("Trainable", lambda m: m.trainable), ("Non-trainable", lambda m: m.non_trainable)]
        if model.framework == "torch":
            lines.append(("Buffers (not parameters)", lambda m: m.buffers))
    total_text = _formula_text(formula(first.total(model)))
    for label, part in lines:
        cells = [label, "", total_text if part is None else _formula_text(formula(part(model)))]
        if label == "Trainable" and cells[2] == total_text and total_text != "0":
            cells[2] = SAME_AS_TOTAL  # the same formula again would only be read twice
        if numbers:
            if part is None:
                cells += [number(totals[m]) for m in measures]
            else:
                cells += [number(part(target))] + [""] * (len(measures) - 1)
            cells.append("")
        elif part is None:
            cells += [_formula_text(formula(m.total(model))) for m in measures[1:]]
        else:
            cells += [""] * (len(measures) - 1)
        if graph:
            cells.append("")
        foot.append(tuple(cells))
        rounded = [human(totals[m], m.entry.unit) for m in measures] if numbers and part is None else []
        if any(rounded):  # torchinfo's habit: the total in units people read, under the exact one
            foot.append(tuple(["Total, rounded", "", "", *rounded, ""] + ([""] if graph else [])))
    notes = [_input_line(model), _values_line(values, numbers)]
    notes += [line for measure in measures for line in _convention_lines(measure, target)]
    title = f"Model: {model.name}" if model.name else "Model"
    return SummaryTable(title, tuple(notes), tuple(header), tuple(kinds), tuple(body), tuple(foot))


def _formula_text(expr: sympy.Expr) -> str:
    """A formula cell: its sympy text, or a whole number written as the number columns write it
    (a model with every value substituted has numbers for formulas)."""
    return number(expr) if expr.is_Integer else str(expr)


def _values_line(values: Mapping[str, Any] | None, numbers: bool) -> str:
    """Which values the numbers use: the header of every summary says it."""
    if not numbers:
        return "Values: none (formulas only)"
    if not values:
        return "Values: none needed (the counts are numbers)"
    return "Values: " + ", ".join(f"{name}={value}" for name, value in values.items())


def wrap_cell(text: str, width: int, kind: str) -> list[str]:
    """A cell over lines of at most `width` characters, never cut: a formula breaks before a
    `+` or `-` between terms (then after a `*` inside a long term), a name after `.`, `_`, a
    space or `,`; only a piece with no such place is split inside. The pieces, joined, give the
    cell back (a formula's line breaks stand for the spaces around its operators)."""
    if len(text) <= width or width <= 0:
        return [text]
    if kind == FORMULA:
        pieces = _pieces(text, (" + ", " - "), before=True)
        pieces = [part for piece in pieces for part in _split_long(piece, width, ("*",))]
    else:
        pieces = _pieces(text, (".", "_", " ", ","), before=False)
        pieces = [part for piece in pieces for part in _split_long(piece, width, ())]
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) + len(piece) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    return [line.strip() if kind == FORMULA else line.rstrip() for line in lines]


def _pieces(text: str, marks: tuple[str, ...], before: bool) -> list[str]:
    """`text` split at each of `marks`: the mark starts the next piece (`before`) or ends this one."""
    pieces, start, k = [], 0, 0
    while k < len(text):
        if "*" in marks and text.startswith("**", k):  # a power's ** is one operator, never split
            k += 2
            continue
        mark = next((m for m in marks if text.startswith(m, k)), None)
        if mark is None:
            k += 1
            continue
        cut = k if before else k + len(mark)
        if cut > start:
            pieces.append(text[start:cut])
            start = cut
        k += len(mark)
    pieces.append(text[start:])
    return [p for p in pieces if p]


def _split_long(piece: str, width: int, marks: tuple[str, ...]) -> list[str]:
    """A piece longer than `width`: split after `marks` where it can, else every `width` characters."""
    if len(piece.strip()) <= width:
        return [piece]
    parts = _pieces(piece, marks, before=False) if marks else [piece]
    out: list[str] = []
    for part in parts:
        while len(part) > width:
            out.append(part[:width])
            part = part[width:]
        out.append(part)
    return out


def _floor(table: SummaryTable, column: int, least: int) -> int:
    """How narrow a column may get: `least`, but never below a word of its heading or a number."""
    word = max(len(w) for w in table.header[column].split())
    if table.kinds[column] in (NUMBER, SHARE):
        return max(word, *(len(r[column]) for r in (*table.body, *table.foot)))
    return max(least, word)


def _fit(table: SummaryTable, width: int | None) -> list[int]:
    """Column widths: each its widest cell; then, while the line is wider than `width`, columns
    narrowed in the order they matter least (what a layer is connected to, the formulas, the
    layer's name, its output shape), each down to a floor. A narrowed cell wraps over lines;
    numbers are never narrowed."""
    rows = [table.header, *table.body, *table.foot]
    widths = [max(len(r[i]) for r in rows) for i in range(len(table.header))]
    if width is None or width <= 0:
        return widths
    over = sum(widths) + 2 * (len(widths) - 1) - width
    connected = [i for i, h in enumerate(table.header) if h == "Connected to"]
    formulas = [i for i, k in enumerate(table.kinds) if k == FORMULA]
    numbers = [i for i, k in enumerate(table.kinds) if k in (NUMBER, SHARE)]
    order = [
        (numbers, 0), (connected, 14), (formulas, 24), ([0], 24), (formulas, 14), ([0], 18), ([1], 12),
        (connected, 8), (formulas, 10), ([0], 14), ([1], 8), (connected, 4), (formulas, 4), ([0], 4), ([1], 4),
    ]  # fmt: skip
    for columns, least in order:
        for i in sorted(columns, key=lambda i: -widths[i]):
            if over <= 0:
                return widths
            cut = min(over, widths[i] - _floor(table, i, least))
            if cut > 0:
                widths[i] -= cut
                over -= cut
    return widths


def summary_text(
    model: Model,
    valued: Model | None = None,
    measure: Measure = PARAMS,
    *,
    measures: Sequence[Measure] | None = None,
    width: int | None = None,
    depth: int = 0,
    values: Mapping[str, Any] | None = None,
) -> str:
    """A table like Keras' `model.summary()`, every cell a formula (and a number when known),
    at most `width` characters wide where it can be (0 or None: no limit): a formula or a name
    too long for its column wraps over lines inside its cell, never cut; the notes under the
    title say which values and conventions the numbers use."""
    table = summary_table(model, valued, measures or (measure,), depth, values)
    return render_text(table, width)


def layout(table: SummaryTable, width: int | None = None) -> tuple[list[int], list[list[list[str]]]]:
    """The column widths and, for the header, each body row and each foot row, its cells as
    lines (what `render_text` prints, as data)."""
    widths = _fit(table, width)
    rows = [table.header, *table.body, *table.foot]
    kinds = [[TEXT if cells is table.header else kind for kind in table.kinds] for cells in rows]
    return widths, [
        [wrap_cell(cell, size, kind) for cell, size, kind in zip(cells, widths, row_kinds)]
        for cells, row_kinds in zip(rows, kinds)
    ]


def render_text(table: SummaryTable, width: int | None = None) -> str:
    widths, rows = layout(table, width)

    def lines(cells: list[list[str]]) -> list[str]:
        height = max(len(cell) for cell in cells)
        out = []
        for k in range(height):
            parts = []
            for cell, size, kind in zip(cells, widths, table.kinds):
                text = cell[k] if k < len(cell) else ""
                parts.append(text.rjust(size) if kind in (NUMBER, SHARE) else text.ljust(size))
            out.append("  ".join(parts).rstrip())
        return out

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    notes = [table.title, *table.notes]
    if width:  # prose wraps at the width (words kept whole)
        notes = [
            part for note in notes for part in textwrap.wrap(note, max(width, 20), break_long_words=False)
        ]
    header, body, foot = rows[0], rows[1 : 1 + len(table.body)], rows[1 + len(table.body) :]
    out = [*notes, rule, *lines(header), rule]
    out += [line for cells in body for line in lines(cells)]
    out += [rule, *(line for cells in foot for line in lines(cells))]
    return "\n".join(out)


def _convention_lines(measure: Measure, model: Model | None) -> list[str]:
    """The convention's line, for every text output of a cost other than parameters."""
    return [] if measure.is_params else [measure.describe(model)]


def summary_markdown(
    model: Model,
    valued: Model | None = None,
    measure: Measure = PARAMS,
    *,
    measures: Sequence[Measure] | None = None,
    depth: int = 0,
    values: Mapping[str, Any] | None = None,
) -> str:
    """The same table in Markdown, formulas in backticks, after the notes."""
    table = summary_table(model, valued, measures or (measure,), depth, values)

    def line(cells: Sequence[str], code: bool, bold: bool = False) -> str:
        shown = [
            markdown_code(c) if code and kind == FORMULA and c else markdown_text(c)
            for c, kind in zip(cells, table.kinds)
        ]
        if bold:
            shown[0] = f"**{shown[0]}**"
        return "| " + " | ".join(shown) + " |"

    align = {NUMBER: "---:", SHARE: "---:"}
    lines = [f"{markdown_text(text)}\n" for text in table.notes[1:]]
    lines += [line(table.header, False), "|" + "|".join(align.get(k, "---") for k in table.kinds) + "|"]
    lines += [line(cells, True) for cells in table.body]
    lines += [line(cells, True, bold=True) for cells in table.foot]
    return "\n".join(lines)


def summary_latex(
    model: Model,
    valued: Model | None = None,
    measure: Measure = PARAMS,
    *,
    measures: Sequence[Measure] | None = None,
    depth: int = 0,
    values: Mapping[str, Any] | None = None,
) -> str:
    """The same table as a LaTeX `tabular`, formulas and numbers as math (thousands as `{,}`),
    the notes as comments above."""
    table = summary_table(model, valued, measures or (measure,), depth, values)
    formulas = [i for i, kind in enumerate(table.kinds) if kind in (FORMULA, NUMBER)]
    comments = [f"% {text}" for text in table.notes[1:]]
    return "\n".join([*comments, table_latex(list(table.header), [*table.body, *table.foot], formulas)])


# Notebooks: a model shows as a table (HTML, formulas as math) and its total as LaTeX.


def summary_html(
    model: Model,
    valued: Model | None = None,
    measure: Measure = PARAMS,
    *,
    measures: Sequence[Measure] | None = None,
    depth: int = 0,
    values: Mapping[str, Any] | None = None,
) -> str:
    """The summary table as HTML, for Jupyter's `_repr_html_`: formulas as `$...$` math (which
    Jupyter's MathJax renders), numbers with separators, the share column."""
    table = summary_table(model, valued, measures or (measure,), depth, values)

    def cell(text: str, kind: str, tag: str) -> str:
        style = ' style="text-align:right"' if kind in (NUMBER, SHARE) else ' style="text-align:left"'
        if kind == FORMULA and text and text != SAME_AS_TOTAL:
            shown = _formula_html(text)
            if shown is not None:
                return f"<{tag}{style}>{shown}</{tag}>"
        return f"<{tag}{style}{_NOT_MATH}>{html.escape(text)}</{tag}>"

    def line(cells: Sequence[str], tag: str) -> str:
        return "<tr>" + "".join(cell(c, k, tag) for c, k in zip(cells, table.kinds)) + "</tr>"

    rows = [
        "<tr>" + "".join(f"<th{_NOT_MATH}>{html.escape(h)}</th>" for h in table.header) + "</tr>",
        *(line(cells, "td") for cells in table.body),
        *(line(cells, "th") for cells in table.foot),
    ]
    caption = "<br>".join(html.escape(text) for text in (table.title, *table.notes))
    return f"<table><caption{_NOT_MATH}>{caption}</caption>{''.join(rows)}</table>"


# Text cells (names, shapes, notes) are marked for MathJax to leave alone, version 2's class and
# version 3's: a name holding `$\href{...}{x}$` or `\(...\)` shows as it is written.
_NOT_MATH = ' class="tex2jax_ignore mathjax_ignore"'
HTML_FORMULA_WIDTH = 60  # characters of a formula's text on one line of a notebook's table


def _formula_html(text: str) -> str | None:
    """A formula as math on as few lines as it needs: whole when short, else broken before a
    `+` or `-` between terms, each line kept whole (MathJax then never breaks it term by term);
    None when a line does not parse (the cell is then shown as text)."""
    lines = []
    for line in wrap_cell(text, HTML_FORMULA_WIDTH, FORMULA):
        sign = line[:2] if line[:2] in ("+ ", "- ") and line != text else ""
        formula = _latex(line[len(sign) :])
        if formula is None:
            return None
        math = html.escape(f"${formula}$")
        lines.append(f'<span style="white-space:nowrap">{html.escape(sign)}{math}</span>')
    return "<br>".join(lines)


def _latex(text: str) -> str | None:
    """A formula cell's sympy text as LaTeX (None if it does not parse: it is shown as text)."""
    from ..errors import SymcountError
    from ..parse import parse_expression

    try:
        return sympy.latex(parse_expression(text))
    except SymcountError:
        return None


def latex_formula(expr: sympy.Expr, name: str = "N") -> str:
    """`$\\displaystyle N = ...$`: a formula as Jupyter's `_repr_latex_` shows it."""
    return f"$\\displaystyle {name} = {sympy.latex(expr)}$"


# What a summary call takes besides values: every other keyword is a value (`H=28`).
SUMMARY_OPTIONS = ("cost", "depth", "width", "dtype", "optimizer", "extras", "batch")


class Summary:
    """A model's summary as an object: `print()` gives the text table (at the terminal's width,
    or `width`), Jupyter shows the HTML (formulas as math), and `markdown()`, `latex()` and
    `data()` give the other forms. Formulas come from the model; numbers from `values` (or
    from the model itself when it has no symbols). `symcount.summary(...)` returns one;
    `model.summary(...)` prints it, as Keras' does.

    Example:
        >>> from symcount import Dense, Flatten, Input, Sequential, summary, symbols
        >>> H, W, h = symbols("H W h")
        >>> net = Sequential(Input(H, W), Flatten(), Dense(h), Dense(3), name="dense")
        >>> table = summary(net, H=28, W=28, h=10, cost="params,flops")
        >>> [row[-1] for row in table.table.body]  # each layer's share of the parameters
        ['0.0%', '99.6%', '0.4%']
        >>> print(summary(net).text(width=60).splitlines()[4])
        Layer (type)       Output shape  Params
    """

    def __init__(
        self,
        model: Model,
        values: Mapping[Any, Any] | None = None,
        *,
        cost: str | Sequence[str] = "params",
        depth: int = 0,
        width: int | None = None,
        dtype: str = "float32",
        optimizer: str = "adam",
        extras: bool = False,
        batch: Any = None,
    ) -> None:
        from ..costs import Convention

        convention = Convention(dtype, optimizer, extras)
        if batch is not None:
            model = model.with_batch(batch)
        self.model = model
        self.valued = model.subs(values) if values else (None if model.symbols else model)
        self.values = {str(k): v for k, v in (values or {}).items()}
        self.measures = tuple(Measure(name, convention) for name in cost_names(cost))
        self.depth = depth
        self.width = width
        self.table = summary_table(model, self.valued, self.measures, depth, self.values)

    def text(self, width: int | None = None) -> str:
        """The text table, at most `width` characters wide (default: the terminal's)."""
        import shutil

        chosen = width if width is not None else self.width
        return render_text(
            self.table, chosen if chosen is not None else shutil.get_terminal_size((100, 24)).columns
        )

    def markdown(self) -> str:
        return summary_markdown(
            self.model, self.valued, measures=self.measures, depth=self.depth, values=self.values
        )

    def latex(self) -> str:
        return summary_latex(
            self.model, self.valued, measures=self.measures, depth=self.depth, values=self.values
        )

    def data(self) -> dict[str, Any]:
        return summary_data(self.model, self.valued, self.measures[0])

    def _repr_html_(self) -> str:
        return summary_html(
            self.model, self.valued, measures=self.measures, depth=self.depth, values=self.values
        )

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()


def cost_names(cost: Any) -> list[str]:
    """Costs as the command line takes them: a name, a comma-separated string of names
    ("params,flops"), or a list; `training-flops` or `training_flops`.

    Example:
        >>> cost_names("params, training-flops"), cost_names(["flops"])
        (['params', 'training_flops'], ['flops'])
    """
    from ..errors import SpecError

    items = cost.split(",") if isinstance(cost, str) else cost
    if not isinstance(items, (list, tuple)) or not all(isinstance(item, str) for item in items):
        raise SpecError(
            f"cost is a name, names separated by commas, or a list of names. Received: cost={cost!r}"
        )
    names = [item.strip().replace("-", "_") for item in items if item.strip()]
    if not names:
        raise SpecError(f"cost names at least one cost. Received: cost={cost!r}")
    return names


def summary(model: Any, values: Mapping[Any, Any] | None = None, /, **options: Any) -> Summary:
    """The `Summary` of a model, or of a spec by name or path (`summary("lesson-cnn")`, with the
    spec's values): values as a mapping or as keywords (`H=28`), costs as a list or a comma
    string, as the command line takes them.

    Example:
        >>> from symcount import summary
        >>> print(summary("lesson-dense", h1=20, width=70).text().splitlines()[2])
        Values: H=28, W=28, h1=20, h2=10
    """
    from ..errors import SpecError

    settings = {k: v for k, v in options.items() if k in SUMMARY_OPTIONS}
    given = {**(values or {}), **{k: v for k, v in options.items() if k not in SUMMARY_OPTIONS}}
    if isinstance(model, (str, PathLike)):
        from ..spec import load_spec

        spec = load_spec(model if isinstance(model, str) else Path(model))
        model = spec.model()
    elif not isinstance(model, Model):
        raise SpecError(f"summary takes a model, or a spec's name or path. Received: {type(model).__name__}")
    defaults = getattr(model, "defaults", {})
    if defaults:  # a spec's model: its values, overridden by those given, as `--set` does
        from ..values import bind

        known = [s.name for s in model.symbols]
        bind(given, [*known, *defaults], "the values given", "the model")
        given = {k: v for k, v in bind({**defaults, **given}).items() if k in known}
    return Summary(model, given or None, **settings)
