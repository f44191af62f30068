"""Generate docs/gallery.md and its plots (docs/gallery/*.png): one section per model of the zoo.

    python3 docs/make_gallery.py

Every number, formula and plot comes from the built-in specs, so the page is regenerated rather
than edited. `page()` returns the Markdown alone, without drawing, which lets
tests/test_gallery.py check that the committed page is current; `draw()` writes one image.
Plots need matplotlib (`pip install "symcount[explore]"`); their colours are then reduced to a
small palette with Pillow (which matplotlib requires) to keep the committed images small.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sympy
from click.testing import CliRunner

from symcount import load_spec
from symcount.cli import main as cli
from symcount.model import Model
from symcount.spec import Spec
from symcount.values import as_expr, resolve, symbol

DOCS = Path(__file__).resolve().parent
PAGE = DOCS / "gallery.md"
IMAGES = DOCS / "gallery"
SIZE = (640, 400)  # every plot's width and height in pixels
COLOURS = 64  # the palette a plot is reduced to: a quarter of the bytes, no visible change
LINE_WIDTH = 72  # roughly how many glyphs of a formula fit on one displayed line


@dataclass(frozen=True)
class Entry:
    """One gallery section: a built-in example and how to show it.

    `x` is the width symbol plotted over `grid`; `y` is "per-layer" (each layer stacked) or
    "total" (when there are too many layers for a legend). `meanings` says what each of the
    spec's values is, `collect` names the symbols the formula is collected by (the depths), `tied`
    gives values that follow `x` in the plot (`m: 4*d`), and `variants` are examples that share
    the formula and get only their counts.
    """

    name: str
    x: str
    grid: range
    y: str
    meanings: Mapping[str, str]
    collect: tuple[str, ...] = ()
    tied: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    variants: tuple[str, ...] = ()


IMAGE = {"H": "image height", "W": "image width", "C": "image channels", "K": "classes"}
RESNET = {
    **IMAGE,
    "w": "stage 1's width; stages 2-4 are 2w, 4w, 8w wide",
    "n1": "blocks in stage 1",
    "n2": "blocks in stage 2",
    "n3": "blocks in stage 3",
    "n4": "blocks in stage 4",
}
STAGES = ("n1", "n2", "n3", "n4")
BOTTLENECK = {**RESNET, "w": "stage 1's narrow width; stages narrow to w, 2w, 4w, 8w and widen back 4x"}
GPT2 = {
    "V": "vocabulary (token embedding rows)",
    "T": "context: learned positions",
    "d": "width",
    "L": "blocks",
    "h": "attention heads (d/h each)",
}
LLAMA = {
    "V": "vocabulary (embedding and head rows)",
    "T": "context length (the tokens of the KV cache)",
    "d": "width",
    "L": "decoder blocks",
    "f": "SwiGLU MLP width",
    "h": "query heads (d/h each)",
    "kv": "key/value heads, each shared by h/kv query heads",
    "W": "sliding window (the KV cache keeps W - 1 tokens at most)",
}
LLAMA_NOTE = (
    "Heads are `d/h` wide, so keys and values cost `2 d^2 kv/h` a block against `2 d^2` for queries "
    "and output: grouped-query attention (`kv < h`) shrinks them and the KV cache by `h/kv` "
    "(docs/transformers.md derives it)."
)

ENTRIES = (
    Entry(
        "lenet-5",
        x="f1",
        grid=range(1, 25),
        y="per-layer",
        meanings={
            **IMAGE,
            "f1": "C1's filters",
            "f2": "C3's filters",
            "k": "kernel size of C1 and C3",
            "d1": "C5's units",
            "d2": "F6's units",
        },
    ),
    Entry(
        "vgg-16",
        x="w",
        grid=range(8, 129, 8),
        y="per-layer",
        meanings={
            **IMAGE,
            "w": "stage 1's width; stages 2-5 are 2w, 4w, 8w, 8w wide",
            **{f"n{i}": f"convolutions in stage {i}" for i in range(1, 6)},
            "h": "units of the hidden dense layers fc6 and fc7",
        },
        collect=("n1", "n2", "n3", "n4", "n5"),
    ),
    *(
        Entry(name, x="w", grid=range(8, 129, 8), y="total", meanings=meanings, collect=STAGES)
        for name, meanings in (
            ("resnet-18", RESNET),
            ("resnet-50", BOTTLENECK),
            ("resnet-50-keras", BOTTLENECK),
        )
    ),
    Entry(
        "mobilenet-v2",
        x="a",
        grid=range(25, 201),
        y="total",
        meanings={
            **IMAGE,
            "t": "expansion factor of the inverted residual blocks",
            "a": "width multiplier alpha, in percent (alpha = a/100)",
            **{f"n{i}": f"blocks in stage {i}" for i in range(2, 7)},
            "c0": "stem width: 32 alpha, made divisible by 8",
            **{
                f"c{i}": f"stage {i}'s width: {base} alpha, made divisible by 8"
                for i, base in enumerate((16, 24, 32, 64, 96, 160, 320), start=1)
            },
            "c8": "last 1x1 convolution's width: 1280 max(1, alpha), made divisible by 8",
        },
        collect=("n2", "n3", "n4", "n5", "n6"),
        note=(
            "The widths `c0`-`c8` are torchvision's `_make_divisible(base * alpha, 8)`, written "
            "exactly in `a` (see the spec's comments), so the count climbs in steps as `a` grows: "
            "a width changes only when its rounding to a multiple of 8 does."
        ),
    ),
    Entry(
        "vit-b16",
        x="d",
        grid=range(192, 1537, 48),
        y="per-layer",
        meanings={
            "S": "image size (square)",
            "C": "image channels",
            "P": "patch size",
            "d": "hidden width",
            "L": "encoder blocks",
            "h": "attention heads (d/h each)",
            "m": "MLP width",
            "K": "classes",
        },
        collect=("L",),
        tied={"m": "4*d"},
        note="The plot ties the MLP width to the width, `m = 4d`, as ViT-S, -B, -L and -H do.",
    ),
    Entry(
        "gpt2",
        x="d",
        grid=range(192, 1537, 48),
        y="per-layer",
        meanings=GPT2,
        collect=("L",),
        note="The plot keeps `L = 12`: the larger sizes are deeper as well as wider.",
        variants=("gpt2-medium", "gpt2-large", "gpt2-xl"),
    ),
    Entry(
        "bert-base",
        x="d",
        grid=range(192, 1537, 48),
        y="per-layer",
        meanings={
            "V": "vocabulary (word embedding rows)",
            "P": "learned positions",
            "S": "segments (token types)",
            "T": "sequence length",
            "d": "width",
            "L": "encoder blocks",
            "h": "attention heads (d/h each)",
            "f": "feed-forward width",
        },
        collect=("L",),
        tied={"f": "4*d"},
        note="The plot ties the feed-forward width to the width, `f = 4d`, as BERT-base and -large do.",
    ),
    Entry(
        "convnext-tiny",
        x="w",
        grid=range(8, 193, 8),
        y="total",
        meanings={**RESNET, "w": "stage 1's width; stages 2-4 are 2w, 4w, 8w wide"},
        collect=STAGES,
    ),
    Entry(
        "efficientnet-b0",
        x="c8",
        grid=range(320, 2561, 64),
        y="total",
        meanings={
            **IMAGE,
            **{f"n{s}": f"blocks in stage {s}" for s in range(1, 8)},
            "c0": "stem width",
            **{f"c{s}": f"stage {s}'s width" for s in range(1, 8)},
            "c8": "the last 1x1 convolution's width",
        },
        collect=tuple(f"n{s}" for s in range(1, 8)),
        note=(
            "EfficientNet's widths are B0's `round_filters` at width 1.0, each its own symbol; "
            "B1 keeps them and deepens each stage to ceil(1.1 n), which the tests check against Keras."
        ),
    ),
    Entry(
        "densenet-121",
        x="k",
        grid=range(4, 65, 4),
        y="total",
        meanings={
            **IMAGE,
            "c0": "stem width",
            "k": "growth rate: channels each dense layer adds",
            **{f"n{s}": f"dense layers in block {s}" for s in range(1, 5)},
        },
        collect=STAGES,
        note=(
            "Each block's depth stays a symbol although its layers grow (layer i sees c + i k "
            "channels): the count is a closed-form sum over the layers. Transitions keep "
            "floor(c/2) channels, as Keras' int(0.5 c)."
        ),
    ),
    *(
        Entry(
            name,
            x="d",
            grid=range(1024, 8193, 256),
            y="per-layer",
            meanings=LLAMA,
            collect=("L",),
            note=LLAMA_NOTE,
        )
        for name in ("llama2-7b", "mistral-7b")
    ),
    Entry(
        "t5-small",
        x="d",
        grid=range(128, 1025, 32),
        y="per-layer",
        meanings={
            "V": "vocabulary (one embedding, shared)",
            "d": "width",
            "dkv": "each head's width (h*dkv need not be d)",
            "h": "attention heads",
            "f": "feed-forward width",
            "Le": "encoder blocks",
            "Ld": "decoder blocks",
            "B": "relative position buckets",
            "S": "input length",
            "T": "output length",
        },
        collect=("Le", "Ld"),
        note=(
            "The decoder's blocks read the encoder's output beside their input (a block's "
            "`context`), so both stacks keep symbolic depths."
        ),
    ),
    Entry(
        "mixtral-8x7b",
        x="d",
        grid=range(1024, 8193, 256),
        y="per-layer",
        meanings={
            **LLAMA,
            "f": "each expert's SwiGLU width",
            "E": "experts per block",
            "topk": "experts a token runs",
        },
        collect=("L",),
        note=(
            "`topk` does not change the total, only the parameters a token uses: "
            "`symcount count mixtral-8x7b --cost active-params` gives 12,879,925,248."
        ),
    ),
)


def defaults(spec: Spec) -> dict[str, sympy.Expr]:
    """The spec's values with references between them followed (`c0` in `a` becomes 32)."""
    resolved = resolve({symbol(name): as_expr(value, name) for name, value in spec.values.items()})
    return {key.name: value for key, value in resolved.items()}


def counted(spec: Spec, total: sympy.Expr) -> set[str]:
    """The spec's names that change the count: those in the total, and those its values mention."""
    mentions = {
        name: {s.name for s in as_expr(value, name).free_symbols} for name, value in spec.values.items()
    }
    found = {s.name for s in total.free_symbols}
    while True:
        more = {name for seen in found if seen in mentions for name in mentions[seen]} - found
        if not more:
            return found
        found |= more


def _glyphs(latex: str) -> int:
    """A rough width of rendered LaTeX: its text without commands, braces and spaces, counting
    a binary + or - (which is set with space around it) as three."""
    return len(re.sub(r"\\[a-zA-Z]+|[{}^_ ]", "", latex)) + 2 * len(re.findall(r" [+-] ", latex))


def formula_latex(total: sympy.Expr, collect: Sequence[sympy.Symbol] = ()) -> str:
    r"""`N = total` as an `aligned` block: one line per symbol of `collect` (its terms, their
    coefficient factored), then the other terms expanded, several to a line.

    The lines are checked to add up to `total`, so the page shows the exact count.

    Example:
        >>> from symcount import symbols
        >>> L, d = symbols("L d")
        >>> print(formula_latex(12 * L * d**2 + 13 * L * d + 2 * d, [L]))
        \begin{aligned}
        N ={}& L d \left(12 d + 13\right) \\
        &+ 2 d
        \end{aligned}
    """
    rest = sympy.expand(total)
    groups = []
    for depth in collect:
        coefficient = rest.coeff(depth)
        if coefficient != 0:
            groups.append(depth * sympy.factor(coefficient))
            rest = sympy.expand(rest - depth * coefficient)
    if sympy.expand(sum(groups) + rest - total) != 0:
        raise RuntimeError(f"collecting {total} by {list(collect)} lost a term")
    lines = [[sympy.latex(group)] for group in groups]
    current: list[str] = []
    for term in rest.as_ordered_terms() if rest != 0 else []:
        text = sympy.latex(term)
        if current and sum(_glyphs(t) + 3 for t in [*current, text]) > LINE_WIDTH:
            lines.append(current)
            current = []
        current.append(text)
    if current:
        lines.append(current)

    def joined(terms: list[str], first: bool) -> str:
        text = ""
        for i, term in enumerate(terms):
            sign, body = ("-", term[1:].lstrip()) if term.startswith("-") else ("+", term)
            if i == 0 and first:
                text = term
            elif i == 0:
                text = f"{sign} {body}"
            else:
                text += f" {sign} {body}"
        return text

    body = [f"N ={{}}& {joined(lines[0], True)}"]
    body += [f"&{joined(terms, False)}" for terms in lines[1:]]
    return "\\begin{aligned}\n" + " \\\\\n".join(body) + "\n\\end{aligned}"


def count_output(name: str) -> str:
    """What `symcount count NAME` prints, from the CLI itself, so the page shows its exact output."""
    result = CliRunner().invoke(cli, ["count", name])
    if result.exit_code != 0:
        raise RuntimeError(f"symcount count {name} failed: {result.output}")
    return result.output.rstrip("\n")


def _number(value: sympy.Expr) -> str:
    return f"{int(value):,}" if value.is_Integer else f"`{value}`"


def _symbols_table(entry: Entry, spec: Spec, total: sympy.Expr) -> list[str]:
    values = defaults(spec)
    matters = counted(spec, total)
    missing = sorted(set(spec.values) - set(entry.meanings))
    if missing:
        raise RuntimeError(f"{entry.name}: no meaning given for {', '.join(missing)}")
    rows = ["| Symbol | Default | Meaning |", "|---|---:|---|"]
    for name in spec.values:
        meaning = entry.meanings[name] + ("" if name in matters else "; does not change the count")
        rows.append(f"| `{name}` | {_number(values[name])} | {meaning} |")
    return rows


def _plot_text(entry: Entry, spec: Spec) -> str:
    values = defaults(spec)
    what = "each layer stacked" if entry.y == "per-layer" else "the total"
    tied = "".join(f"`{name} = {value}` and " for name, value in entry.tied.items())
    grid = entry.grid
    by = f" by {grid.step}" if grid.step != 1 else ""
    heads = values.get("h") if entry.x == "d" else None
    # Attention splits d into h heads, so the widths plotted are those a model could have.
    if heads is not None and all(width % int(heads) == 0 for width in grid):
        by += f", multiples of the {heads} heads"
    return (
        f"Parameters against `{entry.x}` from {grid[0]:,} to {grid[-1]:,}{by} "
        f"(default {_number(values[entry.x])}), with {tied}every other symbol at its default; {what}:"
    )


def image_path(entry: Entry) -> Path:
    return IMAGES / f"{entry.name}.png"


def section(entry: Entry) -> str:
    """One model's section: description, symbols, formula, count and plot."""
    spec = load_spec(entry.name)
    total = spec.model().params
    depths = [symbol(name) for name in entry.collect]
    collected = ", ".join(f"`{name}`" for name in entry.collect)
    how = f"collected by {collected}" if entry.collect else "expanded"
    parts = [
        f"## {entry.name}",
        spec.description.rstrip(".") + ".",
        "\n".join(_symbols_table(entry, spec, total)),
        f"The total, {how}:",
        f"$$\n{formula_latex(total, depths)}\n$$",
        "At the defaults:",
        f"```console\n$ symcount count {entry.name}\n{count_output(entry.name)}\n```",
    ]
    if entry.variants:
        sizes = []
        for name in entry.variants:
            variant = load_spec(name)
            values, changed = defaults(variant), ("L", "d", "h")
            same = {k: v for k, v in values.items() if k not in changed}
            if sympy.expand(variant.model().params - total) != 0 or same != {
                k: v for k, v in defaults(spec).items() if k not in changed
            }:
                raise RuntimeError(f"{name} differs from {entry.name} in more than {', '.join(changed)}")
            sizes.append(f"`{name}` (" + ", ".join(f"`{s} = {values[s]}`" for s in changed) + ")")
        commands = "\n".join(f"$ symcount count {name}\n{count_output(name)}" for name in entry.variants)
        parts += [
            f"The larger sizes have the same formula and change only `L`, `d` and `h`: {', '.join(sizes)}.",
            f"```console\n{commands}\n```",
        ]
    parts += [
        _plot_text(entry, spec),
        f"![{entry.name}: parameters against {entry.x}]({image_path(entry).relative_to(DOCS).as_posix()})",
    ]
    if entry.note:
        parts.append(entry.note)
    return "\n\n".join(parts)


def page() -> str:
    """The gallery's Markdown text. It draws nothing, so it is cheap enough for a test."""
    links = ", ".join(f"[{entry.name}](#{entry.name})" for entry in ENTRIES)
    intro = [
        "# Gallery: the zoo's formulas",
        "Each model of symcount's zoo, from its built-in spec: what it is, its symbols and their "
        "published values (the spec's `values`), its total number of parameters as an exact "
        "formula, its count at those values, and a plot of the count against its width. The "
        "formulas are sympy's, collected by the depth symbols where there are some; the plots "
        f"({SIZE[0]}x{SIZE[1]} pixels) are exact counts drawn by `symcount.plot.plot_counts`.",
        "This page and its images are generated by `python3 docs/make_gallery.py`: edit the script, "
        "not the page. The test suite checks that the page is current, runs every `$ symcount` "
        "example on it, and checks each count against the model.",
        f"Models: {links}.",
    ]
    return "\n\n".join(intro + [section(entry) for entry in ENTRIES]) + "\n"


def plot_model(entry: Entry) -> Model:
    """The model with every symbol but `x` at its value (and `tied` values following `x`).

    `x` may be a name that only values mention (MobileNetV2's `a` sets every `c_i`), so the
    values are substituted here, keeping `x` free, before the sweep.
    """
    spec = load_spec(entry.name)
    model = spec.model()
    values = spec.values_for(model, {**entry.tied, entry.x: entry.x})
    return model.subs({name: value for name, value in values.items() if name != entry.x})


def draw(entry: Entry) -> Path:
    """Write the entry's plot, with its colours reduced to a small palette, and return its path."""
    from PIL import Image

    from symcount.plot import plot_counts

    path = image_path(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    plot_counts(plot_model(entry), (entry.x, entry.grid), y=entry.y, path=path, size=SIZE)
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(
            colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    reduced.save(path, format="PNG", optimize=True)
    return path


def main() -> None:
    PAGE.write_text(page(), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(DOCS.parent)}")
    for entry in ENTRIES:
        path = draw(entry)
        print(f"wrote {path.relative_to(DOCS.parent)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
