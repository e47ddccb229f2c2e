"""The built-in demo disk: a boot floppy of our own (demo.asm) with a tiny shell."""

from pathlib import Path

DEMO_IMAGE = Path(__file__).with_name("demo.img")


def demo_disk_path() -> Path:
    """The pristine demo floppy. Never boot it writable: put an overlay on it."""
    return DEMO_IMAGE
