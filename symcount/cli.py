"""The `symcount` command line: a click group whose commands import sympy only when they run.

User mistakes (a `SymcountError`) become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import SymcountError

if TYPE_CHECKING:
    from .model import Model
    from .spec import Spec

F = TypeVar("F", bound=Callable[..., Any])

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class UserError(click.ClickException):
    """A one-line message and exit code 2, the CLI's answer to every `SymcountError`."""

    exit_code = 2


def reports_errors(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SymcountError as error:
            raise UserError(str(error)) from None

    return wrapper  # type: ignore[return-value]


def parse_sets(pairs: tuple[str, ...]) -> dict[str, str]:
    """`("f=16", "k=2*j")` -> {"f": "16", "k": "2*j"}; the values are parsed later, safely."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name) or not value.strip():
            raise UserError(f"--set expects NAME=EXPR, e.g. --set f=16. Received: {pair!r}")
        values[name] = value.strip()
    return values


def load(spec: str, sets: tuple[str, ...], defaults: bool) -> tuple[Spec, Model, Model, dict[str, Any]]:
    """The spec, its symbolic model, the model with values substituted, and those values."""
    from .spec import load_spec

    loaded = load_spec(spec)
    model = loaded.model()
    values = loaded.values_for(model, parse_sets(sets), defaults=defaults)
    return loaded, model, model.subs(values), values


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


SET_HELP = "Give a symbol a value or an expression, e.g. --set f=16 --set k=2*j (repeatable)."
spec_argument = click.argument("spec", metavar="SPEC")
set_option = click.option("--set", "sets", multiple=True, metavar="NAME=EXPR", help=SET_HELP)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symcount")
def main() -> None:
    """Exact parameter counts of neural networks, as formulas.

    SPEC is a YAML spec file, or the name of a built-in example (see `symcount examples`).
    """


@main.command()
@spec_argument
@set_option
@json_option
@reports_errors
def count(spec: str, sets: tuple[str, ...], as_json: bool) -> None:
    """The concrete parameter count of SPEC (spec values as defaults, --set overrides)."""
    from .render import to_json_value

    loaded, _, valued, values = load(spec, sets, defaults=True)
    counts = valued.counts()
    if as_json:
        data: dict[str, Any] = dict(counts)
        if valued.framework != "torch":
            data.pop("buffers")
        data["name"] = loaded.name
        data["values"] = {name: to_json_value(value) for name, value in sorted(values.items())}
        data["layers"] = [
            {"name": row.name, "type": row.kind, "params": int(row.params)} for row in valued.rows
        ]
        echo_json(data)
        return
    click.echo(
        f"{loaded.name}: {counts['total']:,} parameters "
        f"({counts['trainable']:,} trainable, {counts['non_trainable']:,} non-trainable)"
    )
    if valued.framework == "torch" and counts["buffers"]:
        click.echo(f"buffers (not parameters): {counts['buffers']:,}")


@main.command()
@spec_argument
@set_option
@click.option("--defaults", is_flag=True, help="Substitute the spec's own values too.")
@click.option(
    "--form",
    type=click.Choice(["expand", "factor", "simplify", "built"]),
    default="expand",
    show_default=True,
)
@click.option("--latex", is_flag=True, help="Print the formula as LaTeX.")
@json_option
@reports_errors
def formula(spec: str, sets: tuple[str, ...], defaults: bool, form: str, latex: bool, as_json: bool) -> None:
    """The total of SPEC as a formula, with only the --set values substituted."""
    import sympy

    from .algebra import formula as in_form

    loaded, _, valued, values = load(spec, sets, defaults=defaults)
    total = in_form(valued.params, form)
    if as_json:
        echo_json(
            {
                "name": loaded.name,
                "form": form,
                "total": str(total),
                "trainable": str(in_form(valued.trainable, form)),
                "non_trainable": str(in_form(valued.non_trainable, form)),
                "latex": sympy.latex(total),
                "symbols": sorted(s.name for s in total.free_symbols),
                "values": {name: str(value) for name, value in sorted(values.items())},
            }
        )
    elif latex:
        click.echo(sympy.latex(total))
    else:
        click.echo(str(total))


@main.command()
@spec_argument
@set_option
@click.option("--no-defaults", is_flag=True, help="Ignore the spec's own values: formulas only.")
@click.option("--markdown", is_flag=True, help="Print a Markdown table.")
@json_option
@reports_errors
def summary(spec: str, sets: tuple[str, ...], no_defaults: bool, markdown: bool, as_json: bool) -> None:
    """The per-layer table of SPEC: output shapes and parameter formulas, with numbers where known."""
    from .render import summary_data, summary_markdown, summary_text

    _, model, valued, values = load(spec, sets, defaults=not no_defaults)
    shown = valued if values else None
    if as_json:
        echo_json(summary_data(model, shown))
    elif markdown:
        click.echo(summary_markdown(model, shown))
    else:
        click.echo(summary_text(model, shown))


@main.command(name="examples")
@json_option
@reports_errors
def examples_command(as_json: bool) -> None:
    """The built-in example specs, usable by name wherever SPEC is accepted."""
    from .spec import examples

    found = examples()
    if as_json:
        echo_json(found)
        return
    width = max(len(name) for name in found)
    for name, description in found.items():
        click.echo(f"{name.ljust(width)}  {description}")


@main.command()
@click.option("--markdown", is_flag=True, help="Print the Markdown reference (docs/layers.md).")
@reports_errors
def layers(markdown: bool) -> None:
    """Every layer symcount knows: spec key, PyTorch name, and its parameter formula."""
    from .reference import reference_markdown, reference_text

    click.echo(reference_markdown() if markdown else reference_text())


@main.command()
@spec_argument
@reports_errors
def show(spec: str) -> None:
    """Print the YAML of SPEC (a built-in example, to copy and edit)."""
    from importlib import resources
    from pathlib import Path

    from .spec import load_spec

    load_spec(spec)  # raises a clear error if SPEC is neither a file nor an example
    path = Path(spec)
    if path.is_file():
        click.echo(path.read_text(encoding="utf-8"), nl=False)
    else:
        click.echo(
            resources.files("symcount.examples").joinpath(f"{spec}.yaml").read_text(encoding="utf-8"),
            nl=False,
        )


# The explorer's commands (diff, scaling, solve, sweep, compare, explain, plot) live in their own
# module; importing it registers them on `main` and, like this module, imports no sympy.
from . import cli_explore  # noqa: E402, F401
