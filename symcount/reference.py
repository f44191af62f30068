"""The layer reference, generated from the code: each layer's formulas on symbolic inputs.

`symcount layers` prints it and docs/layers.md is its Markdown output, so the documentation and
the formulas cannot disagree (a test regenerates the page and compares).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import sympy

from .errors import SpecError, SymcountError, shown
from .graph import Input
from .layers import find_layer, layer_keys, load_all
from .layers.base import Layer
from .model import Model, Sequential
from .shapes import format_shape
from .spec import make_layer
from .target import KERAS, as_target
from .values import suggest, symbol

__all__ = ["Entry", "entries", "reference_data", "reference_latex", "reference_markdown", "reference_text"]


@dataclass(frozen=True)
class Entry:
    """One layer's reference: its example, and its counts under Keras and PyTorch."""

    name: str
    key: str
    torch_name: str
    torch_label: str
    arguments: str
    input_shape: tuple[sympy.Expr, ...]
    output_shape: tuple[sympy.Expr, ...]
    keras: dict[str, sympy.Expr]
    torch: dict[str, sympy.Expr] | None  # None: no PyTorch counterpart, or not expressible there
    derivation: str
    torch_difference: str
    # Every option the layer takes (its own; `name`, `trainable` and `tie` are every layer's), and
    # PyTorch's spellings of them (under `framework: torch`).
    options: tuple[str, ...] = ()
    torch_options: tuple[tuple[str, str], ...] = ()

    @property
    def differs(self) -> bool:
        return self.torch is not None and any(
            sympy.expand(self.torch[key] - self.keras[key]) != 0
            for key in ("total", "trainable", "non_trainable")
        )


# Options every layer takes, said once in the reference's introduction; `channels_in` is written
# as PyTorch's in_features/in_channels/num_features, so each layer's PyTorch spellings name it.
COMMON_OPTIONS = ("name", "trainable", "tie", "channels_in")


def _options(cls: type[Layer]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    fields = tuple(f.name for f in dataclasses.fields(cls) if f.name not in COMMON_OPTIONS)
    aliases = tuple((theirs, ours) for theirs, ours in cls.aliases.items())
    torch = tuple((theirs, ours) for theirs, ours in cls.torch_args.items() if theirs != ours)
    return fields + tuple(a for a, _ in aliases), torch


def _shown(value: object) -> str:
    """An example argument as code shows it: a list of layers by their descriptions."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, Layer) for v in value):
        return "[" + ", ".join(v.describe() for v in value) + "]"
    return str(value)


def _counts(model: Model) -> dict[str, sympy.Expr]:
    return {
        "total": sympy.expand(model.params),
        "trainable": sympy.expand(model.trainable),
        "non_trainable": sympy.expand(model.non_trainable),
        "buffers": sympy.expand(model.buffers),
    }


def _entry(cls: type[Layer]) -> Entry:
    layer = make_layer(cls, cls.example_args, KERAS)
    shape = tuple(symbol(name) for name in cls.example_input)

    def model(framework: str) -> Model:
        # The example is written in Keras' layout; PyTorch's spatial layers read it channels first.
        target = as_target(framework)
        dims = target.join(*KERAS.split(shape)) if cls.spatial_layout and shape else shape
        if cls.merges or cls.most_inputs == 2:  # two inputs of the example shape (decoders: target, memory)
            first, second = Input(*dims), Input(*dims)
            return Model([first, second], layer([first, second]), framework=framework)
        return Sequential(Input(*dims), layer, framework=framework)

    keras = model("keras")
    # PyTorch's own layers are shown in PyTorch's layout: BatchNorm2d on (C, H, W).
    shown = model("torch") if cls.torch_only else keras
    try:
        torch: dict[str, sympy.Expr] | None = _counts(model("torch"))
    except SymcountError:
        torch = None
    arguments = ", ".join(f"{key}={_shown(value)}" for key, value in cls.example_args.items())
    if cls.torch_only:
        label = f"PyTorch's own spelling, `{cls.torch_name}`, for specs with `framework: torch`"
    elif cls.torch_name:
        label = f"PyTorch: `{cls.torch_name}`"
    elif cls.torch_counterpart:
        label = "PyTorch: " + ", ".join(f"`{name.strip()}`" for name in cls.torch_counterpart.split(","))
    else:
        label = "no PyTorch counterpart"
    return Entry(
        name=cls.__name__,
        key=cls.kind,
        torch_name=cls.torch_name,
        torch_label=label,
        arguments=arguments,
        input_shape=shown.input_shape,
        output_shape=shown.output_shape,
        keras=_counts(keras),
        torch=torch if cls.torch_name else None,
        derivation=cls.derivation,
        torch_difference=cls.torch_difference,
        options=_options(cls)[0],
        torch_options=_options(cls)[1],
    )


def entries() -> list[Entry]:
    """Every layer a spec can name, in alphabetical order of its class name: the registered ones
    and the mixture of experts (a block entry: `mixture_of_experts: {num_experts, top_k, block}`)."""
    return [_entry(cls) for cls in sorted(_classes().values(), key=lambda c: c.__name__)]


def _classes() -> dict[str, Any]:
    """Every layer class a spec can name, by its key: the registry and the mixture of experts."""
    from .layers.moe import MixtureOfExperts

    return {**load_all(), MixtureOfExperts.kind: MixtureOfExperts}


def _math(expr: sympy.Expr) -> str:
    return f"${sympy.latex(expr)}$"


def _shape_math(shape: tuple[sympy.Expr, ...]) -> str:
    return "$(" + ", ".join(sympy.latex(d) for d in shape) + ")$"


def reference_markdown() -> str:
    """docs/layers.md: one section per layer, formulas in LaTeX."""
    lines = [
        "# Layer reference",
        "",
        "Generated by `symcount layers --markdown` from the layers' own code; a test regenerates it",
        "and compares, so it always says what symcount computes. Shapes exclude the batch axis and",
        "are Keras' (channels-last), except for PyTorch's own layers (channels-first, as `framework:",
        "torch` reads them); PyTorch's counts are on the input channels-first. Each formula is the",
        "layer's on the example input shown, with the example arguments. Each layer's options are",
        "listed; every layer also takes `name`, `trainable` and `tie` (docs/spec.md), and under",
        "`framework: torch` PyTorch's spellings, an input size among them (`in_features`,",
        "`in_channels`) checked against the input.",
        "",
    ]
    registry = _classes()
    for entry in entries():
        cls = registry[entry.key]
        names = [
            f"{framework} {', '.join(f'`{n}`' for n in cls.keys(torch))}"
            for framework, torch in (("Keras", False), ("PyTorch", True))
            if cls.keys(torch)
        ]
        lines += [f"## {entry.name}", "", f"Spec key: `{entry.key}` · {entry.torch_label}", ""]
        lines += [f"- Classes: {'; '.join(names)}"] if names else []
        call = f"{entry.name}({entry.arguments})" if entry.arguments else f"{entry.name}()"
        lines.append(f"- Example: `{call}` on input {_shape_math(entry.input_shape)}")
        lines.append(f"- Parameters: {_math(entry.keras['total'])}")
        if entry.keras["non_trainable"] != 0:
            lines.append(
                f"  (trainable {_math(entry.keras['trainable'])}, non-trainable {_math(entry.keras['non_trainable'])})"
            )
        lines.append(f"- Output shape: {_shape_math(entry.output_shape)}")
        if entry.derivation:
            lines.append(f"- Why: {entry.derivation}")
        if entry.options:
            lines.append("- Options: " + ", ".join(f"`{name}`" for name in entry.options))
        if entry.torch_options:
            spelled = ", ".join(f"`{theirs}` (`{ours}`)" for theirs, ours in entry.torch_options)
            lines.append(f"- PyTorch's spellings (framework: torch): {spelled}")
        if entry.torch is not None:
            if entry.differs:
                lines.append(f"- PyTorch counts {_math(entry.torch['total'])}")
                if entry.torch["non_trainable"] != 0:
                    lines[-1] += f" (non-trainable {_math(entry.torch['non_trainable'])})"
            else:
                lines.append("- PyTorch counts the same")
            if entry.torch["buffers"] != 0:
                lines[-1] += f"; buffers (not parameters): {_math(entry.torch['buffers'])}"
        if entry.torch_difference:
            lines.append(f"- PyTorch: {entry.torch_difference}")
        lines.append("")
    return "\n".join(lines)


def reference_text() -> str:
    """A plain table for the terminal: layer, its Keras and PyTorch class names, spec key, example
    input, parameters."""
    rows = [("Layer", "Keras", "PyTorch", "Spec key", "Input", "Parameters (Keras)", "PyTorch differs")]
    registry = _classes()
    for entry in entries():
        cls = registry[entry.key]
        torch = "-" if entry.torch is None else (str(entry.torch["total"]) if entry.differs else "same")
        rows.append(
            (
                entry.name,
                ", ".join(cls.keys(False)) or "-",
                ", ".join(cls.keys(True)) or "-",
                entry.key if not cls.torch_only else entry.torch_name,
                format_shape(entry.input_shape),
                str(entry.keras["total"]),
                torch,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def describe_layer(name: str) -> str:
    """One layer, found by any of its keys under either framework (`Conv2d`, `conv2d`,
    `Conv2D`): its names, PyTorch's signature and defaults as a torch spec reads them, Keras'
    arguments, and its formulas on the reference's example."""
    found = [find_layer(name, torch)[0] for torch in (True, False)]
    classes = list(dict.fromkeys(cls for cls in found if cls is not None))
    if not classes:
        known = sorted({*layer_keys(True), *layer_keys(False)})
        raise SpecError(f"unknown layer {shown(name)}{suggest(str(name)[:100], known)}")
    if len(classes) == 1:
        return _describe(classes[0], name)
    # A name both frameworks use for different layers (ReLU, LSTMCell, RNN): each framework's own.
    torch_cls, keras_cls = found
    return "\n\n".join(
        [
            f"{name} is another layer in each framework:",
            f"In a Keras spec:\n{_describe(keras_cls, name)}",
            f"Under framework: torch:\n{_describe(torch_cls, name)}",
        ]
    )


def _describe(cls: type[Layer], name: str) -> str:
    lines = [f"{cls.__name__}"]
    lines.append(
        f"  Keras:   {', '.join(cls.keys(False)) or '-'}"
        + (f" (spec key {cls.kind})" if not cls.torch_only else "")
    )
    torch_names = cls.keys(True)
    lines.append(f"  PyTorch: {', '.join(torch_names) or '-'}")
    if cls.torch_name or cls.torch_only:
        module = name if name in torch_names else (torch_names[0] if torch_names else cls.torch_name)
        spelling = cls.torch_spelling(module)
        parts = [
            f"{p}={spelling.defaults[p]!r}" if p in spelling.defaults else p for p in spelling.positional
        ] + [f"*, {p}={v!r}" for p, v in spelling.defaults.items() if p not in spelling.positional]
        lines.append(f"  torch.nn.{spelling.module}({', '.join(parts)})")
        mapped = {p: spelling.args.get(p, p) for p in (*spelling.positional, *spelling.defaults)}
        renamed = [f"{p} -> {f or '(changes no count)'}" for p, f in mapped.items() if f != p]
        if renamed:
            lines.append(f"    read as: {'; '.join(renamed)}")
    if not cls.torch_only:
        fields = [
            f for f in dataclasses.fields(cls) if f.name not in ("name", "trainable", "channels_in", "tie")
        ]
        by_name = {f.name: f for f in fields if not f.kw_only}
        # Keras' order where the class declares it (options that change no count left out).
        order = [(n, cls.aliases.get(n, n)) for n in cls.keras_positional] or [(n, n) for n in by_name]
        keras = [
            n if by_name[f].default is dataclasses.MISSING else f"{n}={by_name[f].default!r}"
            for n, f in order
            if f in by_name
        ]
        lines.append(f"  Keras arguments: {cls.kind}({', '.join(keras)})")
    entry = _entry(cls)
    lines.append(f"  Example: {entry.name}({entry.arguments}) on input {format_shape(entry.input_shape)}")
    lines.append(f"    parameters: {entry.keras['total']}")
    if entry.keras["non_trainable"] != 0:
        lines.append(f"    non-trainable: {entry.keras['non_trainable']}")
    lines.append(f"    output shape: {format_shape(entry.output_shape)}")
    if entry.torch is not None and entry.differs:
        lines.append(f"    PyTorch counts: {entry.torch['total']}")
    if entry.torch is not None and entry.torch["buffers"] != 0:
        lines.append(f"    PyTorch buffers: {entry.torch['buffers']}")
    if entry.derivation:
        lines.append(f"  Why: {entry.derivation}")
    if entry.torch_difference:
        lines.append(f"  PyTorch: {entry.torch_difference}")
    return "\n".join(lines)


def reference_latex() -> str:
    """A `longtable` of every layer: its example input, parameters (Keras and, where they differ,
    PyTorch) and output shape, as math."""
    lines = [
        r"\begin{longtable}{llll}",
        r"Layer & Input & Parameters & Output shape \\ \hline",
    ]
    for entry in entries():
        params = _math(entry.keras["total"])
        if entry.torch is not None and entry.differs:
            params += f" (PyTorch {_math(entry.torch['total'])})"
        name = entry.name.replace("_", r"\_")
        lines.append(
            f"{name} & {_shape_math(entry.input_shape)} & {params} & {_shape_math(entry.output_shape)} \\\\"
        )
    lines.append(r"\end{longtable}")
    return "\n".join(lines)


def reference_data() -> list[dict[str, object]]:
    """Every layer's reference as JSON-ready data (formulas as sympy text)."""

    def text(counts: dict[str, sympy.Expr] | None) -> dict[str, str] | None:
        return None if counts is None else {key: str(value) for key, value in counts.items()}

    return [
        {
            "name": entry.name,
            "key": entry.key,
            "torch_name": entry.torch_name or None,
            "arguments": entry.arguments,
            "input_shape": [str(d) for d in entry.input_shape],
            "output_shape": [str(d) for d in entry.output_shape],
            "keras": text(entry.keras),
            "torch": text(entry.torch),
            "derivation": entry.derivation,
            "torch_difference": entry.torch_difference,
            "options": list(entry.options),
            "torch_options": dict(entry.torch_options),
        }
        for entry in entries()
    ]
