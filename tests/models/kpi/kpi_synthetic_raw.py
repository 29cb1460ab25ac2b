"""Small, deterministic raw-schema DuckDB files for running the KPI models with known answers.

The numbers are chosen so the expected KPI results can be stated exactly in tests: the FY2015 homepage
total equals the plan's 2,578,895, GIS logins average 60 per business day, and so on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from warehouse.closing import load_closed_year_figures
from warehouse.refresh import load_lake_file_versions, load_open_data_items

LINEAGE_COLUMNS = """
    source_file_name varchar,
    source_file_sha256 varchar,
    source_row_number bigint,
    loaded_at timestamp,
    fiscal_month varchar
"""

RAW_TABLES: dict[str, str] = {
    "certificate_issuances": "issued_date date, office_code varchar, certificate_type_code varchar, "
    "channel_code varchar, issued_count bigint",
    "web_page_views_daily": "access_date date, page_path varchar, page_title_ja varchar, device_type varchar, "
    "page_view_count bigint",
    "web_access_log": "requested_at timestamp, client_hash varchar, http_method varchar, request_path varchar, "
    "http_status integer, response_bytes bigint, referrer_host varchar, device_type varchar, is_bot boolean, "
    "is_page boolean",
    "gis_events": "event_at timestamp, staff_pseudo_id varchar, department_name_ja varchar, event_type varchar, "
    "map_name_ja varchar",
    "energy_readings_monthly": "facility_code varchar, meter_type varchar, reading_month date, usage_value double, "
    "usage_unit varchar",
    "energy_readings_interval": "facility_code varchar, meter_type varchar, reading_start_at timestamp, "
    "interval_minutes integer, usage_value double, usage_unit varchar",
    "facilities": "facility_code varchar, facility_name_ja varchar, facility_kind_ja varchar, address_ja varchar, "
    "postal_code varchar, latitude double, longitude double, source_layout varchar",
    "indicator_reports": "indicator_id varchar, fiscal_year integer, reported_value double, "
    "reported_value_text_ja varchar, comment_ja varchar, reporting_department_ja varchar",
    "measure_evaluations": "measure_id integer, fiscal_year integer, self_assessed_grade varchar, "
    "department_remark_ja varchar, next_year_plan_ja varchar, decided_grade varchar, decided_reason_ja varchar",
}

# FY2015 homepage accesses printed in the plan (M13-1 現状)
PLAN_FY2015_HOMEPAGE_ACCESSES = 2_578_895


@dataclass(frozen=True)
class SyntheticSpan:
    """Fiscal years of system data (first..last inclusive) and of department reports."""

    first_system_fiscal_year: int = 2015
    last_system_fiscal_year: int = 2018
    first_report_fiscal_year: int = 2016
    last_report_fiscal_year: int = 2018
    quarantined_open_files: int = 0


def _lineage(kind: str) -> str:
    """SQL select-list fragment with plausible lineage columns for a generated row."""
    return f"""
        '{kind}_' || strftime(row_date, '%Y%m') || '.csv' as source_file_name,
        sha256(strftime(row_date, '%Y%m')) as source_file_sha256,
        row_number() over (partition by strftime(row_date, '%Y%m') order by row_date) as source_row_number,
        timestamp '2026-11-01 09:00:00' as loaded_at,
        strftime(row_date, '%Y-%m') as fiscal_month
    """


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema raw with every lake table of docs/architecture.md (lineage columns included)."""
    con.execute("create schema if not exists raw")
    for table, columns in RAW_TABLES.items():
        con.execute(f"create or replace table raw.{table} ({columns}, {LINEAGE_COLUMNS})")
    con.execute(
        "create or replace table raw.source_load_status (source_table varchar, files_loaded bigint, "
        "rows_loaded bigint, last_loaded_at timestamp, data_through_date date, files_quarantined_open bigint)"
    )


def _fill_certificates(con: duckdb.DuckDBPyConnection, start: date, end: date) -> None:
    """One row per month × office × type × channel: the convenience-store share grows 2 points a month from 0."""
    con.execute(
        f"""
        insert into raw.certificate_issuances
        with months as (
            select cast(range as date) as row_date
            from range(date '{start}', date '{end}', interval 1 month)
        ),
        offices as (select unnest(['honcho', 'akatsuka', 'itabashi']) as office_code),
        types as (select unnest(['residence', 'seal', 'tax_assessment']) as certificate_type_code),
        month_index as (
            select row_date, datediff('month', date '2016-01-01', row_date) as month_no from months
        ),
        rows as (
            select row_date, office_code, certificate_type_code, 'counter' as channel_code,
                   100 as issued_count
            from month_index, offices, types
            union all
            select row_date, 'none', certificate_type_code, 'convenience_store',
                   greatest(month_no, 0) * 2 * 3
            from month_index, types
        )
        select row_date, office_code, certificate_type_code, channel_code, issued_count,
               {_lineage('certificates')}
        from rows
        """
    )


def _fill_web(con: duckdb.DuckDBPyConnection, first_fy: int, last_fy: int) -> None:
    """Daily page views for two pages; each fiscal year totals 2,578,895 + 100,000 × (fy − 2015) exactly."""
    for fiscal_year in range(first_fy, last_fy + 1):
        total = PLAN_FY2015_HOMEPAGE_ACCESSES + 100_000 * (fiscal_year - 2015)
        con.execute(
            f"""
            insert into raw.web_page_views_daily
            with days as (
                select cast(range as date) as row_date,
                       row_number() over (order by range) as day_no,
                       count(*) over () as day_count
                from range(date '{fiscal_year}-04-01', date '{fiscal_year + 1}-04-01', interval 1 day)
            ),
            pages as (select unnest(['/index.html', '/kurashi/index.html']) as page_path),
            cells as (
                select row_date, page_path, day_no, day_count,
                       row_number() over (order by row_date, page_path) as cell_no,
                       count(*) over () as cell_count
                from days, pages
            )
            select row_date, page_path, 'トップ', 'pc',
                   case when cell_no = cell_count
                        then {total} - (cell_count - 1) * ({total} // cell_count)
                        else {total} // cell_count end,
                   {_lineage('web')}
            from cells
            """
        )


def _fill_gis(con: duckdb.DuckDBPyConnection, start: date, end: date) -> None:
    """Weekdays only: logins 58 + fiscal years since 2015 per day, map opens 11 per day (events are rows)."""
    con.execute(
        f"""
        insert into raw.gis_events
        with days as (
            select cast(range as date) as row_date
            from range(date '{start}', date '{end}', interval 1 day)
            where isodow(range) <= 5
        ),
        day_counts as (
            select row_date,
                   58 + (case when month(row_date) >= 4 then year(row_date) else year(row_date) - 1 end) - 2015
                       as login_count,
                   11 as map_count
            from days
        ),
        events as (
            select row_date, 'login' as event_type, null as map_name_ja, unnest(range(login_count)) as seq
            from day_counts
            union all
            select row_date, 'map_open', '都市計画図', unnest(range(map_count)) from day_counts
        )
        select cast(row_date as timestamp) + interval 9 hour + seq * interval 1 minute,
               'staff_' || (seq % 40), 'IT推進課', event_type, map_name_ja,
               {_lineage('gis')}
        from events
        """
    )


def _fill_reports(con: duckdb.DuckDBPyConnection, first_fy: int, last_fy: int) -> None:
    """Every report-kind indicator (and M01-1) reports a value moving from baseline toward target each year."""
    rows = []
    for fiscal_year in range(first_fy, last_fy + 1):
        step = fiscal_year - 2015
        rows.append(("M01-1", fiscal_year, 192 + 20 * step))
        rows.append(("M14-1", fiscal_year, 184 + 20 * step))
        rows.append(("M16-1", fiscal_year, max(8 - 3 * step, 0)))
        rows.append(("M18-1", fiscal_year, 0))
        rows.append(("M04-1", fiscal_year, 1 if fiscal_year >= 2017 else 0))
        rows.append(("M24-1", fiscal_year, 50 + 5 * step))
        rows.append(("M02-2", fiscal_year, 97))
    con.executemany(
        """
        insert into raw.indicator_reports
        select ?, ?, ?, cast(? as varchar), null, 'IT推進課',
               'report_' || ? || '.xlsx', sha256(cast(? as varchar)), 1, timestamp '2026-11-01 09:00:00', ? || '-04'
        """,
        [(i, fy, v, v, fy, fy, fy) for i, fy, v in rows],
    )


def write_synthetic_raw(path: Path, span: SyntheticSpan = SyntheticSpan()) -> None:
    """Write a DuckDB file at path with schema raw filled for the given span (overwrites the tables)."""
    start = date(span.first_system_fiscal_year, 4, 1)
    end = date(span.last_system_fiscal_year + 1, 4, 1)
    con = duckdb.connect(str(path))
    try:
        _create_tables(con)
        _fill_certificates(con, start, end)
        _fill_web(con, span.first_system_fiscal_year, span.last_system_fiscal_year)
        _fill_gis(con, start, end)
        _fill_reports(con, span.first_report_fiscal_year, span.last_report_fiscal_year)
        through = date(span.last_system_fiscal_year + 1, 3, 31)
        report_through = date(span.last_report_fiscal_year + 1, 3, 31)
        con.execute(
            """
            insert into raw.source_load_status
            select 'certificate_issuances', 1, 1, timestamp '2026-11-01 09:00:00', ?, ?
            union all select 'web_page_views_daily', 1, 1, timestamp '2026-11-01 09:00:00', ?, 0
            union all select 'gis_events', 1, 1, timestamp '2026-11-01 09:00:00', ?, 0
            union all select 'indicator_reports', 1, 1, timestamp '2026-11-01 09:00:00', ?, 0
            """,
            [through, span.quarantined_open_files, through, through, report_through],
        )
        load_open_data_items(con)
        load_closed_year_figures(con, None)
        load_lake_file_versions(con, None)
        con.execute("checkpoint")
    finally:
        con.close()


if __name__ == "__main__":
    import sys

    write_synthetic_raw(Path(sys.argv[1]))
