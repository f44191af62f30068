"""Bad input never ends in a traceback: random spec entries, with every kind of wrong value, give
a model or a `SymcountError`, and the command line answers with exit code 0 or 2."""

from __future__ import annotations

import dataclasses
import json

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from symcount import SymcountError
from symcount.cli import main
from symcount.costs import COSTS, Measure
from symcount.layers import REGISTRY
from symcount.spec import parse_spec

VALUES = st.sampled_from(
    [0, 1, 2, 3, -1, 2.5, "same", "valid", "causal", "full", "w", "2*w", "w+", None, True, [1, 2], [3],
     [[1, 1], [2, 2]], "relu", "1e6", {}, [], "__import__('os')", "2**10**10"]
)  # fmt: skip
SHAPES = st.sampled_from([[4], [5, 3], [6, 6, 2], [4, 4, 4, 2], ["H", "W", "C"], ["T", "d"]])


@st.composite
def entries(draw: st.DrawFn) -> object:
    key = draw(st.sampled_from(sorted(REGISTRY)))
    names = [f.name for f in dataclasses.fields(REGISTRY[key])]
    chosen = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
    arguments = {name: draw(VALUES) for name in chosen}
    return {key: arguments} if arguments else key


@settings(max_examples=300, deadline=None)
@given(SHAPES, st.lists(entries(), min_size=1, max_size=3))
def test_random_specs_build_or_say_why(shape: list, layers: list) -> None:
    try:
        model = parse_spec({"input": shape, "layers": layers}).model()
        concrete = model.subs({s.name: 3 for s in model.symbols})
        concrete.counts()
        for cost in COSTS:
            Measure(cost).total(concrete)
    except SymcountError as error:
        assert str(error) and "\n" not in str(error)


@settings(max_examples=40, deadline=None)
@given(SHAPES, st.lists(entries(), min_size=1, max_size=2), st.sampled_from(["count", "formula", "summary"]))
def test_the_command_line_answers_0_or_2(tmp_path_factory, shape: list, layers: list, command: str) -> None:
    spec = tmp_path_factory.mktemp("spec") / "net.yaml"
    spec.write_text(json.dumps({"input": shape, "layers": layers}))  # JSON is YAML
    result = CliRunner().invoke(main, [command, str(spec)])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
