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


class OverBudget(BaseException):
    """Raised by `within_budget` when a case runs past its time (a BaseException, so that no
    `except Exception` on the way, the CLI's last line of defence included, can swallow it)."""


@contextmanager
def within_budget(seconds: float = 20, megabytes: int = 1024) -> Iterator[None]:
    """Fail a case that runs longer than `seconds` or asks for `megabytes` more memory.

    Time is an interval timer whose signal raises `OverBudget`; memory is the address-space limit,
    lowered to what the process holds now plus `megabytes` (an allocation past it raises
    MemoryError, which the CLI reports as an internal error), then restored.
    """
    import resource
    import signal

    def over(signum: int, frame: object) -> None:
        raise OverBudget(f"over the time budget of {seconds} s")

    previous = signal.signal(signal.SIGALRM, over)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        held = int(statm.read().split()[0]) * resource.getpagesize()
    limit = held + megabytes * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
