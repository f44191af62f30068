"""The frameworks, optional: loading them (a one-line error naming the extra to install), loading a
user's factory from `package.module:factory` or `path/file.py:factory`, building it without
weights (PyTorch's meta device, Keras' meta device on its torch backend) and counting as the
framework does.

Nothing here imports torch or keras at module level: the base install never needs them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import SymcountError, one_line, shown

__all__ = [
    "require", "prepare_torchvision", "load_factory", "build", "framework_of", "counts", "Counts", "time_limit",
    "TIMEOUT", "shown_text",
]  # fmt: skip

EXTRA = "pip install 'symcount[import]'"

_NAMES = {
    "torch": "PyTorch",
    "keras": "Keras 3",
    "transformers": "Hugging Face transformers",
    "hypothesis.strategies": "hypothesis",
}


def require(name: str) -> ModuleType:
    """The framework module `name`, or a one-line error saying which extra installs it."""
    if name == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        return importlib.import_module(name)
    except ImportError:
        raise SymcountError(f"{_NAMES.get(name, name)} is not installed; {EXTRA} installs it") from None


def prepare_torchvision() -> None:
    """Make torchvision's model code importable where its compiled operators do not load (a CUDA
    wheel beside a CPU torch: "operator torchvision::nms does not exist"). Its models are pure
    Python; only the fake kernels of its detection operators are skipped (a stub module in their
    place). Hugging Face transformers and timm import torchvision when present, so this runs
    before a user's factory is loaded. Nothing happens where torchvision is absent or loads."""
    if "torchvision" in sys.modules or importlib.util.find_spec("torchvision") is None:
        return
    try:
        importlib.import_module("torchvision")
    except RuntimeError as error:
        if "torchvision::" not in str(error):
            raise
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = ModuleType("torchvision._meta_registrations")
        importlib.import_module("torchvision")


def load_factory(target: str) -> Callable[..., Any]:
    """The callable `target` names: `package.module:factory` or `path/to/file.py:factory`."""
    where, sep, attribute = target.rpartition(":")
    if not sep or not where or not attribute.isidentifier():
        raise SymcountError(
            f"expected TARGET as package.module:factory or path/file.py:factory. Received: {target!r}"
        )
    os.environ.setdefault("KERAS_BACKEND", "torch")  # before the user's module imports keras
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # config warnings at odd sizes
    if _maybe("torch") is not None:
        prepare_torchvision()
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise SymcountError(f"no such file: {where!r} (in TARGET {target!r})")
        spec = importlib.util.spec_from_file_location(f"symcount_target_{path.stem}", path)
        assert spec is not None and spec.loader is not None  # a .py file always has a loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        with _users_code(f"cannot import {where!r} (in TARGET {target!r})"):
            spec.loader.exec_module(
                module
            )  # safe: the user names their own code to run, as `python file.py` would; never spec text
    else:
        with _users_code(f"cannot import {where!r} (in TARGET {target!r})"):
            module = importlib.import_module(where)
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise SymcountError(f"{where!r} has no callable {attribute!r} (in TARGET {target!r})")
    return factory  # type: ignore[no-any-return]


@contextmanager
def _users_code(what: str) -> Iterator[None]:
    """Run the user's module or factory: what it raises (a syntax error, any exception, an
    ImportError excepted) or a `sys.exit` it calls becomes one `SymcountError` saying so."""
    try:
        yield
    except (SymcountError, TimedOut):
        raise
    except SystemExit as error:
        raise SymcountError(f"{what}: it called sys.exit({shown(error.code, 60)})") from None
    except Exception as error:
        raise SymcountError(f"{what}: {type(error).__name__}: {shown_text(error)}") from None


def shown_text(error: BaseException) -> str:
    """An exception's text, as a message quotes it: one line, at most 300 characters."""
    return one_line(str(error), 300)


class TimedOut(BaseException):
    """Raised by `time_limit`'s alarm: a BaseException, so that the user's `except Exception`
    cannot swallow it."""


TIMEOUT = 600  # seconds for the whole of `import` or `infer`, unless --timeout says otherwise


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Stop the block (loading, building and tracing the user's code) after `seconds`, with one
    `SymcountError`. An interval timer's SIGALRM raises `TimedOut` in the main thread, wherever
    Python is running; code stuck in C without returning to Python is stopped only when it does.
    No limit for 0, off the main thread, or where there is no SIGALRM; a timer already running
    (a test's budget) is restored afterwards with what it had left."""
    import signal
    import threading
    import time

    if (
        seconds <= 0
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise TimedOut()

    outer = signal.getitimer(signal.ITIMER_REAL)[0]
    if outer and outer <= seconds:  # an earlier alarm is due first: leave it alone
        yield
        return
    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TimedOut:
        raise SymcountError(
            f"{what} did not finish within {seconds:g} s (--timeout sets the limit, 0 for none)"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 0.001))


def framework_of(model: Any) -> str:
    """ "torch" or "keras": which framework built `model` (an error for anything else)."""
    keras = sys.modules.get("keras")  # first: on the torch backend, a Keras model is a Module too
    if keras is not None and isinstance(model, keras.Model):
        return "keras"
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return "torch"
    raise SymcountError(
        f"the factory must return a torch.nn.Module or a Keras model. Received: {type(model).__name__}"
    )


@contextmanager
def _registered_on_meta(torch: Any) -> Iterator[None]:
    """Build on the CPU but move every parameter and buffer to meta as it is registered: for
    factories whose `__init__` computes with tensors (`.item()` cannot run on meta)."""
    module = torch.nn.Module
    register_parameter, register_buffer = module.register_parameter, module.register_buffer

    def parameter(self: Any, name: str, param: Any) -> None:
        register_parameter(self, name, param)
        if param is not None:
            own = self._parameters[name]
            self._parameters[name] = type(own)(own.to("meta"), requires_grad=own.requires_grad)

    def buffer(self: Any, name: str, tensor: Any, persistent: bool = True) -> None:
        register_buffer(self, name, None if tensor is None else tensor.to("meta"), persistent)

    module.register_parameter, module.register_buffer = parameter, buffer
    try:
        yield
    finally:
        module.register_parameter, module.register_buffer = register_parameter, register_buffer


def build(factory: Callable[..., Any], sizes: Mapping[str, int]) -> Any:
    """`factory(**sizes)` without weights: on PyTorch's meta device (and Keras', when the user's
    code uses Keras). Whatever the factory raises propagates, but a `sys.exit` it calls is a
    `SymcountError` (it would end symcount with the factory's exit code and no word)."""
    try:
        return _build(factory, sizes)
    except SystemExit as error:
        raise SymcountError(
            f"the factory called sys.exit({shown(error.code, 60)}) instead of returning a model"
        ) from None


def _build(factory: Callable[..., Any], sizes: Mapping[str, int]) -> Any:
    torch = sys.modules.get("torch") or _maybe("torch")
    keras = sys.modules.get("keras")
    with ExitStack() as stack:
        if keras is not None and keras.backend.backend() == "torch":
            keras.backend.clear_session(free_memory=False)  # stable auto-names across builds
            stack.enter_context(keras.device("meta"))
        if torch is None:
            return factory(**sizes)
        try:
            with torch.device("meta"):
                return factory(**sizes)
        except RuntimeError as error:
            if "meta" not in str(error):
                raise
        with _registered_on_meta(torch):
            return factory(**sizes)


def _maybe(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


Counts = dict[str, int]


def counts(model: Any) -> tuple[int, Counts, int | None]:
    """The framework's own count: (total parameters, per top-level submodule or layer, buffers).

    PyTorch: `model.parameters()` counts a shared parameter once, and so do the groups (its first
    owner keeps it); buffers (None for Keras) are apart. Keras: `count_params()`, per layer.
    """
    if framework_of(model) == "torch":
        groups: Counts = {}
        for name, param in model.named_parameters():  # shared parameters once, first owner
            head = name.split(".", 1)[0]
            groups[head] = groups.get(head, 0) + param.numel()
        total = sum(p.numel() for p in model.parameters())
        return total, groups, sum(b.numel() for b in model.buffers())
    groups = {layer.name: layer.count_params() for layer in model.layers}
    return model.count_params(), groups, None
