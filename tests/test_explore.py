"""The explorer's laws: derivatives, growth, budgets, sweeps, comparisons and explanations.

Every law is checked against `model.count`, the fold itself, never against the formula it came from.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcount import (
    BatchNormalization,
    Conv2D,
    Dense,
    Flatten,
    Input,
    MaxPooling2D,
    Sequential,
    SymcountError,
    load_spec,
    symbols,
)
from symcount.explore import (
    compare,
    diff,
    explain,
    parse_grid,
    parse_scaling,
    scaling,
    solve_budget,
    sweep,
)
from symcount.model import Model

H, W, C, f, k, s, T = symbols("H W C f k s T")


def lesson(name: str) -> tuple[Model, dict[str, Any]]:
    spec = load_spec(name)
    model = spec.model()
    return model, spec.values_for(model, {})


def strided() -> tuple[Model, dict[str, Any]]:
    """A network whose count has floors: a strided valid convolution, pooling, a dense readout."""
    model = Sequential(Input(H, H, C), Conv2D(f, k, strides=s), MaxPooling2D(2), Flatten(), Dense(10))
    return model, {"H": 28, "C": 4, "f": 8, "k": 3, "s": 2}


# Derivatives.


def test_diff_of_the_lesson_cnn() -> None:
    model, values = lesson("lesson-cnn")
    result = diff(model, "f", values)
    assert result.derivative == 18 * f + 2363 and result.value == 2543 and not result.smoothed
    general = diff(model, "f")
    assert general.derivative == C * k**2 + 3 * H * W + 2 * f * k**2 + 2 and general.value is None


# Random same-padding CNNs: every symbol appears at most squared in the total, so a central
# difference of exact counts with step 1 equals the derivative exactly.
cnns = st.tuples(
    st.lists(st.integers(2, 6), min_size=1, max_size=3),  # filters of each convolution
    st.lists(st.integers(2, 9), min_size=1, max_size=3),  # units of each dense layer
    st.integers(2, 12),
    st.integers(2, 5),
    st.integers(2, 4),
)


def cnn(filters: list[int], units: list[int]) -> tuple[Model, list[str]]:
    layers: list[Any] = [Conv2D(symbols(f"f{i}")[0], k, padding="same") for i in range(len(filters))]
    layers += [Flatten(), *(Dense(symbols(f"u{j}")[0]) for j in range(len(units)))]
    names = [f"f{i}" for i in range(len(filters))] + [f"u{j}" for j in range(len(units))]
    return Sequential(Input(H, W, C), *layers), names


@given(cnns, st.data())
def test_derivative_equals_the_central_difference_of_counts(network: tuple, data: st.DataObject) -> None:
    filters, units, size, kernel, channels = network
    model, names = cnn(filters, units)
    values = {"H": size, "W": size + 1, "C": channels, "k": kernel, **dict(zip(names, filters + units))}
    wrt = data.draw(st.sampled_from(["H", "W", "C", "k", *names]))
    result = diff(model, wrt, values)
    above = model.count({**values, wrt: values[wrt] + 1})
    below = model.count({**values, wrt: values[wrt] - 1})
    assert 2 * result.value == above - below
    # The law of sums: the total's derivative is the sum of the rows' derivatives.
    rows = sympy.Add(*(sympy.diff(row.params, symbols(wrt)[0]) for row in model.rows))
    assert sympy.expand(rows - sympy.diff(model.params, symbols(wrt)[0])) == 0


# Growth.


def test_scaling_one_symbol() -> None:
    model, values = lesson("lesson-cnn")
    report = scaling(model, "f", values)
    assert (report.degree, report.leading_term) == (2, 9 * f**2)
    assert report.order == sympy.Order(f**2, (f, sympy.oo))
    n, n_plus = model.count(values), model.count({**values, "f": 11})
    assert report.total_at == n == 24533
    # exact: f * N'(f) / N at f = 10, with N'(10) = 18*10 + 2363
    assert report.elasticity_at == sympy.Rational(10 * 2543, 24533) and report.elasticity_at.is_Rational
    assert n_plus > n and report.elasticity_limit == 2


def test_scaling_together_is_eulers_sum_of_elasticities() -> None:
    model, values = lesson("lesson-dense")
    together = scaling(model, ["h1", "h2"], values)
    assert together.variable == "s" and together.degree == 2
    assert together.point == {"s": 1, "h1": 10, "h2": 10}
    parts = [scaling(model, name, values).elasticity_at for name in ("h1", "h2")]
    assert together.elasticity_at == sum(parts)  # d log N / d log s at s = 1
    explicit = scaling(model, {"h1": "s*a", "h2": "s*b"}, values)
    assert explicit.elasticity_at == together.elasticity_at
    assert explicit.point == {"s": 1, "a": 10, "b": 10}
    assert explicit.leading_term == symbols("a b")[0] * symbols("a b")[1] * symbols("s")[0] ** 2
    assert parse_scaling("w=s*w0, h=max(s, 2)*h0") == {"w": "s*w0", "h": "max(s, 2)*h0"}


def test_scaling_refuses_a_factor_the_model_already_has() -> None:
    model, values = strided()
    with pytest.raises(SymcountError, match="already a symbol"):
        scaling(model, ["f"], values, by="s")
    with pytest.raises(SymcountError, match="does not mention"):
        scaling(model, {"f": "2*f"}, values, by="t")


def test_scaling_through_floors_is_asymptotic() -> None:
    model, values = strided()
    report = scaling(model, "H", values)
    assert report.smoothed and report.degree == 2 and report.leading_term == 5 * H**2


# Budgets.


def test_solve_the_lesson_dense_net_within_a_million() -> None:
    model, values = lesson("lesson-dense")
    found = solve_budget(model, "h1", "1e6", values)
    assert (found.status, found.value, found.method) == ("found", 1257, "exact")
    assert found.total == model.count({**values, "h1": 1257}) <= 10**6 < model.count({**values, "h1": 1258})
    assert found.next_total == model.count({**values, "h1": 1258})


def test_solve_when_nothing_fits_or_everything_does() -> None:
    model, values = lesson("lesson-cnn")
    none = solve_budget(model, "f", 1000, values)
    assert (
        none.status == "none"
        and none.value is None
        and none.smallest_total == model.count({**values, "f": 1})
    )
    constant = Sequential(Input(T, 64), Dense(8))  # T steps share one kernel: the total ignores T
    every = solve_budget(constant, "T", 1000)
    assert (every.status, every.value, every.total) == ("unbounded", 1, 520)


def test_solve_past_int64() -> None:
    model, values = lesson("lesson-dense")
    found = solve_budget(model, "h1", 10**30, values)
    assert found.total == model.count({**values, "h1": found.value}) <= 10**30 < found.next_total


def brute(model: Model, values: dict[str, Any], name: str, budget: int, top: int) -> int | None:
    best = None
    for n in range(1, top + 1):
        try:
            if model.count({**values, name: n}) <= budget:
                best = n
        except SymcountError:
            pass
    return best


@pytest.mark.parametrize(
    ("name", "top"),
    [("k", 40), ("s", 40), ("H", 120), ("f", 60)],  # k and s end the valid sizes; H and f grow
)
def test_solve_is_maximal_on_a_strided_network(name: str, top: int) -> None:
    model, values = strided()
    counts = sorted(
        {model.count({**values, name: n}) for n in range(1, 20) if _valid(model, values, name, n)}
    )
    for budget in [counts[0] - 1, *counts[:6], counts[-1] + 5]:
        found = solve_budget(model, name, budget, values)
        expected = brute(model, values, name, budget, top)
        if found.status == "found" and found.value is not None and found.value < top:
            assert found.value == expected, budget
            assert found.next_total is None or found.next_total > budget
        elif found.status == "none":
            assert expected is None


def _valid(model: Model, values: dict[str, Any], name: str, n: int) -> bool:
    try:
        model.count({**values, name: n})
        return True
    except SymcountError:
        return False


@given(st.integers(1, 10**7), st.sampled_from(["f", "H", "k"]))
def test_solve_answer_fits_and_the_next_does_not(budget: int, name: str) -> None:
    model, values = lesson("lesson-cnn")
    found = solve_budget(model, name, budget, values)
    if found.status == "found":
        assert found.value is not None
        assert (
            model.count({**values, name: found.value})
            <= budget
            < model.count({**values, name: found.value + 1})
        )
    else:
        assert found.status == "none" and model.count({**values, name: 1}) > budget


def test_solve_steps_over_values_a_rule_refuses() -> None:
    model = Sequential(Input(8, 8, 4), Conv2D(f, 3, groups=2), Flatten(), Dense(3))  # f must be even
    found = solve_budget(model, "f", 3000)
    assert found.value is not None and found.value % 2 == 0
    assert brute(model, {}, "f", 3000, 60) == found.value


# Sweeps.


@pytest.mark.parametrize(
    ("text", "name", "values"),
    [
        ("w=8:1024:8", "w", range(8, 1025, 8)),
        ("w=8:20:8", "w", range(8, 21, 8)),  # 20 is not on the grid: 8, 16
        ("L=1:48", "L", range(1, 49)),
        ("f=8,16, 32", "f", (8, 16, 32)),
        ("k=3", "k", (3,)),
        ("n=2**10:2**10", "n", range(1024, 1025)),
    ],
)
def test_parse_grid(text: str, name: str, values: Any) -> None:
    assert parse_grid(text) == (name, values)


@pytest.mark.parametrize("text", ["w", "w=", "w=0:4", "w=4:2", "w=1:2:3:4", "w=1:4:0", "2w=1:3", "w=a:3"])
def test_parse_grid_refuses(text: str) -> None:
    with pytest.raises(SymcountError):
        parse_grid(text)


def test_sweep_equals_count_with_every_layer() -> None:
    model, values = lesson("lesson-cnn")
    result = sweep(
        model,
        {"f": range(1, 40, 3), "H": [7, 28]},
        {k: v for k, v in values.items() if k != "f"},
        layers=True,
    )
    assert result.header == ("f", "H", "total", "conv2d", "conv2d_1", "flatten", "dense")
    for f_value, h_value, total, *rows in result.rows():
        point = {**values, "f": f_value, "H": h_value}
        assert total == model.count(point)
        assert rows == [int(row.params) for row in model.subs(point).rows]


def test_sweep_is_exact_past_int64_and_fast_below() -> None:
    model, values = lesson("lesson-dense")
    small = sweep(model, {"h1": range(1, 100)}, values)
    assert small.evaluator is not None and small.evaluator.outputs.fast == [0]  # numpy int64
    big_values = [2**40, 2**40 + 1]
    big = sweep(model, {"h1": big_values, "h2": big_values}, values)
    assert big.evaluator is not None and big.evaluator.outputs.slow == [0]  # exact Python ints
    for h1, h2, total in big.rows():
        assert total == model.count({**values, "h1": h1, "h2": h2}) and total > 2**63 and type(total) is int


def test_sweep_streams_in_chunks() -> None:
    model, values = lesson("lesson-dense")
    result = sweep(model, {"h1": range(1, 11), "h2": range(1, 11)}, values, chunk_size=7)
    chunks = result.chunks()
    first = next(chunks)
    assert len(first) == 7 and first[0] == (1, 1, model.count({**values, "h1": 1, "h2": 1}))
    assert sum(len(chunk) for chunk in chunks) == 93 and result.size == 100


grids = st.tuples(
    st.lists(st.integers(1, 40), min_size=1, max_size=5, unique=True),
    st.lists(st.integers(1, 9), min_size=1, max_size=3, unique=True),
    st.sampled_from(["H", "f", "k", "s", "C"]),
)


@given(grids)
def test_sweep_equals_count_at_every_grid_point(grid: tuple) -> None:
    sizes, others, other_name = grid
    model, values = strided()
    axes = {"H": sizes, other_name: others} if other_name != "H" else {"H": sizes}
    fixed = {name: value for name, value in values.items() if name not in axes}
    expected = {}
    refused = False
    for h_value in sizes:
        for other in axes.get(other_name, [None]) if other_name != "H" else [None]:
            point = {**fixed, "H": h_value, **({other_name: other} if other is not None else {})}
            try:
                expected[(h_value, other)] = model.count(point)
            except SymcountError:
                refused = True
    if refused:  # the model refuses some point: so does the sweep, naming it
        with pytest.raises(SymcountError, match="at H="):
            list(sweep(model, axes, fixed).rows())
        return
    for row in sweep(model, axes, fixed).rows():
        key = (row[0], row[1]) if other_name != "H" else (row[0], None)
        assert row[-1] == expected[key]


def test_sweep_refuses_unknown_and_missing_symbols() -> None:
    model, values = lesson("lesson-dense")
    with pytest.raises(
        SymcountError, match="unknown name 'x' in the explorer; the model knows: H, W, h1, h2"
    ):
        sweep(model, {"x": [1]}, values)
    with pytest.raises(SymcountError, match="depends on h2"):
        sweep(model, {"h1": [1]}, {"H": 28, "W": 28})


# Comparisons: the lesson's claims as checks.


def test_convolutions_do_not_necessarily_reduce_parameters() -> None:
    dense, dense_values = lesson("lesson-dense")
    cnn_model, cnn_values = lesson("lesson-cnn")
    result = compare(dense, cnn_model, dense_values, cnn_values)
    assert (result.first.total, result.second.total) == (7993, 24533)
    assert result.difference == 7993 - 24533 and result.ratio == sympy.Rational(7993, 24533)


def test_where_the_parameters_sit_in_the_increasing_pair() -> None:
    dense, dense_values = lesson("lesson-dense-increasing")
    cnn_model, cnn_values = lesson("lesson-cnn-increasing")
    result = compare(dense, cnn_model, dense_values, cnn_values)
    first, second = result.first.largest, result.second.largest
    assert first is not None and second is not None
    assert first.name == result.first.layers[1].name == "dense"  # the first dense layer
    assert second.name == result.second.layers[-1].name  # the readout
    assert first.share is not None and first.share > sympy.Rational(1, 2)
    assert second.share is not None and second.share > sympy.Rational(1, 2)
    assert sum(layer.share for layer in result.first.layers if layer.share is not None) == 1


@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 32))
def test_compare_ratio_equals_the_counts_ratio(h1: int, h2: int, filters: int) -> None:
    dense, dense_values = lesson("lesson-dense")
    cnn_model, cnn_values = lesson("lesson-cnn")
    a, b = {**dense_values, "h1": h1, "h2": h2}, {**cnn_values, "f": filters}
    result = compare(dense, cnn_model, a, b)
    assert result.ratio == sympy.Rational(dense.count(a), cnn_model.count(b))
    assert result.difference == dense.count(a) - cnn_model.count(b)


def test_compare_formulas_share_symbols() -> None:
    dense, _ = lesson("lesson-dense")
    cnn_model, _ = lesson("lesson-cnn")
    result = compare(dense, cnn_model, {"h1": 10, "h2": 10}, {"C": 1, "f": 10, "k": 3})
    assert result.ratio == sympy.cancel((10 * H * W + 153) / (30 * H * W + 1013))
    assert result.first.largest is None  # shares are formulas until H and W have values


# Explanations.


def test_explain_in_the_lessons_words() -> None:
    model, values = lesson("lesson-cnn")
    report = explain(model, values)
    assert [layer.words for layer in report.layers] == [
        "10 kernels x 3x3 x 1 channel + 10 biases = 100",
        "10 kernels x 3x3 x 10 channels + 10 biases = 910",
        "0, it only reshapes 28x28x10 into 7,840",
        "7,840 inputs x 3 units + 3 biases = 23,523",
    ]
    assert report.words == "100 + 910 + 0 + 23,523 = 24,533" and report.total == 24533
    dense, dense_values = lesson("lesson-dense")
    assert explain(dense, dense_values).layers[1].words == "784 inputs x 10 units + 10 biases = 7,850"


def test_explain_any_layer_from_its_weights() -> None:
    model = Sequential(
        Input(8, 8, 3),
        Conv2D(4, 3, use_bias=False),
        BatchNormalization(),
        MaxPooling2D(),
        Flatten(),
        Dense(1),
    )
    words = [layer.words for layer in explain(model).layers]
    assert words[0] == "4 kernels x 3x3 x 3 channels = 108"
    assert (
        words[1]
        == "gamma 4 (4) + beta 4 (4) + moving_mean 4 (4, non-trainable) + moving_variance 4 (4, non-trainable) = 16"
    )
    assert words[2] == "0, no weights: each window is reduced to its maximum or mean"
    assert words[3] == "0, it only reshapes 3x3x4 into 36"
    symbolic = explain(Sequential(Input(H, W, C), Conv2D(f, k), Flatten(), Dense(3)))
    assert symbolic.layers[0].words == "f kernels x (k, k) x C channels + f biases = C*f*k**2 + f"
    assert (
        symbolic.layers[1].words
        == "0, it only reshapes (H - k + 1, W - k + 1, f) into f*(H - k + 1)*(W - k + 1)"
    )
    for layer in explain(model).layers:  # the terms add up to the count
        assert sum(t.size for t in layer.terms if t.kind in ("trainable", "non_trainable")) == layer.params


def test_notebook_reprs() -> None:
    # Jupyter shows a model through the formatters symcount registers with IPython (models never
    # import render): the summary table as HTML, the total as LaTeX.
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    import symcount

    shell = InteractiveShell.instance()
    assert symcount.register_jupyter(shell)
    model, _ = lesson("lesson-cnn")
    shown, _ = shell.display_formatter.format(model)
    html = shown["text/html"]
    assert html.startswith("<table>") and "conv2d_1 (Conv2D)" in html and "</table>" in html
    assert "Input shape: (H, W, C)" in html  # the symbols as written, never lowercased
    assert shown["text/latex"] == "$\\displaystyle N = C f k^{2} + 3 H W f + f^{2} k^{2} + 2 f + 3$"


def test_a_repeated_block_is_explained_layer_by_layer() -> None:
    from symcount import build
    from symcount.render import explanation_rows

    report = explain(build("resnet-50"))
    block = next(layer for layer in report.layers if layer.name == "layer1.rest")
    # n1 - 1 = 2 copies of a bottleneck of 10 layers, each explained once, adding up to the block.
    assert [layer.name for layer in block.inner][:3] == ["conv1", "bn1", "relu1"] and len(block.inner) == 10
    assert (
        sum(times * layer.value for times, layer in zip(block.copies, block.inner)) == block.value == 140_800
    )
    assert block.words == "2 x (16,384 + 128 + 0 + 36,864 + 128 + 0 + 16,384 + 512 + 0 + 0) = 140,800"
    rows = explanation_rows(report)
    assert ["17.1", "  conv1 (Conv2d)", "64 kernels x 1x1 x 256 channels = 16,384"] in rows
    assert max(len(words) for _, _, words in rows) < 250  # no 820-character line
    from symcount.render import explanation_data

    (data,) = [layer for layer in explanation_data(report)["layers"] if layer["name"] == "layer1.rest"]
    assert sum(inner["copies"] * inner["value"] for inner in data["inner"]) == data["value"] == 140_800
