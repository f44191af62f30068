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


# Names and descriptions are data: every output form shows them as text, never as markup.
# Markdown: a backslash before each character that could open HTML, a link, an image, code,
# math (GitHub reads `$...$`) or a table cell (CommonMark lets any ASCII punctuation be escaped
# so); LaTeX: each special character as its text command, in one pass (no escape is escaped
# again); CSV: a cell a spreadsheet would read as a formula starts with a quote (OWASP's advice).

_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`[]<>&|$"})
_LATEX = str.maketrans(
    {
        **{c: "\\" + c for c in "&%$#_{}"},
        "\\": "\\textbackslash{}",
        "~": "\\textasciitilde{}",
        "^": "\\textasciicircum{}",
        "<": "\\textless{}",
        ">": "\\textgreater{}",
        "|": "\\textbar{}",
        "\n": " ",
    }
)


def markdown_text(text: str) -> str:
    r"""`text` as Markdown shows it literally: `<script>` and `[x](javascript:...)` stay text.

    Example:
        >>> print(markdown_text("[x](javascript:alert(1)) <b>|"))
        \[x\](javascript:alert(1)) \<b\>\|
    """
    return text.translate(_MARKDOWN)


def markdown_code(text: str) -> str:
    """A formula as Markdown code (sympy's text: no backtick), its `|` escaped for a table."""
    return "`" + text.replace("|", "\\|") + "`"


def latex_text(text: str) -> str:
    r"""`text` as LaTeX typesets it literally (a backslash is `\textbackslash{}`, never `\\`).

    Example:
        >>> print(latex_text(r"x\[9999pt] #1"))
        x\textbackslash{}[9999pt] \#1
    """
    return text.translate(_LATEX)


def csv_text(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: one starting `= + - @`, a tab or a carriage
    return gets a leading `'`.

    Example:
        >>> csv_text("=HYPERLINK(1)"), csv_text("conv2d")
        ("'=HYPERLINK(1)", 'conv2d')
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def table_markdown(header: Sequence[str], rows: Sequence[Sequence[str]], code: Sequence[int] = ()) -> str:
    """A Markdown table of text cells (escaped); the columns in `code` hold formulas, in backticks."""

    def cell(i: int, text: str) -> str:
        return markdown_code(text) if i in code and text else markdown_text(text)

    lines = ["| " + " | ".join(markdown_text(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(i, c) for i, c in enumerate(cells)) + " |" for cells in rows]
    return "\n".join(lines)


def _latex_cell(text: str) -> str:
    return latex_text(text)


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
