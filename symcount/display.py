"""How a model shows itself: the one hook between models and the render package.

Models never import render (render imports models). `symcount/__init__.py`, which sits above
both, sets `SUMMARY` to a function that imports render when first called, so `model.summary()`
works from any model while model.py imports nothing of render. No sympy here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["SUMMARY", "PAGE", "summary_of", "show", "page_of"]

# (model, values, **options) -> a Summary (symcount.render.summary.Summary); set on import of
# the package.
SUMMARY: Callable[..., Any] | None = None


# (model, values, **options) -> an explorer Page (symcount.render.page.Page); set on import too.
PAGE: Callable[..., Any] | None = None


def page_of(model: Any, values: Any = None, **options: Any) -> Any:
    """The model's explorer page, through the hook the package set."""
    if PAGE is None:  # pragma: no cover (set by importing the package)
        raise RuntimeError("model.page() needs the symcount package imported")
    return PAGE(model, values, **options)


def summary_of(model: Any, values: Any = None, **options: Any) -> Any:
    """The model's Summary, through the hook the package set."""
    if SUMMARY is None:  # pragma: no cover (set by importing the package)
        raise RuntimeError("model.summary() needs the symcount package imported")
    return SUMMARY(model, values, **options)


def show(model: Any, values: Any, print_fn: Any = None, **options: Any) -> None:
    """`model.summary()`: the Summary printed (or handed to `print_fn`), or displayed where
    IPython runs (Jupyter then shows its HTML)."""
    import sys

    table = summary_of(model, values, **options)
    if print_fn is not None:
        print_fn(str(table))
        return
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    if shell is not None:
        from IPython.display import display

        display(table)
        return
    print(table)
