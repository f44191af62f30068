"""Issue 21, hostile input second round: each defect's reproducer, run in-process within a time
and memory budget. Wrong answers, injection into exported formats, internal errors, unclear
errors, and bounded work."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from symcount import SymcountError
from symcount.cli import main
from symcount.parse import parse_expression
from symcount.spec import parse_spec
from symcount.yamlsafe import load_yaml
from tests.checks import within_budget


def invoke(args: list[str], input: str | None = None) -> Result:
    with within_budget(seconds=60, megabytes=1024):
        return CliRunner().invoke(main, args, input=input)


def refused(result: Result, *fragments: str) -> str:
    """The one-line error of a refused command (exit 2), checked to name each fragment."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: ") and len(result.stderr) < 2100
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


def write(tmp_path: Path, text: str, name: str = "net.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# 1. Valid sizes with a gap: (k-5)**2 units is refused at k = 5 only.

GAP = "input: [n]\nlayers:\n  - dense: (k-5)**2\n  - dense: 1\n"


def test_solve_finds_the_largest_size_past_a_gap_in_the_valid_sizes(tmp_path: Path) -> None:
    from symcount.explore import solve_budget

    spec = parse_spec(load_yaml(GAP, "gap"))
    model = spec.model()
    found = solve_budget(model, "k", 10**6, {"n": 1})
    # the total is (n + 2)*(k - 5)**2 + 1 (two dense layers), growing past k = 5: brute force
    totals = {k: model.count({"n": 1, "k": k}) for k in range(1, 640) if k != 5}
    assert all(t == 3 * (k - 5) ** 2 + 1 for k, t in totals.items())
    best = max(k for k, t in totals.items() if t <= 10**6)
    assert (found.status, found.value, found.total) == ("found", best, totals[best])
    result = invoke(["solve", write(tmp_path, GAP), "--for", "k", "--budget", "1e6", "--set", "n=1"])
    assert result.exit_code == 0 and f"k = {best} is the largest" in result.stdout


def test_solve_below_a_gap_still_finds_the_values_before_it(tmp_path: Path) -> None:
    from symcount.explore import solve_budget

    model = parse_spec(load_yaml(GAP, "gap")).model()
    found = solve_budget(model, "k", 40, {"n": 1})  # 3*(k-5)**2 + 1 <= 40: k in 2..8, not 5
    assert (found.status, found.value) == ("found", 8)


# 2-4, 15, 24. YAML: numbers mean what their text says (YAML 1.2, as --set reads them), keys
# are written once, control characters and long alias or tag names are one short line.


def count_text(tmp_path: Path, layer: str) -> Result:
    return invoke(["count", write(tmp_path, f"input: [4]\nlayers:\n  - {layer}\n"), "--json"])


def total(result: Result) -> int:
    import json

    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["total"])


@pytest.mark.parametrize(("written", "units"), [("1.0e+23", 10**23), ("2.50e+2", 250), ("1_0.0", 10)])
def test_a_whole_yaml_float_is_the_number_its_text_says(tmp_path: Path, written: str, units: int) -> None:
    # dense on [4]: 4*units weights and units biases
    assert total(count_text(tmp_path, f"dense: {written}")) == 5 * units
    assert total(count_text(tmp_path, f"dense: '{written}'")) == 5 * units


def test_a_float_that_is_whole_only_in_binary_is_refused(tmp_path: Path) -> None:
    refused(count_text(tmp_path, "dense: 1.0000000000000000001"), "line 3 is not whole")
    refused(count_text(tmp_path, "dense: 2.5"), "units=5/2")
    assert load_yaml("rate: 0.1", "spec") == {"rate": 0.1}  # rates and epsilons stay floats


def test_yaml_1_1_number_forms_read_as_yaml_1_2_and_set_read_them(tmp_path: Path) -> None:
    assert total(count_text(tmp_path, "dense: 010")) == 5 * 10  # not octal 8
    refused(count_text(tmp_path, "dense: 1:30"), "'1:30'")  # not base 60: 90
    refused(count_text(tmp_path, "dense: 1:30.5"), "'1:30.5'")
    result = invoke(["count", write(tmp_path, "input: [4]\nlayers: [dense: k]\n"), "--set", "k=010"])
    assert result.exit_code == 0 and "50 parameters" in result.stdout


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("input: [4]\nlayers:\n  - dense: {units: 3, units: 5}\n", "'units' is written twice: at line 3 and at line 3"),
        ("input: [4]\nlayers: [dense: 2]\nlayers: [dense: 3]\n", "'layers' is written twice: at line 2 and at line 3"),
    ],
    ids=["units", "layers"],
)  # fmt: skip
def test_a_duplicate_key_is_refused_naming_it_and_its_lines(tmp_path: Path, text: str, fragment: str) -> None:
    refused(invoke(["count", write(tmp_path, text)]), fragment)
    merged = load_yaml("a: &b {units: 3}\nc: {<<: *b, units: 5}", "spec")
    assert merged["c"] == {"units": 5}  # a merge key gives defaults, no duplicate


def test_control_characters_in_a_spec_are_one_line(tmp_path: Path) -> None:
    refused(
        invoke(["count", write(tmp_path, "input: [4]\nlayers: [dense: 2\x01]\n")]), "'\\x01' is not allowed"
    )


@pytest.mark.parametrize(
    "layer", ["dense: *" + "a" * 3000, "dense: !" + "a" * 3000 + " 3"], ids=["alias", "tag"]
)
def test_a_yaml_error_quoting_a_long_name_is_short(tmp_path: Path, layer: str) -> None:
    assert len(refused(count_text(tmp_path, layer), "malformed YAML")) < 400


# 5. A mixture of experts whose top_k is larger than num_experts for every value of the symbols.


@pytest.mark.parametrize("top_k", ["2*E", "E + 1", "E + k", "E*k + 1"])
def test_a_symbolic_top_k_past_num_experts_is_refused(tmp_path: Path, top_k: str) -> None:
    text = (
        "blocks:\n  expert: [dense: d]\ninput: [T, d]\nlayers:\n"
        f"  - mixture_of_experts: {{num_experts: E, top_k: '{top_k}', block: expert}}\n"
    )
    refused(
        invoke(["count", write(tmp_path, text)]),
        "cannot exceed num_experts",
        f"top_k={top_k}, num_experts=E",
    )


def test_a_symbolic_top_k_that_may_fit_is_checked_with_its_values(tmp_path: Path) -> None:
    text = (
        "blocks:\n  expert: [dense: d]\ninput: [T, d]\nlayers:\n"
        "  - mixture_of_experts: {num_experts: E, top_k: k, block: expert}\n"
    )
    spec = write(tmp_path, text)
    assert invoke(["formula", spec]).exit_code == 0
    refused(
        invoke(["count", spec, "--set", "E=2", "--set", "k=3", "--set", "T=1", "--set", "d=1"]),
        "cannot exceed",
    )


# 6-10, 17, 18. Names are data in every output form.

NAMES = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "a|b <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))",
    "$\\href{javascript:alert(1)}{x}$ \\(y\\) x\\[9999pt]",
    "$\\undefinedcommand$ $x^$",
]


def named_spec(tmp_path: Path) -> str:
    import json

    layers = [{"dense": 2, "name": name} for name in NAMES]
    return write(tmp_path, json.dumps({"name": NAMES[-2], "input": ["n"], "layers": layers}))


def test_sweep_csv_cells_are_never_formulas(tmp_path: Path) -> None:
    import csv
    import io

    result = invoke(["sweep", named_spec(tmp_path), "--grid", "n=1:2", "--layers", "--csv"])
    assert result.exit_code == 0, result.output
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header[2:] == ["'" + name if name[0] in "=+-@" else name for name in NAMES]
    from symcount.render.tables import csv_text

    assert [csv_text(t) for t in ("\tx", "\rx", "x=1")] == ["'\tx", "'\rx", "x=1"]  # names refuse both


def test_sweep_markdown_headers_keep_their_columns(tmp_path: Path) -> None:
    result = invoke(["sweep", named_spec(tmp_path), "--grid", "n=1:2", "--layers", "--markdown"])
    assert result.exit_code == 0, result.output
    header, rule, first = result.stdout.splitlines()[:3]
    cells = [c for c in header.replace("\\|", "").split("|")[1:-1]]
    assert len(cells) == len(first.split("|")[1:-1]) == 2 + len(NAMES)
    assert "<script>" not in header and "\\<script\\>" in header and "\\[x\\](javascript" in header


@pytest.mark.parametrize("command", ["summary", "explain", "compare"])
def test_markdown_escapes_html_links_and_math_in_names(tmp_path: Path, command: str) -> None:
    spec = named_spec(tmp_path)
    args = [command, spec, *([spec] if command == "compare" else []), "--markdown"]
    if command == "compare":
        args += ["--set", "n=3"]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    import re

    for raw in (r"<script>", r"<img", r"\]\(javascript", r"\$\\href"):  # none unescaped
        assert not re.search(r"(?<!\\)" + raw, result.stdout), raw
    assert "\\<script\\>" in result.stdout and "\\$\\\\href" in result.stdout


def test_jupyter_html_never_puts_a_name_in_math_mode(tmp_path: Path) -> None:
    import re

    from symcount import load_spec as load
    from symcount.render import summary_html

    model = load(named_spec(tmp_path)).model()
    page = summary_html(model)
    for cell in re.findall(r"<(?:td|th|caption)[^>]*>[^<]*(?:\$|\\\()[^<]*<", page):
        formula = re.fullmatch(r"<t[dh][^>]*>\$[\w\s{}+\-\\]*\$<", cell)
        assert formula or 'class="tex2jax_ignore mathjax_ignore"' in cell, cell
    assert "&lt;script&gt;" in page and "<script>" not in page


@pytest.mark.parametrize("command", [["summary"], ["explain"]])
def test_latex_shows_a_backslash_as_text_and_escapes_once(tmp_path: Path, command: list[str]) -> None:
    result = invoke([*command, named_spec(tmp_path), "--latex"])
    assert result.exit_code == 0, result.output
    assert "x\\textbackslash{}[9999pt]" in result.stdout
    assert "\\\\[" not in result.stdout  # no row break with a length, from a name
    assert "\\\\\\#" not in result.stdout  # no header escaped twice
    if command == ["explain"]:
        assert result.stdout.splitlines()[1].startswith("\\# & layer")


def test_plots_show_names_literally(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    spec = named_spec(tmp_path)
    for y in ("per-layer", "total"):
        result = invoke(["plot", spec, "--x", "n=1:5", "--y", y, "-o", str(tmp_path / f"{y}.png")])
        assert result.exit_code == 0, result.output
    from symcount.plot import _literal

    assert _literal("$x^$") == "\\$x^\\$"


def test_a_plot_past_int64_and_past_float_range_is_drawn_or_refused_in_one_line(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png = str(tmp_path / "p.png")
    result = invoke(["plot", "lesson-cnn", "--x", "H=2**64:2**64+5", "--y", "per-layer", "-o", png])
    assert result.exit_code == 0, result.output
    huge = "*".join(["10**60"] * 6)
    refused(
        invoke(["plot", "lesson-dense", "--x", "h1=1:3", "--set", f"h2={huge}", "-o", png]),
        "a plot draws numbers up to about 1.8e308",
    )


# 16, 20. Internal errors where a one-line error was due.


@pytest.mark.parametrize("layer", ["{dense: 2, inputs: []}", "{add: {}, inputs: []}"])
def test_empty_inputs_are_refused_in_one_line(tmp_path: Path, layer: str) -> None:
    text = f"input: [4]\nlayers:\n  - dense: 2\n  - {layer}\n"
    refused(invoke(["count", write(tmp_path, text)]), "layer 2: inputs", "cannot be empty")


def test_a_closed_stdout_is_one_line_and_exit_1() -> None:
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "symcount", "count", "lesson-cnn"],
        preexec_fn=lambda: os.close(1),
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "Error: count: cannot write the output: standard output is closed\n"


# 14, 19, 22, 23. Import targets: whatever the user's code does at import or when built, one line.

FACTORIES = """
import sys, time

def raises(d=1):
    raise ValueError("bad\\nTraceback (most recent call last):\\n  File 'x', line 1\\nboom")

def exits0(d=1):
    sys.exit(0)

def exits3(d=1):
    sys.exit(3)

def forever(d=1):
    while True:
        try:
            time.sleep(0.01)
        except Exception:  # swallows what it can: the timeout is not an Exception
            pass
"""


@pytest.mark.parametrize(
    ("source", "factory", "fragment"),
    [
        ("def f(:\n", "f", "SyntaxError: invalid syntax"),
        ("raise RuntimeError('at import')\n", "f", "RuntimeError: at import"),
        ("import sys\nsys.exit(0)\n", "f", "it called sys.exit(0)"),
        ("import no_such_module_anywhere\n", "f", "ModuleNotFoundError"),
        (FACTORIES, "raises", "ValueError: bad\\nTraceback (most recent call last):\\n"),
        (FACTORIES, "exits0", "the factory called sys.exit(0)"),
        (FACTORIES, "exits3", "the factory called sys.exit(3)"),
    ],
    ids=["syntax", "raises-at-import", "exits-at-import", "import-error", "raises", "exit-0", "exit-3"],
)
@pytest.mark.parametrize("command", ["import", "infer"])
def test_an_import_target_that_fails_is_one_line(
    tmp_path: Path, command: str, source: str, factory: str, fragment: str
) -> None:
    pytest.importorskip("torch")
    path = write(tmp_path, source, "target.py")
    refused(invoke([command, f"{path}:{factory}", "--size", "d=2"]), fragment)


@pytest.mark.parametrize("command", ["import", "infer"])
def test_a_factory_that_never_returns_stops_at_the_timeout(tmp_path: Path, command: str) -> None:
    import time

    pytest.importorskip("torch")
    path = write(tmp_path, FACTORIES, "target.py")
    start = time.monotonic()
    result = invoke([command, f"{path}:forever", "--size", "d=2", "--timeout", "1"])
    refused(result, "did not finish within 1 s (--timeout")
    assert time.monotonic() - start < 20
    assert "[default: 600" in invoke([command, "--help"]).stdout


# 21, 25, 26. Unclear errors and false refusals.


def nested_repeats(depth: int) -> str:
    text, indent = "input: [4]\nlayers:\n", "  "
    for _ in range(depth):
        text += f"{indent}- repeat:\n{indent}    times: 2\n{indent}    layers:\n"
        indent += "      "
    return text + f"{indent}- dense: 4\n"


def test_inline_repeats_nest_as_documented(tmp_path: Path) -> None:
    # dense 4 on 4 features: 4*4 + 4 = 20 parameters, built 2**depth times
    assert total(invoke(["count", write(tmp_path, nested_repeats(2)), "--json"])) == 4 * 20
    assert total(invoke(["count", write(tmp_path, nested_repeats(8)), "--json"])) == 2**8 * 20
    refused(invoke(["count", write(tmp_path, nested_repeats(9))]), "repeats nest more than 8 deep")
    experts = (
        "input: [T, 4]\nlayers:\n  - mixture_of_experts:\n      num_experts: 4\n      top_k: 2\n"
        "      layers:\n        - mixture_of_experts: {num_experts: 3, top_k: 1, layers: [dense: 4]}\n"
    )
    # inner: a 4 -> 3 router (12) and 3 experts of 20; outer: a 4 -> 4 router (16) and 4 inner
    result = invoke(["count", write(tmp_path, experts), "--set", "T=1", "--json"])
    assert total(result) == 16 + 4 * (12 + 3 * 20)


def test_compare_shows_the_ratio_of_huge_counts_as_a_number(tmp_path: Path) -> None:
    huge = "10**50*10**50*10**50*10**50"
    big = write(tmp_path, f"input: ['{huge}']\nlayers: [dense: '{huge}']\n", "big.yaml")
    small = write(tmp_path, "input: [1]\nlayers: [dense: 1]\n", "small.yaml")
    # big: 10**200 * 10**200 weights and 10**200 biases; small: 2; their ratio 5.000e+399
    result = invoke(["compare", big, small])
    assert result.exit_code == 0 and "ratio (big / small): 5.000e+399" in result.stdout, result.stdout
    result = invoke(["compare", small, big])
    assert "ratio (small / big): 2.000e-400" in result.stdout, result.stdout


@pytest.mark.parametrize("text", ["\u0663", "\uff13", "1\u0663", "\u09ea"])
def test_non_ascii_digits_are_no_numbers(tmp_path: Path, text: str) -> None:
    message = refused(invoke(["count", "lesson-dense", "--set", f"h1={text}"]), "non-ASCII", "digit")
    assert message.isascii()
    with pytest.raises(SymcountError, match="non-ASCII"):
        parse_expression(text)


# 11, 12. Values and block arguments: linear work in their number.


def test_a_long_chain_of_values_resolves_in_linear_time() -> None:
    from symcount.values import bind

    n = 5_000  # v_i = v_(i-1), given last first: a pass per value would take n**2 steps
    values = {f"v{i}": f"v{i - 1}" for i in range(n - 1, 0, -1)} | {"v0": 7}
    with within_budget(seconds=20):
        bound = bind(values, list(values))
    assert bound[f"v{n - 1}"] == 7


def test_many_block_arguments_are_checked_in_linear_time(tmp_path: Path) -> None:
    from symcount.values import check_names

    names = [f"a{i}" for i in range(50_000)]
    with within_budget(seconds=5):
        check_names(names, names, "with")  # a list lookup per name: 1.25e9 comparisons
    n = 5_000
    arguments = ", ".join(f"a{i}" for i in range(n))
    given = ", ".join(f"a{i}: {i + 1}" for i in range(n))
    text = f"blocks:\n  b: {{args: [{arguments}], layers: [dense: a{n - 1}]}}\ninput: [4]\nlayers:\n"
    text += f"  - block: b\n    with: {{{given}}}\n"
    assert total(invoke(["count", write(tmp_path, text), "--json"])) == 5 * n  # 4*n weights, n biases
