"""Memory allocator settings for the batch job (refresh): keep freed memory for reuse instead of returning it to
the kernel after every file.

Ingest allocates and frees buffers of tens of megabytes per file (a month's web log is 40-70 MB). By default glibc
serves each from a fresh mmap and polars' jemalloc hands freed pages back within seconds, so every file
faults its pages in again: at full size 14 million page faults and 73 s of system time in a 165 s ingest.
Kept a little longer, the same pages are reused (docs/stack_notes.md, "Allocators"). The dashboard and the
SQL console do not call this: a long-lived server should give memory back.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

# jemalloc (inside polars) reads this once, when polars is first imported, after polars' own default
# (dirty_decay_ms:500,muzzy_decay_ms:1000): freed pages are purged after 5 s instead of half a second
JEMALLOC_CONF = "dirty_decay_ms:5000,muzzy_decay_ms:5000"
# glibc mallopt parameters (malloc.h) and their values for the batch job
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
GLIBC_SETTINGS = {
    M_MMAP_THRESHOLD: 256 * 1024 * 1024,  # buffers below 256 MB come from the heap, not a fresh mmap each
    M_TRIM_THRESHOLD: 512 * 1024 * 1024,  # give the heap's free top back to the kernel only above 512 MB
    M_TOP_PAD: 64 * 1024 * 1024,
}


def tune_for_batch() -> list[str]:
    """Apply the batch job's allocator settings to this process; what was applied.

    jemalloc's part applies only if polars is not imported yet (a setting given in _RJEM_MALLOC_CONF wins);
    glibc's applies at any time, and only where the C library is glibc."""
    applied = []
    if "polars" not in sys.modules and "_RJEM_MALLOC_CONF" not in os.environ:
        os.environ["_RJEM_MALLOC_CONF"] = JEMALLOC_CONF
        applied.append(f"jemalloc {JEMALLOC_CONF}")
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        mallopt = None
    if mallopt is not None and all(mallopt(option, value) == 1 for option, value in GLIBC_SETTINGS.items()):
        applied.append("glibc mmap threshold 256 MB, trim threshold 512 MB")
    return applied
