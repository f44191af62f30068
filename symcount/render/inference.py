"""The answer of `infer`: formulas per group and in total, how they were found and checked."""

from __future__ import annotations

from typing import Any

import sympy

from ..inference import Inference
from .tables import table_text


def _sizes(sizes: dict[str, int]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sizes.items())


def _formula(expr: sympy.Expr | None) -> str:
    return "not a polynomial of the allowed degree" if expr is None else str(expr)


def inference_rows(result: Inference) -> list[list[str]]:
    rows = [[name, _formula(expr)] for name, expr in result.groups.items()]
    rows.append(["total", str(result.total)])
    return rows


def inference_text(result: Inference) -> str:
    """A table of formulas, then how they were found (degree, builds) and where they were checked."""
    lines = [table_text(["part", "parameters"], inference_rows(result))]
    if result.framework == "torch":
        lines.append(f"buffers (not parameters): {_formula(result.buffers)}")
    if result.varying:
        lines.append(f"parts present at some sizes only (in the total): {', '.join(result.varying)}")
    lines.append(
        f"exact polynomial of degree {result.degree} in {', '.join(result.sizes)}, "
        f"from {result.builds} builds at sizes near {_sizes(result.sizes)}"
    )
    lines += [f"checked at {_sizes(point)}" for point in result.checked]
    return "\n".join(lines)


def inference_data(result: Inference) -> dict[str, Any]:
    return {
        "framework": result.framework,
        "sizes": dict(result.sizes),
        "total": str(result.total),
        "degree": result.degree,
        "groups": {name: None if expr is None else str(expr) for name, expr in result.groups.items()},
        "buffers": None if result.buffers is None else str(result.buffers),
        "varying": list(result.varying),
        "builds": result.builds,
        "checked": [dict(point) for point in result.checked],
    }
