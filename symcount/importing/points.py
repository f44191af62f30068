"""Random sizes that keep the rules the user's sizes show: where one size divides another at the
user's point (heads dividing a width), it divides it at every point drawn, with the same quotient
factor kept (so "head_dim is even" survives); other sizes wander near their value.

The rules are read from the numbers, so some are accidental (L=2 divides h=4); keeping those costs
nothing but larger numbers, which builds on PyTorch's meta device do not notice.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

__all__ = ["divides", "draw", "verification_points"]


def divides(sizes: Mapping[str, int]) -> dict[str, list[str]]:
    """For each size, the smaller sizes (above 1) that divide it at the user's point.

    Example:
        >>> divides({"d": 64, "h": 4, "V": 999})
        {'d': ['h']}
    """
    found: dict[str, list[str]] = {}
    for name, value in sizes.items():
        parts = [j for j, v in sizes.items() if j != name and 1 < v < value and value % v == 0]
        if parts:
            found[name] = parts
    return found


def draw(sizes: Mapping[str, int], rng: random.Random, spread: int = 4) -> dict[str, int]:
    """A random point keeping the divisibility seen in `sizes`.

    Example:
        >>> point = draw({"d": 64, "h": 4, "L": 1}, random.Random(0))
        >>> point["d"] % (16 * point["h"]) == 0
        True
    """
    rules = divides(sizes)
    point: dict[str, int] = {}
    for name in sorted(sizes, key=lambda k: sizes[k]):  # a divisor is smaller: drawn first
        value = sizes[name]
        if name in rules:
            quotient = value // math.lcm(*(sizes[j] for j in rules[name]))
            point[name] = math.lcm(*(point[j] for j in rules[name])) * quotient * rng.randint(1, spread)
        else:
            point[name] = rng.randint(max(1, value // 2), 2 * value + 7)
    return {name: point[name] for name in sizes}


def verification_points(sizes: Mapping[str, int], rng: random.Random, fresh: int) -> list[dict[str, int]]:
    """The user's sizes, then `fresh` distinct random points keeping their divisibility: where an
    imported spec's count is checked against the framework's."""
    points = [dict(sizes)]
    while len(points) < 1 + fresh:
        point = draw(sizes, rng)
        if point not in points:
            points.append(point)
    return points
