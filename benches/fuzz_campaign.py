"""A long fuzz campaign outside the test suite: the suite's fuzz strategies (tests/test_fuzz.py)
with a seed of one's own, every failure recorded instead of stopping at the first.

    PYTHONPATH=. python benches/fuzz_campaign.py --seed 2126 --cases 4000

Each case is classified: an internal error (or an exception past the CLI), a timeout (past the
30 s budget of `tests.checks.within_budget`), a multi-line or over-long error, a traceback, an
unexpected exit code, or an output format holding a name as markup. The goal is 0 of each.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path
from typing import Any

from click.testing import Result
from hypothesis import HealthCheck, Phase, seed, settings

import tests.test_fuzz as fuzz
from tests.checks import OverBudget

SHARES = {  # of the cases, per strategy
    "test_mutated_specs_get_an_answer_or_one_line": 0.25,
    "test_specs_cut_into_as_text_get_an_answer_or_one_line": 0.2,
    "test_random_argument_lists_for_every_command": 0.25,
    "test_specs_on_the_new_surfaces_in_every_format_get_an_answer_or_one_line": 0.25,
    "test_import_targets_that_fail_are_one_line": 0.05,
}


class Folders:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="symcount-fuzz-"))
        self.count = 0

    def mktemp(self, name: str) -> Path:
        self.count += 1
        path = self.root / f"{name}{self.count}"
        path.mkdir()
        return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=2126)
    parser.add_argument("--cases", type=int, default=4000)
    options = parser.parse_args()
    found: dict[str, list[str]] = collections.defaultdict(list)
    kinds: collections.Counter[str] = collections.Counter()
    original_run, original_check, original_format = fuzz.run, fuzz.check, fuzz.check_format

    def run(args: list[str]) -> Result | None:
        kinds["cases"] += 1
        try:
            return original_run(args)
        except OverBudget:
            found["timeout"].append(" ".join(args)[:300])
            return None

    def check(result: Result | None, args: list[str]) -> None:
        if result is None:
            return
        kinds[f"exit {result.exit_code}"] += 1
        where = " ".join(args)[:300]
        if "internal error, please report" in result.stderr or not (
            result.exception is None or isinstance(result.exception, SystemExit)
        ):
            found["internal error"].append(f"{where} -> {result.stderr[:300] or result.exception!r}")
            return
        try:
            original_check(result, args)
        except AssertionError as error:
            text = result.stderr
            kind = (
                "multi-line or over-long error"
                if result.exit_code == 2
                and (text.count("\n") != 1 or len(text) > 2100 or not text[:-1].isprintable())
                else "other"
            )
            found[kind].append(f"{where} -> {str(error)[:300]}")

    def check_format(result: Result | None, args: list[str]) -> None:
        if result is None:
            return
        try:
            original_format(result, args)
        except AssertionError as error:
            found["markup in an output"].append(f"{' '.join(args)[:300]} -> {str(error)[:200]}")

    fuzz.run, fuzz.check, fuzz.check_format = run, check, check_format  # type: ignore[assignment]
    folders = Folders()
    start = time.monotonic()
    for name, share in SHARES.items():
        test: Any = getattr(fuzz, name)
        cases = max(1, round(options.cases * share))
        test._hypothesis_internal_use_settings = settings(  # the suite's settings, replaced
            max_examples=cases,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        configured = seed(options.seed)(test)
        before = kinds["cases"]
        configured(tmp_path_factory=folders)
        print(f"{name}: {kinds['cases'] - before} cases, {time.monotonic() - start:.0f} s", flush=True)
    print(f"seed {options.seed}: {kinds['cases']} cases in {time.monotonic() - start:.0f} s;", dict(kinds))
    for kind in (
        "internal error",
        "timeout",
        "multi-line or over-long error",
        "markup in an output",
        "other",
    ):
        print(f"{kind}: {len(found[kind])}")
        for line in found[kind][:20]:
            print("   ", line)


if __name__ == "__main__":
    main()
