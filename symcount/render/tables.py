"""Tables of any cells, in the three forms every command offers: text, Markdown, LaTeX."""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy

from ..errors import SymcountError

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
        if i in formulas and re.fullmatch(r"-?\d{1,3}(,\d{3})*", text):
            return f"${text.replace(',', '{,}')}$"  # 24,533 as 24{,}533: the separator, no space
        if i in formulas and text:
            try:
                from ..parse import parse_expression

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
