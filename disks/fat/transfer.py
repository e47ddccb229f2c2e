"""Copying between host folders and FAT volumes, the work behind `xtbox disk cp/rm/mkdir`,
`disk create --fat --from` and folder drives.

Host -> volume keeps each file's modification time (to DOS's 2 seconds) and makes a host
file without write permission READ-ONLY; volume -> host sets the file's time back and drops
write permission for READ-ONLY files. Names that are not 8.3 get a DOS short name
(names.py), reported in ``Report.renamed``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from disks.fat import dirent
from disks.fat.volume import FatError, Volume

Progress = Callable[[int, int], None]


@dataclass
class Report:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)   # (host path, DOS path)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (host path, why)
    made: set[tuple[int, str]] = field(default_factory=set)        # (directory, 8.3 name)
    total: int = 0
    progress: Progress | None = None

    def add(self, n: int) -> None:
        self.bytes += n
        if self.progress and self.total:
            self.progress(self.bytes, self.total)


def tree_bytes(path: Path) -> int:
    if path.is_dir() and not path.is_symlink():
        return sum(tree_bytes(p) for p in path.iterdir())
    return path.stat().st_size if path.is_file() else 0


def copy_in(vol: Volume, src: Path, parent: dirent.Entry, name: str, *, recursive: bool,
            report: Report, shown: str = "") -> None:
    """Copy host ``src`` into directory ``parent`` under ``name``."""
    shown = shown or "/" + name
    if src.is_symlink() and src.is_dir():
        report.skipped.append((str(src), "a link to a directory (not followed)"))
        return
    existing = vol.find(parent.cluster, name)
    if existing is not None and (parent.cluster, existing.name) in report.made:
        # Two host names that DOS cannot tell apart (it ignores case): keep the first.
        report.skipped.append((str(src), f"DOS cannot tell it from {existing.shown} "
                               "(names ignore case)"))
        return
    if src.is_dir():
        if not recursive:
            raise FatError(f"{src}: is a directory (use -r)")
        target = existing
        if target is None:
            target, shortened = vol.mkdir(parent, name, mtime=src.stat().st_mtime)
            report.dirs += 1
            report.made.add((parent.cluster, target.name))
            if shortened:
                report.renamed.append((str(src), _dos(shown, target.name)))
        elif not target.is_dir:
            raise FatError(f"{vol.where}:{shown}: exists and is not a directory")
        for child in sorted(src.iterdir()):
            copy_in(vol, child, target, child.name, recursive=True, report=report,
                    shown=_dos(shown, target.name) + "/" + child.name)
        return
    if not src.is_file():
        report.skipped.append((str(src), "not a regular file"))
        return
    st = src.stat()
    attr = dirent.ARCHIVE | (0 if st.st_mode & stat.S_IWUSR else dirent.READ_ONLY)
    with open(src, "rb") as f:
        entry, shortened = vol.write_file(parent, name, f, st.st_size, mtime=st.st_mtime,
                                          attr=attr)
    report.files += 1
    report.made.add((parent.cluster, entry.name))
    report.add(st.st_size)
    if shortened:
        report.renamed.append((str(src), _dos(shown, entry.name)))


def _dos(shown: str, stored: str) -> str:
    head = shown.rsplit("/", 1)[0]
    return f"{head}/{stored}"


def copy_out(vol: Volume, entry: dirent.Entry, dest: Path, *, recursive: bool,
             report: Report) -> None:
    """Copy a file or (with ``recursive``) a directory of the volume to host ``dest``."""
    if entry.is_dir:
        if not recursive:
            raise FatError(f"{vol.where}: {entry.shown} is a directory (use -r)")
        dest.mkdir(exist_ok=True)
        report.dirs += 1
        for child in vol.entries(entry.cluster):
            copy_out(vol, child, dest / child.shown, recursive=True, report=report)
        if entry.cluster:
            _set_time(dest, entry)
        return
    if dest.exists() and not os.access(dest, os.W_OK):
        dest.chmod(dest.stat().st_mode | stat.S_IWUSR)
    with open(dest, "wb") as f:
        for chunk in vol.read_chunks(entry):
            f.write(chunk)
            report.add(len(chunk))
    report.files += 1
    _set_time(dest, entry)
    if entry.attr & dirent.READ_ONLY:
        dest.chmod(dest.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _set_time(dest: Path, entry: dirent.Entry) -> None:
    t = dirent.timestamp(entry.mdate, entry.mtime)
    os.utime(dest, (t, t))


def remove(vol: Volume, entry: dirent.Entry, *, recursive: bool, report: Report) -> None:
    if entry.is_dir:
        if not recursive and vol.entries(entry.cluster, labels=True):
            raise FatError(f"{vol.where}: {entry.shown} is a directory that is not empty "
                           "(use -r)")
        if recursive:
            for child in vol.entries(entry.cluster):
                remove(vol, child, recursive=True, report=report)
        report.dirs += 1
    else:
        report.files += 1
    vol.remove(entry)


def fill(vol: Volume, folder: Path, report: Report) -> None:
    """Copy a host folder's contents into the volume's root directory."""
    root = vol.lookup("")
    for child in sorted(folder.iterdir()):
        copy_in(vol, child, root, child.name, recursive=True, report=report)
