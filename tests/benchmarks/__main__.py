"""Run benchmarks: ``python -m tests.benchmarks`` (all) or ``python -m tests.benchmarks cpu``.

Each benchmark is a module ``tests/benchmarks/bench_<name>.py`` with a ``main(argv)``; they
print medians and ratios against a reference measured in the same run.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    # Leading words name benchmarks; everything from the first option on goes to each.
    split = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:split] or available(), argv[split:]
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available())}",
              file=sys.stderr)
        return 2
    for name in names:
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"tests.benchmarks.bench_{name}")
        module.main(options)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
