"""`symcount import` / `from_torch`: specs read from PyTorch and Hugging Face factories, their
numbers lifted to the sizes, their counts verified; the expected formulas are derived here."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
import yaml
from click.testing import CliRunner

import symcount
from symcount import SymcountError
from symcount.cli import main
from symcount.importing.lift import channels
from symcount.spec import load_spec, parse_spec
from tests import factories
from tests.frameworks import keras, torch

pytestmark = pytest.mark.frameworks

d, h, k, L, V, T, f, C, H, W = symcount.symbols("d h k L V T f C H W")
FACTORIES = str(Path(__file__).with_name("factories.py"))


def transformers() -> None:
    torch()
    pytest.importorskip("transformers")


def test_mlp() -> None:
    torch()
    imported = symcount.from_torch(factories.mlp, d=8, h=16, k=3)
    model = imported.model()
    assert model.params == d * h + h + h * k + k
    assert [row.name for row in model.rows] == ["dense_0", "dense_2"]
    assert imported.spec.input == ("d",) or list(imported.spec.input) == [d]
    assert len(imported.checked) == 3 and imported.sizes == {"d": 8, "h": 16, "k": 3}
    assert "  - dense: {units: h}  # 0 (Linear)\n    name: dense_0\n" in imported.to_yaml()


def test_llama_gives_the_issues_formula() -> None:
    transformers()
    imported = symcount.from_torch(factories.llama, d=64, L=2, f=128, V=100)
    assert sympy.expand(imported.model().params - d * (4 * L * d + 3 * L * f + 2 * L + 2 * V + 1)) == 0
    data = yaml.safe_load(imported.to_yaml())
    assert data["layers"][1] == {"repeat": {"times": "L", "block": "model_layers"}, "name": "model_layers"}
    block = data["blocks"]["model_layers"]
    # SwiGLU: the gate and up projections multiplied, then down; RMS norms without a bias.
    assert block[6] == {"multiply": {}, "name": "mlp_multiply_0", "inputs": ["mlp_gate_proj", "mlp_up_proj"]}
    assert block[1] == {"multi_head_attention": {"num_heads": 4, "use_bias": False}, "name": "self_attn"}
    assert block[0]["layer_normalization"] == {"center": False}


def test_gpt2_ties_its_head_and_equals_the_gpt2_example() -> None:
    transformers()
    imported = symcount.from_torch(factories.gpt2, d=64, L=2, V=100, T=32)
    # The hand-written example: d*(12*L*d + 13*L + T + V + 2), with T positions.
    assert sympy.expand(imported.model().params - load_spec("gpt2").model().params) == 0
    head = yaml.safe_load(imported.to_yaml())["layers"][-1]
    assert head == {"dense": {"units": "V", "use_bias": False}, "name": "lm_head", "tie": "transformer_wte"}


def test_bert() -> None:
    transformers()
    imported = symcount.from_torch(factories.bert, d=64, L=2, V=100, f=96)
    # Per layer: attention 4d^2 + 4d, two LayerNorms 4d, the MLP 2df + f + d. Embeddings: V, 32
    # positions and 2 token types of width d, their LayerNorm 2d; the pooler d^2 + d.
    expected = L * (4 * d**2 + 9 * d + 2 * d * f + f) + (V + 32 + 2) * d + 2 * d + d**2 + d
    assert sympy.expand(imported.model().params - expected) == 0


def test_the_zoos_gpt2_twin_equals_the_hand_written_spec() -> None:
    torch()
    from tests.test_zoo_transformers import gpt2_twin

    imported = symcount.from_torch(gpt2_twin, V=100, T=16, d=32, L=2, h=4)
    assert sympy.expand(imported.model().params - load_spec("gpt2").model().params) == 0


def test_an_already_built_model_is_all_numbers() -> None:
    t = torch()
    imported = symcount.from_torch_model(t.nn.Sequential(t.nn.Linear(5, 7), t.nn.Linear(7, 2)))
    assert imported.model().params == 5 * 7 + 7 + 7 * 2 + 2 and imported.model().symbols == ()


def test_cnn_channels_first() -> None:
    # framework: torch specs are channels-first, as PyTorch: `channels` keeps (C, H, W).
    torch()
    assert channels([C, H, W]) == [C, H, W]
    imported = symcount.from_torch(factories.cnn, input=("C", "H", "W"), C=3, H=16, W=12, f=8)
    assert [str(d) for d in imported.spec.input] == ["C", "H", "W"]
    # conv 9Cf + f, BatchNorm 2f, Linear 10 f floor(H/2) floor(W/2) + 10.
    expected = 9 * C * f + f + 2 * f + 10 * f * sympy.floor(H / 2) * sympy.floor(W / 2) + 10
    assert sympy.simplify(imported.model().params - expected) == 0


@pytest.mark.parametrize(
    ("factory", "sizes", "message"),
    [
        (
            factories.unknown_layer,
            {"d": 4},
            "1: no symcount layer for the PyTorch module PReLU (4 parameters)",
        ),
        (factories.power_width, {"k": 3}, "0: units: no polynomial of degree <= 2 in k gives its values"),
        (
            factories.with_a_class_token,
            {"d": 4},
            "token: a parameter added to the data ((4,)) that is no position embedding",
        ),
        (factories.never_called, {"d": 4}, "spare: has parameters but the forward pass never called it"),
    ],
)
def test_what_cannot_be_imported_is_refused(factory: object, sizes: dict[str, int], message: str) -> None:
    torch()
    with pytest.raises(SymcountError) as error:
        symcount.from_torch(factory, **sizes)  # type: ignore[arg-type]
    assert message in str(error.value)


def test_grouped_query_attention() -> None:
    # 4*kv query heads share kv key/value heads, each d/8 wide: the formula derived in
    # factories.llama_gqa. The key/value heads are read from k_proj's width, not from the key's
    # shape (Hugging Face may repeat the key/value heads before the product).
    transformers()
    (kv,) = symcount.symbols("kv")
    imported = symcount.from_torch(factories.llama_gqa, d=64, L=2, f=96, V=100, kv=2)
    expected = d * (L * (sympy.Rational(5, 4) * kv * d + 3 * f + 2) + 2 * V + 1)
    assert sympy.expand(imported.model().params - expected) == 0
    block = yaml.safe_load(imported.to_yaml())["blocks"]["model_layers"]
    assert block[1] == {
        "group_query_attention": {
            "head_dim": "d/8",
            "num_query_heads": "4*kv",
            "num_key_value_heads": "kv",
            "use_bias": False,
        },
        "name": "self_attn",
    }


def test_grouped_query_attention_with_fixed_heads() -> None:
    # 4 query heads of d/4 and 2 key/value heads: q and o d**2 each, k and v d**2/2 each, so 3*d**2;
    # SwiGLU 3*d*(2*d), two norms 2*d per block; embedding and head 50*d each, the final norm d.
    transformers()
    imported = symcount.from_torch(factories.grouped_llama, d=64, L=2)
    assert sympy.expand(imported.model().params - (9 * L * d**2 + 2 * L * d + 101 * d)) == 0


def test_a_forward_of_several_inputs_asks_for_them_by_name() -> None:
    # The zoo's BERT twin reads token ids and segments.
    torch()
    from tests.test_zoo_transformers import bert_twin

    with pytest.raises(
        SymcountError, match="forward takes more inputs than it was given .*'segments'.*give each by name"
    ):
        symcount.from_torch(lambda d: bert_twin(500, 64, 2, d, 2, 4, 4 * d), d=64)


def test_cli_import_round_trips(tmp_path: Path) -> None:
    transformers()
    out = tmp_path / "llama.yaml"
    runner = CliRunner()
    args = [
        "import",
        f"{FACTORIES}:llama",
        "--size",
        "d=64",
        "--size",
        "L=2",
        "--size",
        "f=128",
        "--size",
        "V=100",
    ]
    result = runner.invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out}: llama, 4 entries, verified at 4 sizes")
    result = runner.invoke(main, ["formula", str(out), "--form", "factor"])
    assert result.output == "d*(4*L*d + 3*L*f + 2*L + 2*V + 1)\n"
    # d=64, L=2, f=128, V=100: 64 * (512 + 768 + 4 + 200 + 1) = 95,040.
    assert runner.invoke(main, ["count", str(out)]).output.startswith("llama: 95,040 parameters")


def test_cli_import_mistakes_are_one_line() -> None:
    torch()
    result = CliRunner().invoke(main, ["import", f"{FACTORIES}:unknown_layer", "--size", "d=4"])
    assert (
        result.exit_code == 2
        and result.output == "Error: 1: no symcount layer for the PyTorch module PReLU (4 parameters)\n"
    )


def test_keras_sequential_cnn() -> None:
    keras()
    imported = symcount.from_keras(factories.keras_cnn, H=16, W=12, f=8)
    # Keras' BatchNorm counts its moving statistics: 4f; conv 27f + f; Dense on the pooled map.
    expected = 27 * f + f + 4 * f + 10 * f * sympy.floor(H / 2) * sympy.floor(W / 2) + 10
    assert sympy.simplify(imported.model().params - expected) == 0
    assert imported.spec.framework == "keras" and list(imported.spec.input) == [H, W, 3]


def test_keras_functional_residual() -> None:
    keras()
    imported = symcount.from_keras(factories.keras_residual, d=6)
    assert imported.model().params == 2 * d + d**2 + d + d + 1
    add = yaml.safe_load(imported.to_yaml())["layers"][2]
    assert add == {"add": {}, "name": "add", "inputs": ["input", "dense"]}


def test_cli_import_a_keras_factory() -> None:
    keras()
    result = CliRunner().invoke(main, ["import", f"{FACTORIES}:keras_mlp", "--size", "d=8", "--size", "h=5"])
    assert result.exit_code == 0, result.output
    assert (
        "framework: keras\n" in result.output and "  - dense: {units: h}  # Dense hidden\n" in result.output
    )


def test_a_missing_framework_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from symcount.importing.frameworks import require

    monkeypatch.setitem(sys.modules, "transformers", None)  # as if it were not installed
    with pytest.raises(SymcountError) as error:
        require("transformers")
    assert (
        str(error.value)
        == "Hugging Face transformers is not installed; pip install 'symcount[import]' installs it"
    )


def test_a_wrong_reading_is_caught_by_the_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    # If the reader got a layer wrong (here: the last Linear read one unit wider), the spec's count
    # differs from PyTorch's, and the error names the first layer that differs.
    torch()
    from symcount.importing import torch_layers

    describe = torch_layers.describe

    def wrong(module: object, path: str, shapes: object = None) -> object:
        found = describe(module, path, shapes)  # type: ignore[arg-type]
        if path == "2" and found is not None:
            key, args = found[0]
            return [(key, {**args, "units": module.out_features + 1})]  # type: ignore[attr-defined]
        return found

    monkeypatch.setattr(torch_layers, "describe", wrong)
    with pytest.raises(SymcountError) as error:
        symcount.from_torch(factories.mlp, d=8, h=16, k=3)
    # At d=8, h=16, k=3: PyTorch 8*16 + 16 + 16*3 + 3 = 195; the spec's last layer 16*4 + 4 = 68.
    assert str(error.value) == (
        "the imported spec counts 212 parameters at d=8, h=16, k=3, PyTorch 195; "
        "first layer that differs: dense_2 (68) against 2 (51)"
    )


def test_the_zoos_lenet_twin_equals_the_hand_written_spec() -> None:
    # Channels-first, as PyTorch (see test_cnn_channels_first). Kernel sizes drawn wider than the
    # image are skipped, not errors.
    torch()
    from tests.test_zoo_cnn import lenet_twin

    sizes = {"H": 32, "W": 32, "C": 1, "f1": 6, "f2": 16, "k": 5, "d1": 120, "d2": 84, "K": 10}
    imported = symcount.from_torch(lenet_twin, input=("C", "H", "W"), **sizes)
    assert sympy.simplify(imported.model().params - load_spec("lenet-5").model().params) == 0
    assert imported.model().count(sizes) == 61_706  # LeNet-5's published count


def test_the_zoos_resnet18_twin_equals_the_hand_written_spec() -> None:
    # torchvision's ResNet stages: a stage's first block has a projection (and the stride), the
    # others are alike, so block 0 stands on its own and a repeat of n - 1 follows. (Two depths
    # and the classes fixed keep the builds few.)
    torch()
    from tests.test_zoo_cnn import resnet_twin

    def resnet18(C: int, w: int, n2: int, n3: int, H: int, W: int) -> object:
        return resnet_twin(False, [2, n2, n3, 2], w, 1000, C)

    sizes = {"C": 3, "w": 8, "n2": 3, "n3": 2, "H": 32, "W": 32}
    imported = symcount.from_torch(resnet18, input=("C", "H", "W"), **sizes)
    data = yaml.safe_load(imported.to_yaml())
    assert [e["repeat"] for e in data["layers"] if "repeat" in e] == [
        {"times": "n2 - 1", "block": "layer2"},
        {"times": "n3 - 1", "block": "layer3"},
    ]  # stages 1 and 4, of depths that are no size, are read block by block
    fixed = {"n1": 2, "n4": 2, "K": 1000}
    hand = load_spec("resnet-18").model().params
    hand = hand.subs({s: fixed[s.name] for s in hand.free_symbols if s.name in fixed})
    assert sympy.expand(imported.model().params - hand) == 0
    assert imported.model().count({**sizes, "w": 64, "n2": 2, "n3": 2, "H": 224, "W": 224}) == 11_689_512


def test_the_zoos_resnet50_twin_equals_the_hand_written_spec() -> None:
    # Bottleneck blocks widen 4x: even stage 1's first block has a projection.
    torch()
    from tests.test_zoo_cnn import resnet_twin

    def resnet50(C: int, w: int, n3: int, H: int, W: int) -> object:
        return resnet_twin(True, [3, 4, n3, 3], w, 1000, C)

    sizes = {"C": 3, "w": 8, "n3": 2, "H": 32, "W": 32}
    imported = symcount.from_torch(resnet50, input=("C", "H", "W"), **sizes)
    data = yaml.safe_load(imported.to_yaml())
    assert [e["repeat"] for e in data["layers"] if "repeat" in e] == [{"times": "n3 - 1", "block": "layer3"}]
    fixed = {"n1": 3, "n2": 4, "n4": 3, "K": 1000}
    hand = load_spec("resnet-50").model().params
    hand = hand.subs({s: fixed[s.name] for s in hand.free_symbols if s.name in fixed})
    assert sympy.expand(imported.model().params - hand) == 0
    assert imported.model().count({**sizes, "w": 64, "n3": 6, "H": 224, "W": 224}) == 25_557_032
    assert (
        imported.model().count({**sizes, "w": 64, "n3": 23, "H": 224, "W": 224}) == 44_549_160
    )  # ResNet-101


def test_a_stage_of_one_block_counts_as_torch() -> None:
    # Block 0 stands on its own and a repeat of n2 - 1 follows: at n2 = 1 the repeat is empty.
    torch()
    from tests.test_zoo_cnn import resnet_twin

    def resnet(C: int, w: int, n2: int, H: int, W: int) -> object:
        return resnet_twin(False, [2, n2, 2, 2], w, 10, C)

    imported = symcount.from_torch(resnet, input=("C", "H", "W"), C=3, w=8, n2=2, H=32, W=32)
    for n2 in (1, 2, 5):
        with torch().device("meta"):
            twin = resnet(3, 8, n2, 32, 32)
        expected = sum(p.numel() for p in twin.parameters())  # type: ignore[attr-defined]
        assert imported.model().count({"C": 3, "w": 8, "n2": n2, "H": 32, "W": 32}) == expected


def test_a_trailing_residual_add_is_in_the_spec() -> None:
    # `return y + self.b(y)`: no module reads the add, the model's output does; it used to be lost
    # silently (the count is the same without it).
    torch()
    imported = symcount.from_torch(factories.trailing_residual, d=8)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert layers[-1] == {"add": {}, "name": "add_0", "inputs": ["a", "b"]}
    assert imported.model().params == 2 * (d * d + d)


def test_an_in_place_residual_add_is_in_the_spec() -> None:
    # `out += identity` returns the tensor it changed: the add is its new producer.
    torch()
    imported = symcount.from_torch(factories.inplace_residual, d=8)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [next(iter(e)) for e in layers] == ["dense", "dense", "add", "dense"]
    assert layers[2]["inputs"] == ["b", "a"]


def test_branches_joined_by_cat_and_a_shared_layer() -> None:
    torch()
    joined = yaml.safe_load(symcount.from_torch(factories.two_branches, d=8, h=4).to_yaml())["layers"]
    assert joined[2] == {"concatenate": {"axis": 1}, "name": "concatenate_0", "inputs": ["left", "right"]}
    shared = symcount.from_torch(factories.shared_layer, d=8)
    layers = yaml.safe_load(shared.to_yaml())["layers"]
    assert layers[1] == {"use": "shared", "name": "shared_2"}
    # The shared Linear's weights count once, its products twice: d*d MACs per call.
    assert shared.model().params == d * d + d + 3 * d + 3
    assert sympy.expand(shared.model().macs - (2 * d * d + 3 * d)) == 0


def test_a_lost_operation_is_caught_by_the_flops_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # Break the trace on purpose: drop `x[:, 0]` (the pooler then reads every token). The parameter
    # count cannot see it; FlopCounterMode's count of the same forward pass does.
    torch()
    from symcount.importing import trace

    imported = symcount.from_torch(factories.first_token, input=("T", "d"), T=6, d=8)
    assert yaml.safe_load(imported.to_yaml())["layers"][1]["select"] == {"dim": 1, "index": 0}
    monkeypatch.setattr(trace, "_selection", lambda node, before: None)
    with pytest.raises(SymcountError) as error:
        symcount.from_torch(factories.first_token, input=("T", "d"), T=6, d=8)
    # PyTorch: proj 6*8*8 and pool 8*8 MACs, 2 FLOPs each: 896; the spec's pool on 6 tokens: 1,536.
    assert str(error.value) == (
        "the imported spec counts 1,536 FLOPs at T=6, d=8, PyTorch's FlopCounterMode 896; first module "
        "whose operations differ: pool (Linear: 768 FLOPs in the spec, 128 in PyTorch)"
    )


def test_cli_input_takes_numbers_expressions_and_refuses_unknown_names() -> None:
    torch()
    runner = CliRunner()
    base = ["import", f"{FACTORIES}:first_token", "--size", "T=3", "--size", "d=8"]
    result = runner.invoke(main, [*base, "--input", "2*T,d"])
    assert result.exit_code == 0, result.output
    assert "input: [2*T, d]\n" in result.output
    assert "input: [6, d]\n" in runner.invoke(main, [*base, "--input", "6,d"]).output
    result = runner.invoke(main, [*base, "--input", "T,e"])
    assert result.exit_code == 2
    assert result.output == "Error: the input names 'e', which is not one of the sizes (T, d)\n"


def test_functional_spatial_operations_are_layers() -> None:
    torch()
    imported = symcount.from_torch(factories.functional_cnn, input=("C", "8", "8"), C=3, f=4)
    keys = [next(iter(e)) for e in yaml.safe_load(imported.to_yaml())["layers"]]
    assert keys == ["zero_padding2d", "conv2d", "upsample", "global_average_pooling2d", "dense"]
    # conv 3x3 on the 10x10 padded image: 8x8 outputs of 9*C*f MACs; head f*2.
    assert imported.model().cost("macs", {"C": 3, "f": 4}) == 8 * 8 * 9 * 3 * 4 + 4 * 2
    assert imported.model().rows[2].output_shape == (f, 16, 16)


def test_a_reshape_of_tokens_holds_at_any_length() -> None:
    # The example has 8 tokens; the reshape's token axis is written -1, so the spec holds at any
    # length: d numbers per token, then Linear(1, 3) on each: tokens * d * 3 MACs.
    torch()
    imported = symcount.from_torch(factories.token_heads, V=50, d=8)
    reshape = yaml.safe_load(imported.to_yaml())["layers"][1]
    assert reshape["reshape"] == {"target_shape": [-1, "d", 1]}
    (tokens,) = symcount.symbols("tokens")
    assert sympy.expand(imported.model().macs - 3 * d * tokens) == 0


@pytest.mark.parametrize("seed", range(4))
def test_a_product_with_a_depth_is_not_read_as_a_line(seed: int) -> None:
    # The builds are chosen cheap, so most have one block; a line through them can take L*d for
    # d + (L - 1)*16. The first fresh build gives every size a value the fit never saw, so the
    # check sees it: the head is L*d wide at any depth.
    torch()
    imported = symcount.from_torch(factories.widening_head, d=16, L=2, seed=seed)
    # blocks L*(d*d + d), head d*(L*d) + L*d
    assert sympy.expand(imported.model().params - (2 * L * d * d + 2 * L * d)) == 0
    seen = {imported.sizes["L"]} | {1}
    assert any(point["L"] not in seen for point in imported.checked)


def test_an_import_reads_few_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    # n + 1 builds determine a line in n sizes, and 3 fresh builds check it: 7 forward passes for
    # the mlp's 3 sizes, each traced once, 4 of them (the user's and the fresh ones) with
    # FlopCounterMode on in the same pass.
    torch()
    from symcount.importing import lift

    calls: list[bool] = []
    read = lift.read

    def counting(model: object, example: object, flops: bool = False) -> object:
        calls.append(flops)
        return read(model, example, flops)  # type: ignore[arg-type]

    monkeypatch.setattr(lift, "read", counting)
    symcount.from_torch(factories.mlp, d=8, h=16, k=3)
    assert (len(calls), sum(calls)) == (7, 4)


@pytest.mark.parametrize("factory", [factories.sequential_of_blocks, factories.sequential_of_pairs])
def test_a_sequential_of_changing_length_is_a_repeat_between_its_ends(factory: object) -> None:
    # Sequential(stem, *blocks, head) and the flat [Linear, ReLU, ..., Linear] list: the stem and
    # the head stay layers of their own, the blocks (a child, or a pair of children) a repeat of L.
    torch()
    imported = symcount.from_torch(factory, input=("4",), d=8, L=2)  # type: ignore[arg-type]
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [next(iter(layer)) for layer in layers] == ["dense", "repeat", "dense"]
    assert layers[1]["repeat"]["times"] == "L"
    # stem 4d + d, L blocks of d*d + d, head 3d + 3
    assert sympy.expand(imported.model().params - (5 * d + L * (d * d + d) + 3 * d + 3)) == 0


def test_a_frozen_module_imports_as_not_trainable() -> None:
    # requires_grad=False on the table: `trainable: false`, checked against PyTorch's split.
    torch()
    imported = symcount.from_torch(factories.frozen_embedding, V=50, d=8)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert layers[0]["trainable"] is False and "trainable" not in layers[1]
    model = imported.model()
    assert (model.trainable, model.non_trainable) == (3 * d + 3, V * d)
    with pytest.raises(
        SymcountError, match=r"^0: some of its parameters are frozen \(requires_grad=False\), others not"
    ):
        symcount.from_torch(factories.half_frozen, d=8)
    # The YAML as written says so too.
    assert parse_spec(yaml.safe_load(imported.to_yaml()), "spec").model().non_trainable == V * d


def test_a_frozen_keras_layer_imports_as_not_trainable() -> None:
    # A base frozen for transfer learning (`layer.trainable = False`): checked against Keras'
    # trainable_weights as well as count_params().
    keras()
    imported = symcount.from_keras(factories.keras_frozen_base, d=6, h=5)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [layer.get("trainable", True) for layer in layers] == [False, True]
    assert (imported.model().trainable, imported.model().non_trainable) == (h * 3 + 3, d * h + h)


def test_a_stack_is_a_concatenate_of_grown_inputs() -> None:
    # torch.stack([a, b], dim=1) on (B, d): each grown to (1, d), concatenated on that axis.
    torch()
    imported = symcount.from_torch(factories.stacked_branches, d=8)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [next(iter(layer)) for layer in layers] == [
        "dense", "dense", "reshape", "reshape", "concatenate", "flatten", "dense"
    ]  # fmt: skip
    assert imported.model().output_shape == (3,)


def test_an_lstm_with_a_projection_is_read() -> None:
    torch()
    imported = symcount.from_torch(factories.projected_lstm, input=("5", "d"), d=8, h=16)
    (layer,) = yaml.safe_load(imported.to_yaml())["layers"]
    assert layer["lstm"]["proj_size"] == "h/2"


def test_a_norm_with_its_activation_and_a_ceil_mode_pooling_are_read() -> None:
    torch()
    imported = symcount.from_torch(factories.pooled_norm_act, input=("C", "S", "S"), C=3, f=4, S=16)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [next(iter(layer)) for layer in layers] == [
        "conv2d", "batch_norm2d", "max_pooling2d", "flatten", "dense"
    ]  # fmt: skip
    assert layers[2]["max_pooling2d"] == {"pool_size": 3, "strides": 2, "ceil_mode": True}
    # Conv 3x3 to S-2; the pool's windows: ceil((S-2-3)/2) + 1 a side (floor would drop one).
    (S,) = symcount.symbols("S")
    pooled = imported.model().rows[2].output_shape[1]
    assert [pooled.subs(S, n) for n in range(8, 20)] == [-(-(n - 5) // 2) + 1 for n in range(8, 20)]


def test_per_channel_scales_are_layer_scales() -> None:
    torch()
    imported = symcount.from_torch(factories.scaled_blocks, input=("C", "8", "8"), C=3, f=4)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [next(iter(layer)) for layer in layers] == [
        "conv2d", "conv2d", "permute", "layer_scale", "permute", "add",
        "permute", "layer_scale", "permute", "global_average_pooling2d", "flatten", "dense",
    ]  # fmt: skip
    # 1x1 conv C*f + f, 3x3 conv 9*f*f + f, two scales f each, head 2*f + 2.
    assert sympy.expand(imported.model().params - (C * f + f + 9 * f**2 + f + 2 * f + 2 * f + 2)) == 0


def test_a_module_no_layer_reads_is_refused_by_name_when_its_operations_place_nothing() -> None:
    torch()
    with pytest.raises(
        SymcountError, match=r"^1: no symcount layer for the PyTorch module Mix \(16 parameters\)$"
    ):
        symcount.from_torch(factories.unread_module, d=4)


def test_a_mean_over_the_tokens_is_a_pooling() -> None:
    torch()
    imported = symcount.from_torch(factories.token_mean, input=("6", "4"), d=8, K=3)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [next(iter(layer)) for layer in layers] == [
        "dense",
        "permute",
        "global_average_pooling1d",
        "dense",
    ]
    # 6 tokens of Linear(4, d), then Linear(d, K) once.
    (K,) = symcount.symbols("K")
    assert sympy.expand(imported.model().macs - (6 * 4 * d + d * K)) == 0
    assert imported.model().output_shape == (K,)


def test_chunks_and_slices_of_channels_are_narrows() -> None:
    torch()
    imported = symcount.from_torch(factories.split_channels, input=("C", "6", "6"), C=3, f=4)
    layers = [next(iter(layer.items())) for layer in yaml.safe_load(imported.to_yaml())["layers"]]
    narrows = [args for key, args in layers if key == "narrow"]
    first, second = {"dim": 1, "start": 0, "length": "f"}, {"dim": 1, "start": "f", "length": "f"}
    assert sorted(narrows, key=str) == sorted([first, first, second], key=str)
    assert [key for key, _ in layers].count("concatenate") == 1
    # stem 1x1 C -> 2f on 6x6, branch 3x3 f -> f on 6x6, head f -> 2.
    assert sympy.expand(imported.model().macs - (36 * C * 2 * f + 36 * 9 * f * f + 2 * f)) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1, 2, 4), "positions 2 to 6 are out of range for an axis of 4. Received: start=2, length=4"),
        ((0, 0, 1), "dim 0 is the batch axis; narrow takes from another. Received: dim=0"),
        ((1, -1, 2), "start must be 0 or more. Received: start=-1"),
    ],
)
def test_a_narrow_outside_its_axis_is_refused(args: tuple[int, int, int], message: str) -> None:
    with pytest.raises(SymcountError, match=message.replace(".", r"\.")):
        _ = symcount.Sequential(symcount.Input(4, 3), symcount.Narrow(*args)).output_shape


def test_a_narrow_takes_a_run_of_one_axis() -> None:
    # (4, 3): positions 1..2 of the last axis, by a negative dim as PyTorch counts it.
    assert symcount.Sequential(symcount.Input(4, 3), symcount.Narrow(-1, 1, 2)).output_shape == (4, 2)


def test_an_in_place_add_into_a_slice_is_refused_not_lost() -> None:
    # The add would change the tensor the head reads, through a view: refused, with the rewrite.
    torch()
    with pytest.raises(
        SymcountError,
        match=r"^the model: an in-place add into a slice of a tensor read afterwards .* torch\.cat\(",
    ):
        symcount.from_torch(factories.slice_residual, d=4)


def test_an_in_place_add_to_a_slice_read_alone_is_an_add() -> None:
    torch()
    imported = symcount.from_torch(factories.sliced_then_residual, d=4)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [next(iter(layer)) for layer in layers] == ["dense", "narrow", "add", "dense"]


def test_nested_ceil_mode_pools_stay_one_expression() -> None:
    # A stride and padding within the window (GoogLeNet's MaxPool2d(3, 2, ceil_mode=True)): the last
    # window always starts inside the input, so no case is written, and four nested pools stay a
    # short expression (with the case, one import of GoogLeNet at a symbolic S took minutes),
    # equal to PyTorch's output at every length.
    nn = torch().nn
    (S,) = symcount.symbols("S")
    pools = [symcount.MaxPooling2D(3, 2, ceil_mode=True) for _ in range(4)]
    side = symcount.Sequential(symcount.Input(1, S, S), *pools, framework="torch").output_shape[1]
    assert not side.has(sympy.Piecewise)
    reference = nn.Sequential(*(nn.MaxPool2d(3, 2, ceil_mode=True) for _ in range(4)))
    for n in range(31, 70):
        assert side.subs(S, n) == reference(torch().zeros(1, 1, n, n, device="meta")).shape[-1]


def test_an_attention_by_hand_is_an_attention() -> None:
    # softmax(q @ k.T) @ v by matmul, q, k and v chunks of one Linear: the eager spelling of
    # scaled_dot_product_attention, one head of d.
    torch()
    imported = symcount.from_torch(factories.attention_by_hand, input=("5", "d"), d=8)
    (layer,) = yaml.safe_load(imported.to_yaml())["layers"]
    assert layer["multi_head_attention"] == {"num_heads": 1}


def test_a_mean_over_positions_with_the_channels_last_is_a_pooling() -> None:
    torch()
    imported = symcount.from_torch(factories.channels_last_mean, input=("C", "8", "8"), C=3, f=5)
    layers = yaml.safe_load(imported.to_yaml())["layers"]
    assert [next(iter(layer)) for layer in layers] == [
        "conv2d", "permute", "permute", "global_average_pooling2d", "dense"
    ]  # fmt: skip
    assert imported.model().output_shape == (3,)
