"""The `symcount` command line: a click group whose commands import sympy only when they run.

User mistakes (a `SymcountError`) become one line on stderr and exit code 2, never a traceback.
Anything else is a bug: the group's last line of defence (`Main.invoke`) turns it into one line
naming the command and exit code 1 (`SYMCOUNT_DEBUG=1` shows the traceback instead).
"""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .costs import (
    ATTENTION_KERNELS,
    COSTS,
    DTYPE_ALIASES,
    DTYPE_BYTES,
    OPTIMIZER_STATES,
    PRECISIONS,
    RECOMPUTE,
    Convention,
    Measure,
)
from .errors import SymcountError, one_line

if TYPE_CHECKING:
    from .model import Model
    from .spec import Spec

F = TypeVar("F", bound=Callable[..., Any])

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# The exit status of a command whose reader closed the pipe: 128 + SIGPIPE, as the shell reports
# a Unix tool ended by it.
PIPE_CLOSED = 141


class UserError(click.ClickException):
    """A one-line message and exit code 2, the CLI's answer to every `SymcountError`."""

    exit_code = 2


def reports_errors(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SymcountError as error:
            raise UserError(one_line(str(error))) from None

    return wrapper  # type: ignore[return-value]


class InternalError(click.ClickException):
    """An exception symcount did not expect: one line naming the command, exit code 1."""

    exit_code = 1


class Main(click.Group):
    """The `symcount` group, with the last line of defence around every command.

    While a command runs, Python's limit on converting big integers to text is lifted: every
    number a command prints was computed from bounded input (see docs/security.md), and a count
    past 4,300 digits is still an exact count to print.
    """

    def invoke(self, ctx: click.Context) -> Any:
        closed = sys.stdout is None  # started with standard output closed (`symcount count x >&-`)
        if closed:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - closed in `finally`
        digits = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()
            if closed:
                name = ctx.invoked_subcommand or "symcount"
                raise InternalError(f"{name}: cannot write the output: standard output is closed")
            return result
        except click.UsageError as error:  # click's usage, hint and error: one line here too
            command = f"symcount {ctx.invoked_subcommand}" if ctx.invoked_subcommand else "symcount"
            raise UserError(one_line(f"{error.format_message()} (see {command} --help)")) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as error:
            name = ctx.invoked_subcommand or "symcount"
            if not _output_failed(error):
                raise _internal(name, error) from None
            if error.errno == errno.EPIPE:  # the reader has gone (`| head -1`): quiet, as Unix tools
                raise click.exceptions.Exit(PIPE_CLOSED) from None
            reason = one_line(error.strerror or str(error))
            raise InternalError(f"{name}: cannot write the output: {reason}") from None

        except Exception as error:  # the last line of defence: any bug is one line, not a traceback
            raise _internal(ctx.invoked_subcommand or "symcount", error) from None
        finally:
            sys.set_int_max_str_digits(digits)
            if closed:
                sys.stdout.close()
                sys.stdout = None  # type: ignore[assignment]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its whole first paragraph (click cuts it to a line with '...')."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            first = (command.help or "").split("\n\n")[0]
            rows.append((name, " ".join(first.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _internal(name: str, error: BaseException) -> BaseException:
    if os.environ.get("SYMCOUNT_DEBUG"):
        return error
    detail = one_line(f"{type(error).__name__}: {error}", 200)
    return InternalError(
        f"{name}: internal error, please report (SYMCOUNT_DEBUG=1 shows the traceback): {detail}"
    )


def _output_failed(error: OSError) -> bool:
    """True when `error` says the output cannot be written (a full disk, a closed pipe); standard
    output is then pointed at /dev/null, so that Python's own flush at exit stays silent."""
    if error.errno not in (errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EBADF, errno.EDQUOT):
        return False
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test runner's buffer)
        pass
    return True


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


def batched(model: Model, batch: str | None) -> Model:
    """`model` run on `batch` examples (--batch), a number or a symbol that --set may then give."""
    return model if batch is None else model.with_batch(batch)


def load(
    spec: str, sets: tuple[str, ...], defaults: bool, batch: str | None = None
) -> tuple[Spec, Model, Model, dict[str, Any]]:
    """The spec, its symbolic model (on `batch` examples), the model with values substituted, and
    those values."""
    from .spec import load_spec

    loaded = load_spec(spec)
    model = batched(loaded.model(), batch)
    values = loaded.values_for(model, parse_sets(sets), defaults=defaults)
    return loaded, model, model.xreplace(values), values


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, allow_nan=False))


SET_HELP = "Give a symbol a value or an expression, e.g. --set f=16 --set k=2*j (repeatable)."
# The one rule for values, stated in each command's help in that command's terms: the spec's
# values fill every symbol a command does not vary (--set's override them).
VALUES_RULE = (
    "Values: the spec's values (overridden by --set's) fill every symbol this command does not vary; "
    "--no-defaults keeps only --set's, leaving the others free.  [default: --defaults]"
)
FORMULA_VALUES_RULE = (
    "formula varies every symbol (the general formula, with only --set's values) unless --defaults, "
    "which substitutes the spec's values too.  [default: --no-defaults]"
)
no_defaults_option = click.option(
    "--no-defaults/--defaults", "no_defaults", default=False, show_default=False, help=VALUES_RULE
)
spec_argument = click.argument("spec", metavar="SPEC")
set_option = click.option("--set", "sets", multiple=True, metavar="NAME=EXPR", help=SET_HELP)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")

# What --cost, --dtype and --optimizer accept: the cost registry's (which imports no sympy).
COST_CHOICES = tuple(cost.option for cost in COSTS.values())
DTYPE_CHOICES = (*DTYPE_BYTES, *DTYPE_ALIASES)
OPTIMIZER_CHOICES = tuple(OPTIMIZER_STATES)


class OneOf(click.Choice):
    """click's Choice whose refusal is one line and exit code 2, like every other mistake.

    The library's spelling with underscores (training_flops) is accepted too.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = value.replace("_", "-") if isinstance(value, str) else value
        try:
            return super().convert(text, param, ctx)
        except click.BadParameter:
            option = param.opts[0] if param is not None and param.opts else "the value"
            choices = ", ".join(map(str, self.choices))
            raise UserError(f"{option} must be one of {choices}. Received: {value!r}") from None


class OneOrMore(OneOf):
    """A choice, or several separated by commas (`params,flops,memory`), each checked."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        return ",".join(super(OneOrMore, self).convert(item.strip(), param, ctx) for item in value.split(","))


@dataclass(frozen=True)
class Costs:
    """What --cost, --batch, --dtype, --optimizer and --extras asked for, as given (no sympy yet)."""

    cost: str = "params"
    batch: str | None = None
    dtype: str = "float32"
    optimizer: str = "adam"
    extras: bool = False
    memory: tuple[Any, ...] = ()  # --attention, --recompute, --precision, --dp, --zero, --tp, --pp

    @property
    def convention(self) -> Convention:
        return Convention(self.dtype, self.optimizer, self.extras, *self.memory)

    @property
    def measure(self) -> Measure:
        """The one cost asked for (only `summary` takes several: `measures`)."""
        if "," in self.cost:
            raise UserError(
                f"this command counts one cost at a time (summary takes several). Received: --cost {self.cost}"
            )
        return Measure(self.cost, self.convention)

    @property
    def measures(self) -> list[Measure]:
        """Every cost asked for, in order: `--cost params,flops,memory`."""
        convention = self.convention
        return [Measure(cost, convention) for cost in dict.fromkeys(self.cost.split(","))]


_COST_OPTIONS_HELP = "What to count: " + "; ".join(f"{c.option}, {c.help}" for c in COSTS.values()) + "."
_COST_OPTIONS = (
    click.option(
        "--cost",
        type=OneOrMore(COST_CHOICES),
        default="params",
        show_default=True,
        help="What to count: " + "; ".join(f"{c.option}, {c.help}" for c in COSTS.values()) + ".",
    ),
    click.option(
        "--batch",
        metavar="EXPR",
        help="Examples per forward pass, a factor of every compute cost: a number, or a symbol such "
        "as B that --set B=32 then gives.  [default: 1]",
    ),
    click.option(
        "--dtype",
        type=OneOf(DTYPE_CHOICES),
        default="float32",
        show_default=True,
        help="Memory: the numbers' type (bf16, fp16, fp8 and fp32 spell bfloat16, float16, float8 and "
        "float32; int4 is half a byte, rounded up to whole bytes per tensor).",
    ),
    click.option(
        "--optimizer",
        type=OneOf(OPTIMIZER_CHOICES),
        default="adam",
        show_default=True,
        help="Training memory: adam keeps 2 numbers per trainable parameter, momentum 1, sgd 0.",
    ),
    click.option(
        "--attention",
        type=OneOf(ATTENTION_KERNELS),
        default="eager",
        show_default=True,
        help="Activation memory: what attention keeps, PyTorch's eager attention or its SDPA kernel.",
    ),
    click.option(
        "--recompute",
        type=OneOf(RECOMPUTE),
        default="none",
        show_default=True,
        help="Activation memory: full recomputes each repeated block (activation checkpointing), "
        "selective only attention's scores.",
    ),
    click.option(
        "--precision",
        type=OneOf(PRECISIONS),
        default="pure",
        show_default=True,
        help="Training memory: pure keeps every number in --dtype; mixed keeps 16-bit weights and "
        "activations with float32 master weights, gradients and optimizer states.",
    ),
    click.option(
        "--dp", default="1", metavar="N", help="Data-parallel ranks ZeRO divides over.  [default: 1]"
    ),
    click.option(
        "--zero",
        type=click.IntRange(0, 3),
        default=0,
        show_default=True,
        help="ZeRO stage: 1 divides optimizer states over --dp, 2 gradients too, 3 weights too.",
    ),
    click.option("--tp", default="1", metavar="N", help="Tensor-parallel degree.  [default: 1]"),
    click.option("--pp", default="1", metavar="N", help="Pipeline-parallel stages.  [default: 1]"),
    click.option(
        "--extras/--no-extras",
        default=False,
        show_default=True,
        help="Count bias adds, activations, normalisation, softmax and pooling in FLOPs, not only "
        "matrix products and convolutions.",
    ),
)


def _degree(value: str, option: str) -> Any:
    """A parallel degree as given: a whole number, or a symbol's name that --set gives."""
    text = value.strip()
    if text.isdigit() and int(text) >= 1:
        return int(text)
    if text.isidentifier():
        return text
    raise UserError(f"{option} must be a positive whole number or a symbol's name. Received: {value!r}")


def cost_options(command: F, several: bool = False) -> F:
    """The cost options, handed to `command` as one `costs: Costs` argument; `several` for the
    one command that takes several costs (summary), whose --cost help then says so."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        cost: str,
        batch: str | None,
        dtype: str,
        optimizer: str,
        extras: bool,
        attention: str,
        recompute: str,
        precision: str,
        dp: str,
        zero: int,
        tp: str,
        pp: str,
        **kwargs: Any,
    ) -> Any:
        degrees = [_degree(value, name) for name, value in (("--dp", dp), ("--tp", tp), ("--pp", pp))]
        # A degree named by a symbol takes --set's value for it (the spec knows no such symbol).
        sets = kwargs.get("sets", ())
        for k, degree in enumerate(degrees):
            given = [
                item for item in sets if isinstance(degree, str) and item.split("=")[0].strip() == degree
            ]
            if given:
                degrees[k] = _degree(given[-1].split("=", 1)[1], f"--set {degree}")
                sets = tuple(item for item in sets if item not in given)
        if "sets" in kwargs:
            kwargs["sets"] = sets
        memory = (attention, recompute, precision, degrees[0], zero, *degrees[1:])
        return command(*args, costs=Costs(cost, batch, dtype, optimizer, extras, memory), **kwargs)

    decorated: Any = wrapper
    options = list(_COST_OPTIONS)
    if several:
        first = _COST_OPTIONS_HELP + " Several, comma-separated, give a column each: params,flops,memory."
        options[0] = click.option(
            "--cost", type=OneOrMore(COST_CHOICES), default="params", show_default=True, help=first
        )
    for option in reversed(options):  # click lists options in the order they are applied, reversed
        decorated = option(decorated)
    return decorated


def several_cost_options(command: F) -> F:
    """`cost_options` for summary, which takes several costs."""
    return cost_options(command, several=True)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symcount")
def main() -> None:
    """Exact parameter counts (and MACs, FLOPs, memory) of neural networks, as formulas.

    SPEC is a YAML spec file, or the name of a built-in example (see `symcount examples`).
    """


@main.command()
@spec_argument
@set_option
@cost_options
@json_option
@reports_errors
def count(spec: str, sets: tuple[str, ...], as_json: bool, costs: Costs) -> None:
    """The concrete parameter count (or --cost) of SPEC (spec values as defaults, --set overrides)."""
    from .render import all_costs, concrete, cost_data, to_json_value

    loaded, _, valued, values = load(spec, sets, defaults=True, batch=costs.batch)
    measure = costs.measure
    counts = valued.counts()
    total = concrete(measure.total(valued), measure)
    if as_json:
        data: dict[str, Any] = {"total": total, **{k: v for k, v in counts.items() if k != "total"}}
        if not valued.target.torch:
            data.pop("buffers")
        data["name"] = loaded.name
        data["values"] = {name: to_json_value(value) for name, value in sorted(values.items())}
        data.update(cost_data(measure, valued))
        data["costs"] = {name: to_json_value(value) for name, value in all_costs(valued, measure).items()}
        layers = []
        for row in valued.rows:
            layer = {"name": row.name, "type": row.kind, "params": int(row.params)}
            if not measure.is_params:
                layer[measure.cost] = to_json_value(measure.row(valued, row))
            layers.append(layer)
        data["layers"] = layers
        echo_json(data)
        return
    if not measure.is_params:
        from .render import byte_units

        rounded = f" ({byte_units(total)})" if measure.entry.unit == "bytes" and total >= 1000 else ""
        click.echo(f"{loaded.name}: {total:,} {measure.label}{rounded}")
        click.echo(measure.describe(valued))
        return
    click.echo(
        f"{loaded.name}: {counts['total']:,} parameters "
        f"({counts['trainable']:,} trainable, {counts['non_trainable']:,} non-trainable)"
    )
    if valued.target.torch and counts["buffers"]:
        click.echo(f"buffers (not parameters): {counts['buffers']:,}")


@main.command()
@spec_argument
@set_option
@click.option("--defaults/--no-defaults", "defaults", default=False, help=FORMULA_VALUES_RULE)
@click.option(
    "--form",
    type=click.Choice(["expand", "factor", "simplify", "built"]),
    default="expand",
    show_default=True,
    help="How to write the formula: expanded into terms, factored, simplified by sympy, or as "
    "built (the layers' sum, unsimplified).",
)
@cost_options
@click.option("--latex", is_flag=True, help="Print the formula as LaTeX.")
@json_option
@reports_errors
def formula(
    spec: str, sets: tuple[str, ...], defaults: bool, form: str, latex: bool, as_json: bool, costs: Costs
) -> None:
    """The total (or --cost) of SPEC as a formula, with only the --set values substituted."""
    from .algebra import formula as in_form
    from .algebra import latex as as_latex
    from .algebra import text
    from .render import cost_data

    loaded, model, valued, values = load(spec, sets, defaults=defaults, batch=costs.batch)
    if not defaults and loaded.roots(model):  # in the names only the values use (`a` of `u: 2*a`)
        given = parse_sets(sets)
        roots = [name for name in loaded.roots(model) if name not in given]
        valued = loaded.in_roots(model, roots, given).xreplace(values)
    measure = costs.measure
    total = in_form(measure.total(valued), form)
    if as_json:
        data: dict[str, Any] = {"name": loaded.name, "form": form, "total": text(total)}
        if measure.is_params:
            # Without non-trainable weights, each row's trainable sum is its parameter sum, built
            # from the same terms: the same expression, in the same form, printed the same.
            frozen = any(w.kind == "non_trainable" for row in valued.rows for w in row.weights)
            data["trainable"] = text(in_form(valued.trainable, form)) if frozen else data["total"]
            data["non_trainable"] = text(in_form(valued.non_trainable, form))
        data.update(
            {
                "latex": as_latex(total),
                "symbols": sorted(s.name for s in total.free_symbols),
                "values": {name: str(value) for name, value in sorted(values.items())},
                **cost_data(measure, valued),
            }
        )
        echo_json(data)
        return
    click.echo(as_latex(total) if latex else text(total))
    if not measure.is_params:
        click.echo(f"% {measure.describe(valued)}" if latex else measure.describe(valued))


def terminal_width() -> int:
    """The terminal's width when printing to one; 100 otherwise (a file, a pipe, a test)."""
    import shutil
    import sys

    return shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 100


@main.command()
@spec_argument
@set_option
@no_defaults_option
@several_cost_options
@click.option(
    "--width",
    type=click.IntRange(min=0),
    metavar="N",
    help="The most characters a line takes: a formula or a name too long for its column wraps over "
    "lines in its cell, never cut. 0: no limit (every cell on one line).  [default: the terminal's "
    "width, or 100 when not a terminal]",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Show the layers inside repeated blocks to this many levels (each inner row stands for all "
    "its copies).",
)
@click.option("--expand", is_flag=True, help="Show every layer inside repeated blocks (any depth).")
@click.option("--markdown", is_flag=True, help="Print a Markdown table.")
@click.option("--latex", is_flag=True, help="Print a LaTeX tabular.")
@json_option
@reports_errors
def summary(
    spec: str,
    sets: tuple[str, ...],
    no_defaults: bool,
    width: int | None,
    depth: int,
    expand: bool,
    markdown: bool,
    latex: bool,
    as_json: bool,
    costs: Costs,
) -> None:
    """The per-layer table of SPEC: output shapes, the formula of the (first) --cost, and with the
    spec's values (and --set's) every cost's number and each layer's share of the total.

    --cost takes several costs, comma-separated (--cost params,flops,memory): one column each.
    The header says which values the numbers use.
    """
    from .render import summary_data, summary_latex, summary_markdown, summary_text

    if markdown + latex + as_json > 1:
        raise click.UsageError("choose one of --markdown, --latex and --json")
    loaded, model, valued, values = load(spec, sets, defaults=not no_defaults, batch=costs.batch)
    shown = valued if values or not model.symbols else None
    measures = costs.measures
    named = {**loaded.root_values(model, parse_sets(sets), defaults=not no_defaults), **values}
    options: dict[str, Any] = {"measures": measures, "depth": 99 if expand else depth, "values": named}
    if as_json:
        echo_json(summary_data(model, shown, measures[0]))
    elif markdown:
        click.echo(summary_markdown(model, shown, **options))
    elif latex:
        click.echo(summary_latex(model, shown, **options))
    else:
        click.echo(summary_text(model, shown, width=terminal_width() if width is None else width, **options))


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
    import textwrap

    width = max(len(name) for name in found)
    room = max(terminal_width() - width - 2, 30)
    for name, description in found.items():  # each description wrapped beside its name
        lines = textwrap.wrap(description, room, break_long_words=False) or [""]
        click.echo(f"{name.ljust(width)}  {lines[0]}")
        for line in lines[1:]:
            click.echo(f"{'':{width}}  {line}")


@main.command()
@click.argument("name", required=False)
@click.option("--markdown", is_flag=True, help="Print the Markdown reference (docs/layers.md).")
@click.option("--latex", is_flag=True, help="Print a LaTeX table of every layer's formulas.")
@json_option
@reports_errors
def layers(name: str | None, markdown: bool, latex: bool, as_json: bool) -> None:
    """Every layer symcount knows: its Keras and PyTorch names, spec keys and parameter formula;
    with NAME (`Conv2d`, `conv2d`, `Conv2D`), one layer's signature, defaults and formulas."""
    from .reference import describe_layer, reference_data, reference_latex, reference_markdown, reference_text

    if markdown + latex + as_json > 1:
        raise click.UsageError("choose one of --markdown, --latex and --json")
    if name is not None:
        if markdown or latex or as_json:
            raise click.UsageError(
                "NAME prints one layer as text; --markdown, --latex and --json print them all"
            )
        click.echo(describe_layer(name))
        return
    if as_json:
        echo_json(reference_data())
    else:
        click.echo(reference_markdown() if markdown else reference_latex() if latex else reference_text())


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
            (resources.files("symcount") / "examples" / f"{spec}.yaml").read_text(encoding="utf-8"),
            nl=False,
        )


# The explorer's commands (diff, scaling, solve, sweep, compare, explain, plot) and the commands
# that read a user's model code (infer, import) live in their own modules; importing them registers
# them on `main` and, like this module, imports no sympy (nor any framework).
from . import cli_explore, cli_import  # noqa: E402, F401
