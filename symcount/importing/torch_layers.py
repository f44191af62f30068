"""PyTorch modules as symcount layers: the spec key and the numbers each module's attributes hold
(constructor arguments read back, never parsed from `repr`). Spec entries use Keras' keys and
argument names under `framework: torch`, where the counts follow PyTorch's conventions.

Modules match by class hierarchy: a subclass of `nn.Embedding`, `nn.LayerNorm`, `nn.Linear`...
(Gemma's scaled embedding, OPT's learned positions, torchvision's LayerNorm2d) is read as its base;
what its `forward` adds without parameters (a scale, an offset) costs no parameter and no MAC.
Modules without parameters are not layers here: their operations are traced instead. Unknown
modules with parameters are refused by name.
"""

from __future__ import annotations

from typing import Any

from ..errors import SymcountError

__all__ = ["Unread", "describe", "is_leaf", "atomic_paths", "dense_experts", "routed_experts", "routed"]


class Unread(SymcountError):
    """A module with parameters that no symcount layer reads: its operations are traced instead,
    its parameters placed by what they do (timm's `Scale`, `x * scale`: a layer_scale); this error
    is the user's when they cannot be."""


# Modules with their own parameters or children, read as one: PyTorch's attention, and Mixtral's
# sparse mixture of experts (a router and experts stored as 3-D weights).
ATOMIC = ("MultiheadAttention", "MixtralSparseMoeBlock")
MOE = ("MixtralSparseMoeBlock",)

Described = list[tuple[str, dict[str, Any]]]


def _read_whole() -> tuple[type, ...]:
    from torch import nn

    return (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm, nn.Linear, nn.modules.conv._ConvNd)


def is_leaf(module: Any) -> bool:
    """A module read whole: one without children, or a layer symcount reads (a norm, a convolution,
    a Linear) whose children hold no parameters (timm's BatchNormAct2d: a BatchNorm2d that runs its
    activation and dropout as children, traced as operations of the one layer)."""
    if next(module.children(), None) is None:
        return True
    own = sum(p.numel() for p in module.parameters(recurse=False))
    return own == sum(p.numel() for p in module.parameters()) and isinstance(module, _read_whole())


def atomic_paths(model: Any) -> set[str]:
    return {name for name, m in model.named_modules() if type(m).__name__ in ATOMIC}


def _one(value: Any, what: str, path: str) -> Any:
    """A window's side (PyTorch keeps ints or tuples): one number when every axis agrees, else
    the tuple."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if not all(isinstance(v, int) for v in values):
        raise SymcountError(f"{path}: expected whole numbers. Received: {what}={value}")
    return values[0] if len(set(values)) == 1 else list(values)


def _conv(module: Any, path: str) -> dict[str, Any]:
    padding = module.padding if isinstance(module.padding, str) else _one(module.padding, "padding", path)
    if getattr(module, "padding_mode", "zeros") != "zeros" and padding not in (0, "valid"):
        raise SymcountError(
            f"{path}: padding_mode={module.padding_mode!r}; symcount reads zero padding so far"
        )
    args: dict[str, Any] = {
        "filters": module.out_channels,
        "kernel_size": _one(module.kernel_size, "kernel_size", path),
        "strides": _one(module.stride, "stride", path),
        "padding": padding,
        "use_bias": module.bias is not None,
    }
    if module.groups != 1:
        args["groups"] = module.groups
    if _one(module.dilation, "dilation", path) != 1:
        args["dilation_rate"] = _one(module.dilation, "dilation", path)
    return args


def describe(module: Any, path: str, shapes: list[tuple[int, ...]] | None = None) -> Described | None:
    """The spec entries (key, arguments at this build) `module` stands for, in order (one, or a
    layer between two permutes), or None for a module whose operations are traced instead (one
    without parameters)."""
    from torch import nn

    kind = type(module).__name__
    params = sum(p.numel() for p in module.parameters())
    if isinstance(module, nn.Linear):
        return [("dense", {"units": module.out_features, "use_bias": module.bias is not None})]
    if kind == "Conv1D" and hasattr(module, "nf"):  # Hugging Face's GPT-2 projection, weight (in, out)
        return [("dense", {"units": module.nf, "use_bias": True})]
    if isinstance(module, nn.Embedding):
        return [("embedding", {"input_dim": module.num_embeddings, "output_dim": module.embedding_dim})]
    if isinstance(module, nn.LayerNorm):
        if len(module.normalized_shape) != 1:
            raise SymcountError(
                f"{path}: a LayerNorm over several axes. Received: {tuple(module.normalized_shape)}"
            )
        affine = module.elementwise_affine
        norm = ("layer_normalization", {"center": affine and module.bias is not None, "scale": affine})
        width = module.normalized_shape[0]
        if shapes and len(shapes[0]) > 2 and shapes[0][-1] != width and shapes[0][1] == width:
            # torchvision's LayerNorm2d: the channels (axis 1) normalized, moved last and back.
            rank = len(shapes[0]) - 1
            last = [*range(2, rank + 1), 1]
            back = [rank, *range(1, rank)]
            return [("permute", {"dims": last}), norm, ("permute", {"dims": back})]
        return [norm]
    if kind.endswith("RMSNorm") or kind == "T5LayerNorm":
        return [("layer_normalization", {"center": False, "scale": params > 0})]
    own = dict(module.named_parameters())
    if kind.endswith("LayerNorm") and set(own) in ({"weight"}, {"weight", "bias"}):
        # A model's own LayerNorm (Cohere's, without bias): a weight per feature, a bias if any.
        if any(p.dim() != 1 or (shapes and shapes[0] and p.shape[0] != shapes[0][-1]) for p in own.values()):
            raise SymcountError(f"{path}: a {kind} whose weights are not one per feature of the last axis")
        return [("layer_normalization", {"center": "bias" in own, "scale": True})]
    norm_rank = next((r for r in "123" if isinstance(module, getattr(nn, f"BatchNorm{r}d"))), None)
    if norm_rank is not None:
        if not (module.affine and module.track_running_stats):
            raise SymcountError(f"{path}: a BatchNorm without affine weights or running statistics")
        return [(f"batch_norm{norm_rank}d", {})]  # PyTorch's own: statistics as buffers
    if isinstance(module, nn.GroupNorm):
        return [("group_norm", {"num_groups": module.num_groups, "affine": module.affine})]
    for rank in (1, 2, 3):
        if isinstance(module, getattr(nn, f"Conv{rank}d")):
            return [(f"conv{rank}d", _conv(module, path))]
        if isinstance(module, getattr(nn, f"ConvTranspose{rank}d")):
            args = {"in_channels": module.in_channels, **_conv(module, path)}
            output_padding = _one(module.output_padding, "output_padding", path)
            if output_padding != 0:
                args["output_padding"] = output_padding
            return [(f"conv_transpose{rank}d", args)]
        pools = {f"MaxPool{rank}d": "max_pooling", f"AvgPool{rank}d": "average_pooling"}
        if kind in pools:
            pool: dict[str, Any] = {
                "pool_size": _one(module.kernel_size, "kernel_size", path),
                "strides": _one(module.stride, "stride", path),
            }
            if padding := _one(module.padding, "padding", path):
                pool["padding"] = padding
            if (dilation := _one(getattr(module, "dilation", 1), "dilation", path)) != 1:
                pool["dilation"] = dilation
            if module.ceil_mode:  # one more window where a partial one is left (GoogLeNet's, SqueezeNet's)
                pool["ceil_mode"] = True
            return [(f"{pools[kind]}{rank}d", pool)]
        adaptive = {f"AdaptiveAvgPool{rank}d": "average", f"AdaptiveMaxPool{rank}d": "max"}
        if kind in adaptive:
            size = module.output_size
            sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * rank
            if all(s == 1 for s in sizes):
                return [(f"global_{adaptive[kind]}_pooling{rank}d", {"keepdims": True})]
            spatial = shapes[0][2:] if shapes else ()
            if len(spatial) == rank and all(s is not None and n % s == 0 for n, s in zip(spatial, sizes)):
                # An input whose size is a multiple of the output's: windows of that ratio, no overlap.
                window = _one([n // s for n, s in zip(spatial, sizes)], "window", path)
                key = "average_pooling" if adaptive[kind] == "average" else "max_pooling"
                return [(f"{key}{rank}d", {"pool_size": window, "strides": window})]
            raise SymcountError(
                f"{path}: {kind}(output_size={size}); symcount pools adaptively to size 1 only so far "
                "(give the model an input whose pooled size needs no adaptation, or ask for the layer)"
            )
    if isinstance(module, nn.RNNBase):
        return [_recurrent(module, path)]
    if isinstance(module, nn.Flatten) and module.start_dim == 1 and module.end_dim == -1:
        return [("flatten", {})]
    if kind in MOE:
        return routed(module.experts, module.gate, path)
    if kind.endswith("TopKRouter"):
        return None  # read with the experts it routes to (`routed`)
    if kind == "MultiheadAttention":
        if not module._qkv_same_embed_dim or module.bias_k is not None:
            raise SymcountError(f"{path}: a MultiheadAttention with other key/value widths or bias_kv")
        return [
            (
                "multi_head_attention",
                {"num_heads": module.num_heads, "use_bias": module.in_proj_bias is not None},
            )
        ]
    if params == 0:
        return None
    raise Unread(f"{path}: no symcount layer for the PyTorch module {kind} ({params:,} parameters)")


def _recurrent(module: Any, path: str) -> tuple[str, dict[str, Any]]:
    """nn.LSTM, nn.GRU and nn.RNN: PyTorch's options, the whole sequence returned."""
    kind = type(module).__name__
    if not module.batch_first:
        raise SymcountError(
            f"{path}: a {kind} with batch_first=False; symcount reads batch-first sequences (batch_first=True)"
        )
    key = {"LSTM": "lstm", "GRU": "gru"}.get(kind, "simple_rnn")
    args: dict[str, Any] = {"hidden_size": module.hidden_size, "use_bias": module.bias}
    if module.num_layers != 1:
        args["num_layers"] = module.num_layers
    if module.bidirectional:
        args["bidirectional"] = True
    if key == "simple_rnn":
        args["activation"] = module.nonlinearity
    if getattr(module, "proj_size", 0):  # each step's units projected (weight_hr)
        args["proj_size"] = module.proj_size
    return key, args


def routed(experts: Any, router: Any, path: str) -> Described:
    """A router and its experts stored as 3-D weights (E, 2f, d) and (E, d, f), each expert a
    SwiGLU: one mixture_of_experts."""
    if tuple(experts.down_proj.shape[1:]) != (experts.hidden_dim, experts.intermediate_dim):
        raise SymcountError(f"{path}: experts whose weights are not (E, d, f); symcount cannot read them")
    return [
        ("mixture_of_experts", {
            "num_experts": router.num_experts, "top_k": router.top_k,
            "expert_units": experts.intermediate_dim, "expert_output": experts.hidden_dim,
        })
    ]  # fmt: skip


def routed_experts(model: Any) -> dict[str, str]:
    """Experts beside their router in a block that adds more (Qwen2-MoE's shared expert, traced
    on its own): the experts' path -> the router's."""
    found = {}
    for name, module in model.named_modules():
        children = dict(module.named_children())
        router, experts = children.get("gate"), children.get("experts")
        if (
            type(module).__name__ not in MOE
            and type(router).__name__.endswith("TopKRouter")
            and hasattr(experts, "gate_up_proj")
        ):
            found[f"{name}.experts" if name else "experts"] = f"{name}.gate" if name else "gate"
    return found


def dense_experts(model: Any) -> list[tuple[Any, Any]]:
    """Mixtral's sparse blocks, each with a stand-in forward for meta tensors: the real one picks
    experts from the data (`nonzero`), which shapes alone cannot. The stand-in makes, with the
    block's own weights, what routing costs per token: the router's scores, then `top_k` experts'
    SwiGLU (gate and up, the product, down), so FlopCounterMode counts the same products."""
    import torch.nn.functional as F

    found: list[tuple[Any, Any]] = []
    for module in model.modules():
        if type(module).__name__ not in MOE:
            continue

        def forward(hidden: Any, module: Any = module) -> Any:
            tokens = hidden.reshape(-1, hidden.shape[-1])
            F.linear(tokens, module.gate.weight)
            out = tokens
            for k in range(module.gate.top_k):
                gate, up = F.linear(tokens, module.experts.gate_up_proj[k]).chunk(2, dim=-1)
                out = F.linear(module.experts.act_fn(gate) * up, module.experts.down_proj[k])
            return out.reshape(hidden.shape)

        found.append((module, forward))
    for path, router_path in routed_experts(model).items():
        experts, router = model.get_submodule(path), model.get_submodule(router_path)

        def alone(hidden: Any, *_: Any, experts: Any = experts, router: Any = router) -> Any:
            out = hidden  # the router ran as it is; then top_k experts' SwiGLU per token
            for k in range(router.top_k):
                gate, up = F.linear(hidden, experts.gate_up_proj[k]).chunk(2, dim=-1)
                out = F.linear(experts.act_fn(gate) * up, experts.down_proj[k])
            return out

        found.append((experts, alone))
    return found
