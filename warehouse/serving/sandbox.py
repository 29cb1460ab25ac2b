"""Sandboxed, read-only SQL on the published warehouse: the one code path for the app, its console and `warehouse sql`.

Two layers guard the file. DuckDB itself (read-only connection, external access off, configuration locked,
memory and thread limits) makes writing, reading files, ATTACH, INSTALL/LOAD and SET impossible. On top, a
policy reads each statement with DuckDB's own parser (`json_serialize_sql`) and its query plan (`EXPLAIN`) and
refuses anything but one SELECT over the analyst schemas (`main`, `seeds`, the catalog views), and any column
marked sensitive. A timer interrupts queries that run past the timeout; results are capped at `max_rows`.
"""
from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import duckdb
import polars as pl

from ingest.registry import SENSITIVE_COLUMNS
from warehouse.platform.settings import load_settings

# Schemas analysts may read: the marts, the plan's seeds and the refresh's own bookkeeping (meta: runs,
# quality results, source load status). `raw` (lake copies with pseudonymous ids), `staging` and
# `intermediate` are not.
ALLOWED_SCHEMAS = frozenset({"main", "seeds", "meta", "information_schema", "pg_catalog"})

# Columns that are never readable, whatever table holds them: those the ingest contracts mark sensitive
# (ingest.registry.SENSITIVE_COLUMNS); the dbt manifest's `meta: {sensitive: true}` columns are added when the
# published docs are present.

# Table functions that read no files and no table data: generators and the catalog's own metadata.
ALLOWED_TABLE_FUNCTIONS = frozenset({
    "range", "generate_series", "unnest", "repeat",
    "duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_schemas", "duckdb_databases", "duckdb_types",
    "duckdb_functions", "duckdb_keywords", "duckdb_constraints", "duckdb_indexes", "duckdb_sequences",
    "duckdb_settings", "pragma_table_info", "pragma_show", "pragma_version", "pragma_database_size",
})

POLICY_CACHE_SIZE = 512  # policy verdicts are cached per SQL text; the file is read-only while open
CLOSE_WAIT_SECONDS = 5  # close() waits this long for interrupted queries to hand back their cursors
FETCH_BATCH_ROWS = 2048  # rows per Arrow batch while streaming a result up to the row cap


class QueryRefused(Exception):
    """The statement breaks the sandbox policy; str(e) tells the person what to change."""


class QueryFailed(Exception):
    """DuckDB could not run the statement (error, timeout, memory); str(e) is a message for people."""


@dataclass
class QueryResult:
    frame: pl.DataFrame
    row_count: int
    truncated: bool
    elapsed_ms: float


@dataclass
class _Policy:
    """What the policy needs to know about the open file, read once at open time."""

    catalogs: frozenset[str]
    schemas: frozenset[str]
    sensitive: frozenset[str]
    verdicts: OrderedDict[str, str | None] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def sensitive_columns_from_manifest(manifest_path: Path) -> frozenset[str]:
    """Column names marked `meta: {sensitive: true}` in a dbt manifest (models, seeds and sources)."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return frozenset()
    names: set[str] = set()
    for group in ("nodes", "sources"):
        for node in manifest.get(group, {}).values():
            for name, column in (node.get("columns") or {}).items():
                meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
                if meta.get("sensitive") is True:
                    names.add(name.lower())
    return frozenset(names)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a parsed-statement JSON tree, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _looks_like_file(name: str) -> bool:
    """A FROM name DuckDB would treat as a file or URL (replacement scan), e.g. '/etc/passwd' or 'x.csv'."""
    return any(mark in name for mark in ("/", "\\", ":", "."))


def _resolve_schema(catalog: str, schema: str, policy: _Policy) -> str:
    """The schema a parsed reference binds to: `x.t` is schema x, or catalog x's main when x is a catalog."""
    schema = schema.lower()
    if not schema:
        return "main"
    if not catalog and schema not in policy.schemas and schema in policy.catalogs:
        return "main"
    return schema


def _refusal_for_parse_tree(tree: dict[str, Any], policy: _Policy) -> str | None:
    """Why the parsed statement is refused (tables, table functions, columns), or None when it is allowed."""
    for node in _walk(tree):
        kind = node.get("type")
        if kind == "BASE_TABLE" and not node.get("schema_name") and _looks_like_file(node.get("table_name", "")):
            return (f"reading files ('{node['table_name']}') is not allowed in the SQL console; "
                    "select from the warehouse tables instead.")
        if kind in {"BASE_TABLE", "SHOW_REF"} and node.get("table_name"):
            schema = _resolve_schema(node.get("catalog_name") or "", node.get("schema_name") or "", policy)
            if schema not in ALLOWED_SCHEMAS:
                name = ".".join(p for p in (node.get("schema_name"), node.get("table_name")) if p)
                return (f"table {name} is in schema '{schema}', which analysts cannot read "
                        f"(allowed: {', '.join(sorted(ALLOWED_SCHEMAS))}). Query the marts in main instead.")
        elif kind == "TABLE_FUNCTION":
            function = (node.get("function") or {}).get("function_name", "").lower()
            if function not in ALLOWED_TABLE_FUNCTIONS:
                return (f"table function {function}() is not allowed in the SQL console (it can read files or "
                        f"other schemas). Select from the warehouse tables instead.")
        elif node.get("class") == "COLUMN_REF":
            column = str((node.get("column_names") or [""])[-1]).lower()
            if column in policy.sensitive:
                return f"column {column} is marked sensitive and cannot be queried."
    return None


def _refusal_for_plan(plan: Any, policy: _Policy) -> str | None:
    """Why the bound plan is refused: a scan of a schema analysts cannot read, or of a sensitive column."""
    for node in _walk(plan):
        info = node.get("extra_info")
        if not isinstance(info, dict) or "Table" not in info:
            continue
        parts = str(info["Table"]).split(".")
        schema = parts[1].lower() if len(parts) >= 3 else "main"
        if schema not in ALLOWED_SCHEMAS:
            return (f"the query reads {info['Table']} in schema '{schema}', which analysts cannot read "
                    f"(allowed: {', '.join(sorted(ALLOWED_SCHEMAS))}).")
        text = json.dumps(info).lower()
        for column in policy.sensitive:
            if column in text:
                return f"the query reads column {column} of {info['Table']}, which is marked sensitive."
    return None


def _people_message(exc: BaseException) -> str:
    """DuckDB's message without the internal exception class name, trimmed to what helps."""
    text = str(exc).strip()
    return text if len(text) <= 2000 else text[:2000] + " …"


class Sandbox:
    """One read-only, locked-down DuckDB connection; each query runs on its own cursor with a timer and row cap."""

    def __init__(self, db_path: Path, *, memory_limit: str | None = None, threads: int | None = None,
                 timeout_seconds: float | None = None, max_rows: int | None = None,
                 sensitive_columns: Iterable[str] | None = None) -> None:
        """Limits left out come from the [sql] settings (settings.toml, the one place their defaults live)."""
        if None in (memory_limit, threads, timeout_seconds, max_rows):
            defaults = load_settings().sql
            memory_limit = defaults.memory_limit if memory_limit is None else memory_limit
            threads = defaults.threads if threads is None else threads
            timeout_seconds = defaults.timeout_seconds if timeout_seconds is None else timeout_seconds
            max_rows = defaults.max_rows if max_rows is None else max_rows
        self.db_path = Path(db_path)
        stat = self.db_path.stat()
        self.file_key: tuple[int, int] = (stat.st_ino, stat.st_mtime_ns)
        self.timeout_seconds = float(timeout_seconds)
        self.max_rows = int(max_rows)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active: set[duckdb.DuckDBPyConnection] = set()
        self._closed = False
        self._con = duckdb.connect(str(self.db_path), read_only=True, config={
            "memory_limit": memory_limit,
            "threads": int(threads),
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
            "python_enable_replacements": False,  # no reading Python variables by name
        })
        try:
            self._lock_down()
            self._policy = self._read_policy(sensitive_columns)
        except BaseException:
            self._con.close()
            raise

    def _lock_down(self) -> None:
        """Turn external access off and lock the configuration (a no-op if this process already did).

        DuckDB hands a second connect() to an already-open file the same database instance, whose settings
        another Sandbox in this process has locked; that is fine as long as it is locked down the same way.
        """
        try:
            self._con.execute("SET enable_external_access=false")
            self._con.execute("SET lock_configuration=true")
        except duckdb.InvalidInputException as exc:
            if "locked" not in str(exc):
                raise
        values = dict(self._con.execute(
            "select name, value from duckdb_settings() "
            "where name in ('enable_external_access', 'lock_configuration')").fetchall())
        if values != {"enable_external_access": "false", "lock_configuration": "true"}:
            raise QueryFailed(f"could not lock down {self.db_path} for read-only SQL (settings: {values}); "
                              "close other connections to this file in this process and try again.")

    def _read_policy(self, sensitive_columns: Iterable[str] | None) -> _Policy:
        """Catalog and schema names of the open file, and the sensitive column names."""
        rows = self._con.execute("select database_name, schema_name from duckdb_schemas()").fetchall()
        if sensitive_columns is None:
            manifest = self.db_path.parent / "docs" / "manifest.json"
            sensitive = SENSITIVE_COLUMNS | sensitive_columns_from_manifest(manifest)
        else:
            sensitive = frozenset(c.lower() for c in sensitive_columns)
        return _Policy(catalogs=frozenset(r[0].lower() for r in rows),
                       schemas=frozenset(r[1].lower() for r in rows), sensitive=sensitive)

    @property
    def sensitive_columns(self) -> frozenset[str]:
        """Column names (lower case) this sandbox never reads, whatever table holds them."""
        return self._policy.sensitive

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor (own transaction and interrupt) registered so close() can stop it."""
        with self._lock:
            if self._closed:
                raise QueryFailed("the SQL sandbox is closed; reopen the warehouse and try again.")
            cursor = self._con.cursor()
            self._active.add(cursor)
            return cursor

    def _release(self, cursor: duckdb.DuckDBPyConnection) -> None:
        try:
            cursor.close()
        except duckdb.Error:
            pass
        with self._idle:
            self._active.discard(cursor)
            self._idle.notify_all()

    def check(self, sql: str, params: list | dict | None = None) -> None:
        """Raise QueryRefused if the statement breaks the policy (parser first, then the bound plan)."""
        with self._policy.lock:
            if sql in self._policy.verdicts:
                self._policy.verdicts.move_to_end(sql)
                verdict = self._policy.verdicts[sql]
                if verdict is not None:
                    raise QueryRefused(verdict)
                return
        verdict = self._verdict(sql, params)
        with self._policy.lock:
            self._policy.verdicts[sql] = verdict
            while len(self._policy.verdicts) > POLICY_CACHE_SIZE:
                self._policy.verdicts.popitem(last=False)
        if verdict is not None:
            raise QueryRefused(verdict)

    def _verdict(self, sql: str, params: list | dict | None) -> str | None:
        """The refusal message for a statement, or None; DuckDB errors while binding raise QueryFailed."""
        cursor = self._cursor()
        try:
            try:
                statements = cursor.extract_statements(sql)
            except duckdb.Error as exc:
                raise QueryFailed(_people_message(exc)) from exc
            if len(statements) != 1:
                return (f"send exactly one statement (found {len(statements)}); "
                        "split the script and run the statements one at a time.")
            kind = str(statements[0].type).rsplit(".", 1)[-1]
            if kind != "SELECT":
                return (f"only SELECT queries are allowed here ({kind} statements are refused: the warehouse "
                        "is read-only and its settings are locked).")
            tree = json.loads(cursor.execute("select json_serialize_sql(?)", [sql]).fetchone()[0])
            if tree.get("error"):
                raise QueryFailed(f"{tree.get('error_type', 'parser')} error: {tree.get('error_message')}")
            refusal = _refusal_for_parse_tree(tree, self._policy)
            if refusal:
                return refusal
            cursor.sql(sql, params=params)  # binds without running: binder errors point at the user's text
            rows = cursor.execute("explain (format json) " + sql, params).fetchall()
            plan = [json.loads(row[1]) for row in rows if row[1].lstrip().startswith(("[", "{"))]
            return _refusal_for_plan(plan, self._policy)
        except duckdb.PermissionException as exc:
            return f"{_people_message(exc)}. The SQL console cannot read or write files."
        except (duckdb.InvalidInputException, duckdb.NotImplementedException) as exc:
            if "read-only" in str(exc) or "locked" in str(exc):
                return _people_message(exc)
            raise QueryFailed(_people_message(exc)) from exc
        except duckdb.Error as exc:
            raise QueryFailed(_people_message(exc)) from exc
        finally:
            self._release(cursor)

    def query(self, sql: str, params: list | dict | None = None, *, max_rows: int | None = None) -> QueryResult:
        """Run one allowed SELECT with a timeout; at most max_rows rows come back (truncated says if more existed)."""
        limit = self.max_rows if max_rows is None else int(max_rows)
        started = time.perf_counter()
        self.check(sql, params)
        cursor = self._cursor()
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            cursor.interrupt()

        timer = threading.Timer(self.timeout_seconds, stop)
        timer.daemon = True
        timer.start()
        try:
            relation = cursor.sql(sql, params=params)
            reader = relation.to_arrow_reader(FETCH_BATCH_ROWS)
            batches, fetched = [], 0
            for batch in reader:
                batches.append(batch)
                fetched += batch.num_rows
                if fetched > limit:
                    break
            import pyarrow as pa

            table = pa.Table.from_batches(batches, schema=reader.schema)
        except Exception as exc:
            if timed_out.is_set():
                raise QueryFailed(
                    f"the query was stopped after {self.timeout_seconds:g} s (the time limit). "
                    "Filter or aggregate more, or add a LIMIT.") from exc
            if isinstance(exc, duckdb.PermissionException):
                raise QueryRefused(_people_message(exc)) from exc
            if isinstance(exc, duckdb.OutOfMemoryException):
                raise QueryFailed("the query needs more memory than the sandbox allows "
                                  f"({_people_message(exc).splitlines()[0]}). Aggregate more or select fewer columns.") from exc
            raise QueryFailed(_people_message(exc)) from exc
        finally:
            timer.cancel()
            self._release(cursor)
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        truncated = frame.height > limit
        frame = frame.head(limit)
        return QueryResult(frame=frame, row_count=frame.height, truncated=truncated,
                           elapsed_ms=(time.perf_counter() - started) * 1000)

    def tables(self) -> pl.DataFrame:
        """Readable tables and columns with their descriptions (dbt persist_docs writes them as comments)."""
        schemas = sorted(ALLOWED_SCHEMAS - {"information_schema", "pg_catalog"})
        placeholders = ", ".join("?" for _ in schemas)
        sql = f"""
            select
                columns.schema_name as schema,
                columns.table_name as "table",
                columns.column_name as "column",
                columns.data_type as type,
                coalesce(columns.comment, '') as description,
                coalesce(tables.comment, views.comment, '') as table_description
            from duckdb_columns() as columns
            left join duckdb_tables() as tables
                on tables.database_name = columns.database_name
                and tables.schema_name = columns.schema_name and tables.table_name = columns.table_name
            left join duckdb_views() as views
                on views.database_name = columns.database_name
                and views.schema_name = columns.schema_name and views.view_name = columns.table_name
            where columns.database_name = current_database() and columns.schema_name in ({placeholders})
            order by columns.schema_name, columns.table_name, columns.column_index
        """
        frame = self.query(sql, schemas, max_rows=1_000_000).frame
        return frame.filter(~pl.col("column").str.to_lowercase().is_in(sorted(self._policy.sensitive)))

    def close(self) -> None:
        """Stop running queries and really close DuckDB, so a reconnect sees the newly published file."""
        with self._lock:
            self._closed = True
            active = list(self._active)
        for cursor in active:
            try:
                cursor.interrupt()
            except duckdb.Error:
                pass
        deadline = time.monotonic() + CLOSE_WAIT_SECONDS
        with self._idle:
            while self._active and time.monotonic() < deadline:
                self._idle.wait(timeout=0.05)
            leftover = list(self._active)
            self._active.clear()
        for cursor in leftover:
            try:
                cursor.close()
            except duckdb.Error:
                pass
        self._con.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_sandbox(settings: Any, db_path: Path | None = None, **overrides: Any) -> Sandbox:
    """The sandbox on the published warehouse with the [sql] settings; FileNotFoundError says how to publish one.

    overrides (timeout_seconds, max_rows, ...) replace the [sql] settings, for trusted batch jobs like the export.
    db_path opens another finished file instead (a release being published: its docs/ sits beside it).
    """
    path = Path(db_path) if db_path is not None else Path(settings.published_path)
    if not path.exists() or path.stat().st_size == 0:
        raise FileNotFoundError(
            f"No published warehouse at {path}. Publish one first: `warehouse demo` (sample data) or "
            "`warehouse refresh` (files in landing/), or point WAREHOUSE_HOME at a data home that has one.")
    manifest = (path.parent / "docs" if db_path is not None else Path(settings.docs_dir)) / "manifest.json"
    arguments: dict[str, Any] = {
        **sandbox_options(settings),
        "sensitive_columns": SENSITIVE_COLUMNS | sensitive_columns_from_manifest(manifest),
    }
    return Sandbox(path, **{**arguments, **overrides})


def sandbox_options(settings: Any) -> dict[str, Any]:
    """The [sql] settings as Sandbox keyword arguments (memory_limit, threads, timeout_seconds, max_rows)."""
    return dataclasses.asdict(settings.sql)
