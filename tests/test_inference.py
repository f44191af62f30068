"""`infer`: formulas from counts alone, fitted exactly and checked at fresh sizes.

The pure fit is tested on Python functions whose polynomial is known (hypothesis draws the
coefficients); the framework path on factories whose counts are derived in tests/factories.py.
"""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import symcount
from symcount.cli import main
from symcount.importing.fit import evaluate, fit, monomials
from symcount.importing.points import divides, draw
from symcount.inference import InferenceError, infer_counts
from tests import factories
from tests.frameworks import keras, torch

d, h, L, f, V, k = symcount.symbols("d h L f V k")
FACTORIES = str(Path(__file__).with_name("factories.py"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# The exact fit.


@settings(max_examples=25)
@given(
    st.dictionaries(st.sampled_from(monomials(3, 3)), st.fractions(-50, 50, max_denominator=6), max_size=8)
)
def test_fit_recovers_any_polynomial_of_the_degree(coefficients: dict[tuple[int, ...], Fraction]) -> None:
    coefficients = {e: c for e, c in coefficients.items() if c}
    points = [(x, y, z) for x in range(1, 5) for y in range(1, 5) for z in range(1, 5)]  # 4 values each
    # Integer data only: scale by the common denominator (the fit sees integers, as counts are).
    scale = math.lcm(*(c.denominator for c in coefficients.values()))
    values = [int(evaluate(coefficients, p) * scale) for p in points]
    found = fit(points, {"y": values}, 3)["y"]
    assert found.coefficients == {e: c * scale for e, c in coefficients.items()}


def test_fit_refuses_what_is_not_a_polynomial_of_the_degree() -> None:
    points = [(x,) for x in range(1, 9)]
    result = fit(points, {"y": [2**x for x in range(1, 9)]}, 4)["y"]
    assert result.coefficients is None and result.determined
    too_few = fit(points[:2], {"y": [1, 4]}, 2)["y"]
    assert too_few.coefficients is None and not too_few.determined


@settings(max_examples=30)
@given(st.integers(0, 2**32))
def test_drawn_sizes_keep_the_divisibility_of_the_users_sizes(seed: int) -> None:
    import random

    sizes = {"d": 96, "h": 6, "kv": 3, "V": 1001}
    assert divides(sizes) == {"d": ["h", "kv"], "h": ["kv"]}
    point = draw(sizes, random.Random(seed))
    assert point["d"] % point["h"] == 0 and point["h"] % point["kv"] == 0
    assert (point["d"] // point["h"]) % 16 == 0  # the quotient at the user's point, kept
    assert all(value >= 1 for value in point.values())


# The inference, on counts computed here.


def test_infer_counts_per_group_and_in_total() -> None:
    def measure(s: dict[str, int]) -> tuple[int, dict[str, int], int | None]:
        if s["d"] % s["h"]:  # like a model whose heads must divide the width
            raise ValueError("h must divide d")
        blocks = s["L"] * (4 * s["d"] ** 2 + 4 * s["d"])
        embed = s["V"] * s["d"]
        return blocks + embed, {"blocks": blocks, "embed": embed}, s["L"] * (s["L"] + 1) // 2

    result = infer_counts(measure, {"d": 64, "h": 4, "L": 2, "V": 100})
    assert result.groups == {"blocks": 4 * L * d**2 + 4 * L * d, "embed": V * d}
    assert result.total == 4 * L * d**2 + 4 * L * d + V * d and result.degree == 3
    assert result.buffers == L**2 / 2 + L / 2  # rational coefficients, an integer at every L
    assert len(result.checked) == 3 and all(p["d"] % p["h"] == 0 for p in result.checked)


def test_a_count_that_is_no_polynomial_is_refused() -> None:
    with pytest.raises(InferenceError, match=r"not a polynomial of total degree <= 4 in n \(\d+ builds\)"):
        infer_counts(lambda s: (2 ** s["n"], {}, None), {"n": 5})


def test_the_builds_are_bounded() -> None:
    with pytest.raises(InferenceError, match="more than 20 builds"):
        infer_counts(
            lambda s: (s["a"] ** 3 * s["b"] ** 3, {}, None), {"a": 5, "b": 7}, max_degree=8, max_builds=20
        )


def test_a_factory_failing_at_the_users_sizes() -> None:
    def measure(s: dict[str, int]) -> tuple[int, dict[str, int], int | None]:
        raise RuntimeError("bad width")

    with pytest.raises(InferenceError, match="fails at the given sizes: RuntimeError: bad width"):
        infer_counts(measure, {"d": 3})


@pytest.mark.parametrize("sizes", [{"d": 0}, {"d": True}, {"d": 2.5}, {}])
def test_sizes_are_positive_integers(sizes: dict[str, object]) -> None:
    with pytest.raises(InferenceError):
        infer_counts(lambda s: (1, {}, None), sizes)  # type: ignore[arg-type]


# With the frameworks.


@pytest.mark.frameworks
def test_torch_mlp() -> None:
    torch()
    result = symcount.infer(factories.mlp, d=8, h=16, k=3)
    assert result.framework == "torch"
    assert result.groups == {"0": d * h + h, "2": h * k + k}
    assert result.total == d * h + h + h * k + k and result.buffers == 0


@pytest.mark.frameworks
def test_hugging_face_llama() -> None:
    pytest.importorskip("transformers")
    result = symcount.infer(factories.llama, d=64, L=2, f=128, V=100)
    assert sympy.expand(result.total - d * (4 * L * d + 3 * L * f + 2 * L + 2 * V + 1)) == 0
    assert result.groups == {"model": 4 * L * d**2 + 3 * L * d * f + 2 * L * d + V * d + d, "lm_head": V * d}
    assert result.buffers == d / 4  # the rotary frequencies: head_dim / 2 = d / 8, twice


@pytest.mark.frameworks
def test_keras_sequential() -> None:
    keras()
    result = symcount.infer(factories.keras_mlp, d=8, h=5)
    assert result.framework == "keras"
    assert result.groups == {"hidden": d * h + h, "out": h + 1} and result.buffers is None


@pytest.mark.frameworks
def test_cli_infer_text_and_json() -> None:
    torch()
    code, output = run("infer", f"{FACTORIES}:mlp", "--size", "d=8", "--size", "h=16", "--size", "k=3")
    assert code == 0, output
    assert "total  d*h + h*k + h + k" in output and "exact polynomial of degree 2 in d, h, k" in output
    assert output.count("checked at") == 3
    code, output = run(
        "infer", f"{FACTORIES}:mlp", "--size", "d=8", "--size", "h=16", "--size", "k=3", "--json"
    )
    import json

    data = json.loads(output)
    assert data["total"] == "d*h + h*k + h + k" and data["groups"] == {"0": "d*h + h", "2": "h*k + k"}


@pytest.mark.frameworks
def test_cli_infer_refuses_in_one_line() -> None:
    torch()
    code, output = run("infer", f"{FACTORIES}:exponential", "--size", "k=3", "--degree", "2")
    assert code == 2 and "not a polynomial of total degree <= 2 in k" in output
    assert len(output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", "--size", "d=2"], "expected TARGET as package.module:factory or path/file.py:factory"),
        (["missing.py:f", "--size", "d=2"], "no such file: 'missing.py'"),
        (["symcount.no_such_module:f", "--size", "d=2"], "cannot import 'symcount.no_such_module'"),
        (["symcount.names:nothing", "--size", "d=2"], "has no callable 'nothing'"),
        (["symcount.names:symbol", "--size", "d=0"], "--size expects NAME=VALUE with a positive integer"),
        (["symcount.names:symbol", "--size", "d=2*h"], "Received: 'd=2*h'"),
    ],
)
def test_cli_infer_user_mistakes(args: list[str], message: str) -> None:
    code, output = run("infer", *args)
    assert code == 2 and message in output


def test_help_imports_neither_sympy_nor_torch() -> None:
    code = (
        "import sys; from symcount.cli import main; main(['infer', '--help'], standalone_mode=False); "
        "main(['import', '--help'], standalone_mode=False); "
        "print(sorted(m for m in ('sympy', 'torch', 'keras') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("[]")
