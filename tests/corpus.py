"""Real PyTorch model factories as people write them (Hugging Face models from small configs,
torchvision, timm, plain torch), keyword sizes in, a torch.nn.Module out: the corpus that
tests/test_import_corpus.py imports. Each entry of CORPUS is (factory, sizes, input).

The frameworks are imported inside the factories, so collecting the tests never needs them.
"""

from __future__ import annotations

from typing import Any

from tests.factories import shared_layer  # one Linear called twice

HF = {"bos_token_id": None, "eos_token_id": None, "pad_token_id": None}


def _hf(config_name: str, model_name: str, **config: Any) -> Any:
    import transformers

    return getattr(transformers, model_name)(getattr(transformers, config_name)(**config))


# Hugging Face, from configs (nothing downloaded) ------------------------------------------------


def llama(d: int, L: int, h: int, kv: int) -> Any:
    return _hf("LlamaConfig", "LlamaForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=96,
               vocab_size=100, num_attention_heads=h, num_key_value_heads=kv, max_position_embeddings=64, **HF)  # fmt: skip


def qwen2(d: int, L: int, h: int, kv: int) -> Any:
    # Biases on q, k and v, none on the output projection.
    return _hf("Qwen2Config", "Qwen2ForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=96,
               vocab_size=100, num_attention_heads=h, num_key_value_heads=kv, max_position_embeddings=64, **HF)  # fmt: skip


def gemma(d: int, L: int) -> Any:
    # A scaled embedding (a subclass of nn.Embedding), multi-query attention of 4 heads of 16.
    return _hf("GemmaConfig", "GemmaForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=96,
               vocab_size=100, num_attention_heads=4, num_key_value_heads=1, head_dim=16,
               max_position_embeddings=64, **HF)  # fmt: skip


def mixtral(d: int, L: int, E: int) -> Any:
    # E experts of 48, two per token, behind a MixtralTopKRouter; experts as 3-D weights.
    return _hf("MixtralConfig", "MixtralForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=4, num_key_value_heads=2, num_local_experts=E,
               num_experts_per_tok=2, max_position_embeddings=64, **HF)  # fmt: skip


def opt(d: int, L: int) -> Any:
    # Learned positions (OPTLearnedPositionalEmbedding, a subclass of nn.Embedding, offset 2).
    return _hf("OPTConfig", "OPTForCausalLM", hidden_size=d, num_hidden_layers=L, ffn_dim=48, vocab_size=100,
               num_attention_heads=4, max_position_embeddings=64, word_embed_proj_dim=d, **HF)  # fmt: skip


def gpt2(d: int, L: int) -> Any:
    return _hf("GPT2Config", "GPT2LMHeadModel", n_embd=d, n_layer=L, n_head=4, vocab_size=100, n_positions=32,
               **HF)  # fmt: skip


def bert(d: int, L: int) -> Any:
    # With its pooler, which reads the first token (`hidden[:, 0]`).
    return _hf("BertConfig", "BertModel", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=4, max_position_embeddings=32)  # fmt: skip


def vit(d: int, L: int) -> Any:
    # Class token and position embedding held by ViTEmbeddings, beside its patch convolution.
    return _hf("ViTConfig", "ViTForImageClassification", hidden_size=d, num_hidden_layers=L,
               intermediate_size=48, num_attention_heads=4, image_size=32, patch_size=8, num_labels=10)  # fmt: skip


def t5(d: int, L: int) -> Any:
    return _hf("T5Config", "T5Model", d_model=d, num_layers=L, num_decoder_layers=L, d_ff=48, vocab_size=100,
               num_heads=4, d_kv=16, relative_attention_num_buckets=8, decoder_start_token_id=0, **HF)  # fmt: skip


def bart(d: int, L: int) -> Any:
    return _hf("BartConfig", "BartModel", d_model=d, encoder_layers=L, decoder_layers=L, encoder_ffn_dim=48,
               decoder_ffn_dim=48, vocab_size=100, encoder_attention_heads=4, decoder_attention_heads=4,
               max_position_embeddings=64, **HF)  # fmt: skip


def whisper(d: int, L: int, S: int) -> Any:
    # Mel frames are twice the positions: --input input_features=16,2*S.
    return _hf("WhisperConfig", "WhisperModel", d_model=d, encoder_layers=L, decoder_layers=L,
               encoder_ffn_dim=48, decoder_ffn_dim=48, vocab_size=100, encoder_attention_heads=4,
               decoder_attention_heads=4, num_mel_bins=16, max_source_positions=S, max_target_positions=64,
               decoder_start_token_id=0, **HF)  # fmt: skip


def phi3(d: int, L: int) -> Any:
    # Fused gate and up projections, split by `chunk`: two dense entries of f each.
    return _hf("Phi3Config", "Phi3ForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, **HF)  # fmt: skip


def falcon(d: int, L: int) -> Any:
    # Multi-query attention in one fused query_key_value projection of (4 + 2) heads of d/4.
    return _hf("FalconConfig", "FalconForCausalLM", hidden_size=d, num_hidden_layers=L, vocab_size=100,
               num_attention_heads=4, **HF)  # fmt: skip


def cohere(d: int, L: int) -> Any:
    # CohereLayerNorm: a model's own LayerNorm without bias.
    return _hf("CohereConfig", "CohereForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, **HF)  # fmt: skip


def mbart(d: int, L: int) -> Any:
    # Its positions' embedding reads `inputs_embeds[..., -1]` for its shape only.
    return _hf("MBartConfig", "MBartModel", d_model=d, encoder_layers=L, decoder_layers=L, encoder_ffn_dim=48,
               decoder_ffn_dim=48, vocab_size=100, encoder_attention_heads=4, decoder_attention_heads=4,
               max_position_embeddings=64, **HF)  # fmt: skip


def llama_classifier(d: int, L: int, K: int) -> Any:
    # The score reads every token, then `logits[torch.arange(batch), -1]` the last one.
    return _hf("LlamaConfig", "LlamaForSequenceClassification", hidden_size=d, num_hidden_layers=L,
               intermediate_size=48, vocab_size=100, num_attention_heads=4, num_key_value_heads=2,
               max_position_embeddings=64, num_labels=K, **HF)  # fmt: skip


def gpt_neo(d: int, L: int) -> Any:
    # Eager attention (`softmax(q @ k.T) @ v`), no bias but on the output projection.
    return _hf("GPTNeoConfig", "GPTNeoForCausalLM", hidden_size=d, num_layers=L, num_heads=4, vocab_size=100,
               max_position_embeddings=64, attention_types=[[["global"], L]], **HF)  # fmt: skip


def gemma2(d: int, L: int) -> Any:
    # Eager attention with soft-capped scores, grouped-query heads of 16.
    return _hf("Gemma2Config", "Gemma2ForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=4, num_key_value_heads=2, head_dim=16, sliding_window=16,
               max_position_embeddings=64, **HF)  # fmt: skip


def bloom(d: int, L: int) -> Any:
    # Fused query_key_value, ALiBi, scores by `baddbmm`.
    return _hf("BloomConfig", "BloomForCausalLM", hidden_size=d, n_layer=L, n_head=4, vocab_size=100, **HF)


def mpt(d: int, L: int) -> Any:
    # Fused Wqkv split by `chunk` inside the attention, eager scores.
    return _hf("MptConfig", "MptForCausalLM", d_model=d, n_layers=L, n_heads=4, vocab_size=100, max_seq_len=64,
               **HF)  # fmt: skip


def deberta_v2(d: int, L: int) -> Any:
    # Eager attention by `bmm` on heads folded into the batch axis.
    return _hf("DebertaV2Config", "DebertaV2Model", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=4, max_position_embeddings=64)  # fmt: skip


def qwen3(d: int, L: int, h: int, kv: int) -> Any:
    # Queries and keys normalized per head (q_norm, k_norm): qk_norm "head".
    return _hf("Qwen3Config", "Qwen3ForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=h, num_key_value_heads=kv, head_dim=16,
               max_position_embeddings=64, **HF)  # fmt: skip


def gemma3(d: int, L: int) -> Any:
    # Per-head norms after the heads are moved ahead of the tokens, sliding and global layers.
    return _hf("Gemma3TextConfig", "Gemma3ForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=4, num_key_value_heads=2, head_dim=16, sliding_window=16,
               max_position_embeddings=64, **HF)  # fmt: skip


def olmo2(d: int, L: int, h: int, kv: int) -> Any:
    # Queries and keys normalized over each projection's features: qk_norm "all".
    return _hf("Olmo2Config", "Olmo2ForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=h, num_key_value_heads=kv, max_position_embeddings=64, **HF)  # fmt: skip


def qwen2_moe(d: int, L: int, E: int) -> Any:
    # A router and E experts as 3-D weights (one mixture_of_experts) beside a shared expert
    # gated by a sigmoid, traced as it is.
    return _hf("Qwen2MoeConfig", "Qwen2MoeForCausalLM", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               moe_intermediate_size=16, shared_expert_intermediate_size=24, num_experts=E, num_experts_per_tok=2,
               vocab_size=100, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, **HF)  # fmt: skip


def albert(d: int, L: int) -> Any:
    # One layer group, its weights shared, called L times.
    return _hf("AlbertConfig", "AlbertModel", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               embedding_size=16, vocab_size=100, num_attention_heads=4, max_position_embeddings=64)  # fmt: skip


def mpnet(d: int, L: int) -> Any:
    # Relative position biases computed once by the encoder, added in every layer's attention.
    return _hf("MPNetConfig", "MPNetModel", hidden_size=d, num_hidden_layers=L, intermediate_size=48,
               vocab_size=100, num_attention_heads=4, max_position_embeddings=64)  # fmt: skip


# torchvision and timm --------------------------------------------------------------------------


def resnet18(n2: int, K: int) -> Any:
    from torchvision.models.resnet import BasicBlock, ResNet

    return ResNet(BasicBlock, [2, n2, 2, 2], num_classes=K)


def resnet50(n3: int, K: int) -> Any:
    from torchvision.models.resnet import Bottleneck, ResNet

    return ResNet(Bottleneck, [3, 4, n3, 3], num_classes=K)


def densenet(K: int) -> Any:
    # Every layer of a dense block reads the torch.cat of all the features before it.
    from torchvision.models import DenseNet

    return DenseNet(growth_rate=8, block_config=(2, 3), num_init_features=16, num_classes=K)


def vgg11(K: int) -> Any:
    from torchvision.models import vgg11 as build

    return build(num_classes=K)


def mobilenet_v2(K: int) -> Any:
    from torchvision.models import mobilenet_v2 as build

    return build(num_classes=K)


def efficientnet_b0(K: int) -> Any:
    from torchvision.models import efficientnet_b0 as build

    return build(num_classes=K)


def convnext_tiny(K: int) -> Any:
    from torchvision.models import convnext_tiny as build

    return build(num_classes=K)


def torchvision_vit(d: int, L: int) -> Any:
    from torchvision.models.vision_transformer import VisionTransformer

    return VisionTransformer(image_size=32, patch_size=8, num_layers=L, num_heads=4, hidden_dim=d, mlp_dim=48,
                             num_classes=10)  # fmt: skip


def timm_vit(d: int, L: int) -> Any:
    from timm.models.vision_transformer import VisionTransformer

    return VisionTransformer(img_size=32, patch_size=8, embed_dim=d, depth=L, num_heads=4, num_classes=10)


def googlenet(K: int) -> Any:
    # Its max pools keep a last, partial window (ceil_mode=True); four branches joined by torch.cat.
    from torchvision.models import GoogLeNet

    return GoogLeNet(num_classes=K, aux_logits=False, init_weights=False)


def shufflenet(K: int) -> Any:
    # Each unit chunks its channels in two halves (x.chunk(2, dim=1)), then shuffles them.
    from torchvision.models import shufflenet_v2_x0_5 as build

    return build(num_classes=K)


def timm_mobilenetv3(K: int) -> Any:
    # timm's BatchNormAct2d: a BatchNorm2d running its activation as a child module.
    import timm

    return timm.create_model("mobilenetv3_small_100", pretrained=False, num_classes=K)


def timm_convnext(K: int) -> Any:
    # A per-channel scale held by each block: x.mul(gamma.reshape(1, -1, 1, 1)).
    import timm

    return timm.create_model("convnext_atto", pretrained=False, num_classes=K)


def timm_mixer(d: int, L: int) -> Any:
    # MLP-Mixer: its head averages the tokens, x.mean(dim=1).
    from timm.models.mlp_mixer import MlpMixer

    return MlpMixer(num_classes=10, img_size=32, patch_size=8, num_blocks=L, embed_dim=d)


def poolformer(K: int) -> Any:
    # PoolFormer: residuals scaled by timm's Scale module, x * scale.view(-1, 1, 1).
    import timm

    return timm.create_model("poolformer_s12", pretrained=False, num_classes=K)


# Plain PyTorch ---------------------------------------------------------------------------------


def lstm_classifier(V: int, d: int, u: int, K: int) -> Any:
    from torch import nn

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(V, d)
            self.lstm = nn.LSTM(d, u, num_layers=2, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * u, K)

        def forward(self, ids: Any) -> Any:
            out, _ = self.lstm(self.embed(ids))
            return self.head(out[:, -1])

    return Model()


def gru_tagger(n: int, u: int, K: int) -> Any:
    from torch import nn

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(n, u, batch_first=True)
            self.head = nn.Linear(u, K)

        def forward(self, x: Any) -> Any:
            return self.head(self.gru(x)[0])

    return Model()


def audio_cnn(C: int, f: int, K: int) -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Conv1d(C, f, 5, stride=2, padding=2), nn.BatchNorm1d(f), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(f, 2 * f, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(2 * f, K),
    )  # fmt: skip


def two_branches(d: int, h: int) -> Any:
    import torch
    from torch import nn

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.left, self.right = (
                nn.Linear(d, h),
                nn.Sequential(nn.Linear(d, h), nn.GELU(), nn.Linear(h, h)),
            )
            self.head = nn.Linear(2 * h, 1)

        def forward(self, x: Any) -> Any:
            return self.head(torch.cat([self.left(x), self.right(x)], dim=-1))

    return Model()


def residual_mlp(d: int, L: int) -> Any:
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm, self.fc = nn.LayerNorm(d), nn.Linear(d, d)

        def forward(self, x: Any) -> Any:
            out = self.fc(self.norm(x))
            out += x
            return out

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks, self.head = nn.Sequential(*(Block() for _ in range(L))), nn.Linear(d, 1)

        def forward(self, x: Any) -> Any:
            return self.head(self.blocks(x))

    return Model()


# (factory, sizes, input): input as `from_torch` takes it (None: token ids or a vector)
CORPUS: dict[str, tuple[Any, dict[str, int], Any]] = {
    "llama": (llama, {"d": 64, "L": 2, "h": 4, "kv": 2}, None),
    "qwen2": (qwen2, {"d": 64, "L": 2, "h": 4, "kv": 2}, None),
    "gemma": (gemma, {"d": 48, "L": 2}, None),
    "mixtral": (mixtral, {"d": 32, "L": 2, "E": 4}, None),
    "opt": (opt, {"d": 32, "L": 2}, None),
    "gpt2": (gpt2, {"d": 32, "L": 2}, None),
    "bert": (bert, {"d": 32, "L": 2}, None),
    "vit": (vit, {"d": 32, "L": 2}, ("3", "32", "32")),
    "t5": (t5, {"d": 32, "L": 2}, ("input_ids=8", "decoder_input_ids=8")),
    "bart": (bart, {"d": 32, "L": 2}, None),
    "phi3": (phi3, {"d": 32, "L": 2}, None),
    "falcon": (falcon, {"d": 32, "L": 2}, None),
    "cohere": (cohere, {"d": 32, "L": 2}, None),
    "mbart": (mbart, {"d": 32, "L": 2}, None),
    "llama_classifier": (llama_classifier, {"d": 32, "L": 2, "K": 3}, None),
    "gpt_neo": (gpt_neo, {"d": 32, "L": 2}, None),
    "gemma2": (gemma2, {"d": 32, "L": 2}, None),
    "bloom": (bloom, {"d": 32, "L": 2}, None),
    "mpt": (mpt, {"d": 32, "L": 2}, None),
    "deberta_v2": (deberta_v2, {"d": 32, "L": 2}, None),
    "qwen3": (qwen3, {"d": 32, "L": 2, "h": 4, "kv": 2}, None),
    "gemma3": (gemma3, {"d": 32, "L": 2}, None),
    "olmo2": (olmo2, {"d": 32, "L": 2, "h": 4, "kv": 2}, None),
    "qwen2_moe": (qwen2_moe, {"d": 32, "L": 2, "E": 4}, None),
    "albert": (albert, {"d": 32, "L": 2}, None),
    "mpnet": (mpnet, {"d": 32, "L": 2}, None),
    "whisper": (whisper, {"d": 32, "L": 2, "S": 16}, ("input_features=16,2*S", "decoder_input_ids=8")),
    "resnet18": (resnet18, {"n2": 2, "K": 10}, ("3", "32", "32")),
    "resnet50": (resnet50, {"n3": 2, "K": 10}, ("3", "32", "32")),
    "densenet": (densenet, {"K": 10}, ("3", "32", "32")),
    "vgg11": (vgg11, {"K": 10}, ("3", "224", "224")),
    "mobilenet_v2": (mobilenet_v2, {"K": 10}, ("3", "32", "32")),
    "efficientnet_b0": (efficientnet_b0, {"K": 10}, ("3", "32", "32")),
    "convnext_tiny": (convnext_tiny, {"K": 10}, ("3", "32", "32")),
    "torchvision_vit": (torchvision_vit, {"d": 32, "L": 2}, ("3", "32", "32")),
    "timm_vit": (timm_vit, {"d": 32, "L": 2}, ("3", "32", "32")),
    "googlenet": (googlenet, {"K": 10}, ("3", "64", "64")),
    "shufflenet": (shufflenet, {"K": 10}, ("3", "32", "32")),
    "timm_mobilenetv3": (timm_mobilenetv3, {"K": 10}, ("3", "32", "32")),
    "timm_convnext": (timm_convnext, {"K": 10}, ("3", "32", "32")),
    "timm_mixer": (timm_mixer, {"d": 32, "L": 2}, ("3", "32", "32")),
    "poolformer": (poolformer, {"K": 10}, ("3", "32", "32")),
    "lstm_classifier": (lstm_classifier, {"V": 50, "d": 8, "u": 6, "K": 3}, None),
    "gru_tagger": (gru_tagger, {"n": 8, "u": 6, "K": 3}, ("12", "n")),
    "audio_cnn": (audio_cnn, {"C": 2, "f": 8, "K": 5}, ("C", "64")),
    "two_branches": (two_branches, {"d": 8, "h": 6}, None),
    "shared_layer": (shared_layer, {"d": 8}, None),
    "residual_mlp": (residual_mlp, {"d": 8, "L": 2}, ("d",)),
}  # fmt: skip

# The corpus factories the importer refuses, and a fragment of the one line why
# (tests/test_import_corpus.py checks each refusal, so a fix shows up as a failing expectation).
REFUSED: dict[str, str] = {
    "mpnet": "relative position biases shared by every attention",
    "albert": "a module called again as many times as a size says",
}
