"""A month's refresh builds incrementally (a copy of the published file, the changed fiscal months replaced) and
gives the same warehouse as a full rebuild of the same lake; its data tests read only the months it rebuilt."""
from __future__ import annotations

import json
import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from demo_data import write_sample_extracts
from tests.conftest import REPO, run_warehouse
from warehouse import attribution
from warehouse.platform import database
from warehouse.platform.settings import load_settings
from warehouse.refresh.dbt_runner import dbt_failures, dbt_vars, invoke_dbt

pytestmark = pytest.mark.slow

NEXT_MONTH, NEXT_AS_OF = "2021-04", "2021-05-20"  # the month after the demo span, seen a month later


def _write_next_month(home: Path) -> None:
    """The month after the demo span into landing/, as `warehouse demo` writes it."""
    write_sample_extracts(home / "landing", start_month=NEXT_MONTH, end_month=NEXT_MONTH,
                          real_data_dir=load_settings().real_data_dir)


def _refresh(home: Path, *args: str) -> tuple[dict, str]:
    """`warehouse --json refresh ARGS` as of NEXT_AS_OF: the run record and the run's log."""
    completed = run_warehouse(home, "--json", "refresh", *args, WAREHOUSE_AS_OF_DATE=NEXT_AS_OF)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    record = json.loads(completed.stdout)
    assert record["status"] == "success", record["message"]
    return record, (home / "runs" / f"{record['run_id']}.log").read_text(encoding="utf-8")


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [row[0] for row in con.sql(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
        "order by table_name", params=[schema]).fetchall()]


def _same_value(left: object, right: object) -> bool:
    """Equal; floats to the last bits (a sum over rows stored in another order can differ there)."""
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-9) or (math.isnan(left) and math.isnan(right))
    return left == right


def _differences(incremental: Path, full: Path, schema: str, skip: set[str] = frozenset()) -> list[str]:
    """Every table of `schema` compared row for row (rows sorted, so storage order does not count)."""
    problems: list[str] = []
    with duckdb.connect(str(incremental), read_only=True) as left, duckdb.connect(str(full), read_only=True) as right:
        tables = _tables(left, schema)
        assert tables, f"no tables in schema {schema}"
        if tables != _tables(right, schema):
            return [f"{schema}: tables differ: {tables} vs {_tables(right, schema)}"]
        for table in sorted(set(tables) - skip):
            columns = [row[0] for row in left.sql(f'describe {schema}."{table}"').fetchall()]
            if columns != [row[0] for row in right.sql(f'describe {schema}."{table}"').fetchall()]:
                problems.append(f"{schema}.{table}: columns differ")
                continue
            order = ", ".join(f'"{name}"' for name in columns)
            query = f'select * from {schema}."{table}" order by {order}'
            rows_left, rows_right = left.sql(query).fetchall(), right.sql(query).fetchall()
            if len(rows_left) != len(rows_right):
                problems.append(f"{schema}.{table}: {len(rows_left)} rows incremental vs {len(rows_right)} full")
                continue
            for row_left, row_right in zip(rows_left, rows_right, strict=True):
                if not all(_same_value(a, b) for a, b in zip(row_left, row_right, strict=True)):
                    problems.append(f"{schema}.{table}: {row_left} (incremental) vs {row_right} (full)")
                    break
    return problems


def test_a_month_builds_incrementally_and_equals_a_full_rebuild(demo_home_copy: Path, tmp_path: Path):
    home = demo_home_copy
    _write_next_month(home)

    _, log = _refresh(home)
    assert "load: incremental: a copy of the published file" in log, log[-3000:]
    assert "fiscal-month partition(s) replaced" in log
    assert "load: the build file is the published file's copy made while ingest ran" in log
    assert not list((home / "build").iterdir())  # neither the copy nor the build file is left behind
    assert "dbt docs generate" not in log  # models unchanged: the published catalog is kept
    assert (home / "docs" / "catalog.json").exists()

    full_home = tmp_path / "full"
    shutil.copytree(home, full_home, symlinks=True)
    _, full_log = _refresh(full_home, "--full-rebuild")
    assert "load: full load of the lake into a new build file (--full-rebuild)" in full_log
    assert "dbt build --full-refresh" in full_log

    incremental_file, full_file = home / "warehouse.duckdb", full_home / "warehouse.duckdb"
    with duckdb.connect(str(incremental_file), read_only=True) as con:
        months = con.sql("select max(fiscal_month_start_date) from main.fct_certificate_issuance_daily").fetchall()
    assert str(months[0][0]).startswith(NEXT_MONTH), months  # the new month is in the incremental facts
    problems = (_differences(incremental_file, full_file, "main")
                + _differences(incremental_file, full_file, "intermediate")  # the readings' monthly sums
                + _differences(incremental_file, full_file, "raw", skip={"changed_fiscal_months"}))
    assert not problems, "\n".join(problems[:20])


def test_changed_models_fall_back_to_a_full_load_with_the_reason(demo_home_copy: Path):
    """A release that recorded no (or another) dbt code fingerprint is not a base for an incremental build."""
    (demo_home_copy / "docs" / "dbt_code.json").write_text('{"fingerprint": "another"}', encoding="utf-8")
    _write_next_month(demo_home_copy)
    _, log = _refresh(demo_home_copy)
    assert ("load: full load of the lake into a new build file (models, seeds or macros changed since the "
            "published version)") in log
    assert "dbt docs generate" in log


# A gis event duplicated: stg_gis__events' unique_combination (file, line) fails on it; the raw gate checks only the
# files a run added, and the GIS marts count distinct values, so nothing but that dbt test sees it.
DUPLICATE_EVENT = ("insert into raw.gis_events select * from raw.gis_events where fiscal_month = '{month}' "
                   "order by source_file_sha256, source_row_number limit 1")
GIS_UNIQUE_TEST = "test.itabashi_ict.unique_combination_stg_gis__events"


def _change_published_file(home: Path, sql: str) -> None:
    """Run sql on the served copy of the published file and record its new checksum, as though it had been
    published so (a bad row that an older build let through)."""
    folder = (home / "current").resolve()
    served = folder / database.SERVED_NAME
    with duckdb.connect(str(served)) as con:
        con.execute(sql)
    record = json.loads((folder / database.RELEASE_FILE).read_text(encoding="utf-8"))
    stat = served.stat()
    record.update(sha256=database.sha256_file(served), size_bytes=stat.st_size, mtime_ns=stat.st_mtime_ns)
    (folder / database.RELEASE_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")


def _duplicated_events(database_file: Path, month: str) -> int:
    with duckdb.connect(str(database_file), read_only=True) as con:
        return con.sql("select count(*) from (select source_file_sha256, source_row_number from raw.gis_events "
                       "where fiscal_month = ? group by all having count(*) > 1)", params=[month]).fetchall()[0][0]


def _dbt_test_gis_events(database_file: Path, work: Path, changed_months_only: bool) -> list[str]:
    """`dbt test` of stg_gis__events on database_file with the refresh's vars; the failing tests."""
    completed = invoke_dbt(["test", "--select", "stg_gis__events"], build_path=database_file, project_dir=REPO,
                           work_dir=work, dbt_vars=dbt_vars(load_settings(), date.fromisoformat(NEXT_AS_OF),
                                                            changed_months_only), timeout=600)
    failing = [uid for uid, _, _ in dbt_failures(work / "target")]
    assert (completed.returncode == 0) == (not failing), completed.stdout[-3000:]
    return failing


def test_an_incremental_month_tests_only_the_months_it_rebuilt(demo_home_copy: Path, tmp_path: Path):
    """An old month's bad row (in the published file) is not read again by the data tests of a month's refresh,
    though testing every row finds it; a bad row in the month the refresh rebuilt still fails the tests."""
    home = demo_home_copy
    old_month = "2018-05"
    _change_published_file(home, DUPLICATE_EVENT.format(month=old_month))
    _write_next_month(home)

    _, log = _refresh(home)
    assert "load: incremental: a copy of the published file" in log, log[-3000:]
    assert "dbt build (data tests read only the changed fiscal months)" in log
    assert "set aside after" not in log
    published = home / "warehouse.duckdb"
    assert _duplicated_events(published, old_month) == 1  # the first build passed: no full-load retry dropped it

    checked = tmp_path / "checked.duckdb"
    shutil.copyfile(published, checked)
    every_row = _dbt_test_gis_events(checked, tmp_path / "every_row", changed_months_only=False)
    assert [uid for uid in every_row if uid.startswith(GIS_UNIQUE_TEST)], every_row  # a full build fails on it
    assert _dbt_test_gis_events(checked, tmp_path / "changed_only", changed_months_only=True) == []

    with duckdb.connect(str(checked)) as con:
        con.execute(DUPLICATE_EVENT.format(month=NEXT_MONTH))
    changed_month = _dbt_test_gis_events(checked, tmp_path / "changed_month", changed_months_only=True)
    assert [uid for uid in changed_month if uid.startswith(GIS_UNIQUE_TEST)], changed_month


def test_each_model_tested_by_changed_months_names_the_lake_tables_it_reads(tmp_path: Path):
    """tests_changed_months_only (macros/get_where_subquery.sql) names exactly the lake tables upstream of the
    model and one of its columns: a month of another table could otherwise change its rows untested."""
    completed = invoke_dbt(["parse"], build_path=tmp_path / "parse.duckdb", project_dir=REPO, work_dir=tmp_path,
                           dbt_vars=dbt_vars(load_settings(), date.fromisoformat(NEXT_AS_OF)), timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:]
    manifest_path = tmp_path / "target" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    declared = {uid: node["config"]["meta"]["tests_changed_months_only"] for uid, node in manifest["nodes"].items()
                if "tests_changed_months_only" in node["config"].get("meta", {})}
    assert "model.itabashi_ict.stg_ems__readings_interval" in declared and len(declared) >= 10, sorted(declared)
    problems = []
    for uid, scope in sorted(declared.items()):
        upstream = attribution.upstream_raw_tables(manifest_path, [uid])
        if set(scope["lake_tables"]) != upstream:
            problems.append(f"{uid}: lake_tables {sorted(scope['lake_tables'])}, reads {sorted(upstream)}")
        if scope["month_column"] not in manifest["nodes"][uid]["columns"]:
            problems.append(f"{uid}: month_column {scope['month_column']} is not a documented column")
    assert not problems, "\n".join(problems)
