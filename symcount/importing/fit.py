"""Exact polynomial fits of integer data: which polynomial of bounded total degree, with rational
coefficients, takes these values at these integer points?

The monomials are solved for modulo the Mersenne prime 2**127 - 1 (plain Python integers, no
floats), each coefficient is reconstructed as the smallest fraction with that residue, and the
polynomial is then checked exactly, with `Fraction`s, at every point: a fit is either exact at all
points or none. Pure Python; the callers turn the coefficients into sympy expressions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Fit", "monomials", "fit", "evaluate", "rank"]

PRIME = (1 << 127) - 1

Exponents = tuple[int, ...]
Point = tuple[int, ...]


def monomials(n: int, degree: int) -> list[Exponents]:
    """The exponents of every monomial in `n` variables of total degree at most `degree`, by degree.

    Example:
        >>> monomials(2, 1)
        [(0, 0), (0, 1), (1, 0)]
    """
    found = [e for e in itertools.product(range(degree + 1), repeat=n) if sum(e) <= degree]
    return sorted(found, key=lambda e: (sum(e), e))


def evaluate(coefficients: Mapping[Exponents, Fraction], point: Point) -> Fraction:
    """The polynomial at `point`, exactly."""
    return sum(
        (c * math.prod(x**e for x, e in zip(point, exps)) for exps, c in coefficients.items()), Fraction(0)
    )


@dataclass(frozen=True)
class Fit:
    """The outcome of one fit: `coefficients` (non-zero ones only) when a polynomial of the degree
    fits every point; otherwise `None`, with `determined` saying whether the points were enough to
    tell (False: too few or too special points, so more are needed)."""

    coefficients: dict[Exponents, Fraction] | None
    determined: bool


def _rational(residue: int) -> Fraction | None:
    """The fraction n/d with |n|, d < sqrt(PRIME/2) congruent to `residue`, if there is one."""
    bound = math.isqrt(PRIME // 2)
    r0, r1, s0, s1 = PRIME, residue % PRIME, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1, s0, s1 = r1, r0 - q * r1, s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound:
        return None
    return Fraction(r1, s1)


def _solve(rows: list[list[int]], unknowns: int) -> tuple[int, list[list[int] | None]]:
    """Gauss-Jordan modulo PRIME on rows [a_1 .. a_M | b_1 .. b_R]: the rank and, per right-hand
    side, the solution (None when inconsistent or the rank is short)."""
    rows = [list(row) for row in rows]
    rank = 0
    for col in range(unknowns):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        inverse = pow(rows[rank][col], PRIME - 2, PRIME)
        top = rows[rank] = [v * inverse % PRIME for v in rows[rank]]
        for r, row in enumerate(rows):
            if r != rank and row[col]:
                factor = row[col]
                rows[r] = [(v - factor * w) % PRIME for v, w in zip(row, top)]
        rank += 1
    sides = len(rows[0]) - unknowns if rows else 0
    if rank < unknowns:
        return rank, [None] * sides
    solutions: list[list[int] | None] = []
    for j in range(unknowns, unknowns + sides):
        consistent = not any(rows[r][j] for r in range(unknowns, len(rows)))
        solutions.append([rows[i][j] for i in range(unknowns)] if consistent else None)
    return rank, solutions


def rank(points: Sequence[Point], degree: int) -> int:
    """The rank of the monomials of total degree <= `degree` at `points`: a fit of that degree is
    determined once it equals `len(monomials(n, degree))`.

    Example:
        >>> rank([(1, 2), (2, 4), (3, 6)], 1)  # on one line: y = 2x is never told apart
        2
    """
    basis = monomials(len(points[0]) if points else 0, degree)
    rows = [[math.prod(x**e for x, e in zip(point, exps)) % PRIME for exps in basis] for point in points]
    return _solve(rows, len(basis))[0] if rows else 0


def fit(points: Sequence[Point], columns: Mapping[str, Sequence[int]], degree: int) -> dict[str, Fit]:
    """Fit each column of integer values at `points` by a polynomial of total degree <= `degree`.

    Example:
        >>> points = [(1, 2), (2, 3), (3, 1), (4, 4), (2, 7), (5, 2), (1, 1)]
        >>> result = fit(points, {"f": [x * y + x * (x + 1) // 2 for x, y in points]}, 2)
        >>> sorted(result["f"].coefficients.items())
        [((1, 0), Fraction(1, 2)), ((1, 1), Fraction(1, 1)), ((2, 0), Fraction(1, 2))]
    """
    n = len(points[0]) if points else 0
    basis = monomials(n, degree)
    names = list(columns)
    rows = [
        [math.prod(x**e for x, e in zip(point, exps)) % PRIME for exps in basis]
        + [columns[name][i] % PRIME for name in names]
        for i, point in enumerate(points)
    ]
    if len(rows) < len(basis):
        return {name: Fit(None, False) for name in names}
    rank, solutions = _solve(rows, len(basis))
    results = {}
    for name, solution in zip(names, solutions):
        if solution is None:
            results[name] = Fit(None, rank == len(basis))
            continue
        coefficients: dict[Exponents, Fraction] = {}
        for exps, residue in zip(basis, solution):
            if residue:
                value = _rational(residue)
                if value is None:
                    break
                coefficients[exps] = value
        else:
            if all(evaluate(coefficients, p) == v for p, v in zip(points, columns[name])):
                results[name] = Fit(coefficients, True)
                continue
        results[name] = Fit(None, True)
    return results
