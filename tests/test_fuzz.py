"""The command line against random and mutated input: every case ends in exit 0 or one printable
line with exit 2 (a `solve` that finds nothing: exit 1, saying so), never a traceback or an
internal error, and within a time and memory budget (see docs/security.md).

Specs are the built-in examples, mutated (a value replaced by a hostile one, a key dropped, an
entry doubled) or cut into as text; argument lists are drawn for every command. The number of
cases per test is small for CI; `SYMCOUNT_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py`
fuzzes for longer.
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
