"""The command line against random and mutated input: every case ends in exit 0 or one printable
line with exit 2 (a `solve` that finds nothing: exit 1, saying so), never a traceback or an
internal error, and within a time and memory budget (see docs/security.md).

Specs are the built-in examples, mutated (a value replaced by a hostile one, a key dropped, an
entry doubled) or cut into as text, and specs built from the newer surfaces (blocks with
arguments, mixtures of experts, repeats that grow or nest, layer names that are markup or
formulas), rendered in every output format; argument lists are drawn for every command, and
import targets that fail in every way. The number of cases per test is small for CI;
`SYMCOUNT_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py` fuzzes for longer.
"""

from __future__ import annotations

import copy
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcount.cli import main
from tests.checks import within_budget

EXAMPLES = int(os.environ.get("SYMCOUNT_FUZZ_EXAMPLES", "30"))
FUZZ = settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))

SPECS = {
    item.name[: -len(".yaml")]: item.read_text(encoding="utf-8")
    for item in (resources.files("symcount") / "examples").iterdir()
    if item.name.endswith(".yaml")
}
SMALL_SPECS = ["lesson-dense", "lesson-cnn", "lesson-cnn-increasing", "lenet-5", "gpt2", "resnet-18"]

# Values a careless or hostile user might put anywhere.
HOSTILE = [
    None, True, False, 0, -1, 1, 3, 2.5, 1e300, -1e-300, float("inf"), 10**120, "", " ", "x" * 3000,
    "evil\nTraceback (most recent call last):", "\x1b[31mred", "2**10**10", "((H+1)**64+1)**64",
    "(H+W+C+f+k+1)**64", "9" * 200, "1e400", "__import__('os').system('true')", "max(H, W)",
    "floor(H/0)", "1/0", "H/3", "-H", "H**-64", "same", "valid", "relu", "input", "repeat", "use",
    {}, [], [[[]]], {"a": 1}, {"times": 2}, {"repeat": {"times": 10**9, "layers": ["flatten"]}},
    {"use": ["a"]}, [{"dense": 2}] * 3, {"dense": "2**64"}, {"conv2d": ["f", "2**60"]},
    # a block used inside itself (where the mutation lands in one), or repeated a billion times
    *({"repeat": {"times": times, "block": block}} for times in (2, 10**9, "L")
      for block in ("block", "basic2", "bottleneck1", "encoder_block", "residual2")),
    {"g": "a**64", "a": "b**64", "b": "c**64", "c": "2**60"},  # a chain of values
]  # fmt: skip
EXPRESSIONS = [
    "1", "3", "16", "0", "-2", "2.5", "1e6", "2**64", "2**64*2**64*2**64", "10**64*10**64/7", "f",
    "2*k", "k+1", "H/2", "max(H,W)", "min(H,3)", "floor(H/3)", "(H+1)**64", "(H+W+h2+1)**64",
    "((H+1)**64+1)**64", "n1**64", "w**64", "x" * 70, "1/0", "(", "2^3", "__import__('os')", "",
]  # fmt: skip
NAMES = [
    "H",
    "W",
    "C",
    "f",
    "k",
    "h1",
    "h2",
    "d",
    "L",
    "T",
    "V",
    "B",
    "n1",
    "w",
    "K",
    "math",
    "lambda",
    "x" * 70,
]


def paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in nested data: the keys from the root down."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*path, index))
    return found


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    data = yaml.safe_load(SPECS[draw(st.sampled_from(sorted(SPECS)))])
    for _ in range(draw(st.integers(1, 3))):
        places = paths(data)
        path = draw(st.sampled_from(places[1:] or places))
        if not path:
            data = draw(st.sampled_from(HOSTILE))
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        operation = draw(st.sampled_from(["replace", "replace", "delete", "double", "wrap"]))
        if operation == "replace":
            parent[key] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        elif operation == "delete":
            del parent[key]
        elif operation == "double" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[key] = [parent[key]]
    return data


def run(args: list[str]) -> Result:
    with within_budget(seconds=30, megabytes=1024):
        return CliRunner().invoke(main, args)


def check(result: Result, args: list[str]) -> None:
    """Exit 0, or one printable line and exit 2; `solve` may exit 1 when it says why."""
    where = f"symcount {' '.join(args)[:300]!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (where, result.exception)
    # (a user's text may say "Traceback" inside a quoted, escaped value: a traceback starts a line)
    assert not any(line.startswith("Traceback") for line in result.output.splitlines()), (
        where,
        result.output,
    )
    assert "internal error, please report" not in result.stderr, (where, result.stderr)
    if result.exit_code == 1 and args[0] == "solve":
        assert result.stdout.startswith("no value of") or "beyond the search range" in result.stdout, where
        return
    assert result.exit_code in (0, 2), (where, result.exit_code, result.output[-500:])
    if result.exit_code == 2:
        line = result.stderr
        assert line.startswith("Error: ") and line.endswith("\n") and line.count("\n") == 1, (where, line)
        assert line[:-1].isprintable() and len(line) <= 2100, (where, line[:300])


SPEC_COMMANDS = [
    ["count"], ["count", "--json"], ["formula"], ["formula", "--form", "factor"], ["summary"],
    ["summary", "--json"], ["explain"], ["show"], ["count", "--cost", "flops"],
]  # fmt: skip

# Every output format of the commands that print a model's names (see docs/security.md).
FORMAT_COMMANDS = [
    ["summary", "--markdown"], ["summary", "--latex"], ["summary", "--json"], ["summary", "--depth", "2"], ["summary", "--expand", "--markdown"],
    ["explain", "--markdown"], ["explain", "--latex"], ["explain", "--json"],
    ["compare", "@", "--markdown"], ["compare", "@", "--latex"], ["compare", "@"],
    ["sweep", "--grid", "w=1:3", "--layers", "--csv"], ["sweep", "--grid", "w=1:3", "--layers", "--markdown"],
    ["sweep", "--grid", "w=1:3", "--layers", "--json"], ["scaling", "--wrt", "w", "--markdown"],
    ["solve", "--for", "w", "--budget", "1e6"], ["plot", "--x", "w=1:4", "--y", "per-layer", "-o", "@png"],
]  # fmt: skip
# Layer names a hostile spec may give: markup, formulas, TeX, mathtext (and ordinary ones).
LABELS = [
    "dense", "a|b", "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "$\\href{javascript:alert(1)}{x}$",
    "\\(x\\)", "x\\[9999pt]", "$x^$", "$\\undefinedcommand$", "%comment", "a&b#c_d{e}~^", "`code`",
]  # fmt: skip
SIZES = ["w", "2*w", "w+1", "w-2", "3", "0", "-1", "w/2", "2**64", "n", "E", "2*E", "k", "w**64"]


@st.composite
def surface_specs(draw: st.DrawFn) -> Any:
    """A spec on the newer surfaces: blocks with arguments (given, missing, unknown or hostile),
    mixtures of experts (top_k past num_experts at times), repeats that keep, grow or change
    their input's shape, inline repeats nested, and names drawn from `LABELS`."""

    def size() -> Any:  # mostly sizes that may work, at times a hostile value
        return draw(st.sampled_from(SIZES if draw(st.integers(0, 3)) else HOSTILE[:12]))

    def name() -> dict[str, Any]:
        return {"name": draw(st.sampled_from(LABELS))} if draw(st.booleans()) else {}

    blocks = {
        "arg": {"args": ["c"], "layers": [{"dense": "c"}, {"dense": "w"}]},
        "grow": [
            {"dense": draw(st.sampled_from(["2", "k", "w"]))},
            {"concatenate": {}, "inputs": ["input", -1]},
        ],
        "keep": [{"dense": "w"}],
    }
    blocks["grow"][1]["inputs"] = ["input", "grown"]
    blocks["grow"][0]["name"] = "grown"
    pieces: list[Any] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["dense", "block", "moe", "repeat", "nested", "grow"]))
        if kind == "dense":
            pieces.append({"dense": size(), **name()})
        elif kind == "block":
            given = draw(st.sampled_from([{"c": size()}, {}, {"c": 2, "z": 1}, size()]))
            pieces.append({"block": "arg", "with": given, **name()})
        elif kind == "moe":
            arguments = {"num_experts": size(), "top_k": size(), "block": "keep"}
            pieces.append({"mixture_of_experts": arguments, **name()})
        elif kind == "repeat":
            pieces.append(
                {"repeat": {"times": size(), "block": draw(st.sampled_from(sorted(blocks)))}, **name()}
            )
        elif kind == "grow":
            pieces.append({"repeat": {"times": size(), "block": "grow"}, **name()})
        else:
            inner: Any = [{"dense": "w"}]
            for _ in range(draw(st.integers(1, 10))):
                inner = [{"repeat": {"times": draw(st.sampled_from([1, 2, "n"])), "layers": inner}}]
            pieces.append(inner[0])
    values = {"w": draw(st.sampled_from([4, 8, "n+1"])), "n": 2, "E": 4, "k": 2}
    return {
        "name": draw(st.sampled_from(LABELS)),
        "input": ["w"],
        "blocks": blocks,
        "values": values,
        "layers": pieces,
    }


def check_format(result: Result, args: list[str]) -> None:
    """What each output format must never hold from a name: a CSV cell a spreadsheet runs, raw
    HTML or a link in Markdown, a LaTeX row break."""
    import csv
    import io
    import re

    if result.exit_code != 0:
        return
    if "--csv" in args:
        for row in csv.reader(io.StringIO(result.stdout)):
            assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row), (args, row)
    elif "--markdown" in args:
        assert not re.search(r"(?<!\\)<(script|img)|(?<!\\)\]\(javascript", result.stdout), args
    elif "--latex" in args:
        assert "\\\\[" not in result.stdout and "\\\\\\#" not in result.stdout, args


@FUZZ
@given(mutated_specs(), st.sampled_from(SPEC_COMMANDS))
def test_mutated_specs_get_an_answer_or_one_line(
    tmp_path_factory: pytest.TempPathFactory, data: Any, command: list[str]
) -> None:
    spec = tmp_path_factory.mktemp("fuzz") / "spec.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True))
    args = [command[0], str(spec), *command[1:]]
    check(run(args), args)


@FUZZ
@given(
    st.sampled_from(sorted(SPECS)),
    st.integers(0, 10_000),
    st.integers(0, 200),
    st.text(alphabet="&*[]{}:,-!|>'\"#%@`?\n\t 0123456789abcxyzHW.=+/^_", max_size=40),
    st.sampled_from(SPEC_COMMANDS),
)
def test_specs_cut_into_as_text_get_an_answer_or_one_line(
    tmp_path_factory: pytest.TempPathFactory, name: str, at: int, cut: int, text: str, command: list[str]
) -> None:
    original = SPECS[name]
    at %= len(original) + 1
    spec = tmp_path_factory.mktemp("fuzz") / "spec.yaml"
    spec.write_text(original[:at] + text + original[at + cut :])
    args = [command[0], str(spec), *command[1:]]
    check(run(args), args)


def _option(draw: st.DrawFn, option: str, pool: list[str]) -> list[str]:
    return [option, draw(st.sampled_from(pool))]


@st.composite
def argument_lists(draw: st.DrawFn, folder: Path) -> list[str]:
    """A command and a few of its options, each with a value that is sometimes right."""
    spec = draw(st.sampled_from([*SMALL_SPECS, "no-such-spec", str(folder)]))
    name = draw(st.sampled_from(NAMES))
    value = draw(st.sampled_from(EXPRESSIONS))
    grid = f"{name}={draw(st.sampled_from(['1:4', '2:64:8', '1,2,3', '4:1', '1:10**9', '2**64:2**64+2', 'x', '1']))}"
    options: dict[str, list[str]] = {
        "count": [], "formula": [], "summary": [], "explain": [], "show": [],
        "diff": ["--wrt", name], "scaling": ["--wrt", name], "solve": ["--for", name, "--budget", value],
        "sweep": ["--grid", grid], "plot": ["--x", grid, "-o", str(folder / "plot.png")],
        "compare": [draw(st.sampled_from(SMALL_SPECS))], "examples": [], "layers": [],
    }  # fmt: skip
    command = draw(st.sampled_from(sorted(options)))
    args = [command] if command in ("examples", "layers") else [command, spec, *options[command]]
    for _ in range(draw(st.integers(0, 3))):
        extra = draw(
            st.sampled_from(
                [
                    ["--set", f"{draw(st.sampled_from(NAMES))}={draw(st.sampled_from(EXPRESSIONS))}"],
                    ["--set", draw(st.sampled_from(EXPRESSIONS))],
                    ["--cost", draw(st.sampled_from(["params", "macs", "flops", "training-memory", "bogus"]))],
                    ["--batch", draw(st.sampled_from(["B", "32", "0", "2**64", "-1"]))],
                    ["--form", draw(st.sampled_from(["expand", "factor", "simplify", "built", "bogus"]))],
                    ["--json"], ["--markdown"], ["--latex"], ["--csv"], ["--layers"], ["--no-defaults"],
                    ["--defaults"], ["--extras"], ["--log"], ["--max-points", "10"],
                    [draw(st.sampled_from(["--", "-", "--set", "--bogus", "\x00", "é"]))],
                ]
            )
        )  # fmt: skip
        args += extra
    return args


@FUZZ
@given(st.data())
def test_random_argument_lists_for_every_command(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    args = data.draw(argument_lists(folder))
    check(run(args), args)


@FUZZ
@given(surface_specs(), st.sampled_from([*SPEC_COMMANDS, *FORMAT_COMMANDS]))
def test_specs_on_the_new_surfaces_in_every_format_get_an_answer_or_one_line(
    tmp_path_factory: pytest.TempPathFactory, data: Any, command: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    spec = folder / "spec.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    rest = [str(spec) if a == "@" else str(folder / "p.png") if a == "@png" else a for a in command[1:]]
    args = [command[0], str(spec), *rest]
    result = run(args)
    check(result, args)
    check_format(result, args)


# Import targets: the user's code, failing at import, at build or never returning.
TARGETS = {
    "ok": "import torch\ndef f(d=2, **k):\n    return torch.nn.Sequential(torch.nn.Linear(d, d), torch.nn.ReLU())\n",
    "syntax": "def f(:\n",
    "raises-at-import": "raise RuntimeError('evil\\nTraceback (most recent call last):')\n",
    "exits-at-import": "import sys\nsys.exit(0)\n",
    "missing-import": "import no_such_module_anywhere\n",
    "raises": "def f(**k):\n    raise ValueError('bad\\n  File x, line 1\\nboom')\n",
    "exits": "import sys\ndef f(**k):\n    sys.exit(3)\n",
    "not-a-model": "def f(**k):\n    return 42\n",
    "forever": "import time\ndef f(**k):\n    while True:\n        time.sleep(0.01)\n",
}


@settings(max_examples=max(EXAMPLES // 3, 5), suppress_health_check=list(HealthCheck), deadline=None)
@given(
    st.sampled_from(["import", "infer"]),
    st.sampled_from(sorted(TARGETS)),
    st.sampled_from(["f", "g", "not an identifier"]),
    st.lists(st.sampled_from(["d=2", "d=0", "k=3", "d=2**3", "x"]), max_size=2),
    st.sampled_from([["--timeout", "1"], ["--timeout", "-1"], []]),
)
def test_import_targets_that_fail_are_one_line(
    tmp_path_factory: pytest.TempPathFactory,
    command: str,
    target: str,
    factory: str,
    sizes: list[str],
    extra: list[str],
) -> None:
    pytest.importorskip("torch")
    path = tmp_path_factory.mktemp("fuzz") / f"{target}.py"
    path.write_text(TARGETS[target])
    timeout = extra or (["--timeout", "1"] if target == "forever" else [])
    args = [command, f"{path}:{factory}", *(a for size in sizes for a in ("--size", size)), *timeout]
    check(run(args), args)
