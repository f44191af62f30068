"""The example inputs a PyTorch model is traced on, as the user writes them: each axis a number or
an expression in the sizes (`3,S,S`, `M,2*S`, read by symcount's restricted parser, never `eval`),
and several inputs by the forward's argument names (`input_ids=T`, `decoder_input_ids=T`).

Without any, a Hugging Face model gets its own input names (`main_input_name`, and the decoder's
token ids for an encoder-decoder model); a model starting with an embedding gets token ids, one
starting with a Linear a vector of its width.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from ..names import symbol
from ..parse import parse_expression
from .common import ReadError
from .frameworks import require

__all__ = ["Inputs", "SEQUENCE", "TOKENS"]

SEQUENCE = "tokens"  # the spec's symbol for a sequence's length (the example's length is arbitrary)
TOKENS = 8  # the example's length


@dataclass(frozen=True)
class Inputs:
    """Each input's name (None: passed by position) and axes (expressions in the sizes), or no
    axes at all: guessed from the model."""

    items: tuple[tuple[str | None, tuple[sympy.Expr, ...]], ...]

    @staticmethod
    def parse(given: Sequence[Any] | None, sizes: Mapping[str, int]) -> Inputs:
        """`("C", "H", "W")`, `(3, "S", "S")`, `("M", "2*S")`: one input by its axes;
        `("input_ids=T", "decoder_input_ids=T")`: several, by name."""
        if given is None:
            return Inputs(())
        if isinstance(given, str):
            given = [given]
        texts = [str(g).strip() for g in given]
        if any("=" in t for t in texts):
            items = []
            for text in texts:
                name, sep, axes = text.partition("=")
                name = name.strip()
                if not sep or not name.isidentifier():
                    raise ReadError(
                        f"expected each input as NAME=AXES (input_ids=T, pixel_values=3,H,W). Received: {text!r}"
                    )
                items.append((name, _axes(axes.split(","), sizes)))
            return Inputs(tuple(items))
        parts = [p for t in texts for p in t.split(",")]
        return Inputs(((None, _axes(parts, sizes)),))

    def shapes(self, point: Mapping[str, int]) -> list[tuple[str | None, tuple[int, ...]]]:
        values = {symbol(k): sympy.Integer(v) for k, v in point.items()}
        found = []
        for name, axes in self.items:
            shape = []
            for axis in axes:
                value = axis.xreplace(values)
                if not (value.is_Integer and value > 0):
                    raise ReadError(
                        f"the input's axis {axis} is {value} at {', '.join(f'{k}={v}' for k, v in point.items())}; "
                        "it must be a positive whole number"
                    )
                shape.append(int(value))
            found.append((name, tuple(shape)))
        return found

    def example(self, model: Any, point: Mapping[str, int]) -> Callable[[Any], Any]:
        """`make(fake_mode)` -> (args, kwargs, the spec's input shape at this build)."""
        torch = require("torch")
        shapes = self.shapes(point) if self.items else _guess(model)
        device = next((p.device for p in model.parameters()), "meta")  # a model built on the CPU too
        tokens = _reads_tokens(model)

        def make(mode: Any) -> tuple[tuple[Any, ...], dict[str, Any], tuple[int, ...]]:
            args, kwargs = [], {}
            for name, shape in shapes:
                ids = "ids" in name if name is not None else tokens
                tensor = torch.zeros((1, *shape), dtype=torch.long if ids else torch.float32, device=device)
                if name is None:
                    args.append(mode.from_tensor(tensor))
                else:
                    kwargs[name] = mode.from_tensor(tensor)
            return tuple(args), kwargs, shapes[0][1]

        return make

    def names(self) -> list[str]:
        """The inputs' names, where several are given by name."""
        return [str(name) for name, _ in self.items] if len(self.items) > 1 else []

    def spec_input(self) -> list[Any] | dict[str, list[Any]] | None:
        """The spec's input shape from the axes given (None: from the model's first layer); several
        inputs: a mapping by name, as the forward pass takes them."""
        if not self.items:
            return None
        if len(self.items) > 1:
            return {str(name): [int(a) if a.is_Integer else a for a in axes] for name, axes in self.items}
        return [int(a) if a.is_Integer else a for a in self.items[0][1]]


def _axes(parts: Sequence[str], sizes: Mapping[str, int]) -> tuple[sympy.Expr, ...]:
    axes = []
    for part in parts:
        text = part.strip()
        if not text:
            raise ReadError(f"an input axis is empty. Received: {','.join(parts)!r}")
        expr = sympy.Integer(parsed) if isinstance(parsed := parse_expression(text), int) else parsed
        unknown = sorted(str(s) for s in expr.free_symbols if str(s) not in sizes)
        if unknown:
            raise ReadError(
                f"the input names {unknown[0]!r}, which is not one of the sizes ({', '.join(sizes)})"
            )
        axes.append(expr)
    return tuple(axes)


def _first_leaf(model: Any) -> Any:
    return next(
        (
            m
            for m in model.modules()
            if next(m.children(), None) is None and any(True for _ in m.parameters())
        ),
        None,
    )


def _reads_tokens(model: Any) -> bool:
    from torch import nn

    return isinstance(_first_leaf(model), nn.Embedding)


def _guess(model: Any) -> list[tuple[str | None, tuple[int, ...]]]:
    config = getattr(model, "config", None)
    main = getattr(model, "main_input_name", None)
    if config is not None and main == "input_ids":
        found: list[tuple[str | None, tuple[int, ...]]] = [("input_ids", (TOKENS,))]
        if getattr(config, "is_encoder_decoder", False):
            found.append(("decoder_input_ids", (TOKENS,)))
        return found
    first = _first_leaf(model)
    if _reads_tokens(model):
        return [(None, (TOKENS,))]
    if first is not None and hasattr(first, "in_features"):
        return [(None, (first.in_features,))]
    raise ReadError(
        f"cannot guess the input of a model starting with {type(first).__name__}; give its shape "
        "(input=('C', 'H', 'W') in Python, --input C,H,W or --input 3,32,32)"
    )
