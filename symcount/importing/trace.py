"""One PyTorch model, read at one set of sizes: its layers as spec entries, in the order the forward
pass calls them, each with its numbers and the entries its input comes from.

The forward pass runs on FakeTensors (shapes without data, on top of the meta device: Hugging Face's
mask code, which calls `.item()`, treats them as tracing). Forward hooks record each leaf module's
call (a module symcount reads whole); a TorchFunctionMode records every tensor operation, in-place
ones included, with the module it ran in, so the data flow is followed through them all:

- two traced tensors added, subtracted or multiplied become `add`, `subtract`, `multiply` (a
  residual `x + f(x)` at the end of forward and torchvision's in-place `out += identity` too);
- `cat`/`stack` become `concatenate`; a parameter held beside submodules becomes the layer that
  holds it (`class_token` when concatenated, `position_embedding` when added);
- operations that change the shape (`flatten`, `view`/`reshape`, `permute`/`transpose`, indexing
  such as BERT's pooler `hidden[:, 0]`) become `flatten`, `reshape`, `permute`, `select`;
- `scaled_dot_product_attention` (or its eager spelling, `softmax(q @ k.T) @ v`), with the
  projections around it (and norms of the queries and keys), one attention entry;
- a Linear's output split along its last axis (`chunk`), one dense entry per part;
- operations that keep the shape of one traced input (activations, dropout, scaling by a number)
  pass it through.

A TorchFunctionMode sees operations as the model's code calls them (`x[:, 0]`, `out += y`), with the
module stack of the hooks around it; a TorchDispatchMode would see them after decomposition (aten
ops, no module paths, a view as several ops) and torch.export fails on much of Hugging Face's code
(data-dependent masks, caches). See docs/import.md.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import SymcountError
from . import torch_layers
from .frameworks import require

__all__ = ["Entry", "Reading", "ForwardError", "read", "flop_count", "module_flops"]

MERGES = {
    "add": "add", "__add__": "add", "__radd__": "add", "__iadd__": "add", "add_": "add",
    "sub": "subtract", "__sub__": "subtract", "__isub__": "subtract", "sub_": "subtract",
    "mul": "multiply", "__mul__": "multiply", "__rmul__": "multiply", "__imul__": "multiply",
    "mul_": "multiply",
}  # fmt: skip
JOINS = ("cat", "concat", "concatenate", "stack")
RESHAPES = ("view", "reshape", "flatten", "squeeze", "unsqueeze", "unflatten")
PERMUTES = ("permute", "transpose", "swapaxes", "movedim")
SELECTS = ("__getitem__", "select", "narrow")
MATMULS = ("matmul", "__matmul__", "bmm", "baddbmm")
SPLITS = ("chunk", "split", "tensor_split", "split_with_sizes", "unsafe_chunk", "unsafe_split")
POOLS = ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d")
ATTENTION = "scaled_dot_product_attention"
# What to do where a product is computed by hand (Swin's, LeViT's, MaxViT's attention).
_BY_HAND = (
    "an attention computed by hand: symcount reads F.scaled_dot_product_attention between Linear "
    "projections, or nn.MultiheadAttention"
)
PRODUCTS = {
    **dict.fromkeys(("matmul", "__matmul__", "bmm", "einsum", "baddbmm"), _BY_HAND),
    "linear": "F.linear on a weight held outside an nn.Linear: symcount reads nn.Linear modules",
}


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
    use: int | None = None  # a module called again: the entry of its first call
    frozen: bool = False  # its parameters do not train (requires_grad=False): `trainable: false`


@dataclass
class Reading:
    entries: list[Entry]
    input_shape: tuple[int, ...]
    containers: dict[str, int]  # module paths whose children are 0..n-1, and n
    params: int = 0  # PyTorch's count of the model's parameters: sum(p.numel())
    trainable: int = 0  # of them, those with requires_grad
    flops: int | None = None  # FlopCounterMode's FLOPs of this very forward pass, when asked for


class ForwardError(SymcountError):
    """The model's forward pass failed on the example input (at these sizes)."""


class _Node:
    """A tensor's producer: a leaf call (its entry), an operation, a parameter, or the input."""

    def __init__(self, kind: str, path: str = "", parents: tuple[Any, ...] = (), entry: int | None = None,
                 shape: tuple[int, ...] = (), op: str = "", extra: Any = None) -> None:  # fmt: skip
        self.kind, self.path, self.parents, self.entry = kind, path, parents, entry
        self.shape, self.op, self.extra = shape, op, extra
        self.frozen = False  # a parameter with requires_grad=False


def _shape(tensor: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in tensor.shape)


def _inplace(name: str) -> bool:
    return (name.endswith("_") and not name.startswith("_")) or (
        name.startswith("__i") and name.endswith("__")
    )


class _Meta:
    """Plain meta tensors: the example's tensors as they are."""

    def from_tensor(self, tensor: Any) -> Any:
        return tensor


def _forward(
    model: Any, example: Callable[[Any], Any], run: Callable[[Any, Any], None], reset: Callable[[], None]
) -> Any:
    """Run `run(args, kwargs)` on the example, errors as one line: on plain meta tensors first
    (PyTorch's meta kernels are fast), then, after `reset()`, on FakeTensors, for code that reads a
    value (Hugging Face's masks call `.item()`, which FakeTensors answer as tracing)."""
    torch = require("torch")
    from torch._subclasses.fake_tensor import FakeTensorMode

    model.eval()  # BatchNorm on a batch of one; no count depends on the mode
    stand_ins = torch_layers.dense_experts(model)
    for module, forward in stand_ins:
        module.forward = forward
    try:
        try:
            with torch.no_grad():
                args, kwargs, input_shape = example(_Meta())
                run(args, kwargs)
        except SymcountError:
            raise
        except Exception:
            reset()
            mode = FakeTensorMode(allow_non_fake_inputs=True)
            with mode, torch.no_grad(), _quiet("torch._subclasses.fake_tensor"):
                args, kwargs, input_shape = example(mode)
                run(args, kwargs)
    except SymcountError:
        raise
    except Exception as error:
        if isinstance(error, TypeError) and "required positional argument" in str(error):
            raise ForwardError(
                f"the model's forward takes more inputs than it was given ({error}); give each by "
                "name: input=('ids=T', 'segments=T') in Python, --input ids=T --input segments=T"
            ) from None
        raise ForwardError(
            f"the forward pass on the example input failed: {type(error).__name__}: {error}"
        ) from None
    finally:
        for module, _ in stand_ins:
            del module.forward
    return input_shape


@contextlib.contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """PyTorch's FakeTensor logs a failing operation's traceback before raising it; the error
    reaches the user as one line (`ForwardError`), so the log is held back."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def flop_count(model: Any, example: Callable[[Any], Any]) -> int:
    """PyTorch's own count of the forward pass: FlopCounterMode's FLOPs (2 per MAC), with Hugging
    Face attention computed eagerly so that its matrix products are counted."""
    require("torch")
    if hasattr(model, "set_attn_implementation") and getattr(model, "config", None) is not None:
        with contextlib.suppress(Exception):  # a model without an eager path keeps its own
            model.set_attn_implementation("eager")
    return int(sum(counts["Global"].values()) if (counts := module_flops(model, example)) else 0)


def module_flops(model: Any, example: Callable[[Any], Any]) -> dict[str, dict[Any, int]]:
    """FlopCounterMode's FLOPs of the forward pass, per module (by path under the root's class
    name, "Global" for the whole pass) and operation."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = [FlopCounterMode(display=False)]

    def run(args: Any, kwargs: Any) -> None:
        with counter[0]:
            model(*args, **kwargs)

    def reset() -> None:
        counter[0] = FlopCounterMode(display=False)

    _forward(model, example, run, reset)
    return counter[0].get_flop_counts()


def read(model: Any, example: Callable[[Any], Any], flops: bool = False) -> Reading:
    """Trace `model` on the example `example(mode)` makes (its arguments, keyword arguments, and
    the shape that stands for the spec's input) and return its entries; with `flops`, count the
    same forward pass with FlopCounterMode too (one pass where the import verifies as it reads)."""
    torch = require("torch")
    from torch.overrides import TorchFunctionMode
    from torch.utils.flop_counter import FlopCounterMode

    producers: dict[int, tuple[_Node, Any]] = {}  # id(tensor) -> (node, tensor kept alive)
    entries: list[Entry] = []
    stack: list[str] = [""]
    counters: dict[str, int] = {}
    atomic = torch_layers.atomic_paths(model)
    routed = torch_layers.routed_experts(model)  # experts' path -> their router's
    names = {id(m): n for n, m in model.named_modules()}
    first_call: dict[str, int] = {}

    def node_of(tensor: Any) -> _Node | None:
        found = producers.get(id(tensor))
        return found[0] if found is not None and found[1] is tensor else None

    from torch.utils._pytree import SUPPORTED_NODES, tree_flatten

    def tensors(value: Any) -> list[Any]:
        return _tensors(value, torch.Tensor, SUPPORTED_NODES, tree_flatten)

    def inside_atomic(path: str) -> bool:
        return any(path.startswith(a + ".") for a in atomic)

    outputs: list[Any] = []

    counter: list[Any] = []
    dirty: dict[int, tuple[Any, str]] = {}  # tensors changed in place through a view (x[:, :b] += y)

    def changed(inputs: list[Any]) -> None:
        """Refuse reading a tensor changed in place through a slice of it: the spec cannot follow it."""
        for t in inputs:
            if id(t) in dirty and dirty[id(t)][0] is t:
                raise SymcountError(
                    f"{dirty[id(t)][1]} of a tensor read afterwards (x[:, :b] += y); symcount cannot write it "
                    "yet (write torch.cat([x[:, :b] + y, x[:, b:]], dim=1))"
                )

    unread: dict[str, str] = {}  # leaf modules no layer reads, traced: path -> the refusal

    def reset() -> None:
        counter[:] = [FlopCounterMode(display=False)] if flops else []
        producers.clear()
        entries.clear()
        counters.clear()
        first_call.clear()
        outputs.clear()
        del stack[1:]
        unread.clear()
        dirty.clear()
        for name, module in model.named_modules():  # parameters beside submodules: nodes of their own
            if inside_atomic(name) or name in atomic:
                continue
            if torch_layers.is_leaf(module):  # a module read whole, unless no layer reads it
                if not any(True for _ in module.parameters()):
                    continue
                try:
                    torch_layers.describe(module, name)
                    continue
                except torch_layers.Unread as error:
                    unread[name] = str(error)
                except SymcountError:
                    continue
            for pname, param in module.named_parameters(recurse=False):
                path = f"{name}.{pname}" if name else pname
                node = _Node("param", path, shape=_shape(param), extra=name)
                node.frozen = not param.requires_grad
                producers[id(param)] = (node, param)

    reset()

    class Ops(TorchFunctionMode):  # type: ignore[misc]
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            name = getattr(func, "__name__", str(func))
            if name in ("__get__", "__set__", "size", "dim", "numel", "__len__"):
                return out
            inputs = tensors((args, kwargs))
            parents = tuple(node_of(t) for t in inputs)
            where = stack[-1]
            changed(inputs)
            if name in MERGES and _inplace(name) and parents and _from_data(parents[0]):
                base = getattr(inputs[0], "_base", None)
                if base is not None and _from_data(node_of(base)):
                    # The view's node is replaced below, its base's is not: an error if the base is read.
                    dirty[id(base)] = (
                        base,
                        f"{where or 'the model'}: an in-place {MERGES[name]} into a slice",
                    )
            count = counters[where] = counters.get(where, -1) + 1
            # A copy of the arguments: a list the model appends to later (DenseNet's features).
            extra = {"args": _frozen(args), "kwargs": _frozen(kwargs), "shapes": [_shape(t) for t in inputs]}
            made = tensors(out)
            for part, t in enumerate(made):
                if id(t) not in producers or producers[id(t)][1] is not t or _inplace(name):
                    path = f"{where}#{count}" if where else f"#{count}"
                    # Each output of a split (`chunk`) knows which part it is.
                    told = (
                        {**extra, "part": part, "parts": [_shape(m) for m in made]}
                        if len(made) > 1
                        else extra
                    )
                    producers[id(t)] = (_Node("op", path, parents, shape=_shape(t), op=name, extra=told), t)
            return out

    def pre(module: Any, args: Any) -> None:
        stack.append(names.get(id(module), "?"))

    # The hooks' own tensor reads (shapes, numel) kept out of the function mode: not the model's.
    quiet = getattr(torch._C, "DisableTorchFunction", contextlib.nullcontext)

    def post(module: Any, args: Any, kwargs: Any, out: Any) -> None:
        path = stack.pop()
        if path not in atomic and path not in routed and not torch_layers.is_leaf(module):
            return
        with quiet():
            record(module, path, args, kwargs, out)

    def record(module: Any, path: str, args: Any, kwargs: Any, out: Any) -> None:
        if inside_atomic(path) or path in unread:  # (unread: its operations were traced)
            return
        inputs = tensors((args, kwargs))
        changed(inputs)
        outs = tensors(out)
        if not outs:
            return
        router = routed.get(path)
        described: list[tuple[str, dict[str, Any]]] | None
        if router is not None:  # experts beside their router (Qwen2-MoE's): one mixture_of_experts
            described = torch_layers.routed(module, model.get_submodule(router), path)
        else:
            described = torch_layers.describe(module, path, [_shape(t) for t in inputs])
        if described is None:  # no parameters: its operations were traced (activation, dropout...)
            return
        own = list(module.parameters()) + (list(model.get_submodule(router).parameters()) if router else [])
        frozen = [p for p in own if not p.requires_grad]
        if frozen and len(frozen) < len(own):
            raise SymcountError(
                f"{path}: some of its parameters are frozen (requires_grad=False), others not; symcount "
                "freezes whole layers (trainable: false)"
            )
        for k, (key, args_) in enumerate(described):
            main = key not in ("permute", "reshape")  # the layer holding the parameters
            entry = Entry(key, args_, path, shape=_shape(outs[0]), kind=type(module).__name__,
                          params=sum(p.numel() for p in own) if main else 0,
                          modules=((path, router) if router else (path,)) if main else (),
                          frozen=bool(frozen) and main)  # fmt: skip
            if main and path in first_call:  # a module called again: the same layer, used again
                entry.use, entry.params = first_call[path], 0
            elif main:
                first_call[path] = len(entries)
            if k == 0 and isinstance(module, torch.nn.Embedding) and inputs and inputs[0].is_floating_point():
                # Read for its shape only (MBart's positions from `inputs_embeds[..., -1]`): its
                # rows are positions, a constant.
                entry.sources_raw = [None]  # type: ignore[attr-defined]
            elif k == 0:
                entry.sources_raw = [node_of(t) for t in inputs[:1]]  # type: ignore[attr-defined]
            else:  # a layer between permutes (LayerNorm2d): reads the entry before it
                entry.sources, entry.sources_raw = [len(entries) - 1], None  # type: ignore[attr-defined]
            entries.append(entry)
        for t in outs:
            producers[id(t)] = (_Node("entry", path, entry=len(entries) - 1, shape=_shape(t)), t)

    handles = []
    for _, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(pre))
        handles.append(module.register_forward_hook(post, with_kwargs=True))

    named: list[str] = []

    def run(args: Any, kwargs: Any) -> None:
        for t in tensors(args):
            producers[id(t)] = (_Node("input", shape=_shape(t)), t)
        named[:] = [k for k, v in kwargs.items() if isinstance(v, torch.Tensor)]
        for k in named:  # several inputs by name: each one an input of the spec
            t = kwargs[k]
            producers[id(t)] = (_Node("input", k if len(named) > 1 else "", shape=_shape(t)), t)
        with contextlib.ExitStack() as modes:
            for mode in counter:  # outside the function mode: it counts the aten operations below
                modes.enter_context(mode)
            modes.enter_context(Ops())
            result = model(*args, **kwargs)
        outputs.extend(tensors(result)[:1])
        changed(outputs)

    try:
        input_shape = _forward(model, example, run, reset)
    finally:
        for handle in handles:
            handle.remove()
    reading = _Linker(entries, input_shape, unread).link(model, [node_of(t) for t in outputs])
    reading.params = sum(p.numel() for p in model.parameters())
    reading.trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if counter:
        reading.flops = int(counter[0].get_total_flops())
    return reading


def _tensors(value: Any, tensor: type, nodes: Any, flatten: Callable[[Any], Any]) -> list[Any]:
    """The tensors in `value`, in order: a walk of tuples, lists and dicts (a Hugging Face output
    is a dict), and PyTorch's pytree (`nodes`, `flatten`) for the other containers it knows. Called
    on every operation's arguments, so kept cheaper than `tree_flatten` of everything."""
    found: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, tensor):
            found.append(v)
        elif isinstance(v, (tuple, list)):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif type(v) in nodes:
            found.extend(t for t in flatten(v)[0] if isinstance(t, tensor))

    walk(value)
    return found


def _dim(value: Any, rank: int) -> int:
    return int(value) + rank if int(value) < 0 else int(value)


class _Linker:
    """Follow each entry's input back through operations to the entries it comes from, adding the
    merges, joins, reshapes and attentions found on the way."""

    def __init__(self, entries: list[Entry], input_shape: tuple[int, ...], unread: dict[str, str]) -> None:
        self.entries = entries
        self.unread = unread
        self.input_shape = input_shape
        self.made: dict[int, int] = {}  # id(op node) -> entry index
        self.absorbed: set[int] = set()
        self.splits: dict[int, list[int]] = {}  # a Linear's entry -> its parts' entries
        self.eager: dict[int, _Node] = {}  # id(a product with the values) -> its attention node

    def link(self, model: Any, outputs: list[_Node | None]) -> Reading:
        leaves = list(self.entries)
        for entry in leaves:
            raw = entry.sources_raw  # type: ignore[attr-defined]
            if raw is None:
                continue
            found = self.resolve(raw[0], entry) if raw else -1
            if found != -2:  # -2: the entry became an attention, its source set there
                entry.sources = [max(found, -1)]  # positions (a constant) count as the input
        for node in outputs:  # operations after the last module (a trailing residual add)
            if node is not None and node.kind == "op":
                self.resolve(node, None)
        self.relative_biases()
        self.positions()
        _check_placed(self.entries, model, self.unread)
        order = self.order()
        _tie(order, model)
        containers = {
            name: len(children)
            for name, m in model.named_modules()
            if (children := [c for c, _ in m.named_children()]) and _numbered(children)
        }
        return Reading(order, self.input_shape, containers)

    def relative_biases(self) -> None:
        """T5's relative position biases: an embedding inside an attention module, read on positions
        (a constant), of one column per head, becomes the attention's relative_attention_buckets."""
        attentions = [e for e in self.entries if e.kind == "attention"]
        for index, entry in enumerate(self.entries):
            if entry.key != "embedding" or any(s >= 0 for s in entry.sources):
                continue
            owner = next((a for a in attentions if entry.path.startswith(a.path + ".")), None)
            heads = owner.args.get("num_heads", owner.args.get("num_query_heads")) if owner else None
            every = {a.args.get("num_heads", a.args.get("num_query_heads")) for a in attentions}
            if owner is None and every == {entry.args["output_dim"]} and not self.read_by(index):
                raise SymcountError(
                    f"{entry.path}: relative position biases shared by every attention (MPNet's); "
                    "symcount's attention holds its own table (T5's), so it cannot read this model yet"
                )
            if owner is None or entry.args["output_dim"] != heads:
                continue
            owner.args["relative_attention_buckets"] = entry.args["input_dim"]
            owner.params += entry.params
            owner.modules = (*owner.modules, *entry.modules)
            self.absorbed.add(index)

    def read_by(self, index: int) -> bool:
        return any(index in e.sources for e in self.entries)

    def positions(self) -> None:
        """In a model of several named inputs, an embedding read on positions (a constant, not one
        of the inputs) and added to the data is a position_embedding of the data (Whisper's
        encoder adds its positions' table to the convolutions' output)."""
        if not any(e.key == "input" for e in self.entries):
            return
        for index, entry in enumerate(self.entries):
            if entry.key != "embedding" or entry.sources != [-1]:
                continue
            readers = [e for e in self.entries if index in e.sources]
            if len(readers) != 1 or readers[0].key != "add" or len(readers[0].sources) != 2:
                continue
            merge = readers[0]
            (other,) = [s for s in merge.sources if s != index] or [index]
            if other == index:
                continue
            merge.key, merge.args = "position_embedding", {"sequence_length": entry.args["input_dim"]}
            merge.sources, merge.params = [other], entry.params
            merge.modules, merge.kind, merge.path = entry.modules, entry.kind, entry.path
            merge.frozen = entry.frozen
            self.absorbed.add(index)

    def add(self, entry: Entry, node: _Node) -> int:
        self.entries.append(entry)
        self.made[id(node)] = len(self.entries) - 1
        return self.made[id(node)]

    def shape_of(self, index: int) -> tuple[int, ...]:
        return (1, *self.input_shape) if index < 0 else self.entries[index].shape

    def resolve(self, node: _Node | None, reader: Entry | None, raw: bool = False) -> int:
        """The entry (or -1, the input) whose output `reader`'s input is, following operations;
        operations that make layers become entries on the way, unless `raw` (inside an
        attention, whose reshapes and rotations belong to it)."""
        if node is None:
            return -4  # a tensor the trace did not make: a buffer, a constant
        if node.kind == "input" and node.path:  # one of several named inputs: an "input" entry
            if id(node) not in self.made:
                self.add(Entry("input", {"name": node.path}, node.path, shape=node.shape), node)
            return self.made[id(node)]
        if node.kind == "input":
            return -1
        if node.kind == "entry":
            return node.entry  # type: ignore[return-value]
        if node.kind == "param":
            return -3  # a parameter beside submodules: its reader decides the layer
        if id(node) in self.made:
            return self.made[id(node)]
        if node.op == ATTENTION:
            return self.attention(node, reader)
        if node.op in MATMULS and (eager := self.eager_attention(node)) is not None:
            self.made[id(node)] = (
                self.made[id(eager)] if id(eager) in self.made else self.attention(eager, reader)
            )
            return self.made[id(node)]
        if not raw:
            made = self.layer(node, reader)
            if made is not None:
                return made
        # Through an operation: the first of its inputs that comes from an entry (a cache's empty
        # tensor, concatenated first, does not), else the input, else a constant (-4) or a
        # parameter (-3) it derives from.
        found = -4
        for parent in node.parents:
            result = self.resolve(parent, reader, raw)
            if result >= 0 or result == -2:
                found = result
                break
            found = max(found, result)
        self.made[id(node)] = found
        return found

    def layer(self, node: _Node, reader: Entry | None) -> int | None:
        """The entry an operation makes (a merge, a join, a reshape...), or None to pass through."""
        op, parents = node.op, node.parents
        merged = MERGES.get(op)
        if merged and len(parents) >= 2:
            sources = [self.resolve(p, reader) for p in parents[:2]]
            param = next((q for p in parents[:2] if (q := _param_behind(p)) is not None), None)
            if param is not None and sources[0] == sources[1] == -3:
                param = None  # two parameters: a computation of weights, not of the data
            if -3 in sources and param is not None and merged == "add":
                other = next(s for s in sources if s != -3)
                if param.shape[-2:] == node.shape[-2:] and len(node.shape) == 3:
                    return self.add(_param_entry("position_embedding", {"sequence_length": param.shape[-2]},
                                                 param, node, [other]), node)  # fmt: skip
                raise SymcountError(
                    f"{param.path}: a parameter added to the data ({param.shape}) that is no position "
                    "embedding; symcount cannot place it yet"
                )
            if -3 in sources and param is not None and merged == "multiply":
                seen = node.extra["shapes"][sources.index(-3)]  # as multiplied: (1, C, 1, 1) reshaped
                scaled = self.scale(node, param, next(s for s in sources if s != -3), seen)
                if scaled is not None:
                    return scaled
            if -3 in sources and param is not None:
                raise SymcountError(
                    f"{param.path}: a parameter beside submodules, used by {op}; symcount cannot place it yet"
                )
            if (
                sources[0] != sources[1]
                and all(s >= -1 for s in sources)
                and all(_alike(self.shape_of(s), node.shape) for s in sources)
            ):
                return self.add(Entry(merged, {}, node.path, sources=sources, shape=node.shape), node)
            return None
        if op in JOINS:
            items = node.extra["args"][0] if node.extra["args"] else node.extra["kwargs"].get("tensors")
            rank = len(node.shape)
            dim = _dim(_arg(node, 1, "dim", 0), rank)
            if len(items) == 1:
                return None  # a cat of one tensor is that tensor
            nodes = [parents[i] for i in range(len(items))] if len(parents) >= len(items) else []
            sources = [self.resolve(p, reader) for p in nodes]
            if -3 in sources and len(sources) == 2 and dim == 1 and op != "stack":
                other = next(s for s in sources if s != -3)
                param = next(q for p in nodes if (q := _param_behind(p)) is not None)
                if sources[0] == -3 and param.shape[-2] == 1:
                    return self.add(_param_entry("class_token", {}, param, node, [other]), node)
            if len(sources) < 2 or any(s < -1 for s in sources):
                raise SymcountError(
                    f"{node.path}: torch.{op} of {len(items)} tensors that are not all layers' outputs; "
                    f"symcount reads a {op} of layers' outputs (or a cat with a class token)"
                )
            if op == "stack":  # each input grown by an axis of 1 at `dim`, then concatenated there
                if dim == 0:
                    raise SymcountError(
                        f"{node.path}: torch.stack along the batch axis; symcount stacks other axes"
                    )
                grown = []
                for source, shape in zip(sources, node.extra["shapes"]):
                    shape = (*shape[:dim], 1, *shape[dim:])
                    self.entries.append(
                        Entry("reshape", {"target_shape": list(shape[1:])}, node.path, [source], shape)
                    )
                    grown.append(len(self.entries) - 1)
                sources = grown
            return self.add(
                Entry("concatenate", {"axis": dim}, node.path, sources=sources, shape=node.shape), node
            )
        if not parents or parents[0] is None or node.extra is None:
            return None
        if op in SPLITS and "part" in node.extra and (made := self.split(node, reader)) is not None:
            return made  # a Linear's output split along its last axis: one Linear per part
        before = node.extra["shapes"][0]
        moved = _permutation(node, len(before)) if op in PERMUTES else None
        if moved == list(range(len(before))):
            moved = None  # transpose(1, 1)
        if (
            not before
            or (before == node.shape and moved is None)
            or (node.shape and node.shape[0] != before[0])
        ):
            return None  # the same shape, or the batch axis itself reshaped (an attention's own)
        source = self.resolve(parents[0], reader)
        if source < -1:
            return None  # positions, masks: made from constants
        if op in SPLITS and "part" in node.extra:
            dim = _dim(_arg(node, 2, "dim", 0), len(before))
            if dim == 0:
                return None
            start = sum(shape[dim] for shape in node.extra["parts"][: node.extra["part"]])
            key, args = "narrow", {"dim": dim, "start": start, "length": node.shape[dim]}
        elif op in SELECTS:
            selected = _selection(node, before)
            if selected is None:
                return None
            key, args = selected
        elif op == "flatten" and len(node.shape) == 2:
            key, args = "flatten", {}
        elif op in RESHAPES or op == "flatten":
            target: list[int] = list(node.shape[1:])
            length = self.input_shape[0] if len(self.input_shape) == 1 else None
            if length is not None and before[1] == target[0] == length:
                # The sequence's axis kept first (the example's length is arbitrary): -1, inferred
                # from the elements at any length.
                target[0] = -1
            key, args = "reshape", {"target_shape": target}
        elif moved is not None:
            if moved[0] != 0:
                return None  # the batch axis moved: an attention's own reshaping
            key, args = "permute", {"dims": list(moved[1:])}
        elif op in POOLS and node.shape[2:] == (1,) * (len(node.shape) - 2):
            key, args = f"global_average_pooling{len(node.shape) - 2}d", {"keepdims": True}
        elif (found := _spatial(node, before)) is not None:
            key, args = found
        elif (
            op == "mean"
            and 3 <= len(before) <= 5
            and node.shape == (before[0], before[-1])
            and _axes(node, len(before)) == set(range(1, len(before) - 1))
        ):
            # Tokens averaged, (T, d) to (d,) (MLP-Mixer's head), or positions with the channels
            # last, (H, W, C) to (C,) (Swin's head): the features moved first, then pooled.
            rank = len(before) - 1
            features_first = (before[0], before[-1], *before[1:-1])
            dims = [rank, *range(1, rank)]
            self.entries.append(Entry("permute", {"dims": dims}, node.path, [source], features_first))
            key, args, source = f"global_average_pooling{rank - 1}d", {}, len(self.entries) - 1
        else:
            raise SymcountError(
                f"{node.path}: torch {op} turns {before[1:]} into {node.shape[1:]}; symcount has no layer "
                f"for it yet ({PRODUCTS.get(op, 'write it as a module symcount reads, or ask for the layer')})"
            )
        return self.add(Entry(key, args, node.path, sources=[source], shape=node.shape), node)

    def qk_norms(self, resolved: list[int], reader: Entry) -> tuple[list[int], list[int]]:
        """Norms of the queries and keys (Qwen3's q_norm and k_norm, per head; OLMo 2's, over the
        projection): the projections behind them, and the norms' entries and the reshapes
        between, which the attention absorbs (its `qk_norm`)."""
        normed = [r >= 0 and self.entries[r].key == "layer_normalization" for r in resolved]
        if not any(normed):
            return resolved, []
        absorbed, found = [], list(resolved)
        for k, index in enumerate(resolved):
            if not normed[k]:
                continue
            norm = self.entries[index]
            behind = norm.sources[0] if norm.sources else -1
            between = []
            while behind >= 0 and self.entries[behind].key in ("reshape", "permute"):  # into heads
                between.append(behind)
                behind = self.entries[behind].sources[0]
            if behind < 0 or self.entries[behind].key != "dense" or norm.args.get("center", True) or k > 1:
                raise SymcountError(
                    f"{reader.path}: attention whose {('query', 'key', 'value')[k]} is normalized other "
                    "than by a norm without bias of the query and key projections; symcount cannot read it yet"
                )
            found[k] = behind
            absorbed += [index, *between]
        if normed[:2] != [True, True]:
            raise SymcountError(
                f"{reader.path}: attention with a norm of the queries or of the keys alone; symcount's "
                "qk_norm normalizes both"
            )
        return found, absorbed

    def eager_attention(self, node: _Node) -> _Node | None:
        """An attention written with matrix products (Hugging Face's eager attention, GPT-Neo's,
        Bloom's `baddbmm`): `softmax(q @ k.T ...) @ v`, as the node `scaled_dot_product_attention(q,
        k, v)` would have been; None for a product that is not one."""
        if id(node) in self.eager:
            return self.eager[id(node)]
        weights, values = _operands(node)
        scores, seen, frontier = None, 0, [weights[0]]
        while frontier and scores is None and seen < 64:  # the nearest product behind the weights
            current = frontier.pop(0)
            seen += 1
            if current is None or current.kind != "op":
                continue
            if current.op in MATMULS:
                scores = current
            else:
                frontier.extend(current.parents)
        if scores is None or weights[0] is None or values[0] is None:
            return None
        (query, query_shape), (keys, keys_shape) = _operands(scores)
        if (
            query is None
            or keys is None
            or len(query_shape) not in (3, 4)
            or query_shape[:-2] != keys_shape[:-2]
        ):
            return None
        extra = {"args": (), "kwargs": {}, "shapes": [query_shape, keys_shape, values[1]]}
        made = _Node("op", node.path, (query, keys, values[0]), shape=node.shape, op=ATTENTION, extra=extra)
        self.eager[id(node)] = made
        return made

    def split(self, node: _Node, reader: Entry | None) -> int | None:
        """`gate, up = self.gate_up_proj(x).chunk(2, dim=-1)` (Phi-3's fused projections): a Linear
        whose output is split along its last axis is one Linear per part, each reading the same
        input (the same weights and products, its rows split); the part this output is. None for
        any other split: each part is then a `narrow`."""
        before, parts = node.extra["shapes"][0], node.extra["parts"]
        source = self.resolve(node.parents[0], reader)
        if source < -1:
            return None  # positions, masks: made from constants
        whole = self.entries[source] if source >= 0 else None
        if (
            whole is None
            or whole.key != "dense"
            or whole.use is not None
            or any(p[:-1] != before[:-1] for p in parts)
            or sum(p[-1] for p in parts) != before[-1]
        ):
            return None  # each part a `narrow` of the tensor split
        if source not in self.splits:
            units, made = whole.args["units"], []
            for k, shape in enumerate(parts):
                part = whole if k == 0 else Entry("dense", dict(whole.args), whole.path, list(whole.sources),
                                                  kind=whole.kind, frozen=whole.frozen)  # fmt: skip
                part.args["units"], part.shape = shape[-1], (*whole.shape[:-1], shape[-1])
                part.params = whole.params * shape[-1] // units if k else whole.params
                if k:
                    self.entries.append(part)
                made.append(source if k == 0 else len(self.entries) - 1)
            whole.params = whole.params * parts[0][-1] // units
            self.splits[source] = made
        self.made[id(node)] = self.splits[source][node.extra["part"]]
        return self.made[id(node)]

    def scale(self, node: _Node, param: _Node, source: int, shape: tuple[int, ...]) -> int | None:
        """A learned per-channel scale (ConvNeXt's, CaiT's `layer_scale * x`): a layer_scale entry,
        between permutes where the channels are axis 1 (a (C, 1, 1) parameter on (C, H, W), or
        timm's `x.mul(gamma.reshape(1, -1, 1, 1))`). `shape`: the parameter's, as multiplied."""
        while len(shape) > 1 and shape[0] == 1:
            shape = shape[1:]
        if source < -1 or _numel(shape) != _numel(param.shape):  # (a parameter expanded: not one scale)
            return None
        rank = len(node.shape) - 1
        scale = _param_entry("layer_scale", {}, param, node, [source])
        if shape == node.shape[-1:]:
            return self.add(scale, node)
        if rank > 1 and shape == (node.shape[1],) + (1,) * (rank - 1):
            moved = (*node.shape[:1], *node.shape[2:], node.shape[1])
            first = Entry("permute", {"dims": [*range(2, rank + 1), 1]}, param.path, [source], moved)
            self.entries.append(first)
            scale.sources, scale.shape = [len(self.entries) - 1], moved
            self.entries.append(scale)
            back = Entry("permute", {"dims": [rank, *range(1, rank)]}, param.path, [len(self.entries) - 1])
            back.shape = node.shape
            return self.add(back, node)
        return None

    def attention(self, node: _Node, reader: Entry | None) -> int:
        """`scaled_dot_product_attention(q, k, v)`: the projections feeding q, k and v and the one
        reading the result (`reader`) become one multi_head_attention entry."""
        if reader is None or reader.key != "dense" or id(node) in self.made:
            raise SymcountError(
                f"{reader.path if reader else 'the output'}: reads an attention's result, but is not "
                "its one output projection"
            )
        self.made[id(node)] = -2
        q_shape, k_shape = node.extra["shapes"][0], node.extra["shapes"][1]
        heads, kv_heads, key_dim = q_shape[-3], k_shape[-3], q_shape[-1]
        resolved = [self.resolve(p, reader, raw=True) for p in node.parents[:3] if p is not None]
        resolved, norms = self.qk_norms(resolved, reader)
        projections = sorted(set(resolved))
        if any(p < 0 or self.entries[p].key != "dense" for p in projections):
            raise SymcountError(
                f"{reader.path}: attention whose query, key and value are not projections of one input"
            )
        found = {s for p in projections for s in self.entries[p].sources} or {-1}
        memory = None
        if len(found) > 1:
            # Cross-attention: the queries from one tensor, the keys and values from another (an
            # encoder's output), called on [query's source, memory].
            sources_of = [set(self.entries[r].sources) for r in resolved]
            if (
                len(resolved) != 3
                or len(sources_of[0]) != 1
                or sources_of[1] != sources_of[2]
                or len(sources_of[1]) != 1
            ):
                raise SymcountError(
                    f"{reader.path}: attention whose keys and values come from different tensors; "
                    "symcount reads self-attention and cross-attention (keys and values from one tensor)"
                )
            ((source,), (memory,)) = sources_of[0], sources_of[1]
        else:
            (source,) = found
        parts = [self.entries[p] for p in projections] + [self.entries[n] for n in norms] + [reader]
        output_bias = reader.args.get("use_bias")
        separate = len(resolved) == 3 and len(projections) == 3
        # Biases per projection: q and v must agree; k (Whisper's is unbiased) and the output
        # (Qwen2's is) may differ, as group_query_attention's key_bias and output_bias.
        query_bias, key_bias, value_bias = (
            [self.entries[r].args.get("use_bias") for r in resolved] if separate else [output_bias] * 3
        )
        if query_bias != value_bias:
            raise SymcountError(
                f"{reader.path}: attention with a bias on the query or the value projection only; "
                "symcount's attention layers bias both or neither"
            )
        width = self.shape_of(source)[-1]
        if separate:
            # The key projection's width, not the key's shape: the attention may have repeated the
            # key/value heads to the query's number before the product (Hugging Face's repeat_kv).
            kv_heads = self.entries[resolved[1]].args["units"] // key_dim
        elif len(projections) == 1 and (fused := self.entries[projections[0]].args["units"]) % key_dim == 0:
            # One fused projection of heads + 2 kv heads (Falcon's multi-query query_key_value),
            # its key/value heads maybe repeated before the product.
            kv_heads = max(1, (fused // key_dim - heads) // 2)
        args: dict[str, Any]
        normed = (
            {"qk_norm": "head" if self.entries[norms[0]].shape[-1] == key_dim else "all"} if norms else {}
        )
        if (
            heads == kv_heads
            and query_bias == key_bias == output_bias
            and heads * key_dim == width
            and not norms
        ):
            args = {"num_heads": heads, "use_bias": output_bias}
            reader.key = "multi_head_attention"
        else:  # grouped-query attention (Llama's, Mistral's), biases per projection, or heads
            # whose widths do not add up to the model's (T5's)
            args = {
                "head_dim": key_dim,
                "num_query_heads": heads,
                "num_key_value_heads": kv_heads,
                "use_bias": query_bias,
            }
            if output_bias != query_bias:
                args["output_bias"] = output_bias
            if key_bias != query_bias:
                args["key_bias"] = key_bias
            args.update(normed)
            reader.key = "group_query_attention"
        reader.args, reader.sources = args, [source] if memory is None else [source, memory]
        reader.kind = "attention"
        reader.modules = tuple(m for e in parts for m in e.modules)
        reader.path = _common(reader.modules)  # the attention module holding the projections
        reader.params = sum(e.params for e in parts)
        self.absorbed |= set(projections) | set(norms)
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
            if entry.use is not None:
                entry.use = index[entry.use]
            result.append(entry)
        return result


def _frozen(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def _spatial(node: _Node, before: tuple[int, ...]) -> tuple[str, dict[str, Any]] | None:
    """Functional spatial operations on (batch, C, *spatial): zero padding (`F.pad`), nearest or
    linear upsampling by a whole factor (`F.interpolate`), and a mean over every spatial axis."""
    rank = len(before) - 2
    if rank not in (1, 2, 3):
        return None
    if node.op == "pad" and _arg(node, 2, "mode", "constant") == "constant" and not _arg(node, 3, "value", 0):
        pad = [int(p) for p in _arg(node, 1, "pad", ())]
        if len(pad) == 2 * rank and min(pad) >= 0:
            return f"zero_padding{rank}d", {"torch_padding": pad}
    if node.op in ("interpolate", "upsample") and rank == 2:
        mode = _arg(node, 3, "mode", "nearest")
        factors = {after // was for was, after in zip(before[2:], node.shape[2:]) if after % was == 0}
        if len(factors) == 1 and mode in ("nearest", "bilinear", "bicubic"):
            return "upsample", {"scale_factor": factors.pop(), "mode": mode}  # PyTorch's Upsample
    if (
        node.op == "mean"
        and node.shape[2:] in ((), (1,) * rank)
        and node.shape[:2] == before[:2]
        and _axes(node, len(before)) == set(range(2, len(before)))
    ):
        return f"global_average_pooling{rank}d", {"keepdims": len(node.shape) == len(before)}
    return None


def _operands(
    node: _Node,
) -> tuple[tuple[_Node | None, tuple[int, ...]], tuple[_Node | None, tuple[int, ...]]]:
    """A matrix product's two operands, each with its shape (`baddbmm`'s after the added input)."""
    first = 1 if node.op == "baddbmm" else 0
    parents, shapes = node.parents, node.extra["shapes"]
    if len(shapes) < first + 2 or len(parents) < first + 2:
        return (None, ()), (None, ())
    return (parents[first], shapes[first]), (parents[first + 1], shapes[first + 1])


def _axes(node: _Node, rank: int) -> set[int] | None:
    """The axes a reduction (`x.mean(dim=...)`) runs over, or None where not given as integers."""
    dim = _arg(node, 1, "dim", None)
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in dims):
        return None
    return {_dim(d, rank) for d in dims}


def _from_data(node: _Node | None) -> bool:
    """Whether a tensor derives from the model's input (not only from constants and parameters)."""
    seen: set[int] = set()
    todo = [node]
    while todo:
        n = todo.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        if n.kind in ("input", "entry"):
            return True
        todo.extend(n.parents)
    return False


def _param_behind(node: _Node | None) -> _Node | None:
    """The parameter a tensor is made from by operations of one input (`token.expand(n, -1, -1)`)."""
    while node is not None and node.kind == "op" and len(node.parents) == 1:
        node = node.parents[0]
    return node if node is not None and node.kind == "param" else None


def child_index(name: str) -> int:
    """A container's child's number: `3` of `3`, or of `encoder_layer_3` (torchvision's names)."""
    digits = len(name) - len(name.rstrip("0123456789"))
    return int(name[len(name) - digits :]) if digits else -1


def _numbered(children: list[str]) -> bool:
    """Children numbered 0..n-1 under one prefix: a container of blocks."""
    prefixes = {c.rstrip("0123456789") for c in children}
    return len(prefixes) == 1 and [child_index(c) for c in children] == list(range(len(children)))


def _arg(node: _Node, position: int, name: str, default: Any) -> Any:
    args, kwargs = node.extra["args"], node.extra["kwargs"]
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _numel(shape: tuple[int, ...]) -> int:
    size = 1
    for s in shape:
        size *= s
    return size


def _param_entry(key: str, args: dict[str, Any], param: _Node, node: _Node, sources: list[int]) -> Entry:
    return Entry(key, args, param.path, sources=sources, shape=node.shape, params=_numel(param.shape),
                 modules=(param.path,), kind="Parameter", frozen=param.frozen)  # fmt: skip


def _permutation(node: _Node, rank: int) -> list[int] | None:
    args = node.extra["args"]
    if node.op == "permute":
        dims = args[1:] if len(args) > 1 else node.extra["kwargs"].get("dims")
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = dims[0]
        return [_dim(d, rank) for d in dims]
    if node.op in ("transpose", "swapaxes"):
        a, b = _dim(args[1], rank), _dim(args[2], rank)
        order = list(range(rank))
        order[a], order[b] = order[b], order[a]
        return order
    return None


def _selection(node: _Node, before: tuple[int, ...]) -> tuple[str, dict[str, Any]] | None:
    """`x[:, i]` (or `x.select(1, i)`): one position of one axis, the axis dropped; `x[:, a:b]` (or
    `x.narrow(1, a, b - a)`): a run of positions of one axis, a `narrow`."""
    if node.op == "select":
        dim, index = _dim(_arg(node, 1, "dim", 0), len(before)), int(_arg(node, 2, "index", 0))
    elif node.op == "narrow":
        dim = _dim(_arg(node, 1, "dim", 0), len(before))
        start = _dim(_arg(node, 2, "start", 0), before[dim])
        return ("narrow", {"dim": dim, "start": start, "length": node.shape[dim]}) if dim else None
    else:
        key = node.extra["args"][1]
        key = key if isinstance(key, tuple) else (key,)
        if len(key) > 1 and _batch_range(key[0], before[0]):
            # `logits[torch.arange(batch), -1]` (Hugging Face's sequence classification heads):
            # the batch axis whole, as `logits[:, -1]`.
            key = (slice(None), *key[1:])
        whole = [isinstance(k, slice) and k == slice(None) for k in key]
        runs = [
            i for i, k in enumerate(key) if isinstance(k, slice) and k != slice(None) and k.step in (None, 1)
        ]
        if len(runs) == 1 and len(key) <= len(before) and all(w for i, w in enumerate(whole) if i != runs[0]):
            dim = runs[0]
            start = key[dim].indices(before[dim])[0]
            return ("narrow", {"dim": dim, "start": start, "length": node.shape[dim]}) if dim else None
        ints = [i for i, k in enumerate(key) if isinstance(k, int) and not isinstance(k, bool)]
        if len(ints) != 1 or not all(w for i, w in enumerate(whole) if i != ints[0]):
            hint = (
                "; a position read from the data (a sequence classifier's last token that is not "
                "padding) reads the last one with pad_token_id=None in the config"
                if any(hasattr(k, "shape") for k in key)
                else ""
            )
            raise SymcountError(
                f"{node.path}: an indexing {_index_text(key)} that symcount cannot read yet "
                f"(it reads x[:, i] and x[:, a:b], positions of one axis){hint}"
            )
        dim, index = ints[0], int(key[ints[0]])
    if dim == 0:
        return None
    return "select", {"dim": dim, "index": index}


def _batch_range(key: Any, batch: int) -> bool:
    """An index tensor of one position per example of the batch (`torch.arange(batch)`)."""
    return hasattr(key, "shape") and tuple(key.shape) == (batch,) and not key.is_floating_point()


def _index_text(key: tuple[Any, ...]) -> str:
    def one(k: Any) -> str:
        if isinstance(k, slice):
            return (
                ":".join("" if v is None else str(v) for v in (k.start, k.stop)) if k != slice(None) else ":"
            )
        return "..." if k is Ellipsis else type(k).__name__ if not isinstance(k, int) else str(k)

    return "[" + ", ".join(one(k) for k in key) + "]"


def _check_placed(entries: list[Entry], model: Any, unread: dict[str, str]) -> None:
    """Every parameter must belong to an entry: refuse, by name, those on a module with children
    (beside its submodules) that no operation placed, those of a module no layer reads whose
    operations placed none, and those of a module the forward pass never called."""
    atomic = torch_layers.atomic_paths(model)
    placed = {m for e in entries for m in e.modules}
    for name, module in model.named_modules():
        if name in placed or any(name.startswith(a + ".") for a in atomic):
            continue
        own = [n for n, _ in module.named_parameters(recurse=False)]
        if name in unread:
            if not all(f"{name}.{n}" in placed for n, _ in module.named_parameters()):
                raise SymcountError(unread[name])
            continue
        if own and not torch_layers.is_leaf(module) and name not in atomic:
            where = f"{name}." if name else ""
            lost = [where + n for n in own if where + n not in placed]
            if lost:
                raise SymcountError(
                    f"{name or 'the model'}: holds parameters beside its submodules ({', '.join(lost)}) that "
                    "are neither a class token (concatenated) nor a position embedding (added); symcount "
                    "cannot place them yet"
                )
            continue
        if (
            own
            and name not in placed
            and not all(id(p) in _held(model, placed) for p in module.parameters(recurse=False))
        ):
            # (a module never called whose weights another module uses, tied, is counted there)
            raise SymcountError(f"{name}: has parameters but the forward pass never called it")


def _held(model: Any, placed: set[str]) -> set[int]:
    """The parameters of the modules the entries stand for."""
    return {id(p) for n, m in model.named_modules() if n in placed for p in m.parameters()}


def _alike(shape: tuple[int, ...], merged: tuple[int, ...]) -> bool:
    """A merge's input has the merge's shape, up to broadcasting over the batch (a position
    embedding of (T, d) added to tokens of (1, T, d)) and over axes of one (a squeeze-excitation's
    (C, 1, 1) scale)."""
    if shape[-2:] == merged[-2:] if len(merged) >= 2 else shape == merged:
        return True
    return len(shape) == len(merged) and all(a == b or a == 1 for a, b in zip(shape, merged))


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
        if entry.use is not None:
            continue
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
