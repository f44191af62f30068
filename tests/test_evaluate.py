"""The fast path of sweeps, plots and budgets: one fold, numpy over the grid, rules as masks.

The reference is exact evaluation: the model folded again at each point (`Model.subs`), which
either counts or refuses the point. The fast path must give the same rows, and refuse exactly
the points that the model refuses, on random stacks of dense, convolution, pooling and attention
layers whose sizes are expressions in the swept symbols.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcount import (
    Add,
    Concatenate,
    Conv2D,
    Dense,
    Flatten,
    Input,
    LayerNormalization,
    MaxPooling2D,
    Model,
    MultiHeadAttention,
    Repeat,
    Sequential,
    SymcountError,
    symbols,
)
from symcount.costs import PARAMS, Measure
from symcount.explore import sweep
from symcount.explore.evaluate import Evaluator, column

a, b = symbols("a b")
SWEPT = ("a", "b")


@st.composite
def sizes(draw: Any, low: int = 1) -> sympy.Expr:
    """A size in the swept symbols: sometimes a fraction or below 1 at some points."""
    symbol = draw(st.sampled_from([a, b]))
    shape = draw(st.integers(0, 5))
    k = draw(st.integers(low, 4))
    return [symbol, 2 * symbol, symbol + k, symbol - k, symbol / 2, a * b][shape]


@st.composite
def dense_stacks(draw: Any) -> Model:
    layers = [Dense(draw(st.one_of(sizes(), st.integers(1, 5)))) for _ in range(draw(st.integers(1, 3)))]
    return Sequential(Input(draw(sizes())), *layers)


@st.composite
def conv_stacks(draw: Any) -> Model:
    layers: list[Any] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            groups = draw(st.sampled_from([1, 2, b]))
            filters = draw(st.sampled_from([2, 4, a, 2 * a]))
            kernel = draw(st.sampled_from([1, 2, 3, b]))
            stride = draw(st.sampled_from([1, 2]))
            padding = draw(st.sampled_from(["valid", "same"]))
            layers.append(Conv2D(filters, kernel, strides=stride, padding=padding, groups=groups))
        else:
            layers.append(MaxPooling2D(draw(st.sampled_from([2, 3]))))
    channels = draw(st.sampled_from([2, 4, b, 2 * a]))
    return Sequential(Input(a, a + 1, channels), *layers, Flatten(), Dense(draw(st.integers(1, 3))))


@st.composite
def attention_stacks(draw: Any) -> Model:
    width = draw(st.sampled_from([a, 2 * a, 4 * a, a + 2]))
    heads = draw(st.sampled_from([1, 2, b, 3]))
    x = Input(draw(st.sampled_from([3, b])), width)
    y = MultiHeadAttention(num_heads=heads)(x)
    if draw(st.booleans()):
        y = Add()([x, y])
    y = LayerNormalization()(y)
    y = Dense(draw(st.sampled_from([width, a, 5])))(y)
    framework = draw(st.sampled_from(["keras", "torch"]))
    return Model(x, y, framework=framework)


@st.composite
def repeat_stacks(draw: Any) -> Model:
    """A block repeated a number of times that is a formula in the swept symbols (0 or below at
    some points), keeping its shape (times x block) or growing it (DenseNet: a sum over copies)."""
    times = draw(st.sampled_from([a, a - 1, a - 3, 2 * a, a * b, b - 2, a / 2]))
    width = draw(st.sampled_from([3, a, b + 1]))
    kind = draw(st.sampled_from(["chain", "residual", "grow"]))
    if kind == "chain":
        body: Any = [Dense(width), Dense(width)]
    elif kind == "residual":
        body = lambda x: Add()([x, Dense(width)(x)])  # noqa: E731
    else:
        body = lambda x: Concatenate()([x, Dense(draw(st.sampled_from([1, 2, b])))(x)])  # noqa: E731
    return Sequential(Input(width), Repeat(times, body), Dense(draw(st.sampled_from([2, a]))))


models = st.one_of(dense_stacks(), conv_stacks(), attention_stacks(), repeat_stacks())
axes = st.lists(st.integers(1, 12), min_size=1, max_size=6, unique=True)
measures = st.sampled_from(
    [
        PARAMS, Measure("flops"), Measure("activations"), Measure("activation_memory"),
        Measure("training_memory"), Measure("inference_memory"),
    ]
)  # fmt: skip


def exact(model: Model, measure: Measure, point: dict[str, int]) -> tuple[int, ...] | None:
    """The counts at `point` from the model folded there, or None where it refuses the point."""
    try:
        folded = model.subs(point)
        counts = [measure.total(folded), *measure.rows(folded)]
    except SymcountError:
        return None
    return tuple(int(c) for c in counts) if all(c.is_Integer for c in counts) else None


def swept(model: Model) -> tuple[str, ...]:
    return tuple(name for name in SWEPT if name in {s.name for s in model.symbols})


@given(models, axes, axes, measures)
def test_the_fast_path_counts_and_refuses_what_folding_at_each_point_does(
    model: Model, first: list[int], second: list[int], measure: Measure
) -> None:
    names = swept(model)
    grid = {"a": first, "b": second}
    points = [
        tuple(p)
        for p in (
            [(x,) for x in grid[names[0]]]
            if len(names) == 1
            else [(x, y) for x in grid[names[0]] for y in grid[names[1]]]
        )
    ]
    largest = tuple(max(grid[name]) for name in names)
    evaluator = Evaluator(model, names, True, largest, measure)
    expected = {point: exact(model, measure, dict(zip(names, point))) for point in points}
    valid = [point for point in points if expected[point] is not None]
    if valid:  # every valid point at once, through the masks
        columns = [column(values) for values in zip(*valid)]
        assert list(zip(*evaluator.evaluate_columns(columns))) == [expected[p] for p in valid]
    for point in points:  # each point alone: refused exactly where the model refuses it
        assert evaluator.count(point) == (None if expected[point] is None else expected[point][0])
    if len(valid) == len(points):
        result = sweep(
            model, {name: grid[name] for name in names}, layers=True, measure=measure, chunk_size=5
        )
        assert [row[len(names) :] for row in result.rows()] == [expected[p] for p in points]
    else:
        with pytest.raises(SymcountError, match="at [ab]="):
            list(sweep(model, {name: grid[name] for name in names}, layers=True, measure=measure).rows())


def test_a_rule_the_shapes_do_not_show_is_still_checked() -> None:
    # num_heads = b divides the width 4a only at some points; no weight's shape says so under
    # PyTorch's split (in_proj is 3*4a x 4a whatever b is), only the rule does.
    x = Input(3, 4 * a)
    model = Model(x, MultiHeadAttention(num_heads=b)(x), framework="torch")
    evaluator = Evaluator(model, ("a", "b"), False, (10, 10), PARAMS)
    assert evaluator.hyper == [] and evaluator.rules  # no fold per point: the rule is a mask
    assert evaluator.count((3, 4)) == model.count(a=3, b=4)
    assert evaluator.count((3, 5)) is None  # 5 does not divide 12
    with pytest.raises(SymcountError, match="at a=3, b=5: .*divisible by num_heads"):
        evaluator.evaluate([(3, 4), (3, 5)])


def test_no_fold_per_point_on_a_dense_net(monkeypatch: pytest.MonkeyPatch) -> None:
    (w,) = symbols("w")
    model = Sequential(Input(784), Dense(w), Dense(w), Dense(10))
    result = sweep(model, {"w": range(1, 5001)}, layers=True)
    folds: list[Any] = []
    original: Callable[..., Any] = Model.subs
    monkeypatch.setattr(
        Model, "subs", lambda self, *args, **kw: folds.append(args) or original(self, *args, **kw)
    )
    rows = list(result.rows())
    assert folds == [] and len(rows) == 5000
    assert rows[-1] == (5000, 5000**2 + 796 * 5000 + 10, 785 * 5000, 5000**2 + 5000, 10 * 5000 + 10)


def test_a_sweep_over_repeat_counts_evaluates_times_as_a_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    from symcount import load_spec

    spec = load_spec("resnet-50-keras")  # stages of n_i - 1 repeated bottleneck blocks
    model = spec.model()
    others = {k: v for k, v in spec.values_for(model, {}).items() if k not in ("n1", "n4")}
    fixed = model.subs(others)
    result = sweep(fixed, {"n1": range(1, 31), "n4": range(1, 31)})
    assert result.evaluator is not None and result.evaluator.hyper == []  # no fold per point
    folds: list[Any] = []
    original: Callable[..., Any] = Model.subs
    monkeypatch.setattr(
        Model, "subs", lambda self, *args, **kw: folds.append(args) or original(self, *args, **kw)
    )
    rows = list(result.rows())
    assert folds == [] and len(rows) == 900
    monkeypatch.undo()
    for n1, n4, total in rows[::97]:
        assert total == fixed.count(n1=n1, n4=n4)


def test_exact_past_int64_with_object_arrays() -> None:
    (w,) = symbols("w")
    model = Sequential(Input(784), Dense(w), Dense(w), Dense(10))
    big = range(2**62, 2**62 + 3 * 2**40, 2**40)
    result = sweep(model, {"w": big}, layers=True)
    assert result.evaluator is not None and result.evaluator.outputs.whole == [0, 1, 2, 3]
    for row in result.rows():
        assert row[1] == model.count(w=row[0]) and type(row[1]) is int and row[1] > 2**63


def test_solve_and_plot_fold_a_few_times_not_per_point(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from symcount import load_spec
    from symcount.explore import solve_budget
    from symcount.plot import plot_counts

    spec = load_spec("lesson-cnn")
    model = spec.model()
    values = spec.values_for(model, {})
    folds: list[Any] = []
    original: Callable[..., Any] = Model.subs
    monkeypatch.setattr(
        Model, "subs", lambda self, *args, **kw: folds.append(args) or original(self, *args, **kw)
    )
    found = solve_budget(model, "f", 10**6, values)
    # One fold to fix the other symbols; the search itself counts from the formulas.
    assert len(folds) == 1
    assert (found.value, found.total) == (226, model.count({**values, "f": 226}))
    folds.clear()
    others = {k: v for k, v in values.items() if k != "f"}
    data = plot_counts(model, ("f", range(1, 513)), others, y="per-layer", path=tmp_path / "p.png")
    assert len(folds) == 3  # fix the others, then the grid's first and last points
    assert len(data.x) == 512 and data.series["dense"][-1] == model.subs({**values, "f": 512}).rows[-1].params


# Rows written in bulk (explore.digits): byte for byte what `str()` of each value gives.

_INT64_MAX = 2**63 - 1
_values = st.lists(st.integers(min_value=0, max_value=_INT64_MAX), min_size=0, max_size=40)


@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda width: st.tuples(
            st.lists(
                st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=4),
                min_size=width + 1,
                max_size=width + 1,
            ),
            st.lists(_values, min_size=width, max_size=width),
        )
    )
)
def test_bulk_rows_are_what_str_writes(case: tuple[list[str], list[list[int]]]) -> None:
    import numpy

    from symcount.explore.digits import bulk_rows

    literals, columns = case
    size = min(len(c) for c in columns)
    arrays = [numpy.array(c[:size], dtype=numpy.int64) for c in columns]
    expected = "".join(
        literals[0] + "".join(str(v) + text for v, text in zip(row, literals[1:]))
        for row in zip(*(c[:size] for c in columns))
    )
    assert bulk_rows(literals, arrays) == expected


def test_bulk_rows_refuse_what_they_cannot_write() -> None:
    import numpy

    from symcount.explore.digits import bulk_rows

    assert bulk_rows(["", "\n"], [numpy.array([-1, 2], dtype=numpy.int64)]) is None  # a sign
    assert bulk_rows(["", "\n"], [numpy.array([2**70], dtype=object)]) is None  # past int64
    assert bulk_rows(["é", "\n"], [numpy.array([1], dtype=numpy.int64)]) is None  # not ASCII
    assert bulk_rows(["", ",", "\n"], [numpy.array([0, 10], dtype=numpy.int64)] * 2) == "0,0\n10,10\n"
