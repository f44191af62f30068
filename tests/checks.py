"""Assertions the layer tests share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from symcount import SymcountError


@contextmanager
def raises(error: type[SymcountError], *fragments: str) -> Iterator[None]:
    """Expect `error` with a one-line message naming each fragment."""
    with pytest.raises(error) as info:
        yield
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message
