"""The headless ``xtbox`` command line: everything the TUI does, for scripts and tests.

Each sub-command group lives in its own module exposing ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tui import __version__

# Sub-command modules, in the order their groups appear in ``xtbox --help``.
_GROUPS = ("run", "vm", "disk")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xtbox",
        description="VirtualBox for the terminal: create, boot and snapshot small XT-class PCs.",
    )
    parser.add_argument("--version", action="version", version=f"xtbox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _GROUPS:
        importlib.import_module(f"tui.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from tui.app import run_app
        return run_app() or 0
    if args.command == "disk":
        from engine.vmm import home
        home.data_home()                  # trust xtbox's own images' backing links
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.parse_args([*(argv or sys.argv[1:]), "--help"])
        return 2
    return handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
