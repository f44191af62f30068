"""The docs are executed so they never rot.

`>>>` sessions in README.md and docs/*.md run as doctests (pytest's --doctest-glob). This file runs
the other kind of example: ```console blocks, where each `$ symcount ...` line is a command and the
lines after it, up to the next `$` line, are its exact output.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from symcount.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def console_examples() -> list[tuple[str, str, str]]:
    examples = []
    for page in PAGES:
        for block in BLOCK.findall(page.read_text(encoding="utf-8")):
            command, output = None, []
            for line in block.splitlines():
                if line.startswith("$ "):
                    if command is not None:
                        examples.append((page.name, command, "\n".join(output)))
                    command, output = line[2:], []
                else:
                    output.append(line)
            if command is not None:
                examples.append((page.name, command, "\n".join(output)))
    return examples


EXAMPLES = [example for example in console_examples() if example[1].startswith("symcount ")]


@pytest.mark.parametrize(("page", "command", "expected"), EXAMPLES, ids=[f"{p}: {c}" for p, c, _ in EXAMPLES])
def test_console_example(
    page: str, command: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(main, args)
    assert result.output.rstrip("\n") == expected.rstrip("\n"), f"{page}: $ {command}"


def test_the_docs_have_examples() -> None:
    assert len(EXAMPLES) >= 5


FILE_BLOCK = re.compile(r"```python\n# (test_\w+\.py)\n(.*?)```", re.DOTALL)


@pytest.mark.frameworks
def test_the_pytest_example_in_testing_md_passes(tmp_path: Path) -> None:
    # docs/testing.md shows a test file: it runs under pytest as a user would run it.
    pytest.importorskip("torch")
    (name, code), *_ = FILE_BLOCK.findall((ROOT / "docs" / "testing.md").read_text(encoding="utf-8"))
    (tmp_path / name).write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / name)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr


SPEC_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
SPEC_EXAMPLES = SPEC_BLOCK.findall((ROOT / "docs" / "spec.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text", SPEC_EXAMPLES, ids=[f"spec.md example {k + 1}" for k in range(len(SPEC_EXAMPLES))]
)
def test_every_spec_example_builds_to_its_count(text: str) -> None:
    # Issue 20 item 14: docs/spec.md shows every key of a spec in a whole spec, each built here;
    # its `# count:` line is the count derived in the text beside it.
    from symcount.spec import parse_spec
    from symcount.yamlsafe import load_yaml

    spec = parse_spec(load_yaml(text, "docs/spec.md"), "docs/spec.md")
    model = spec.model()
    expected = re.search(r"^# count: (\d+)$", text, re.MULTILINE)
    assert expected is not None
    assert model.count(spec.values_for(model, {})) == int(expected.group(1))


def test_the_spec_reference_covers_every_key() -> None:
    from symcount.spec import NODE_KEYS, TOP_LEVEL_KEYS

    page = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    examples = "\n".join(SPEC_EXAMPLES)
    layer_keys = (
        "name",
        "tie",
        "trainable",
        "repeat",
        "block",
        "args",
        "with",
        "context",
        "mixture_of_experts",
    )
    for key in (*TOP_LEVEL_KEYS, *NODE_KEYS, *layer_keys):
        assert f"`{key}`" in page and re.search(rf"\b{key}\b:", examples), key
    for function in ("floor", "ceil", "min", "max"):
        assert f"{function}(" in page
