"""MixtureOfExperts: E copies of a block (the experts), a router, and top-k routing per token.

A router (a Dense of E units, no bias by default) scores the experts for every token; each token
goes through the k best-scoring experts and leaves as the weighted sum of their outputs (Mixtral,
Switch, GShard). Every expert is a copy of one block, built like a repeated block's: a list of
layers or a function of a tensor (Mixtral's expert is a SwiGLU feed-forward: two projections, a
product, a projection back), and it must keep the token's shape, since the outputs are summed.

The weights are the router's and each expert's with a leading axis of E (E x one expert, as
`Repeat` holds its copies). A token only runs k experts, so the per-token costs count k of them:
MACs are the router's plus k x one expert's; and the parameters a token touches (the registry's
`active_params`) are all of them but the (E - k) idle experts' (`inactive_params`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..costs import BIAS_FLOPS, MERGE_FLOPS, SOFTMAX_FLOPS
from ..errors import ShapeError, SpecError
from ..graph import Row
from ..shapes import Shape, format_shape, product
from ..target import Target
from .base import Layer, Weight, check_flag, require_rank
from .repeat import Block, preserves

__all__ = ["MixtureOfExperts"]


@dataclass(frozen=True)
class MixtureOfExperts(Layer):
    """`num_experts` copies of `body`, of which a router picks `top_k` per token.

    Example:
        >>> import sympy
        >>> from symcount import Input, Sequential, MixtureOfExperts, Dense, symbols
        >>> T, d, f, E = symbols("T d f E")
        >>> expert = [Dense(f, use_bias=False), Dense(d, use_bias=False)]
        >>> moe = Sequential(Input(T, d), MixtureOfExperts(E, 2, expert))
        >>> moe.params
        2*E*d*f + E*d
        >>> from symcount.costs import total_cost
        >>> sympy.expand(total_cost(moe, "active_params"))
        E*d + 4*d*f
    """

    num_experts: Any
    top_k: Any
    body: Any
    router_bias: bool = field(default=False, kw_only=True)

    registered = False  # specs write `mixture_of_experts: {num_experts: E, top_k: k, block: ...}`
    sizes = ("num_experts", "top_k")
    example_input = ("T", "d")
    derivation = (
        "E experts, each a copy of the block (here d*f + f*d), and a router of d*E weights scoring "
        "them per token; a token runs k of them"
    )
    torch_difference = "Hugging Face's Mixtral holds the experts as fused tensors: the same count"

    def validate(self) -> None:
        check_flag(self.router_bias, "router_bias")
        difference = sympy.expand(self.num_experts - self.top_k)
        # Refused when the symbols' assumptions (positive integers) prove top_k larger for every
        # value (top_k = 2*E, E + 1): the active parameters would pass the total. Otherwise it
        # is checked again when values come in.
        if _always_negative(difference):
            raise SpecError(
                f"top_k picks among the experts, so it cannot exceed num_experts. Received: "
                f"top_k={self.top_k}, num_experts={self.num_experts}"
            )
        self._set("body", Block.build(self.body))
        if self.body.context:
            raise SpecError("an expert reads only its token: its block cannot have a context")

    def expressions(self) -> Iterator[sympy.Expr]:
        yield self.num_experts
        yield self.top_k
        for layer in self.body.layers():
            yield from layer.expressions()

    def xreplace(self, mapping: dict[sympy.Symbol, sympy.Expr]) -> Layer:
        body = self.body.map_layers(lambda layer: layer.xreplace(mapping))
        return MixtureOfExperts(
            self.num_experts.xreplace(mapping), self.top_k.xreplace(mapping), body,
            router_bias=self.router_bias, name=self.name, trainable=self.trainable, tie=self.tie,
        )  # fmt: skip

    def expert(self, input_shape: Shape, target: Target) -> tuple[Row, ...]:
        """One expert's rows on `input_shape`, checked to give the token's shape back."""
        require_rank(self, input_shape, at_least=1)
        rows = self.body.rows(input_shape, target)
        if not preserves(input_shape, rows[-1].output_shape):
            raise ShapeError(
                f"an expert must give back its input's shape (the outputs are summed); this one makes "
                f"{format_shape(rows[-1].output_shape)} from {format_shape(input_shape)}"
            )
        return rows

    def weights(self, input_shape: Shape, target: Target) -> tuple[Weight, ...]:
        # The router: Keras' Dense kernel (d, E), PyTorch's Linear weight (E, d) (Mixtral's `gate`).
        rows = self.expert(input_shape, target)
        d, experts = input_shape[-1], self.num_experts
        if target.torch:
            router = [self.weight("gate.weight", (experts, d))]
            router += [self.weight("gate.bias", (experts,))] if self.router_bias else []
        else:
            router = [self.weight("router/kernel", (d, experts))]
            router += [self.weight("router/bias", (experts,))] if self.router_bias else []
        copies = tuple(
            Weight(f"experts/{row.name}/{w.name}", (experts, *w.shape), self.frozen(w.kind))
            for row in rows
            for w in row.weights
        )
        return (*router, *copies)

    def _expert_total(
        self, input_shape: Shape, target: Target, quantity: Callable[[Row], sympy.Expr]
    ) -> sympy.Expr:
        return sympy.Add(*(quantity(row) for row in self.expert(input_shape, target)))

    def macs(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The router scores E experts for each token (d*E per token); each token then runs k
        # experts, so the experts' products are k x one expert's on all the tokens.
        tokens = product(input_shape[:-1])
        experts = self._expert_total(input_shape, target, lambda row: row.macs)
        return tokens * input_shape[-1] * self.num_experts + self.top_k * experts

    def extra_flops(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The router's bias and softmax over E scores per token; k experts' extras; each output
        # element weighs k expert outputs and adds them (k products and k - 1 adds).
        tokens, d, k = product(input_shape[:-1]), input_shape[-1], self.top_k
        router = tokens * self.num_experts * (SOFTMAX_FLOPS + (BIAS_FLOPS if self.router_bias else 0))
        experts = self._expert_total(input_shape, target, lambda row: row.extra_flops)
        return router + k * experts + MERGE_FLOPS * tokens * d * (2 * k - 1)

    def activations(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # The router's E scores per token, k experts' outputs (and inner outputs), and the sum.
        tokens = product(input_shape[:-1])
        experts = self._expert_total(input_shape, target, lambda row: row.activations)
        return tokens * self.num_experts + self.top_k * experts + product(input_shape)

    def inactive_params(self, input_shape: Shape, target: Target) -> sympy.Expr:
        # A token runs k of the E experts: the other E - k experts' parameters stay idle.
        one = self._expert_total(input_shape, target, lambda row: row.params)
        return (self.num_experts - self.top_k) * one

    def describe(self) -> str:
        return f"MixtureOfExperts({self.num_experts} experts, top {self.top_k})"


def _always_negative(expr: sympy.Expr) -> bool:
    """True when `expr` is negative for every positive integer value of its symbols: sympy's
    assumptions say so, or, with each symbol s written s' + 1 (s' >= 0), it is a polynomial
    whose coefficients are all <= 0 and not all 0 (E - E*k - 1 = -E'*k' - k' - 1)."""
    if expr.is_number:
        return bool(expr < 0)
    if expr.is_negative:
        return True
    shifted = sympy.expand(expr.xreplace({s: s + 1 for s in expr.free_symbols}))
    try:
        coefficients = sympy.Poly(shifted, *sorted(shifted.free_symbols, key=str)).coeffs()
    except sympy.PolynomialError:
        return False
    return all(c.is_Rational and c <= 0 for c in coefficients) and any(c < 0 for c in coefficients)


def _example() -> dict[str, Any]:
    from .core import Dense

    return {
        "num_experts": "E",
        "top_k": "k",
        "body": [Dense("f", use_bias=False), Dense("d", use_bias=False)],
    }


MixtureOfExperts.example_args = _example()
