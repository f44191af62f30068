"""Files symcount writes (plots, imported specs): checked before any work, written in one line."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import SymcountError, shown

__all__ = ["check_writable", "write_text"]


def check_writable(path: str | Path, what: str) -> Path:
    """`path`, or a one-line error when no file can be written there: checked before the work
    whose result it will hold."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise SymcountError(f"cannot write the {what} to {shown(str(path))}: no such writable folder or file")
    return target


def write_text(path: str | Path, text: str, what: str) -> None:
    """Write `text` to `path`; a failure (a full disk) is a one-line error naming the file."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise SymcountError(
            f"cannot write the {what} to {shown(str(path))}: {error.strerror or error}"
        ) from None
