"""Commands that read a user's model code: `infer` (formulas from counts) and `import` (a spec
from the model's layers). Like cli.py, this module imports neither sympy nor any framework: the
commands do, when they run.
"""

from __future__ import annotations

import re
from typing import Any

import click

from .cli import UserError, echo_json, json_option, main, reports_errors
from .errors import SymcountError

_SIZE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$")

target_argument = click.argument("target", metavar="TARGET")
size_option = click.option(
    "--size",
    "sizes",
    multiple=True,
    metavar="NAME=VALUE",
    help="A size the factory takes as a keyword argument, a positive integer, e.g. --size d=64 (repeatable).",
)


timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(0),
    default=600,
    show_default=True,
    metavar="SECONDS",
    help="Stop if loading, building and tracing TARGET take longer than this (0: no limit).",
)


def parse_sizes(pairs: tuple[str, ...]) -> dict[str, int]:
    """`("d=64", "L=2")` -> {"d": 64, "L": 2}: names and positive integers, nothing else."""
    sizes: dict[str, int] = {}
    for pair in pairs:
        match = _SIZE.match(pair.replace(" ", ""))
        if not match or int(match.group(2)) < 1:
            raise UserError(
                f"--size expects NAME=VALUE with a positive integer, e.g. --size d=64. Received: {pair!r}"
            )
        sizes[match.group(1)] = int(match.group(2))
    if not sizes:
        raise UserError("give the factory's sizes, e.g. --size d=64 --size L=2")
    return sizes


@main.command()
@target_argument
@size_option
@click.option(
    "--degree",
    type=click.IntRange(0, 8),
    default=4,
    show_default=True,
    help="The highest total degree tried for the polynomial.",
)
@click.option(
    "--max-builds",
    type=click.IntRange(1, 5000),
    default=400,
    show_default=True,
    help="The most times the factory is built (on the meta device).",
)
@timeout_option
@json_option
@reports_errors
def infer(
    target: str, sizes: tuple[str, ...], degree: int, max_builds: int, timeout: float, as_json: bool
) -> None:
    """Formulas for the parameter count of TARGET (package.module:factory or file.py:factory),
    found by building it at many sizes without weights and fitting exact polynomials."""
    from .importing.frameworks import load_factory, time_limit
    from .inference import infer as run
    from .render import inference_data, inference_text

    values = parse_sizes(sizes)
    with time_limit(timeout, f"infer {target}"):
        result = run(load_factory(target), max_degree=degree, max_builds=max_builds, **values)
    if as_json:
        echo_json(inference_data(result))
    else:
        click.echo(inference_text(result))


@main.command("import")
@target_argument
@size_option
@click.option(
    "--input",
    "input_names",
    multiple=True,
    metavar="AXES",
    help="The example input's axes as PyTorch takes it, numbers or expressions in the sizes (an image: "
    "C,H,W or 3,32,32; M,2*S); several inputs by name, input_ids=T --input decoder_input_ids=T (repeatable).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the spec to this file.")
@timeout_option
@reports_errors
def import_command(
    target: str, sizes: tuple[str, ...], input_names: tuple[str, ...], output: str | None, timeout: float
) -> None:
    """A spec for TARGET (package.module:factory or file.py:factory, returning a torch.nn.Module or
    a Keras model): its layers read without weights, their numbers lifted to the sizes, its count
    verified against the framework's at those sizes and at fresh ones."""
    from .files import check_writable, write_text
    from .importing.frameworks import time_limit

    if output is not None:
        check_writable(output, "spec")
    values = parse_sizes(sizes)
    names = list(input_names) or None
    with time_limit(timeout, f"import {target}"):
        imported = _imported(target, values, names)
    if output is None:
        click.echo(imported.to_yaml(), nl=False)
    else:
        write_text(output, imported.to_yaml(), "spec")
        click.echo(
            f"wrote {output}: {imported.spec.name}, {len(imported.spec.layers)} entries, verified at {len(imported.checked) + 1} sizes"
        )


def _imported(target: str, values: dict[str, int], names: list[str] | None) -> Any:
    """The spec of TARGET at `values`, from its framework's importer."""
    from .importing.frameworks import build, framework_of, load_factory, shown_text
    from .importing.keras import from_keras
    from .importing.lift import from_torch

    factory = load_factory(target)
    try:
        framework = framework_of(build(factory, values))
    except SymcountError:
        raise
    except Exception as error:  # the user's code: its text on one line, never a fake traceback
        raise SymcountError(
            f"the factory fails at the given sizes: {type(error).__name__}: {shown_text(error)}"
        ) from None
    if framework == "keras":
        if names is not None:
            raise UserError("--input is for PyTorch models; a Keras model states its own input")
        return from_keras(factory, **values)  # type: ignore[arg-type]
    return from_torch(factory, input=names, **values)  # type: ignore[arg-type]
