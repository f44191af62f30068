"""Issue 21, hostile input second round: each defect's reproducer, run in-process within a time
and memory budget. Wrong answers, injection into exported formats, internal errors, unclear
errors, and bounded work."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from symcount.cli import main
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
    totals = {k: model.count({"n": 1, "k": k}) for k in range(1, 1200) if k != 5}
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
