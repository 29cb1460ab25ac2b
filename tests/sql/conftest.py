"""A small published warehouse shaped like ours: marts in main, seeds, and a raw schema with pseudonymous ids."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.duckdb_files import write_warehouse
from warehouse.platform.settings import Settings, load_settings

BUILD_SQL = """
create schema raw;
create schema seeds;
create table raw.gis_events as
    select timestamp '2024-04-01 09:00' + to_minutes(range::bigint) as event_at,
           'staff-' || (range % 7) as staff_pseudo_id, '都市計画課' as department_name_ja, 'login' as event_type
    from range(50);
create table raw.web_access_log (requested_at timestamp, client_hash varchar);
create table main.mart_gis_usage_monthly as
    select (date '2024-04-01' + to_months(range::bigint))::date as fiscal_month_start_date,
           '都市計画課' as department_name_ja, (range * 3 + 11)::bigint as login_count
    from range(12);
create table main.fct_web_request as select timestamp '2024-04-01' as requested_at, 'abc' as client_hash, 200 as http_status;
create table seeds.plan_measures as select 1 as measure_id, 'オープンデータの公開促進' as name_ja;
comment on table main.mart_gis_usage_monthly is 'One row per fiscal month and department: GIS logins.';
comment on column main.mart_gis_usage_monthly.login_count is 'GIS logins in the month (M03-1).';
"""


def build_warehouse(path: Path) -> Path:
    return write_warehouse(path, BUILD_SQL)


@pytest.fixture()
def warehouse_home(tmp_path: Path) -> Path:
    """A data home whose warehouse.duckdb is published."""
    build_warehouse(tmp_path / "warehouse.duckdb")
    return tmp_path


@pytest.fixture()
def settings(warehouse_home: Path) -> Settings:
    return load_settings(home=warehouse_home)


@pytest.fixture()
def db_path(warehouse_home: Path) -> Path:
    return warehouse_home / "warehouse.duckdb"
