"""MixtureOfExperts and the active-parameters cost, against Hugging Face's Mixtral block."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import Dense, Input, Multiply, Sequential, ShapeError, SpecError, SymcountError, symbols
from symcount.costs import total_cost
from symcount.layers import MixtureOfExperts, Repeat
from symcount.spec import parse_spec
from tests.frameworks import torch

T, d, f, E, k, L = symbols("T d f E k L")


def swiglu(x: Any) -> Any:
    """Mixtral's expert: down(silu(gate(x)) * up(x)), no biases: 3*d*f weights."""
    gate = Dense(f, activation="silu", use_bias=False, name="w1")(x)
    up = Dense(f, use_bias=False, name="w3")(x)
    return Dense(d, use_bias=False, name="w2")(Multiply()([gate, up]))


def mixture(**options: Any) -> Sequential:
    """E SwiGLU experts, k of them per token, on (T, d)."""
    return Sequential(Input(T, d), MixtureOfExperts(E, k, swiglu, **options))


def test_total_active_and_macs() -> None:
    model = mixture()
    # The router (d, E) and E experts of 3*d*f.
    assert sympy.expand(model.params - (E * d + 3 * E * d * f)) == 0
    # A token uses the router and k experts: the E - k others are idle.
    assert sympy.expand(total_cost(model, "active_params") - (E * d + 3 * k * d * f)) == 0
    # MACs: the router's T*d*E, and k experts' 3*d*f per token.
    assert sympy.expand(total_cost(model, "macs") - (T * d * E + 3 * k * T * d * f)) == 0
    assert model.output_shape == (T, d)
    weights = {w.name: w.shape for w in model.rows[0].weights}
    assert weights == {
        "router/kernel": (d, E), "experts/w1/kernel": (E, d, f), "experts/w3/kernel": (E, d, f),
        "experts/w2/kernel": (E, f, d),
    }  # fmt: skip


def test_active_params_of_every_other_layer_are_its_params() -> None:
    model = Sequential(Input(T, d), Dense(f), Repeat(L, [Dense(f)]))
    assert total_cost(model, "active_params") == model.params


def test_top_k_of_all_experts_is_dense() -> None:
    # Every expert active: the active count is the total, and the MACs are E experts'.
    model = Sequential(Input(T, d), MixtureOfExperts(E, E, swiglu))
    assert sympy.expand(total_cost(model, "active_params") - model.params) == 0


def test_repeated_mixtures_add_up() -> None:
    model = Sequential(Input(T, d), Repeat(L, [MixtureOfExperts(E, k, swiglu, router_bias=True)]))
    assert sympy.expand(model.params - L * (E * d + E + 3 * E * d * f)) == 0
    assert sympy.expand(total_cost(model, "active_params") - L * (E * d + E + 3 * k * d * f)) == 0


def test_frozen_mixture() -> None:
    model = Sequential(Input(T, d), MixtureOfExperts(E, k, swiglu, trainable=False))
    assert model.trainable == 0 and model.non_trainable == model.params


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: MixtureOfExperts(2, 3, [Dense(4)]), "cannot exceed num_experts"),
        (lambda: Sequential(Input(3, 4), MixtureOfExperts(2, 1, [Dense(5)])), "give back its input's shape"),
        (lambda: MixtureOfExperts(2, 1, [Dense(4)], router_bias=1), "router_bias"),
    ],
)
def test_errors(make: Any, fragment: str) -> None:
    with pytest.raises((ShapeError, SymcountError), match=fragment):
        make()


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 12), st.integers(1, 40), st.integers(1, 5))
def test_active_is_total_less_idle_experts(
    experts: int, top: int, width: int, hidden: int, steps: int
) -> None:
    # The law, at numbers: active = total - (E - k) x one expert, whatever the sizes.
    top = min(top, experts)
    model = mixture().subs(T=steps, d=width, f=hidden, E=experts, k=top)
    assert total_cost(model, "active_params") == model.params - (experts - top) * 3 * width * hidden


def test_spec_with_a_block_of_experts() -> None:
    spec = parse_spec(
        {
            "input": ["T", "d"],
            "blocks": {
                "expert": [
                    {"dense": {"units": "f", "activation": "silu", "use_bias": False}, "name": "w1"},
                    {"dense": {"units": "f", "use_bias": False}, "name": "w3", "inputs": ["input"]},
                    {"multiply": {}, "inputs": ["w1", "w3"]},
                    {"dense": {"units": "d", "use_bias": False}, "name": "w2"},
                ]
            },
            "layers": [
                {"mixture_of_experts": {"num_experts": "E", "top_k": "k", "block": "expert"}, "name": "moe"}
            ],
        }
    )
    model = spec.model()
    assert sympy.expand(model.params - mixture().params) == 0
    assert sympy.expand(total_cost(model, "active_params") - total_cost(mixture(), "active_params")) == 0
    with pytest.raises(SpecError, match="has no option 'topk' \\(did you mean 'top_k'\\?\\)"):
        parse_spec(
            {"input": [3, 4], "layers": [{"mixture_of_experts": {"num_experts": 2, "top_k": 1, "topk": 1, "layers": [{"dense": 4}]}}]}
        ).model()  # fmt: skip


# (T, d, f, E, k)
MIXTRAL_SIZES = [(7, 16, 24, 4, 2), (1, 8, 8, 2, 1), (5, 12, 20, 5, 5), (3, 6, 10, 8, 3)]


@pytest.mark.frameworks
@pytest.mark.parametrize(("steps", "width", "hidden", "experts", "top"), MIXTRAL_SIZES)
def test_mixtral_block_matches_hugging_face(
    steps: int, width: int, hidden: int, experts: int, top: int
) -> None:
    t = torch()
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    modeling = importlib.import_module("transformers.models.mixtral.modeling_mixtral")
    config = transformers.MixtralConfig(
        hidden_size=width, intermediate_size=hidden, num_local_experts=experts, num_experts_per_tok=top,
        num_hidden_layers=1, vocab_size=10, num_attention_heads=2, num_key_value_heads=1,
    )  # fmt: skip
    block = modeling.MixtralSparseMoeBlock(config)
    model = Sequential(Input(T, d), MixtureOfExperts(E, k, swiglu), framework="torch").subs(
        T=steps, d=width, f=hidden, E=experts, k=top
    )
    assert model.params == sum(p.numel() for p in block.parameters())
    assert model.rows[0].weights[0].name == "gate.weight"
    assert tuple(model.rows[0].weights[0].shape) == tuple(block.gate.weight.shape)
    # Each token runs through its k experts only: FlopCounterMode counts the router's and those
    # experts' products, 2 x symcount's MACs.
    flops = importlib.import_module("torch.utils.flop_counter")
    with t.no_grad(), flops.FlopCounterMode(display=False) as mode:
        block(t.randn(1, steps, width))
    assert mode.get_total_flops() == 2 * total_cost(model, "macs")
