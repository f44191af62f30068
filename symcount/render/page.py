"""The explorer page: one self-contained HTML file, formulas as MathML and counts in JavaScript.

Everything the page needs is inside it: the runtime (page.js and page.css beside this module),
the data as JSON and the formulas and rules compiled once to BigInt JavaScript
(symcount.jscode). No network request, no external script. User text (names, descriptions)
reaches the page only as escaped HTML text or as JSON whose `<`, `>` and `&` are escaped, and the
runtime writes it with `textContent`: names are data, never markup.

The DOM contract (docs/page.md): an `<input name="SYMBOL">` per symbol (a range slider; its number
box is `data-box="SYMBOL"`), `<select name="cost">`, the total in `id="total"` with the exact
integer in `data-value`, one element per layer with `data-layer="NAME"` and `data-value`, and the
error line `id="error"` (empty when the point is valid). A second model (`--compare`) sits in the
same page under `data-model="b"`: its inputs are `name="b:SYMBOL"`, its total `id="total-b"`.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from typing import Any

import sympy

from ..costs import COSTS
from ..explore.page import PageModel
from ..jscode import js_code
from ..rules import CLOSE, OPEN
from .mathml import mathml

__all__ = ["page_html", "page", "Page", "TOTAL_TERMS"]

TOTAL_TERMS = 40  # a total formula with more terms is shown as the sum of the layers' formulas


def _asset(name: str) -> str:
    return resources.files("symcount.render").joinpath(name).read_text(encoding="utf-8")


def _json(data: Any) -> str:
    """JSON safe inside a <script>: no `<`, `>` or `&` that could close it or start markup."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _said(text: str) -> list[Any]:
    """A rule's message as pieces: text, and the index of each value it quotes."""
    pieces: list[Any] = []
    rest = text
    while OPEN in rest:
        before, _, after = rest.partition(OPEN)
        index, _, rest = after.partition(CLOSE)
        pieces += [before, int(index)]
    return [*pieces, rest]


def _engine(page: PageModel) -> str:
    """The page's model as JavaScript: per cost, a function of the values giving the total and
    each row's count; the rules in the fold's order; the sizes; each row's weights' shapes."""
    names = page.names
    lines = []
    costs = []
    for cost in page.costs:
        body = ", ".join(js_code(e, names) for e in (cost.total, *cost.rows))
        costs.append(f"{json.dumps(cost.name)}: (x) => [{body}]")
    lines.append("costs: {" + ", ".join(costs) + "}")
    checks = []
    for rule in page.rules:
        exprs = ", ".join(js_code(e, names) for e in rule.exprs)
        said = rule.says.values if rule.says is not None else ()
        quoted = ", ".join(f"(x) => {js_code(v, names)}" for v in said)
        checks.append(f"[{json.dumps(rule.kind)}, (x) => [{exprs}], [{quoted}]]")
    lines.append("rules: [" + ",\n".join(checks) + "]")
    sizes = ", ".join(js_code(e, names) for e in page.checks)
    lines.append(f"sizes: (x) => [{sizes}]")
    weights = []
    for row in page.rows:
        shapes = ", ".join("[" + ", ".join(js_code(d, names) for d in w.shape) + "]" for w in row.weights)
        weights.append(f"[{shapes}]")
    lines.append(f"shapes: (x) => [{', '.join(weights)}]")
    return "{" + ",\n".join(lines) + "}"


def _data(page: PageModel) -> dict[str, Any]:
    return {
        "name": page.name,
        "description": page.description,
        "sliders": [
            {"name": s.name, "value": s.value, "low": s.low, "high": s.high, "step": s.step}
            for s in page.sliders
        ],
        "rows": [
            {
                "name": row.name,
                "kind": row.kind,
                "repeated": row.repeated,
                "weights": [{"name": w.name, "kind": w.kind} for w in row.weights],
            }
            for row in page.rows
        ],
        "costs": [
            {
                "name": c.name,
                "label": c.label,
                "unit": COSTS[c.name].unit,
                "rows": [str(sympy.expand(r)) for r in c.rows],
            }
            for c in page.costs
        ],
        "said": [_said(rule.says.text) if rule.says is not None else None for rule in page.rules],
        "dtype": page.convention.dtype,
    }


def _formulas(page: PageModel) -> tuple[str, str]:
    """The total's formula and the layers' table: one row per layer, each formula once per cost
    (the runtime shows the chosen cost's)."""
    totals = []
    for cost in page.costs:
        terms = len(cost.total.as_ordered_terms()) if cost.total.is_Add else 1
        shown = (
            mathml(cost.total)
            if terms <= TOTAL_TERMS
            else f"<p class=note>{terms:,} terms: the sum of the layers' formulas below.</p>"
        )
        totals.append(f'<div class=f data-cost="{escape(cost.name)}" hidden>{shown}</div>')
    rows = []
    for i, row in enumerate(page.rows):
        formulas = "".join(
            f'<span class=f data-cost="{escape(cost.name)}" hidden>'
            f"{mathml(sympy.expand(cost.rows[i]), 'inline')}</span>"
            for cost in page.costs
        )
        rows.append(
            f'<tr data-layer="{escape(row.name)}" data-value="">'
            f"<td class=name>{escape(row.name)}</td><td class=kind>{escape(row.kind)}</td>"
            f"<td class=formula>{formulas}</td><td class=count></td>"
            "<td class=bar><span class=fill></span><span class=pct></span></td></tr>"
        )
    return (
        f"<div class=totalformula>{''.join(totals)}</div>",
        "<div class=tablebox><table class=layers><thead><tr><th>layer</th><th>type</th><th>formula</th>"
        "<th class=count>count</th><th>share</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>",
    )


def _panel(page: PageModel, key: str) -> str:
    """One model's panel: heading, inputs, total, error line, formulas and tables, plot, words."""
    suffix = "" if key == "a" else f"-{key}"
    prefix = "" if key == "a" else f"{key}:"
    inputs = []
    for s in page.sliders:
        name = escape(prefix + s.name)
        inputs.append(
            f'<label class=symbol data-symbol="{escape(s.name)}"><span class=sym>{escape(s.name)}</span>'
            f'<input type=range name="{name}" min="{s.low}" max="{s.high}" step="{s.step}" value="{s.value}">'
            f'<input type=number data-box="{name}" min="{s.low if s.low > 1 else 1}" step="{s.step}" '
            f'value="{s.value}"></label>'
        )
    data = _json(_data(page))
    total_formula, table = _formulas(page)
    engine = _engine(page)
    return (
        f'<section class=model data-model="{key}">'
        f"<h1>{escape(page.name)}</h1><p class=description>{escape(page.description)}</p>"
        f"<div class=inputs>{''.join(inputs)}</div>"
        f'<p class=totalline><span class=label></span> <span id="total{suffix}" class=total data-value=""></span>'
        f" <span class=human></span></p>"
        f'<p id="error{suffix}" class=error role=alert></p>{total_formula}'
        f"<div class=plotbox><label>plot against <select class=against></select></label>"
        f"<div class=plot></div></div>"
        f"{table}"
        f"<div class=explain><h2>Where the count comes from</h2><ol class=words></ol><p class=sum></p></div>"
        f'<script type="application/json" class=data>{data}</script>'
        f"<script>SYMCOUNT_MODELS.push({{key: {json.dumps(key)}, engine: {engine}}});</script>"
        "</section>"
    )


def page_html(pages: list[PageModel], cost: str | None = None) -> str:
    """The whole page for one model, or two side by side (`--compare`) with their ratio."""
    costs = [c for c in pages[0].costs]
    for other in pages[1:]:
        names = {c.name for c in other.costs}
        costs = [c for c in costs if c.name in names]
    chosen = cost if cost in [c.name for c in costs] else costs[0].name
    options = "".join(
        f'<option value="{escape(c.name)}"{" selected" if c.name == chosen else ""}>{escape(c.label)}</option>'
        for c in costs
    )
    title = " vs ".join(p.name for p in pages)
    ratio = '<p class=ratio>ratio A / B: <span id="ratio"></span></p>' if len(pages) > 1 else ""
    panels = "".join(_panel(p, key) for p, key in zip(pages, "ab"))
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)} · symcount</title><style>{_asset('page.css')}</style></head><body>"
        f'<header><label>cost <select name="cost">{options}</select></label>{ratio}</header>'
        f'<script>const SYMCOUNT_MODELS = [];</script><main class="models n{len(pages)}">{panels}</main>'
        f"<footer>symcount: exact counts, computed in this page with BigInt from the same fold as "
        f"<code>symcount count</code>.</footer><script>{_asset('page.js')}</script></body></html>"
    )


class Page:
    """An explorer page: `html` is the file; in Jupyter it shows inline (in a sandboxed frame, so
    its script runs on its own)."""

    def __init__(self, html: str) -> None:
        self.html = html

    def save(self, path: str) -> None:
        from ..files import write_text

        write_text(path, self.html, "page")

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{escape(self.html, quote=True)}" sandbox="allow-scripts" '
            'style="width:100%;height:720px;border:1px solid #ddd"></iframe>'
        )


def page(
    model: Any,
    values: Any = None,
    *,
    cost: str | list[str] | None = None,
    compare: Any = None,
    compare_values: Any = None,
    dtype: str = "float32",
    optimizer: str = "adam",
    extras: bool = False,
    name: str | None = None,
    description: str = "",
    compare_description: str = "",
) -> Page:
    """The explorer page of `model` (every symbol given a value in `values`), or of two models
    side by side (`compare`). `cost`: the costs to offer (one name or several; all the model has
    by default), the first chosen."""
    from ..costs import Convention
    from ..explore.common import named
    from ..explore.page import page_model
    from ..values import bind

    convention = Convention(dtype, optimizer, extras)
    costs = [cost] if isinstance(cost, str) else list(cost or [])
    pages = []
    for item, given, words in ((model, values, description), (compare, compare_values, compare_description)):
        if item is None:
            continue
        known = [s.name for s in item.symbols]
        point = bind(named(given), known, "page", "the model") if given else {}
        pages.append(
            page_model(item, point, costs, convention, name=item.name or name or "model", description=words)
        )
    return Page(page_html(pages, costs[0] if costs else None))
