"""Errors of the disk layer. Every message names the image file and what is wrong with it."""

from __future__ import annotations


class DiskError(Exception):
    """Any problem with a disk image: the message is meant for the user as it is."""


class ImageFormatError(DiskError):
    """The file is not a valid image of the format it claims (or is damaged)."""


class ImageLockedError(DiskError):
    """Another process has the image open for writing."""


class BackingFileError(DiskError):
    """A backing file is missing, loops, or lies outside the folder it may use."""


def describe(path: object, problem: str) -> str:
    return f"{path}: {problem}"
