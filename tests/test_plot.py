"""Plots: real PNGs of the requested size, whose plotted data are the exact counts."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from symcount import SymcountError, load_spec
from symcount.model import Model
from symcount.plot import plot_counts, plot_models


def lesson(name: str) -> tuple[Model, dict[str, Any]]:
    spec = load_spec(name)
    model = spec.model()
    return model, spec.values_for(model, {})


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header: the signature, then the IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_total_against_a_symbol(tmp_path: Path) -> None:
    model, values = lesson("lesson-cnn")
    path = tmp_path / "total.png"
    data = plot_counts(model, "f=1:64:3", values, path=path, size=(640, 480))
    assert png_size(path) == (640, 480)
    assert data.x == tuple(range(1, 65, 3)) and not data.stacked
    assert data.series["total"] == tuple(model.count({**values, "f": x}) for x in data.x)


def test_stacked_layers_add_up_to_the_count(tmp_path: Path) -> None:
    model, values = lesson("lesson-dense")
    path = tmp_path / "layers.png"
    data = plot_counts(model, ("h1", [4, 16, 64]), values, y="per-layer", path=path, size=(333, 257))
    assert png_size(path) == (333, 257) and data.stacked and data.other == ()
    assert list(data.series) == ["flatten", "dense", "dense_1", "dense_2"]
    for i, x in enumerate(data.x):
        point = {**values, "h1": x}
        assert [data.series[name][i] for name in data.series] == [
            int(r.params) for r in model.subs(point).rows
        ]
        assert sum(series[i] for series in data.series.values()) == model.count(point)


def test_two_models_on_one_axis(tmp_path: Path) -> None:
    dense, dense_values = lesson("lesson-dense")
    cnn, cnn_values = lesson("lesson-cnn")
    path = tmp_path / "both.png"
    models = [("dense", dense, dense_values), ("cnn", cnn, cnn_values)]
    data = plot_models(models, "H=8:64:8", path=path)
    assert png_size(path) == (800, 600)
    assert data.series["dense"] == tuple(dense.count({**dense_values, "H": x}) for x in data.x)
    assert data.series["cnn"] == tuple(cnn.count({**cnn_values, "H": x}) for x in data.x)


def test_plot_refusals(tmp_path: Path) -> None:
    model, values = lesson("lesson-cnn")
    with pytest.raises(SymcountError, match="'total' or 'per-layer'"):
        plot_counts(model, "f=1:4", values, y="stacked")
    with pytest.raises(SymcountError, match="between 50 and 10000"):
        plot_counts(model, "f=1:4", values, size=(10, 10))


# The first bytes each format starts with: the file is what its extension says.
SIGNATURES = {
    ".png": b"\x89PNG",
    ".svg": b"<?xml",
    ".pdf": b"%PDF",
    ".jpg": b"\xff\xd8\xff",
    ".JPEG": b"\xff\xd8\xff",
}


@pytest.mark.parametrize("suffix", sorted(SIGNATURES))
def test_the_extension_chooses_the_format(tmp_path: Path, suffix: str) -> None:
    model, values = lesson("lesson-dense")
    path = tmp_path / f"plot{suffix}"
    plot_counts(model, "h1=1:9:4", values, path=path, size=(200, 150))
    assert path.read_bytes().startswith(SIGNATURES[suffix])


def test_an_unknown_extension_is_refused_before_drawing(tmp_path: Path) -> None:
    model, values = lesson("lesson-dense")
    path = tmp_path / "plot.bmp"
    with pytest.raises(SymcountError, match=r"\.png, \.svg, \.pdf, \.jpg.*plot\.bmp.*\(\.bmp\)"):
        plot_counts(model, "h1=1:9:4", values, path=path)
    with pytest.raises(SymcountError, match=r"\(\.gif\)"):
        plot_models([("a", model, values)], "h1=1:9:4", path=tmp_path / "both.gif")
    assert not path.exists()


def test_log_axes_draw_lines_not_stacked_areas(tmp_path: Path) -> None:
    model, values = lesson("lesson-dense")
    data = plot_counts(model, ("h1", [4, 16, 64]), values, y="per-layer", log=True, path=tmp_path / "log.png")
    assert not data.stacked and list(data.series) == ["flatten", "dense", "dense_1", "dense_2"]


def test_big_models_show_their_largest_layers_and_the_rest_as_other(tmp_path: Path) -> None:
    spec = load_spec("resnet-50")
    model = spec.model()
    values = {k: v for k, v in spec.values_for(model, {}).items() if k != "w"}
    data = plot_counts(model, ("w", [16, 64]), values, y="per-layer", path=tmp_path / "r.png", default=64)
    assert list(data.series)[-1] == "other" and len(data.series) == 9
    assert len(data.other) == len(model.rows) - 8
    for i, x in enumerate(data.x):
        # The 8 kept are the largest, and with "other" they still add up to the count.
        counts = {row.name: int(row.params) for row in model.subs({**values, "w": x}).rows}
        assert sum(series[i] for series in data.series.values()) == sum(counts.values())
        if x == max(data.x):  # the 8 kept are the largest where the layers are largest
            kept = [name for name in data.series if name != "other"]
            assert min(counts[name] for name in kept) >= max(counts[name] for name in data.other)
    # The spec's point is marked, and the held values are listed.
    assert data.default == 64 and ("K", "1000") in data.held and all(name != "w" for name, _ in data.held)


def test_plots_people_can_read(tmp_path: Path) -> None:
    # Issue 20 item 8. y ticks in rounded units; a series drawn over another (llama's lm_head and
    # embed_tokens, both V*d) says so; a grid the model partly refuses (heads must divide d) plots
    # the points it can and says how many it skipped and why; compare marks each default and
    # says what each model holds.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401

    from symcount.plot import _draw, rounded

    assert [rounded(v) for v in (17_500_000_000, 1500, 999, 2e12)] == ["17.5B", "1.5K", "999", "2T"]
    assert rounded(12.5e9, "bytes") == "12.5 GB"

    from matplotlib.figure import Figure

    axes = Figure().add_subplot()
    _draw(axes, (1, 2), {"embed_tokens": (3, 4), "lm_head": (3, 4), "norm": (1, 1)})
    assert [line.get_label() for line in axes.get_lines()] == [
        "embed_tokens",
        "lm_head (= embed_tokens)",
        "norm",
    ]

    model, values = lesson("gpt2")
    values = {k: v for k, v in values.items() if k != "d"}
    data = plot_counts(model, "d=60:132:12", values, path=tmp_path / "gpt2.png")
    assert data.x == (60, 72, 84, 96, 108, 120, 132) and data.skipped == ()  # all multiples of 12
    data = plot_counts(model, "d=64:256:32", values, path=tmp_path / "gpt2.png")
    assert data.x == (96, 192) and data.skipped == (64, 128, 160, 224, 256)
    assert "num_heads=12" in data.reason and data.series["total"] == tuple(
        model.count({**values, "d": d}) for d in data.x
    )

    small, medium = (lesson(name) for name in ("gpt2", "gpt2-medium"))
    models = [
        (name, m, {k: v for k, v in vals.items() if k != "L"})
        for name, (m, vals) in zip(("a", "b"), (small, medium))
    ]
    data = plot_models(models, "L=1:30", path=tmp_path / "c.png", defaults=[12, 24])
    assert dict(data.held)["a"].startswith("V=50257") and "h=16" in dict(data.held)["b"]
