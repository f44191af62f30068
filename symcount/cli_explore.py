"""The formula explorer's commands: registered on the `symcount` group by importing this module.

diff, scaling, solve, sweep, compare, explain and plot. Like `cli`, this module imports no sympy,
numpy or matplotlib: each command imports what it needs when it runs. Values come as in `count`:
the spec's own values, overridden by `--set`, or only `--set` with `--no-defaults`; the symbols a
command varies keep their values only as the point where results are evaluated. Every command
counts parameters, or the cost that `--cost` names (with `--batch`, `--dtype`, `--optimizer` and
`--extras`, as in `count`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from typing import TYPE_CHECKING, Any

import click

# `cli` imports this module at its end, once `main` and the helpers below exist; importing this
# module first works too (it imports `cli`, whose last line finds this module already loading).
from .cli import (
    Costs,
    UserError,
    batched,
    cost_options,
    json_option,
    load,
    main,
    no_defaults_option,
    parse_sets,
    reports_errors,
    set_option,
    spec_argument,
)

if TYPE_CHECKING:
    from .model import Model
    from .spec import Spec

markdown_option = click.option("--markdown", is_flag=True, help="Print Markdown.")
latex_option = click.option("--latex", is_flag=True, help="Print LaTeX.")
size_option = click.option(
    "--size", default="800x600", show_default=True, metavar="WxH", help="The image's size in pixels."
)


def _one_format(**flags: bool) -> None:
    given = [name for name, on in flags.items() if on]
    if len(given) > 1:
        raise click.UsageError(f"choose one output format. Received: {', '.join('--' + g for g in given)}")


def _values(
    spec: str,
    sets: tuple[str, ...],
    defaults: bool,
    free: list[str],
    option: str,
    point_set: bool = True,
    batch: str | None = None,
) -> tuple[Spec, Model, dict[str, Any]]:
    """The spec, its symbolic model (on `batch` examples), and values where the `free` symbols
    stay free in every other value (`f: 2*k` with k free stays 2*k) and keep their own value only
    as the point (which `--set` may give only when `point_set`)."""
    from .values import bind, check_names

    loaded, model, _, point = load(spec, sets, defaults, batch)
    check_names(free, loaded.known_names(model), option)
    given = parse_sets(sets)
    if not point_set:
        for name in free:
            if name in given:
                raise UserError(f"{name!r} is given by {option} and by --set: give it once")
    # A name only the spec's values use (a family's coefficient) is varied through the values
    # that depend on it: the model is re-expressed in it first.
    roots = [name for name in free if name in loaded.roots(model)]
    if roots:
        model = loaded.in_roots(model, roots, given)
        everything = bind({**(loaded.values if defaults else {}), **given})
        point = {**point, **{name: everything[name] for name in roots if name in everything}}
    values = loaded.values_for(model, given, defaults=defaults, free=free)
    values.update({name: point[name] for name in free if name in point})
    return loaded, model, values


def _show(result: Any, form: str, kind: str) -> None:
    """Print `result` as JSON, Markdown, LaTeX or text, with render's function for its kind."""
    from . import render

    renderers: dict[str, dict[str, Any]] = {
        "scaling": {
            "json": render.scaling_data, "markdown": render.scaling_markdown,
            "latex": render.scaling_latex, "text": render.scaling_text,
        },
        "comparison": {
            "json": render.comparison_data, "markdown": render.comparison_markdown,
            "latex": render.comparison_latex, "text": render.comparison_text,
        },
        "explanation": {
            "json": render.explanation_data, "markdown": render.explanation_markdown,
            "latex": render.explanation_latex, "text": render.explanation_text,
        },
    }  # fmt: skip
    output = renderers[kind][form](result)
    click.echo(json.dumps(output, indent=2, allow_nan=False) if form == "json" else output)


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    if not (sep and width.strip().isdigit() and height.strip().isdigit()):
        raise UserError(f"--size expects WIDTHxHEIGHT in pixels, e.g. 800x600. Received: {text!r}")
    return int(width), int(height)


@main.command(name="diff")
@spec_argument
@click.option("--wrt", required=True, metavar="NAME", help="The symbol to differentiate by.")
@set_option
@no_defaults_option
@cost_options
@latex_option
@json_option
@reports_errors
def diff_command(
    spec: str, wrt: str, sets: tuple[str, ...], no_defaults: bool, latex: bool, as_json: bool, costs: Costs
) -> None:
    """d total / d NAME as a formula, and its value where NAME has one (from the spec or --set).

    Every other symbol takes its value; --no-defaults keeps those not --set free.
    """
    from .explore import diff
    from .render import diff_data, diff_latex, diff_text

    _one_format(latex=latex, json=as_json)
    _, model, values = _values(spec, sets, not no_defaults, [wrt], "--wrt", batch=costs.batch)
    result = diff(model, wrt, values, costs.measure)
    if as_json:
        click.echo(json.dumps(diff_data(result), indent=2, allow_nan=False))
    elif latex:
        click.echo(diff_latex(result))
    else:
        click.echo(diff_text(result))


@main.command()
@spec_argument
@click.option(
    "--wrt",
    metavar="NAME|NAME=EXPR,...",
    help="One symbol (w), or several scaled by one factor: 'w=s*w0, h=s*h0'.",
)
@click.option(
    "--together",
    metavar="NAMES",
    help="Scale these symbols together by one factor: w,h means w -> s*w, h -> s*h.",
)
@click.option("--by", default="s", show_default=True, metavar="NAME", help="The scale factor's name.")
@set_option
@no_defaults_option
@cost_options
@markdown_option
@latex_option
@json_option
@reports_errors
def scaling(
    spec: str,
    wrt: str | None,
    together: str | None,
    by: str,
    sets: tuple[str, ...],
    no_defaults: bool,
    markdown: bool,
    latex: bool,
    as_json: bool,
    costs: Costs,
) -> None:
    """How the total grows: degree, leading term, big-O and elasticity d log N / d log w.

    The elasticity is given as a formula and, exactly, where the symbols have values. With several
    symbols scaled together (--together w,h) it is taken at s = 1: how the total grows when the
    whole net widens from its current sizes.
    """
    from .explore import parse_scaling, scaling

    _one_format(markdown=markdown, latex=latex, json=as_json)
    if (wrt is None) == (together is None):
        raise click.UsageError("give one of --wrt NAME (or 'w=s*w0, h=s*h0') and --together w,h")
    target: Any
    if together is not None:
        target = [name.strip() for name in together.split(",") if name.strip()]
        names = target
    elif wrt is not None and "=" in wrt:
        target = parse_scaling(wrt)
        names = list(target)
    else:
        target = (wrt or "").strip()
        names = [target]
    option = "--wrt" if together is None else "--together"
    _, model, values = _values(spec, sets, not no_defaults, names, option, batch=costs.batch)
    result = scaling(model, target, values, by=by, measure=costs.measure)
    _show(result, "json" if as_json else "markdown" if markdown else "latex" if latex else "text", "scaling")


@main.command()
@spec_argument
@click.option("--for", "wrt", required=True, metavar="NAME", help="The symbol to solve for.")
@click.option(
    "--budget",
    required=True,
    metavar="EXPR",
    help="The most parameters (or --cost: FLOPs, bytes...) allowed, e.g. 1e6 or 2**20; bytes may "
    "take a unit: 24GB (decimal), 80GiB (binary).",
)
@set_option
@no_defaults_option
@cost_options
@json_option
@reports_errors
def solve(
    spec: str, wrt: str, budget: str, sets: tuple[str, ...], no_defaults: bool, as_json: bool, costs: Costs
) -> None:
    """The largest integer NAME whose total stays within the budget (checked at NAME and NAME + 1).

    A compute or memory budget is a --cost: --budget 1e12 --cost flops. Exits with 1 when no
    value fits, or when the largest is beyond the search range (both are said in the output).
    """
    from .explore import solve_budget
    from .render import budget_data, budget_text

    _, model, values = _values(
        spec, sets, not no_defaults, [wrt], "--for", point_set=False, batch=costs.batch
    )
    result = solve_budget(model, wrt, budget, values, costs.measure)
    click.echo(json.dumps(budget_data(result), indent=2, allow_nan=False) if as_json else budget_text(result))
    if result.status in ("none", "beyond"):  # no largest value found: say so in the exit code too
        raise click.exceptions.Exit(1)


@main.command()
@spec_argument
@click.option(
    "--grid",
    "grids",
    multiple=True,
    required=True,
    metavar="NAME=START:STOP[:STEP]",
    help="A symbol's values: 8:1024:8 (stop included when on the grid) or 8,16,32. Repeatable; the first varies slowest.",
)
@click.option("--layers", is_flag=True, help="Add a column for every layer's count.")
@set_option
@no_defaults_option
@cost_options
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@markdown_option
@json_option
@click.option(
    "--max-points",
    type=click.IntRange(min=1),
    default=10_000_000,  # explore.sweep.MAX_POINTS (not imported: it would import sympy)
    show_default=True,
    help="The most grid points to compute; a larger grid is refused before any work.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr [default: for long sweeps written to a file or pipe from a terminal].",
)
@reports_errors
def sweep(
    spec: str,
    grids: tuple[str, ...],
    layers: bool,
    sets: tuple[str, ...],
    no_defaults: bool,
    as_csv: bool,
    markdown: bool,
    as_json: bool,
    progress: bool | None,
    max_points: int,
    costs: Costs,
) -> None:
    """The total (and with --layers every layer's count) at every point of a grid: exact ints,
    computed and printed chunk by chunk.

    --json prints {"cost", "convention", "rows": [{NAME: value, ..., "total": count}, ...]}.
    """
    from .explore import parse_grid, sweep

    _one_format(csv=as_csv, markdown=markdown, json=as_json)
    axes = dict(parse_grid(text) for text in grids)
    if len(axes) < len(grids):
        raise UserError("each symbol takes one --grid")
    _, model, values = _values(
        spec, sets, not no_defaults, list(axes), "--grid", point_set=False, batch=costs.batch
    )
    fixed = {k: v for k, v in values.items() if k not in axes}
    form = "csv" if as_csv else "markdown" if markdown else "json" if as_json else "text"
    result = sweep(model, axes, fixed, layers=layers, measure=costs.measure, max_points=max_points)
    show = progress if progress is not None else (result.size >= 100_000 and _terminal_stderr_only())
    stated = result.convention if not result.measure.is_params else None
    writer = _SweepWriter(
        result.header, form, {"cost": result.measure.cost, "convention": result.convention}, stated
    )
    if form != "text":  # the text table takes its widths from the first chunk: chunks as ever
        result = dataclasses.replace(result, chunk_size=65536)
    blocks = result.arrays()
    if show:
        with click.progressbar(length=result.size, label="sweeping", file=sys.stderr) as bar:
            for block in blocks:
                writer.write(block)
                bar.update(len(block[0]))
    else:
        for block in blocks:
            writer.write(block)
    writer.close()


def _echo(text: str) -> None:
    """`click.echo(text, nl=False)`, without scanning a megabyte chunk for ANSI codes to strip
    when it holds none."""
    if "\x1b" in text:
        click.echo(text, nl=False)
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def _rows(literals: list[str], columns: list[Any]) -> str:
    """Each row's values between the literals (literals[0] + str(v0) + literals[1] + ...): in
    bulk where every column is an int64 array, with `str` otherwise."""
    from .explore.digits import bulk_rows

    text = bulk_rows(literals, columns)
    if text is not None:
        return text
    texts = [map(str, values if isinstance(values, list) else values.tolist()) for values in columns]
    middle = literals[1:-1]
    return "".join(
        literals[0] + "".join(v + m for v, m in zip(row, middle)) + row[-1] + literals[-1]
        for row in zip(*texts)
    )


def _terminal_stderr_only() -> bool:
    """A bar helps when the rows go to a file or pipe while a person watches the terminal."""
    return sys.stderr.isatty() and not sys.stdout.isatty()


class _SweepWriter:
    """Rows printed as they come, a chunk of columns at a time, each chunk formatted and written
    at once: the text table takes its column widths from the first chunk.

    JSON opens with `fields` (the cost and its convention) before the rows; text and Markdown
    open with the `stated` convention line, if any (CSV is the header and the rows only).
    """

    def __init__(
        self, header: tuple[str, ...], form: str, fields: dict[str, str], stated: str | None = None
    ) -> None:
        self.header = header
        self.form = form
        self.fields = fields
        self.stated = stated
        self.widths: list[int] | None = None
        self.first = True

    def _opening(self) -> str:
        """The JSON object's fields, then the rows' opening bracket."""
        fields = "".join(f"  {json.dumps(key)}: {json.dumps(value)},\n" for key, value in self.fields.items())
        return "{\n" + fields + '  "rows": ['

    def write(self, columns: list[Any]) -> None:
        """Write one chunk of rows, given as columns: lists of Python ints, or numpy arrays (int64
        ones have their digits written in bulk, see explore.digits)."""
        if not columns or not len(columns[0]):
            return
        lines = []
        if self.form == "csv":
            from .render.tables import csv_text

            header, names = "", [csv_text(name) for name in self.header]  # no cell is a formula
            if self.first and all(re.fullmatch(r"[\w.-]+", name, re.ASCII) for name in names):
                header = ",".join(names) + "\n"  # nothing to quote: what csv.writer writes
            elif self.first:
                import csv
                import io

                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="\n").writerow(names)
                header = buffer.getvalue()
            _echo(header + _rows(["", *[","] * (len(columns) - 1), "\n"], columns))
        elif self.form == "json":
            # json.dumps of each row's dict: its keys once each (a repeated name keeps its first
            # place and its last value), ints as Python writes them.
            last = {name: i for i, name in enumerate(self.header)}
            shown = [last[name] for name in dict.fromkeys(self.header)]
            keys = [json.dumps(name) for name in dict.fromkeys(self.header)]
            literals = ["    {" + keys[0] + ": ", *(f", {key}: " for key in keys[1:]), "},\n"]
            opening = self._opening() + "\n" if self.first else ",\n"
            _echo(opening + _rows(literals, [columns[i] for i in shown])[:-2])
        elif self.form == "markdown":
            text = ""
            if self.first:
                lines += [f"{self.stated}\n"] if self.stated else []
                from .render.tables import markdown_text

                names = [markdown_text(name) for name in self.header]
                lines += ["| " + " | ".join(names) + " |", "|" + "---|" * len(self.header)]
                text = "\n".join(lines) + "\n"
            _echo(text + _rows(["| ", *[" | "] * (len(columns) - 1), " |\n"], columns))
        else:
            columns = [values if isinstance(values, list) else values.tolist() for values in columns]
            cells = list(zip(*([f"{v:,}" for v in values] for values in columns)))
            if self.widths is None:
                self.widths = [
                    max(len(r[i]) for r in [list(self.header), *cells]) for i in range(len(self.header))
                ]
                lines += [self.stated] if self.stated else []
                lines.append("  ".join(h.rjust(w) for h, w in zip(self.header, self.widths)))
            lines += ["  ".join(c.rjust(w) for c, w in zip(row, self.widths)) for row in cells]
            click.echo("\n".join(lines))
        self.first = False

    def close(self) -> None:
        if self.form == "json":
            click.echo(self._opening() + "]\n}" if self.first else "\n  ]\n}")


@main.command()
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@set_option
@no_defaults_option
@cost_options
@markdown_option
@latex_option
@json_option
@click.option(
    "-o",
    "--output",
    "plot_path",
    metavar="FILE",
    help="Also draw both totals against --x into FILE (.png, .svg, .pdf or .jpg), as `plot -o` does.",
)
@click.option("--plot", "old_plot_path", metavar="FILE", hidden=True, help="The old spelling of --output.")
@click.option(
    "--x",
    "x_grid",
    metavar="NAME=START:STOP[:STEP]",
    help="The symbol (shared by A and B) on the plot's x axis.",
)
@click.option("--log", is_flag=True, help="Plot on log-log axes.")
@size_option
@reports_errors
def compare(
    first: str,
    second: str,
    sets: tuple[str, ...],
    no_defaults: bool,
    markdown: bool,
    latex: bool,
    as_json: bool,
    plot_path: str | None,
    old_plot_path: str | None,
    x_grid: str | None,
    log: bool,
    size: str,
    costs: Costs,
) -> None:
    """Two specs side by side: totals, difference and ratio, and each layer's share of its model.

    A --set value goes to whichever spec knows the name (both, if both do); --batch applies to both.
    """
    from .explore import compare, parse_grid

    _one_format(markdown=markdown, latex=latex, json=as_json)
    plot_path = plot_path if old_plot_path is None else old_plot_path
    if (plot_path is None) != (x_grid is None):
        raise click.UsageError("-o/--output FILE and --x NAME=START:STOP go together")
    from .spec import load_spec

    given = parse_sets(sets)
    x_name = parse_grid(x_grid)[0] if x_grid is not None else None
    if plot_path is not None and x_grid is not None:
        from .plot import check_plot

        check_plot(parse_grid(x_grid)[1], plot_path)  # before any counting, and before any output
    known = []
    for source in (first, second):
        loaded = load_spec(source)
        known.append(set(loaded.known_names(batched(loaded.model(), costs.batch))))
    unknown = [name for name in given if not any(name in names for names in known)]
    if unknown:
        raise UserError(f"unknown name {unknown[0]!r} in --set: neither {first} nor {second} knows it")
    prepared = []
    for source, names in zip((first, second), known):
        pairs = tuple(f"{name}={value}" for name, value in given.items() if name in names)
        free = [x_name] if x_name is not None else []
        prepared.append(
            _values(source, pairs, not no_defaults, free, "--x", point_set=False, batch=costs.batch)
        )
    (spec_a, model_a, values_a), (spec_b, model_b, values_b) = prepared
    measure = costs.measure
    result = compare(model_a, model_b, values_a, values_b, measure)
    _show(
        result, "json" if as_json else "markdown" if markdown else "latex" if latex else "text", "comparison"
    )
    if plot_path is not None and x_grid is not None and x_name is not None:
        from .plot import plot_models

        label_a, label_b = (spec_a.name, spec_b.name) if spec_a.name != spec_b.name else ("A", "B")
        models = [
            (label_a, model_a, {k: v for k, v in values_a.items() if k != x_name}),
            (label_b, model_b, {k: v for k, v in values_b.items() if k != x_name}),
        ]
        defaults: list[int | None] = []
        for loaded in (spec_a, spec_b):
            point = loaded.values.get(x_name)
            defaults.append(int(str(point)) if str(point).isdigit() else None)
        plot_models(
            models, x_grid, log=log, path=plot_path, size=_size(size), measure=measure, defaults=defaults
        )
        click.echo(f"wrote {plot_path}", err=True)


@main.command()
@spec_argument
@set_option
@no_defaults_option
@cost_options
@markdown_option
@latex_option
@json_option
@reports_errors
def explain(
    spec: str,
    sets: tuple[str, ...],
    no_defaults: bool,
    markdown: bool,
    latex: bool,
    as_json: bool,
    costs: Costs,
) -> None:
    """Per layer, in words and numbers, where the count comes from; then the sum.

    For a --cost other than params: each layer's formula and its number.
    """
    from .explore import explain

    _one_format(markdown=markdown, latex=latex, json=as_json)
    _, model, values = _values(spec, sets, not no_defaults, [], "", batch=costs.batch)
    result = explain(model, values, costs.measure)
    _show(
        result, "json" if as_json else "markdown" if markdown else "latex" if latex else "text", "explanation"
    )


@main.command()
@spec_argument
@click.option(
    "--x",
    "x_grid",
    required=True,
    metavar="NAME=START:STOP[:STEP]",
    help="The symbol on the x axis and its values.",
)
@click.option(
    "--y",
    type=click.Choice(["total", "per-layer"]),
    default="total",
    show_default=True,
    help="The total, or every layer stacked.",
)
@click.option("--log", is_flag=True, help="Log-log axes (a polynomial's degree is its slope).")
@click.option(
    "-o", "--output", required=True, metavar="FILE", help="The image to write: .png, .svg, .pdf or .jpg."
)
@size_option
@set_option
@no_defaults_option
@cost_options
@json_option
@reports_errors
def plot(
    spec: str,
    x_grid: str,
    y: str,
    log: bool,
    output: str,
    size: str,
    sets: tuple[str, ...],
    no_defaults: bool,
    as_json: bool,
    costs: Costs,
) -> None:
    """Parameters (or --cost) against one symbol, as an image in the format its extension names
    (needs matplotlib: pip install "symcount[explore]").

    The spec's value of the symbol is marked, and the values every other symbol is held at are
    listed under the plot. --y per-layer stacks the layers (lines on --log axes), the 8 largest
    and the rest as "other".
    """
    from .explore import parse_grid
    from .plot import plot_counts

    name, axis = parse_grid(x_grid)
    _, model, values = _values(spec, sets, not no_defaults, [name], "--x", point_set=False, batch=costs.batch)
    point = values.get(name)  # the spec's own value of x: marked on the plot
    data = plot_counts(
        model,
        (name, axis),
        {k: v for k, v in values.items() if k != name},
        y=y,
        log=log,
        path=output,
        size=_size(size),
        measure=costs.measure,
        default=int(point) if point is not None and point.is_Integer else None,
    )
    if as_json:
        series = {k: list(v) for k, v in data.series.items()}
        fields = {"cost": data.measure.cost, "convention": data.convention}
        click.echo(
            json.dumps({"x": {data.x_name: list(data.x)}, "series": series, **fields}, allow_nan=False)
        )
    else:
        click.echo(f"wrote {output} ({data.size[0]}x{data.size[1]}, {len(data.x)} points of {name})")
        if data.skipped:
            from .plot import skipped_note

            click.echo(skipped_note(name, data.skipped, data.reason))
        if not data.measure.is_params:
            click.echo(data.convention)


@main.command(name="page")
@spec_argument
@set_option
@cost_options
@click.option(
    "--compare", "other", metavar="B", help="A second spec, side by side, with the ratio of the totals."
)
@click.option(
    "-o", "--output", metavar="FILE", help="The HTML file to write.  [default: the spec's name .html]"
)
@reports_errors
def page_command(
    spec: str, sets: tuple[str, ...], other: str | None, output: str | None, costs: Costs
) -> None:
    """One self-contained HTML file to explore SPEC in a browser, offline: a slider and a number
    box per symbol (the spec's values first), the total and every layer's count exact as they move,
    the formulas, the rules checked, a plot and the explanation.

    --cost params,flops,... chooses the costs offered (the first is shown first); every cost the
    spec has by default. A --set value goes to whichever spec knows the name.
    """
    from .files import check_writable, write_text
    from .render.page import page
    from .spec import load_spec

    loaded = load_spec(spec)
    path = check_writable(
        output or f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', loaded.name) or 'model'}.html", "page"
    )
    given = parse_sets(sets)
    models = []
    for source in (loaded, None if other is None else load_spec(other)):
        if source is None:
            continue
        model = batched(source.model(), costs.batch)
        known = set(source.known_names(model))
        mine = {k: v for k, v in given.items() if k in known}
        values = source.values_for(model, mine, defaults=True)
        models.append((source, model, values))
    unknown = {k: v for k, v in given.items() if not any(k in s.known_names(m) for s, m, _ in models)}
    if unknown:  # refused in the words of --set everywhere
        models[0][0].values_for(models[0][1], unknown, defaults=True)
    (first, model, values), *rest = models
    result = page(
        model,
        values,
        cost=None if costs.cost == "params" else costs.cost.split(","),
        compare=rest[0][1] if rest else None,
        compare_values=rest[0][2] if rest else None,
        dtype=costs.dtype,
        optimizer=costs.optimizer,
        extras=costs.extras,
        description=first.description,
        compare_description=rest[0][0].description if rest else "",
    )
    write_text(path, result.html, "page")
    click.echo(f"wrote {path} ({len(result.html.encode()):,} bytes)")
