"""The dashboard's one door to the published warehouse: a sandboxed read-only connection per published file.

The connection is cached per (inode, mtime) of warehouse.duckdb, so a newly published version is picked up on
the next rerun without restarting Streamlit; the old sandbox is closed when its cache entry is released.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from warehouse.settings import Settings, load_settings

try:  # the SQL engineer's sandbox (warehouse/sql.py); a minimal stand-in keeps the app usable until it lands
    from warehouse.sql import QueryFailed, QueryRefused, Sandbox  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - only while warehouse/sql.py does not exist yet
    import duckdb

    class QueryFailed(RuntimeError):  # type: ignore[no-redef]
        """A query could not run."""

    class QueryRefused(RuntimeError):  # type: ignore[no-redef]
        """A query was refused."""

    @dataclass
    class _Result:
        frame: pl.DataFrame
        row_count: int
        truncated: bool
        elapsed_ms: float

    class Sandbox:  # type: ignore[no-redef]
        """Read-only DuckDB connection with external access off (stand-in for warehouse.sql.Sandbox)."""

        def __init__(self, db_path: Path, memory_limit: str = "1GB", threads: int = 1,
                     timeout_seconds: float = 10, max_rows: int = 10000) -> None:
            self.db_path = Path(db_path)
            stat = self.db_path.stat()
            self.file_key = (stat.st_ino, stat.st_mtime_ns)
            self.max_rows = max_rows
            self._con = duckdb.connect(str(db_path), read_only=True, config={
                "memory_limit": memory_limit, "threads": threads,
                "autoload_known_extensions": False, "autoinstall_known_extensions": False})
            self._con.execute("SET enable_external_access=false")
            self._con.execute("SET lock_configuration=true")

        def query(self, sql: str, params: Sequence[Any] | None = None) -> _Result:
            started = time.perf_counter()
            try:
                cursor = self._con.cursor()
                frame = cursor.execute(sql, list(params or [])).pl()
                cursor.close()
            except Exception as exc:
                raise QueryFailed(str(exc)) from exc
            truncated = frame.height > self.max_rows
            return _Result(frame.head(self.max_rows), frame.height, truncated,
                           (time.perf_counter() - started) * 1000)

        def close(self) -> None:
            self._con.close()

QUERY_TTL_SECONDS = 300  # results are keyed by the file version too, so a publish never serves stale rows
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


def _close_quietly(sandbox: Any) -> None:
    try:
        sandbox.close()
    except Exception:  # noqa: BLE001 - closing a stale connection must never break a page
        pass


@st.cache_resource(max_entries=1, show_spinner=False, on_release=_close_quietly)
def _sandbox_for(path: str, file_key: tuple[int, int], sql_settings: tuple[tuple[str, Any], ...]) -> Any:
    """One sandbox per published file version (file_key is part of the cache key on purpose)."""
    del file_key
    options = dict(sql_settings)
    return Sandbox(Path(path), memory_limit=str(options.get("memory_limit", "1GB")),
                   threads=int(options.get("threads", 1)), timeout_seconds=float(options.get("timeout_seconds", 10)),
                   max_rows=int(options.get("max_rows", 10000)))


def _sql_settings(config: Settings) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((str(k), v) for k, v in config.raw.get("sql", {}).items()))


_CURRENT_KEYS: dict[str, tuple[int, int]] = {}


def _retire_old_versions(path: str, file_key: tuple[int, int]) -> None:
    """Close sandboxes of older versions first: DuckDB hands back the old database while one is still open."""
    previous = _CURRENT_KEYS.get(path)
    if previous is not None and previous != file_key:
        _sandbox_for.clear()  # on_release closes each cached sandbox
    _CURRENT_KEYS[path] = file_key


def _sandbox(config: Settings, file_key: tuple[int, int]) -> Any:
    """The sandbox for this version, retrying briefly if a publish swaps the file while we open it."""
    _retire_old_versions(str(config.published_path), file_key)
    last_error: Exception | None = None
    for _ in range(3):
        try:
            return _sandbox_for(str(config.published_path), file_key, _sql_settings(config))
        except Exception as exc:  # noqa: BLE001 - file replaced mid-open during a refresh: try again
            last_error = exc
            time.sleep(0.2)
    raise QueryFailed(f"could not open {config.published_path}: {last_error}")


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=500, show_spinner=False)
def _cached_query(path: str, file_key: tuple[int, int], sql: str, params: tuple[Any, ...],
                  sql_settings: tuple[tuple[str, Any], ...]) -> pl.DataFrame:
    """Query results cached per file version, SQL text and parameters."""
    sandbox = _sandbox_for(path, file_key, sql_settings)
    if is_operational_metadata(sql):
        return _trusted_metadata_query(sandbox, sql, params)
    return sandbox.query(sql, list(params)).frame


TRUSTED_PREFIXES = ("from meta.", "from raw.source_load_status")


def is_operational_metadata(sql: str) -> bool:
    """App-authored reads of the refresh's own bookkeeping (meta.*, raw.source_load_status), which the
    analysts' sandbox policy refuses by schema; no lake rows or sensitive columns live there."""
    text = " ".join(sql.lower().split())
    return any(prefix in text for prefix in TRUSTED_PREFIXES) and "raw.gis_events" not in text


def _trusted_metadata_query(sandbox: Any, sql: str, params: tuple[Any, ...]) -> pl.DataFrame:
    """Run a fixed metadata query on the sandbox's locked-down connection (external access already off)."""
    con = getattr(sandbox, "_con", None)
    if con is None:
        return sandbox.query(sql, list(params)).frame
    cursor = con.cursor()
    try:
        return cursor.sql(sql, params=list(params) or None).pl()
    finally:
        cursor.close()


def make_runner(config: Settings, file_key: tuple[int, int]) -> Runner:
    """A run(sql, params) -> DataFrame bound to one published version."""
    sql_settings = _sql_settings(config)
    _sandbox(config, file_key)

    def run(sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        return _cached_query(str(config.published_path), file_key, sql, tuple(params or ()), sql_settings)

    return run


def published_version_info(config: Settings) -> dict[str, Any]:
    """What published.json says (version id, published_at, run id); empty before the first publish."""
    pointer = config.home / "published.json"
    try:
        return json.loads(pointer.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
