"""The explorer page (`symcount page`), in a real browser: headless Chromium from Debian's
`chromium` package driven by Selenium through Debian's `chromium-driver` (nothing downloads a
browser or a driver). Skipped, with the reason, where either is absent.

For every example (the zoo and the lesson's four networks), random points on the page's slider
grids are set through the sliders, and the page's total and every layer's `data-value` are
compared with what `symcount count --json` computes at the same values, for parameters and FLOPs;
where count refuses a point, the page's error line must be count's message. All points of a model
are set in one page load. Up to 100 valid points per model (SYMCOUNT_PAGE_POINTS), as many as the
reference (count, in Python) computes in SYMCOUNT_PAGE_SECONDS of CPU time per model (3 by
default, at least 10 points: the small models get their 100, EfficientNet and DenseNet ~20 on a
2-core machine); SYMCOUNT_PAGE_SECONDS=0 lifts the limit (every model gets 100: about 10 minutes).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from symcount.cli import main
from symcount.costs import Measure
from symcount.errors import SymcountError, one_line
from symcount.render.page import page
from symcount.spec import examples, load_spec

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
POINTS = int(os.environ.get("SYMCOUNT_PAGE_POINTS", "100"))
SECONDS = float(os.environ.get("SYMCOUNT_PAGE_SECONDS", "3"))
LEAST = min(10, POINTS)
COSTS = ("params", "flops")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip


def _browser() -> Any:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("needs selenium (pip install selenium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="symcount-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_script_timeout(300)
    return driver, profile


@pytest.fixture(scope="module")
def browser() -> Any:
    driver, profile = _browser()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


_PAGES: dict[str, tuple[str, Any]] = {}


def _example_page(tmp: Path, spec: str) -> tuple[str, Any]:
    """An example's page, made once for the tests that load it."""
    if spec not in _PAGES:
        _PAGES[spec] = _page_file(tmp, spec)
    return _PAGES[spec]


def _page_file(tmp: Path, spec: str, **options: Any) -> tuple[str, Any]:
    loaded = load_spec(spec)
    model = loaded.model()
    values = loaded.values_for(model, {}, defaults=True)
    made = page(model, values, description=loaded.description, **options)
    path = tmp / f"{loaded.name}.html"
    path.write_text(made.html, encoding="utf-8")
    return path.as_uri(), (loaded, model)


def _counts(loaded: Any, model: Any, point: dict[str, int]) -> dict[str, dict[str, Any]]:
    """What `symcount count --json --cost COST --set ...` computes for each cost (the command's own
    steps: the spec's values, --set's over them, substituted into the symbolic model), or its
    error line."""
    try:
        values = loaded.values_for(model, {k: str(v) for k, v in point.items()}, defaults=True)
        valued = model.xreplace(values)
        valued.counts()
        found = {}
        for cost in COSTS:
            measure = Measure(cost)
            found[cost] = {
                "total": str(int(measure.total(valued))),
                "layers": [[row.name, str(int(measure.row(valued, row)))] for row in valued.rows],
            }
        return found
    except SymcountError as error:
        return {cost: {"error": one_line(str(error))} for cost in COSTS}


def _count(loaded: Any, model: Any, point: dict[str, int], cost: str) -> dict[str, Any]:
    return _counts(loaded, model, point)[cost]


def _cli(spec: str, point: dict[str, int], cost: str) -> dict[str, Any]:
    sets = [a for name, value in point.items() for a in ("--set", f"{name}={value}")]
    result = CliRunner().invoke(main, ["count", spec, "--json", "--cost", cost, *sets])
    if result.exit_code:
        return {"error": result.output.strip().removeprefix("Error: ")}
    data = json.loads(result.output)
    key = "params" if cost == "params" else cost
    return {"total": str(data["total"]), "layers": [[r["name"], str(r[key])] for r in data["layers"]]}


# Set each point through the sliders (an `input` event each, as a hand would), then read the DOM.
SET_AND_READ = """
const [points, costs, key] = arguments;
const prefix = key === "a" ? "" : key + ":";
const suffix = key === "a" ? "" : "-" + key;
const select = document.querySelector('select[name="cost"]');
const out = [];
for (const cost of costs) {
  select.value = cost;
  select.dispatchEvent(new Event("change"));
  for (const point of points) {
    for (const [name, value] of Object.entries(point)) {
      const input = document.querySelector(`input[name="${CSS.escape(prefix + name)}"]`);
      input.value = String(value);
      input.dispatchEvent(new Event("input"));
    }
    const error = document.getElementById("error" + suffix).textContent;
    const total = document.getElementById("total" + suffix).dataset.value;
    const root = document.querySelector(`section[data-model="${key}"]`);
    const layers = [...root.querySelectorAll("[data-layer]")].map((e) => [e.dataset.layer, e.dataset.value]);
    out.push(error ? { error } : { total, layers });
  }
}
return out;
"""

SET_BOX = """
const [name, value] = arguments;
const box = document.querySelector(`input[data-box="${CSS.escape(name)}"]`);
box.value = value;
box.dispatchEvent(new Event("input"));
return [document.getElementById("error").textContent, document.getElementById("total").dataset.value];
"""


def _grid(slider: dict[str, Any], rng: random.Random) -> int:
    """A value on the slider's grid; half the time the spec's own (the heads of a random point
    would seldom divide its width)."""
    if rng.random() < 0.5:
        return int(slider["value"])
    return rng.randrange(slider["low"], slider["high"] + 1, slider["step"])


def _sliders(driver: Any) -> list[dict[str, Any]]:
    return driver.execute_script(
        "return JSON.parse(document.querySelector('section[data-model=a] script.data').textContent).sliders"
    )


@pytest.mark.parametrize("spec", sorted(examples()))
def test_the_page_counts_what_count_counts(browser: Any, tmp_path_factory: Any, spec: str) -> None:
    url, (loaded, model) = _example_page(tmp_path_factory.mktemp("pages"), spec)
    browser.get(url)
    sliders = _sliders(browser)
    rng = random.Random(spec)
    # POINTS valid points (count gives numbers there) and a few it refuses (the error line).
    valid: list[tuple[dict[str, int], dict[str, Any]]] = []
    refused: list[tuple[dict[str, int], dict[str, Any]]] = []
    start = time.process_time()
    for _ in range(20 * POINTS):
        point = {s["name"]: _grid(s, rng) for s in sliders}
        counted = _counts(loaded, model, point)
        (refused if "error" in counted["params"] else valid).append((point, counted))
        late = SECONDS and time.process_time() - start > SECONDS
        if len(valid) == POINTS or (late and len(valid) >= LEAST):
            break
    assert len(valid) >= LEAST, f"{spec}: only {len(valid)} valid points"
    print(f"{spec}: {len(valid)} valid points, {len(refused[:5])} refused")  # shown with pytest -s
    chosen = valid + refused[:5]
    points = [point for point, _ in chosen]
    shown = browser.execute_script(SET_AND_READ, points, list(COSTS), "a")
    expected = [counted[cost] for cost in COSTS for _, counted in chosen]
    for point, got, want in zip(points * len(COSTS), shown, expected):
        assert got == want, f"{spec} at {point}"
    # The in-process count above is the command's: check it against the command itself, twice.
    for cost in COSTS:
        assert _cli(spec, points[0], cost) == _count(loaded, model, points[0], cost)


@pytest.mark.parametrize("spec", sorted(examples()))
def test_an_invalid_value_shows_counts_error(browser: Any, tmp_path_factory: Any, spec: str) -> None:
    url, _ = _example_page(tmp_path_factory.mktemp("pages"), spec)
    browser.get(url)
    name = _sliders(browser)[-1]["name"]
    refused = 0
    for value in (0, -3):
        error, total = browser.execute_script(SET_BOX, name, str(value))
        expected = _cli(spec, {name: value}, "params")
        assert (error, total) == (expected.get("error", ""), expected.get("total", ""))
        refused += "error" in expected
    assert refused


def test_heads_that_do_not_divide_the_width(browser: Any, tmp_path: Path) -> None:
    url, _ = _page_file(tmp_path, "llama2-7b")
    browser.get(url)
    for name, value in (("h", "7"), ("kv", "5"), ("d", "4100")):
        error, total = browser.execute_script(SET_BOX, name, value)
        assert total == "" and error == _cli("llama2-7b", {name: int(value)}, "params")["error"]
        browser.execute_script(SET_BOX, name, {"h": "32", "kv": "32", "d": "4096"}[name])


def test_two_models_side_by_side(browser: Any, tmp_path: Path) -> None:
    cnn, dense = load_spec("lesson-cnn"), load_spec("lesson-dense")
    values = [s.values_for(s.model(), {}, defaults=True) for s in (cnn, dense)]
    made = page(cnn.model(), values[0], compare=dense.model(), compare_values=values[1])
    path = tmp_path / "compare.html"
    path.write_text(made.html, encoding="utf-8")
    browser.get(path.as_uri())
    a = browser.find_element("id", "total").get_attribute("data-value")
    b = browser.find_element("id", "total-b").get_attribute("data-value")
    assert (int(a), int(b)) == (int(cnn.model().xreplace(values[0]).params), 7993)
    assert browser.find_element("id", "ratio").text.startswith(f"{int(a) / int(b):.6g}"[:5])
    (shown,) = browser.execute_script(SET_AND_READ, [{"h1": 20}], ["params"], "b")
    assert shown == _count(dense, dense.model(), {"h1": 20}, "params")


HOSTILE = r"""
name: "<script>window.pwned = 1</script>"
description: '"><img src=x onerror="window.pwned = 2"> $\href{javascript:alert(1)}{x}$ </math>'
input: [n]
values: {n: 4, h: 3}
layers:
  - {dense: h, name: "</math><script>window.pwned = 3</script>"}
  - {dense: 2, name: '"><img src=x onerror="window.pwned = 4">'}
  - {dense: 1, name: '$\href{javascript:alert(1)}{x}$'}
"""


def test_hostile_names_stay_text(browser: Any, tmp_path: Path) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "hostile.html"
    result = CliRunner().invoke(main, ["page", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    browser.get(out.as_uri())
    loaded = load_spec(str(spec))
    assert browser.execute_script("return window.pwned") is None
    assert browser.execute_script("return document.querySelectorAll('img, script[src], iframe').length") == 0
    heading = browser.execute_script("return document.querySelector('h1').textContent")
    description = browser.execute_script("return document.querySelector('.description').textContent")
    layers = browser.execute_script(
        "return [...document.querySelectorAll('[data-layer]')].map(e => e.dataset.layer)"
    )
    cells = browser.execute_script("return [...document.querySelectorAll('td.name')].map(e => e.textContent)")
    words = browser.execute_script(
        "return [...document.querySelectorAll('.words b')].map(e => e.textContent)"
    )
    names = [row.name for row in loaded.model().rows]
    assert heading == loaded.name and description == loaded.description
    assert layers == cells == words == names
    # Only the page's own two scripts run, and the data script is JSON, not code.
    assert browser.execute_script("return document.scripts.length") == 4


def test_a_symbol_lights_up_in_every_formula(browser: Any, tmp_path_factory: Any) -> None:
    url, _ = _example_page(tmp_path_factory.mktemp("pages"), "lesson-cnn")
    browser.get(url)
    lit, everywhere = browser.execute_script(
        """
        document.querySelector('label.symbol[data-symbol="k"]').dispatchEvent(new MouseEvent("mouseenter"));
        const all = document.querySelectorAll('mi[data-symbol="k"]');
        return [[...document.querySelectorAll("mi.hl")].map((e) => e.dataset.symbol), all.length];
        """
    )
    assert everywhere > 0 and lit == ["k"] * everywhere
