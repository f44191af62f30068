"""The summary people read: golden tables for a few models, and laws every summary keeps (lines
within the width, shares adding up to the whole). The numbers themselves are tested as data
(`summary_table`), never by slicing the text.

After a deliberate change of the layout, regenerate the golden files with:
    python -m symcount summary lesson-cnn > tests/golden/summary-lesson-cnn.txt   (and so on, per
    GOLDEN below)
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from symcount import build, load_spec
from symcount.cli import main
from symcount.costs import PARAMS, Measure
from symcount.render.summary import SHARE, summary_table

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN = {
    "summary-lesson-cnn.txt": ["lesson-cnn"],
    "summary-lesson-dense.txt": ["lesson-dense"],
    "summary-resnet-50-w100.txt": ["resnet-50", "--width", "100"],
    "summary-lesson-cnn-costs.txt": ["lesson-cnn", "--cost", "params,flops,memory", "--width", "100"],
}
ZOO = ["lesson-cnn", "lesson-dense", "lenet-5", "vgg-16", "resnet-18", "resnet-50", "mobilenet-v2", "vit-b16",
       "gpt2", "bert-base", "resnet-50-keras"]  # fmt: skip


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["summary", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_tables(name: str) -> None:
    assert run(*GOLDEN[name]) == (GOLDEN_DIR / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", ZOO)
@pytest.mark.parametrize("width", [80, 100, 132])
def test_no_line_is_wider_than_asked(spec: str, width: int) -> None:
    lines = run(spec, "--width", str(width), "--cost", "params,flops").splitlines()
    assert max(len(line) for line in lines) <= width, max(lines, key=len)


@pytest.mark.parametrize("spec", ["resnet-50", "vit-b16", "vgg-16"])
def test_an_expanded_block_keeps_the_total(spec: str) -> None:
    # Each inner row of an expanded block stands for all its copies: the top-level rows add up to
    # the total, and so do the inner rows of each block to their block's row.
    loaded = load_spec(spec)
    model = loaded.model()
    valued = build(spec)
    table = summary_table(model, valued, (PARAMS,), depth=9, values=loaded.values)
    params = table.header.index("Params")
    rows = [
        (len(cells[0]) - len(cells[0].lstrip()), int(cells[params].replace(",", ""))) for cells in table.body
    ]
    assert sum(value for indent, value in rows if indent == 0) == valued.count()
    assert len(rows) > len(valued.rows)  # something was expanded
    for k, (indent, value) in enumerate(rows):
        inner = []
        for deeper, inner_value in rows[k + 1 :]:
            if deeper <= indent:
                break
            if deeper == indent + 2:
                inner.append(inner_value)
        if inner:
            assert sum(inner) == value, table.body[k][0]


def test_shares_add_up_and_show_the_lesson() -> None:
    # The lesson's point: most of the dense net is its first layer, most of the CNN its readout.
    for spec, layer, least in [
        ("lesson-dense", "dense (Dense)", 95.0),
        ("lesson-cnn", "dense (Dense)", 95.0),
    ]:
        loaded = load_spec(spec)
        table = summary_table(loaded.model(), build(spec), (PARAMS,))
        column = table.kinds.index(SHARE)
        shares = {cells[0]: float(cells[column].rstrip("%")) for cells in table.body}
        assert shares[layer] >= least and abs(sum(shares.values()) - 100) < 0.1 * len(shares)


def test_several_costs_one_column_each() -> None:
    loaded = load_spec("lesson-cnn")
    measures = (PARAMS, Measure("flops"), Measure("memory"))
    table = summary_table(loaded.model(), build("lesson-cnn"), measures)
    assert table.header[3:6] == ("Params", "FLOPs", "Memory (bytes)")
    total = dict(zip(table.header, table.foot[0]))
    valued = build("lesson-cnn")
    # Every cost column is headed by its cost (memory and training memory were both "Bytes").
    both = summary_table(loaded.model(), valued, (Measure("memory"), Measure("training_memory")))
    assert len(set(both.header)) == len(both.header)
    assert [int(total[h].replace(",", "")) for h in ("Params", "FLOPs", "Memory (bytes)")] == [
        int(m.total(valued)) for m in measures
    ]
    assert table.foot[1][3:6] == ("24.5K", "1.60 MFLOPs", "98.1 kB")  # 24,533; 1,599,360; 98,132


def test_the_total_is_in_the_form_formula_prints() -> None:
    result = CliRunner().invoke(main, ["formula", "resnet-50"])
    loaded = load_spec("resnet-50")
    table = summary_table(loaded.model(), None, (PARAMS,))
    assert table.foot[0][2] == result.output.splitlines()[0]
    assert sympy.sympify(table.foot[0][2]) != 0


def test_json_carries_each_layers_exact_share() -> None:
    result = CliRunner().invoke(main, ["summary", "lesson-cnn", "--json"])
    import json

    layers = json.loads(result.output)["layers"]
    assert layers[3]["value"]["share"] == {"exact": "23523/24533", "decimal": 23523 / 24533}
    assert layers[2]["value"]["share"] == 0  # flatten: no parameters


@given(st.integers(1000, 10**20))
def test_human_units_are_the_exact_figure_rounded(value: int) -> None:
    from symcount.render.numbers import COUNT_PREFIXES, PREFIXES, human

    count = human(value)
    digits, prefix = count[:-1], count[-1]
    power = COUNT_PREFIXES.index(prefix)
    assert 1 <= float(digits) < 1000 or power == len(COUNT_PREFIXES) - 1
    assert abs(Fraction(digits) * 10 ** (3 * power) - value) <= Fraction(5, 100) * 10 ** (3 * power)
    flops, unit = human(value, "FLOPs").split(" ")
    scale = 10 ** (3 * PREFIXES.index(unit.removesuffix("FLOPs")))
    # Exact arithmetic: a figure half-way between two roundings (32,265 -> 32.27) is within 0.005.
    assert 1 <= float(flops) < 1000 and abs(Fraction(flops) * scale - value) <= Fraction(5, 1000) * scale


def _zoo_tables() -> dict[str, Any]:
    from symcount.spec import examples

    tables = {}
    for name in sorted(examples()):
        loaded = load_spec(name)
        model = loaded.model()
        tables[name] = summary_table(model, build(name), (PARAMS,), values=loaded.values)
    return tables


@pytest.fixture(scope="module")
def zoo_tables() -> dict[str, Any]:
    return _zoo_tables()


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_no_formula_is_cut_and_no_two_labels_are_alike(zoo_tables: dict[str, Any], width: int) -> None:
    # Issue 20 item 6: at 80 columns `summary resnet-50` showed `layer2.0.downsam...` for two
    # layers and `Total  49*C*...`. Now a cell too long for its column wraps over lines: its lines
    # give the cell back whole, and no two layers' labels read alike.
    import re

    from symcount.render.summary import layout, render_text

    def whole(lines: list[str]) -> str:
        return re.sub(r"\s", "", "".join(lines))

    for name, table in zoo_tables.items():
        widths, rows = layout(table, width)
        cells = [table.header, *table.body, *table.foot]
        for original, laid in zip(cells, rows):
            for text, lines, size in zip(original, laid, widths):
                assert whole(lines) == re.sub(r"\s", "", text), (name, text)
                assert all(len(line) <= size for line in lines), (name, lines, size)
        labels = [" ".join(row[0]) for row in rows[1 : 1 + len(table.body)]]
        assert len(set(labels)) == len(labels), name
        assert max(len(line) for line in render_text(table, width).splitlines()) <= width, name


def test_notebook_formulas_break_only_when_they_must_and_trainable_says_equal_total() -> None:
    # Issue 20 item 7: in Jupyter each term sat on its own line and the total was printed twice.
    import re

    from symcount.render.summary import HTML_FORMULA_WIDTH, summary_html, wrap_cell

    model = load_spec("resnet-50").model()
    page = summary_html(model)
    total = str(model.params)
    assert len(total) > HTML_FORMULA_WIDTH  # long enough to break
    trainable = re.search(r"<th[^>]*>Trainable</th><th[^>]*></th><th[^>]*>(.*?)</th>", page)
    assert trainable is not None and trainable.group(1) == "= Total"
    assert page.count("<br>") < total.count(" + ")  # lines of several terms, not one per term
    lines = wrap_cell(total, HTML_FORMULA_WIDTH, "formula")
    assert len(lines) > 1 and all(len(line) <= HTML_FORMULA_WIDTH for line in lines)
    short = summary_html(load_spec("lesson-dense").model())
    assert "<br>" not in short.split("Total</th>")[1].split("</tr>")[0]  # a short total: one line
