"""Blocks repeated a symbolic number of times while their input grows (DenseNet's): closed forms."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import BatchNormalization, Conv2D, Dense, Input, Sequential, ShapeError, symbols
from symcount.costs import Convention, total_cost
from symcount.layers import Concatenate, Repeat
from symcount.shapes import sum_over

H, W, c, k, n, i = symbols("H W c k n i")


def dense_layer(growth: object) -> object:
    """BN, a 3x3 convolution to `growth` channels, concatenated to the input: + growth channels."""

    def block(x: object) -> object:
        new = Conv2D(growth, 3, padding="same", use_bias=False, activation="relu")(BatchNormalization()(x))
        return Concatenate()([x, new])

    return block


def test_sum_over_is_the_sum() -> None:
    for power in range(7):
        closed = sum_over(i**power * (c + 1), i, n)
        for count in range(0, 9):
            assert closed.subs(n, count) == sum(j**power for j in range(count)) * (c + 1)
    assert sum_over(c * k, i, n) == n * c * k  # no index: n equal copies
    with pytest.raises(ShapeError, match="polynomial in its copy number"):
        sum_over(sympy.floor(i / 2), i, n)


def test_a_growing_block_has_a_closed_form_in_its_depth() -> None:
    model = Sequential(Input(H, W, c), Repeat(n, dense_layer(k)))
    assert model.output_shape == (H, W, c + n * k)
    # Layer j sees c + j*k channels: BN 4(c + jk) and a 3x3 kernel 9k(c + jk); summed over j < n.
    expected = sum_over((4 + 9 * k) * (c + i * k), i, n)
    assert sympy.expand(model.params - expected) == 0
    assert sympy.expand(model.non_trainable - sum_over(2 * (c + i * k), i, n)) == 0


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 9), st.integers(1, 7), st.integers(1, 5), st.integers(1, 5))
def test_closed_form_equals_the_unrolled_block(
    depth: int, channels: int, growth: int, height: int, width: int
) -> None:
    # Every cost of the symbolic model, given numbers afterwards, is the unrolled model's.
    symbolic = Sequential(Input(H, W, c), Repeat(n, dense_layer(k)))
    unrolled = Sequential(Input(height, width, channels), Repeat(depth, dense_layer(growth)))
    values = {n: depth, c: channels, k: growth, H: height, W: width}
    extras = Convention(extras=True)
    for cost in ("params", "macs", "flops", "activations"):
        assert total_cost(symbolic, cost, extras).subs(values) == total_cost(unrolled, cost, extras), cost
    assert symbolic.non_trainable.subs(values) == unrolled.non_trainable
    assert tuple(d.subs(values) for d in symbolic.output_shape) == unrolled.output_shape


def test_a_block_whose_growth_is_not_fixed_still_needs_a_number() -> None:
    # Dense(2*d) doubles its input: no fixed growth, so a symbolic depth is an error, as before.
    (d,) = symbols("d")
    with pytest.raises(ShapeError, match="give times a number to unroll it"):
        Sequential(Input(d), Repeat(n, [Dense(2 * d)]))
