"""Symbolic shape arithmetic shared by layers: convolution and pooling output sizes.

Shapes exclude the batch axis; where the channels are is the target's business (`Target.split`:
last in Keras, first in PyTorch), so these functions see one spatial axis at a time. Formulas are Keras' (in
`compute_conv_output_shape`) for the padding names `valid`, `same` and `causal`, and PyTorch's for
an explicit number of zeros per side. They are written so that sympy keeps them as simple as it
can: with stride 1 the floor of an integer disappears, and `same` with stride 1 is the input size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import sympy

from . import rules
from .errors import ShapeError

__all__ = [
    "certainly_differ", "Shape", "Padding", "conv_length", "pool_length", "transposed_conv_length", "format_shape",
    "product", "sum_over",
]  # fmt: skip

Shape = tuple[sympy.Expr, ...]

# A padding along one axis: a Keras name ("valid", "same", "causal") or PyTorch's explicit number of
# zeros added on each side.
Padding: TypeAlias = str | sympy.Expr

PADDINGS = ("valid", "same")
ONE = sympy.Integer(1)


def _explicit(padding: Padding) -> sympy.Expr | None:
    """The number of zeros per side that `padding` stands for, when it is not a Keras name."""
    if isinstance(padding, str):
        return {"valid": sympy.Integer(0)}.get(padding)
    return padding


def _divide(rounding: type[sympy.Function], numerator: sympy.Expr, stride: sympy.Expr) -> sympy.Expr:
    """floor(numerator/stride) (or ceiling), without nesting: for a positive integer s and an
    integer c, floor((floor(y) + c)/s) = floor((y + c)/s), and likewise for ceiling, so a stack
    of pools reads floor(H/4), not floor(floor(H/2)/2)."""
    if stride.is_Integer and stride > 0:
        terms = sympy.Add.make_args(numerator)
        inner = [t for t in terms if isinstance(t, rounding)]
        rest = sympy.Add(*(t for t in terms if not isinstance(t, rounding)))
        if len(inner) == 1 and rest.is_integer:
            return rounding((inner[0].args[0] + rest) / stride)
    return rounding(numerator / stride)


def conv_length(
    size: sympy.Expr, kernel: sympy.Expr, stride: sympy.Expr, dilation: sympy.Expr, padding: Padding
) -> sympy.Expr:
    """Output length of a convolution along one axis.

    The dilated kernel spans d*(k-1)+1 inputs and slides in steps of s over the input padded with
    p zeros on each side, so floor((n + 2p - d*(k-1) - 1)/s) + 1 windows fit (`valid` is p = 0).
    `same` and `causal` pad just enough that ceil(n/s) fit. The +1 goes inside the floor, where
    sympy can cancel it: a pool of size s moved by s gives floor(n/s), not floor((n - s)/s) + 1.
    """
    if isinstance(padding, str) and padding in ("same", "causal"):
        return _divide(sympy.ceiling, size, stride)
    pad = _explicit(padding)
    if pad is None:
        raise ShapeError(f"padding must be 'valid' or 'same'. Received: padding={padding!r}")
    return _divide(sympy.floor, size + 2 * pad - dilation * (kernel - 1) - 1 + stride, stride)


def pool_length(
    size: sympy.Expr,
    pool: sympy.Expr,
    stride: sympy.Expr,
    padding: Padding,
    dilation: sympy.Expr = ONE,
    ceil_mode: bool = False,
) -> sympy.Expr:
    """Output length of a pooling window along one axis: a convolution's, or with PyTorch's
    `ceil_mode` one more window where the last, partial one starts inside the input or its left
    padding (a window starting in the right padding is dropped, as PyTorch does)."""
    if not ceil_mode:
        return conv_length(size, pool, stride, dilation, padding)
    pad = _explicit(padding)
    if pad is None:
        raise ShapeError(f"ceil_mode takes a number of zeros as padding. Received: padding={padding!r}")
    windows = _divide(sympy.ceiling, size + 2 * pad - dilation * (pool - 1) - 1 + stride, stride)
    if (stride + pad - dilation * (pool - 1) - 1).is_nonpositive:
        # A stride and padding within the window (GoogLeNet's 3, 2, 0): the last window starts at
        # (windows - 1)*stride <= size + 2*pad - window + stride - 1 < size + pad, always inside;
        # no case to write, which nested pools would multiply.
        return windows
    return sympy.Piecewise((windows - 1, (windows - 1) * stride >= size + pad), (windows, True))


def transposed_conv_length(
    size: sympy.Expr,
    kernel: sympy.Expr,
    stride: sympy.Expr,
    dilation: sympy.Expr,
    padding: Padding,
    output_padding: sympy.Expr | None = None,
) -> sympy.Expr:
    """Output length of a transposed convolution along one axis.

    With k_d = d*(k-1)+1 the dilated kernel, each of the n inputs stamps k_d outputs s apart:
    (n-1)*s + k_d, less p zeros cropped from each side, plus `output_padding` on the right (this is
    PyTorch's formula, and Keras' `valid`, where p = 0). Keras' `same` crops so that, without
    `output_padding`, n*s remain, and with it (n-1)*s + (k_d mod 2) + output_padding. Keras' `valid`
    without `output_padding` keeps at least n*s: (n-1)*s + max(k_d, s).
    """
    dilated = dilation * (kernel - 1) + 1
    if isinstance(padding, str) and padding == "same":
        if output_padding is None:
            return size * stride
        return (size - 1) * stride + dilated - 2 * sympy.floor(dilated / 2) + output_padding
    pad = _explicit(padding)
    if pad is None:
        raise ShapeError(f"padding must be 'valid' or 'same'. Received: padding={padding!r}")
    if output_padding is None:
        if isinstance(padding, str):  # Keras' `valid`
            return size * stride + sympy.Max(dilated - stride, 0)
        output_padding = sympy.Integer(0)
    return (size - 1) * stride + dilated - 2 * pad + output_padding


def certainly_differ(first: sympy.Expr, second: sympy.Expr) -> bool:
    """True when two sizes are certainly unequal; False when equal or not yet decidable (symbols
    whose values come later: the check runs again on the substituted model)."""
    zero = sympy.expand(first - second).is_zero
    if zero is None:
        rules.note("equal", first, second)
    return zero is False


def product(values: Sequence[sympy.Expr]) -> sympy.Expr:
    """The product of sizes, as one flat sympy `Mul` (built once, not pairwise)."""
    return sympy.Mul(*values) if values else sympy.Integer(1)


def format_shape(shape: Sequence[sympy.Expr], show: Callable[[Any], str] = str) -> str:
    """`(H, W, 10)`: a shape as people write it; a 1-tuple keeps its comma like Python's. (`show`
    writes each size: a rule's placeholder for its value, see symcount.rules.)"""
    inner = ", ".join(show(dim) for dim in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def sum_over(expr: sympy.Expr, index: sympy.Symbol, count: sympy.Expr) -> sympy.Expr:
    """The sum of `expr` for `index` = 0, 1, ..., count - 1, in closed form, when `expr` is a
    polynomial in `index` (Faulhaber's formula for each power); a ShapeError otherwise.

    This is how a block repeated a symbolic number of times may grow its input (a DenseNet block
    adds k channels per copy): copy i sees i growths, so each of its counts is a polynomial in i.

    Example:
        >>> n, c, k = sympy.symbols("n c k", positive=True, integer=True)
        >>> i = sympy.Symbol("i", integer=True, nonnegative=True)
        >>> sympy.factor(sum_over(c + i * k, i, n))
        n*(2*c + k*n - k)/2
    """
    expr = sympy.expand(expr)
    if not expr.has(index):
        return count * expr
    if not expr.is_polynomial(index):
        raise ShapeError(f"a block's cost must be a polynomial in its copy number to be summed; got {expr}")
    return sympy.Add(
        *(coefficient * _power_sum(power, count) for (power,), coefficient in sympy.Poly(expr, index).terms())
    )


def _power_sum(power: int, count: sympy.Expr) -> sympy.Expr:
    """0**p + 1**p + ... + (count - 1)**p, by Bernoulli numbers (B1 = -1/2 for this lower sum)."""
    if power == 0:
        return count
    terms = (
        sympy.binomial(power + 1, j)
        * (sympy.Rational(-1, 2) if j == 1 else sympy.bernoulli(j))
        * count ** (power + 1 - j)
        for j in range(power + 1)
    )
    return sympy.Add(*terms) / (power + 1)
