"""The dashboard's one door to the published warehouse: the analysts' SQL sandbox, one per published file.

The sandbox (warehouse.serving.sandbox.Sandbox: read-only, external access off, schemas main/seeds/meta only) is cached per
(inode, mtime) of warehouse.duckdb, so a newly published version is picked up on the next rerun without
restarting Streamlit; sandboxes of older versions are closed before the new file is opened.
"""
from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from warehouse.platform.settings import Settings, load_settings
from warehouse.serving.sandbox import QueryFailed, QueryRefused, Sandbox, sandbox_options

__all__ = ["QueryFailed", "QueryRefused", "Runner", "make_runner", "published_file_key", "published_version_info",
           "settings"]

QUERY_TTL_SECONDS = 300  # results are keyed by the file version too, so a publish never serves stale rows
APP_MAX_ROWS = 200_000  # app queries are ours and aggregated; the cap only guards against a runaway query
OPEN_RETRIES = 5  # a publish may swap the file while we open it: retry a few times, 0.2 s apart
Runner = Callable[[str, Sequence[Any] | None], pl.DataFrame]


def settings() -> Settings:
    """Settings read from the environment on each rerun (WAREHOUSE_HOME may differ per test)."""
    return load_settings()


def published_file_key(path: Path) -> tuple[int, int] | None:
    """(inode, mtime_ns) of the published file, or None when nothing is published yet."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    if stat.st_size == 0:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


def _close_quietly(sandbox: Sandbox) -> None:
    """Closing a stale connection must never break a page."""
    with contextlib.suppress(Exception):
        sandbox.close()


@st.cache_resource(max_entries=1, show_spinner=False, on_release=_close_quietly)
def _sandbox_for(path: str, file_key: tuple[int, int], sql_settings: tuple[tuple[str, Any], ...]) -> Sandbox:
    """One sandbox per published file version (file_key is part of the cache key on purpose)."""
    del file_key
    return Sandbox(Path(path), **dict(sql_settings))


def _sql_settings(config: Settings) -> tuple[tuple[str, Any], ...]:
    """The validated [sql] settings, hashable for the cache key (their defaults live in settings.toml only)."""
    return tuple(sorted(sandbox_options(config).items()))


_CURRENT_KEYS: dict[str, tuple[int, int]] = {}


def _retire_old_versions(path: str, file_key: tuple[int, int]) -> None:
    """Close sandboxes of older versions first: DuckDB hands back the old database while one is still open."""
    previous = _CURRENT_KEYS.get(path)
    if previous is not None and previous != file_key:
        _sandbox_for.clear()  # on_release closes each cached sandbox
        _cached_query.clear()
    _CURRENT_KEYS[path] = file_key


def _sandbox(config: Settings, file_key: tuple[int, int]) -> Sandbox:
    """The sandbox for this version, retrying briefly if a publish swaps the file while we open it."""
    _retire_old_versions(str(config.published_path), file_key)
    last_error: Exception | None = None
    for _ in range(OPEN_RETRIES):
        try:
            return _sandbox_for(str(config.published_path), file_key, _sql_settings(config))
        except Exception as exc:  # noqa: BLE001 - file replaced mid-open during a refresh: try again
            last_error = exc
            time.sleep(0.2)
    raise QueryFailed(f"could not open {config.published_path}: {last_error}. Reload the page in a moment.")


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=500, show_spinner=False)
def _cached_query(path: str, file_key: tuple[int, int], sql: str, params: tuple[Any, ...],
                  sql_settings: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    """Query results cached per file version, SQL text and parameters (through the sandbox's policy)."""
    sandbox = _sandbox_for(path, file_key, sql_settings)
    return sandbox.query(sql, list(params), max_rows=APP_MAX_ROWS).frame


def make_runner(config: Settings, file_key: tuple[int, int]) -> Runner:
    """A run(sql, params) -> DataFrame bound to the published version current at this rerun.

    If a publish replaced the file after this rerun started (the old sandbox was closed under a query), the
    query is run once more on the new version instead of failing: pages never show an error during a refresh.
    """
    sql_settings = _sql_settings(config)
    path = str(config.published_path)
    _sandbox(config, file_key)
    current = {"key": file_key}

    def run(sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        values = tuple(params or ())
        try:
            return _cached_query(path, current["key"], sql, values, sql_settings)
        except QueryRefused:
            raise
        except Exception:
            newer = published_file_key(config.published_path)
            if newer is None or newer == current["key"]:
                raise
            current["key"] = newer
            _sandbox(config, newer)
            return _cached_query(path, newer, sql, values, sql_settings)

    return run


def published_version_info(config: Settings) -> dict[str, Any]:
    """What published.json says (version id, published_at, run id); empty before the first publish."""
    pointer = config.home / "published.json"
    try:
        return json.loads(pointer.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
