"""The restricted expression parser for user text.

`sympy.sympify` and `parse_expr` run Python's `eval`, so they never see text from a user. This
parser accepts numbers, names, `+ - * / ** ( )` and a few functions, and nothing else. It bounds
the work a string can ask for: the text's length, the nesting depth, and exponents (which must be
small integer constants, so `2**10**10` is refused instead of computed).

Grammar (Python's precedence; `**` binds tighter than unary minus on its left and is right-assoc):

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom ("**" unary)?
    atom    := NUMBER | NAME | FUNCTION "(" sum ("," sum)* ")" | "(" sum ")"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from fractions import Fraction
from typing import NamedTuple

import sympy

from .errors import ParseError
from .names import symbol

__all__ = ["parse_expression", "MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT", "FUNCTIONS"]

MAX_LENGTH = 1000
MAX_DEPTH = 50
MAX_EXPONENT = 64
MAX_NUMBER_DIGITS = 100
MAX_NAME_LENGTH = 64
MAX_NUMBER_BITS = 4096  # about 1,200 decimal digits: far beyond any network, cheap to compute


def _min(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Min(*args)


def _max(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Max(*args)


def _floor(*args: sympy.Expr) -> sympy.Expr:
    return sympy.floor(*args)


def _ceiling(*args: sympy.Expr) -> sympy.Expr:
    return sympy.ceiling(*args)


# name -> (function, smallest and largest number of arguments); sympy's own spellings are
# accepted too so that a printed formula parses back to itself.
FUNCTIONS: dict[str, tuple[Callable[..., sympy.Expr], int, int]] = {
    "floor": (_floor, 1, 1),
    "ceil": (_ceiling, 1, 1),
    "ceiling": (_ceiling, 1, 1),
    "min": (_min, 2, 16),
    "Min": (_min, 2, 16),
    "max": (_max, 2, 16),
    "Max": (_max, 2, 16),
}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/(),])
    """,
    re.VERBOSE | re.ASCII,  # digits and spaces are ASCII: `٣` or `৪` (which looks like 8) are no numbers
)


class _Token(NamedTuple):
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            hint = " (use ** for powers)" if char == "^" else ""
            if not char.isascii():  # shown by its code: `৪` looks like 8 and is a Bengali 4
                hint = (
                    f" (non-ASCII {unicodedata.name(char, 'character').lower()}: numbers and names are ASCII)"
                )
            raise ParseError(f"unexpected character {char!a} at position {position}{hint} in {text!a}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _number(token: _Token, text: str) -> sympy.Expr:
    literal = token.text.replace("_", "")
    mantissa, _, exponent = literal.lower().partition("e")
    if len(mantissa) > MAX_NUMBER_DIGITS or (exponent and abs(int(exponent)) > MAX_NUMBER_DIGITS):
        raise ParseError(f"number {token.text!r} is too large in {text!r}")
    if "__" in token.text or token.text.endswith("_"):
        raise ParseError(f"malformed number {token.text!r} in {text!r}")
    value = Fraction(literal)
    return sympy.Rational(value.numerator, value.denominator)


def _number_bits(expr: sympy.Expr) -> int:
    """The size in bits of the largest number in `expr` (what raising it to a power multiplies)."""
    numbers = [expr] if expr.is_Rational else list(expr.atoms(sympy.Rational))
    return max((int(n.p).bit_length() + int(n.q).bit_length() for n in numbers), default=0)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, message: str) -> ParseError:
        token = self.token
        where = "end of text" if token.kind == "end" else f"{token.text!r} at position {token.position}"
        return ParseError(f"{message}, found {where} in {self.text!r}")

    def expect(self, text: str) -> None:
        if self.token.text != text or self.token.kind != "op":
            raise self.fail(f"expected {text!r}")
        self.advance()

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"expression nests deeper than {MAX_DEPTH} levels: {self.text[:60]!r}...")

    def parse(self) -> sympy.Expr:
        expr = self.sum()
        if self.token.kind != "end":
            raise self.fail("expected an operator")
        return expr

    def sum(self) -> sympy.Expr:
        terms = [self.product()]
        while self.token.text in ("+", "-") and self.token.kind == "op":
            sign = self.advance().text
            term = self.product()
            terms.append(term if sign == "+" else -term)
        return sympy.Add(*terms)

    def product(self) -> sympy.Expr:
        expr = self.unary()
        while self.token.text in ("*", "/") and self.token.kind == "op":
            operator = self.advance().text
            operand = self.unary()
            if operator == "*":
                if _number_bits(expr) + _number_bits(operand) > MAX_NUMBER_BITS:
                    raise ParseError(f"a product is too large to compute in {self.text!r}")
                expr = expr * operand
            else:
                if operand.is_zero:
                    raise ParseError(f"division by zero in {self.text!r}")
                expr = expr / operand
        return expr

    def unary(self) -> sympy.Expr:
        if self.token.kind == "op" and self.token.text in ("+", "-"):
            sign = self.advance().text
            self.nested()
            operand = self.unary()
            self.depth -= 1
            return -operand if sign == "-" else operand
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.atom()
        if not (self.token.kind == "op" and self.token.text == "**"):
            return base
        self.advance()
        self.nested()
        exponent = self.unary()
        self.depth -= 1
        if not (exponent.is_Integer and abs(int(exponent)) <= MAX_EXPONENT):
            raise ParseError(
                f"exponents must be integer constants between -{MAX_EXPONENT} and "
                f"{MAX_EXPONENT}. Received: {exponent} in {self.text!r}"
            )
        if base.is_zero and exponent.is_negative:
            raise ParseError(f"division by zero in {self.text!r}")
        if _number_bits(base) * abs(int(exponent)) > MAX_NUMBER_BITS:
            raise ParseError(f"{base}**{exponent} is too large to compute in {self.text!r}")
        result = base**exponent
        if any(abs(p.exp) > MAX_EXPONENT for p in result.atoms(sympy.Pow) if p.exp.is_Integer):
            raise ParseError(
                f"exponents above {MAX_EXPONENT} are refused. Received: {result} in {self.text!r}"
            )
        return result

    def atom(self) -> sympy.Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            return _number(token, self.text)
        if token.kind == "name":
            self.advance()
            if token.text in FUNCTIONS:
                return self.call(token)
            if len(token.text) > MAX_NAME_LENGTH:
                raise ParseError(f"name {token.text[:20]!r}... is longer than {MAX_NAME_LENGTH} characters")
            if self.token.kind == "op" and self.token.text == "(":
                known = ", ".join(sorted({name.lower() for name in FUNCTIONS}))
                raise ParseError(f"unknown function {token.text!r} in {self.text!r} (known: {known})")
            return symbol(token.text)
        if token.kind == "op" and token.text == "(":
            self.advance()
            self.nested()
            expr = self.sum()
            self.depth -= 1
            self.expect(")")
            return expr
        raise self.fail("expected a number, a name or '('")

    def call(self, name: _Token) -> sympy.Expr:
        function, fewest, most = FUNCTIONS[name.text]
        self.expect("(")
        self.nested()
        args = [self.sum()]
        while self.token.kind == "op" and self.token.text == ",":
            self.advance()
            args.append(self.sum())
        self.depth -= 1
        self.expect(")")
        if not fewest <= len(args) <= most:
            raise ParseError(
                f"{name.text}() takes {fewest if fewest == most else f'{fewest} to {most}'} "
                f"argument(s), got {len(args)} in {self.text!r}"
            )
        return function(*args)


def parse_expression(text: str) -> sympy.Expr:
    """Parse user text into a sympy expression without ever calling `eval`.

    Example:
        >>> parse_expression("2*k + 1_000")
        2*k + 1000
        >>> parse_expression("1e6")
        1000000
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text. Received: {text!r}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression is longer than {MAX_LENGTH} characters ({len(text)})")
    if not text.strip():
        raise ParseError("expected an expression. Received: empty text")
    if ".." in text:  # another language's range (1..64): say how symcount writes one
        raise ParseError(
            f"{text!r} is not an expression: a range of values is written start:stop[:step] (1:64, in "
            "--grid and --x), not with '..'"
        )
    return _Parser(text).parse()
