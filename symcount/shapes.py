"""Symbolic shape arithmetic shared by layers: convolution and pooling output sizes.

Shapes exclude the batch axis and are channels-last, as in Keras. Formulas are Keras' (in
`compute_conv_output_shape`), written so that sympy keeps them as simple as it can: with stride 1
the floor of an integer disappears, and `same` padding with stride 1 is just the input size.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from .errors import ShapeError

__all__ = ["Shape", "conv_length", "pool_length", "transposed_conv_length", "format_shape", "product"]

Shape = tuple[sympy.Expr, ...]

PADDINGS = ("valid", "same")


def conv_length(
    size: sympy.Expr, kernel: sympy.Expr, stride: sympy.Expr, dilation: sympy.Expr, padding: str
) -> sympy.Expr:
    """Output length of a convolution along one axis.

    `valid`: the dilated kernel spans d*(k-1)+1 inputs and slides in steps of s, so
    floor((n - d*(k-1) - 1)/s) + 1 windows fit. `same` and `causal` pad so that ceil(n/s) fit.
    """
    if padding in ("same", "causal"):
        return sympy.ceiling(size / stride)
    if padding == "valid":
        return sympy.floor((size - dilation * (kernel - 1) - 1) / stride) + 1
    raise ShapeError(f"padding must be 'valid' or 'same'. Received: padding={padding!r}")


def pool_length(size: sympy.Expr, pool: sympy.Expr, stride: sympy.Expr, padding: str) -> sympy.Expr:
    """Output length of a pooling window along one axis: a convolution with dilation 1."""
    return conv_length(size, pool, stride, sympy.Integer(1), padding)


def transposed_conv_length(
    size: sympy.Expr,
    kernel: sympy.Expr,
    stride: sympy.Expr,
    dilation: sympy.Expr,
    padding: str,
    output_padding: sympy.Expr | None = None,
) -> sympy.Expr:
    """Output length of a transposed convolution along one axis (Keras' `deconv_output_length`).

    Without `output_padding`: `valid` gives n*s + max(k_d - s, 0) with k_d = d*(k-1)+1 the dilated
    kernel; `same` gives n*s. With it: (n-1)*s + k_d - 2*pad + output_padding, pad = 0 for `valid`
    and floor(k_d/2) for `same`.
    """
    dilated = dilation * (kernel - 1) + 1
    if output_padding is None:
        if padding == "valid":
            return size * stride + sympy.Max(dilated - stride, 0)
        if padding == "same":
            return size * stride
    else:
        pad = {"valid": sympy.Integer(0), "same": sympy.floor(dilated / 2)}.get(padding)
        if pad is not None:
            return (size - 1) * stride + dilated - 2 * pad + output_padding
    raise ShapeError(f"padding must be 'valid' or 'same'. Received: padding={padding!r}")


def product(values: Sequence[sympy.Expr]) -> sympy.Expr:
    """The product of sizes, as one flat sympy `Mul` (built once, not pairwise)."""
    return sympy.Mul(*values) if values else sympy.Integer(1)


def format_shape(shape: Sequence[sympy.Expr]) -> str:
    """`(H, W, 10)`: a shape as people write it; a 1-tuple keeps its comma like Python's."""
    inner = ", ".join(str(dim) for dim in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
