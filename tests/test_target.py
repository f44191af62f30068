"""One typed target: every layer answers every question under the framework the model asks with.

The bug this pins down: `Repeat` once asked its block under a hard-coded Keras, so a torch-only
option inside a repeated block failed (or counted as Keras would). Here every registered layer is
asked every question under both targets, alone and inside a repeated block, and the answers
must agree.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import sympy
import yaml

from symcount import Input, Repeat, Sequential, SpecError, SymcountError, Target
from symcount.costs import COSTS, Measure
from symcount.graph import Weight
from symcount.layers import REGISTRY, Layer
from symcount.spec import make_layer, parse_spec
from symcount.target import KERAS, TORCH, as_target
from symcount.values import symbol
from tests.frameworks import torch

QUESTIONS = (
    "output_shape",
    "weights",
    "macs",
    "extra_flops",
    "activations",
    "kv_cache",
    "inactive_params",
    "explain",
    "parts",
)
TARGETS = (KERAS, TORCH)
SINGLE_INPUT = sorted((key, cls) for key, cls in REGISTRY.items() if not cls.merges)


def example(cls: type[Layer]) -> tuple[Layer, tuple[sympy.Expr, ...]]:
    return make_layer(cls, cls.example_args, KERAS), tuple(symbol(n) for n in cls.example_input)


@pytest.mark.parametrize("cls", [*REGISTRY.values(), Repeat], ids=lambda c: c.__name__)
def test_every_question_takes_a_target_and_has_no_default(cls: type[Layer]) -> None:
    for question in QUESTIONS:
        parameter = inspect.signature(getattr(cls, question)).parameters.get("target")
        assert parameter is not None, f"{cls.__name__}.{question} takes no target"
        assert parameter.default is inspect.Parameter.empty, f"{cls.__name__}.{question} defaults its target"


@pytest.mark.parametrize(
    ("key", "cls"), sorted(REGISTRY.items()), ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_every_layer_answers_every_question_under_each_target(
    key: str, cls: type[Layer], target: Target
) -> None:
    layer, shape = example(cls)
    argument: Any = (shape, shape) if cls.merges else shape
    answers: dict[str, Any] = {}
    try:
        for question in QUESTIONS:
            answers[question] = getattr(layer, question)(argument, target)
    except SymcountError as error:  # a configuration the framework lacks: one line, named
        assert "\n" not in str(error)
        return
    assert all(isinstance(d, sympy.Expr) for d in answers["output_shape"])
    assert all(
        isinstance(w, Weight) and w.kind in ("trainable", "non_trainable", "buffer")
        for w in answers["weights"]
    )
    for question in ("macs", "extra_flops", "activations", "kv_cache", "inactive_params"):
        assert isinstance(answers[question], sympy.Expr), (key, question)
    assert answers["explain"] is None or isinstance(answers["explain"], str)
    assert answers["parts"] is None


@pytest.mark.parametrize(("key", "cls"), SINGLE_INPUT, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_a_block_repeated_once_answers_as_its_layer(key: str, cls: type[Layer], target: Target) -> None:
    # Every cost of Repeat(1, [layer]) equals the layer's own, under the same target: a block is
    # never asked under another framework than its model.
    layer, shape = example(cls)
    try:
        alone = Sequential(Input(*shape), layer, framework=target)
    except SymcountError:
        with pytest.raises(SymcountError):
            Sequential(Input(*shape), Repeat(1, [layer]), framework=target)
        return
    repeated = Sequential(Input(*shape), Repeat(1, [layer]), framework=target)
    assert repeated.output_shape == alone.output_shape
    for cost in COSTS:
        measure = Measure(cost)
        assert sympy.expand(measure.total(repeated) - measure.total(alone)) == 0, (key, target, cost)
    assert sympy.expand(repeated.buffers - alone.buffers) == 0


def test_target_is_checked_and_spelled_once() -> None:
    assert as_target("torch") is not TORCH and as_target("torch") == TORCH and as_target(KERAS) is KERAS
    with pytest.raises(SpecError, match="framework must be one of keras, torch. Received: framework='jax'"):
        Target("jax")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="Received: framework='jax'"):
        Sequential(Input(3), framework="jax")


REPEATED_TORCH_ATTENTION = """
name: rep
framework: torch
input: [T, 8]
values: {T: 5, L: 3}
layers:
  - repeat: {times: L, layers: [{multi_head_attention: {num_heads: 2, add_bias_kv: true}}]}
"""


@pytest.mark.frameworks
@pytest.mark.parametrize("copies", [3, 1, 5])
def test_a_repeated_torch_only_option_counts_as_torch(copies: int) -> None:
    # add_bias_kv exists only in PyTorch's MultiheadAttention: repeated L times under torch it must
    # count L x what torch.nn.MultiheadAttention(8, 2, add_bias_kv=True) holds (304 each).
    t = torch()
    spec = parse_spec(yaml.safe_load(REPEATED_TORCH_ATTENTION))
    model = spec.model().subs(L=copies, T=5)
    twin = t.nn.ModuleList([t.nn.MultiheadAttention(8, 2, add_bias_kv=True) for _ in range(copies)])
    assert model.count() == sum(p.numel() for p in twin.parameters()) == copies * 304
    # Under Keras the same spec is refused, in one line naming the option.
    keras_spec = parse_spec({**yaml.safe_load(REPEATED_TORCH_ATTENTION), "framework": "keras"})
    with pytest.raises(SpecError, match="add_bias_kv"):
        keras_spec.model()
