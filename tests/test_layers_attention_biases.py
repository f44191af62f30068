"""group_query_attention's biases per projection (`key_bias`, `output_bias`) and T5's relative
position bias (`relative_attention_buckets`) under `framework: torch`, against the real Hugging
Face modules: Whisper's attention biases q, v and the output but not k; Qwen2's biases q, k and v
but not the output; T5's first attention learns a (buckets, heads) table; Qwen3's and OLMo 2's
normalize the queries and keys (`qk_norm`: per head, or over each projection)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount.spec import parse_spec
from tests.frameworks import torch

pytestmark = pytest.mark.frameworks


def transformers() -> None:
    torch()
    from symcount.importing.frameworks import prepare_torchvision

    prepare_torchvision()
    pytest.importorskip("transformers")


def _count(module: object) -> int:
    return sum(p.numel() for p in module.parameters())  # type: ignore[attr-defined]


def _spec(attention: dict[str, object], d: int) -> int:
    spec = {"framework": "torch", "input": [5, d], "layers": [{"group_query_attention": attention}]}
    return int(parse_spec(spec).model().params)


@settings(max_examples=8)
@given(heads=st.integers(1, 4), width=st.integers(1, 6))
def test_whisper_attention_leaves_its_key_unbiased(heads: int, width: int) -> None:
    transformers()
    t = torch()
    from transformers.models.whisper.modeling_whisper import WhisperAttention

    d = heads * width
    with t.device("meta"):
        module = WhisperAttention(d, heads)
    # q, v and out: d*d + d each; k: d*d.
    attention = {"head_dim": width, "num_query_heads": heads, "num_key_value_heads": heads, "key_bias": False}
    assert _spec(attention, d) == _count(module) == 4 * d * d + 3 * d


@settings(max_examples=8)
@given(heads=st.integers(1, 4), kv=st.sampled_from([1, 2]), half=st.integers(1, 3))
def test_qwen2_attention_leaves_its_output_unbiased(heads: int, kv: int, half: int) -> None:
    transformers()
    t = torch()
    from transformers import Qwen2Config
    from transformers.models.qwen2.modeling_qwen2 import Qwen2Attention

    width = 2 * half  # rotary embeddings need an even head width
    config = Qwen2Config(hidden_size=8 * width, num_attention_heads=kv * heads, num_key_value_heads=kv,
                         head_dim=width)  # fmt: skip
    with t.device("meta"):
        module = Qwen2Attention(config, 0)
    attention = {
        "head_dim": width,
        "num_query_heads": kv * heads,
        "num_key_value_heads": kv,
        "output_bias": False,
    }
    assert _spec(attention, 8 * width) == _count(module)


@settings(max_examples=8)
@given(heads=st.integers(1, 4), width=st.integers(1, 6), buckets=st.integers(1, 40))
def test_t5_attention_learns_a_relative_position_table(heads: int, width: int, buckets: int) -> None:
    transformers()
    t = torch()
    from transformers import T5Config
    from transformers.models.t5.modeling_t5 import T5Attention

    config = T5Config(d_model=12, d_kv=width, num_heads=heads, relative_attention_num_buckets=buckets)
    with t.device("meta"):
        module = T5Attention(config, has_relative_attention_bias=True)
    # q, k, v: 12 -> heads*width, o back, no biases; the table (buckets, heads).
    attention = {"head_dim": width, "num_query_heads": heads, "num_key_value_heads": heads, "use_bias": False,
                 "relative_attention_buckets": buckets}  # fmt: skip
    assert _spec(attention, 12) == _count(module) == 4 * 12 * heads * width + buckets * heads


@settings(max_examples=6)
@given(heads=st.integers(1, 3), kv=st.sampled_from([1, 2]), half=st.integers(1, 3), olmo=st.booleans())
def test_qwen3_and_olmo2_attention_normalize_queries_and_keys(
    heads: int, kv: int, half: int, olmo: bool
) -> None:
    transformers()
    t = torch()
    import transformers as hf

    width = 2 * half  # rotary embeddings need an even head width
    name = "Olmo2" if olmo else "Qwen3"
    config = getattr(hf, f"{name}Config")(hidden_size=kv * heads * width, num_attention_heads=kv * heads,
                                          num_key_value_heads=kv, head_dim=width)  # fmt: skip
    module_class = getattr(getattr(hf.models, name.lower()), f"modeling_{name.lower()}")
    with t.device("meta"):
        module = getattr(module_class, f"{name}Attention")(config, 0)
    attention = {
        "head_dim": width,
        "num_query_heads": kv * heads,
        "num_key_value_heads": kv,
        "use_bias": False,
        "qk_norm": "all" if olmo else "head",
    }
    assert _spec(attention, kv * heads * width) == _count(module)
    assert _count(module) > _spec({**attention, "qk_norm": None}, kv * heads * width)
