"""Python's cycle collector and the data a refresh keeps for its whole run.

A refresh holds the lake's manifest in memory from the first step to the last: after ten years, 37,000 file
versions and about a million Python objects, and ingest holds a second copy it changes. Every full collection of
the cycle collector walks all of them again, though none can be garbage while the run lasts. Profiled on a
10-year month, the collector took 3.9 s of a 29 s refresh, most of it in 15 full collections; on one year it
is a fraction of that, so it was a large part of what made a month cost more on a long history.

Inside long_lived_scope(), freeze() moves what the process holds at that moment out of the collector's sight
(gc.freeze); when the scope ends everything is handed back (gc.unfreeze), so a process that runs many refreshes
(the tests) keeps no more than before. Cyclic garbage that exists at a freeze is only freed after the scope.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0


@contextmanager
def long_lived_scope() -> Iterator[None]:
    """A stretch of work (one refresh) whose freeze() calls last until it ends; scopes may nest."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.unfreeze()


def freeze() -> None:
    """Leave what the process holds now out of later full collections, until the scope ends (no-op outside one)."""
    if _depth:
        gc.freeze()


@contextmanager
def no_collection() -> Iterator[None]:
    """The collector off while a large structure without cycles is built (the manifest's rows parsed, copied or
    indexed): it makes no cyclic garbage, and each full collection on the way would walk everything built so far
    (five of them, 0.3 s, while a 10-year manifest was parsed)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def leave_to_the_os() -> None:
    """Before a command's process ends: the interpreter's last full collection at exit walks everything still
    held (0.45 s after a 10-year refresh) only to free it, which the OS does anyway."""
    gc.freeze()
