"""YAML for untrusted spec files: bounded in size, nesting, aliases and numbers.

PyYAML's `safe_load` runs no code, but it leaves three ways to ask for unbounded work: aliases
(nine levels of nine `*a` each make a structure of 9**9 leaves from a few hundred characters, cheap
to load and endless to print), nesting (its composer recurses, so 5,000 `[` end in a
RecursionError) and numbers (`0b1...` with 100,000 digits, or a decimal past Python's 4,300-digit
limit). Here a document is composed into nodes first and checked before anything is built: at most
`MAX_SIZE` characters, `MAX_DEPTH` levels, and `MAX_NODES` nodes and characters once every alias is
expanded (a spec without aliases never comes near). Integers are bounded as the expression parser
bounds them (`parse.MAX_NUMBER_DIGITS` decimal digits, or as many bits in hex, octal or binary).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

import yaml

from .errors import SpecError, one_line, shown
from .parse import MAX_NUMBER_DIGITS

__all__ = ["load_yaml", "MAX_SIZE", "MAX_DEPTH", "MAX_NODES"]

MAX_SIZE = 1_000_000  # characters in a spec file; the zoo's largest is about 3,000
MAX_DEPTH = 64  # nested mappings and lists; the zoo goes 6 deep
MAX_NODES = 1_000_000  # nodes and scalar characters, aliases expanded
_MAX_BITS = math.ceil(MAX_NUMBER_DIGITS * math.log2(10))  # what 100 decimal digits hold


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer counts nesting and whose integers and floats are bounded."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise SpecError(f"nests deeper than {MAX_DEPTH} levels at line {mark.line + 1}")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping, refused when a key is written twice (`{units: 3, units: 5}` would silently
        mean 5); merge keys (`<<: *base`) still give defaults that the mapping overrides."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the safe loader refuses it
                    continue
                if first is not None:
                    raise SpecError(
                        f"the key {shown(key, 60)} is written twice: at line {first} and at line "
                        f"{key_node.start_mark.line + 1}"
                    )
                seen[key] = key_node.start_mark.line + 1
        found: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return found

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int | str:  # type: ignore[override]
        text = str(self.construct_scalar(node))
        if ":" in text:  # YAML 1.1 base 60 (1:30 = 90); YAML 1.2 and --set read it as text
            return text
        digits = text.replace("_", "").lstrip("+-")
        if digits.startswith("0b"):
            bits = len(digits) - 2
        elif digits.startswith("0x"):
            bits = 4 * (len(digits) - 2)
        else:  # decimal, 010 included: YAML 1.1's octal is YAML 1.2's (and --set's) ten
            bits = math.ceil(len(digits) * math.log2(10))
        self._bounded(bits, node)
        if digits.startswith(("0b", "0x")):
            value: int = super().construct_yaml_int(node)
            return value
        return int(text.replace("_", ""), 10)

    def _bounded(self, bits: int, node: yaml.Node) -> None:
        if bits > _MAX_BITS:
            raise SpecError(
                f"an integer at line {node.start_mark.line + 1} is too large "
                f"(more than {MAX_NUMBER_DIGITS} digits)"
            )

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float | int | str:  # type: ignore[override]
        """A decimal means what its text says: 1.0e+23 is 10**23 (an int), not the float nearest
        it; a number that is not whole stays a float (a rate, an epsilon), unless the float would
        make it whole (1.0000000000000000001), which is refused."""
        text = str(self.construct_scalar(node))
        line = node.start_mark.line + 1
        if len(text) > 3 * MAX_NUMBER_DIGITS:
            raise SpecError(f"a number at line {line} is too long")
        if ":" in text:  # YAML 1.1 base 60, text in YAML 1.2
            return text
        literal = text.replace("_", "")
        match = _DECIMAL.fullmatch(literal)
        if match is None:  # .inf, .nan
            value: float = super().construct_yaml_float(node)
            return value
        if abs(int(match.group("exponent") or 0)) > 400:  # past a float's range, either way
            raise SpecError(f"a number at line {line} is too large or too small: {text[:40]}")
        exact = Fraction(literal)
        if exact.denominator == 1:
            self._bounded(int(exact).bit_length(), node)
            return int(exact)
        if float(exact).is_integer():
            raise SpecError(
                f"the number at line {line} is not whole, but reads as a whole number in binary: "
                f"{text[:40]}; write the number meant"
            )
        return float(exact)


_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE](?P<exponent>[-+]?\d+))?")

_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes plus scalar characters once every alias is expanded, without expanding any (each
    node's size is counted once and reused); a node that contains itself is refused."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise SpecError(f"an alias at line {node.start_mark.line + 1} refers to itself")
        open_nodes.add(key)
        if isinstance(node, yaml.ScalarNode):
            total = 1 + len(node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        else:
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        open_nodes.discard(key)
        sizes[key] = min(total, MAX_NODES + 1)  # capped: the sum stays a small integer
        return sizes[key]

    return size(root)


def load_yaml(text: str, source: str) -> Any:
    """The data of one YAML document, or a one-line `SpecError` saying which bound it passed.

    Example:
        >>> load_yaml("input: [H, 3]", "spec")
        {'input': ['H', 3]}
        >>> load_yaml("a: &a [x, x]\\nb: &b [*a, *a]\\nc: [*b, *b]", "spec")["c"][1][0]
        ['x', 'x']
    """
    if len(text) > MAX_SIZE:
        raise SpecError(
            f"{source}: a spec file holds at most {MAX_SIZE:,} characters. Received: {len(text):,}"
        )
    loader = None
    try:
        loader = _Loader(text)  # its reader refuses control characters at once
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise SpecError(
                f"its aliases expand to more than {MAX_NODES:,} nodes and characters (an alias bomb?)"
            )
        return loader.construct_document(node)
    except SpecError as error:
        raise error.with_context(source) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        if isinstance(error, yaml.reader.ReaderError):
            where = f" at position {error.position}"
            char = chr(error.character) if isinstance(error.character, int) else error.character
            problem = f"character {char!r} is not allowed (a control character?)"
        raise SpecError(f"{source}: malformed YAML{where}: {one_line(problem, 200)}") from None
    finally:
        if loader is not None:
            loader.dispose()
