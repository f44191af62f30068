"""Laws, checked on random networks: the formula is the count, however it is substituted.

The reference count here is a plain integer loop written in this file (floor division for `valid`,
ceiling division for `same`), not symcount's symbolic code path.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from symcount import (
    AveragePooling2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPooling2D,
    Sequential,
    ShapeError,
    symbols,
)


@dataclass(frozen=True)
class Op:
    kind: str  # conv, pool, dense
    width: int = 0  # filters or units
    window: int = 0  # kernel or pool size
    stride: int = 1
    padding: str = "valid"
    bias: bool = True


ops = st.one_of(
    st.builds(
        Op,
        st.just("conv"),
        st.integers(1, 6),
        st.integers(1, 4),
        st.integers(1, 3),
        st.sampled_from(["valid", "same"]),
        st.booleans(),
    ),
    st.builds(
        Op,
        st.just("pool"),
        st.just(0),
        st.integers(1, 3),
        st.integers(1, 3),
        st.sampled_from(["valid", "same"]),
    ),
)
heads = st.lists(st.builds(Op, st.just("dense"), st.integers(1, 9), bias=st.booleans()), max_size=3)
networks = st.tuples(
    st.integers(1, 20), st.integers(1, 20), st.integers(1, 4), st.lists(ops, max_size=4), heads
)


def reference_count(H: int, W: int, C: int, body: list[Op], head: list[Op]) -> int | None:
    """Counted by hand: None when some axis would be empty (the model must refuse it)."""
    total, h, w, c = 0, H, W, C
    for op in body:
        if op.kind == "conv":
            total += op.window * op.window * c * op.width + (op.width if op.bias else 0)
            c = op.width
        if op.padding == "valid":
            h, w = (h - op.window) // op.stride + 1, (w - op.window) // op.stride + 1
        else:
            h, w = -(-h // op.stride), -(-w // op.stride)
        if h < 1 or w < 1:
            return None
    features = h * w * c
    for op in head:
        total += features * op.width + (op.width if op.bias else 0)
        features = op.width
    return total


def symbolic_model(body: list[Op], head: list[Op]) -> tuple[Sequential, dict[str, int]]:
    """The same network with a symbol for every size and hyperparameter, and their values."""
    H, W, C = symbols("H W C")
    layers, values = [], {}
    for i, op in enumerate(body):
        width, window, stride = symbols(f"w{i} k{i} s{i}")
        values |= {f"k{i}": op.window, f"s{i}": op.stride}
        if op.kind == "conv":
            values[f"w{i}"] = op.width
            layers.append(Conv2D(width, window, strides=stride, padding=op.padding, use_bias=op.bias))
        else:
            pool = MaxPooling2D if i % 2 else AveragePooling2D
            layers.append(pool(window, strides=stride, padding=op.padding))
    layers.append(Flatten())
    for j, op in enumerate(head):
        (units,) = symbols(f"u{j}")
        values[f"u{j}"] = op.width
        layers += [Dense(units, use_bias=op.bias), Dropout(0.1)]
    return Sequential(Input(H, W, C), *layers), values


@given(networks)
def test_formula_equals_the_hand_count(network: tuple) -> None:
    H, W, C, body, head = network
    model, values = symbolic_model(body, head)
    values |= {"H": H, "W": W, "C": C}
    expected = reference_count(H, W, C, body, head)
    if expected is None:
        with pytest.raises(ShapeError, match=r"layer \d+ \("):
            model.count(values)
    else:
        assert model.count(values) == expected
        # The formula itself, substituted without re-folding, agrees too.
        assert model.params.xreplace({s: values[s.name] for s in model.symbols}) == expected


@given(networks)
def test_rows_sum_to_the_total(network: tuple) -> None:
    _, _, _, body, head = network
    model, _ = symbolic_model(body, head)
    assert sympy.expand(sum(row.params for row in model.rows) - model.params) == 0
    assert sympy.expand(model.trainable + model.non_trainable - model.params) == 0


@given(networks, st.data())
def test_substituting_in_two_steps_equals_substituting_at_once(network: tuple, data: st.DataObject) -> None:
    H, W, C, body, head = network
    assume(reference_count(H, W, C, body, head) is not None)
    model, values = symbolic_model(body, head)
    values |= {"H": H, "W": W, "C": C}
    first = data.draw(st.sets(st.sampled_from(sorted(values))), label="first step")
    step = model.subs({name: values[name] for name in first})
    rest = {name: value for name, value in values.items() if name not in first}
    assert step.count(rest) == model.count(values)


@given(
    st.integers(1, 40),
    st.integers(1, 40),
    st.integers(1, 5),
    st.integers(1, 4),
    st.sampled_from(["valid", "same"]),
)
def test_shapes_never_go_non_positive_silently(H: int, W: int, k: int, s: int, padding: str) -> None:
    model = Sequential(Input("H", "W", 1), Conv2D(2, "k", strides="s", padding=padding), Flatten(), Dense(1))
    try:
        concrete = model.subs(H=H, W=W, k=k, s=s)
    except ShapeError as error:
        assert "layer 1 (conv2d)" in str(error) and "would have size" in str(error)
        assert padding == "valid" and min(H, W) < k
        return
    assert all(int(d) >= 1 for row in concrete.rows for d in row.output_shape)
