"""The YAML loader for untrusted files: what a spec may hold is loaded as PyYAML's safe loader
would; what passes a bound is one `SpecError`, before any work."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from symcount import SpecError
from symcount.yamlsafe import MAX_DEPTH, load_yaml


def test_the_examples_load_as_the_safe_loader_loads_them() -> None:
    for item in (resources.files("symcount") / "examples").iterdir():
        if item.name.endswith(".yaml"):
            text = item.read_text(encoding="utf-8")
            assert load_yaml(text, item.name) == yaml.safe_load(text), item.name


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("9" * 100, int("9" * 100)),  # 100 digits, as the expression parser allows
        ("-0x" + "f" * 83, -int("f" * 83, 16)),  # 332 bits, under the 333: what 100 digits hold
        ("0b" + "1" * 333, 2**333 - 1),
        ("1_000", 1000),
        ("2.5e+99", 25 * 10**98),  # a whole number, as its text says (issue 21)
        ("2.5e-300", 2.5e-300),  # not whole: a float (a rate, an epsilon)
        ("[&a [1, 2], *a, *a]", [[1, 2]] * 3),  # aliases within the budget are fine
    ],
)
def test_within_the_bounds(text: str, value: object) -> None:
    assert load_yaml(f"v: {text}", "spec") == {"v": value}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("v: " + "9" * 101, "an integer at line 1 is too large"),
        ("v: 0x" + "f" * 84, "an integer at line 1 is too large"),
        ("v: 0b" + "1" * 334, "an integer at line 1 is too large"),
        ("v: 0" + "7" * 112, "an integer at line 1 is too large"),  # YAML 1.1 octal
        ("v: 1." + "0" * 400, "a number at line 1 is too long"),
        ("v: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nests deeper than {MAX_DEPTH} levels"),
        ("v: &a [1, *a]", "an alias at line 1 refers to itself"),
        ("v: [1, 2", "malformed YAML"),
        ("a: 1\n---\nb: 2", "malformed YAML"),
    ],
)
def test_past_the_bounds(text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        load_yaml(text, "spec.yaml")
    message = str(info.value)
    assert message.startswith("spec.yaml: ") and fragment in message and "\n" not in message
