"""Durable file operations: what makes a rename survive a power cut (fsync of the data, then of the folder).

`os.replace` alone is atomic but not durable: after a crash the new name can point at a file whose data
never reached the disk. Every file the warehouse relies on after a crash is written through here.

Files that nothing relies on until a later commit point lists them (ingest's lake parts and archived originals,
listed by the manifest) may be written in a `deferred()` scope: they are renamed atomically at once but made
durable together by `flush()` — one syncfs(2) per filesystem instead of two fsyncs per file — which the commit
point calls before it writes (`immediate()`), so it never lists a file that is not on disk.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class _Pending:
    """Files and folders renamed in a deferred scope and not yet flushed (dicts: ordered sets). Threads that run
    in the scope's context (ingest archives originals on one) share it: the lock keeps a flush from missing or
    tripping over what another thread records meanwhile."""

    files: dict[Path, None] = field(default_factory=dict)
    folders: dict[Path, None] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_pending: ContextVar[_Pending | None] = ContextVar("durable_pending", default=None)


def _load_syncfs() -> Callable[[int], int] | None:
    """libc's syncfs(2) (Linux), or None where there is none (then flush() fsyncs file by file)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_SYNCFS = _load_syncfs()


FileState = tuple[int, int, int]  # inode, size, mtime_ns: a file replaced by a rename or rewritten has another


def file_state(path: Path) -> FileState | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class FileMemo:
    """What this process read from (or wrote to) one file, kept while the file is in the same state: a document
    that several steps of a refresh read (the manifest, the record of verified parts) is parsed once."""

    def __init__(self) -> None:
        self._entry: tuple[Path, FileState, Any] | None = None

    def get(self, path: Path, state: Any = None) -> tuple[Any, Any]:
        """The file's state now, and the value kept for that state (None when there is none). Take the state
        before reading the file, and put the value under it: a write in between then makes it a miss. A document
        of several files passes its own state (None when it does not exist)."""
        state = file_state(path) if state is None else state
        entry = self._entry
        if state is not None and entry is not None and entry[0] == path and entry[1] == state:
            return state, entry[2]
        return state, None

    def put(self, path: Path, state: Any, value: Any) -> None:
        """Keep value for the file in that state (one file at a time: a long-lived process holds no old ones)."""
        self._entry = None if state is None else (path, state, value)

    def clear(self) -> None:
        self._entry = None


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


def _syncfs(folder: Path) -> None:
    """Flush everything written to the filesystem that holds folder (data, names, new folders)."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _SYNCFS(descriptor) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"syncfs: {os.strerror(error)}", str(folder))
    finally:
        os.close(descriptor)


@contextmanager
def deferred() -> Iterator[None]:
    """A scope in which replace, write_bytes and copy_file rename atomically but leave the fsyncs to flush();
    leaving it flushes. For files that count only once a later commit point (written in immediate()) lists
    them; a nested scope joins the outer one."""
    if _pending.get() is not None:
        yield
        return
    token = _pending.set(_Pending())
    try:
        yield
    finally:
        try:
            flush()
        finally:
            _pending.reset(token)


def flush() -> None:
    """Make every file and folder recorded in the deferred scope durable: one syncfs(2) per filesystem touched,
    or, without syncfs, one fsync per recorded file and folder that still exists. Nothing to do outside a scope."""
    pending = _pending.get()
    if pending is None:
        return
    with pending.lock:
        files, folders = list(pending.files), list(pending.folders)
        pending.files.clear()
        pending.folders.clear()
    if not folders:
        return
    try:
        if _SYNCFS is not None:
            by_device: dict[int, Path] = {}
            for folder in folders:
                try:
                    by_device.setdefault(os.stat(folder).st_dev, folder)
                except FileNotFoundError:  # removed since (a staging folder): nothing of it is needed
                    continue
            for folder in by_device.values():
                _syncfs(folder)
        else:
            for path in files:
                if path.is_file():
                    fsync_file(path)
            for folder in folders:
                if folder.is_dir():
                    fsync_dir(folder)
    except BaseException:  # not flushed: still pending for the next flush
        with pending.lock:
            pending.files.update(dict.fromkeys(files))
            pending.folders.update(dict.fromkeys(folders))
        raise


@contextmanager
def immediate() -> Iterator[None]:
    """A commit point: flush what was deferred, then write durably at once inside (even in a deferred scope)."""
    flush()
    token = _pending.set(None)
    try:
        yield
    finally:
        _pending.reset(token)


def _written(path: Path, is_file: bool) -> None:
    """After a rename: fsync the folder now, or record the file and folder for flush() in a deferred scope."""
    pending = _pending.get()
    if pending is None:
        fsync_dir(path.parent)
        return
    with pending.lock:
        if is_file:
            pending.files[path] = None
        pending.folders[path.parent] = None


def replace(temp: Path, final: Path) -> None:
    """Durably move a finished temp file (or folder) over final: fsync it, rename, fsync the folder."""
    is_file = temp.is_file()
    if is_file and _pending.get() is None:
        fsync_file(temp)
    os.replace(temp, final)
    _written(final, is_file)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a whole file atomically and durably (readers see the old or the new content, never a part)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with temp.open("wb") as handle:
        handle.write(data)
        if _pending.get() is None:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(temp, path)
    _written(path, True)


def write_text(path: Path, text: str) -> None:
    """write_bytes for UTF-8 text."""
    write_bytes(path, text.encode("utf-8"))


def copy_file(source: Path, target: Path, *, hashed: bool = False) -> str | None:
    """Copy source to target atomically and durably (a separate inode, never a hard link); the kernel copies
    (sendfile). hashed=True also returns source's SHA-256, read on a second thread while the kernel copies and
    flushes: for the 1.1 GB file of ten years, hashing while copying in Python took 1-3 s, the two side by side
    ~0.6 s. Only for a source nothing writes to (a published file), so the copy has the bytes hashed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    if not hashed:
        shutil.copyfile(source, temp)
        replace(temp, target)
        return None
    with ThreadPoolExecutor(1, thread_name_prefix="hash") as pool:
        hashing = pool.submit(sha256_file, source)
        shutil.copyfile(source, temp)
        replace(temp, target)
        return hashing.result()


def sha256_file(path: Path, chunk: int = 4 << 20) -> str:
    """The SHA-256 of a file, read in large chunks (hashlib releases the GIL on each)."""
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while data := reader.read(chunk):
            digest.update(data)
    return digest.hexdigest()


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
