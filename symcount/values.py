"""User values: numbers, expressions or text turned into sizes, and the one path they take.

A value from Python, a spec file or the command line becomes an expression here (text through
symcount's restricted parser, never `eval`), is checked as a size, and a set of values is bound
once: names checked against what a spec or model knows (one wording), references followed.
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Any

import sympy

from . import rules
from .bounds import MAX_BITS, Estimate, check_value
from .errors import SpecError, SymcountError
from .names import canonical, symbol, symbols
from .parse import parse_expression

__all__ = [
    "in_users_terms", "users_terms_said", "symbol", "symbols", "as_expr", "check_label", "as_size", "as_sizes", "canonical", "check_names", "bind",
    "suggest", "name_of", "as_amount", "BYTE_UNITS",
]  # fmt: skip


def as_expr(value: Any, what: str = "value") -> sympy.Expr:
    """A sympy expression from an int, an integral float, a string (parsed safely) or an expression."""
    if isinstance(value, bool):
        raise SymcountError(f"expected a number or an expression. Received: {what}={value!r}")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise SymcountError(f"expected a finite number. Received: {what}={value!r}")
        fraction = Fraction(value)
        return sympy.Rational(fraction.numerator, fraction.denominator)
    if isinstance(value, str):
        try:
            return parse_expression(value)
        except SymcountError as error:
            raise error.with_context(what) from None
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise SymcountError(f"expected an expression. Received: {what}={value!r}")
        return canonical(value)
    raise SymcountError(
        f"expected a number or an expression. Received: {what}={_short(value)} ({type(value).__name__})"
    )


def as_size(value: Any, what: str) -> sympy.Expr:
    """A size (width, kernel, stride...): a positive integer or an expression that may be one.

    Concrete values are checked now; symbolic ones when they are substituted.
    """
    expr = as_expr(value, what)
    check_size(expr, what)
    return expr


def check_size(expr: sympy.Expr, what: str) -> None:
    """Raise if `expr` is certainly not a positive integer, or is beyond the bounds on one size
    (`bounds.check_value`: digits, degree, terms)."""
    if expr.is_Integer:
        if expr.is_positive and int(expr).bit_length() <= MAX_BITS:
            return
    elif not expr.is_Symbol:
        check_value(expr, what)
    if expr.is_number:
        if expr.is_Integer and int(expr).bit_length() > MAX_BITS:
            raise SymcountError(
                f"{what} is a number of {int(expr).bit_length():,} bits; at most {MAX_BITS:,} are allowed"
            )
        if not expr.is_integer:
            raise SymcountError(f"expected a positive integer. Received: {what}={expr}")
        if not expr.is_positive:
            raise SymcountError(f"expected a positive integer. Received: {what}={expr}")
    elif expr.is_positive is False or expr.is_integer is False:
        raise SymcountError(f"expected a positive integer. Received: {what}={expr}")
    else:  # a symbol is positive by assumption only: a value given later is checked again
        rules.note("size", expr, says=lambda v: f"expected a positive integer. Received: {what}={v(expr)}")


def as_sizes(value: Any, rank: int, what: str) -> tuple[sympy.Expr, ...]:
    """A tuple of `rank` sizes from one size (repeated) or a sequence of `rank` sizes."""
    if isinstance(value, (tuple, list)):
        if len(value) != rank:
            raise SymcountError(f"expected {rank} values for {what}. Received: {what}={tuple(value)!r}")
        return tuple(as_size(item, what) for item in value)
    size = as_size(value, what)
    return (size,) * rank


def resolve(mapping: dict[sympy.Symbol, sympy.Expr]) -> dict[sympy.Symbol, sympy.Expr]:
    """Follow values that refer to other given values: {f: 2*k, k: 3} -> {f: 6, k: 3}.

    A value may mention its own name (`w -> 2*w`, a rescaling); values that refer to each other
    in a cycle are an error.
    """
    # Kahn's topological order: each value once its values are in, linear in their number.
    keys = set(mapping)
    depends = {key: (expr.free_symbols & keys) - {key} for key, expr in mapping.items()}
    users: dict[sympy.Symbol, list[sympy.Symbol]] = {}
    for key, needs in depends.items():
        for need in needs:
            users.setdefault(need, []).append(key)
    waiting = {key: len(needs) for key, needs in depends.items()}
    ready = deque(key for key in mapping if not waiting[key])
    result: dict[sympy.Symbol, sympy.Expr] = {}
    estimates: dict[sympy.Symbol, Estimate] = {}
    while ready:
        key = ready.popleft()
        expr = mapping[key]
        # Checked before substituting: a chain of powers would otherwise be computed first.
        known = {d: estimates[d] for d in depends[key]}
        estimates[key] = check_value(expr, f"the value of {key.name}", known)
        result[key] = expr.xreplace({d: result[d] for d in depends[key]}) if depends[key] else expr
        for user in users.get(key, ()):
            waiting[user] -= 1
            if not waiting[user]:
                ready.append(user)
    if len(result) < len(mapping):
        cycle = sorted(key.name for key in mapping if key not in result)
        raise SymcountError(f"values refer to each other in a cycle: {', '.join(cycle)}")
    return {key: result[key] for key in mapping}


def suggest(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'dense'?)` when one choice is close (same but for case, one or two letters
    off, or the only choice that starts with a word of 4 letters or more: `rms_norm` for
    `rms_normalization`); nothing otherwise, since a far-fetched suggestion misleads."""
    options = list(choices)
    same_but_case = [choice for choice in options if choice.lower() == word.lower()]
    longer = [choice for choice in options if len(word) >= 4 and choice.lower().startswith(word.lower())]
    close = same_but_case or difflib.get_close_matches(word, options, n=1, cutoff=0.75)
    close = close or (longer if len(longer) == 1 else [])
    return f" (did you mean {close[0]!r}?)" if close else ""


MAX_LABEL = 100  # characters in a layer's or an input's name


def check_label(name: Any, what: str = "name") -> str:
    """A layer's or a tensor's name: text on one printable line, at most `MAX_LABEL` characters
    (tables and messages print it as it is)."""
    if not isinstance(name, str):
        raise SpecError(f"a {what} is text. Received: {what}={_short(name)}")
    if not name or not name.isprintable() or len(name) > MAX_LABEL:
        raise SpecError(
            f"a {what} is printable text on one line, 1 to {MAX_LABEL} characters. Received: {what}={_short(name)}"
        )
    return name


def _short(value: Any) -> str:
    from .errors import shown

    return shown(value)


def name_of(key: Any) -> str:
    """A value's name, whether given as text or as a symbol."""
    return key.name if isinstance(key, sympy.Symbol) else str(key)


def check_names(names: Iterable[Any], known: Iterable[str], where: str, owner: str = "this spec") -> None:
    """Raise unless every name is known: the one check, and the one wording, for user values."""
    allowed = set(known)
    for key in names:
        name = name_of(key)
        if name not in allowed:
            listed = sorted(allowed)
            raise SpecError(
                f"unknown name {name!r} in {where}{suggest(name, listed)}; "
                f"{owner} knows: {', '.join(listed) or 'no names'}"
            )


def bind(
    values: Mapping[Any, Any],
    known: Iterable[str] | None = None,
    where: str = "values",
    owner: str = "this spec",
) -> dict[str, sympy.Expr]:
    """User values by name, checked against `known` (unless None), parsed and resolved, once.

    Example:
        >>> bind({"f": "2*k", "k": 3}, ["f", "k"])
        {'f': 6, 'k': 3}
    """
    named = {name_of(key): value for key, value in values.items()}
    if known is not None:
        check_names(named, known, where, owner)
    mapping = {symbol(name): as_expr(value, name) for name, value in named.items()}
    return {key.name: value for key, value in resolve(mapping).items()}


class _Shown(Mapping[sympy.Symbol, sympy.Expr]):
    """A mapping whose values are placeholders for the values of `mapping`'s (symcount.rules)."""

    def __init__(self, mapping: Mapping[sympy.Symbol, sympy.Expr], value: Callable[[Any], str]) -> None:
        self.mapping, self.value = mapping, value

    def __getitem__(self, key: sympy.Symbol) -> sympy.Expr:
        return sympy.Symbol(self.value(self.mapping[key]))

    def __iter__(self) -> Iterator[sympy.Symbol]:
        return iter(self.mapping)

    def __len__(self) -> int:
        return len(self.mapping)


def users_terms_said(
    text: str,
    written: Mapping[str, Any],
    mapping: Mapping[sympy.Symbol, sympy.Expr],
    value: Callable[[Any], str],
) -> str:
    """`in_users_terms` on a rule's message, whose values are placeholders (symcount.rules)."""
    return str(in_users_terms(SymcountError(text), written, _Shown(mapping, value)))


RECEIVED = re.compile(r"Received: ([\w\[\]]+)=(.*)$")
OTHERS = re.compile(r", ([\w\[\]]+)=")


def in_users_terms(
    error: SymcountError, written: Mapping[str, Any], mapping: Mapping[sympy.Symbol, sympy.Expr]
) -> SymcountError:
    """`error`, raised when `mapping`'s values went into arguments `written` (name -> expression
    as written), saying which of those values made the refused argument: "Received: n3=0, which
    makes times = n3 - 1 = -1" where the check alone says "Received: times=-1", a number the user
    never wrote. Other errors come back as they are."""
    text = str(error)
    match = RECEIVED.search(text)
    if match is None:
        return error
    names = [match.group(1), *OTHERS.findall(match.group(2))]  # "a=1, b=2" names two arguments
    exprs = []
    for name in names:
        value = written.get(name)
        exprs += [p for p in (value if isinstance(value, tuple) else (value,)) if isinstance(p, sympy.Expr)]
    used = sorted(set().union(set(), *(p.free_symbols for p in exprs)) & set(mapping), key=str)
    if not used:
        return error
    given = ", ".join(f"{name}={mapping[name]}" for name in used)
    if len(names) > 1:  # the check's own words, then where its numbers came from
        found = type(error)(f"{text} (from {given})")
        found.__cause__ = error.__cause__
        return found
    name, value, original = match.group(1), match.group(2), written.get(match.group(1))
    if isinstance(original, sympy.Symbol):
        said = f"Received: {given} (as {name})"
    elif isinstance(original, tuple):
        said = f"Received: {given}, which makes {name} = ({', '.join(map(str, original))})"
    else:
        said = f"Received: {given}, which makes {name} = {original} = {value}"
    found = type(error)(text[: match.start()] + said)
    found.__cause__ = error.__cause__
    return found


# Units a budget of bytes may be written in: decimal (kB = 1000 bytes, as disks and most
# counters) and binary (KiB = 1024, as memory tools and accelerate print). Case as written.
BYTE_UNITS = {
    "B": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50,
}  # fmt: skip
_AMOUNT = re.compile(r"^\s*(?P<number>[^A-Za-z]*?(?:[eE][+-]?[0-9]+)?)\s*(?P<unit>[A-Za-z]+)\s*$")
MAX_AMOUNT = 100  # characters of an amount with a unit: `24GB`, `1.5 TiB`, `2**4 GiB`


def as_amount(value: Any, what: str = "budget") -> tuple[sympy.Expr, str | None]:
    """A number, or a number of bytes with a unit (`24GB`, `80GiB`, `1.5 TB`), exact, and the
    unit if one was given. The number goes through the restricted parser; the unit must be one of
    `BYTE_UNITS`.

    Example:
        >>> as_amount("24GB"), as_amount("80 GiB"), as_amount("1.5TB"), as_amount("2**20")
        ((24000000000, 'GB'), (85899345920, 'GiB'), (1500000000000, 'TB'), (1048576, None))
        >>> as_amount("1e6B"), as_amount("1e6")
        ((1000000, 'B'), (1000000, None))
    """
    if isinstance(value, str):
        if len(value) > MAX_AMOUNT:
            raise SymcountError(f"{what} is at most {MAX_AMOUNT} characters. Received: {len(value)}")
        match = _AMOUNT.match(value)
        if match is not None and match.group("number"):
            unit = match.group("unit")
            if unit not in BYTE_UNITS:
                known = ", ".join(BYTE_UNITS)
                raise SymcountError(
                    f"{what}: unknown unit {unit!r}{suggest(unit, list(BYTE_UNITS))}; bytes are written "
                    f"in {known}. Received: {what}={value!r}"
                )
            number = as_expr(match.group("number"), what)
            return number * BYTE_UNITS[unit], unit
    return as_expr(value, what), None
