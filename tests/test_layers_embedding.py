"""Embedding: formulas, agreement with Keras 3 and PyTorch, bad input, specs."""

from __future__ import annotations

from typing import Any

import pytest

from symcount import Embedding, Input, Sequential, SpecError, SymcountError, symbol, symbols
from symcount.spec import parse_spec
from tests.checks import raises
from tests.frameworks import keras, keras_counts, symcount_counts, torch, torch_counts

T, S, B, V, d, r = symbols("T S B V d r")

# (layer, input shape of token ids, framework, trainable, non-trainable, output shape).
FORMULAS = [
    # One row of d numbers per id in a vocabulary of V: a V x d table; each id becomes a vector.
    (Embedding(V, d), (T,), "keras", V * d, 0, (T, d)),
    (Embedding(V, d), (T,), "torch", V * d, 0, (T, d)),
    # The table does not depend on the input: any rank of ids, one more axis out.
    (Embedding(V, d), (B, S, T), "keras", V * d, 0, (B, S, T, d)),
    (Embedding(V, d, mask_zero=True), (T,), "keras", V * d, 0, (T, d)),
    # LoRA: the table is frozen; factors A (V x r) and B (r x d) are trained.
    (Embedding(V, d, lora_rank=r), (T,), "keras", V * r + r * d, V * d, (T, d)),
    # A frozen layer trains nothing.
    (Embedding(V, d, trainable=False), (T,), "torch", 0, V * d, (T, d)),
    (Embedding(V, d, lora_rank=r, trainable=False), (T,), "keras", 0, V * d + V * r + r * d, (T, d)),
]


@pytest.mark.parametrize("layer, shape, framework, trainable, non_trainable, output", FORMULAS, ids=str)
def test_formulas(
    layer: Embedding, shape: tuple, framework: str, trainable: Any, non_trainable: Any, output: tuple
) -> None:
    model = Sequential(Input(*shape), layer, framework=framework)
    assert (model.trainable, model.non_trainable, model.buffers) == (trainable, non_trainable, 0)
    assert model.params == trainable + non_trainable
    assert model.output_shape == output


# Vocabularies and widths of 1 included; ids of rank 1 to 3.
SIZES = [
    ((T,), {"T": 1, "V": 1, "d": 1}),
    ((T,), {"T": 7, "V": 50, "d": 3}),
    ((S, T), {"S": 2, "T": 5, "V": 9, "d": 16}),
    ((B, S, T), {"B": 3, "S": 1, "T": 4, "V": 2, "d": 5}),
]


def concrete(shape: tuple, values: dict[str, int]) -> tuple[int, ...]:
    return tuple(int(dim.xreplace({symbol(k): v for k, v in values.items()})) for dim in shape)


def keras_embedding_counts(layer: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    """As `frameworks.keras_counts`, with an integer input, as token ids are."""
    return keras_counts([layer], shape, dtype="int32")


@pytest.mark.frameworks
@pytest.mark.parametrize(
    "options", [{}, {"mask_zero": True}, {"trainable": False}, {"lora_rank": 1}, {"lora_rank": 3}], ids=str
)
def test_keras_agrees(options: dict[str, Any]) -> None:
    k = keras()
    layer = Embedding(V, d, **{**options, "lora_rank": r} if "lora_rank" in options else options)
    for shape, values in SIZES:
        if "lora_rank" in options:
            values = {**values, "r": options["lora_rank"]}
        expected = keras_embedding_counts(
            k.layers.Embedding(values["V"], values["d"], **options), concrete(shape, values)
        )
        got = symcount_counts([layer], shape, "keras", **values)
        assert {key: got[key] for key in expected} == expected, values


@pytest.mark.frameworks
@pytest.mark.parametrize("frozen", [False, True])
def test_torch_agrees(frozen: bool) -> None:
    t = torch()
    for shape, values in SIZES:
        module = t.nn.Embedding(values["V"], values["d"]).requires_grad_(not frozen)
        ids = t.zeros((2, *concrete(shape, values)), dtype=t.long)
        expected = torch_counts(module, ids)
        got = symcount_counts([Embedding(V, d, trainable=not frozen)], shape, "torch", **values)
        assert got == expected, values


@pytest.mark.frameworks
@pytest.mark.parametrize("freeze", [False, True])
def test_pytorchs_freeze_spelling_agrees(freeze: bool) -> None:
    # nn.Embedding(V, d, _freeze=True) makes its table with requires_grad=False: all non-trainable.
    t = torch()
    values = {"V": 11, "d": 4, "T": 3}
    module = t.nn.Embedding(values["V"], values["d"], _freeze=freeze)
    expected = torch_counts(module, t.zeros((2, values["T"]), dtype=t.long))
    spec = parse_spec(
        {
            "name": "e", "framework": "torch", "input": ["T"],
            "layers": [{"embedding": {"num_embeddings": "V", "embedding_dim": "d", "_freeze": freeze}}],
        },
        "spec",
    )  # fmt: skip
    model = spec.model().subs(values)
    assert (int(model.trainable), int(model.non_trainable)) == (
        expected["trainable"],
        expected["non_trainable"],
    )


@pytest.mark.parametrize(
    "build, error, fragments",
    [
        (lambda: Embedding(0, 8), SymcountError, ("input_dim=0",)),
        (lambda: Embedding(V, 2.5), SymcountError, ("output_dim=5/2",)),
        (lambda: Embedding(V, d, lora_rank=0), SymcountError, ("lora_rank=0",)),
        (lambda: Embedding(V, d, mask_zero="yes"), SpecError, ("mask_zero='yes'",)),
        (lambda: Embedding(V, "d +"), SymcountError, ("output_dim",)),
    ],
)
def test_bad_options(build: Any, error: type[SymcountError], fragments: tuple[str, ...]) -> None:
    with raises(error, *fragments):
        build()


def test_lora_is_keras_only() -> None:
    with raises(SpecError, "lora_rank=r", "layer 1"):
        Sequential(Input(T), Embedding(V, d, lora_rank=r), framework="torch")


def test_a_vocabulary_of_symbols_is_checked_once_substituted() -> None:
    model = Sequential(Input(T), Embedding(V, d))
    with raises(SymcountError, "Received: V=0 (as input_dim)", "layer 1"):
        model.subs(V=0)
    # A vocabulary given as an expression is checked once it has a value.
    with raises(SymcountError, "Received: V=3, which makes input_dim = V - 3 = 0", "layer 1"):
        Sequential(Input(T), Embedding("V - 3", d)).subs(V=3)


def test_spec_round_trips() -> None:
    keras_spec = parse_spec(
        {
            "input": ["T"],
            "layers": [{"embedding": ["V", "d"]}, {"embedding": {"input_dim": "d", "output_dim": 4}}],
        }
    )
    model = keras_spec.model()
    assert model.params == V * d + 4 * d
    assert model.output_shape == (T, d, 4)
    assert model.count(V=1000, d=8) == 8032

    torch_spec = parse_spec(
        {
            "framework": "torch",
            "input": ["T"],
            "layers": [{"embedding": {"num_embeddings": "V", "embedding_dim": "d"}}],
        }
    )
    assert torch_spec.model().params == V * d
    # An option Embedding does not take is refused, naming it.
    bad = {"input": ["T"], "layers": [{"embedding": {"input_dim": "V", "units": 3}}]}
    with raises(SpecError, "'units'", "layer 1"):
        parse_spec(bad).model()


@pytest.mark.frameworks
@pytest.mark.parametrize(("kind", "head_dim"), [("Llama", 6), ("Gemma", 8), ("Gemma", 4)])
def test_rotary_and_scaled_embeddings_hold_pytorchs_buffers(kind: str, head_dim: int) -> None:
    # Issue 20 item 3: Hugging Face's decoders keep the rotary frequency tables (inv_freq and
    # original_inv_freq, head_dim/2 each) and Gemma's sqrt(d) embedding scale as buffers.
    from symcount import RotaryEmbedding

    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    config = getattr(transformers, f"{kind}Config")(
        hidden_size=16, intermediate_size=8, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=1, vocab_size=11, head_dim=head_dim,
    )  # fmt: skip
    with torch().device("meta"):
        module = getattr(transformers, f"{kind}ForCausalLM")(config)
    theirs = {name: b.numel() for name, b in module.named_buffers()}
    scaled = kind == "Gemma"
    ours = Sequential(
        Input(T), Embedding(V, 16, embed_scale=scaled), RotaryEmbedding(head_dim), framework="torch"
    )
    assert ours.buffers == sum(theirs.values()) and ours.params == 16 * V
    assert ("model.embed_tokens.embed_scale" in theirs) == scaled
    # Keras' rotary embedding and scaled embedding hold nothing.
    assert Sequential(Input(T), Embedding(V, 16, embed_scale=True), RotaryEmbedding(head_dim)).buffers == 0
