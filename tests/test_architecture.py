"""The layers of the house, checked statically (imports inside functions included).

- The graph sits below the layers and knows no layer family.
- Layers import nothing above them: no spec, model, render, explore, algebra or CLI.
- The core (model, explore) returns data: it imports neither render nor the CLI.
- The core never imports what reads users' model code (importing/, inference, testing).
- No import cycles, except through the CLI modules (which register commands on each other).
See docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symcount"
CLI = {"symcount.cli", "symcount.cli_explore", "symcount.cli_import", "symcount.__main__"}
ABOVE_LAYERS = ("symcount.spec", "symcount.model", "symcount.render", "symcount.explore", "symcount.algebra",
                "symcount.cli", "symcount.cli_explore", "symcount.plot", "symcount.reference")  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(name: str) -> Iterator[str]:
    """Every symcount module `name` imports, anywhere in its text (functions and TYPE_CHECKING too)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = (
                f"{base}.{node.module}"
                if node.level and node.module
                else base
                if node.level
                else node.module or ""
            )
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            # `from . import rules` imports the module `rules`; `from .x import name` imports `x`.
            targets = submodules if all(m in MODULES for m in submodules) else [base, *submodules]
        else:
            continue
        for target in targets:
            if target in MODULES:
                yield target
                parent = target.rpartition(".")[0]
                # A package runs before its modules, unless the importer is already inside it.
                while (
                    parent.startswith("symcount.") and parent in MODULES and not name.startswith(parent + ".")
                ):
                    yield parent
                    parent = parent.rpartition(".")[0]


GRAPH = {name: set(imports(name)) - {name} for name in MODULES}


def layer_modules() -> list[str]:
    return sorted(name for name in MODULES if name.startswith("symcount.layers"))


@pytest.mark.parametrize("name", layer_modules())
def test_layers_import_nothing_above_them(name: str) -> None:
    above = sorted(t for t in GRAPH[name] if t.startswith(ABOVE_LAYERS))
    assert not above, f"{name} imports {above}"


def test_the_graph_knows_no_layer() -> None:
    assert not [t for t in GRAPH["symcount.graph"] if t.startswith("symcount.layers")]
    assert not [t for t in GRAPH["symcount.costs"] if t.startswith(("symcount.layers", "symcount.model"))]


@pytest.mark.parametrize(
    "name", sorted(n for n in MODULES if n == "symcount.model" or n.startswith("symcount.explore"))
)
def test_the_core_never_renders(name: str) -> None:
    shown = sorted(
        t for t in GRAPH[name] if t.startswith(("symcount.render", "symcount.cli", "symcount.plot"))
    )
    assert not shown, f"{name} imports {shown}"


BRINGING_IN = ("symcount.importing", "symcount.inference", "symcount.testing")


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n in MODULES
        if n.startswith(
            ("symcount.layers", "symcount.model", "symcount.explore", "symcount.spec", "symcount.graph")
        )
    ),
)
def test_the_core_never_reads_model_code(name: str) -> None:
    # importing/, inference and testing sit above the model and the spec, below the CLI.
    above = sorted(t for t in GRAPH[name] if t.startswith(BRINGING_IN))
    assert not above, f"{name} imports {above}"


def test_no_import_cycles_outside_the_cli() -> None:
    graph = {name: {t for t in targets if t not in CLI} for name, targets in GRAPH.items() if name not in CLI}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_the_check_sees_imports_inside_functions() -> None:
    # A function-level import is an import: the check must see the one in cli's count command.
    assert "symcount.render" in GRAPH["symcount.cli"]


def test_every_third_party_import_of_the_core_is_a_core_dependency() -> None:
    # Issue 20 item 5: numpy, which every sweep uses, was only an extra: `pip install .` then gave
    # "internal error ... No module named 'numpy'". What the package imports outside the optional
    # paths (plots, importers, the testing kit) must be in pyproject's dependencies.
    import re
    import sys

    import tomllib

    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {re.split(r"[<>=!~ \[]", item)[0].lower() for item in project["dependencies"]}
    optional = {
        "matplotlib",
        "torch",
        "keras",
        "transformers",
        "hypothesis",
        "IPython",
        "torchvision",
        "timm",
    }
    modules = {"yaml": "pyyaml"}
    found = set()
    for path in (root / "symcount").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found |= {name.split(".")[0] for name in names}
    third_party = {
        name for name in found - set(sys.stdlib_module_names) - {"symcount"} if name not in optional
    }
    assert {modules.get(name, name) for name in third_party} <= core, third_party
    assert "numpy" in core
