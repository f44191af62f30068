"""Rows of integers written as text in bulk: decimal digits computed with numpy, a column at a
time, instead of one `str()` per value. The text is byte for byte what `str()` would give."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# A row is literals[0] + str(v0) + literals[1] + str(v1) + ... + literals[-1]. Each row is laid
# out in a byte matrix, one row per point, each number right-aligned in a field as wide as the
# column's longest, the unused places zero bytes: the rows are the matrix's non-zero bytes in
# order (every literal byte and digit is non-zero).


def bulk_rows(literals: Sequence[str], columns: Sequence[Any]) -> str | None:
    """The rows' text, or None when a column is not a non-negative int64 numpy array or a literal
    is not plain ASCII without NUL (the caller then formats with `str()`)."""
    import numpy

    if len(literals) != len(columns) + 1 or not columns:
        return None
    if not all(text.isascii() and "\0" not in text for text in literals):
        return None
    size = len(columns[0])
    for values in columns:
        if not isinstance(values, numpy.ndarray) or values.dtype != numpy.int64 or values.shape != (size,):
            return None
        if size and values.min() < 0:
            return None
    if not size:
        return ""
    widths = [len(str(int(values.max()))) for values in columns]
    width = sum(len(text) for text in literals) + sum(widths)
    matrix = numpy.zeros((size, width), dtype=numpy.uint8)
    place = 0
    for i, values in enumerate(columns):
        place = _literal(matrix, place, literals[i])
        place += widths[i]
        remaining = values.copy()
        digit = numpy.empty(size, dtype=numpy.int64)
        for k in range(widths[i]):  # the k-th digit from the right, where the number has one
            numpy.remainder(remaining, 10, out=digit)
            digit += 48  # "0"
            if k:
                digit[remaining == 0] = 0
            matrix[:, place - 1 - k] = digit
            remaining //= 10
    _literal(matrix, place, literals[-1])
    return matrix[matrix != 0].tobytes().decode("ascii")


def _literal(matrix: Any, place: int, text: str) -> int:
    """Write `text` in every row from column `place`; the column after it."""
    for j, byte in enumerate(text.encode("ascii")):
        matrix[:, place + j] = byte
    return place + len(text)
