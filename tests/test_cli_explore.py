"""The explorer's commands through click's CliRunner: data checked as data, a few golden outputs."""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from symcount import load_spec
from symcount.cli import main

COMMANDS = ["diff", "scaling", "solve", "sweep", "compare", "explain", "plot"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def count(spec: str, **values: int) -> int:
    loaded = load_spec(spec)
    model = loaded.model()
    return model.count(loaded.values_for(model, dict(values)))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    code, output = run(command, "--help")
    assert code == 0 and "Usage:" in output


def test_the_module_imports_no_sympy_and_registers_its_commands() -> None:
    code = (
        "import sys; import symcount.cli_explore; from symcount.cli import main; "
        f"print('sympy' in sys.modules, sorted(set(main.commands) & set({COMMANDS!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"False {sorted(COMMANDS)}"


def test_diff() -> None:
    assert run("diff", "lesson-cnn", "--wrt", "f") == (0, "d total / d f = 18*f + 2363\nat f=10: 2,543\n")
    assert run("diff", "lesson-cnn", "--wrt", "f", "--latex") == (0, "18 f + 2363\n")
    code, output = run("diff", "lesson-cnn", "--wrt", "k", "--json")
    data = json.loads(output)
    # d/dk of C*f*k**2 + f**2*k**2 + ... at C=1, f=10, k=3: 2*k*(C*f + f**2) = 660
    assert code == 0 and data["derivative"] == "220*k" and data["value"] == 660 and data["point"] == {"k": 3}
    assert count("lesson-cnn", k=4) - count("lesson-cnn", k=2) == 2 * 660  # a central difference


def test_scaling_forms() -> None:
    code, output = run("scaling", "lesson-dense", "--together", "h1,h2", "--json")
    data = json.loads(output)
    assert code == 0 and data["degree"] == 2 and data["variable"] == "s"
    assert data["elasticity_at"] == {"exact": "8090/7993", "decimal": 8090 / 7993}
    code, output = run("scaling", "lesson-dense", "--wrt", "h1=s*a, h2=s*b", "--json")
    assert json.loads(output)["elasticity_at"]["exact"] == "8090/7993"
    code, output = run("scaling", "lesson-cnn", "--wrt", "f", "--markdown")
    assert code == 0 and output.startswith("| quantity | value |") and "| degree in f | `2` |" in output
    code, output = run("scaling", "lesson-cnn", "--wrt", "f", "--latex")
    assert code == 0 and output.startswith("\\begin{aligned}") and "\\frac{25430}{24533}" in output


def test_solve() -> None:
    code, output = run("solve", "lesson-dense", "--for", "h1", "--budget", "1e6", "--json")
    data = json.loads(output)
    assert code == 0 and (data["status"], data["value"]) == ("found", 1257)
    assert data["total"] == count("lesson-dense", h1=1257) <= 10**6 < count("lesson-dense", h1=1258)
    code, output = run("solve", "lesson-cnn", "--for", "H", "--budget", "100")  # nothing fits: exit 1
    assert code == 1 and output.startswith("no value of H fits the budget 100: even H = 1 gives 1,853")


def test_solve_when_every_value_fits(tmp_path: Path) -> None:
    spec = tmp_path / "steps.yaml"
    spec.write_text("input: [T, 64]\nvalues: {T: 100}\nlayers:\n  - dense: 8\n")
    assert run("solve", str(spec), "--for", "T", "--budget", "1000") == (
        0,
        "every value of T fits the budget 1,000: the total does not depend on T (it is 520)\n",
    )


def test_sweep_formats_agree_with_count() -> None:
    args = ["sweep", "lesson-cnn", "--grid", "f=4:12:4", "--grid", "H=14,28", "--layers"]
    code, output = run(*args, "--csv")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert (
        code == 0
        and len(rows) == 6
        and list(rows[0]) == ["f", "H", "total", "conv2d", "conv2d_1", "flatten", "dense"]
    )
    for row in rows:
        values = {"f": int(row["f"]), "H": int(row["H"])}
        assert int(row["total"]) == count("lesson-cnn", **values)
        assert sum(int(row[layer]) for layer in ("conv2d", "conv2d_1", "flatten", "dense")) == int(
            row["total"]
        )
    code, output = run(*args, "--json")
    assert [(r["f"], r["H"], r["total"]) for r in json.loads(output)["rows"]] == [
        (int(r["f"]), int(r["H"]), int(r["total"])) for r in rows
    ]
    code, output = run("sweep", "lesson-dense", "--grid", "h1=8:16:8", "--markdown")
    assert output == "| h1 | total |\n|---|---|\n| 8 | 6403 |\n| 16 | 12763 |\n"
    assert run("sweep", "lesson-dense", "--grid", "h1=8:16:8") == (0, "h1   total\n 8   6,403\n16  12,763\n")


def test_sweep_rows_written_in_bulk_are_exact(tmp_path: Path) -> None:
    # More rows than one chunk (65,536), digits written in bulk: every format, every byte as
    # Python writes each count (784 -> w -> w -> 10: w**2 + 796*w + 10 parameters; per layer
    # 785*w, w**2 + w, 10*w + 10), across a chunk boundary and past int64 (w near 2**33).
    spec = tmp_path / "mlp.yaml"
    spec.write_text("name: mlp\ninput: [784]\nlayers:\n  - dense: w\n  - dense: w\n  - dense: 10\n")
    ws = range(1, 70_001)
    code, output = run("sweep", str(spec), "--grid", "w=1:70000", "--csv", "--layers")
    lines = [f"{w},{w * w + 796 * w + 10},{785 * w},{w * w + w},{10 * w + 10}" for w in ws]
    assert code == 0 and output == "w,total,dense,dense_1,dense_2\n" + "\n".join(lines) + "\n"
    code, output = run("sweep", str(spec), "--grid", "w=1:70000", "--json")
    assert code == 0 and json.loads(output)["rows"] == [{"w": w, "total": w * w + 796 * w + 10} for w in ws]
    assert output.endswith('{"w": 70000, "total": 4955720010}\n  ]\n}\n')  # 70000**2 + 796*70000 + 10
    code, output = run("sweep", str(spec), "--grid", "w=3000000000:3000000001", "--markdown")
    big = [w * w + 796 * w + 10 for w in (3_000_000_000, 3_000_000_001)]
    assert code == 0 and output.splitlines()[2:] == [
        f"| {w} | {t} |" for w, t in zip((3_000_000_000, 3_000_000_001), big)
    ]


def test_sweep_stops_where_the_network_does(tmp_path: Path) -> None:
    spec = tmp_path / "valid.yaml"
    spec.write_text(
        "input: [H, H, 1]\nvalues: {H: 28}\nlayers:\n  - conv2d: {filters: 2, kernel_size: 3}\n  - flatten\n  - dense: 1\n"
    )
    result = CliRunner().invoke(main, ["sweep", str(spec), "--grid", "H=1:4"])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "at H=1: layer 1 (conv2d)" in result.output and "kernel 3x3" in result.output
    assert run("sweep", str(spec), "--grid", "H=3:4", "--csv") == (0, "H,total\n3,23\n4,29\n")


def test_sweep_progress_bar_goes_to_stderr() -> None:
    result = CliRunner().invoke(main, ["sweep", "lesson-dense", "--grid", "h1=1:3", "--csv", "--progress"])
    assert result.exit_code == 0 and result.stdout.startswith("h1,total\n1,")
    assert "sweeping" in result.stderr


def test_compare() -> None:
    code, output = run("compare", "lesson-dense", "lesson-cnn", "--json")
    data = json.loads(output)
    assert code == 0 and (data["first"]["total"], data["second"]["total"]) == (7993, 24533)
    assert data["ratio"]["exact"] == "7993/24533" and data["difference"] == -16540
    code, output = run("compare", "lesson-dense-increasing", "lesson-cnn-increasing", "--json")
    data = json.loads(output)
    assert data["first"]["largest"] == "dense" and data["first"]["layers"][1]["name"] == "dense"
    assert data["second"]["largest"] == data["second"]["layers"][-1]["name"]
    code, output = run("compare", "lesson-dense", "lesson-cnn", "--set", "H=32", "--set", "f=4", "--json")
    data = json.loads(output)
    assert data["first"]["total"] == count("lesson-dense", H=32) and data["second"]["total"] == count(
        "lesson-cnn", H=32, f=4
    )
    code, output = run("compare", "lesson-dense", "lesson-cnn", "--markdown")
    assert code == 0 and "| dense (Dense) | 7,850 | 98.2% |" in output
    code, output = run("compare", "lesson-dense", "lesson-cnn", "--latex")
    assert code == 0 and output.count("\\begin{tabular}") == 3


def test_compare_plots_both(tmp_path: Path) -> None:
    path = tmp_path / "both.png"
    code, _ = run(
        "compare", "lesson-dense", "lesson-cnn", "-o", str(path), "--x", "H=8:32:8", "--size", "500x400"
    )
    assert code == 0 and png_size(path) == (500, 400)


def test_explain() -> None:
    code, output = run("explain", "lesson-dense")
    assert code == 0 and output == (
        "lesson-dense\n"
        "  1. flatten (Flatten): 0, it only reshapes 28x28 into 784\n"
        "  2. dense (Dense): 784 inputs x 10 units + 10 biases = 7,850\n"
        "  3. dense_1 (Dense): 10 inputs x 10 units + 10 biases = 110\n"
        "  4. dense_2 (Dense): 10 inputs x 3 units + 3 biases = 33\n"
        "  total: 0 + 7,850 + 110 + 33 = 7,993\n"
    )
    code, output = run("explain", "lesson-cnn", "--json")
    data = json.loads(output)
    assert [layer["params"] for layer in data["layers"]] == [100, 910, 0, 23523] and data["total"] == 24533
    assert data["layers"][0]["weights"][0] == {
        "name": "kernel",
        "shape": [3, 3, 1, 10],
        "size": 90,
        "kind": "trainable",
    }
    code, output = run("explain", "lesson-cnn", "--latex")
    assert code == 0 and "28x28x10" in output and output.startswith("\\begin{tabular}")


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "scaling.png"
    code, output = run(
        "plot",
        "lesson-cnn",
        "--x",
        "f=8:64:8",
        "--y",
        "per-layer",
        "--log",
        "-o",
        str(path),
        "--size",
        "640x480",
    )
    assert code == 0 and output == f"wrote {path} (640x480, 8 points of f)\n"
    assert png_size(path) == (640, 480)
    code, output = run("plot", "lesson-dense", "--x", "h1=1:5", "-o", str(path), "--json")
    data = json.loads(output)
    assert data["series"]["total"] == [count("lesson-dense", h1=h) for h in data["x"]["h1"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "lesson-cnn", "--wrt", "q"], "unknown name 'q' in --wrt; this spec knows: C, H, W, f, k"),
        (["scaling", "lesson-cnn", "--wrt", "f", "--together", "f"], "give one of --wrt"),
        (["scaling", "lesson-dense", "--together", "h1,h2", "--by", "H"], "already a symbol"),
        (["solve", "lesson-cnn", "--for", "f", "--budget", "lots"], "the budget must be a number"),
        (
            ["solve", "lesson-cnn", "--for", "f", "--budget", "1e5", "--set", "f=3"],
            "given by --for and by --set",
        ),
        (["sweep", "lesson-cnn", "--grid", "f=4:1"], "stop must not be below its start"),
        (["sweep", "lesson-cnn", "--grid", "f=1:3", "--csv", "--json"], "choose one output format"),
        (["sweep", "lesson-cnn", "--grid", "f=1:2", "--no-defaults"], "depends on"),
        (["compare", "lesson-dense", "lesson-cnn", "--set", "Q=1"], "unknown name 'Q' in --set"),
        (["compare", "lesson-dense", "lesson-cnn", "--plot", "x.png"], "-o/--output FILE and --x"),
        (["plot", "lesson-cnn", "--x", "f=1:4", "-o", "x.png", "--size", "big"], "--size expects"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    # A mistake in a value is one line; a misuse of options is click's usage error, which ends with one.
    assert result.output.count("\n") == 1 or result.output.startswith("Usage:")


def test_a_huge_grid_streams_and_an_unwritable_plot_is_one_line(tmp_path) -> None:
    from itertools import islice

    from symcount.explore import sweep

    # 10**11 points: the first rows come at once (no axis is materialised). At C=1, k=3, 28x28
    # the total is 9f + 3*784f + 9f^2 + 2f + 3 = 9f^2 + 2363f + 3: 2,375 at f=1, 4,765 at f=2.
    model = load_spec("lesson-cnn").model()
    rows = sweep(model, {"f": range(1, 10**11)}, {"H": 28, "W": 28, "C": 1, "k": 3}).rows()
    assert [row[:2] for row in islice(rows, 2)] == [(1, 2375), (2, 4765)]
    result = CliRunner().invoke(
        main, ["plot", "lesson-cnn", "--x", "f=1:3", "-o", str(tmp_path / "no" / "x.png")]
    )
    assert (
        result.exit_code == 2
        and "cannot write the plot" in result.output
        and "Traceback" not in result.output
    )


@given(st.lists(st.text(max_size=6), min_size=1, max_size=4))
def test_sweep_csv_header_is_what_csv_writes(header: list[str]) -> None:
    # Plain names are joined by commas without the csv module; the rest go through it, after a
    # cell a spreadsheet would run as a formula gets its leading quote (issue 21).
    import contextlib

    from symcount.cli_explore import _SweepWriter
    from symcount.render.tables import csv_text

    expected = io.StringIO()
    csv.writer(expected, lineterminator="\n").writerow([csv_text(name) for name in header])
    written = io.StringIO()
    with contextlib.redirect_stdout(written):
        _SweepWriter(tuple(header), "csv", {}).write([[1]] * len(header))
    assert written.getvalue() == expected.getvalue() + ",".join("1" * len(header)) + "\n"


FAMILY = "name: family\ninput: [n]\nvalues: {n: 8, a: 2, u: 2*a}\nlayers:\n  - dense: u\n  - dense: 3\n"


def test_names_only_the_values_use_are_the_specs_vocabulary_everywhere(tmp_path: Path) -> None:
    # Issue 20 item 2: `a` appears only in `values:` (u: 2*a). Dense u on n inputs and Dense 3:
    # n*u + u + 3*u + 3 = 2*a*n + 8*a + 3, which is 24*a + 3 at n = 8.
    spec = tmp_path / "family.yaml"
    spec.write_text(FAMILY)
    path = str(spec)
    total = [count(path, u=2 * a) for a in (1, 2, 3)]  # through the layers' own symbol
    assert total == [24 * a + 3 for a in (1, 2, 3)]
    code, output = run("sweep", path, "--grid", "a=1:3", "--json")
    assert code == 0 and [row["total"] for row in json.loads(output)["rows"]] == total
    code, output = run("solve", path, "--for", "a", "--budget", str(total[1]), "--json")
    assert code == 0 and json.loads(output)["value"] == 2
    code, output = run("diff", path, "--wrt", "a", "--json")
    assert code == 0 and json.loads(output)["derivative"] == "24" and json.loads(output)["point"] == {"a": 2}
    assert run("formula", path) == (0, "2*a*n + 8*a + 3\n")
    assert run("formula", path, "--set", "a=3") == (0, "6*n + 27\n")
    assert run("formula", path, "--set", "u=3") == (0, "3*n + 15\n")  # u given: a plays no part
    code, output = run("summary", path)
    assert code == 0 and "Values: a=2, n=8, u=4" in output
    code, output = run("plot", path, "--x", "a=1:3", "-o", str(tmp_path / "a.png"))
    assert code == 0, output
