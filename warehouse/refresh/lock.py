"""Step 1, lock: one refresh per warehouse home at a time (cron can overlap a slow run)."""
from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator

from warehouse.platform.settings import Settings
from warehouse.refresh.errors import RefreshLocked


@contextlib.contextmanager
def refresh_lock(settings: Settings) -> Iterator[None]:
    """Hold the home's refresh lock, or raise RefreshLocked at once when another process holds it."""
    settings.home.mkdir(parents=True, exist_ok=True)
    handle = (settings.home / ".refresh.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise RefreshLocked(
            f"another refresh is running on {settings.home} (lock {settings.home / '.refresh.lock'}); "
            "wait for it to finish"
        ) from exc
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@contextlib.contextmanager
def waiting_refresh_lock(settings: Settings, wait_seconds: float = 3) -> Iterator[None]:
    """The refresh lock; a `status` that is repairing the home holds it for a moment, so wait a little."""
    deadline = time.monotonic() + wait_seconds
    while True:
        lock = refresh_lock(settings)
        try:
            lock.__enter__()
            break
        except RefreshLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
    try:
        yield
    finally:
        lock.__exit__(None, None, None)
