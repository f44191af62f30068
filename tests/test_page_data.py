"""The explorer page without a browser: its rules say what `count` says, its file is safe and whole.

The page evaluates its rules in the fold's order and shows the first failing one's message with
the values filled in; here the same is done in Python (sympy at the point) and compared with the
command's own error line, at points where one symbol is off its range.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

from symcount.cli import main
from symcount.errors import SymcountError, one_line
from symcount.explore.page import page_model
from symcount.render.page import _json, _said
from symcount.spec import load_spec
from symcount.values import symbol

HOLDS = {
    "size": lambda v: v.is_Integer and v >= 1,
    "amount": lambda v: v.is_Integer and v >= 0,
    "divides": lambda v, d: d != 0 and v.is_Integer and d.is_Integer and v % d == 0,
    "equal": lambda a, b: a == b,
    "broadcast": lambda a, b: a == b or a == 1 or b == 1,
    "positive": lambda v: v >= 1,
    "not_positive": lambda v: v <= 0,
}


def _first_refusal(page, point: dict[str, int]) -> str | None:
    at = {symbol(n): sympy.Integer(v) for n, v in point.items()}
    for rule in page.rules:
        if not HOLDS[rule.kind](*(sympy.sympify(e).xreplace(at) for e in rule.exprs)):
            pieces = _said(rule.says.text)
            return "".join(p if isinstance(p, str) else str(rule.says.values[p].xreplace(at)) for p in pieces)
    return None


CASES = [
    ("lenet-5", {"k": 40}),
    ("lesson-cnn", {"f": 0}),
    ("lesson-cnn", {"C": -2}),
    ("lenet-5", {"H": 8}),
    ("llama2-7b", {"h": 7}),
    ("llama2-7b", {"kv": 5}),
    ("mistral-7b", {"d": 4100}),
    ("gpt2", {"h": 7}),
    ("bert-base", {"T": 600}),
    ("resnet-50", {"n2": 0}),
    ("vit-b16", {"h": 7}),
]


@pytest.mark.parametrize(("spec", "change"), CASES, ids=[f"{s}-{c}" for s, c in CASES])
def test_the_first_failing_rule_says_what_count_says(spec: str, change: dict[str, int]) -> None:
    loaded = load_spec(spec)
    model = loaded.model()
    values = loaded.values_for(model, {}, defaults=True)
    page = page_model(model, values)
    point = {name: int(value) for name, value in values.items() if name in page.names} | change
    try:
        model.xreplace(loaded.values_for(model, {k: str(v) for k, v in change.items()}, defaults=True))
        expected = None
    except SymcountError as error:
        expected = one_line(str(error))
    assert expected is not None, f"{spec} accepts {change}: choose a refused point"
    assert _first_refusal(page, point) == expected


def test_the_rules_hold_at_the_specs_values() -> None:
    for spec in ("lesson-cnn", "resnet-50", "llama2-7b", "vit-b16"):
        loaded = load_spec(spec)
        model = loaded.model()
        values = loaded.values_for(model, {}, defaults=True)
        page = page_model(model, values)
        assert _first_refusal(page, {n: int(values[n]) for n in page.names}) is None


def test_sliders_start_at_the_values_and_keep_the_heads_dividing_the_width() -> None:
    loaded = load_spec("llama2-7b")
    model = loaded.model()
    page = page_model(model, loaded.values_for(model, {}, defaults=True))
    sliders = {s.name: s for s in page.sliders}
    assert sliders["d"].value == 4096 and sliders["d"].step == 32
    assert sliders["d"].low <= 4096 <= sliders["d"].high
    assert all((s.high - s.low) % s.step == 0 and (s.value - s.low) % s.step == 0 for s in page.sliders)


def test_page_data_json_cannot_close_its_script() -> None:
    text = _json({"name": "</script><script>alert(1)</script>&amp;"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>&amp;"}


def test_the_command_writes_one_file_with_nothing_fetched(tmp_path: Path) -> None:
    out = tmp_path / "cnn.html"
    result = CliRunner().invoke(
        main, ["page", "lesson-cnn", "--set", "f=12", "--cost", "flops,params", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert result.output == f"wrote {out} ({len(html.encode()):,} bytes)\n"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "default-src 'none'" in html  # the page may fetch nothing, even if asked
    assert 'name="f" min="1" max="48" step="1" value="12"' in html
    assert re.findall(r'<option value="(\w+)"', html) == ["flops", "params"]


def test_the_command_refuses_what_count_refuses(tmp_path: Path) -> None:
    out = str(tmp_path / "x.html")
    runner = CliRunner()
    unknown = runner.invoke(main, ["page", "lesson-cnn", "--set", "q=3", "-o", out])
    assert unknown.exit_code == 2 and "unknown name 'q'" in unknown.output
    compared = runner.invoke(
        main, ["page", "lesson-cnn", "--compare", "lesson-dense", "--set", "h1=20", "-o", out]
    )
    assert compared.exit_code == 0, compared.output
    html = Path(out).read_text(encoding="utf-8")
    assert 'name="b:h1"' in html and 'id="total-b"' in html and 'id="ratio"' in html
