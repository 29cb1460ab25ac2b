"""Issue 10: whatever subset of the lake a home holds, the whole `dbt build` (every model, seed and test) and
every quality gate pass. Empty raw tables, each kind of file alone, readings for a facility that no master
lists, and rows dated long before the calendar and after the as-of date: each builds into a scratch DuckDB
file, and the data-driven findings are warnings, never failures."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from expectations import run_gates
from tests.models.dbt_harness import dbt_build, query
from tests.models.foundation_raw_fixture import RAW_COLUMNS, fixture_rows, lineage, write_raw_database

AS_OF_DATE = "2017-04-10"  # the foundation fixture's: its data ends in April 2016
KIND_TABLES = {
    "certificates": ["certificate_issuances"],
    "web_access": ["web_page_views_daily", "web_access_log"],
    "gis": ["gis_events"],
    "energy": ["energy_readings_monthly", "energy_readings_interval", "facilities"],
    "indicator_reports": ["indicator_reports"],
    "evaluations": ["measure_evaluations"],
}
KIND_MARTS = {
    "certificates": ["mart_certificate_channel_shift"],
    "web_access": ["mart_web_access_monthly", "fct_web_requests_daily"],
    "gis": ["mart_gis_usage_monthly"],
    "energy": ["mart_facility_energy_monthly"],
    "indicator_reports": ["fct_indicator_reports"],
    "evaluations": ["fct_measure_evaluations"],
}
SKIP_UNIT_TESTS = ("--exclude-resource-type", "unit_test")  # they test logic, not data: run once (empty build)


def build(tmp_path: Path, rows: dict[str, list[dict[str, Any]]], *flags: str) -> tuple[Path, dict[str, str]]:
    """Write the raw schema, `dbt build` everything (fails the test on any error); return the file and
    unique_id -> status of every node dbt ran."""
    database = tmp_path / "build.duckdb"
    write_raw_database(database, {table: rows.get(table, []) for table in RAW_COLUMNS})
    dbt_build(database, tmp_path, AS_OF_DATE, *flags)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    return database, {result["unique_id"]: result["status"] for result in results}


def warned(statuses: dict[str, str]) -> list[str]:
    return sorted(uid for uid, status in statuses.items() if status == "warn")


def assert_gates_pass(database: Path) -> None:
    """The mart suites and golden records, as a refresh runs them when no new file arrived (raw suites gate
    only new files; the fixture also holds a superseded report that ingest would have replaced, not kept)."""
    gate = run_gates(database, raw_files={}, verbose=False)
    assert gate.failed == 0, gate.summary()


def assert_whole_plan(database: Path) -> None:
    # FY2016 .. FY2017 (the year of the as-of date): 41 indicators and 35 measures each
    assert query(database, "select count(*) from main.mart_kpi_indicator_progress") == [(41 * 2,)]
    assert query(database, "select count(*) from main.mart_plan_measure_status") == [(35 * 2,)]


def test_empty_raw_tables_build_with_every_test_passing(tmp_path: Path) -> None:
    database, statuses = build(tmp_path, {})
    assert not [uid for uid, status in statuses.items() if status not in ("success", "pass")], statuses
    assert any(uid.startswith("unit_test.") for uid in statuses)  # the unit tests ran too
    assert_whole_plan(database)
    assert query(database, "select distinct progress_status from main.mart_kpi_indicator_progress "
                           "where indicator_id <> 'M01-1'") == [("no_data",)]
    assert query(database, "select count(*), count(expected_progress_rate) from main.mart_kpi_indicator_progress "
                           "where indicator_id = 'M24-1'") == [(2, 2)]  # no first measurement yet: still a path
    calendar = query(database, "select min(fiscal_month_start_date), max(fiscal_month_start_date) "
                               "from main.dim_fiscal_month")
    assert calendar == [(dt.date(2015, 4, 1), dt.date(2017, 4, 1))]
    assert query(database, "select count(*) from main.mart_data_quality_warnings") == [(0,)]
    assert_gates_pass(database)


@pytest.mark.parametrize("kind", list(KIND_TABLES))
def test_each_kind_alone_builds_and_fills_its_marts(tmp_path: Path, kind: str) -> None:
    rows = fixture_rows()
    database, statuses = build(tmp_path, {table: rows[table] for table in KIND_TABLES[kind]}, *SKIP_UNIT_TESTS)
    assert warned(statuses) == []
    assert_whole_plan(database)
    for other, marts in KIND_MARTS.items():
        for mart in marts:
            count = query(database, f"select count(*) from main.{mart}")[0][0]
            assert (count > 0) == (other == kind), f"{mart} has {count} rows with only {kind}"
    assert_gates_pass(database)


def test_readings_for_an_unregistered_facility_are_kept_with_a_warning(tmp_path: Path) -> None:
    """S001 has readings, but only F001's master rows were delivered."""
    rows = fixture_rows()
    masters = [row for row in rows["facilities"] if row["facility_code"] == "F001"]
    database, statuses = build(tmp_path, {"energy_readings_monthly": rows["energy_readings_monthly"],
                                          "energy_readings_interval": rows["energy_readings_interval"],
                                          "facilities": masters}, *SKIP_UNIT_TESTS)
    assert [uid.split(".")[2] for uid in warned(statuses)] == [
        "expression_is_true_dim_facility_is_registered__is_registered"]
    assert query(database, "select facility_code, facility_name_ja, is_registered, is_school from main.dim_facility "
                           "order by 1") == [("F001", "板橋区役所", True, False),
                                             ("S001", "未登録の施設 S001", False, False)]
    assert query(database, "select distinct facility_name_ja, is_registered_facility "
                           "from main.mart_facility_energy_monthly where facility_code = 'S001'") \
        == [("未登録の施設 S001", False)]
    warnings = query(database, "select warning_code, severity, source_table, subject, row_count, file_count "
                               "from main.mart_data_quality_warnings")
    # S001: 2 monthly readings (gas, water) in energy_FY2016.xlsx and 96 intervals in S001_201604.csv
    assert warnings == [("unregistered_facility", "warning", "energy_readings", "S001", 98, 2)]
    assert_gates_pass(database)


def test_rows_dated_outside_the_calendar_build_and_are_not_counted(tmp_path: Path) -> None:
    """A web export day of May 2009 and one of May 2017 (after the as-of date 2017-04-10), and a GIS event
    of 2009: the calendar widens to cover them, the source marts keep them, the KPI does not count them."""
    rows = fixture_rows()
    loaded = dt.datetime(2017, 4, 9)
    for day, views in ((dt.date(2009, 5, 11), 7), (dt.date(2017, 5, 2), 11)):
        rows["web_page_views_daily"].append({
            "access_date": day, "page_path": "/index.html", "page_title_ja": "トップ", "device_type": "pc",
            "page_view_count": views, **lineage(f"web_{day:%Y%m}.csv", 1, day, loaded)})
    old_event = dict(rows["gis_events"][0], event_at=dt.datetime(2009, 5, 11, 9, 0),
                     **lineage("gis_200905.csv", 1, dt.date(2009, 5, 11), loaded))
    rows["gis_events"].append(old_event)
    database, statuses = build(tmp_path, rows, *SKIP_UNIT_TESTS)
    assert warned(statuses) == []
    calendar = query(database, "select min(fiscal_month_start_date), max(fiscal_month_start_date), "
                               "count(*) filter (where is_after_as_of_date) from main.dim_fiscal_month")
    assert calendar == [(dt.date(2009, 4, 1), dt.date(2017, 5, 1), 1)]
    assert query(database, "select min(fiscal_year), max(fiscal_year) from main.dim_fiscal_year") == [(2009, 2017)]
    web = dict(query(database, "select fiscal_month_start_date, page_view_count from main.mart_web_access_monthly "
                               "where fiscal_month_start_date in (date '2009-05-01', date '2017-05-01')"))
    assert web == {dt.date(2009, 5, 1): 7, dt.date(2017, 5, 1): 11}
    # FY2017 (in progress on 2017-04-10) has no web data up to the as-of date: May's 11 views do not count
    assert query(database, "select actual_value, progress_status from main.mart_kpi_indicator_progress "
                           "where indicator_id = 'M13-1' and fiscal_year = 2017") == [(None, "no_data")]
    assert query(database, "select count(*) from main.mart_kpi_indicator_progress_monthly "
                           "where fiscal_month_start_date > date '2017-04-10'") == [(0,)]
    warnings = query(database, "select warning_code, severity, source_table, row_count, first_date, last_date "
                               "from main.mart_data_quality_warnings order by 1, 3")
    assert warnings == [
        ("dated_after_as_of_date", "warning", "web_page_views_daily", 1, dt.date(2017, 5, 2), dt.date(2017, 5, 2)),
        ("dated_before_fy2015", "info", "gis_events", 1, dt.date(2009, 5, 11), dt.date(2009, 5, 11)),
        ("dated_before_fy2015", "info", "web_page_views_daily", 1, dt.date(2009, 5, 11), dt.date(2009, 5, 11)),
    ]
    assert_gates_pass(database)
