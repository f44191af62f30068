"""Sequential models: the fold, totals, substitution and errors with context."""

from pathlib import Path

import pytest
import sympy

from symcount import (
    Conv2D,
    Dense,
    Flatten,
    Input,
    MaxPooling2D,
    MissingValueError,
    Sequential,
    ShapeError,
    SpecError,
    SymcountError,
    load_spec,
    symbols,
)
from symcount.algebra import formula

H, W, C, f, k, h1, h2 = symbols("H W C f k h1 h2")


def lesson_cnn() -> Sequential:
    return Sequential(
        Input(H, W, C), Conv2D(f, k, padding="same"), Conv2D(f, k, padding="same"), Flatten(), Dense(3)
    )


def lesson_dense() -> Sequential:
    return Sequential(Input(784), Dense(h1), Dense(h2), Dense(3))


def test_lesson_dense_per_layer_parts() -> None:
    # 784*10 + 10 = 7850; 10*10 + 10 = 110; 10*3 + 3 = 33
    model = lesson_dense().subs(h1=10, h2=10)
    assert [int(row.params) for row in model.layers] == [7850, 110, 33]
    assert model.count() == 7993


def test_lesson_cnn_per_layer_parts() -> None:
    # conv: 3*3*1*10 + 10 = 100; conv: 3*3*10*10 + 10 = 910; flatten: 0; dense: 28*28*10*3 + 3 = 23523
    model = lesson_cnn().subs(H=28, W=28, C=1, f=10, k=3)
    assert [int(row.params) for row in model.layers] == [100, 910, 0, 23523]
    assert model.counts() == {"total": 24533, "trainable": 24533, "non_trainable": 0, "buffers": 0}
    assert isinstance(lesson_cnn().count(H=28, W=28, C=1, f=10, k=3), int)


def test_formulas_as_built_and_in_every_form() -> None:
    model = lesson_cnn()
    assert model.params == C * f * k**2 + 3 * H * W * f + f**2 * k**2 + 2 * f + 3
    assert model.layers[3].params == 3 * H * W * f + 3
    assert formula(model.params, "factor") == sympy.factor(model.params)
    assert sympy.expand(formula(model.params, "simplify") - model.params) == 0
    assert formula(model.params, "built") is model.params


def test_shapes_are_symbolic_and_simple() -> None:
    model = Sequential(Input(H, W, C), Conv2D(f, 3), MaxPooling2D(), Conv2D(f, 3, strides=2, padding="same"))
    assert model.layers[0].output_shape == (H - 2, W - 2, f)  # stride 1: the floor disappears
    assert model.layers[1].output_shape == (sympy.floor((H - 2) / 2), sympy.floor((W - 2) / 2), f)
    assert model.layers[2].output_shape[0] == sympy.ceiling(sympy.floor((H - 2) / 2) / 2)
    assert Sequential(Input(H, W, C), Conv2D(f, k, padding="same")).output_shape == (H, W, f)


def test_dense_acts_on_the_last_axis_of_any_rank() -> None:
    model = Sequential(Input(H, W, C), Dense(h1))
    assert model.output_shape == (H, W, h1)
    assert model.params == C * h1 + h1


def test_partial_and_expression_substitution() -> None:
    model = lesson_cnn()
    assert model.subs(k=3, C=1).params == 3 * H * W * f + 9 * f**2 + 11 * f + 3
    assert model.subs(f=2 * k).params == model.params.xreplace({f: 2 * k})
    assert model.subs(f="2*k", k=3).subs(H=28, W=28, C=1).count() == lesson_cnn().count(
        H=28, W=28, C=1, f=6, k=3
    )
    assert model.subs({f: 10}).symbols == (C, H, W, k)


def test_frozen_layer_moves_its_weights_to_non_trainable() -> None:
    # The lesson's dense net with its first layer frozen: 7850 frozen, 110 + 33 = 143 trainable.
    model = Sequential(Input(784), Dense(10, trainable=False), Dense(10), Dense(3))
    assert model.counts() == {"total": 7993, "trainable": 143, "non_trainable": 7850, "buffers": 0}


def test_names_follow_keras() -> None:
    model = Sequential(Input(4), Dense(3), Dense(3, name="head"), Dense(2), Flatten())
    assert [row.name for row in model.layers] == ["dense", "head", "dense_1", "flatten"]
    with pytest.raises(SpecError, match="unique"):
        Sequential(Input(4), Dense(3, name="x"), Dense(3, name="x"))


def test_missing_values_are_listed() -> None:
    with pytest.raises(MissingValueError, match="depends on C, W, f"):
        lesson_cnn().count(H=28, k=3)


def test_unknown_symbol_is_an_error() -> None:
    with pytest.raises(SpecError, match="unknown name 'q' in subs; the model knows: C, H, W, f, k"):
        lesson_cnn().subs(q=1)


def test_kernel_larger_than_the_image_names_the_layer() -> None:
    model = Sequential(Input(H, W, 1), Conv2D(4, 3), Conv2D(4, k))
    with pytest.raises(
        ShapeError, match=r"layer 2 \(conv2d_1\), input shape \(3, 3, 4\): .*kernel 5x5.*size -1"
    ):
        model.subs(H=5, W=5, k=5)


def test_bad_values_name_the_layer_and_argument() -> None:
    with pytest.raises(
        SymcountError,
        match=r"layer 1 \(dense\): Dense: expected a positive integer. Received: h1=-3 \(as units\)$",
    ):
        lesson_dense().subs(h1=-3)
    with pytest.raises(SymcountError, match=r"h1=5/2 \(as units\)"):
        lesson_dense().subs(h1="5/2")


def test_a_model_needs_an_input_and_layers() -> None:
    with pytest.raises(SpecError, match="Input"):
        Sequential(Dense(3))
    with pytest.raises(SpecError, match="expected a layer"):
        Sequential(Input(3), "dense")


def test_building_is_linear_in_depth() -> None:
    # A smoke check of the algorithm, not a timing: 400 distinct widths fold without simplify().
    widths = symbols(" ".join(f"h{i}" for i in range(400)))
    model = Sequential(Input(widths[0]), *(Dense(w) for w in widths[1:]))
    assert len(model.params.args) == 2 * 399


# The Python API has the command line's power: every cost, the formula's forms, the summary.


def test_every_cost_is_a_method_or_attribute() -> None:
    from symcount.costs import COSTS, Convention, Measure

    model = load_spec("lesson-cnn").model()
    # Each attribute is the registry's own total, the one the CLI prints.
    assert model.macs == Measure("macs").total(model) and model.flops == 2 * model.macs
    assert model.training_flops == 3 * model.flops
    assert model.activations == Measure("activations").total(model)
    # float16: 2 bytes a number; Adam keeps a gradient and 2 states per trainable parameter.
    assert model.memory(dtype="float16") == 2 * model.params
    states = 4 * (model.params + 3 * model.trainable)
    assert sympy.expand(model.memory(optimizer="adam") - states - model.activation_memory()) == 0
    assert model.kv_cache() == 0
    for name in COSTS:
        expected = Measure(name, Convention("bfloat16", "sgd", True)).total(model)
        assert model.cost(name, dtype="bfloat16", optimizer="sgd", extras=True) == expected
    assert model.cost("params", H=28, W=28, C=1, f=10, k=3) == 24_533


def test_formula_forms() -> None:
    model = load_spec("lesson-cnn").model()
    assert model.formula() == sympy.expand(model.params)
    n, h = symbols("n h")
    stack = Sequential(Input(n), Dense(h), Dense(h))  # n*h + h + h**2 + h = h*(h + n + 2)
    assert stack.formula(form="factor") == h * (h + n + 2) and stack.formula() == h**2 + h * n + 2 * h
    assert sympy.expand(model.formula(cost="flops") - model.flops) == 0


def test_summary_object_prints_and_renders() -> None:
    import symcount

    model = load_spec("lesson-cnn").model()
    values = {"H": 28, "W": 28, "C": 1, "f": 10, "k": 3}
    table = symcount.summary(model, values, cost=["params", "flops"], width=80)
    text = str(table)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert text.splitlines()[2] == "Values: H=28, W=28, C=1, f=10, k=3"
    assert table.table.header[3:5] == ("Params", "FLOPs")
    assert [cells[-1] for cells in table.table.body] == ["0.4%", "3.7%", "0.0%", "95.9%"]
    page = table._repr_html_()
    # Formulas as math for MathJax/KaTeX, numbers with separators, the share column.
    assert "$3 H W f + 3$" in page and "23,523" in page and "95.9%" in page
    assert "Input shape: (H, W, C)" in page
    assert table.markdown().startswith("Values: H=28") and "{,}" in table.latex()
    assert table.data()["value_totals"]["total"] == 24_533
    printed: list[str] = []
    assert model.summary(values, print_fn=printed.append) is None
    assert printed == [str(symcount.summary(model, values))]


def test_one_api_in_python_as_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 20 item 9: model.summary() printed nothing in a script; keywords raised TypeError;
    # symcount.summary("lesson-cnn") raised AttributeError; cost("flops", batch=32) refused the
    # batch; "params,flops" was refused; a spec's model ignored its values; a built model showed
    # bare numbers as formulas.
    from click.testing import CliRunner

    import symcount
    from symcount.cli import main

    model = load_spec("lesson-cnn").model()
    model.summary(H=32, cost="params,flops", width=100)  # a script: printed, as Keras does
    printed = capsys.readouterr().out
    cli = CliRunner().invoke(
        main, ["summary", "lesson-cnn", "--set", "H=32", "--cost", "params,flops", "--width", "100"]
    )
    assert printed == cli.output  # the same table as the command line's
    assert str(symcount.summary("lesson-cnn", H=32, cost=["params", "flops"], width=100)) + "\n" == cli.output
    spec_path = Path(symcount.__file__).parent / "examples" / "lesson-cnn.yaml"
    assert (
        str(symcount.summary(spec_path, width=100)) + "\n"
        == CliRunner().invoke(main, ["summary", "lesson-cnn", "--width", "100"]).output
    )
    values = {"H": 28, "W": 28, "C": 1, "f": 10, "k": 3}
    assert model.cost("flops", batch=32, **values) == 32 * model.cost("flops", **values)
    assert model.cost("training-flops", **values) == 3 * model.cost("flops", **values)
    built = symcount.summary(symcount.build("lesson-cnn"))
    assert built.table.foot[0][2] == built.table.foot[0][3] == "24,533"  # formula column as numbers are
    for call, fragment in [
        (lambda: model.summary(Q=3), "unknown name 'Q'"),
        (lambda: symcount.summary(3), "a spec's name or path"),
        (lambda: model.summary(cost="nope"), "cost='nope'"),
        (lambda: symcount.summary("lesson-cn"), "did you mean 'lesson-cnn'"),
    ]:
        with pytest.raises(SymcountError, match=fragment) as info:
            call()
        assert "\n" not in str(info.value)
