"""The one rule for backing files, for every link of a backing chain.

A backing file opens however it is written (relative, or absolute as ``qemu-img create -b
/abs/dir/base.qcow2`` records it) when it resolves, symlinks followed, inside the overlay's
own folder or below it, or inside a folder the application trusts (xtbox trusts its data
folder, where it keeps the bases of demo VMs, linked clones and temporary overlays). Anything
else is refused unless the caller allows it: an image's header is data from whoever made the
image, and a backing path like ``/home/you/secret.img`` or ``../../other-vm/disk.qcow2`` would
otherwise let an image read files its user never meant to hand it.
"""

from __future__ import annotations

import os

from disks.errors import BackingFileError

_trusted: list[str] = []


def trust(folder: str | os.PathLike) -> None:
    """Let backing files below ``folder`` open without ``allow_outside_backing`` (for the
    whole process: the application's own data folder)."""
    real = os.path.realpath(folder)
    if real not in _trusted:
        _trusted.append(real)


def resolve(image_path: str | os.PathLike, name: str) -> str:
    """The backing file's real path: ``name`` taken relative to the image's folder."""
    folder = os.path.dirname(os.path.abspath(image_path))
    return os.path.realpath(os.path.join(folder, os.path.expanduser(name)))


def _below(path: str, folder: str) -> bool:
    return os.path.commonpath([folder, path]) == folder


def allowed(image_path: str | os.PathLike, target: str) -> bool:
    """Whether a resolved backing path opens without being allowed explicitly."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(image_path)))
    return _below(target, folder) or any(_below(target, t) for t in _trusted)


def check(image_path: str | os.PathLike, name: str, *, allow_outside: bool) -> str:
    """The resolved backing path, or BackingFileError when the rule refuses it."""
    target = resolve(image_path, name)
    if not allow_outside and not allowed(image_path, target):
        folder = os.path.dirname(os.path.abspath(image_path))
        raise BackingFileError(
            f"{image_path}: backing file {name!r} resolves to {target}, outside the image's "
            f"folder {folder}; if you trust this image, allow it explicitly "
            "(--allow-outside-backing)")
    return target


def refused_links(path: str | os.PathLike, *, limit: int = 16) -> list[tuple[str, str, str]]:
    """Every link of ``path``'s backing chain that the rule would refuse, as (image, name as
    written, resolved path), read from the headers alone (``xtbox disk check`` warns of them,
    since opening the chain would fail without --allow-outside-backing)."""
    from disks.images import probe
    from disks.qcow2.header import parse_header
    refused = []
    current, seen = os.fspath(path), set()
    while len(seen) < limit and os.path.exists(current) and probe(current) == "qcow2":
        seen.add(os.path.realpath(current))
        with open(current, "rb") as f:
            header = parse_header(f.read(65536), current)
        if not header.backing_file:
            break
        target = resolve(current, header.backing_file)
        if not allowed(current, target):
            refused.append((current, header.backing_file, target))
        if target in seen:
            break
        current = target
    return refused
