"""Plots of parameter counts (or other costs) against a symbol, so a reader sees where they sit.

matplotlib is an optional extra (`pip install "symcount[explore]"`) and loads only when a plot is
drawn. Figures are made on the Agg canvas directly, never through pyplot, so plotting touches no
global state and needs no display. Every function returns the data it plotted (exact counts from
`explore.sweep`), which is what tests compare with `model.count`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .costs import PARAMS, Measure
from .errors import SymcountError, one_line
from .explore import Values, parse_grid, sweep
from .explore.common import fix, named
from .files import check_writable
from .model import Model

__all__ = [
    "PlotData",
    "plot_counts",
    "plot_models",
    "check_plot",
    "image_format",
    "DPI",
    "FORMATS",
    "MAX_POINTS",
]

DPI = 100  # a figure of size (w, h) pixels is (w/DPI, h/DPI) inches at DPI
MAX_POINTS = 100_000  # points on a plot's x axis: far more than its pixels


def check_plot(axis: Sequence[int], path: str | Path | None) -> None:
    """Refuse, before any counting, a plot with too many points or a path it could not write."""
    if len(axis) > MAX_POINTS:
        raise SymcountError(
            f"a plot draws at most {MAX_POINTS:,} points; this axis has {len(axis):,}: give a step, "
            f"e.g. w=1:{MAX_POINTS * 10}:10"
        )
    if path is not None:
        check_writable(path, "plot")


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
    # Layers drawn together as "other" (all but the TOP largest, in a model with more), the x
    # marked as the spec's default, and the values every other symbol was held at.
    other: tuple[str, ...] = ()
    default: int | None = None
    held: tuple[tuple[str, str], ...] = ()
    # Grid points the model refuses (heads that do not divide d...): left out of the plot, with
    # the first one's reason.
    skipped: tuple[int, ...] = ()
    reason: str = ""


TOP = 8  # a per-layer plot draws the 8 largest layers and groups the rest as "other"


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


def _literal(text: str) -> str:
    """`text` as matplotlib shows it literally: a `$` escaped, so a name is never read as
    mathtext (`$\\undefinedcommand$` would be an error, `$x^2$` a formula)."""
    return text.replace("$", "\\$")


def _floats(values: Sequence[int]) -> list[float]:
    """Exact counts as the floats a figure draws, or a one-line error past a float's range."""
    try:
        return [float(v) for v in values]
    except OverflowError:
        largest = max(values)
        raise SymcountError(
            f"a plot draws numbers up to about 1.8e308; this one reaches a number of "
            f"{len(str(largest)) if largest.bit_length() < 10_000 else 'thousands of'} digits: "
            "plot a smaller range, or use sweep for exact numbers"
        ) from None


# Rounded units for the y axis: 17.5B, not 17,500,000,000 (decimal prefixes, as the summary's).
_SUFFIXES = ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K"))
_BYTE_SUFFIXES = ((10**12, " TB"), (10**9, " GB"), (10**6, " MB"), (10**3, " kB"))


def rounded(value: float, unit: str = "") -> str:
    """A tick label in rounded units: `rounded(17.5e9)` is '17.5B'; bytes take kB, MB, GB, TB
    (decimal).

    Example:
        >>> rounded(17_500_000_000), rounded(1500), rounded(250), rounded(3e9, "bytes")
        ('17.5B', '1.5K', '250', '3 GB')
    """
    for scale, suffix in _BYTE_SUFFIXES if unit == "bytes" else _SUFFIXES:
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


# Line styles cycled over series, so a series drawn over another (a tied lm_head over
# embed_tokens) still shows.
_STYLES = ("-", "--", ":", "-.")


def _draw(
    axes: Any, xs: Sequence[int] | Mapping[str, Sequence[int]], series: dict[str, tuple[int, ...]]
) -> None:
    """One line per series (on shared x values, or each on its own); a series equal to one drawn
    before says so in its label and is dashed, with markers, over it."""
    drawn: dict[tuple[Any, ...], str] = {}
    for k, (label, counts) in enumerate(series.items()):
        x = tuple(xs[label] if isinstance(xs, Mapping) else xs)
        same = drawn.get((x, counts))
        style = _STYLES[k % len(_STYLES)] if same is None else "--"
        axes.plot(
            _floats(x), _floats(counts), linestyle=style, marker=None if same is None else "x",
            label=_literal(label if same is None else f"{label} (= {same})"),
        )  # fmt: skip
        drawn.setdefault((x, counts), label)


def skipped_note(name: str, skipped: Sequence[int], reason: str) -> str:
    """What a plot left out, in one line: how many points, and why the first was refused."""
    return f"{len(skipped)} point(s) of {name} skipped, which the model refuses ({reason})"


def _swept(
    model: Model,
    name: str,
    axis: Sequence[int],
    values: Values | None,
    measure: Measure,
    layers: bool = False,
) -> tuple[Any, list[tuple[int, ...]], tuple[int, ...], str]:
    """The sweep of `axis` and its rows; where the model refuses some points (heads that do not
    divide d...), the sweep of the points it counts, the points it refused, and why it refused
    the first of them: a plot draws what it can and says what it left out."""
    try:
        result = sweep(model, {name: axis}, values, layers=layers, measure=measure)
        return result, list(result.rows()), (), ""
    except SymcountError as error:
        if "at " not in str(error):  # not a refusal at a point: the plot cannot be drawn
            raise
    fixed = fix(model, named(values), [name])
    good, bad, reason = [], [], ""
    for value in axis:
        try:
            measure.total(fixed.subs({name: value}))
            good.append(value)
        except SymcountError as error:
            bad.append(value)
            reason = reason or f"at {name}={value}: {one_line(str(error))}"
    if not good:
        raise SymcountError(f"no point of the grid can be counted; {reason}")
    result = sweep(model, {name: tuple(good)}, values, layers=layers, measure=measure)
    return result, list(result.rows()), tuple(bad), reason


def _finish(
    figure: Any,
    axes: Any,
    x_name: str,
    log: bool,
    title: str,
    path: str | Path | None,
    measure: Measure = PARAMS,
    convention: str = "",
    default: int | None = None,
    notes: Sequence[str] = (),
) -> None:
    from matplotlib.ticker import FuncFormatter

    if default is not None:  # the spec's own value of x, where its published count sits
        axes.axvline(
            default, color="0.4", linestyle=":", linewidth=1, label=f"default {x_name} = {default:,}"
        )
    if notes:  # what is held, what was left out: under the plot
        figure.text(
            0.01, 0.005, _literal("\n".join(notes)), fontsize="x-small", color="0.3", wrap=True, va="bottom"
        )
    axes.set_xlabel(x_name)
    axes.set_ylabel(measure.label)
    if measure.is_params:
        axes.set_title(_literal(title))
    else:  # the convention, under the title, wrapped to the figure's width
        axes.set_title(_literal(f"{title}\n{convention}"), fontsize="small", wrap=True)
    if log:
        axes.set_xscale("log")
        axes.set_yscale("log")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: rounded(value, measure.entry.unit)))
    axes.legend(loc="upper left", fontsize="small")
    axes.grid(True, alpha=0.3)
    figure.tight_layout(rect=(0, 0.03 * len(notes), 1, 1))
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
    default: int | None = None,
) -> PlotData:
    """The total (`y="total"`) or each layer (`y="per-layer"`) against one symbol, of
    `measure`'s cost (parameters by default).

    `x` is a grid such as "w=8:1024" (see `explore.parse_grid`); `values` fix the other symbols,
    and are listed under the plot; `default` (the spec's value of x) is marked. Per layer, the
    bands are stacked on linear axes and drawn as lines on log axes (stacked areas misread there);
    a model of more than `TOP` + 1 layers shows its `TOP` largest and groups the rest as "other".
    Layers that cost nothing are left out (they would be flat at zero).
    """
    if y not in ("total", "per-layer"):
        raise SymcountError(f"y must be 'total' or 'per-layer'. Received: {y!r}")
    if path is not None:
        image_format(path)  # refused before any work
    name, axis = _axis(x)
    check_plot(axis, path)
    figure = _figure(size)
    result, rows, skipped, reason = _swept(model, name, axis, values, measure, layers=y == "per-layer")
    xs = tuple(row[0] for row in rows)
    axes = figure.add_subplot()
    if y == "total":
        series = {"total": tuple(row[1] for row in rows)}
        axes.plot(_floats(xs), _floats(series["total"]), label="total")
    other: tuple[str, ...] = ()
    if y == "per-layer":
        layers = result.columns[1:]
        series = {layer: tuple(row[2 + i] for row in rows) for i, layer in enumerate(layers)}
        series, other = _grouped(series)
        shown = {layer: counts for layer, counts in series.items() if any(counts)}
        if log:
            _draw(axes, xs, shown)
        else:
            bands = [_floats(counts) for counts in shown.values()]
            axes.stackplot(_floats(xs), *bands, labels=[_literal(layer) for layer in shown])
    held = tuple((str(k), str(v)) for k, v in (values or {}).items() if str(k) != name)
    if default is not None and not (xs and min(xs) <= default <= max(xs)):
        default = None
    title = model.name or "model"
    notes = ["held: " + ", ".join(f"{k}={v}" for k, v in held)] if held else []
    if skipped:
        notes.append(skipped_note(name, skipped, reason))
    _finish(figure, axes, name, log, title, path, measure, result.convention, default, notes)
    saved = None if path is None else str(path)
    stacked = y == "per-layer" and not log
    return PlotData(
        name,
        xs,
        series,
        stacked,
        saved,
        size,
        measure,
        result.convention,
        other,
        default,
        held,
        skipped,
        reason,
    )


def _grouped(series: dict[str, tuple[int, ...]]) -> tuple[dict[str, tuple[int, ...]], tuple[str, ...]]:
    """The `TOP` largest layers (by their largest value on the grid), in model order, and the rest
    summed as "other", when there are more than `TOP` + 1; every layer otherwise."""
    if len(series) <= TOP + 1:
        return series, ()
    largest = sorted(series, key=lambda layer: max(series[layer]), reverse=True)[:TOP]
    kept = {layer: counts for layer, counts in series.items() if layer in largest}
    rest = tuple(layer for layer in series if layer not in largest)
    kept["other"] = tuple(
        sum(series[layer][i] for layer in rest) for i in range(len(next(iter(series.values()))))
    )
    return kept, rest


def plot_models(
    models: Sequence[tuple[str, Model, Values | None]],
    x: str | tuple[str, Sequence[int]],
    log: bool = False,
    path: str | Path | None = None,
    size: tuple[int, int] = (800, 600),
    measure: Measure = PARAMS,
    defaults: Sequence[int | None] = (),
) -> PlotData:
    """Several models' totals (of `measure`'s cost) against a symbol they share, on one axis:
    (label, model, values). Each model's `defaults` (its spec's value of x) is marked, and the
    values each holds the other symbols at are listed under the plot."""
    if path is not None:
        image_format(path)  # refused before any work
    name, axis = _axis(x)
    check_plot(axis, path)
    figure = _figure(size)
    axes = figure.add_subplot()
    series: dict[str, tuple[int, ...]] = {}
    xs: tuple[int, ...] = ()
    conventions: dict[str, None] = {}
    held: list[tuple[str, str]] = []
    xs_of: dict[str, tuple[int, ...]] = {}
    skipped_notes = []
    for label, model, values in models:
        result, rows, skipped, reason = _swept(model, name, axis, values, measure)
        if skipped:
            skipped_notes.append(f"{label}: " + skipped_note(name, skipped, reason))
        xs = tuple(row[0] for row in rows)
        xs_of[label] = xs
        series[label] = tuple(row[1] for row in rows)
        conventions[result.convention] = None
        shown = ", ".join(f"{k}={v}" for k, v in named(values).items() if k != name)
        held.append((label, shown or "nothing else fixed"))
    _draw(axes, xs_of, series)
    for (label, _, _), default in zip(models, defaults):
        if default is not None and min(xs_of[label]) <= default <= max(xs_of[label]):
            axes.axvline(
                default,
                color="0.4",
                linestyle=":",
                linewidth=1,
                label=f"{label}: default {name} = {default:,}",
            )
    convention = "; ".join(conventions)
    notes = [f"{label} holds {text}" for label, text in held] + skipped_notes
    _finish(figure, axes, name, log, " vs ".join(series), path, measure, convention, None, notes)
    saved = None if path is None else str(path)
    return PlotData(name, xs, series, False, saved, size, measure, convention, held=tuple(held))
