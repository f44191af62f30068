"""Spec blocks with arguments: defined once, used at several widths, repeated, checked."""

from __future__ import annotations

from typing import Any

import pytest
import sympy

from symcount import SpecError, SymcountError, symbols
from symcount.spec import parse_spec

H, W, C, n1, n2, w = symbols("H W C n1 n2 w")

STAGE = {
    "args": ["w"],
    "layers": [
        {"conv2d": {"filters": "w", "kernel_size": 3, "padding": "same"}, "name": "conv"},
        {"batch_normalization": {}, "name": "bn"},
        {"add": {}, "inputs": ["input", "bn"]},
    ],
}


def conv_bn(c_in: Any, c_out: Any) -> Any:
    """A 3x3 convolution with bias (9*c_in*c_out + c_out) and a BatchNorm (4*c_out)."""
    return 9 * c_in * c_out + c_out + 4 * c_out


def spec(layers: list[Any], **blocks: Any) -> Any:
    return parse_spec(
        {"input": ["H", "W", "C"], "blocks": {"stage": STAGE, **blocks}, "layers": layers}
    ).model()


def test_one_block_at_two_widths() -> None:
    model = spec(
        [
            {"conv2d": {"filters": 64, "kernel_size": 1}},
            {"repeat": {"times": "n1", "block": "stage", "with": {"w": 64}}, "name": "stage1"},
            {"conv2d": {"filters": 128, "kernel_size": 1}},
            {"repeat": {"times": "n2", "block": "stage", "with": {"w": 128}}, "name": "stage2"},
        ]
    )
    expected = (C * 64 + 64) + n1 * conv_bn(64, 64) + (64 * 128 + 128) + n2 * conv_bn(128, 128)
    assert sympy.expand(model.params - expected) == 0
    assert {s.name for s in model.symbols} == {"H", "W", "C", "n1", "n2"}  # w is the block's own


def test_arguments_are_expressions_in_the_spec_symbols() -> None:
    # `with: {w: 2*C}`: the block's w becomes 2*C; a block used once is `{block: NAME, with: ...}`.
    model = spec(
        [
            {"conv2d": {"filters": "2*C", "kernel_size": 1}},
            {"block": "stage", "with": {"w": "2*C"}, "name": "once"},
        ]
    )
    assert sympy.expand(model.params - (C * 2 * C + 2 * C + conv_bn(2 * C, 2 * C))) == 0
    assert model.rows[1].name == "once"


def test_nested_blocks_pass_arguments_down() -> None:
    outer = {
        "args": ["v", "m"],
        "layers": [
            {"conv2d": {"filters": "v", "kernel_size": 1}},
            {"repeat": {"times": "m", "block": "stage", "with": {"w": "v"}}},
        ],
    }
    model = spec([{"block": "outer", "with": {"v": 32, "m": "n1"}}], outer=outer)
    assert sympy.expand(model.params - (C * 32 + 32 + n1 * conv_bn(32, 32))) == 0


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            [{"repeat": {"times": 2, "block": "stage", "with": {"width": 8}}}],
            "unknown name 'width' in block 'stage''s `with`; block 'stage' knows: w",
        ),
        ([{"repeat": {"times": 2, "block": "stage"}}], "block 'stage' needs w: `with: {w: ...}`"),
        ([{"block": "stag", "with": {"w": 8}}], "no block named 'stag' (did you mean 'stage'?)"),
        ([{"repeat": {"times": 2, "layers": [{"dense": 3}], "with": {"w": 8}}}], "`layers` take none"),
        ([{"repeat": {"times": 2, "block": "stage", "width": 8}}], "repeat has no option 'width'"),
        # The argument the user gave, not what the layer made of it.
        ([{"block": "stage", "with": {"w": 0}}], "expected a positive integer. Received: w=0 (as filters)"),
        (
            [{"block": "stage", "with": {"w": 8}, "times": 2}],
            "block takes only `with` and `name` and `trainable`",
        ),
    ],
)
def test_mistakes_are_one_line(layers: list[Any], message: str) -> None:
    with pytest.raises(SymcountError) as error:
        spec(layers)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_bad_definition() -> None:
    for definition, message in [
        ({"args": "w", "layers": [{"dense": 3}]}, "args is a list of names"),
        ({"args": ["w"], "context": "m", "layers": [{"dense": 3}]}, "context is a list of names"),
        ({"args": ["w", "w"], "layers": [{"dense": 3}]}, "a name is given twice"),
        ({"args": ["w"], "layer": [{"dense": 3}]}, "takes `args`, `context` and `layers`"),
        ({"args": ["w"]}, "needs a non-empty list of layers"),
    ]:
        with pytest.raises(SpecError, match=message):
            spec([{"block": "bad", "with": {"w": 3}}], bad=definition)


def test_a_block_with_a_context_reads_a_tensor_beside_its_input() -> None:
    # A decoder-like block: self-attention on its input, cross-attention to `memory`, every copy.
    T, S, d, e, h, L = symbols("T S d e h L")
    decoder = {
        "context": ["memory"],
        "layers": [
            {"multi_head_attention": {"num_heads": "h", "key_dim": 4, "use_bias": False}, "name": "self"},
            {
                "multi_head_attention": {"num_heads": "h", "key_dim": 4, "use_bias": False},
                "inputs": ["self", "memory"],
            },
        ],
    }
    spec = {
        "input": {"x": ["T", "d"], "m": ["S", "e"]},
        "blocks": {"decoder": decoder},
        "layers": [{"repeat": {"times": "L", "block": "decoder"}, "inputs": ["x", "m"], "name": "decoder"}],
    }
    model = parse_spec(spec).model()
    # Per copy: self-attention 4*d*h*4; cross-attention query and output 2*d*h*4, key and value 2*e*h*4.
    assert sympy.expand(model.params - L * (16 * d * h + 8 * d * h + 8 * e * h)) == 0
    assert model.rows[0].inputs == ("x", "m")
    with pytest.raises(SymcountError, match="takes at most 2 inputs"):
        parse_spec({**spec, "input": {"x": ["T", "d"], "m": ["S", "e"], "n": [2]}, "layers": [
            {"repeat": {"times": "L", "block": "decoder"}, "inputs": ["x", "m", "n"]}]}).model()  # fmt: skip
    with pytest.raises(SymcountError, match=r"reads 1 tensor\(s\) beside its input \(memory\). Received: 0"):
        parse_spec(
            {**spec, "input": ["T", "d"], "layers": [{"repeat": {"times": "L", "block": "decoder"}}]}
        ).model()
    with pytest.raises(SymcountError, match="an expert reads only its token"):
        parse_spec(
            {**spec, "layers": [{"mixture_of_experts": {"num_experts": 2, "top_k": 1, "block": "decoder"}}]}
        ).model()
