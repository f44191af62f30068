"""--cost and its convention options on every command, through click's CliRunner.

The lesson's two networks, per example (symcount.costs: 1 MAC = 2 FLOPs, extras off):
    lesson-cnn   conv2d    28*28 positions x 10 filters x 3*3*1 kernel     =     70,560 MACs
                 conv2d_1  28*28 positions x 10 filters x 3*3*10 kernel    =    705,600 MACs
                 flatten                                                   =          0
                 dense     7,840 inputs x 3 units                          =     23,520 MACs
                 total 799,680 MACs = 1,599,360 FLOPs; training 3 x 1,599,360 = 4,798,080
    lesson-dense 784*10 + 10*10 + 10*3 = 7,970 MACs = 15,940 FLOPs
    memory       24,533 parameters x 4 bytes (float32) = 98,132; x 2 (bfloat16) = 49,066
    training     Adam: 4 bytes x 24,533 x (1 + 1 gradient + 2 moments) = 392,528
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import sympy
from click.testing import CliRunner

from symcount import load_spec, parse_expression, symbols
from symcount.cli import COST_CHOICES, DTYPE_CHOICES, OPTIMIZER_CHOICES, main
from symcount.costs import COSTS, DTYPE_ALIASES, DTYPE_BYTES, OPTIMIZER_STATES, Convention, Measure

COMMANDS = ["count", "formula", "summary", "diff", "scaling", "solve", "sweep", "compare", "explain", "plot"]
(B,) = symbols("B")
FLOPS = Measure("flops")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def data(*args: str) -> Any:
    code, output = run(*args, "--json")
    assert code == 0, output
    return json.loads(output)


def total(spec: str, *args: str) -> int:
    """`symcount count SPEC ARGS --json`'s total: the chosen cost."""
    value = data("count", spec, *args)["total"]
    assert isinstance(value, int)
    return value


# --- The options ------------------------------------------------------------------------------


def test_the_cli_lists_are_the_library_lists() -> None:
    # cli.py cannot import symcount.costs (sympy) for --help, so it keeps its own copies.
    assert [name.replace("-", "_") for name in COST_CHOICES] == list(COSTS)
    assert set(DTYPE_CHOICES) == {*DTYPE_BYTES, *DTYPE_ALIASES} and set(OPTIMIZER_CHOICES) == set(
        OPTIMIZER_STATES
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_lists_the_cost_options(command: str) -> None:
    code, output = run(command, "--help")
    assert code == 0
    for option in ("--cost", "--batch", "--dtype", "--optimizer", "--extras / --no-extras"):
        assert option in output, (command, option)
    assert "training-flops" in output and "bfloat16" in output


def test_command_help_imports_no_sympy() -> None:
    code = (
        "import sys; from symcount.cli import main\n"
        "for command in ('count', 'sweep'):\n"
        "    try: main([command, '--help'])\n"
        "    except SystemExit: pass\n"
        "print('sympy' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("False")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["count", "lesson-cnn", "--cost", "watts"], "--cost must be one of params, macs, flops"),
        (["summary", "lesson-cnn", "--dtype", "fp4"], "--dtype must be one of float32, bfloat16"),
        (["sweep", "lesson-cnn", "--grid", "f=1:2", "--optimizer", "lion"], "--optimizer must be one of"),
        (["count", "lesson-cnn", "--cost", "flops", "--batch", "0"], "Received: batch=0"),
        (["count", "lesson-cnn", "--cost", "flops", "--batch", "B"], "the FLOPs still depend on B"),
        (["count", "lesson-cnn", "--set", "B=2"], "unknown name 'B' in --set"),
    ],
)
def test_a_bad_cost_option_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_the_library_spelling_is_accepted() -> None:
    assert total("lesson-cnn", "--cost", "training_flops") == total("lesson-cnn", "--cost", "training-flops")


# --- count, formula, summary ------------------------------------------------------------------


def test_count_states_the_cost_and_its_convention() -> None:
    assert run("count", "lesson-cnn", "--cost", "flops") == (
        0,
        "lesson-cnn: 1,599,360 FLOPs\n"
        "forward FLOPs, 1 MAC = 2 FLOPs; bias adds, activations, normalisation, softmax and pooling "
        "not counted (--extras counts them); per example\n",
    )
    # Parameters print as they always did: no convention line.
    assert (
        run("count", "lesson-cnn")[1] == "lesson-cnn: 24,533 parameters (24,533 trainable, 0 non-trainable)\n"
    )


@pytest.mark.parametrize(
    ("spec", "args", "expected"),
    [
        ("lesson-cnn", ["--cost", "macs"], 70_560 + 705_600 + 0 + 23_520),
        ("lesson-cnn", ["--cost", "flops"], 2 * 799_680),
        ("lesson-cnn", ["--cost", "training-flops"], 3 * 1_599_360),
        # Extras: each conv adds a bias and a ReLU per output (2 x 7,840); the dense layer a bias
        # and a softmax (3 FLOPs) per unit: 3 + 9.
        ("lesson-cnn", ["--cost", "flops", "--extras"], 1_599_360 + 2 * 15_680 + 12),
        ("lesson-cnn", ["--cost", "activations"], 7_840 + 7_840 + 7_840 + 3),
        ("lesson-cnn", ["--cost", "memory"], 24_533 * 4),
        ("lesson-cnn", ["--cost", "memory", "--dtype", "bfloat16"], 24_533 * 2),
        # Autograd keeps the 784 input pixels (conv1's input), conv1's and conv2's ReLU outputs
        # (7,840 each; conv2's input and the flattened dense input are conv1's and conv2's
        # outputs, kept already) and the softmax's 3 outputs: 16,467 numbers.
        ("lesson-cnn", ["--cost", "activation-memory"], 4 * (784 + 2 * 7_840 + 3)),
        ("lesson-cnn", ["--cost", "activation-memory", "--batch", "8"], 8 * 4 * 16_467),
        ("lesson-cnn", ["--cost", "training-memory"], 4 * 24_533 * (1 + 1 + 2) + 4 * 16_467),
        ("lesson-cnn", ["--cost", "training-memory", "--optimizer", "sgd"], 4 * 24_533 * 2 + 4 * 16_467),
        (
            "lesson-cnn",
            ["--cost", "training-memory", "--optimizer", "momentum", "--dtype", "int8"],
            24_533 * 3 + 16_467,
        ),
        # Mixed precision: 2 bytes a weight, 2 + 4 + 4 + 8 more per trainable one (Adam), 2 an activation.
        ("lesson-cnn", ["--cost", "training-memory", "--precision", "mixed"], 20 * 24_533 + 2 * 16_467),
        # ZeRO-3 over 5 data-parallel ranks divides all 20 bytes of every parameter.
        (
            "lesson-cnn",
            ["--cost", "training-memory", "--precision", "mixed", "--zero", "3", "--dp", "5"],
            20 * 24_533 // 5 + 2 * 16_467,
        ),
        ("lesson-dense", ["--cost", "macs"], 784 * 10 + 10 * 10 + 10 * 3),
        ("lesson-dense", ["--cost", "flops", "--batch", "32"], 32 * 2 * 7_970),
        ("lesson-dense", ["--cost", "memory", "--batch", "32"], 7_993 * 4),  # memory has no batch
    ],
)
def test_count_every_cost(spec: str, args: list[str], expected: int) -> None:
    assert total(spec, *args) == expected


def test_count_json_carries_every_cost() -> None:
    found = data("count", "lesson-cnn", "--cost", "flops")
    assert found["cost"] == "flops" and found["convention"] == FLOPS.describe()
    assert found["total"] == 1_599_360 and found["trainable"] == 24_533
    assert found["costs"] == {
        "params": 24_533, "macs": 799_680, "flops": 1_599_360, "training_flops": 4_798_080,
        "activations": 23_523, "memory": 98_132, "activation_memory": 65_868, "training_memory": 458_396,
        # The weights and the largest activation: conv2's 7,840 inputs and 7,840 outputs.
        "inference_memory": 98_132 + 4 * 2 * 7_840,
        "kv_cache": 0,  # no attention layer: nothing is cached
        "active_params": 24_533,  # no mixture of experts: every parameter is active
    }  # fmt: skip
    assert [layer["flops"] for layer in found["layers"]] == [141_120, 1_411_200, 0, 47_040]
    assert [layer["params"] for layer in found["layers"]] == [100, 910, 0, 23_523]
    # Under bfloat16 the memory costs halve; with a symbolic batch the compute costs are formulas.
    assert data("count", "lesson-cnn", "--dtype", "bfloat16")["costs"]["memory"] == 49_066
    symbolic = data("count", "lesson-cnn", "--batch", "B")["costs"]
    assert symbolic["params"] == 24_533 and symbolic["flops"] == "1599360*B"


def test_formula_with_a_batch_symbol_is_linear_in_it() -> None:
    code, output = run("formula", "lesson-cnn", "--cost", "flops", "--batch", "B")
    first, convention = output.splitlines()
    flops = parse_expression(first)
    assert code == 0 and convention == FLOPS.describe(load_spec("lesson-cnn").model().with_batch("B"))
    assert sympy.degree(flops, B) == 1 and flops.subs(B, 0) == 0
    # 2*B*(C*H*W*f*k**2 + H*W*f**2*k**2 + 3*H*W*f): the MACs of the summary, twice, B times.
    H, W, C, f, k = symbols("H W C f k")
    assert sympy.expand(flops - 2 * B * (H * W * f * k**2 * C + H * W * f**2 * k**2 + 3 * H * W * f)) == 0
    # --set B=32 is 32 times the formula of one example.
    _, one = run("formula", "lesson-cnn", "--cost", "flops")
    _, at_32 = run("formula", "lesson-cnn", "--cost", "flops", "--batch", "B", "--set", "B=32")
    assert (
        sympy.expand(parse_expression(at_32.splitlines()[0]) - 32 * parse_expression(one.splitlines()[0]))
        == 0
    )
    assert total("lesson-cnn", "--cost", "flops", "--batch", "B", "--set", "B=32") == 32 * 1_599_360
    assert total("lesson-cnn", "--batch", "B", "--set", "B=32") == 24_533  # parameters have no batch


def test_formula_json_and_latex_state_the_cost() -> None:
    found = data("formula", "lesson-dense", "--cost", "macs", "--set", "H=28", "--set", "W=28")
    h1, h2 = symbols("h1 h2")
    assert parse_expression(found["total"]) == 784 * h1 + h1 * h2 + 3 * h2
    assert found["cost"] == "macs" and "trainable" not in found
    assert data("formula", "lesson-dense")["cost"] == "params"
    code, output = run("formula", "lesson-cnn", "--cost", "memory", "--latex")
    assert output.splitlines()[1] == "% " + Measure("memory").describe()


def test_summary_shows_the_cost_column_and_its_convention() -> None:
    code, output = run("summary", "lesson-cnn", "--cost", "macs")
    lines = output.splitlines()
    assert code == 0 and lines[2:4] == ["Values: H=28, W=28, C=1, f=10, k=3", Measure("macs").describe()]
    assert "MACs (formula)" in lines[5] and "C*H*W*f*k**2" in output and "799,680" in output
    assert "Trainable" not in output  # the parameter breakdown belongs to the parameter table
    code, output = run("summary", "lesson-dense", "--cost", "flops", "--markdown")
    notes = "Values: H=28, W=28, h1=10, h2=10\n\n" + FLOPS.describe() + "\n\n| Layer (type) |"
    assert output.startswith(notes) and "| 15,680 |" in output


def test_summary_json_carries_every_cost_per_layer() -> None:
    found = data("summary", "lesson-cnn", "--cost", "training-memory", "--optimizer", "sgd")
    assert found["cost"] == "training_memory" and "sgd" in found["convention"]
    assert found["value_totals"]["total"] == 4 * 2 * 24_533 + 65_868
    assert found["value_costs"]["flops"] == 1_599_360 and found["costs"]["activations"] == "3*H*W*f + 3"
    conv = found["layers"][0]
    assert conv["costs"]["macs"] == "C*H*W*f*k**2"
    assert conv["value"]["costs"] == {
        "params": 100, "macs": 70_560, "flops": 141_120, "training_flops": 423_360,
        "activations": 7_840, "memory": 400, "activation_memory": 34_496, "training_memory": 35_296,
        "inference_memory": 400,
        "kv_cache": 0,
        "active_params": 100,
    }  # fmt: skip
    for layer in found["layers"]:  # the layers add up to the totals, cost by cost
        assert all(isinstance(value, int) for value in layer["value"]["costs"].values())
    for cost in COSTS:  # inference memory adds the largest activation, which no one layer holds
        held = 4 * 2 * 7_840 if cost == "inference_memory" else 0  # conv2's input and output
        assert (
            sum(layer["value"]["costs"][cost] for layer in found["layers"]) + held
            == found["value_costs"][cost]
        )


# --- The explorer -----------------------------------------------------------------------------


def test_diff_and_scaling_of_flops() -> None:
    # FLOPs at H = W = 28, C = 1, k = 3: 2*(7,056 f + 7,056 f^2 + 2,352 f) = 14,112 f^2 + 18,816 f.
    code, output = run("diff", "lesson-cnn", "--wrt", "f", "--cost", "flops")
    assert code == 0 and output.splitlines() == [
        "d total / d f = 28224*f + 18816",
        "at f=10: 301,056",
        FLOPS.describe(),
    ]
    found = data("diff", "lesson-cnn", "--wrt", "B", "--cost", "flops", "--batch", "B")
    assert found["derivative"] == "1599360" and found["cost"] == "flops"
    found = data("scaling", "lesson-cnn", "--wrt", "f", "--cost", "flops")
    assert (found["degree"], found["leading_term"], found["total_at"]) == (2, "14112*f**2", 1_599_360)
    assert found["elasticity_at"]["exact"] == "32/17" and found["convention"] == FLOPS.describe()
    code, output = run("scaling", "lesson-cnn", "--wrt", "f", "--cost", "flops")
    assert output.splitlines()[0].split(None, 1) == ["cost:", FLOPS.describe()]


def test_solve_a_flop_budget_is_the_largest_width() -> None:
    # 64 examples of (2 x (784 + 10) h1 + 2 x 30) FLOPs: 64 (1,588 h1 + 60) <= 10^9 gives h1 <= 9,839.4.
    found = data(
        "solve", "lesson-dense", "--for", "h1", "--budget", "1e9", "--cost", "flops", "--batch", "64"
    )
    w = found["value"]
    assert (found["status"], w, found["cost"]) == ("found", 9_839, "flops")
    flops = [
        total("lesson-dense", "--cost", "flops", "--batch", "64", "--set", f"h1={n}") for n in (w, w + 1)
    ]
    assert flops == [found["total"], found["next_total"]] and flops[0] <= 10**9 < flops[1]
    # The largest batch of the CNN a training budget of 10^12 FLOPs allows: 10^12 // 4,798,080.
    found = data(
        "solve", "lesson-cnn", "--for", "B", "--budget", "1e12", "--cost", "training-flops", "--batch", "B"
    )
    assert found["value"] == 10**12 // 4_798_080 == 208_416
    code, output = run("solve", "lesson-cnn", "--for", "f", "--budget", "1000", "--cost", "macs")
    # At f = 1: 7,056 + 7,056 + 2,352 MACs.
    assert code == 1
    assert output.startswith("no value of f fits the budget 1,000: even f = 1 gives 16,464 MACs")
    assert output.splitlines()[-1] == Measure("macs").describe()


def test_sweep_over_the_batch_is_count_at_each_point() -> None:
    args = ["sweep", "lesson-cnn", "--cost", "flops", "--batch", "B", "--grid", "B=1:5:2", "--layers"]
    found = data(*args)
    assert found["cost"] == "flops" and found["convention"].endswith("per batch of B")
    for row in found["rows"]:
        at = total("lesson-cnn", "--cost", "flops", "--batch", "B", "--set", f"B={row['B']}")
        assert row["total"] == at == row["B"] * 1_599_360
        assert row["conv2d"] + row["conv2d_1"] + row["flatten"] + row["dense"] == row["total"]
    code, output = run(*args[:-1])
    assert output.splitlines()[0] == FLOPS.describe(load_spec("lesson-cnn").model().with_batch("B"))
    assert output.splitlines()[1:] == ["B      total", "1  1,599,360", "3  4,798,080", "5  7,996,800"]
    code, output = run(*args[:-1], "--csv")  # CSV is data only
    assert output == "B,total\n1,1599360\n3,4798080\n5,7996800\n"


def test_compare_flops_of_the_lesson_networks() -> None:
    # The CNN has 3 times the dense net's parameters but 100 times its FLOPs: its kernels are
    # applied at every one of the 784 positions, the dense weights once.
    found = data("compare", "lesson-cnn", "lesson-dense", "--cost", "flops")
    assert (found["first"]["total"], found["second"]["total"]) == (1_599_360, 15_940)
    assert found["ratio"]["exact"] == "79968/797"  # 1,599,360 / 15,940, divided by 20: about 100
    assert found["cost"] == "flops" and found["convention"] == FLOPS.describe()
    assert found["first"]["layers"][1] == {
        "name": "conv2d_1", "type": "Conv2D", "params": 910, "flops": 1_411_200,
        "share": {"exact": "15/17", "decimal": 15 / 17},  # 1,411,200 / 1,599,360
    }  # fmt: skip
    code, output = run("compare", "lesson-cnn", "lesson-dense", "--cost", "flops")
    lines = output.splitlines()
    # Side by side: the totals in two columns, the ratio as a decimal (the fraction is in --json).
    assert lines[0] == FLOPS.describe() and lines[1].split() == ["lesson-cnn", "lesson-dense"]
    assert lines[2].split() == ["FLOPs", "1,599,360", "15,940"]
    assert "ratio (lesson-cnn / lesson-dense): 100.3" in lines
    # A batch symbol applies to both, and --set gives it to both.
    found = data("compare", "lesson-cnn", "lesson-dense", "--cost", "flops", "--batch", "B", "--set", "B=4")
    assert (found["first"]["total"], found["second"]["total"]) == (4 * 1_599_360, 4 * 15_940)


def test_explain_flops_layer_by_layer() -> None:
    code, output = run("explain", "lesson-cnn", "--cost", "flops")
    assert code == 0 and output.splitlines() == [
        "lesson-cnn",
        FLOPS.describe(),
        "  1. conv2d (Conv2D): 2*C*H*W*f*k**2 = 141,120",
        "  2. conv2d_1 (Conv2D): 2*H*W*f**2*k**2 = 1,411,200",
        "  3. flatten (Flatten): 0",
        "  4. dense (Dense): 6*H*W*f = 47,040",
        "  total: 141,120 + 1,411,200 + 0 + 47,040 = 1,599,360",
    ]
    found = data("explain", "lesson-dense", "--cost", "memory")
    assert [layer["value"] for layer in found["layers"]] == [0, 4 * 7_850, 4 * 110, 4 * 33]
    assert found["layers"][1]["formula"] == "4*H*W*h1 + 4*h1" and found["total"] == 4 * 7_993
    # Parameters keep the lesson's words.
    assert (
        data("explain", "lesson-dense")["layers"][1]["words"] == "784 inputs x 10 units + 10 biases = 7,850"
    )


def test_plot_flops(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "flops.png"
    found = data("plot", "lesson-cnn", "--x", "f=1:4", "-o", str(path), "--cost", "flops")
    assert found["cost"] == "flops" and found["convention"] == FLOPS.describe()
    assert found["series"]["total"] == [
        total("lesson-cnn", "--cost", "flops", "--set", f"f={f}") for f in found["x"]["f"]
    ]
    code, output = run("plot", "lesson-cnn", "--x", "f=1:4", "-o", str(path), "--cost", "flops")
    assert output.splitlines() == [f"wrote {path} (800x600, 4 points of f)", FLOPS.describe()]


# Every command, once more: a non-parameter cost's text states its convention on a line of its
# own, and its JSON carries "cost" and "convention".
CALLS = [
    ["count", "lesson-cnn"],
    ["formula", "lesson-cnn"],
    ["summary", "lesson-cnn"],
    ["diff", "lesson-cnn", "--wrt", "f"],
    ["scaling", "lesson-cnn", "--wrt", "f"],
    ["solve", "lesson-cnn", "--for", "f", "--budget", "1e7"],
    ["sweep", "lesson-cnn", "--grid", "f=1:3"],
    ["compare", "lesson-cnn", "lesson-dense"],
    ["explain", "lesson-cnn"],
]


@pytest.mark.parametrize("call", CALLS, ids=[call[0] for call in CALLS])
def test_every_output_states_the_convention(call: list[str]) -> None:
    measure = Measure("training_memory", Convention(dtype="float16", optimizer="momentum"))
    options = ["--cost", "training-memory", "--dtype", "float16", "--optimizer", "momentum"]
    # (summary wraps its notes at --width: at no limit, the convention is one line as elsewhere.)
    code, output = run(*call, *options, *(["--width", "0"] if call[0] == "summary" else []))
    assert code == 0 and any(line.endswith(measure.describe()) for line in output.splitlines())
    if call[0] == "summary":
        code, output = run(*call, *options, "--width", "60")
        wrapped = [line for line in output.splitlines() if not line.startswith(("Model", "Input", "Values"))]
        assert " ".join(wrapped).startswith(measure.describe()) and all(
            len(line) <= 60 for line in wrapped[:3]
        )
    found = data(*call, *options)
    assert found["cost"] == "training_memory" and found["convention"] == measure.describe()
    assert data(*call)["cost"] == "params"


# --- The rule of thumb: C = 6 N per token -----------------------------------------------------


def test_training_flops_per_token_of_gpt2_are_6_n_plus_attention() -> None:
    """On the gpt2 example, with T tokens a sequence, L blocks of width d and a vocabulary of V:

    MACs per sequence: each block 12*T*d^2 (Q, K, V and output projections 4*T*d^2, the MLP's
    two 4d-wide layers 8*T*d^2) + 2*T^2*d (QK^T and the weighted values); the head T*d*V (tied
    to the embedding, but computed). Training = 3 forward passes of 2 FLOPs per MAC, so per token:

        training FLOPs / T = 6*(12*L*d^2) + 6*d*V + 12*L*T*d

    The non-embedding parameters N' = L*(12*d^2 + 13*d) + 2*d (the matrices, then biases and
    LayerNorms, which cost no MACs). Exactly:

        training FLOPs / T = 6*N' + 12*L*T*d + 6*d*V - 6*(13*L + 2)*d

    6*N' is Kaplan et al.'s C = 6N; 12*L*T*d the attention context term (3 x their
    2*n_layer*n_ctx*d_attn x 2, as symcount counts full T x T attention); 6*d*V the de-embedding,
    which their Table 1 lists but leaves out of the non-embedding total; the last term the
    biases and norms, which N' holds but no MAC touches.
    """
    spec = load_spec("gpt2")
    model = spec.model()
    T, d, L, V = symbols("T d L V")
    code, output = run("formula", "gpt2", "--cost", "training-flops")
    per_token = sympy.expand(parse_expression(output.splitlines()[0]) / T)
    assert per_token == sympy.expand(Measure("training_flops").total(model) / T)
    embeddings = ("Embedding", "PositionEmbedding")
    n_prime = sympy.expand(sum(row.params for row in model.rows if row.kind not in embeddings))
    assert sympy.expand(n_prime - (L * (12 * d**2 + 13 * d) + 2 * d)) == 0
    attention = 12 * L * T * d
    assert sympy.expand(per_token - (6 * n_prime + attention + 6 * d * V - 6 * (13 * L + 2) * d)) == 0
    # Kaplan et al. (2020): N = 2*d*n_layer*(2*d_attn + d_ff) = 12*L*d^2, C_forward = 2N + 2*L*T*d.
    kaplan_n = 2 * d * L * (2 * d + 4 * d)
    c_forward = 2 * kaplan_n + 2 * L * T * d
    assert sympy.expand(per_token - (3 * c_forward + 3 * 2 * L * T * d + 6 * d * V)) == 0
    # At GPT-2 small's sizes: 6N' is the bulk; attention and the head add 22% and 45% to 6N.
    values = {T: 1024, d: 768, L: 12, V: 50257}
    assert n_prime.subs(values) == 85_056_000
    assert per_token.subs(values) == 6 * 84_934_656 + 113_246_208 + 231_584_256 == 854_438_400
    assert total("gpt2", "--cost", "training-flops") == 1024 * 854_438_400


def test_memory_in_peoples_units() -> None:
    # Issue 20 item 11: bytes with a rounded figure in both named bases; budgets with units;
    # bf16, fp16, fp8, int4 (half a byte, exact until rounded up to whole bytes per tensor).
    from symcount import build
    from symcount.costs import Convention
    from symcount.values import as_amount

    model = build("lesson-cnn")
    weights = [w.size for row in model.rows for w in row.weights]  # 90, 10, 900, 10, 23520, 3
    nibbles = sum((int(size) + 1) // 2 for size in weights)
    assert model.cost("memory", dtype="int4") == nibbles == 12_267
    assert model.cost("memory", dtype="bf16") == model.cost("memory", dtype="bfloat16") == 2 * 24_533
    assert model.cost("memory", dtype="fp8") == 24_533 and Convention("fp16").dtype == "float16"
    runner = CliRunner()
    result = runner.invoke(main, ["count", "llama2-7b", "--cost", "memory", "--dtype", "fp16"])
    total = 2 * 6_738_415_616
    assert result.exit_code == 0
    assert f"{total:,} bytes ({total / 1e9:.2f} GB decimal, {total / 2**30:.2f} GiB binary)" in result.output
    assert as_amount("24GB") == (24 * 10**9, "GB") and as_amount("80GiB") == (80 * 2**30, "GiB")
    result = runner.invoke(
        main,
        [
            "solve",
            "llama2-7b",
            "--for",
            "L",
            "--budget",
            "80GiB",
            "--cost",
            "memory",
            "--dtype",
            "bf16",
            "--json",
        ],
    )
    found = json.loads(result.output)["value"]
    per_layer = build("llama2-7b", {"L": 2}).cost("memory", dtype="bf16") - build("llama2-7b", {"L": 1}).cost(
        "memory", dtype="bf16"
    )
    at = build("llama2-7b", {"L": found}).cost("memory", dtype="bf16")
    assert at <= 80 * 2**30 < at + per_layer
    for budget, fragment in [("80GiB", "memory budget"), ("80GiX", "unknown unit 'GiX'")]:
        result = runner.invoke(main, ["solve", "llama2-7b", "--for", "L", "--budget", budget])
        assert result.exit_code == 2 and fragment in result.output and len(result.output.splitlines()) == 1


def test_memory_options_and_budgets_in_bytes() -> None:
    # A parallel degree may be a symbol that --set gives; a budget may carry a unit of bytes.
    options = ["--cost", "training-memory", "--precision", "mixed", "--zero", "3"]
    assert total("lesson-cnn", *options, "--dp", "G", "--set", "G=5") == total(
        "lesson-cnn", *options, "--dp", "5"
    )
    found = data(
        "solve", "lesson-cnn", "--for", "B", "--batch", "B", "--budget", "1MiB", "--cost", "activation-memory"
    )
    # 65,868 bytes an example (test_count_every_cost): 15 fit in 1,048,576 bytes, 16 do not.
    assert (found["value"], found["total"]) == (15, 15 * 65_868)
    assert (
        data(
            "solve",
            "lesson-cnn",
            "--for",
            "B",
            "--batch",
            "B",
            "--budget",
            "1e6B",
            "--cost",
            "activation-memory",
        )["value"]
        == 10**6 // 65_868
    )
    for args, message in [
        (["--zero", "5"], "--zero"),
        (["--attention", "flash"], "--attention must be one of eager, sdpa. Received: 'flash'"),
        (["--dp", "x-1"], "--dp must be a positive whole number or a symbol's name. Received: 'x-1'"),
        (["--recompute", "some"], "--recompute must be one of none, full, selective"),
    ]:
        code, output = run("count", "lesson-cnn", "--cost", "training-memory", *args)
        assert code == 2 and message in output and len(output.strip().splitlines()) == 1
