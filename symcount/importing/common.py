"""What the PyTorch and Keras readers share: the result (`Imported`), the error, lifting a number
seen at several builds to one expression in the sizes, and writing the spec as readable YAML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from ..errors import SymcountError
from ..model import Model
from ..names import symbol
from ..spec import Spec
from .fit import Exponents, fit

__all__ = [
    "ReadError", "NotLinear", "Undetermined", "Imported", "Lifter", "Linear", "DEGREE", "CHECKS", "is_default", "sizes_text",
    "spec_yaml",
]  # fmt: skip

DEGREE = 2  # arguments are polynomials of degree <= 2 in the sizes (4*d, not d*d*kv/h)
CHECKS = 3  # fresh sizes each imported spec is counted at, beside the user's


class ReadError(SymcountError):
    """A model that cannot be read into a spec: an unknown module, an unliftable number, a mismatch."""


@dataclass(frozen=True)
class Imported:
    """The imported spec (`spec`, `to_yaml()`), its model, and where it was checked."""

    spec: Spec
    yaml: str
    sizes: dict[str, int]
    checked: tuple[dict[str, int], ...]

    def model(self) -> Model:
        return self.spec.model()

    def to_yaml(self) -> str:
        return self.yaml


class Lifter:
    def __init__(self, names: list[str], points: list[tuple[int, ...]]) -> None:
        self.names, self.points = names, points
        self.symbols = [symbol(n) for n in names]

    def lift(self, values: Sequence[Any], where: str) -> Any:
        """One expression for an argument's values at every build (or the constant they share)."""
        first = values[0]
        if all(v == first and type(v) is type(first) for v in values):
            return first  # a number that stays, or a setting (a bool, a padding mode)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ReadError(
                f"{where}: changes with the sizes but is not a number ({values[0]!r}, {values[1]!r}, ...)"
            )
        result = fit(self.points, {"v": list(values)}, DEGREE)["v"]
        if result.coefficients is None:
            ratio = self.ratio(values)
            if ratio is not None:
                return ratio
            raise ReadError(
                f"{where}: no polynomial of degree <= {DEGREE} in {', '.join(self.names)} gives its values "
                f"({values[0]} at {sizes_text(dict(zip(self.names, self.points[0])))}); make it a size of its own"
            )
        return self.expression(result.coefficients)

    def ratio(self, values: Sequence[int], degree: int = DEGREE) -> Any:
        """A ratio of sizes (a head's width d/h, a patch grid (S/p)**2...): the values times one size
        (or its square) fitted by a polynomial, then divided by it. The sizes drawn keep the
        divisibility the user's sizes show (points.draw), so the ratio is whole at every build."""
        for index, size in enumerate(self.symbols):
            for power in (1, 2):
                scaled = [v * p[index] ** power for v, p in zip(values, self.points)]
                result = fit(self.points, {"v": scaled}, degree)["v"]
                if result.coefficients is not None:
                    return sympy.factor(self.expression(result.coefficients) / size**power)
        return None

    def expression(self, coefficients: Mapping[Exponents, Fraction]) -> Any:
        terms = [
            sympy.Rational(c.numerator, c.denominator)
            * sympy.Mul(*(s**e for s, e in zip(self.symbols, exps)))
            for exps, c in coefficients.items()
        ]
        expr = sympy.factor(sympy.Add(*terms))
        return int(expr) if expr.is_Integer else expr


class NotLinear(ReadError):
    """An argument that no polynomial of degree 1 (nor a ratio of them) gives: read more builds, for
    degree 2."""


class Undetermined(NotLinear):
    """Builds that determine a fit of degree 1 exactly (n + 1 for n sizes) and give an argument a
    fraction (a ratio d/h seen through a line): read one more build before lifting it."""


class Linear(Lifter):
    """A `Lifter` of degree 1, tried first: it needs fewer builds (n + 1 or n + 2 for n sizes, not
    about n*n/2 + 1), and most arguments are linear (4*d, d/h). From exactly as many builds as
    determine a line, every argument must come out with whole coefficients (else `Undetermined`:
    one more build); an argument it cannot lift raises `NotLinear`, and the importer reads more
    builds for `Lifter`. Either way the spec is then checked at fresh builds."""

    def lift(self, values: Sequence[Any], where: str) -> Any:
        first = values[0]
        if all(v == first and type(v) is type(first) for v in values):
            return first
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return super().lift(values, where)  # the error, worded once
        result = fit(self.points, {"v": list(values)}, 1)["v"]
        if result.coefficients is not None:
            exact = len(self.points) <= len(self.names) + 1
            if exact and any(c.denominator != 1 for c in result.coefficients.values()):
                raise Undetermined(where)
            return self.expression(result.coefficients)
        ratio = self.ratio(values, 1)
        if ratio is None:
            raise NotLinear(where)
        return ratio


def sizes_text(point: Mapping[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())


# Arguments at symcount's defaults are left out of the spec, to keep it readable.
DEFAULTS = {
    ("dense", "use_bias"): True,
    ("layer_normalization", "center"): True,
    ("layer_normalization", "scale"): True,
    ("multi_head_attention", "use_bias"): True,
    ("group_query_attention", "use_bias"): True,
    ("conv2d", "strides"): 1,
    ("conv2d", "padding"): 0,
    ("conv2d", "use_bias"): True,
}


def is_default(key: str, argument: str, value: Any) -> bool:
    default = DEFAULTS.get((key, argument))
    return default is not None and type(default) is type(value) and default == value


def _scalar(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return _flow(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # a negative number unquoted: -1, not "-1"
    text = str(value)
    return text if text.replace("_", "").replace("*", "").replace("/", "").isalnum() else f'"{text}"'


def _flow(args: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in args.items()) + "}"


def spec_yaml(
    data: dict[str, Any],
    comments: dict[str, str],
    sizes: Mapping[str, int],
    checked: Sequence[Mapping[str, int]],
    factory: str,
    *,
    flops: bool = False,
) -> str:
    """The spec as YAML, with the layers' module paths as comments; `flops`: its MACs were checked
    against the framework's FLOP count too (PyTorch's FlopCounterMode)."""
    lines = [f"# Imported by symcount from {factory}" + (f" at {sizes_text(sizes)}" if sizes else "") + "."]
    if checked:
        framework = "Keras" if data["framework"] == "keras" else "PyTorch"
        what = f"parameter count equals {framework}'s" + (", its MACs FlopCounterMode's," if flops else "")
        lines.append(f"# Its {what} there and at " + "; ".join(sizes_text(p) for p in checked) + ".")
    lines += [
        f"name: {data['name']}",
        f"framework: {data['framework']}",
        f"input: {_scalar(list(data['input']) if isinstance(data['input'], (list, tuple)) else data['input'])}",
    ]
    if sizes:
        lines.append(f"values: {_flow(sizes)}")

    def entries(items: list[dict[str, Any]], indent: str, scope: str) -> None:
        for item in items:
            key = next(iter(item))
            comment = comments.get(f"{scope}{item['name']}", "")
            value = item[key] if isinstance(item[key], str) else _flow(item[key])  # `use: name`
            lines.append(f"{indent}- {key}: {value}" + (f"  # {comment}" if comment else ""))
            lines.append(f"{indent}  name: {item['name']}")
            for extra in ("inputs", "tie", "trainable"):
                if extra in item:
                    value = item[extra]
                    lines.append(
                        f"{indent}  {extra}: "
                        + (
                            f"[{', '.join(value)}]"
                            if isinstance(value, list)
                            else _scalar(value)
                            if isinstance(value, bool)
                            else str(value)
                        )
                    )

    lines.append("layers:")
    entries(data["layers"], "  ", "")
    if "outputs" in data:
        lines.append(f"outputs: {_scalar(list(data['outputs']))}")
    if "blocks" in data:
        lines.append("blocks:")
        for block, items in data["blocks"].items():
            lines.append(f"  {block}:")
            if isinstance(items, dict):  # a block with context: the tensors it reads beside its input
                lines.append(f"    context: [{', '.join(items['context'])}]")
                lines.append("    layers:")
                entries(items["layers"], "      ", f"{block}.")
            else:
                entries(items, "    ", f"{block}.")
    return "\n".join(lines) + "\n"
