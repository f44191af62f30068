"""Bad input never ends in a traceback: random spec entries, with every kind of wrong value, give
a model or a `SymcountError`, and the command line answers with exit code 0 or 2."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import SymcountError, load_spec
from symcount.cli import main
from symcount.costs import COSTS, Measure
from symcount.layers import REGISTRY
from symcount.spec import parse_spec
from tests.checks import within_budget

VALUES = st.sampled_from(
    [0, 1, 2, 3, -1, 2.5, "same", "valid", "causal", "full", "w", "2*w", "w+", None, True, [1, 2], [3],
     [[1, 1], [2, 2]], "relu", "1e6", {}, [], "__import__('os')", "2**10**10"]
)  # fmt: skip
SHAPES = st.sampled_from([[4], [5, 3], [6, 6, 2], [4, 4, 4, 2], ["H", "W", "C"], ["T", "d"]])


@st.composite
def entries(draw: st.DrawFn) -> object:
    key = draw(st.sampled_from(sorted(REGISTRY)))
    names = [f.name for f in dataclasses.fields(REGISTRY[key])]
    chosen = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
    arguments = {name: draw(VALUES) for name in chosen}
    return {key: arguments} if arguments else key


@settings(max_examples=300, deadline=None)
@given(SHAPES, st.lists(entries(), min_size=1, max_size=3))
def test_random_specs_build_or_say_why(shape: list, layers: list) -> None:
    try:
        model = parse_spec({"input": shape, "layers": layers}).model()
        concrete = model.subs({s.name: 3 for s in model.symbols})
        concrete.counts()
        for cost in COSTS:
            Measure(cost).total(concrete)
    except SymcountError as error:
        assert str(error) and "\n" not in str(error)


@settings(max_examples=40, deadline=None)
@given(SHAPES, st.lists(entries(), min_size=1, max_size=2), st.sampled_from(["count", "formula", "summary"]))
def test_the_command_line_answers_0_or_2(tmp_path_factory, shape: list, layers: list, command: str) -> None:
    spec = tmp_path_factory.mktemp("spec") / "net.yaml"
    spec.write_text(json.dumps({"input": shape, "layers": layers}))  # JSON is YAML
    result = CliRunner().invoke(main, [command, str(spec)])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# Every hostile case of issue 11, as a table: the command, the exit code, and a fragment of the
# answer (stdout for exit 0 and 1, the one-line error otherwise). Spec files are written to a
# temporary folder first; `@name` in a command stands for the file `name.yaml` there.


def _bomb(levels: int, width: int, target: str) -> str:
    """A "billion laughs": `levels` anchors of `width` aliases each, under `blocks`, then `target`
    (which refers to the last anchor as *top): width**levels leaves from a few hundred bytes."""
    lines = ["blocks:", f"  l0: &l0 [{', '.join(['x'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines).replace(f"&l{levels - 1}", "&top") + "\n" + target + "\n"


CHAIN = "{g: a**64, a: b**64, b: c**64, c: d**64, d: e**64"
HOSTILE_FILES = {
    "bomb-name": _bomb(9, 9, "name: *top\ninput: [3]\nlayers: [dense: 2]"),
    "bomb-description": _bomb(9, 9, "description: *top\ninput: [3]\nlayers: [dense: 2]"),
    "bomb-outputs": _bomb(9, 9, "outputs: *top\ninput: [3]\nlayers: [dense: 2]"),
    "bomb-values": _bomb(9, 9, "values: {a: *top}\ninput: [3]\nlayers: [dense: 2]"),
    "bomb-layer": _bomb(9, 9, "input: [3]\nlayers: [*top]"),
    "bomb-input": _bomb(6, 10, "input: *top\nlayers: [dense: 2]"),  # 10**6 leaves
    "small-bomb-input": _bomb(5, 10, "input: *top\nlayers: [dense: 2]"),  # 10**5: loads, then refused
    "recursive": "input: &a [3, *a]\nlayers: [dense: 2]\n",
    "self-block": "input: [3]\nblocks: {a: [{repeat: {times: 2, block: a}}]}\nlayers: [{repeat: {times: 2, block: a}}]\n",
    "mutual-blocks": "input: [3]\nblocks: {a: [{repeat: {times: L, block: b}}], b: [{repeat: {times: L, block: a}}]}\n"
    "layers: [{repeat: {times: L, block: a}}]\n",
    # b_i repeats b_(i-1) twice, ten levels deep: 2**10 dense layers if it were built
    "deep-blocks": "input: [d]\nblocks:\n  b0: [dense: d]\n"
    + "".join(
        f"  b{i}: [{{repeat: {{times: 2, block: b{i - 1}}}}}, {{repeat: {{times: 2, block: b{i - 1}}}}}]\n"
        for i in range(1, 10)
    )
    + "layers: [{repeat: {times: 2, block: b9}}]\n",
    "long-file": "input: [3]\nlayers: [dense: 2]\n# " + "x" * 1_000_000 + "\n",
    "huge-file": "input: [3]\nlayers: [dense: 2]\n# " + "x" * 4_000_000 + "\n",
    "many-entries": "input: [d]\nlayers: [" + ", ".join(["dense: d"] * 10_001) + "]\n",
    "chain-values": f"input: [g]\nvalues: {CHAIN}, e: 2}}\nlayers: [dense: 3]\n",
    "chain-symbols": f"input: [g]\nvalues: {CHAIN}}}\nlayers: [dense: 3]\n",
    "repeat-billion": "input: [10]\nlayers: [{repeat: {times: 1000000000, layers: [dense: 5]}}]\n",
    "repeat-shrinking": "input: [H, W, 3]\nlayers: [{repeat: {times: 100000, layers: [{conv2d: [4, 3]}]}}]\n",
    "long-int": "input: [3]\nlayers: [dense: " + "9" * 5000 + "]\n",
    "binary-int": "input: [3]\nlayers: [dense: 0b" + "1" * 100_000 + "]\n",
    "hex-int": "input: [3]\nlayers: [dense: 0x" + "f" * 5000 + "]\n",
    "deep": "input: [3]\nlayers: " + "[" * 5000 + "]" * 5000 + "\n",
    "empty-input": "input: {}\nlayers: [dense: 2]\n",
    "use-list": "input: [3]\nlayers: [{dense: 2, name: a}, {use: [a]}]\n",
    "block-list": "input: [3]\nblocks: {b: [dense: 3]}\nlayers: [{repeat: {times: 2, block: [b]}}]\n",
    "evil-name": 'input: [H]\nlayers: [{dense: 2, name: "evil\\nTraceback (most recent call last):\\n  boom"}]\n',
    "math-names": "input: [math, Fraction, 2]\nlayers: [max_pooling2d: 2, flatten, dense: 3]\n",
    "keyword-names": "input: [lambda, _Dummy_49, 2]\nlayers: [max_pooling2d: 2, flatten, dense: 3]\n",
    # 62 factors of 2**64: 3,968 bits, within the bound on one value; C*f*k**2 is then past 4,300 digits
    "huge-values": "input: [H, W, C]\nvalues: {H: 28, W: 28, C: %s, f: %s, k: %s}\nlayers:\n"
    "  - conv2d: {filters: f, kernel_size: k, padding: same}\n  - flatten\n  - dense: 3\n"
    % ((("*".join(["2**64"] * 62)),) * 3),
}
CHAIN_SETS = [f"--set={name}={value}**64" for name, value in
              [("K", "n1"), ("n1", "n2"), ("n2", "n3"), ("n3", "n4"), ("n4", "C"), ("C", "w")]]  # fmt: skip
WIDE = "h1=(H+W+h2+1)**64"
NESTED = "h1=((H+1)**64+1)**64"
HOSTILE_CASES = [
    # hangs and memory
    *(
        (["count", f"@bomb-{key}"], 2, "an alias bomb")
        for key in ("name", "description", "outputs", "values", "layer", "input")
    ),
    (["count", "@small-bomb-input"], 2, "input: expected sizes"),
    (["count", "@recursive"], 2, "refers to itself"),
    (["count", "resnet-18", *CHAIN_SETS, "--set", "w=2"], 2, "at most 4,096 are allowed"),
    (["count", "@chain-values"], 2, "at most 4,096 are allowed"),
    (["count", "@self-block"], 2, "block 'a' repeats itself: a -> a"),
    (["count", "@mutual-blocks"], 2, "block 'a' repeats itself: a -> b -> a"),
    (["count", "@deep-blocks"], 2, "repeats nest more than 8 deep"),
    (
        ["count", "@long-file"],
        2,
        "a spec file holds at most 1,000,000 characters. Received: 1,000,033",
    ),  # 11 + 19 + 2 + 10**6 + 1
    (["count", "@huge-file"], 2, "huge-file.yaml: a spec file holds at most 1,000,000 characters"),
    (["count", "@many-entries"], 2, "a spec holds at most 10,000 layer entries. Received: 10,001"),
    (["formula", "@chain-symbols", "--defaults"], 2, "degree 4,096; at most 64"),
    (["formula", "lesson-dense", "--set", WIDE], 2, "the value of h1 would have up to 47,905 terms"),
    (["formula", "lesson-dense", "--set", NESTED], 2, "the value of h1 would have degree 4,096"),
    (["formula", "lesson-dense", "--set", NESTED, "--form", "factor"], 2, "degree 4,096"),
    (["scaling", "lesson-dense", "--wrt", "H", "--set", WIDE], 2, "47,905 terms"),
    (["scaling", "lesson-dense", "--wrt", "H", "--set", NESTED], 2, "degree 4,096"),
    (["solve", "lesson-dense", "--for", "H", "--budget", "1e6", "--set", WIDE], 2, "47,905 terms"),
    (["solve", "lesson-dense", "--for", "W", "--budget", "1e6", "--set", NESTED], 2, "degree 4,096"),
    (
        ["formula", "lesson-cnn", "--set", "f=(H+W+C+1)**7", "--set", "k=(H+W+C+1)**7", "--form", "simplify"],
        2,
        "up to 4,495 terms expanded",
    ),
    # 10 -> 5 once, then 5 -> 5 for the other 999,999,999 copies: 55 + 30 * 999,999,999
    (["count", "@repeat-billion"], 0, "30,000,000,025 parameters"),
    (["count", "@repeat-shrinking"], 2, "unrolled copy by copy, up to 1,000 layers and weights"),
    (["plot", "lesson-dense", "--x", "h1=1:10**9", "-o", "/nonexistent/x.png"], 2, "at most 100,000 points"),
    (["plot", "lesson-dense", "--x", "h1=1:10", "-o", "/nonexistent/x.png"], 2, "cannot write the plot"),
    (
        [
            "import",
            "tests/factories.py:mlp",
            "--size",
            "d=8",
            "--size",
            "h=4",
            "--size",
            "k=3",
            "-o",
            "/nonexistent/x.yaml",
        ],
        2,
        "cannot write the spec to '/nonexistent/x.yaml'",
    ),
    (["sweep", "lesson-dense", "--grid", "h1=1:10**9"], 2, "allow more with --max-points"),
    (
        ["compare", "lesson-dense", "lesson-cnn", "--x", "H=1:9", "--plot", "/nonexistent/x.png"],
        2,
        "cannot write",
    ),
    # tracebacks
    (["count", "@long-int"], 2, "an integer at line 2 is too large"),
    (["count", "@binary-int"], 2, "an integer at line 2 is too large"),
    (["count", "@hex-int"], 2, "an integer at line 2 is too large"),
    (["count", "@deep"], 2, "nests deeper than 64 levels"),
    (["count", "@empty-input"], 2, "'input' maps names to shapes, and needs at least one"),
    (["count", "@use-list"], 2, "use names one layer, as text. Received: use=['a']"),
    (["count", "@block-list"], 2, "repeat's block names a block, as text. Received: block=['b']"),
    (["sweep", "@math-names", "--grid", "math=3:5", "--grid", "Fraction=2,4"], 0, "total"),
    (["solve", "@math-names", "--for", "math", "--budget", "1000", "--set", "Fraction=4"], 0, "largest"),
    (["sweep", "@keyword-names", "--grid", "lambda=3:5", "--set", "_Dummy_49=4"], 0, "total"),
    (
        ["solve", "@keyword-names", "--for", "lambda", "--budget", "1000", "--set", "_Dummy_49=4"],
        0,
        "largest",
    ),
    (["sweep", "lesson-cnn", "--grid", "H=2**64:2**64+5", "--layers"], 0, "18,446,744,073,709,551,616"),
    (["solve", "lesson-cnn", "--for", "f", "--budget", "10**64*10**64*10**64*10**64*10**64/7"], 0, "largest"),
    (["solve", "lesson-cnn", "--for", "H", "--budget", "1e6", "--set", "f=max(H,W)"], 2, "cannot tell"),
    (["solve", "lesson-cnn", "--for", "H", "--budget", "100"], 1, "no value of H fits the budget 100"),
    # unclear errors
    (["count", "@evil-name"], 2, "Received: name='evil\\nTraceback (most recent call last):\\n  boom'"),
    (
        ["count", "lesson-cnn", "--wrong"],
        2,
        "No such option '--wrong'. (Did you mean one of: '--json', '--zero'?) (see symcount count --help)",
    ),
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, text in HOSTILE_FILES.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def invoke(args: list[str], folder: Path | None = None) -> Result:
    """Run the command line in-process, within a time and memory budget."""
    if folder is not None:
        args = [str(folder / f"{arg[1:]}.yaml") if arg.startswith("@") else arg for arg in args]
    with within_budget(seconds=30, megabytes=1024):
        return CliRunner().invoke(main, args)


@pytest.mark.parametrize(("args", "code", "fragment"), HOSTILE_CASES, ids=lambda c: str(c)[:60])
def test_every_hostile_case_of_issue_11(hostile: Path, args: list[str], code: int, fragment: str) -> None:
    result = invoke(args, hostile)
    assert result.exit_code == code, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if code == 2:
        assert result.stdout == "" and result.stderr.count("\n") == 1 and result.stderr.isascii()
        assert fragment in result.stderr and len(result.stderr) < 2100, result.stderr
    else:
        assert fragment in result.stdout and result.stderr == ""


def test_counts_past_4300_digits_print_in_every_form(hostile: Path) -> None:
    spec = str(hostile / "huge-values.yaml")
    C = f = k = 2 ** (64 * 62)
    total = C * f * k**2 + f + 3 * 28 * 28 * f + 3  # conv2d (C -> f, k x k, same) + dense(3) on 28x28xf
    assert total.bit_length() > 4300 * 3.33  # more than Python's 4,300 digits (str would refuse it)
    digits = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        expected = (f"{total:,}", str(total))
    finally:
        sys.set_int_max_str_digits(digits)
    for args in (
        ["count", spec],
        ["count", spec, "--json"],
        ["summary", spec],
        ["explain", spec],
        ["summary", spec, "--json"],
        ["compare", spec, "lesson-cnn"],
        ["sweep", spec, "--grid", "H=28:29"],
        ["sweep", spec, "--grid", "H=28", "--json"],
    ):
        result = invoke(args)
        assert result.exit_code == 0, (args, result.output)
        assert expected[0] in result.stdout or expected[1] in result.stdout, args


def test_solve_finds_the_true_largest_value_or_says_it_is_beyond(monkeypatch: pytest.MonkeyPatch) -> None:
    from symcount.explore import budget

    # lesson-dense at its defaults: 785*h1 + 14*h2 + h1*h2 + 4*... ; 1e100 is far past 2**256.
    result = invoke(["solve", "lesson-dense", "--for", "h1", "--budget", "1e100", "--json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and data["status"] == "found" and data["value"] > 2**256
    assert data["total"] <= 10**100 < data["next_total"]
    assert data["total"] == count("lesson-dense", h1=data["value"])
    monkeypatch.setattr(budget, "_search_limit", lambda _: 2**20)  # a search range too short
    result = invoke(["solve", "lesson-dense", "--for", "h1", "--budget", "1e100"])
    assert (
        result.exit_code == 1
        and "is beyond the search range: the search ends at h1 = 1,048,576" in result.stdout
    )


def test_json_never_holds_infinity() -> None:
    budget = "*".join(["10**60"] * 6) + "/7"  # 1.4e359: past a float
    result = invoke(["solve", "lesson-dense", "--for", "h1", "--budget", budget, "--json"])
    assert result.exit_code == 0

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON")

    data = json.loads(result.stdout, parse_constant=refuse)
    assert data["budget"]["decimal"] == "1.428571428571429e+359"
    assert data["real_solution"].endswith("e+356")


def test_an_unexpected_error_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    from symcount import model

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(model.Model, "counts", broken)
    result = invoke(["count", "lesson-cnn"])
    assert result.exit_code == 1 and result.stderr == (
        "Error: count: internal error, please report (SYMCOUNT_DEBUG=1 shows the traceback): "
        "KeyError: 'a bug'\n"
    )
    monkeypatch.setenv("SYMCOUNT_DEBUG", "1")
    result = invoke(["count", "lesson-cnn"])
    assert isinstance(result.exception, KeyError)


@pytest.mark.parametrize("args", [["count", "lesson-cnn"], ["sweep", "lesson-cnn", "--grid", "H=1:3000"]])
def test_a_full_stdout_is_one_line(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "symcount", *args], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert result.returncode == 1
    assert result.stderr == f"Error: {args[0]}: cannot write the output: No space left on device\n"


def count(spec: str, **values: int) -> int:
    loaded = load_spec(spec)
    model = loaded.model()
    return model.count(loaded.values_for(model, dict(values)))
