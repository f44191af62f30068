"""The house's import rules, checked statically (every import statement, in functions too):
layers import nothing above them; models, the explorer and the display hook never import render
or the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symcount"


def imported(path: Path) -> set[str]:
    """Every module `path` imports, as a dotted name relative to the package (`render.summary`)."""
    names = set()
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {
                alias.name.removeprefix("symcount.")
                for alias in node.names
                if alias.name.startswith("symcount")
            }
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("symcount"):
                    names.add(node.module.removeprefix("symcount").lstrip("."))
                continue
            base = list(parts[: len(parts) - node.level])
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names |= {f"{module}.{alias.name}".lstrip(".") for alias in node.names}
    return names


def forbidden(names: set[str], tops: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in tops)


@pytest.mark.parametrize("path", sorted((PACKAGE / "layers").glob("*.py")), ids=lambda p: p.name)
def test_layers_import_nothing_above_them(path: Path) -> None:
    assert (
        forbidden(imported(path), ("spec", "model", "render", "explore", "algebra", "cli", "cli_explore"))
        == []
    )


@pytest.mark.parametrize(
    "path",
    [PACKAGE / "model.py", PACKAGE / "display.py", *sorted((PACKAGE / "explore").glob("*.py"))],
    ids=lambda p: p.name,
)
def test_the_core_never_imports_render_or_the_cli(path: Path) -> None:
    assert forbidden(imported(path), ("render", "cli", "cli_explore", "plot")) == []


def test_the_check_sees_imports_inside_functions() -> None:
    # The render package imports the model (render is above it): found, function bodies included.
    assert "model" in {name.split(".")[0] for name in imported(PACKAGE / "render" / "summary.py")}
    assert "algebra" in {name.split(".")[0] for name in imported(PACKAGE / "render" / "summary.py")}
