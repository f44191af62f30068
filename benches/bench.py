"""Benchmarks: ratios measured in one run, printed (never asserted: timing is not a test).

    python benches/bench.py            # everything (a few minutes)
    python benches/bench.py sweep      # one section: startup, sweep, explore, formula, fold, torch, import, page

Every time is CPU time (user + system) of a whole process, or of a call in this one, the best of a
few runs: on a machine shared with other work, wall-clock times swing by 2x with the load, CPU
times much less. Each ratio compares two things measured here, in the same run. symcount's
bytecode is compiled first, as an install does.

1. Start-up: `symcount --help` against `python -c pass`, `symcount count lesson-cnn` against
   `python -c "import sympy"` (the goal: 1.35x at most).
2. Sweeps of 10**6 rows written to a file, against bare numpy scripts (in this file) that
   evaluate the same polynomials with `np.arange` and write the same bytes (checked): CSV, JSON,
   two axes, and `--layers` (goal: within 3x each); and against building the model on torch's
   meta device, per row (goal: 300x faster or more).
3. `plot` of 512 points and `solve` against a process that imports what they import (goal: ~1.3x).
4. `formula` on dense stacks `input: [w0]`, `- dense: w1` ... `- dense: wN`: (t(1600) - t(1)) /
   (t(200) - t(1)) for plain, --latex and --json (linear is 8; goal: 10 at most), and 3,200 layers
   (goal: under 5 s).
5. Folding: the time per layer to fold a Dense stack of growing depth stays flat.
6. symcount against PyTorch: counting a CNN from its formula versus instantiating it in torch.
7. Import: `symcount import` and `from_torch` on a few factories of docs/models.py, against one
   meta build plus forward of the same factory (goal: 10x at most) and against torchinfo.summary
   of the same model built on meta (goal: faster; skipped without torchinfo, `pip install
   --no-deps torchinfo`, which CI does not install). Last run: from_torch 20x (mlp), 17x (cnn), 19x
   (llama) a build + forward, 15-16x torchinfo.summary; from_keras 8x. An import reads n + 4 builds
   for n sizes (more only for an argument of degree 2) and checks 4 (parameters and FLOPs): about
   a dozen forward passes, so neither goal is met yet (see README's Performance).

8. The explorer page (`symcount page`): each example's page size (goal: llama2-7b under 1 MB), and
   in headless Chromium (Debian's chromium and chromium-driver, driven by Selenium) the wall time
   of a slider move's full recompute (rules, every cost row, the DOM, the explanation) and of
   the plot drawn a frame later, median of 40 moves (goal: under 16 ms, one frame, for the
   largest zoo model). Browser times are wall-clock: the page runs in the browser, not here.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROWS = 10**6
WORK = Path(tempfile.mkdtemp(prefix="symcount-bench-"))
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's symcount, here and (as the cwd) in every process


def cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def best_of(repeat: int, action: Callable[[], object]) -> float:
    return interleaved(repeat, action)[0]


def interleaved(repeat: int, *actions: Callable[[], object]) -> list[float]:
    """The best time of each action, run in turns (so that a busy moment hits them alike)."""
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(repeat):
        for action, taken in zip(actions, times):
            start = cpu()
            action()
            taken.append(cpu() - start)
    return [min(taken) for taken in times]


def run_python(*args: str, stdout: Path | None = None) -> Callable[[], object]:
    def run() -> None:
        if stdout is None:
            subprocess.run([sys.executable, *args], check=True, capture_output=True, cwd=ROOT)
        else:
            with stdout.open("w") as out:
                subprocess.run([sys.executable, *args], check=True, stdout=out, cwd=ROOT)

    return run


def symcount(*args: str, stdout: Path | None = None) -> Callable[[], object]:
    return run_python("-m", "symcount", *args, stdout=stdout)


def startup() -> None:
    python, sympy, help_, count = interleaved(
        9,
        run_python("-c", "pass"),
        run_python("-c", "import sympy"),
        symcount("--help"),
        symcount("count", "lesson-cnn"),
    )
    print("1. start-up (CPU time, best of 9)")
    print(f"  python -c pass                 {python * 1000:7.1f} ms")
    print(f"  python -c 'import sympy'       {sympy * 1000:7.1f} ms")
    print(f"  symcount --help                {help_ * 1000:7.1f} ms   {help_ / python:5.2f}x python")
    print(
        f"  symcount count lesson-cnn      {count * 1000:7.1f} ms   {count / sympy:5.2f}x python + import sympy (goal <= 1.35)"
    )


# Sweeps: a 784 -> w -> w -> 10 dense net (total w**2 + 796*w + 10), and 784 -> a -> b -> 10 over
# two axes (a*b + 785*a + 11*b + 10). Each bare script writes exactly what symcount writes.

DENSE = "name: mlp\ninput: [784]\nlayers:\n  - dense: w\n  - dense: w\n  - dense: 10\n"
TWO = "name: two\ninput: [784]\nlayers:\n  - dense: a\n  - dense: b\n  - dense: 10\n"

BARE_CSV = """
import sys
import numpy as np
w = np.arange(1, {rows} + 1, dtype=np.int64)
columns = [w, w * w + 796 * w + 10]
with open(sys.argv[1], "w") as out:
    out.write("w,total\\n")
    for start in range(0, len(w), 65536):
        texts = [map(str, c[start : start + 65536].tolist()) for c in columns]
        out.write("\\n".join(map(",".join, zip(*texts))) + "\\n")
"""

BARE_LAYERS = """
import sys
import numpy as np
w = np.arange(1, {rows} + 1, dtype=np.int64)
columns = [w, w * w + 796 * w + 10, 785 * w, w * w + w, 10 * w + 10]
with open(sys.argv[1], "w") as out:
    out.write("w,total,dense,dense_1,dense_2\\n")
    for start in range(0, len(w), 65536):
        texts = [map(str, c[start : start + 65536].tolist()) for c in columns]
        out.write("\\n".join(map(",".join, zip(*texts))) + "\\n")
"""

BARE_TWO = """
import sys
import numpy as np
side = int(round({rows} ** 0.5))
index = np.arange(side * side, dtype=np.int64)
a, b = index // side + 1, index % side + 1
columns = [a, b, a * b + 785 * a + 11 * b + 10]
with open(sys.argv[1], "w") as out:
    out.write("a,b,total\\n")
    for start in range(0, len(a), 65536):
        texts = [map(str, c[start : start + 65536].tolist()) for c in columns]
        out.write("\\n".join(map(",".join, zip(*texts))) + "\\n")
"""

BARE_JSON = """
import sys
import numpy as np
w = np.arange(1, {rows} + 1, dtype=np.int64)
columns = [w, w * w + 796 * w + 10]
with open(sys.argv[1], "w") as out:
    out.write(sys.argv[2])
    rows = []
    for start in range(0, len(w), 65536):
        texts = [c[start : start + 65536].tolist() for c in columns]
        rows.append(",\\n".join(map('    {{"w": {}, "total": {}}}'.format, *texts)))
    out.write(",\\n".join(rows) + "\\n  ]\\n}\\n")
"""


def _sweep_case(label: str, bare: str, sweep_args: list[str], extra: list[str] = ()) -> float:
    """Time the bare script and symcount writing the same file; check the bytes; print the ratio.
    Returns symcount's seconds."""
    script = WORK / f"bare_{label.split()[0]}.py"
    script.write_text(bare.replace("{rows}", str(ROWS)))
    bare_out, ours_out = WORK / "bare.out", WORK / "ours.out"
    bare_time, ours_time = interleaved(
        3, run_python(str(script), str(bare_out), *extra), symcount("sweep", *sweep_args, stdout=ours_out)
    )
    same = bare_out.read_bytes() == ours_out.read_bytes()
    print(
        f"  {label:<28} bare numpy {bare_time:6.2f} s   symcount {ours_time:6.2f} s   "
        f"{ours_time / bare_time:5.2f}x (goal <= 3)   identical bytes: {same}"
    )
    return ours_time


def sweeps() -> None:
    dense, two = WORK / "mlp.yaml", WORK / "two.yaml"
    dense.write_text(DENSE)
    two.write_text(TWO)
    side = round(ROWS**0.5)
    print(f"2. sweeps: {ROWS:,} rows written to a file, whole processes (CPU time, best of 3)")
    csv = _sweep_case("--csv", BARE_CSV, [str(dense), "--grid", f"w=1:{ROWS}", "--csv"])
    opening = (
        subprocess.run(
            [sys.executable, "-m", "symcount", "sweep", str(dense), "--grid", "w=1:1", "--json"],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.split('\n    {"w"')[0]
        + "\n"
    )
    _sweep_case("--json", BARE_JSON, [str(dense), "--grid", f"w=1:{ROWS}", "--json"], [opening])
    _sweep_case(
        f"two axes ({side}x{side}) --csv",
        BARE_TWO,
        [str(two), "--grid", f"a=1:{side}", "--grid", f"b=1:{side}", "--csv"],
    )
    _sweep_case("--layers --csv", BARE_LAYERS, [str(dense), "--grid", f"w=1:{ROWS}", "--layers", "--csv"])
    try:
        import torch
    except ImportError:
        print("  torch not installed: no comparison with meta-device builds")
        return

    def build(width: int) -> int:
        with torch.device("meta"):
            net = torch.nn.Sequential(
                torch.nn.Linear(784, width), torch.nn.Linear(width, width), torch.nn.Linear(width, 10)
            )
        return sum(p.numel() for p in net.parameters())

    assert build(1000) == 1000**2 + 796 * 1000 + 10
    builds = 300
    per_build = best_of(3, lambda: [build(w) for w in range(1, builds + 1)]) / builds
    per_row = csv / ROWS
    print(
        f"  torch meta-device build + numel: {per_build * 1e6:7.1f} us per row; symcount --csv "
        f"(whole process) {per_row * 1e6:5.2f} us per row: {per_build / per_row:6.0f}x faster (goal >= 300)"
    )


def explore() -> None:
    print("3. plot (512 points) and solve against processes importing what they import (CPU time, best of 5)")
    imports = "import symcount.cli, symcount.spec, symcount.explore, symcount.render, numpy"
    png = str(WORK / "plot.png")
    groups = [
        (
            imports,
            [
                ("solve lesson-cnn f 1e6", ["solve", "lesson-cnn", "--for", "f", "--budget", "1e6"]),
                ("solve lesson-dense h1 1e9", ["solve", "lesson-dense", "--for", "h1", "--budget", "1e9"]),
            ],
        ),
        (
            imports
            + ", symcount.plot, matplotlib.figure, matplotlib.backends.backend_agg, matplotlib.ticker",
            [
                ("plot lesson-dense h1=1:512", ["plot", "lesson-dense", "--x", "h1=1:512", "-o", png]),
                (
                    "plot lesson-cnn f per-layer",
                    ["plot", "lesson-cnn", "--x", "f=1:512", "--y", "per-layer", "-o", png],
                ),
            ],
        ),
    ]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("  matplotlib not installed: skipping plot")
        groups = groups[:1]
    for code, cases in groups:
        base, *times = interleaved(5, run_python("-c", code), *(symcount(*args) for _, args in cases))
        print(f"  baseline `python -c '{code}'`: {base * 1000:.1f} ms")
        for (label, _), seconds in zip(cases, times):
            print(f"  {label:<30} {seconds * 1000:7.1f} ms   {seconds / base:5.2f}x the imports (goal ~1.3)")


IN_PROCESS = """
import contextlib, io, json, sys, time
from sympy.core.cache import clear_cache
from symcount.cli import main

def run(path):
    sys.argv = ["symcount", "formula", path, *FLAGS]
    clear_cache()
    start = time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main()
        except SystemExit:
            pass
    return time.process_time() - start

run(PATHS[0])
print(json.dumps([min(run(path) for _ in range(5)) for path in PATHS]))
"""


def formula() -> None:
    print("4. formula on dense stacks with a symbolic width per layer")
    specs = {}
    for depth in (1, 200, 1600, 3200):
        path = WORK / f"stack{depth}.yaml"
        layers = "".join(f"  - dense: w{i}\n" for i in range(1, depth + 1))
        path.write_text(f"name: stack\ninput: [w0]\nlayers:\n{layers}")
        specs[depth] = str(path)
    print(
        "  whole processes (CPU time, best of 7; t(1) and t(200) differ by ~50 ms, so noise moves the ratio):"
    )
    for flags in ([], ["--latex"], ["--json"]):
        times = interleaved(7, *(symcount("formula", path, *flags) for path in specs.values()))
        t = dict(zip(specs, times))
        ratio = (t[1600] - t[1]) / (t[200] - t[1])
        label = " ".join(flags) or "plain"
        print(
            f"  {label:<8} t(1) {t[1]:5.2f} s  t(200) {t[200]:5.2f} s  t(1600) {t[1600]:5.2f} s  "
            f"(t(1600)-t(1))/(t(200)-t(1)) = {ratio:5.2f} (goal <= 10)   3,200 layers {t[3200]:5.2f} s (goal < 5)"
        )
    print("  the command alone, after its imports (CPU time, best of 5, sympy's cache cleared each time):")
    for flags in ([], ["--latex"], ["--json"]):
        code = f"FLAGS = {flags!r}\nPATHS = {[specs[d] for d in (1, 200, 1600)]!r}\n" + IN_PROCESS
        found = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT
        )
        t = dict(zip((1, 200, 1600), json.loads(found.stdout)))
        ratio = (t[1600] - t[1]) / (t[200] - t[1])
        label = " ".join(flags) or "plain"
        print(
            f"  {label:<8} t(1) {t[1] * 1000:6.1f} ms  t(200) {t[200] * 1000:6.1f} ms  t(1600) {t[1600] * 1000:6.1f} ms  "
            f"(t(1600)-t(1))/(t(200)-t(1)) = {ratio:5.2f} (goal <= 10)"
        )


def linearity() -> None:
    from sympy.core.cache import clear_cache

    from symcount import Dense, Input, Sequential, symbols

    print("5. fold + total per layer, Dense stack with distinct symbolic widths (sympy's cache cleared)")
    per_layer = []
    for depth in (100, 400, 1600):
        widths = symbols(" ".join(f"h{i}" for i in range(depth + 1)))

        def fold(widths: tuple = widths) -> object:
            clear_cache()
            return Sequential(Input(widths[0]), *(Dense(w) for w in widths[1:])).params

        seconds = best_of(3, fold)
        per_layer.append(seconds / depth)
        print(f"  depth {depth:4d}: {seconds * 1000:8.1f} ms   {seconds / depth * 1e6:7.1f} us/layer")
    print(f"  per-layer time, deepest / shallowest: {per_layer[-1] / per_layer[0]:.2f} (1.0 = linear)")


def against_torch() -> None:
    try:
        import torch
    except ImportError:
        print("torch not installed: skipping the comparison with PyTorch")
        return
    from symcount import Conv2D, Dense, Flatten, Input, Sequential, symbols

    H, W, C, f = symbols("H W C f")
    model = Sequential(
        Input(H, W, C), Conv2D(f, 3, padding="same"), Conv2D(f, 3, padding="same"), Flatten(), Dense(3)
    )
    print("6. counting a CNN: symcount's formula vs building it in torch (best of 3)")
    for size, filters in ((28, 10), (224, 64), (512, 256)):

        def torch_count(size: int = size, filters: int = filters) -> int:
            net = torch.nn.Sequential(
                torch.nn.Conv2d(3, filters, 3, padding=1),
                torch.nn.Conv2d(filters, filters, 3, padding=1),
                torch.nn.Flatten(),
                torch.nn.Linear(size * size * filters, 3),
            )
            return sum(p.numel() for p in net.parameters())

        def ours(size: int = size, filters: int = filters) -> int:
            return model.count(H=size, W=size, C=3, f=filters)

        assert ours() == torch_count()
        theirs, mine = best_of(3, torch_count), best_of(3, ours)
        print(
            f"  {size}x{size}x3, f={filters:3d}: {ours():>12,} params   torch {theirs * 1000:8.1f} ms   symcount {mine * 1000:6.1f} ms   torch/symcount {theirs / mine:7.1f}x"
        )
    formula = model.params
    values = {s: v for s, v in zip(model.symbols, (3, 512, 512, 256))}
    substitute = best_of(5, lambda: formula.xreplace(values))
    print(f"  substituting into the ready formula alone: {substitute * 1e6:.0f} us")


IMPORT_CASES = (  # factory in docs/models.py, sizes, the input's sizes (--input), an example input
    ("mlp", {"d": 784, "h": 64, "k": 10}, None, ("float", ("d",))),
    ("cnn", {"C": 3, "H": 32, "W": 32, "f": 16}, ("C", "H", "W"), ("float", ("C", "H", "W"))),
    ("llama", {"d": 256, "L": 2, "f": 688, "V": 1000}, None, ("long", (8,))),
)
STUB = """
import sys, types
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
"""  # the CUDA torchvision wheel's C ops do not load beside the CPU torch; transformers imports it
CLI = STUB + "from symcount.cli import main; main()"
FORWARD = (
    STUB
    + """
import torch
from symcount.importing.frameworks import build, load_factory
model = build(load_factory("docs/models.py:{name}"), {sizes})
with torch.no_grad():
    model(torch.zeros((1, *{shape}), dtype=torch.{dtype}, device="meta"))
"""
)


def importing() -> None:
    """7. `symcount import` and `from_torch` against one meta build plus forward of the same factory
    (goal: 10x at most) and against torchinfo.summary of the same model (goal: faster)."""
    try:
        import torch
    except ImportError:
        print("torch not installed: skipping the import section")
        return
    import types

    sys.modules.setdefault(
        "torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations")
    )
    from symcount import from_keras, from_torch
    from symcount.importing.frameworks import build, load_factory

    try:
        import torchinfo
    except ImportError:
        torchinfo = None
        print("  torchinfo not installed (pip install --no-deps torchinfo): skipping that ratio")
    print("7. import: symcount import / from_torch against one meta build + forward, and torchinfo.summary")
    for name, sizes, inputs, (dtype, axes) in IMPORT_CASES:
        factory = load_factory(f"docs/models.py:{name}")
        shape = tuple(sizes[a] if isinstance(a, str) else a for a in axes)

        def forward(factory=factory, sizes=sizes, shape=shape, dtype=dtype) -> object:
            model = build(factory, sizes)
            with torch.no_grad():
                return model(torch.zeros((1, *shape), dtype=getattr(torch, dtype), device="meta"))

        def imported(factory=factory, sizes=sizes, inputs=inputs) -> object:
            return from_torch(factory, input=inputs, **sizes)

        def summary(factory=factory, sizes=sizes, shape=shape, dtype=dtype) -> object:
            model = build(factory, sizes)
            data = [torch.zeros((1, *shape), dtype=getattr(torch, dtype), device="meta")]
            return torchinfo.summary(model, input_data=data, device="meta", verbose=0)

        actions = [forward, imported] + ([summary] if torchinfo else [])
        times = interleaved(3, *actions)
        line = f"  {name:6s} from_torch {times[1]:6.2f} s = {times[1] / times[0]:6.1f}x a build + forward ({times[0] * 1000:.0f} ms)"
        if torchinfo:
            line += f", {times[1] / times[2]:6.1f}x torchinfo.summary ({times[2] * 1000:.0f} ms)"
        print(line)
        args = [f"--size={k}={v}" for k, v in sizes.items()] + (
            [f"--input={','.join(inputs)}"] if inputs else []
        )
        script = FORWARD.format(name=name, sizes=sizes, shape=shape, dtype=dtype)
        cli, bare = interleaved(
            2, run_python("-c", CLI, "import", f"docs/models.py:{name}", *args), run_python("-c", script)
        )
        print(
            f"         symcount import {cli:6.2f} s = {cli / bare:6.1f}x a process that builds and runs it once ({bare:.2f} s)"
        )
    keras_sizes = {"d": 20, "h": 32}
    factory = load_factory("docs/models.py:keras_classifier")

    def keras_forward() -> object:
        model = build(factory, keras_sizes)
        with torch.no_grad():
            return model(torch.zeros((1, keras_sizes["d"]), device="meta"))

    first, second = interleaved(3, keras_forward, lambda: from_keras(factory, **keras_sizes))
    print(
        f"  keras_classifier from_keras {second:6.2f} s = {second / first:6.1f}x a build + forward ({first * 1000:.0f} ms)"
    )


# Move one slider back and forth; time the update a move runs, then the plot it schedules.
MOVES = """
const e = window.symcount.explorers[0];
const range = document.querySelector('section[data-model="a"] input[type=range]');
const box = document.querySelector(`input[data-box="${CSS.escape(range.name)}"]`);
const start = Number(range.value), step = Number(range.step);
const update = [], draw = [];
for (let i = 0; i < 40; i++) {
  range.value = String(start + (i % 2) * step);
  box.value = range.value;
  let t = performance.now();
  e.update();
  update.push(performance.now() - t);
  t = performance.now();
  e.draw();
  draw.push(performance.now() - t);
}
const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
return [median(update), median(draw), e.rows.length, e.engine.rules.length];
"""


def page() -> None:
    from symcount.render.page import page as make_page
    from symcount.spec import examples, load_spec

    print("8. the explorer page: size, and a slider move in headless Chromium")
    paths = {}
    for name in sorted(examples()):
        spec = load_spec(name)
        model = spec.model()
        html = make_page(model, spec.values_for(model, {}, defaults=True), description=spec.description).html
        paths[name] = WORK / f"{name}.html"
        paths[name].write_text(html, encoding="utf-8")
    sizes = {name: path.stat().st_size for name, path in paths.items()}
    largest = max(sizes, key=sizes.__getitem__)
    print(f"  llama2-7b page: {sizes['llama2-7b']:,} bytes (goal: under 1,000,000)")
    print(f"  largest page: {largest}, {sizes[largest]:,} bytes")
    try:
        sys.path.insert(0, str(ROOT / "tests"))
        from test_page import _browser  # the test's browser: Debian's chromium and chromedriver

        driver, _ = _browser()
    except Exception as error:  # pytest's skip, or no selenium
        print(f"  no browser: {error}")
        return
    try:
        worst = ("", 0.0)
        for name, path in paths.items():
            driver.get(path.as_uri())
            update, draw, rows, rules = driver.execute_script(MOVES)
            worst = max(worst, (name, update), key=lambda w: w[1])
            print(
                f"  {name:24s} {rows:3d} rows {rules:3d} rules: a move {update:6.2f} ms, its plot {draw:6.2f} ms"
            )
        print(f"  slowest move: {worst[0]}, {worst[1]:.2f} ms (goal: under 16 ms)")
    finally:
        driver.quit()


SECTIONS = {
    "startup": startup,
    "sweep": sweeps,
    "explore": explore,
    "formula": formula,
    "fold": linearity,
    "torch": against_torch,
    "import": importing,
    "page": page,
}

if __name__ == "__main__":
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "symcount")], check=True)
    for name in sys.argv[1:] or list(SECTIONS):
        SECTIONS[name]()
