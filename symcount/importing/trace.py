"""One PyTorch model, read at one set of sizes: its layers as spec entries, in the order the forward
pass calls them, each with its numbers and the entries its input comes from.

The forward pass runs on FakeTensors (shapes without data, on top of the meta device: Hugging Face's
mask code, which calls `.item()`, treats them as tracing). Forward hooks record each leaf module's
call; a TorchFunctionMode records the functional operations in between, so that the data flow can
be followed through them: a residual `x + y` becomes an `add` entry, a gate `a * b` a `multiply`,
`scaled_dot_product_attention` with the projections around it one `multi_head_attention`; views,
activations, dropout and the like pass their input through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import SymcountError
from . import torch_layers
from .frameworks import require

__all__ = ["Entry", "Reading", "ForwardError", "read"]

MERGES = {"add": "add", "__add__": "add", "__radd__": "add", "__iadd__": "add", "mul": "multiply",
          "__mul__": "multiply", "__rmul__": "multiply", "__imul__": "multiply"}  # fmt: skip
ATTENTION = "scaled_dot_product_attention"


@dataclass
class Entry:
    """A spec entry in the making: `key` and `args` (numbers at this build), the module path it
    comes from (an operation's path is the module it ran in, plus `#n`), its sources (other
    entries' indices, or -1 for the model's input), its output shape, and its parameters' count."""

    key: str
    args: dict[str, Any]
    path: str
    sources: list[int] = field(default_factory=list)
    shape: tuple[int, ...] = ()
    params: int = 0
    tie: int | None = None  # the entry whose weight this one shares
    modules: tuple[str, ...] = ()  # the module paths it stands for
    kind: str = ""  # the module's class, for the spec's comments


@dataclass
class Reading:
    entries: list[Entry]
    input_shape: tuple[int, ...]
    containers: dict[str, int]  # module paths whose children are 0..n-1, and n


class ForwardError(SymcountError):
    """The model's forward pass failed on the example input (at these sizes)."""


class _Node:
    """A tensor's producer: a leaf call (its entry), an operation, or the model's input."""

    def __init__(self, kind: str, path: str = "", parents: tuple[Any, ...] = (), entry: int | None = None,
                 shape: tuple[int, ...] = (), op: str = "", extra: Any = None) -> None:  # fmt: skip
        self.kind, self.path, self.parents, self.entry = kind, path, parents, entry
        self.shape, self.op, self.extra = shape, op, extra


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in tensor.shape)


def read(model: Any, example: Callable[[Any], tuple[tuple[Any, ...], tuple[int, ...]]]) -> Reading:
    """Trace `model` on the example `example(mode)` makes (its arguments, and the shape that stands
    for the spec's input) and return its entries."""
    torch = require("torch")
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.overrides import TorchFunctionMode
    from torch.utils._pytree import tree_flatten

    producers: dict[int, tuple[_Node, Any]] = {}  # id(tensor) -> (node, tensor kept alive)
    entries: list[Entry] = []
    stack: list[str] = [""]
    counters: dict[str, int] = {}
    atomic = torch_layers.atomic_paths(model)
    names = {id(m): n for n, m in model.named_modules()}

    def node_of(tensor: Any) -> _Node | None:
        found = producers.get(id(tensor))
        return found[0] if found is not None and found[1] is tensor else None

    def tensors(value: Any) -> list[Any]:
        return [t for t in tree_flatten(value)[0] if isinstance(t, torch.Tensor)]

    class Ops(TorchFunctionMode):  # type: ignore[misc]
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            out = func(*args, **(kwargs or {}))
            name = getattr(func, "__name__", str(func))
            inputs = tensors((args, kwargs))
            parents = tuple(node_of(t) for t in inputs)
            where = stack[-1]
            count = counters[where] = counters.get(where, -1) + 1
            extra = [_shape(t) for t in inputs] if name == ATTENTION else None
            for t in tensors(out):
                if id(t) not in producers or producers[id(t)][1] is not t:
                    producers[id(t)] = (_Node("op", f"{where}#{count}" if where else f"#{count}", parents,
                                              shape=_shape(t), op=name, extra=extra), t)  # fmt: skip
            return out

    def pre(module: Any, args: Any) -> None:
        stack.append(names.get(id(module), "?"))

    def post(module: Any, args: Any, kwargs: Any, out: Any) -> None:
        path = stack.pop()
        if path not in atomic and not torch_layers.is_leaf(module):
            return
        if any(path.startswith(a + ".") for a in atomic):
            return
        inputs = tensors((args, kwargs))
        outs = tensors(out)
        if not outs:
            return
        described = torch_layers.describe(module, path)
        if described is None:  # no parameters, nothing to say (activation, dropout, rotary...)
            parents = tuple(node_of(t) for t in inputs)
            for t in outs:
                if parents and parents[0] is not None and _shape(t) == _shape(inputs[0]):
                    producers[id(t)] = (parents[0], t)  # passes its input through
                else:
                    producers[id(t)] = (_Node("op", path, parents, shape=_shape(t), op="module"), t)
            return
        key, args_ = described
        entry = Entry(key, args_, path, shape=_shape(outs[0]),
                      params=sum(p.numel() for p in module.parameters()), modules=(path,),
                      kind=type(module).__name__)  # fmt: skip
        entry.sources_raw = [node_of(t) for t in inputs[:1]]  # type: ignore[attr-defined]
        entry.input_shapes = [_shape(t) for t in inputs]  # type: ignore[attr-defined]
        entries.append(entry)
        for t in outs:
            producers[id(t)] = (_Node("entry", path, entry=len(entries) - 1, shape=_shape(t)), t)

    model.eval()  # BatchNorm on a batch of one; no count depends on the mode
    handles = []
    for _, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post, with_kwargs=True))
    try:
        mode = FakeTensorMode(allow_non_fake_inputs=True)
        with mode, torch.no_grad():
            args, input_shape = example(mode)
            for t in tensors(args):
                producers[id(t)] = (_Node("input", shape=_shape(t)), t)
            with Ops():
                model(*args)
    except SymcountError:
        raise
    except Exception as error:
        if isinstance(error, TypeError) and "required positional argument" in str(error):
            raise ForwardError(
                f"the model's forward takes more than one input ({error}); symcount imports models of one input so far"
            ) from None
        raise ForwardError(
            f"the forward pass on the example input failed: {type(error).__name__}: {error}"
        ) from None
    finally:
        for handle in handles:
            handle.remove()
    return _Linker(entries, input_shape).link(model)


class _Linker:
    """Follow each entry's input back through operations to the entries it comes from, adding the
    merges and attentions found on the way."""

    def __init__(self, entries: list[Entry], input_shape: tuple[int, ...]) -> None:
        self.entries = entries
        self.input_shape = input_shape
        self.made: dict[int, int] = {}  # id(op node) -> entry index
        self.absorbed: set[int] = set()

    def link(self, model: Any) -> Reading:
        leaves = list(self.entries)
        for entry in leaves:
            raw = entry.sources_raw  # type: ignore[attr-defined]
            found = self.resolve(raw[0], entry) if raw else -1
            if found != -2:  # -2: the entry became an attention, its source set there
                entry.sources = [found]
        _check_placed(self.entries, model)
        order = self.order()
        _tie(order, model)
        containers = {
            name: len(list(m.children()))
            for name, m in model.named_modules()
            if name and list(m.children()) and all(c.isdigit() for c, _ in m.named_children())
        }
        return Reading(order, self.input_shape, containers)

    def resolve(self, node: _Node | None, reader: Entry) -> int:
        """The entry (or -1, the input) whose output `reader`'s input is, following operations:
        through an operation, the first of its inputs that comes from an entry (a cache's empty
        tensor, concatenated first, does not)."""
        if node is None or node.kind == "input":
            return -1
        if node.kind == "entry":
            return node.entry  # type: ignore[return-value]
        if id(node) in self.made:
            return self.made[id(node)]
        if node.op == ATTENTION:
            return self.attention(node, reader)
        merged = MERGES.get(node.op)
        if merged and len(node.parents) >= 2:
            sources = [self.resolve(p, reader) for p in node.parents[:2] if p is not None]
            if (
                len(sources) == 2
                and sources[0] != sources[1]
                and all(_alike(self.shape_of(s), node.shape) for s in sources)
            ):
                self.entries.append(Entry(merged, {}, node.path, sources=sources, shape=node.shape))
                self.made[id(node)] = len(self.entries) - 1
                return self.made[id(node)]
        found = -1
        for parent in node.parents:
            found = self.resolve(parent, reader)
            if found >= 0 or found == -2:
                break
        self.made[id(node)] = found
        return found

    def shape_of(self, index: int) -> tuple[int, ...]:
        return self.input_shape if index < 0 else self.entries[index].shape

    def attention(self, node: _Node, reader: Entry) -> int:
        """`scaled_dot_product_attention(q, k, v)`: the projections feeding q, k and v and the one
        reading the result (`reader`) become one multi_head_attention entry."""
        if reader.key != "dense" or id(node) in self.made:
            raise SymcountError(
                f"{reader.path}: reads an attention's result, but is not its one output projection"
            )
        self.made[id(node)] = -2
        q_shape, k_shape = node.extra[0], node.extra[1]
        heads, kv_heads, key_dim = q_shape[-3], k_shape[-3], q_shape[-1]
        resolved = [self.resolve(p, reader) for p in node.parents[:3] if p is not None]
        projections = sorted(set(resolved))
        if any(p < 0 or self.entries[p].key != "dense" for p in projections):
            raise SymcountError(
                f"{reader.path}: attention whose query, key and value are not projections of one input"
            )
        (source,) = {s for p in projections for s in self.entries[p].sources} or {-1}
        parts = [self.entries[p] for p in projections] + [reader]
        biases = {e.args.get("use_bias") for e in parts[:-1]}
        output_bias = reader.args.get("use_bias")
        if len(biases) != 1 or (heads == kv_heads and biases != {output_bias}):
            raise SymcountError(f"{reader.path}: attention with biases on some projections only")
        width = self.shape_of(source)[-1]
        if len(resolved) == 3 and len(projections) == 3:
            # The key projection's width, not the key's shape: the attention may have repeated the
            # key/value heads to the query's number before the product (Hugging Face's repeat_kv).
            kv_heads = self.entries[resolved[1]].args["units"] // key_dim
        args: dict[str, Any]
        if heads == kv_heads:
            args = {"num_heads": heads, "use_bias": output_bias}
            if heads * key_dim != width:
                args["key_dim"] = key_dim
            reader.key = "multi_head_attention"
        else:  # grouped-query attention (Llama's, Mistral's; Qwen2's has no output bias)
            args = {
                "head_dim": key_dim,
                "num_query_heads": heads,
                "num_key_value_heads": kv_heads,
                "use_bias": biases.pop(),
            }
            if output_bias != args["use_bias"]:
                args["output_bias"] = output_bias
            reader.key = "group_query_attention"
        reader.args, reader.sources = args, [source]
        reader.kind = "attention"
        reader.modules = tuple(m for e in parts for m in e.modules)
        reader.path = _common(reader.modules)  # the attention module holding the projections
        reader.params = sum(e.params for e in parts)
        self.absorbed |= set(projections)
        return -2  # the reader is the attention itself: it reads `source`

    def order(self) -> list[Entry]:
        """Entries in an order where each comes after its sources, absorbed projections dropped."""
        keep = [i for i in range(len(self.entries)) if i not in self.absorbed]
        placed: list[int] = []
        seen: set[int] = set()

        def place(i: int) -> None:
            if i in seen or i < 0:
                return
            seen.add(i)
            for s in self.entries[i].sources:
                place(s)
            placed.append(i)

        for i in keep:
            place(i)
        index = {old: new for new, old in enumerate(placed)}
        result = []
        for old in placed:
            entry = self.entries[old]
            entry.sources = [index[s] if s >= 0 else -1 for s in entry.sources]
            result.append(entry)
        return result


def _check_placed(entries: list[Entry], model: Any) -> None:
    """Every parameter must belong to an entry: refuse, by name, those on a module with children
    (beside its submodules) and those of a module the forward pass never called."""
    atomic = torch_layers.atomic_paths(model)
    placed = {m for e in entries for m in e.modules}
    for name, module in model.named_modules():
        if name in placed or any(name.startswith(a + ".") for a in atomic):
            continue
        own = [n for n, _ in module.named_parameters(recurse=False)]
        if own and not torch_layers.is_leaf(module) and name not in atomic:
            where = f"{name}." if name else ""
            raise SymcountError(
                f"{name or 'the model'}: holds parameters beside its submodules ({', '.join(where + n for n in own)}); symcount cannot place them yet"
            )
        if own and name not in placed:
            raise SymcountError(f"{name}: has parameters but the forward pass never called it")


def _alike(shape: tuple[int, ...], merged: tuple[int, ...]) -> bool:
    """A merge's input has the merge's shape, up to broadcasting over the batch (a position
    embedding of (T, d) added to tokens of (1, T, d))."""
    return shape[-2:] == merged[-2:] if len(merged) >= 2 else shape == merged


def _common(paths: tuple[str, ...]) -> str:
    parts = [p.split(".") for p in paths]
    common = []
    for names in zip(*parts):
        if len(set(names)) != 1:
            break
        common.append(names[0])
    return ".".join(common)


def _tie(entries: list[Entry], model: Any) -> None:
    """An entry whose first weight is another entry's parameter (a tied head) ties to it."""
    owner: dict[int, int] = {}
    modules = dict(model.named_modules())
    for index, entry in enumerate(entries):
        for path in entry.modules:
            module = modules.get(path)
            if module is None:
                continue
            for param in module.parameters():
                if id(param) in owner and owner[id(param)] != index:
                    entry.tie = owner[id(param)]
                    entry.params -= param.numel()
                else:
                    owner.setdefault(id(param), index)
