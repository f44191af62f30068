"""Costs of embeddings: a lookup multiplies nothing; a position table adds one number per element."""

import pytest
import sympy

from symcount import ClassToken, Embedding, Input, PositionEmbedding, Sequential, symbols
from tests.frameworks import torch

T, V, d = symbols("T V d")


def test_embedding_costs_are_lookups_and_adds() -> None:
    model = Sequential(Input(T), Embedding(V, d), PositionEmbedding(T), ClassToken())
    embedding, positions, token = model.rows
    assert (embedding.macs, embedding.extra_flops) == (0, 0)  # a table lookup: no arithmetic
    assert (positions.macs, positions.extra_flops) == (0, T * d)  # one add per element
    assert (token.macs, token.extra_flops) == (0, 0)  # a concatenation
    assert [row.activations for row in model.rows] == [T * d, T * d, (T + 1) * d]


@pytest.mark.frameworks
@pytest.mark.parametrize(("vocab", "width", "length"), [(1, 1, 1), (50, 8, 7)])
def test_flop_counter_counts_no_multiply_in_a_lookup(vocab: int, width: int, length: int) -> None:
    t = torch()
    from torch.utils.flop_counter import FlopCounterMode

    table, positions = t.nn.Embedding(vocab, width), t.nn.Embedding(length, width)
    ids = t.zeros(1, length, dtype=t.long)
    with FlopCounterMode(display=False) as mode:
        out = table(ids) + positions(t.arange(length))[None]
    model = Sequential(Input(T), Embedding(V, d), PositionEmbedding(T)).subs(V=vocab, d=width, T=length)
    assert mode.get_total_flops() == 2 * sum(row.macs for row in model.rows) == 0
    assert out[0].numel() == model.rows[-1].activations
    # The stated difference: the position add is an extra FLOP per element, which torch leaves out.
    assert sympy.Add(*(row.extra_flops for row in model.rows)) == out[0].numel()
