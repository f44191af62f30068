"""The command line, through click's CliRunner (and one real subprocess for import weight)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from symcount import parse_expression, symbols
from symcount.cli import FORMULA_VALUES_RULE, VALUES_RULE, main
from symcount.spec import examples


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_count_lesson_networks() -> None:
    assert run("count", "lesson-cnn") == (
        0,
        "lesson-cnn: 24,533 parameters (24,533 trainable, 0 non-trainable)\n",
    )
    code, output = run("count", "lesson-dense")
    assert code == 0 and "7,993 parameters" in output


def test_count_json_has_totals_and_parts() -> None:
    code, output = run("count", "lesson-cnn", "--json")
    data = json.loads(output)
    assert code == 0
    assert {key: data[key] for key in ("total", "trainable", "non_trainable")} == {
        "total": 24533,
        "trainable": 24533,
        "non_trainable": 0,
    }
    assert [layer["params"] for layer in data["layers"]] == [100, 910, 0, 23523]
    assert data["values"] == {"C": 1, "H": 28, "W": 28, "f": 10, "k": 3}
    code, output = run("count", "lesson-dense", "--json")
    assert [layer["params"] for layer in json.loads(output)["layers"]] == [0, 7850, 110, 33]


def test_set_overrides_the_spec_values() -> None:
    # 32x32x3 input, 16 filters: 27*16+16 = 448, 144*16+16 = 2320, 32*32*16*3+3 = 49155
    code, output = run(
        "count", "lesson-cnn", "--set", "H=32", "--set", "W=32", "--set", "C=3", "--set", "f=16", "--json"
    )
    assert code == 0 and json.loads(output)["total"] == 448 + 2320 + 49155
    code, output = run("count", "lesson-cnn", "--set", "f=2*k", "--json")
    assert json.loads(output)["total"] == (9 * 6 + 6) + (9 * 36 + 6) + (28 * 28 * 6 * 3 + 3)


def test_formula_general_partial_and_with_defaults() -> None:
    assert run("formula", "lesson-cnn") == (0, "C*f*k**2 + 3*H*W*f + f**2*k**2 + 2*f + 3\n")
    assert run("formula", "lesson-cnn", "--set", "k=3") == (0, "9*C*f + 3*H*W*f + 9*f**2 + 2*f + 3\n")
    assert run("formula", "lesson-cnn", "--defaults") == (0, "24533\n")
    code, output = run("formula", "lesson-dense", "--set", "H=28", "--set", "W=28")
    h1, h2 = symbols("h1 h2")
    assert code == 0 and parse_expression(output) == 785 * h1 + h1 * h2 + 4 * h2 + 3


def test_formula_forms(tmp_path: Path) -> None:
    # Two bias-free dense layers of width h on n inputs: n*h + h*h, which factors as h*(h + n).
    spec = tmp_path / "net.yaml"
    spec.write_text(
        "input: [n]\nlayers:\n  - dense: {units: h, use_bias: false}\n  - dense: {units: h, use_bias: false}\n"
    )
    assert run("formula", str(spec), "--form", "expand")[1] == "h**2 + h*n\n"
    assert run("formula", str(spec), "--form", "factor")[1] == "h*(h + n)\n"
    assert run("formula", str(spec), "--form", "simplify")[1] == "h*(h + n)\n"


def test_formula_json_and_latex() -> None:
    code, output = run("formula", "lesson-cnn", "--json")
    data = json.loads(output)
    assert data["total"] == "C*f*k**2 + 3*H*W*f + f**2*k**2 + 2*f + 3"
    assert data["symbols"] == ["C", "H", "W", "f", "k"]
    code, output = run("formula", "lesson-cnn", "--latex")
    assert code == 0 and "f^{2} k^{2}" in output


@pytest.mark.parametrize("form", ["expand", "factor", "simplify", "built"])
@pytest.mark.parametrize("frozen", [False, True])
def test_formula_json_trainable_is_its_own_formula(tmp_path: Path, form: str, frozen: bool) -> None:
    # Without non-trainable weights the JSON reuses the total's text for "trainable": it must be
    # what printing the trainable sum itself gives, in every form; with a batch normalisation's
    # moving statistics (2*h non-trainable) the two differ and each is printed.
    from symcount.algebra import formula, text
    from symcount.spec import load_spec

    spec = tmp_path / "net.yaml"
    norm = "  - batch_normalization\n" if frozen else ""
    spec.write_text(f"input: [n]\nlayers:\n  - dense: h\n{norm}  - dense: {{units: h, use_bias: false}}\n")
    model = load_spec(str(spec)).model()
    code, output = run("formula", str(spec), "--json", "--form", form)
    data = json.loads(output)
    assert code == 0 and data["trainable"] == text(formula(model.trainable, form))
    assert data["non_trainable"] == text(formula(model.non_trainable, form))
    assert (data["trainable"] == data["total"]) == (not frozen)


def test_summary_shows_formulas_and_numbers() -> None:
    code, output = run("summary", "lesson-cnn")
    assert code == 0
    assert "dense (Dense)" in output and "3*H*W*f + 3" in output and "23,523" in output and "24,533" in output
    code, output = run("summary", "lesson-cnn", "--no-defaults")
    assert "(H, W, f)" in output and "23,523" not in output


def test_summary_json_is_data() -> None:
    code, output = run("summary", "lesson-cnn", "--json")
    data = json.loads(output)
    assert [layer["value"]["params"] for layer in data["layers"]] == [100, 910, 0, 23523]
    assert data["layers"][3]["params"] == "3*H*W*f + 3"
    assert data["value_totals"]["total"] == 24533


def test_summary_markdown() -> None:
    code, output = run("summary", "lesson-dense", "--markdown")
    # The values the numbers use first; then the table, formulas in backticks, numbers right-aligned.
    assert code == 0 and output.startswith("Values: H=28, W=28, h1=10, h2=10\n\n| Layer (type) |")
    assert (
        "| dense (Dense) | (10,) | `H*W*h1 + h1` | 7,850 | 98.2% |" in output
    )  # 7,850 / 7,993 and "|---|---|---|---:|---:|" in output


def test_examples_and_show() -> None:
    code, output = run("examples")
    assert code == 0 and all(
        name in output for name in ("lesson-dense", "lesson-cnn", "lesson-cnn-increasing")
    )
    code, output = run("show", "lesson-cnn")
    assert code == 0 and "conv2d:" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["count", "lesson-cnn", "--set", "Q=1"], "unknown name 'Q' in --set"),
        (["count", "lesson-cnn", "--set", "f"], "--set expects NAME=EXPR"),
        (["count", "lesson-cnn", "--set", "f=-1"], "Received: f=-1 (as filters)"),
        (["count", "lesson-cnn", "--set", "f=2.5"], "Received: f=5/2 (as filters)"),
        (["count", "lesson-cnn", "--set", "k=2**10**10"], "exponents must be integer constants"),
        (["count", "lesson-cnn", "--set", "k=__import__('os')"], "unexpected character"),
        (["count", "nope"], "no spec file or built-in example named 'nope'"),
        (["formula", "lesson-cnn", "--set", "H=0"], "Received: H=0 (as shape[0])"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_missing_values_for_count(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text("input: [n]\nvalues: {n: 4}\nlayers:\n  - dense: h\n")
    code, output = run("count", str(spec))
    assert code == 2 and "depends on h" in output
    assert run("count", str(spec), "--set", "h=2") == (
        0,
        "net: 10 parameters (10 trainable, 0 non-trainable)\n",
    )


def test_kernel_larger_than_the_image(tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text("input: [4, 4, 1]\nlayers:\n  - conv2d: {filters: 2, kernel_size: 5}\n")
    code, output = run("count", str(spec))
    assert code == 2 and "layer 1 (conv2d)" in output and "kernel 5x5" in output and "size 0" in output


def test_malformed_yaml(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [3\n")
    code, output = run("summary", str(spec))
    assert code == 2 and "malformed YAML at line" in output


@pytest.mark.parametrize("command", [[], ["count"], ["formula"], ["summary"], ["examples"], ["show"]])
def test_every_command_has_help(command: list[str]) -> None:
    code, output = run(*command, "--help")
    assert code == 0 and "Usage:" in output


def test_help_does_not_import_sympy() -> None:
    code = "import sys; from symcount.cli import main; main(['--help'], standalone_mode=False); print('sympy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("False")


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "symcount", "count", "lesson-dense"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "7,993" in result.stdout


def test_summary_latex() -> None:
    code, output = run("summary", "lesson-cnn", "--latex")
    assert code == 0 and output.startswith("% Values: H=28, W=28, C=1, f=10, k=3\n\\begin{tabular}{lllll}")
    # Thousands separated as LaTeX writes them ({,}: no space after the comma); the share in %.
    assert "dense (Dense) & (3,) & $3 H W f + 3$ & $23{,}523$ & 95.9\\% \\\\" in output
    code, output = run("summary", "lesson-cnn", "--latex", "--markdown")
    assert code == 2 and "choose one" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # The layer refuses its own hyperparameter; the message names the value the user set.
        (
            ["count", "resnet-50", "--set", "n3=0"],
            "layer 43 (layer3.rest): Repeat: expected a whole number of times, 0 or more. "
            "Received: n3=0, which makes times = n3 - 1 = -1",
        ),
        (
            ["count", "resnet-50", "--set", "w=0"],
            "layer 1 (conv1): Conv2D: expected a positive integer. Received: w=0 (as filters)",
        ),
        (
            ["count", "lesson-cnn", "--set", "k=0"],
            "layer 1 (conv2d): Conv2D: expected a positive integer. Received: k=0, which makes "
            "kernel_size = (k, k)",
        ),
    ],
)
def test_errors_speak_of_what_the_user_set(args: list[str], message: str) -> None:
    code, output = run(*args)
    assert code == 2 and output == f"Error: {message}\n"


@pytest.mark.parametrize(
    "command", ["formula", "summary", "diff", "scaling", "solve", "sweep", "compare", "explain", "plot"]
)
def test_every_command_states_the_one_rule_for_values(command: str) -> None:
    code, output = run(command, "--help")
    rule = FORMULA_VALUES_RULE if command == "formula" else VALUES_RULE
    assert code == 0 and " ".join(output.split()).count(" ".join(rule.split())) == 1


def test_both_spellings_work_everywhere() -> None:
    # formula varies every symbol unless --defaults; the others fix them unless --no-defaults.
    assert run("formula", "lesson-cnn", "--no-defaults") == run("formula", "lesson-cnn")
    assert run("formula", "lesson-cnn", "--defaults") == (0, "24533\n")
    code, output = run("diff", "lesson-cnn", "--wrt", "f", "--defaults")
    assert (code, output) == run("diff", "lesson-cnn", "--wrt", "f")


@pytest.mark.parametrize("name", sorted(examples()))
def test_every_example_explains_and_expands(name: str) -> None:
    # Repeated blocks are opened on their node's inputs, context tensors included (T5's decoder
    # reads the encoder's output): explain and an expanded summary work on every built-in example.
    for args in (["explain", name], ["summary", name, "--expand", "--width", "100"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)


def test_help_and_output_read_as_unix_tools_do(tmp_path: Path) -> None:
    # Issue 20 item 13.
    import os
    import re

    def flat(text: str) -> str:
        return " ".join(text.split())

    code, listing = run("examples")
    assert code == 0 and max(len(line) for line in listing.splitlines()) <= 100  # the width off a terminal
    assert flat(listing).count("parameters") >= len(examples())  # wrapped, not cut
    code, top = run("--help")
    for name, command in main.commands.items():  # every command's whole first paragraph
        assert flat(command.help.split("\n\n")[0]) in flat(top), name
    assert not any(line.rstrip().endswith("...") for line in top.split("Commands:")[1].splitlines())
    for name in ("count", "diff", "sweep", "solve", "plot", "formula"):
        code, text = run(name, "--help")
        assert "comma-separated" not in text, name  # only summary takes several costs
        assert ("formula varies" in flat(text)) == (name == "formula"), name
    assert "comma-separated" in flat(run("summary", "--help")[1])
    assert "factored" in flat(run("formula", "--help")[1])  # --form has help
    # A closed pipe ends the command quietly, with the status a Unix tool killed by SIGPIPE has.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    writer = subprocess.Popen(
        [sys.executable, "-m", "symcount", "sweep", "lesson-cnn", "--grid", "f=1:20000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert writer.stdout is not None
    first = writer.stdout.readline()
    writer.stdout.close()
    _, errors = writer.communicate(timeout=120)
    assert re.match(rb"\s*f\s+total", first) and errors == b"" and writer.returncode == 141
