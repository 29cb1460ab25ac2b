"""A month's refresh builds incrementally (a copy of the published file, the changed fiscal months replaced) and
gives the same warehouse as a full rebuild of the same lake."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from demo_data import write_sample_extracts
from tests.conftest import run_warehouse
from warehouse.platform.settings import load_settings

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
