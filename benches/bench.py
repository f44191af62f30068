"""Benchmarks: ratios measured in one run, printed (never asserted: timing is not a test).

    python benches/bench.py

1. Start-up: `symcount --help` and `symcount count lesson-cnn` against Python's own start and
   Python + `import sympy`.
2. Linearity: the time to fold a stack of Dense layers with distinct symbolic widths, for growing
   depth; the per-layer time should stay flat.
3. symcount against PyTorch: counting a model from its formula versus instantiating it in torch
   and summing `p.numel()` (skipped if torch is absent).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def run_python(*args: str) -> Callable[[], object]:
    return lambda: subprocess.run([sys.executable, *args], check=True, capture_output=True)


def startup() -> None:
    python = best_of(5, run_python("-c", "pass"))
    sympy = best_of(5, run_python("-c", "import sympy"))
    help_ = best_of(5, run_python("-m", "symcount", "--help"))
    count = best_of(5, run_python("-m", "symcount", "count", "lesson-cnn"))
    print("start-up (best of 5)")
    print(f"  python -c pass                 {python * 1000:7.1f} ms")
    print(f"  python -c 'import sympy'       {sympy * 1000:7.1f} ms")
    print(f"  symcount --help                {help_ * 1000:7.1f} ms   {help_ / python:5.2f}x python")
    print(f"  symcount count lesson-cnn      {count * 1000:7.1f} ms   {count / sympy:5.2f}x python+sympy")


def linearity() -> None:
    from sympy.core.cache import clear_cache

    from symcount import Dense, Input, Sequential, symbols

    print("fold + total per layer, Dense stack with distinct symbolic widths (sympy's cache cleared)")
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
    print("counting a CNN: symcount's formula vs building it in torch (best of 3)")
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


if __name__ == "__main__":
    startup()
    linearity()
    against_torch()
