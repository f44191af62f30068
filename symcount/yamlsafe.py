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
from typing import Any

import yaml

from .errors import SpecError
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

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node)).replace("_", "").lstrip("+-")
        if text.startswith("0b"):
            bits = len(text) - 2
        elif text.startswith("0x"):
            bits = 4 * (len(text) - 2)
        elif text.startswith("0") and text != "0" and ":" not in text:
            bits = 3 * (len(text) - 1)  # YAML 1.1 octal
        else:
            bits = math.ceil(len(text) * math.log2(10))
        if bits > _MAX_BITS:
            raise SpecError(
                f"an integer at line {node.start_mark.line + 1} is too large "
                f"(more than {MAX_NUMBER_DIGITS} digits)"
            )
        value: int = super().construct_yaml_int(node)
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        text = str(self.construct_scalar(node))
        if len(text) > 3 * MAX_NUMBER_DIGITS:
            raise SpecError(f"a number at line {node.start_mark.line + 1} is too long")
        value: float = super().construct_yaml_float(node)
        return value


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
    loader = _Loader(text)
    try:
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
        raise SpecError(f"{source}: malformed YAML{where}: {problem}") from None
    finally:
        loader.dispose()
