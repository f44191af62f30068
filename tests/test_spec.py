"""Spec files: YAML to models, the built-in examples, and every way a spec can be wrong."""

from pathlib import Path

import pytest

from symcount import SpecError, SymcountError, build, examples, load_spec
from symcount.spec import build_layer, parse_spec

LESSON = {
    # name: (total, per-layer parts, derivation)
    "lesson-dense": (7993, [0, 7850, 110, 33]),  # 784*10+10, 10*10+10, 10*3+3
    "lesson-cnn": (24533, [100, 910, 0, 23523]),  # 9*1*10+10, 9*10*10+10, 0, 28*28*10*3+3
    "lesson-dense-increasing": (4063, [0, 3925, 90, 48]),  # 784*5+5, 5*15+15, 15*3+3
    "lesson-cnn-increasing": (36023, [50, 690, 0, 35283]),  # 9*1*5+5, 9*5*15+15, 0, 28*28*15*3+3
}


@pytest.mark.parametrize("name", sorted(LESSON))
def test_lesson_examples(name: str) -> None:
    total, parts = LESSON[name]
    model = build(name)
    assert model.count() == total
    assert [int(row.params) for row in model.rows] == parts
    assert load_spec(name).model().symbols, "the examples keep their widths symbolic"


def test_examples_are_listed_with_descriptions() -> None:
    found = examples()
    assert set(LESSON) <= set(found)
    assert all(found.values())


def test_a_file_wins_over_an_example(tmp_path: Path) -> None:
    spec = tmp_path / "lesson-cnn"
    spec.write_text("input: [4]\nlayers: [{dense: 2}]\n")
    assert build(spec).count() == 10


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("flatten", "Flatten"),
        ({"dense": 3}, "Dense(3)"),
        ({"dense": {"units": 3}}, "Dense(3)"),
        ({"dense": 3, "activation": "relu"}, "Dense(3)"),
        ({"conv2d": ["f", 3]}, "Conv2D(f, 3x3)"),
        ({"conv2d": {"filters": "2*f", "kernel_size": [3, 5]}}, "Conv2D(2*f, 3x5)"),
        ({"max_pooling2d": [[2, 3]]}, "MaxPooling2D(2x3)"),
        ({"dense": "1_000"}, "Dense(1000)"),
        ({"dense": "1e3"}, "Dense(1000)"),
        ({"dense": 1.0e3}, "Dense(1000)"),
    ],
)
def test_layer_entries(entry: object, expected: str) -> None:
    assert build_layer(entry).describe() == expected


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("dense2", "unknown layer 'dense2' (did you mean 'dense'?)"),
        ({"conv2D": 3}, "unknown layer 'conv2D' (did you mean 'conv2d'?)"),
        ({"dense": {"unit": 3}}, "dense has no option 'unit' (did you mean 'units'?)"),
        ({"dense": 2.5}, "expected a positive integer. Received: units=5/2"),
        ({"dense": -1}, "Received: units=-1"),
        ({"dense": "w +"}, "units: expected a number"),
        ({"dense": 3, "units": 4}, "'units' given twice"),
        ({"dense": 3, "flatten": None}, "dense has no option 'flatten'"),
        ({"dense": list(range(1, 15))}, "at most 13 positional"),  # Keras' Dense takes 13
        (
            {"conv2d": {"filters": 4, "kernel_size": 3, "padding": "full"}},
            "padding must be one of 'valid', 'same'",
        ),
        ({"dense": {"units": 4, "activation": "rleu"}}, "activation must be one of"),
        ({"dropout": 1.5}, "expected a number in [0.0, 1.0]"),
        (42, "expected a layer name"),
    ],
)
def test_bad_layer_entries(entry: object, message: str) -> None:
    with pytest.raises(SymcountError) as caught:
        build_layer(entry)
    assert message in str(caught.value)


def test_values_may_refer_to_each_other_and_set_overrides() -> None:
    spec = parse_spec({"input": ["n"], "values": {"n": 10, "h": "2*k", "k": 3}, "layers": [{"dense": "h"}]})
    model = spec.model()
    assert model.subs(spec.values_for(model, {})).count() == 10 * 6 + 6
    assert model.subs(spec.values_for(model, {"k": "4"})).count() == 10 * 8 + 8
    assert spec.values_for(model, {}, defaults=False) == {}
    with pytest.raises(SpecError, match="unknown name 'q' in --set; this spec knows: h, k, n"):
        spec.values_for(model, {"q": 1})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "expected a mapping"),
        ({"layers": ["flatten"]}, "missing 'input'"),
        ({"input": [3]}, "missing 'layers'"),
        ({"input": [3], "layers": []}, "non-empty list"),
        ({"input": [3], "layers": ["flatten"], "value": {}}, "unknown key 'value' (did you mean 'values'?)"),
        ({"input": [3], "layers": ["flatten"], "framework": "jax"}, "framework must be one of keras, torch"),
        ({"input": [3], "layers": ["flatten"], "values": [1]}, "'values' must be a mapping"),
    ],
)
def test_bad_specs(data: object, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert message in str(caught.value)


def test_bad_layers_and_inputs_name_their_position() -> None:
    with pytest.raises(SymcountError, match="layer 2: unknown layer 'dens'"):
        parse_spec({"input": [3], "layers": [{"dense": 2}, {"dens": 2}]}).model()
    with pytest.raises(
        SymcountError, match=r"input: Input: expected a positive integer. Received: shape\[0\]=0"
    ):
        parse_spec({"input": [0], "layers": ["flatten"]}).model()


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [3\nlayers:\n  - dense: 3\n")
    with pytest.raises(SpecError, match=r"bad.yaml: malformed YAML at line \d+, column \d+"):
        load_spec(spec)


def test_unknown_spec_suggests_an_example() -> None:
    with pytest.raises(SpecError, match="did you mean 'lesson-cnn'"):
        load_spec("lesson-cn")


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    spec = tmp_path / "evil.yaml"
    spec.write_text("input: !!python/object/apply:os.system ['true']\nlayers: [flatten]\n")
    with pytest.raises(SpecError, match="malformed YAML"):
        load_spec(spec)


def test_torch_spellings_under_framework_torch() -> None:
    data = {
        "framework": "torch",
        "input": [784],
        "layers": [
            {"linear": {"in_features": 784, "out_features": "h"}},
            {"linear": {"in_features": "h", "out_features": 3, "bias": False}},
        ],
    }
    model = parse_spec(data).model()
    assert model.count(h=10) == 784 * 10 + 10 + 10 * 3
    with pytest.raises(SymcountError, match="layer 2 .*has h channels.*given 5: write the same size"):
        data["layers"][1]["linear"]["in_features"] = 5
        parse_spec(data).model()  # refused when built, not when h gets a value
    with pytest.raises(
        SymcountError, match="'linear' is PyTorch's spelling: use it in a spec with `framework: torch`"
    ):
        parse_spec({**data, "framework": "keras"}).model()


def test_a_layer_that_reaches_no_output_is_an_error_naming_it() -> None:
    # The example: `a` feeds nothing, so the model would count only `b`, silently.
    dangling = {
        "input": [3],
        "layers": [{"dense": 4, "name": "a"}, {"dense": 4, "name": "b", "inputs": ["input"]}],
    }
    with pytest.raises(SpecError) as error:
        parse_spec(dangling).model()
    assert str(error.value) == (
        "layer 1 (a) reaches no output of the model: list it under `outputs` to keep it as a side "
        "output, or remove it"
    )
    # Kept as a side output, both count: 2 x (3*4 + 4).
    assert parse_spec({**dangling, "outputs": ["a", "b"]}).model().params == 32
    # Unnamed layers are named as the model names them; inside a block the exit is the output.
    with pytest.raises(SpecError, match=r"^layer 2 \(dense\) reaches no output"):
        parse_spec(
            {"input": [3], "layers": ["flatten", {"dense": 2}, {"dense": 2, "inputs": ["flatten"]}]}
        ).model()
    block = {"repeat": {"times": 2, "layers": [{"dense": 3, "name": "x"}, {"dense": 3, "inputs": ["input"]}]}}
    with pytest.raises(SpecError, match=r"block layer 1 \(x\) reaches no output of its block"):
        parse_spec({"input": [3], "layers": [block]}).model()


def test_an_option_of_another_layer_names_that_layer() -> None:
    for entry, message in [
        (
            {"multi_head_attention": {"num_heads": 2, "num_key_value_heads": 1}},
            "multi_head_attention has no option 'num_key_value_heads' (key/value heads shared by groups "
            "of query heads are group_query_attention's); options: ",
        ),
        (
            {
                "group_query_attention": {
                    "head_dim": 4,
                    "num_query_heads": 2,
                    "num_key_value_heads": 1,
                    "key_dim": 4,
                }
            },
            "group_query_attention has no option 'key_dim' (multi_head_attention's; here it is head_dim)",
        ),
    ]:
        with pytest.raises(SpecError) as error:
            parse_spec({"input": ["T", 8], "layers": [entry]}).model()
        assert message in str(error.value)


def test_the_family_table_names_every_layer_and_key() -> None:
    # The lazy table (spec key -> family, class -> family) against the families themselves.
    import importlib

    from symcount import layers

    registry = layers.load_all()
    for family, (names, _, _) in layers.FAMILIES.items():
        assert names.split() == importlib.import_module(f"symcount.layers.{family}").__all__
    for torch in (False, True):
        expected = {key: cls for key, cls in registry.items() if torch or not cls.torch_only}
        if torch:
            expected.update({cls.torch_name: cls for cls in registry.values() if cls.torch_name})
            expected.update({name: cls for cls in registry.values() for name in cls.torch_functional})
        assert set(layers.layer_keys(torch)) == set(expected)
        assert {key: layers.layer_class(key, torch) for key in expected} == expected
    assert layers.layer_class("no_such_layer", True) is None


@pytest.mark.parametrize("key", ["PReLU", "prelu"])
def test_a_name_both_frameworks_use_is_each_frameworks_own_layer(key: str) -> None:
    # keras.layers.PReLU() learns one slope per input element (3 x 4 = 12); nn.PReLU() one in all.
    from symcount import Input, Sequential

    assert type(build_layer(key, "keras")).__name__ == "PReLU"
    assert Sequential(Input(3, 4), build_layer(key, "keras")).params == 12
    assert Sequential(Input(3, 4), build_layer(key, "torch"), framework="torch").params == 1


def test_keras_cells_and_rnn_under_keras_pytorch_modules_under_torch() -> None:
    from symcount import Input, Sequential

    # Keras' LSTMCell(5) on 3 features: kernel 3 x 20, recurrent kernel 5 x 20, one bias of 20 =
    # 180; nn.LSTMCell(3, 5) keeps two biases (b_ih, b_hh): 60 + 100 + 40 = 200.
    for key in ("LSTMCell", "lstm_cell"):
        assert Sequential(Input(3), build_layer({key: 5}, "keras")).params == 180
        assert Sequential(Input(3), build_layer({key: [3, 5]}, "torch"), framework="torch").params == 200
    # Keras' RNN(LSTMCell(5)) returns the last step; nn.RNN(3, 5) its whole sequence.
    keras_rnn = build_layer({"RNN": {"cell": {"LSTMCell": 5}}}, "keras")
    assert Sequential(Input(6, 3), keras_rnn).output_shape == (5,)
    torch_rnn = build_layer({"RNN": [3, 5]}, "torch")
    assert Sequential(Input(6, 3), torch_rnn, framework="torch").output_shape == (6, 5)
    with pytest.raises(SpecError, match="framework: keras"):
        build_layer({"SimpleRNNCell": 5}, "torch")
    with pytest.raises(SpecError, match="framework: torch"):
        build_layer({"RNNCell": [3, 5]}, "keras")


def test_a_spec_loads_only_the_families_it_uses() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from symcount import load_spec; load_spec('lesson-cnn').model(); "
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('symcount.layers.')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "['base', 'conv', 'core']"


def test_errors_say_how_to_fix(tmp_path: Path) -> None:
    # Issue 20 item 12: each mistake's message names its fix.
    from click.testing import CliRunner

    from symcount.cli import main

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 2 and len(result.output.splitlines()) == 1, result.output
        return result.output

    missing = run("count", str(_write(tmp_path, "free.yaml", "input: [d]\nlayers: [{dense: h}]\n")))
    assert (
        "--set d=... --set h=..." in missing and "`values:`" in missing and "count(d=..., h=...)" in missing
    )
    batch = run(
        "count",
        str(
            _write(
                tmp_path,
                "batch.yaml",
                "framework: torch\ninput: [1, 3, 8, 8]\nlayers: [{conv2d: [3, 4, 3]}]\n",
            )
        ),
    )
    assert "the batch axis is not part of `input:`" in batch and "[3, 224, 224]" in batch
    assert "written start:stop[:step] (1:64" in run("sweep", "lesson-cnn", "--grid", "f=1..64")
    block = "input: [n]\nvalues: {n: 3}\nblocks:\n  mlp:\n    args: [w, act]\n    layers: [{dense: {units: w, activation: act}}]\nlayers: [{block: mlp, with: {w: 8, act: relu}}]\n"
    words = run("count", str(_write(tmp_path, "block.yaml", block)))
    assert "argument 'act' as a word" in words and "block arguments are sizes only" in words


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path
