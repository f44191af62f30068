"""Plots of parameter counts (or other costs) against a symbol, so a reader sees where they sit.

matplotlib is an optional extra (`pip install "symcount[explore]"`) and loads only when a plot is
drawn. Figures are made on the Agg canvas directly, never through pyplot, so plotting touches no
global state and needs no display. Every function returns the data it plotted (exact counts from
`explore.sweep`), which is what tests compare with `model.count`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .costs import PARAMS, Measure
from .errors import SymcountError
from .explore import Values, parse_grid, sweep
from .model import Model

__all__ = ["PlotData", "plot_counts", "plot_models", "image_format", "DPI", "FORMATS"]

DPI = 100  # a figure of size (w, h) pixels is (w/DPI, h/DPI) inches at DPI

# The file extensions a plot may have and the format matplotlib writes for each (Pillow, which
# matplotlib requires, writes JPEG). A name without an extension gets a PNG.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg"}


def image_format(path: str | Path) -> str:
    """The format a plot written to `path` takes, from its extension; refused if unknown.

    Example:
        >>> image_format("growth.svg"), image_format("growth.JPG"), image_format("growth")
        ('svg', 'jpeg', 'png')
    """
    suffix = Path(path).suffix.lower()
    if not suffix:
        return "png"
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise SymcountError(f"a plot is written as {known}. Received: {str(path)!r} ({suffix})")
    return FORMATS[suffix]


@dataclass(frozen=True)
class PlotData:
    """What was drawn: x values, and one series of exact counts per line or stacked band."""

    x_name: str
    x: tuple[int, ...]
    series: dict[str, tuple[int, ...]]
    stacked: bool
    path: str | None
    size: tuple[int, int]
    measure: Measure = PARAMS  # what the counts count
    convention: str = PARAMS.describe()


def _axis(x: str | tuple[str, Sequence[int]]) -> tuple[str, Sequence[int]]:
    return parse_grid(x) if isinstance(x, str) else (x[0], x[1])


def _figure(size: tuple[int, int]) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise SymcountError('plotting needs matplotlib: pip install "symcount[explore]"') from None
    width, height = size
    if width < 50 or height < 50 or width > 10_000 or height > 10_000:
        raise SymcountError(
            f"a plot's size must be between 50 and 10000 pixels a side. Received: {width}x{height}"
        )
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _finish(
    figure: Any,
    axes: Any,
    x_name: str,
    log: bool,
    title: str,
    path: str | Path | None,
    measure: Measure = PARAMS,
    convention: str = "",
) -> None:
    from matplotlib.ticker import FuncFormatter

    axes.set_xlabel(x_name)
    axes.set_ylabel(measure.label)
    if measure.is_params:
        axes.set_title(title)
    else:  # the convention, under the title, wrapped to the figure's width
        axes.set_title(f"{title}\n{convention}", fontsize="small", wrap=True)
    if log:
        axes.set_xscale("log")
        axes.set_yscale("log")
    else:
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axes.legend(loc="upper left", fontsize="small")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    if path is not None:
        try:
            figure.savefig(path, dpi=DPI, format=image_format(path))
        except OSError as error:
            raise SymcountError(
                f"cannot write the plot to {str(path)!r}: {error.strerror or error}"
            ) from None


def plot_counts(
    model: Model,
    x: str | tuple[str, Sequence[int]],
    values: Values | None = None,
    y: str = "total",
    log: bool = False,
    path: str | Path | None = None,
    size: tuple[int, int] = (800, 600),
    measure: Measure = PARAMS,
) -> PlotData:
    """The total (`y="total"`) or each layer stacked (`y="per-layer"`) against one symbol, of
    `measure`'s cost (parameters by default).

    `x` is a grid such as "w=8:1024" (see `explore.parse_grid`); `values` fix the other symbols.
    Layers that cost nothing are left out of the stacked bands (they would be flat at zero).
    """
    if y not in ("total", "per-layer"):
        raise SymcountError(f"y must be 'total' or 'per-layer'. Received: {y!r}")
    if path is not None:
        image_format(path)  # refused before any work
    name, axis = _axis(x)
    result = sweep(model, {name: axis}, values, layers=y == "per-layer", measure=measure)
    rows = list(result.rows())
    xs = tuple(row[0] for row in rows)
    figure = _figure(size)
    axes = figure.add_subplot()
    if y == "total":
        series = {"total": tuple(row[1] for row in rows)}
        axes.plot(xs, [float(v) for v in series["total"]], label="total")
    else:
        layers = result.columns[1:]
        series = {layer: tuple(row[2 + i] for row in rows) for i, layer in enumerate(layers)}
        shown = {layer: counts for layer, counts in series.items() if any(counts)}
        axes.stackplot(xs, *([float(v) for v in counts] for counts in shown.values()), labels=list(shown))
    _finish(figure, axes, name, log, model.name or "model", path, measure, result.convention)
    saved = None if path is None else str(path)
    return PlotData(name, xs, series, y == "per-layer", saved, size, measure, result.convention)


def plot_models(
    models: Sequence[tuple[str, Model, Values | None]],
    x: str | tuple[str, Sequence[int]],
    log: bool = False,
    path: str | Path | None = None,
    size: tuple[int, int] = (800, 600),
    measure: Measure = PARAMS,
) -> PlotData:
    """Several models' totals (of `measure`'s cost) against a symbol they share, on one axis:
    (label, model, values)."""
    if path is not None:
        image_format(path)  # refused before any work
    name, axis = _axis(x)
    figure = _figure(size)
    axes = figure.add_subplot()
    series: dict[str, tuple[int, ...]] = {}
    xs: tuple[int, ...] = ()
    conventions: dict[str, None] = {}
    for label, model, values in models:
        result = sweep(model, {name: axis}, values, measure=measure)
        rows = list(result.rows())
        xs = tuple(row[0] for row in rows)
        series[label] = tuple(row[1] for row in rows)
        conventions[result.convention] = None
        axes.plot(xs, [float(v) for v in series[label]], label=label)
    convention = "; ".join(conventions)
    _finish(figure, axes, name, log, " vs ".join(series), path, measure, convention)
    saved = None if path is None else str(path)
    return PlotData(name, xs, series, False, saved, size, measure, convention)
