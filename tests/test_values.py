"""Symbols and user values: one assumption set per name, sizes checked, values resolved."""

import pytest
import sympy

from symcount import SymcountError, symbols
from symcount.values import as_expr, as_size, as_sizes, resolve, suggest, symbol


def test_symbols_are_positive_integers_and_canonical() -> None:
    (h,) = symbols("h")
    assert h.is_integer and h.is_positive
    assert h == symbol("h") == symbols("h, w")[0]


def test_foreign_symbols_become_canonical() -> None:
    plain = sympy.Symbol("w")  # no assumptions: would not equal our w
    assert as_expr(2 * plain) == 2 * symbol("w")


@pytest.mark.parametrize("value", [784, "784", "1_000", "1e6", 1e6, 1_000, "2*w", sympy.Integer(3)])
def test_sizes_accept_integers_and_expressions(value: object) -> None:
    as_size(value, "units")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (-3, "units=-3"),
        (0, "units=0"),
        (2.5, "units=5/2"),
        ("2.5", "units=5/2"),
        ("-w", "units=-w"),
        (True, "units=True"),
    ],
)
def test_sizes_refuse_non_positive_or_fractional(value: object, shown: str) -> None:
    with pytest.raises(SymcountError, match="expected") as caught:
        as_size(value, "units")
    assert shown in str(caught.value)


def test_size_tuples_repeat_or_check_length() -> None:
    k = symbol("k")
    assert as_sizes(k, 2, "kernel_size") == (k, k)
    assert as_sizes([3, "k"], 2, "kernel_size") == (3, k)
    with pytest.raises(SymcountError, match="expected 2 values"):
        as_sizes([3, 3, 3], 2, "kernel_size")


def test_values_are_resolved_through_each_other() -> None:
    f, k, w = symbols("f k w")
    assert resolve({f: 2 * k, k: sympy.Integer(3)}) == {f: 6, k: 3}
    assert resolve({w: 2 * w}) == {w: 2 * w}  # a rescaling mentions itself: left alone
    with pytest.raises(SymcountError, match="cycle: f, k"):
        resolve({f: k + 1, k: f + 1})


def test_values_refuse_nonsense() -> None:
    for value in (float("nan"), float("inf"), [1], sympy.Eq(symbol("a"), 1)):
        with pytest.raises(SymcountError):
            as_expr(value)


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        # Close enough to help: a letter off, the case, or the one name it begins.
        ("layer_scal", ["layer_scale", "average", "dense"], " (did you mean 'layer_scale'?)"),
        ("Dense", ["dense", "dropout"], " (did you mean 'dense'?)"),
        ("rms_norm", ["rms_normalization", "layer_normalization"], " (did you mean 'rms_normalization'?)"),
        # Too far to help (the issue's examples): nothing rather than a misleading guess.
        ("layerscale_v2", ["average", "up_sampling3d", "dense"], ""),
        ("num_key_value_heads", ["num_heads", "key_dim", "value_dim", "use_bias"], ""),
        ("rescale_pixels", ["up_sampling3d", "rescaling_x", "reshape"], ""),
        # A prefix that several names share picks none of them; a short one never counts.
        ("batch", ["batch_normalization", "batch_norm2d"], ""),
        ("glo", ["global_average_pooling2d"], ""),
    ],
)
def test_suggestions_only_when_close(word: str, choices: list[str], expected: str) -> None:
    assert suggest(word, choices) == expected


def test_the_layers_the_issue_missed_exist_now_and_far_names_get_no_guess() -> None:
    from symcount.layers import REGISTRY

    assert {"layer_scale", "rescaling", "normalization", "group_query_attention"} <= set(REGISTRY)
    assert suggest("layerscale", REGISTRY) == " (did you mean 'layer_scale'?)"
    assert suggest("scale_layer", REGISTRY) == ""
