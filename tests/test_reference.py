"""The generated layer reference: complete, consistent with the code, and committed up to date."""

from pathlib import Path

import sympy
from click.testing import CliRunner

import symcount
from symcount.cli import main
from symcount.layers import REGISTRY
from symcount.reference import entries, reference_markdown

PAGE = Path(__file__).resolve().parent.parent / "docs" / "layers.md"


def test_docs_layers_page_is_up_to_date() -> None:
    assert PAGE.read_text(encoding="utf-8") == reference_markdown() + "\n", (
        "docs/layers.md is stale: run `symcount layers --markdown > docs/layers.md`"
    )


def test_every_layer_has_a_documented_example() -> None:
    for entry in entries():
        assert entry.derivation, f"{entry.name} needs a one-line derivation"
        assert all(d.free_symbols for d in entry.input_shape), (
            f"{entry.name}'s example input should be symbolic"
        )


def test_reference_formulas_are_the_layers_formulas() -> None:
    dense = next(entry for entry in entries() if entry.name == "Dense")
    n, u = symcount.symbols("n u")
    assert dense.keras["total"] == n * u + u and not dense.differs
    lstm = next(entry for entry in entries() if entry.name == "LSTM")
    assert lstm.torch is not None and sympy.expand(lstm.torch["total"] - lstm.keras["total"]) != 0


def test_every_layer_is_public() -> None:
    for cls in REGISTRY.values():
        assert cls.__name__ in symcount.__all__, f"add {cls.__name__} to symcount.__all__"
        assert getattr(symcount, cls.__name__) is cls


def test_layers_command() -> None:
    result = CliRunner().invoke(main, ["layers"])
    assert result.exit_code == 0 and "dense" in result.output and "linear" in result.output


def test_layers_command_in_latex_and_json() -> None:
    import json

    latex = CliRunner().invoke(main, ["layers", "--latex"])
    assert latex.exit_code == 0 and latex.output.startswith("\\begin{longtable}")
    assert "Dense & $(n)$ & $n u + u$ & $(u)$" in latex.output
    data = json.loads(CliRunner().invoke(main, ["layers", "--json"]).output)
    lstm = next(item for item in data if item["name"] == "LSTM")
    assert (
        lstm["keras"]["total"] == "4*n*u + 4*u**2 + 4*u" and lstm["torch"]["total"] == "4*n*u + 4*u**2 + 8*u"
    )
    assert CliRunner().invoke(main, ["layers", "--latex", "--json"]).exit_code == 2


def test_every_layer_and_every_option_is_listed() -> None:
    # Issue 20 item 14: mixture_of_experts was missing from `symcount layers`, and options such as
    # output_bias were documented nowhere but a docstring. Every option a spec may write is listed.
    import dataclasses

    from symcount.layers import load_all
    from symcount.layers.moe import MixtureOfExperts
    from symcount.reference import COMMON_OPTIONS, entries, reference_markdown

    listed = {entry.key: entry for entry in entries()}
    assert "mixture_of_experts" in listed and set(load_all()) <= set(listed)
    for cls in [*load_all().values(), MixtureOfExperts]:
        fields = {f.name for f in dataclasses.fields(cls)} - set(COMMON_OPTIONS)
        assert fields <= set(listed[cls.kind].options), cls.__name__
    page = reference_markdown()
    assert "`output_bias`" in page and "`router_bias`" in page and "## MixtureOfExperts" in page


def test_layers_command_lists_every_class_with_both_frameworks_names() -> None:
    from symcount.layers import load_all

    result = CliRunner().invoke(main, ["layers"])
    assert result.exit_code == 0
    for cls in load_all().values():
        for name in (*cls.keys(False), *cls.keys(True)):
            assert name in result.output, name
    row = next(line for line in result.output.splitlines() if line.startswith("Conv2D "))
    assert "Convolution2D" in row and "Conv2d" in row


def test_layers_command_shows_one_layer_by_any_name() -> None:
    # Conv2d, conv2d and Conv2D are one layer: PyTorch's signature with its defaults, Keras'
    # arguments, and the formulas.
    outputs = {name: CliRunner().invoke(main, ["layers", name]) for name in ("Conv2d", "conv2d", "Conv2D")}
    assert {result.exit_code for result in outputs.values()} == {0}
    assert len({result.output for result in outputs.values()}) == 1
    text = outputs["Conv2d"].output
    assert "torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0" in text
    assert "parameters: C*f*k**2 + f" in text
    leaky = CliRunner().invoke(main, ["layers", "LeakyReLU"]).output
    assert "torch.nn.LeakyReLU(negative_slope=0.01, inplace=False)" in leaky
    unknown = CliRunner().invoke(main, ["layers", "Conv2x"])
    assert unknown.exit_code == 2 and "unknown layer 'Conv2x'" in unknown.output
