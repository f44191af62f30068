"""The Transformer zoo: GPT-2 (small, medium, large, XL) and BERT-base, against hand-built PyTorch twins.

The twins follow the published architectures (HF transformers' module layout, written here from the
papers' descriptions): GPT-2 is pre-norm with a fused qkv projection and a head tied to the token
embedding; BERT is post-norm with separate q, k, v projections, segment embeddings and a tanh pooler
on the first token. Large twins are built on the meta device: parameters without memory.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import sympy
import yaml
from click.testing import CliRunner

from symcount import build, symbols
from symcount.cli import main
from symcount.model import Model
from symcount.spec import load_spec, parse_spec
from tests.frameworks import torch, torch_counts

L, d, V, T, P, S, f = symbols("L d V T P S f")

GPT2 = {
    "gpt2": 124_439_808,
    "gpt2-medium": 354_823_168,
    "gpt2-large": 774_030_080,
    "gpt2-xl": 1_557_611_200,
}
BERT_BASE = 109_482_240


# The twins. Built inside functions so that torch is imported only when present.


def gpt2_twin(V: int, T: int, d: int, L: int, h: int, tie: bool = True) -> Any:
    nn = torch().nn
    functional = torch().nn.functional

    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_attn = nn.Linear(d, 3 * d)  # query, key and value in one matrix
            self.c_proj = nn.Linear(d, d)

        def forward(self, x: Any) -> Any:
            batch, length, _ = x.shape
            q, k, v = (
                part.view(batch, length, h, d // h).transpose(1, 2) for part in self.c_attn(x).split(d, dim=2)
            )
            y = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.c_proj(y.transpose(1, 2).reshape(batch, length, d))

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_fc = nn.Linear(d, 4 * d)
            self.c_proj = nn.Linear(4 * d, d)

        def forward(self, x: Any) -> Any:
            return self.c_proj(functional.gelu(self.c_fc(x)))

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(d)
            self.attn = Attention()
            self.ln_2 = nn.LayerNorm(d)
            self.mlp = MLP()

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = nn.Embedding(V, d)
            self.wpe = nn.Embedding(T, d)
            self.h = nn.ModuleList(Block() for _ in range(L))
            self.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, V, bias=False)
            if tie:
                self.lm_head.weight = self.wte.weight  # one Parameter: parameters() yields it once

        def forward(self, ids: Any) -> Any:
            positions = torch().arange(ids.shape[1], device=ids.device)
            x = self.wte(ids) + self.wpe(positions)
            for block in self.h:
                x = block(x)
            return self.lm_head(self.ln_f(x))

    return GPT2()


def bert_twin(V: int, P: int, S: int, d: int, L: int, h: int, f: int) -> Any:
    nn = torch().nn
    functional = torch().nn.functional

    class Embeddings(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word_embeddings = nn.Embedding(V, d)
            self.position_embeddings = nn.Embedding(P, d)
            self.token_type_embeddings = nn.Embedding(S, d)
            self.norm = nn.LayerNorm(d)

        def forward(self, ids: Any, segments: Any) -> Any:
            positions = torch().arange(ids.shape[1], device=ids.device)
            x = self.word_embeddings(ids) + self.position_embeddings(positions)
            return self.norm(x + self.token_type_embeddings(segments))

    class SelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
            self.output = nn.Linear(d, d)

        def forward(self, x: Any) -> Any:
            batch, length, _ = x.shape

            def heads(y: Any) -> Any:
                return y.view(batch, length, h, d // h).transpose(1, 2)

            q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
            y = functional.scaled_dot_product_attention(q, k, v)
            return self.output(y.transpose(1, 2).reshape(batch, length, d))

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attention = SelfAttention()
            self.attention_norm = nn.LayerNorm(d)
            self.intermediate = nn.Linear(d, f)
            self.output = nn.Linear(f, d)
            self.output_norm = nn.LayerNorm(d)

        def forward(self, x: Any) -> Any:
            x = self.attention_norm(x + self.attention(x))
            return self.output_norm(x + self.output(functional.gelu(self.intermediate(x))))

    class Pooler(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dense = nn.Linear(d, d)

        def forward(self, x: Any) -> Any:
            return torch().tanh(self.dense(x[:, 0]))

    class Bert(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = Embeddings()
            self.encoder = nn.ModuleList(Layer() for _ in range(L))
            self.pooler = Pooler()

        def forward(self, ids: Any, segments: Any) -> tuple[Any, Any]:
            x = self.embeddings(ids, segments)
            for layer in self.encoder:
                x = layer(x)
            return x, self.pooler(x)

    return Bert()


def on_meta(make: Any, **sizes: int) -> Any:
    """The twin with parameters on the meta device: shapes without memory."""
    with torch().device("meta"):
        return make(**sizes)


def numel(module: Any) -> int:
    return int(torch_counts(module)["total"])


def count(name: str, **values: Any) -> int:
    """The spec's count at its defaults overridden by `values`, given as text as `--set` gives them."""
    return int(build(name, {k: str(v) for k, v in values.items()}).params)


def example_text(name: str) -> str:
    return resources.files("symcount.examples").joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def gpt2_values(name: str) -> dict[str, int]:
    return {k: int(v) for k, v in load_spec(name).values.items()}


def bert_sizes(values: dict[str, int]) -> dict[str, int]:
    return {k: values[k] for k in ("V", "P", "S", "d", "L", "h", "f")}


# 1. The published counts, from the spec and from the twin.


@pytest.mark.parametrize("name", list(GPT2))
def test_gpt2_published_count_equals_spec_and_twin(name: str) -> None:
    assert count(name) == GPT2[name]
    assert numel(on_meta(gpt2_twin, **gpt2_values(name))) == GPT2[name]
    assert f"({GPT2[name]:,} parameters)" in load_spec(name).description


def test_bert_base_published_count_equals_spec_and_twin() -> None:
    values = {k: int(v) for k, v in load_spec("bert-base").values.items()}
    assert count("bert-base") == BERT_BASE
    assert numel(on_meta(bert_twin, **bert_sizes(values))) == BERT_BASE
    assert f"({BERT_BASE:,} parameters)" in load_spec("bert-base").description


def test_counts_through_the_cli() -> None:
    result = CliRunner().invoke(main, ["count", "gpt2-xl", "--json"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output)["total"] == GPT2["gpt2-xl"]


# 2. Other sizes: the spec with --set-style values against the twin built at those sizes.


@pytest.mark.parametrize(
    "sizes",
    [
        {"V": 1000, "T": 64, "d": 128, "L": 2, "h": 4},
        {"V": 32000, "T": 2048, "d": 2048, "L": 3, "h": 16},
        {"V": 50257, "T": 512, "d": 96, "L": 5, "h": 3},
    ],
)
def test_gpt2_at_other_sizes(sizes: dict[str, int]) -> None:
    assert count("gpt2", **sizes) == numel(on_meta(gpt2_twin, **sizes))


@pytest.mark.parametrize(
    "sizes",
    [
        {"V": 1000, "P": 128, "S": 4, "T": 64, "d": 128, "L": 2, "h": 4, "f": 512},
        # BERT-large: 24 blocks of 1024, 16 heads, 4096 wide (335,141,888 parameters).
        {"V": 30522, "P": 512, "S": 2, "T": 512, "d": 1024, "L": 24, "h": 16, "f": 4096},
        {"V": 21128, "P": 256, "S": 1, "T": 100, "d": 60, "L": 3, "h": 5, "f": 7},
    ],
)
def test_bert_at_other_sizes(sizes: dict[str, int]) -> None:
    assert count("bert-base", **sizes) == numel(on_meta(bert_twin, **bert_sizes(sizes)))


def test_bert_large_count() -> None:
    large = {"d": 1024, "L": 24, "h": 16, "f": 4096}
    assert count("bert-base", **large) == 335_141_888


def test_small_twins_run_and_give_the_specs_output_shapes() -> None:
    t = torch()
    gpt = {"V": 50, "T": 16, "d": 24, "L": 2, "h": 3}
    twin = gpt2_twin(**gpt)
    logits = twin(t.randint(0, 50, (1, 16)))
    assert tuple(logits.shape[1:]) == tuple(int(n) for n in build("gpt2", gpt).output_shape)

    bert = {"V": 40, "P": 20, "S": 2, "T": 12, "d": 16, "L": 2, "h": 4, "f": 32}
    twin = bert_twin(**bert_sizes(bert))
    sequence, pooled = twin(t.randint(0, 40, (1, 12)), t.randint(0, 2, (1, 12)))
    shapes = build("bert-base", bert).output_shapes
    assert (tuple(sequence.shape[1:]), tuple(pooled.shape[1:])) == tuple(
        tuple(int(n) for n in shape) for shape in shapes
    )


# 3. Named stages: rows of the spec against the twin's submodules.


def rows(model: Model) -> dict[str, int]:
    return {row.name: int(row.params) for row in model.rows}


def block_rows(model: Model, name: str) -> dict[str, int]:
    """One copy of a repeated block: its rows' counts, by name."""
    row = next(row for row in model.rows if row.name == name)
    return {r.name: int(r.params) for r in row.layer.block_rows(row.input_shape, model.framework)}


@pytest.mark.parametrize("name", ["gpt2", "gpt2-xl"])
def test_gpt2_stages_equal_the_twins_submodules(name: str) -> None:
    values = gpt2_values(name)
    model, twin = build(name), on_meta(gpt2_twin, **values)
    stages = rows(model)
    assert stages["wte"] == numel(twin.wte)
    assert stages["wpe"] == numel(twin.wpe)
    assert stages["blocks"] == numel(twin.h)
    assert stages["ln_f"] == numel(twin.ln_f)
    assert stages["lm_head"] == 0 and twin.lm_head.weight is twin.wte.weight
    block, first = block_rows(model, "blocks"), twin.h[0]
    assert block["ln_1"] == numel(first.ln_1) and block["ln_2"] == numel(first.ln_2)
    assert block["attn"] == numel(first.attn)
    assert block["c_fc"] == numel(first.mlp.c_fc) and block["c_proj"] == numel(first.mlp.c_proj)
    assert sum(block.values()) * values["L"] == stages["blocks"]


def test_bert_stages_equal_the_twins_submodules() -> None:
    values = {k: int(v) for k, v in load_spec("bert-base").values.items()}
    model, twin = build("bert-base"), on_meta(bert_twin, **bert_sizes(values))
    stages = rows(model)
    embeddings = ("word_embeddings", "position_embeddings", "token_type_embeddings", "embeddings_norm")
    assert sum(stages[name] for name in embeddings) == numel(twin.embeddings)
    assert stages["word_embeddings"] == numel(twin.embeddings.word_embeddings)
    assert stages["token_type_embeddings"] == numel(twin.embeddings.token_type_embeddings)
    assert stages["encoder"] == numel(twin.encoder)
    assert stages["pooler"] == numel(twin.pooler)
    block, first = block_rows(model, "encoder"), twin.encoder[0]
    for name in ("attention", "attention_norm", "intermediate", "output", "output_norm"):
        assert block[name] == numel(getattr(first, name)), name


# 4. The formulas.


def test_gpt2_formula_is_the_textbook_one() -> None:
    for name in GPT2:
        total = load_spec(name).model().params
        assert sympy.expand(total) == sympy.expand(L * (12 * d**2 + 13 * d) + (V + T + 2) * d)
        assert sympy.degree(total, d) == 2 and sympy.degree(total, L) == 1
        # Kaplan et al.'s N ~ 12 L d^2: the only term of degree 3 in L and d together.
        assert sympy.limit(total / (12 * L * d**2), d, sympy.oo) == 1
    # The heads split d (h must divide it) but cost nothing of their own: h is not in the total.
    assert {s.name for s in load_spec("gpt2").model().params.free_symbols} == {"L", "T", "V", "d"}


def test_gpt2_tie_removes_exactly_the_head() -> None:
    data = yaml.safe_load(example_text("gpt2"))
    head = next(entry for entry in data["layers"] if entry.get("name") == "lm_head")
    assert head.pop("tie") == "wte"
    untied = parse_spec(data, "gpt2-untied").model()
    tied = load_spec("gpt2").model()
    assert sympy.expand(untied.params - tied.params) == V * d
    values = gpt2_values("gpt2")
    assert numel(on_meta(gpt2_twin, **values, tie=False)) - GPT2["gpt2"] == values["V"] * values["d"]
    assert int(untied.subs(values).params) == GPT2["gpt2"] + values["V"] * values["d"]


def test_bert_formula() -> None:
    total = load_spec("bert-base").model().params
    block = 4 * d**2 + 4 * d + 2 * d * f + f + d + 4 * d  # attention, feed-forward, two LayerNorms
    expected = (V + P + S) * d + 2 * d + L * block + d**2 + d
    assert sympy.expand(total) == sympy.expand(expected)
    assert sympy.degree(total, d) == 2 and sympy.degree(total, L) == 1
    assert "T" not in {s.name for s in total.free_symbols}  # the sequence length costs nothing


def test_heads_must_divide_the_width() -> None:
    from symcount.errors import ShapeError

    with pytest.raises(ShapeError, match="divisible by num_heads"):
        build("gpt2", {"h": "7"})
