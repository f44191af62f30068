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

NEEDS = {"timm_vit": "timm", **{n: "torchvision" for n in ("resnet18", "resnet50", "densenet", "vgg11", "mobilenet_v2",
         "efficientnet_b0", "convnext_tiny", "torchvision_vit")}}  # fmt: skip
HF = ("llama", "qwen2", "gemma", "mixtral", "opt", "gpt2", "bert", "vit", "t5", "bart", "whisper")


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
