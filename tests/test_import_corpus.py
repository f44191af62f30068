"""The import corpus: real PyTorch factories (tests/corpus.py) imported as users would, each spec
exact in parameters at the user's sizes and at three fresh ones, and equal in MACs to PyTorch's
FlopCounterMode on the same forward pass (the importer checks both at every point; the test counts
again here, independently, at the user's sizes). Refused factories are refused in one line, with
the reason tests/corpus.py records."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import symcount
from symcount import SymcountError
from symcount.spec import parse_spec
from tests import corpus
from tests.frameworks import torch

pytestmark = pytest.mark.frameworks

NEEDS = {**{n: "timm" for n in ("timm_vit", "timm_mobilenetv3", "timm_convnext", "timm_mixer", "poolformer")},
         **{n: "torchvision" for n in ("resnet18", "resnet50", "densenet", "vgg11", "mobilenet_v2",
            "efficientnet_b0", "convnext_tiny", "torchvision_vit", "googlenet", "shufflenet")}}  # fmt: skip
HF = ("llama", "qwen2", "gemma", "mixtral", "opt", "gpt2", "bert", "vit", "t5", "bart", "whisper", "phi3", "falcon",
      "cohere", "mbart", "llama_classifier", "gpt_neo", "gemma2", "bloom", "mpt", "deberta_v2", "mpnet",
      "qwen3", "gemma3", "olmo2", "qwen2_moe", "albert")  # fmt: skip


def _frameworks(name: str) -> None:
    torch()
    from symcount.importing.frameworks import prepare_torchvision

    prepare_torchvision()
    if name in HF:
        pytest.importorskip("transformers")
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])


def _theirs(factory: Any, sizes: dict[str, int], given: Any) -> tuple[int, int]:
    """PyTorch's parameter count and FlopCounterMode's FLOPs of the forward at `sizes`, with Hugging
    Face attention eager (its matrix products counted)."""
    from symcount.importing.frameworks import build
    from symcount.importing.inputs import Inputs
    from symcount.importing.trace import flop_count

    model = build(factory, sizes)
    params = sum(p.numel() for p in model.parameters())
    return params, flop_count(model, Inputs.parse(given, sizes).example(model, sizes))


@pytest.mark.parametrize("name", sorted(set(corpus.CORPUS) - set(corpus.REFUSED)))
def test_the_corpus_imports_exactly(name: str) -> None:
    _frameworks(name)
    factory, sizes, given = corpus.CORPUS[name]
    imported = symcount.from_torch(factory, input=given, **sizes)
    assert len(imported.checked) == 3  # three fresh sizes beside the user's, each verified
    model = parse_spec(yaml.safe_load(imported.to_yaml())).model()  # the YAML as written reads back
    values = {**sizes, **({"tokens": 8} if "tokens" in {s.name for s in model.symbols} else {})}
    params, flops = _theirs(factory, sizes, given)
    assert model.count(values) == params
    assert 2 * int(model.cost("macs", values)) == flops


@pytest.mark.parametrize("name", sorted(corpus.REFUSED))
def test_what_the_corpus_refuses_is_one_line(name: str) -> None:
    _frameworks(name)
    factory, sizes, given = corpus.CORPUS[name]
    with pytest.raises(SymcountError) as error:
        symcount.from_torch(factory, input=given, **sizes)
    assert corpus.REFUSED[name] in str(error.value) and "\n" not in str(error.value)


def test_repeats_stay_symbolic_where_a_size_drives_them() -> None:
    # Llama's L decoder layers and a torchvision ResNet's second stage (n2 blocks: the first apart,
    # with its projection, then n2 - 1 alike); Llama's heads and key/value heads are sizes, its
    # head width their ratio d/h.
    _frameworks("resnet18")
    pytest.importorskip("transformers")
    factory, sizes, given = corpus.CORPUS["llama"]
    llama = yaml.safe_load(symcount.from_torch(factory, input=given, **sizes).to_yaml())
    assert llama["layers"][1] == {"repeat": {"times": "L", "block": "model_layers"}, "name": "model_layers"}
    attention = llama["blocks"]["model_layers"][1]["group_query_attention"]
    assert attention == {
        "head_dim": "d/h",
        "num_query_heads": "h",
        "num_key_value_heads": "kv",
        "use_bias": False,
    }
    factory, sizes, given = corpus.CORPUS["resnet18"]
    resnet = yaml.safe_load(symcount.from_torch(factory, input=given, **sizes).to_yaml())
    assert [e["repeat"] for e in resnet["layers"] if "repeat" in e] == [
        {"times": "n2 - 1", "block": "layer2"}
    ]
    # torchvision's `out += identity` is an add in every block.
    assert sum("add" in e for e in resnet["blocks"]["layer2"]) == 1


def test_torchvision_imports_where_its_compiled_operators_do_not() -> None:
    # Without the test suite's stub (tests/conftest.py), as a user's `symcount import` runs: the
    # importer makes torchvision's pure-Python model code importable.
    import subprocess
    import sys

    torch()
    pytest.importorskip("torchvision.models", reason="torchvision is not installed")
    code = (
        "from symcount.importing.frameworks import prepare_torchvision; prepare_torchvision(); "
        "from torchvision.models import resnet18; print(type(resnet18()).__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout == "ResNet\n", result.stderr[-500:]


def test_encoder_decoders_read_several_inputs_and_cross_attention() -> None:
    # BART with Hugging Face's own input names: the spec's input is a mapping by name; each decoder
    # layer's cross-attention is called on [its query's source, the encoder's output], which the
    # decoder's repeat (still L times) passes to its block as context.
    _frameworks("bart")
    factory, sizes, given = corpus.CORPUS["bart"]
    bart = yaml.safe_load(symcount.from_torch(factory, input=given, **sizes).to_yaml())
    assert bart["input"] == {"input_ids": ["tokens"], "decoder_input_ids": ["tokens"]}
    repeats = [e for e in bart["layers"] if "repeat" in e]
    assert [r["repeat"] for r in repeats] == [
        {"times": "L", "block": "encoder_layers"},
        {"times": "L", "block": "decoder_layers"},
    ]
    assert repeats[1]["inputs"][1] == "encoder_layers"  # the encoder's output
    decoder = bart["blocks"]["decoder_layers"]
    assert decoder["context"] == ["encoder_layers"]
    cross = [e for e in decoder["layers"] if e.get("inputs", [""])[-1] == "encoder_layers"]
    assert [e["name"] for e in cross] == ["encoder_attn"] and "multi_head_attention" in cross[0]
    tokens = [e["inputs"] for e in bart["layers"] if e["name"].endswith("embed_tokens")]
    assert tokens == [["input_ids"], ["decoder_input_ids"]]


def _two_sourced(d: int) -> Any:
    """Queries and values from x, keys from y: no attention layer of symcount's."""
    from torch import nn
    from torch.nn import functional

    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

        def forward(self, x: Any, y: Any) -> Any:
            def heads(t: Any) -> Any:
                return t.view(1, -1, 2, d // 2).transpose(1, 2)

            mixed = functional.scaled_dot_product_attention(
                heads(self.q(x)), heads(self.k(y)), heads(self.v(x))
            )
            return self.o(mixed.transpose(1, 2).reshape(1, -1, d))

    return Odd()


def test_an_attention_of_keys_and_values_from_two_tensors_is_refused_in_one_line() -> None:
    torch()
    with pytest.raises(SymcountError) as error:
        symcount.from_torch(_two_sourced, input=("x=4,d", "y=4,d"), d=8)
    assert "keys and values come from different tensors" in str(error.value)
    assert "\n" not in str(error.value)
