"""Extension list for xtbox: every ``.pyx`` under engine/ and disks/ becomes one extension.

Metadata lives in pyproject.toml; this file only says what to compile and how.

Build options (environment variables, so they work through ``pip install``):
  XTBOX_ANNOTATE=1   also write ``cython --annotate`` HTML next to each .pyx (hot-path review)
  XTBOX_DEBUG=1      bounds checks on, assertions on, -O0 -g: for sanitizer and fuzz runs
  XTBOX_SANITIZE=1   with XTBOX_DEBUG, compile with -fsanitize=address,undefined
"""

from __future__ import annotations

import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).parent
DEBUG = os.environ.get("XTBOX_DEBUG") == "1"
SANITIZE = DEBUG and os.environ.get("XTBOX_SANITIZE") == "1"
# The CPU's helpers are small `cdef inline` functions; let gcc inline all of them into the
# dispatch loop (its default size limits leave decode/ALU helpers as calls, costing ~2x).
INLINE_FLAGS = ["--param=max-inline-insns-single=20000", "--param=inline-unit-growth=20000",
                "--param=large-function-growth=20000", "--param=large-function-insns=200000",
                "--param=max-inline-insns-auto=200"]


def _extensions() -> list[Extension]:
    exts = []
    for pyx in sorted(HERE.glob("engine/**/*.pyx")) + sorted(HERE.glob("disks/**/*.pyx")):
        rel = pyx.relative_to(HERE)
        name = ".".join(rel.with_suffix("").parts)
        cflags = ["-O0", "-g"] if DEBUG else ["-O3", *INLINE_FLAGS]
        ldflags = []
        if SANITIZE:
            cflags += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
            ldflags += ["-fsanitize=address,undefined"]
        exts.append(
            Extension(name, [str(rel)], extra_compile_args=cflags, extra_link_args=ldflags)
        )
    return exts


directives = {
    "language_level": "3",
    "boundscheck": DEBUG,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": DEBUG,
}

setup(
    ext_modules=cythonize(
        _extensions(),
        compiler_directives=directives,
        annotate=os.environ.get("XTBOX_ANNOTATE") == "1",
        force=os.environ.get("XTBOX_FORCE") == "1",
    ),
)
