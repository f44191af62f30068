"""Re-run every `$ symcount ...` example in README.md and docs/*.md and paste its real output.

    python docs/refresh.py

tests/test_docs.py fails when an example's output differs from what the command prints; after a
deliberate change, run this, read the diff, and commit it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from symcount.cli import main

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(```console\n)(.*?)(```)", re.DOTALL)


def refresh_block(block: str) -> str:
    """The block with each symcount command's old output replaced by its output now."""
    lines: list[str] = []
    replacing = False  # inside the old output of a symcount command
    for line in block.splitlines():
        if line.startswith("$ "):
            lines.append(line)
            replacing = line.startswith("$ symcount ")
            if replacing:
                result = CliRunner().invoke(main, shlex.split(line[2:])[1:])
                lines.extend(result.output.rstrip("\n").splitlines())
        elif not replacing:
            lines.append(line)
    return "\n".join(lines) + "\n"


def refresh(page: Path) -> bool:
    text = page.read_text(encoding="utf-8")
    new = BLOCK.sub(lambda m: m.group(1) + refresh_block(m.group(2)) + m.group(3), text)
    if new != text:
        page.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if refresh(page):
            print(f"updated {page.relative_to(ROOT)}")
