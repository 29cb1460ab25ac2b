"""Durable file operations: what makes a rename survive a power cut (fsync of the data, then of the folder).

`os.replace` alone is atomic but not durable: after a crash the new name can point at a file whose data
never reached the disk. Every file the warehouse relies on after a crash is written through here.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path


def fsync_file(path: Path) -> None:
    """Flush a file's data to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new, renamed and removed names) to disk."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def replace(temp: Path, final: Path) -> None:
    """Durably move a finished temp file (or folder) over final: fsync it, rename, fsync the folder."""
    if temp.is_file():
        fsync_file(temp)
    os.replace(temp, final)
    fsync_dir(final.parent)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a whole file atomically and durably (readers see the old or the new content, never a part)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)


def write_text(path: Path, text: str) -> None:
    """write_bytes for UTF-8 text."""
    write_bytes(path, text.encode("utf-8"))


def copy_file(source: Path, target: Path) -> None:
    """Copy source to target atomically and durably (a separate inode, never a hard link)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.copyfile(source, temp)
    replace(temp, target)


def append_line(path: Path, line: str) -> None:
    """Append one line in a single write (O_APPEND) and fsync it: a crash leaves at most a torn last line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
