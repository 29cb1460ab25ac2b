"""A small, clearly synthetic published warehouse shaped like the marts, for app tests before the pipeline runs.

Seeds are the real plan tables (seeds/*.csv); every mart/fact row is generated here from simple formulas.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb

from warehouse.platform import wareki

ROOT = Path(__file__).resolve().parents[2]
FISCAL_YEARS = (2019, 2020)

SEED_TYPES = {
    "plan_measures": {"measure_id": "INTEGER", "main_goal_id": "INTEGER", "strategy_id": "VARCHAR",
                      "detail_sub_goal_ids": "VARCHAR"},
    "plan_indicators": {"measure_id": "INTEGER", "baseline_value": "DOUBLE", "target_value": "DOUBLE",
                        "baseline_text_ja": "VARCHAR", "target_text_ja": "VARCHAR", "sub_item_ja": "VARCHAR",
                        "note_ja": "VARCHAR", "unit": "VARCHAR"},
    "plan_basic_goals": {"goal_id": "INTEGER"},
    "plan_focus_strategies": {"strategy_id": "VARCHAR"},
    "previous_plan_projects": {"project_no": "INTEGER"},
}

SQL_TEMPLATE = """
create schema main_tmp;
create table main.mart_kpi_indicator_progress as
with years as (select unnest([2019, 2020]) as fiscal_year)
select
    i.indicator_id, i.measure_id, y.fiscal_year,
    case y.fiscal_year when 2019 then '@LABEL_2019@' when 2020 then '@LABEL_2020@' end as fiscal_year_label_ja,
    i.name_ja as indicator_name_ja, i.name_en as indicator_name_en, i.unit, i.direction,
    i.baseline_value, i.baseline_fiscal_year, i.baseline_text_ja,
    coalesce(i.target_value, i.baseline_value * 1.2) as target_value, i.target_fiscal_year, i.target_text_ja,
    case when i.unit = 'date' then null
         else coalesce(i.baseline_value, 10) * (1 + 0.05 * (y.fiscal_year - 2018) * (i.measure_id % 4)) end
        as actual_value,
    12 as months_with_data, false as is_partial_year,
    case when i.unit = 'date' then null else round(0.2 + (i.measure_id % 5) * 0.22 + (y.fiscal_year - 2019) * 0.1, 4) end
        as achievement_rate,
    round(0.4 + (y.fiscal_year - 2019) * 0.2, 4) as expected_progress_rate,
    (i.measure_id % 5) = 4 as is_target_met,
    case when i.unit = 'date' then 'not_evaluable'
         else ['off_track', 'at_risk', 'on_track', 'on_track', 'achieved'][(i.measure_id % 5) + 1] end
        as progress_status,
    coalesce(i.target_value, i.baseline_value * 1.2) * 1.01 as forecast_target_year_value,
    coalesce(i.target_value, i.baseline_value * 1.2) * 0.9 as forecast_lower,
    coalesce(i.target_value, i.baseline_value * 1.2) * 1.1 as forecast_upper,
    make_date(y.fiscal_year + 1, 3, 31) as data_through_date, true as is_data_fresh,
    true as passed_quality_checks, i.source_kind, i.source_name, 'synthetic fixture' as source_detail,
    i.owner_departments_ja
from seeds.plan_indicators as i cross join years as y;

create table main.mart_plan_measure_status as
select m.measure_id, p.fiscal_year,
    case when bool_or(p.progress_status = 'off_track') then 'off_track'
         when bool_or(p.progress_status = 'at_risk') then 'at_risk'
         when bool_or(p.progress_status = 'on_track') then 'on_track'
         when bool_or(p.progress_status = 'achieved') then 'achieved' else 'no_data' end as measure_status,
    case when bool_or(p.progress_status = 'off_track') then 'C'
         when bool_or(p.progress_status = 'at_risk') then 'B' else 'A' end as suggested_grade,
    '指標の実績による目安（合成データ）' as grade_reason_ja, 'Suggested from indicators (synthetic)' as grade_reason_en
from seeds.plan_measures as m join main.mart_kpi_indicator_progress as p on p.measure_id = m.measure_id
group by m.measure_id, p.fiscal_year;

create table main.bridge_measure_department as
select measure_id, md5(owner_departments_ja) as department_id, owner_departments_ja as department_name_ja
from seeds.plan_measures;

create table main.mart_kpi_indicator_progress_monthly as
select 'M13-1' as indicator_id, m as fiscal_month_start_date, 200000 + 3000 * month(m) as actual_value
from (select unnest(generate_series(date '2019-04-01', date '2021-03-01', interval 1 month))::date as m);

create table main.fct_certificate_issuance_monthly as
with months as (select unnest(generate_series(date '2019-04-01', date '2021-03-01', interval 1 month))::date as m),
channels as (select unnest(['counter', 'convenience_store', 'post', 'online']) as channel_code),
types as (select unnest(['residence', 'seal', 'tax_assessment']) as certificate_type_code)
select months.m as fiscal_month_start_date,
    case when channels.channel_code = 'counter' then 'honcho' else 'none' end as office_code,
    types.certificate_type_code, channels.channel_code,
    cast(case channels.channel_code when 'counter' then 9000 - 80 * datediff('month', date '2019-04-01', months.m)
         when 'convenience_store' then 3000 + 150 * datediff('month', date '2019-04-01', months.m)
         when 'post' then 800 else 100 end as bigint) as issued_count
from months cross join channels cross join types;

create table main.fct_web_page_views_daily as
with days as (select unnest(generate_series(date '2019-04-01', date '2021-03-31', interval 1 day))::date as d),
pages as (select * from (values ('/', 'トップページ'), ('/kurashi/', 'くらし・手続き'), ('/bosai/', '防災・安全'))
          as p(page_path, page_title_ja)),
devices as (select unnest(['pc', 'smartphone', 'tablet']) as device_type)
select days.d as access_date, pages.page_path, pages.page_title_ja, devices.device_type,
    cast(case devices.device_type when 'pc' then 1500 when 'smartphone' then 1100 else 150 end
         * case pages.page_path when '/' then 1.0 when '/kurashi/' then 0.5 else 0.3 end as bigint) as page_view_count
from days cross join pages cross join devices;

create table main.mart_gis_usage_monthly as
with months as (select unnest(generate_series(date '2019-04-01', date '2021-03-01', interval 1 month))::date as m),
depts as (select unnest(['都市計画課', '建築指導課', 'IT推進課']) as department_name_ja)
select months.m as fiscal_month_start_date, depts.department_name_ja,
    20.0 + month(months.m) as logins_per_day, cast(70 + 2 * month(months.m) as bigint) as map_open_count
from months cross join depts;

create table main.dim_facility as
select * from (values ('F001', '板橋区役所本庁舎', 35.7512, 139.7094), ('F002', '板橋第一小学校', 35.7530, 139.7120),
                      ('F003', '高島平図書館', 35.7890, 139.6600)) as f(facility_code, facility_name_ja, latitude, longitude);

create table main.mart_facility_energy_monthly as
with months as (select unnest(generate_series(date '2019-04-01', date '2021-03-01', interval 1 month))::date as m)
select f.facility_code, months.m as fiscal_month_start_date,
    100000.0 * (1 + (f.facility_code = 'F001')::int * 3) - 500 * datediff('month', date '2019-04-01', months.m) as electricity_kwh,
    2000.0 as gas_m3, 900.0 as water_m3,
    (100000.0 * (1 + (f.facility_code = 'F001')::int * 3)) * 0.45 as co2_kg
from main.dim_facility as f cross join months;

create schema meta;
create table meta.refresh_runs (run_id varchar, kind varchar, started_at timestamptz, finished_at timestamptz,
    status varchar, failed_step varchar, message varchar, as_of_date date, warehouse_version varchar,
    step_seconds json, sources json, quality json);
insert into meta.refresh_runs values ('20210410T000000Z-fixture', 'demo', '2021-04-10 00:00:00+00',
    '2021-04-10 00:01:00+00', 'published', null, 'synthetic fixture', '2021-04-10',
    'warehouse-20210410T000000Z-fixture', '{}', '{}', '{}');
create table meta.quality_results (run_id varchar, suite_name varchar, table_name varchar, expectation varchar,
    success boolean, details varchar);
insert into meta.quality_results values
    ('20210410T000000Z-fixture', 'certificate_issuances', 'certificate_issuances', 'row_count_between', true, ''),
    ('20210410T000000Z-fixture', 'mart_kpi_indicator_progress', 'mart_kpi_indicator_progress', 'not_null', true, '');
create table meta.warehouse_version as select 'warehouse-20210410T000000Z-fixture' as version_id,
    '20210410T000000Z-fixture' as run_id, 'fixture' as fingerprint, date '2021-04-10' as as_of_date,
    timestamp '2021-04-10 00:01:00' as built_at;

create schema raw;
create table raw.source_load_status as select * from (values
    ('certificate_issuances', 24, 2000, timestamp '2021-04-10 00:00:00', date '2021-03-31', 0),
    ('web_page_views_daily', 24, 6000, timestamp '2021-04-10 00:00:00', date '2021-03-31', 0),
    ('gis_events', 24, 9000, timestamp '2021-04-10 00:00:00', date '2021-03-31', 0),
    ('energy_readings_monthly', 2, 72, timestamp '2021-04-10 00:00:00', date '2021-03-01', 0),
    ('indicator_reports', 4, 60, timestamp '2021-04-10 00:00:00', date '2021-03-31', 0))
    as s(source_table, files_loaded, rows_loaded, last_loaded_at, data_through_date, files_quarantined_open);

create table meta.source_load_status as select * from raw.source_load_status;
create table main.dim_fiscal_year as
select unnest([2019, 2020]) as fiscal_year, true as is_complete;

comment on table main.mart_kpi_indicator_progress is 'One row per indicator and fiscal year (synthetic fixture).';
comment on column main.mart_kpi_indicator_progress.actual_value is 'Actual value of the indicator in the fiscal year.';
drop schema main_tmp;
"""


# 和暦 labels from the one Python calendar module (warehouse.platform.wareki), not written again here
SQL = SQL_TEMPLATE.replace("@LABEL_2019@", wareki.fiscal_year_label(2019)).replace(
    "@LABEL_2020@", wareki.fiscal_year_label(2020))


def build_fixture_warehouse(home: Path) -> Path:
    """Write home/warehouse.duckdb (+ published.json, docs/) and return the file path."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "warehouse.duckdb"
    building = home / "warehouse.duckdb.building"
    building.unlink(missing_ok=True)
    con = duckdb.connect(str(building))
    con.execute("create schema seeds")
    for csv in sorted((ROOT / "seeds").glob("*.csv")):
        types = SEED_TYPES.get(csv.stem, {})
        type_sql = ", types={" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}" if types else ""
        con.execute(f"create table seeds.{csv.stem} as select * from read_csv(?, header=true{type_sql})",
                    [str(csv)])
    con.execute(SQL)
    con.execute("checkpoint")
    con.close()
    building.replace(path)
    (home / "published.json").write_text(json.dumps({
        "version_id": "warehouse-20210410T000000Z-fixture", "published_at": "2021-04-10T00:01:00+00:00",
        "run_id": "20210410T000000Z-fixture"}), encoding="utf-8")
    docs = home / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "manifest.json").write_text(json.dumps({"nodes": {
        "model.itabashi_ict.mart_kpi_indicator_progress": {
            "resource_type": "model", "name": "mart_kpi_indicator_progress", "schema": "main",
            "description": "One row per indicator and fiscal year.", "meta": {"owner": "IT推進課"},
            "config": {"meta": {"owner": "IT推進課"}},
            "columns": {"actual_value": {"name": "actual_value", "description": "Actual value."}}}}}),
        encoding="utf-8")
    (docs / "catalog.json").write_text(json.dumps({"nodes": {
        "model.itabashi_ict.mart_kpi_indicator_progress": {
            "metadata": {"schema": "main", "name": "mart_kpi_indicator_progress", "comment": None},
            "columns": {"actual_value": {"name": "actual_value", "type": "DOUBLE", "index": 1}},
            "stats": {}}}}), encoding="utf-8")
    return path
