"""The SQL sandbox against a real DuckDB file: what analysts may do, and every escape attempt refused."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse.serving.sandbox import QueryFailed, QueryRefused, Sandbox, open_sandbox

ESCAPES = [
    # (attempt, words the refusal must contain)
    ("select * from read_csv('/etc/passwd')", "read_csv"),
    ("select * from read_text('/etc/passwd')", "read_text"),
    ("select * from '/etc/passwd'", "reading files"),
    ("select * from 'https://example.com/data.csv'", "reading files"),
    ("select * from glob('/etc/*')", "glob"),
    ("copy main.mart_gis_usage_monthly to '/tmp/leak.csv'", "only SELECT"),
    ("copy (select 1) to '/tmp/leak.parquet' (format parquet)", "only SELECT"),
    ("export database '/tmp/leak'", "only SELECT"),
    ("attach '/tmp/other.duckdb' as other", "only SELECT"),
    ("detach warehouse", "only SELECT"),
    ("install httpfs", "only SELECT"),
    ("load httpfs", "only SELECT"),
    ("set enable_external_access = true", "only SELECT"),
    ("set memory_limit = '100GB'", "only SELECT"),
    ("reset threads", "only SELECT"),
    ("pragma threads = 8", "only SELECT"),
    ("create table main.evil as select 1 as x", "only SELECT"),
    ("create temp table scratch as select 1 as x", "only SELECT"),
    ("insert into main.mart_gis_usage_monthly values (date '2020-04-01', 'x', 1)", "only SELECT"),
    ("drop table main.mart_gis_usage_monthly", "only SELECT"),
    ("select 1; drop table main.mart_gis_usage_monthly", "exactly one statement"),
    ("select * from raw.gis_events", "schema 'raw'"),
    ("select count(*) from raw.web_access_log", "schema 'raw'"),  # empty table: the plan elides the scan
    ("select * from warehouse.raw.gis_events", "schema 'raw'"),
    ("with x as (select * from raw.gis_events) select count(*) from x", "schema 'raw'"),
    ("select (select max(event_at) from raw.gis_events) as latest", "schema 'raw'"),
    ("select 1 as a union all select 1 from raw.gis_events", "schema 'raw'"),
    ("describe raw.gis_events", "schema 'raw'"),
    ("summarize raw.gis_events", "schema 'raw'"),
    ("select * from query_table('raw.gis_events')", "query_table"),
    ("select * from query('select * from raw.gis_events')", "query"),
    ("select * from pragma_storage_info('raw.gis_events')", "pragma_storage_info"),
    ("select client_hash from main.fct_web_request", "sensitive"),
    ("select * from main.fct_web_request", "sensitive"),
    ("select count(*) from main.fct_web_request where client_hash = 'abc'", "sensitive"),
    ("select count(distinct fct.client_hash) from main.fct_web_request as fct", "sensitive"),
    ("select columns('client.*') from main.fct_web_request", "sensitive"),
]


@pytest.fixture()
def sandbox(db_path: Path):
    box = Sandbox(db_path, timeout_seconds=2, max_rows=1000)
    yield box
    box.close()


def test_allowed_select_returns_rows_counts_and_timing(sandbox: Sandbox) -> None:
    result = sandbox.query(
        "select department_name_ja, sum(login_count) as logins from mart_gis_usage_monthly group by all")
    assert result.frame.to_dicts() == [{"department_name_ja": "都市計画課", "logins": sum(r * 3 + 11 for r in range(12))}]
    assert result.row_count == 1 and not result.truncated and result.elapsed_ms > 0


def test_seeds_metadata_and_parameters_are_readable(sandbox: Sandbox) -> None:
    assert sandbox.query("select name_ja from seeds.plan_measures where measure_id = ?", [1]).frame.item() \
        == "オープンデータの公開促進"
    assert sandbox.query("select count(*) from mart_gis_usage_monthly where login_count > $k", {"k": 40}) \
        .frame.item() == 2
    assert sandbox.query("show tables").row_count >= 2
    assert sandbox.query("select http_status from main.fct_web_request").frame.item() == 200


@pytest.mark.parametrize(("attempt", "reason"), ESCAPES, ids=[a[:40] for a, _ in ESCAPES])
def test_escape_attempt_is_refused_with_a_reason(sandbox: Sandbox, attempt: str, reason: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        sandbox.query(attempt)
    assert reason.lower() in str(refused.value).lower()
    assert "Traceback" not in str(refused.value)


def test_warehouse_is_unchanged_after_all_attempts(sandbox: Sandbox, db_path: Path) -> None:
    for attempt, _ in ESCAPES:
        with pytest.raises(QueryRefused):
            sandbox.query(attempt)
    assert not Path("/tmp/leak.csv").exists() or Path("/tmp/leak.csv").stat().st_mtime < time.time() - 60
    assert sandbox.query("select count(*) from mart_gis_usage_monthly").frame.item() == 12
    settings = dict(sandbox.query(
        "select name, value from duckdb_settings() where name in "
        "('enable_external_access', 'lock_configuration', 'threads', 'autoinstall_known_extensions')").frame.rows())
    assert settings == {"enable_external_access": "false", "lock_configuration": "true", "threads": "1",
                        "autoinstall_known_extensions": "false"}
    assert sandbox.query("select current_setting('memory_limit')").frame.item().endswith("MiB")


def test_duckdb_itself_blocks_files_even_without_the_policy(sandbox: Sandbox) -> None:
    """Second layer: the connection's own settings refuse file access, should the policy ever miss a path."""
    cursor = sandbox._con.cursor()
    try:
        with pytest.raises(duckdb.PermissionException):
            cursor.execute("select * from read_csv('/etc/passwd')")
        with pytest.raises(duckdb.Error):
            cursor.execute("set enable_external_access = true")
    finally:
        cursor.close()


def test_long_query_is_interrupted_within_the_timeout(sandbox: Sandbox) -> None:
    started = time.perf_counter()
    with pytest.raises(QueryFailed, match="stopped after 2 s"):
        sandbox.query("select count(*) from range(200000) as a, range(200000) as b where a.range + b.range = -1")
    assert time.perf_counter() - started < 4
    assert sandbox.query("select 42 as answer").frame.item() == 42  # the sandbox stays usable


def test_huge_result_is_capped(sandbox: Sandbox) -> None:
    started = time.perf_counter()
    result = sandbox.query("select range as n, range::varchar as s from range(5000000)")
    assert result.row_count == 1000 and result.frame.height == 1000 and result.truncated
    assert time.perf_counter() - started < 2
    wider = sandbox.query("select range from range(5000)", max_rows=5000)
    assert wider.row_count == 5000 and not wider.truncated


def test_errors_are_messages_not_tracebacks(sandbox: Sandbox) -> None:
    with pytest.raises(QueryFailed, match="nope"):
        sandbox.query("select nope from mart_gis_usage_monthly")
    with pytest.raises(QueryFailed, match="syntax error"):
        sandbox.query("selec 1")
    with pytest.raises(QueryFailed) as failed:
        sandbox.query("select nope from mart_gis_usage_monthly")
    assert "explain" not in str(failed.value).lower()


def test_memory_limit_stops_a_runaway_query(db_path: Path) -> None:
    with Sandbox(db_path, memory_limit="64MB", timeout_seconds=20) as box, \
            pytest.raises(QueryFailed, match="memory"):
        box.query("select list(range::varchar) from range(20000000)")


def test_concurrent_queries_each_get_their_own_cursor(sandbox: Sandbox) -> None:
    def run(k: int) -> int:
        return sandbox.query("select count(*) from range(?)", [k * 1000]).frame.item()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(run, range(1, 41))) == [k * 1000 for k in range(1, 41)]


def test_tables_lists_readable_columns_with_descriptions(sandbox: Sandbox) -> None:
    catalog = sandbox.tables()
    assert {"schema", "table", "column", "type", "description"} <= set(catalog.columns)
    assert set(catalog["schema"]) == {"main", "seeds"}
    assert "client_hash" not in catalog["column"].to_list()
    row = catalog.filter(pl.col("column") == "login_count").row(0, named=True)
    assert row["description"] == "GIS logins in the month (M03-1)." and row["type"] == "BIGINT"


def test_close_really_closes_and_file_key_tracks_the_file(db_path: Path) -> None:
    box = Sandbox(db_path)
    stat = db_path.stat()
    assert box.file_key == (stat.st_ino, stat.st_mtime_ns)
    box.close()
    writer = duckdb.connect(str(db_path))  # would fail with a lock/mode conflict if DuckDB were still open
    writer.execute("create table main.after_close as select 1 as x")
    writer.close()
    with pytest.raises(QueryFailed, match="closed"):
        box.query("select 1")


def test_close_interrupts_a_running_query(db_path: Path) -> None:
    box = Sandbox(db_path, timeout_seconds=30)
    errors: list[Exception] = []

    def slow() -> None:
        try:
            box.query("select count(*) from range(300000) as a, range(300000) as b where a.range + b.range = -1")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    box.close()
    thread.join(timeout=5)
    assert not thread.is_alive() and errors and isinstance(errors[0], QueryFailed)


def test_open_sandbox_without_a_published_file_says_how_to_publish(tmp_path: Path) -> None:
    from warehouse.platform.settings import load_settings

    with pytest.raises(FileNotFoundError, match="warehouse demo"):
        open_sandbox(load_settings(home=tmp_path))


def test_manifest_sensitive_columns_are_refused(settings, db_path: Path) -> None:
    import json

    settings.docs_dir.mkdir(parents=True, exist_ok=True)
    (settings.docs_dir / "manifest.json").write_text(json.dumps({"nodes": {"model.x.mart_gis_usage_monthly": {
        "columns": {"department_name_ja": {"name": "department_name_ja", "meta": {"sensitive": True}}}}}}))
    with open_sandbox(settings) as box:
        with pytest.raises(QueryRefused, match="department_name_ja"):
            box.query("select department_name_ja from mart_gis_usage_monthly")
        assert box.query("select sum(login_count) from mart_gis_usage_monthly").row_count == 1


def test_two_sandboxes_on_one_file_in_one_process(db_path: Path) -> None:
    """DuckDB shares one instance per file in a process; the second sandbox must accept it, still locked down."""
    with Sandbox(db_path) as first, Sandbox(db_path, timeout_seconds=5) as second:
        assert second.query("select count(*) from mart_gis_usage_monthly").frame.item() == 12
        with pytest.raises(QueryRefused):
            second.query("select * from raw.gis_events")
        assert first.query("select current_setting('lock_configuration')").frame.item() is True
