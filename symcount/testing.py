"""A testing kit: check in your own test suite that a model factory matches a spec, at any sizes.

`values(spec)` is a hypothesis strategy of values for the spec's free sizes that the spec builds
with: positive integers; a size that another divides at the spec's own values (heads dividing a
width) stays a multiple of it; input sizes (an image's height) start at the smallest the layers
accept, so shapes stay positive. `assert_matches(spec, factory)` draws such values, builds the
factory with them (PyTorch on the meta device: no memory, no weights) and asserts that symcount's
counts equal the framework's; hypothesis shrinks a failure to the smallest sizes, and the message
names them and the first layer that differs.

Example (a spec and a factory that agree; `examples` kept small here):
    >>> from symcount.testing import assert_matches
    >>> def mlp(d, h):
    ...     from torch import nn
    ...     return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, 1))
    >>> spec = {"input": ["d"], "values": {"d": 8, "h": 16}, "layers": [{"dense": "h"}, {"dense": 1}]}
    >>> assert_matches(spec, mlp, examples=5)
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import SpecError, SymcountError
from .importing import frameworks
from .importing.points import divides
from .model import Model
from .spec import Spec, load_spec, parse_spec
from .values import suggest

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["values", "assert_matches", "COMPARED"]

COMPARED = ("params", "trainable", "non_trainable", "buffers")
UNKNOWN_HIGH = 16  # the largest value drawn for a size the spec gives no value


def _spec(spec: Spec | str | Path | Mapping[str, Any]) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, Mapping):
        return parse_spec(dict(spec), "spec")
    return load_spec(spec)


@dataclasses.dataclass(frozen=True)
class _Plan:
    """What `values` draws: each free size's range, its divisors, and whether it is an input size."""

    spec: Spec
    model: Model
    free: tuple[str, ...]  # in drawing order: divisors before the sizes they divide
    low: dict[str, int]
    high: dict[str, int]
    divisors: dict[str, list[str]]
    inputs: frozenset[str]

    built: dict[tuple[tuple[str, int], ...], Model | None] = dataclasses.field(default_factory=dict)

    def valued(self, point: Mapping[str, int]) -> Model | None:
        """The spec's model at `point` (derived values followed), or None when it does not build."""
        key = tuple(sorted(point.items()))
        if key not in self.built:
            if len(self.built) > 4096:
                self.built.clear()
            try:
                given = {name: str(value) for name, value in point.items()}
                self.built[key] = self.model.xreplace(self.spec.values_for(self.model, given))
            except SymcountError:
                self.built[key] = None
        return self.built[key]


def _plan(spec: Spec, bounds: Mapping[str, Any]) -> _Plan:
    model = spec.model()
    numbers = {k: int(v) for k, v in spec.values.items() if isinstance(v, int) and not isinstance(v, bool)}
    derived = {k for k in spec.values if k not in numbers}
    free = sorted(({s.name for s in model.symbols} | set(numbers)) - derived)
    for name in bounds:
        if name not in free:
            raise SpecError(
                f"unknown size {name!r} in the bounds; the spec's free sizes: {', '.join(free)}{suggest(name, free)}"
            )
    low, high = {}, {}
    for name in free:
        default = numbers.get(name)
        bound = bounds.get(name, max(8, 2 * default) if default else UNKNOWN_HIGH)
        low[name], high[name] = bound if isinstance(bound, tuple) else (1, bound)
        if not (isinstance(low[name], int) and isinstance(high[name], int) and 1 <= low[name] <= high[name]):
            raise SpecError(
                f"a bound is a largest value or a (smallest, largest) pair of positive integers. Received: {name}={bound!r}"
            )
    rules = divides({name: numbers[name] for name in free if name in numbers})
    inputs = {s.name for tensor in model.inputs for size in tensor.shape or () for s in size.free_symbols}
    waiting = sorted(free, key=lambda name: (name in inputs, numbers.get(name, 0)))
    order: list[str] = []
    while waiting:  # divisors before the sizes they divide; otherwise input sizes last
        name = next(n for n in waiting if all(part in order for part in rules.get(n, [])))
        order.append(name)
        waiting.remove(name)
    return _Plan(spec, model, tuple(order), low, high, rules, frozenset(inputs) & set(free))


def values(
    spec: Spec | str | Path | Mapping[str, Any], **bounds: int | tuple[int, int]
) -> SearchStrategy[dict[str, int]]:
    """A hypothesis strategy of `{size: value}` for the spec's free sizes, every draw one the spec
    builds with. A bound is a size's largest value, or a `(smallest, largest)` pair; by default a
    size ranges from 1 to twice its value in the spec (at least 8; 16 when the spec gives none).

    Example:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=20)
        ... @given(values("gpt2", V=100, T=64))
        ... def heads_divide_the_width(point):
        ...     assert point["d"] % point["h"] == 0 and point["V"] <= 100
        >>> heads_divide_the_width()
    """
    return _strategy(_plan(_spec(spec), bounds))


def _strategy(plan: _Plan) -> SearchStrategy[dict[str, int]]:
    st = frameworks.require("hypothesis.strategies")

    @st.composite  # type: ignore[misc]
    def draw(draw: Callable[[Any], Any]) -> dict[str, int]:
        point: dict[str, int] = {}
        for name in plan.free:
            parts = plan.divisors.get(name, [])
            if parts:  # a multiple of its divisors' values, within its range when that allows
                step = math.lcm(*(point[part] for part in parts))
                low = max(1, -(-plan.low[name] // step))
                point[name] = step * draw(st.integers(low, max(low, plan.high[name] // step)))
            elif name in plan.inputs:  # the smallest the layers accept, plus some
                smallest = _smallest(plan, point, name)
                if smallest is None:  # not even the largest value builds: reject this draw
                    return draw(st.nothing())  # type: ignore[no-any-return]
                point[name] = draw(st.integers(smallest, max(smallest, plan.high[name])))
            else:
                point[name] = draw(st.integers(plan.low[name], plan.high[name]))
        return point

    return draw().filter(lambda point: plan.valued(point) is not None)  # type: ignore[no-any-return]


def _smallest(plan: _Plan, point: Mapping[str, int], name: str) -> int | None:
    """The smallest value of input size `name` the model builds with (larger ones too: a layer's
    output grows with its input), the sizes not yet drawn at their largest."""
    rest = dict(point)
    for other in plan.free:
        if other not in point and other != name:
            step = math.lcm(*(rest.get(part, 1) for part in plan.divisors.get(other, [])))
            rest[other] = step * max(1, plan.high[other] // step)

    def builds(value: int) -> bool:
        return plan.valued({**rest, name: value}) is not None

    low, high = plan.low[name], plan.high[name]
    if not builds(high):
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if builds(middle) else (middle + 1, high)
    return low


def _framework_counts(model: Any, framework: str) -> tuple[dict[str, int], dict[str, int]]:
    """The framework's totals by cost, and its parameters per part: per top-level submodule or
    layer, and (PyTorch) per module path at every depth, a shared parameter in its first owner."""
    total, groups, buffers = frameworks.counts(model)
    if framework == "torch":
        for name, param in model.named_parameters():  # shared parameters once, first owner
            parts = name.split(".")[:-1]
            for depth in range(2, len(parts) + 1):
                path = ".".join(parts[:depth])
                groups[path] = groups.get(path, 0) + param.numel()
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    else:
        trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    totals = {"params": total, "trainable": trainable, "non_trainable": total - trainable}
    if buffers is not None:
        totals["buffers"] = buffers
    return totals, groups


def _paired(name: str, groups: Mapping[str, int]) -> str | None:
    """The model's part a spec layer stands for: the same name, or the module path an imported
    spec's name was made from (`model.layers` -> `model_layers`; a Sequential's `0` -> `dense_0`)."""
    if name in groups:
        return name
    paths = {path.replace(".", "_"): path for path in groups}
    if name in paths:
        return paths[name]
    _, _, rest = name.partition("_")  # a kind before a Sequential's index: dense_0 -> 0
    return paths.get(rest) if rest[:1].isdigit() else None


def _first_difference(rows: Sequence[tuple[str, int]], groups: Mapping[str, int], framework: str) -> str:
    """Which layer differs: by name or module path where the spec's layers and the model's parts
    pair up, else in order among the layers with parameters."""
    named = [(name, mine, part) for name, mine in rows if (part := _paired(name, groups)) is not None]
    for name, mine, part in named:
        if mine != groups[part]:
            where = f"{framework}'s {part!r}" if part != name else framework
            return f"first layer that differs: {name!r} has {mine:,} parameters in the spec, {groups[part]:,} in {where}"
    groups = {k: v for k, v in groups.items() if "." not in k}
    unmatched = [(name, mine) for name, mine in rows if name not in groups and mine]
    others = [(name, n) for name, n in groups.items() if name not in dict(rows) and n]
    if unmatched and len(unmatched) == len(others):
        for (name, mine), (part, theirs) in zip(unmatched, others):
            if mine != theirs:
                return (
                    f"first layer that differs: {name!r} has {mine:,} parameters in the spec, "
                    f"{theirs:,} in {framework}'s {part!r} (paired by position)"
                )
    return "no single layer pairs up with a part of the model; compare them with `symcount summary`"


def _call(factory: Callable[..., Any], point: Mapping[str, int]) -> Any:
    """`factory` with the sizes it takes (all of them if it takes **sizes)."""
    parameters = inspect.signature(factory).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return frameworks.build(factory, point)
    missing = [
        name for name, p in parameters.items() if p.default is inspect.Parameter.empty and name not in point
    ]
    if missing:
        raise SpecError(
            f"the factory takes {', '.join(missing)}, which the spec does not know; its sizes: {', '.join(point)}"
        )
    return frameworks.build(factory, {name: value for name, value in point.items() if name in parameters})


@dataclasses.dataclass
class _Refusals:
    """Draws the factory itself refused (it raised while building): skipped, up to `bound`."""

    bound: int
    count: int = 0
    tried: int = 0
    example: str = ""

    def error(self) -> SpecError:
        return SpecError(
            f"the factory refused {self.count} of {self.tried} drawn sizes (more than {self.bound} are not "
            f"skipped), e.g. {self.example}; bound the sizes (assert_matches(..., d=(16, 64))) or give the spec "
            "values that keep the factory's rules (its own divisibilities are kept)"
        )


def _build(factory: Callable[..., Any], point: dict[str, int], refusals: _Refusals) -> Any:
    """The factory at `point`; an exception it raises is a refused draw (None), not a failure."""
    refusals.tried += 1
    try:
        return _call(factory, point)
    except SymcountError:
        raise
    except Exception as error:
        refusals.count += 1
        sizes = ", ".join(f"{name}={value}" for name, value in sorted(point.items()))
        refusals.example = f"{sizes}: {type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        return None


def _check(
    plan: _Plan, factory: Callable[..., Any], framework: str, costs: Sequence[str], point: dict[str, int],
    refusals: _Refusals | None = None,
) -> None:  # fmt: skip
    model = plan.valued(point)
    assert model is not None  # values() only draws points the spec builds with
    refusals = refusals or _Refusals(0)
    built = _build(factory, point, refusals)
    if built is None:  # skipped; too many refusals are an error once hypothesis is done
        frameworks.require("hypothesis").reject()
    if frameworks.framework_of(built) != framework:
        raise SpecError(
            f"the factory built a {frameworks.framework_of(built)} model; framework={framework!r} was asked"
        )
    theirs, groups = _framework_counts(built, framework)
    mine = model.counts()
    mine["params"] = mine.pop("total")
    sizes = ", ".join(f"{name}={value}" for name, value in sorted(point.items()))
    for cost in costs:
        if cost not in theirs:
            continue
        if int(mine[cost]) != theirs[cost]:
            rows = [(row.name, int(row.params)) for row in model.rows]
            where = _first_difference(rows, groups, framework) if cost == "params" else ""
            raise AssertionError(
                f"symcount's {cost} {int(mine[cost]):,} != {framework}'s {theirs[cost]:,} at {sizes}"
                + (f"; {where}" if where else "")
            )


def assert_matches(
    spec: Spec | str | Path | Mapping[str, Any],
    factory: Callable[..., Any],
    framework: str = "torch",
    examples: int = 25,
    costs: Sequence[str] = ("params",),
    **bounds: int | tuple[int, int],
) -> None:
    """Assert that `factory(**sizes)` has the counts `spec` gives, at `examples` drawn sizes.

    `spec` is a spec (a name, a path, a parsed `Spec` or a mapping as in YAML), read in its own
    framework's layout and conventions (a Keras spec is channels-last, a torch spec channels-first);
    `framework` ("torch" or "keras") is the factory's. Where the two frameworks count differently
    (BatchNorm's statistics: Keras weights, PyTorch buffers) write the spec for the factory's
    framework. `factory` takes the spec's sizes as keyword
    arguments (those it names) and returns a torch.nn.Module or a Keras model; `costs` are among
    params, trainable, non_trainable and buffers (PyTorch only); `bounds` as in `values`.
    """
    hypothesis = frameworks.require("hypothesis")
    if framework not in ("torch", "keras"):
        raise SpecError(f"framework must be 'torch' or 'keras'. Received: {framework!r}")
    for cost in costs:
        if cost not in COMPARED:
            raise SpecError(
                f"assert_matches compares {', '.join(COMPARED)}. Received: {cost!r}{suggest(cost, COMPARED)}"
            )
    frameworks.require(framework)
    loaded = _spec(spec)
    plan = _plan(loaded, bounds)
    strategy = _strategy(plan)

    refusals = _Refusals(bound=2 * examples)

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        # Shrinking finds the smallest failing sizes; the "explain" phase after it costs seconds
        # and adds nothing the message does not say.
        phases=[p for p in hypothesis.Phase if p.name != "explain"],
    )
    @hypothesis.given(strategy)
    def matches(point: dict[str, int]) -> None:
        _check(plan, factory, framework, costs, point, refusals)

    try:
        matches()
    except hypothesis.errors.Unsatisfiable:
        if refusals.count:
            raise refusals.error() from None
        raise
    if refusals.count > refusals.bound:
        raise refusals.error()
