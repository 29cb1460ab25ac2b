"""Runs a real `dbt build` of the foundation models (staging, calendar, dims, facts, source marts) on a
small scratch raw schema and checks totals that can be worked out by hand from the fixture rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.models.dbt_harness import dbt_build, query
from tests.models.foundation_raw_fixture import (
    CERTIFICATE_MIX,
    CERTIFICATE_SPAN,
    CERTIFICATE_TYPES,
    days,
    fixture_rows,
    write_raw_database,
)

AS_OF_DATE = "2017-04-10"
# The KPI and plan marts belong to another part of the project and have their own tests.
OTHER_PARTS = ["path:models/intermediate/kpi", "path:models/marts/kpi", "path:models/marts/plan"]
SENSITIVE_COLUMNS = {"client_hash", "staff_pseudo_id", "comment_ja"}


@pytest.fixture(scope="module")
def raw_rows() -> dict[str, list[dict[str, Any]]]:
    """The fixture's raw rows, for recomputing expected totals in Python."""
    return fixture_rows()


@pytest.fixture(scope="module")
def built_database(tmp_path_factory: pytest.TempPathFactory, raw_rows: dict) -> Iterator[Path]:
    """A scratch DuckDB file with schema raw, after a complete `dbt build` (models, seeds and tests)."""
    work = tmp_path_factory.mktemp("foundation")
    database = work / "build.duckdb"
    write_raw_database(database, raw_rows)
    dbt_build(database, work, AS_OF_DATE, "--exclude", *OTHER_PARTS)
    yield database


def test_calendar_covers_fy2015_through_as_of_month(built_database: Path) -> None:
    rows = query(
        built_database,
        """
        select count(*), min(fiscal_month_start_date), max(fiscal_month_start_date), sum(case when is_complete then 1 else 0 end)
        from main.dim_fiscal_month
    """,
    )
    assert rows == [(25, dt.date(2015, 4, 1), dt.date(2017, 4, 1), 24)]
    labels = query(
        built_database,
        "select fiscal_year, label_ja, label_plan_ja, is_complete from main.dim_fiscal_year order by 1",
    )
    assert labels == [
        (2015, "平成27年度", "平成27年度", True),
        (2016, "平成28年度", "平成28年度", True),
        (2017, "平成29年度", "平成29年度", False),
    ]


def test_certificate_monthly_totals_and_channel_shares(built_database: Path) -> None:
    open_days = [day for day in days(*CERTIFICATE_SPAN) if day.month == 3 and day.weekday() != 6]
    per_day = len(CERTIFICATE_TYPES) * sum(count for _, _, count in CERTIFICATE_MIX)
    assert per_day == 60
    monthly = query(
        built_database,
        """
        select sum(issued_count), max(days_with_data)
        from main.fct_certificate_issuance_monthly
        where fiscal_month_start_date = date '2016-03-01'
    """,
    )
    assert monthly == [(per_day * len(open_days), len(open_days))]

    shares = dict(
        query(
            built_database,
            """
        select channel_code, channel_share_pct
        from main.mart_certificate_channel_shift
        where fiscal_month_start_date = date '2016-03-01'
    """,
        )
    )
    assert shares["convenience_store"] == pytest.approx(100 * 5 / 30)
    assert shares["counter"] == pytest.approx(100 * 20 / 30)
    assert sum(shares.values()) == pytest.approx(100)
    fiscal_years = query(
        built_database,
        """
        select distinct fiscal_year, convenience_store_target_pct
        from main.mart_certificate_channel_shift
        where fiscal_month_start_date = date '2016-03-01'
    """,
    )
    assert fiscal_years == [(2015, 40.0)]


def test_web_year_to_date_and_year_on_year(built_database: Path, raw_rows: dict) -> None:
    fy2015_views = sum(
        row["page_view_count"]
        for row in raw_rows["web_page_views_daily"]
        if dt.date(2015, 4, 1) <= row["access_date"] <= dt.date(2016, 3, 31)
    )
    april = {
        year: sum(
            row["page_view_count"]
            for row in raw_rows["web_page_views_daily"]
            if row["access_date"].year == year and row["access_date"].month == 4
        )
        for year in (2015, 2016)
    }
    rows = query(
        built_database,
        """
        select fiscal_month_start_date, fiscal_ytd_page_view_count, yoy_change_pct, smartphone_page_view_count
        from main.mart_web_access_monthly
        where fiscal_month_start_date in (date '2016-03-01', date '2016-04-01')
        order by 1
    """,
    )
    (_, march_ytd, march_yoy, _), (_, april_ytd, april_yoy, april_smartphone) = rows
    assert march_ytd == fy2015_views == 117_852
    assert march_yoy is None
    assert april_ytd == april[2016]
    assert april_yoy == pytest.approx(100 * (april[2016] - april[2015]) / april[2015])
    assert april_smartphone == 2 * 50 * 2 * 30


def test_web_requests_count_requests_and_distinct_clients(built_database: Path) -> None:
    rows = query(
        built_database,
        """
        select is_bot, http_status_class, request_count, client_count
        from main.fct_web_requests_daily order by is_bot
    """,
    )
    assert rows == [(False, "2xx", 40, 4), (True, "4xx", 10, 1)]


def test_gis_logins_per_business_day(built_database: Path) -> None:
    # rule changed (issue 13): business days are the ward's 開庁日 (dim_date), not days with any GIS event;
    # the fixture logs in on every weekday, including 昭和の日 (2016-04-29), which is not a business day
    weekdays = sum(1 for day in days(dt.date(2016, 4, 1), dt.date(2016, 4, 30)) if day.weekday() < 5)
    business_days = weekdays - 1
    rows = query(
        built_database,
        """
        select department_name_ja, login_count, business_days, logins_per_business_day, distinct_map_count
        from main.mart_gis_usage_monthly order by login_count desc
    """,
    )
    assert rows == [
        ("IT推進課", 2 * weekdays, business_days, pytest.approx(2 * weekdays / business_days), 2),
        ("都市計画課", weekdays, business_days, pytest.approx(weekdays / business_days), 1),
    ]


def test_energy_monthly_readings_win_and_co2_uses_the_years_factor(built_database: Path) -> None:
    sources = query(
        built_database,
        """
        select facility_code, usage_value, reading_source
        from main.fct_energy_use_monthly
        where fiscal_month_start_date = date '2016-04-01' and meter_type = 'electricity'
        order by facility_code
    """,
    )
    assert sources == [
        ("F001", pytest.approx(1100.0), "monthly"),
        ("S001", pytest.approx(240.0), "interval_sum"),
    ]
    rows = query(
        built_database,
        """
        select facility_name_ja, electricity_kwh, gas_m3, water_m3, co2_kg, electricity_yoy_change_pct
        from main.mart_facility_energy_monthly
        where facility_code = 'F001' and fiscal_month_start_date = date '2016-04-01'
    """,
    )
    name, kwh, gas, water, co2, yoy = rows[0]
    assert name == "板橋区役所"  # the later master version wins
    assert co2 == pytest.approx(1100 * 0.486 + 110 * 2.23 + 55 * 0.36)  # FY2016 electricity factor
    assert yoy == pytest.approx(10.0)
    assert (kwh, gas, water) == (pytest.approx(1100), pytest.approx(110), pytest.approx(55))


def test_indicator_reports_keep_the_latest_file(built_database: Path) -> None:
    rows = query(
        built_database,
        """
        select indicator_id, fiscal_year, reported_value, source_file_name
        from main.fct_indicator_reports order by indicator_id
    """,
    )
    assert rows == [
        ("M02-1", 2016, 100.0, "indicators_bunka_2016.xlsx"),
        ("M14-1", 2016, 260.0, "indicators_kouhou_2016_fix.xlsx"),
    ]


def test_sensitive_columns_stay_out_of_facts_and_marts(built_database: Path) -> None:
    columns = query(
        built_database,
        """
        select table_name, column_name from information_schema.columns where table_schema = 'main'
    """,
    )
    tables = {table for table, _ in columns}
    assert {"fct_web_requests_daily", "fct_gis_events_daily", "fct_indicator_reports"} <= tables
    assert [(t, c) for t, c in columns if c in SENSITIVE_COLUMNS] == []
