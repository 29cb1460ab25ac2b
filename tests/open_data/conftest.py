"""A small published warehouse with tables shaped like the marts the registry exports."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.duckdb_files import write_warehouse
from warehouse.platform.settings import Settings, load_settings

BUILD_SQL = """
create schema raw;
create table raw.gis_events as select 'staff-1' as staff_pseudo_id, '都市計画課' as department_name_ja;
create table main.fct_certificate_issuance_monthly as
    with months as (select (date '2024-04-01' + to_months(range::bigint))::date as m, range as r from range(6)),
    offices as (select unnest(['honcho', 'akatsuka', 'none']) as office_code),
    types as (select unnest(['residence', 'seal']) as certificate_type_code),
    channels as (select unnest(['counter', 'convenience_store', 'online', 'post']) as channel_code)
    select m as fiscal_month_start_date, 2024 as fiscal_year, office_code, certificate_type_code, channel_code,
           -- deterministic mix of small (1-9), zero and large counts
           ((hash(m, office_code, certificate_type_code, channel_code) % 40))::bigint as issued_count,
           28 as days_with_data
    from months, offices, types, channels
    where not (office_code = 'none' and channel_code = 'counter');
create table main.fct_gis_events_daily as
    select (date '2024-04-01' + to_days(range::bigint))::date as event_date,
           date_trunc('month', date '2024-04-01' + to_days(range::bigint))::date as fiscal_month_start_date,
           2024 as fiscal_year,
           ['都市計画課', '建築指導課', '土木計画・交通安全課', '環境政策課'][1 + range % 4] as department_name_ja,
           'login' as event_type,
           (case when range % 4 = 3 then 0 when range % 4 = 2 then (range % 8 = 2)::int else 2 + range % 3 end)::bigint
               as event_count,
           1 as staff_count, 0 as map_count, 'staff-' || range as staff_pseudo_id
    from range(120);
create table main.fct_energy_use_monthly as
    select '0101' as facility_code, date '2024-04-01' as fiscal_month_start_date, 2024 as fiscal_year,
           'electricity' as meter_type, 1234.5 as usage_value, 'kWh' as usage_unit, 'monthly' as reading_source;
create table main.dim_facility as
    select '0101' as facility_code, '板橋区役所本庁舎' as facility_name_ja, '庁舎' as facility_kind_ja,
           '板橋区板橋二丁目66番1号' as address_ja, '173-8501' as postal_code, 35.75 as latitude,
           139.71 as longitude, false as is_school, 'kokyo_shisetsu_v2' as source_layout,
           timestamp '2024-04-01' as version_loaded_at;
create table main.mart_kpi_indicator_progress as
    select 'M01-1' as indicator_id, 1 as measure_id, 2024 as fiscal_year,
           '区ホームページに公開しているオープンデータの項目数' as indicator_name_ja, 8.0 as actual_value,
           'landing/indicator_reports/IT推進課.xlsx' as source_detail, '担当者メモ' as comment_ja;
comment on column main.fct_certificate_issuance_monthly.issued_count is 'Certificates issued in the month.';
"""


def build_warehouse(path: Path) -> Path:
    return write_warehouse(path, BUILD_SQL)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    build_warehouse(tmp_path / "warehouse.duckdb")
    return load_settings(home=tmp_path)
