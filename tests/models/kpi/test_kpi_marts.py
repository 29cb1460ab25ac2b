"""Runs a real `dbt build` of the KPI and plan marts (and everything upstream) on a small synthetic raw
schema, then checks numbers worked out by hand from the fixture, the plan's golden records, and the
great-expectations suites of expectations/marts.py."""
from __future__ import annotations

import csv
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.models.dbt_harness import REPO_ROOT, dbt_build, query
from tests.models.kpi.kpi_synthetic_raw import (
    PLAN_FY2015_HOMEPAGE_ACCESSES,
    SyntheticSpan,
    write_synthetic_raw,
)

# data FY2015-FY2018 judged from FY2019: FY2016-FY2019 in the marts, FY2019 without data
AS_OF_DATE = "2019-04-20"
MY_MARTS = [
    "+mart_kpi_indicator_progress",
    "+mart_kpi_indicator_progress_monthly",
    "+mart_plan_measure_status",
    "+mart_previous_plan_evaluation",
    "+mart_previous_plan_projects",
    "+mart_kpi_reported_figures",  # a child of int_indicator_progress_scored: later builds of its children need it
]




@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scratch DuckDB file with synthetic raw data after `dbt build` of the KPI and plan marts."""
    work = tmp_path_factory.mktemp("kpi")
    database = work / "build.duckdb"
    write_synthetic_raw(database, SyntheticSpan())
    dbt_build(database, work, AS_OF_DATE, "--indirect-selection", "cautious", "--select", *MY_MARTS)
    yield database


def progress(database: Path, indicator_id: str, fiscal_year: int) -> dict[str, object]:
    """One row of mart_kpi_indicator_progress as a dict."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        frame = con.sql(
            "select * from main.mart_kpi_indicator_progress where indicator_id = ? and fiscal_year = ?",
            params=[indicator_id, fiscal_year],
        ).df()
    finally:
        con.close()
    assert len(frame) == 1, f"expected one row for {indicator_id} FY{fiscal_year}, got {len(frame)}"
    return frame.iloc[0].to_dict()


def test_every_indicator_every_year(built: Path) -> None:
    rows = query(built, "select fiscal_year, count(*), count(distinct indicator_id) "
                        "from main.mart_kpi_indicator_progress group by 1 order by 1")
    assert rows == [(2016, 41, 41), (2017, 41, 41), (2018, 41, 41), (2019, 41, 41)]


def test_current_year_without_data_is_no_data(built: Path) -> None:
    rows = query(built, "select distinct progress_status from main.mart_kpi_indicator_progress "
                        "where fiscal_year = 2019 and indicator_id <> 'M01-1'")
    assert rows == [("no_data",)]


def test_open_data_items_count_toward_m01_in_the_year_in_progress(built: Path) -> None:
    """M01-1 for the year without a report: the last reported count + the datasets this warehouse publishes."""
    items = query(built, "select count(*) from raw.open_data_items")[0][0]
    assert items >= 5
    last_reported = query(built, "select fiscal_year, actual_value from main.mart_kpi_indicator_progress "
                                 "where indicator_id = 'M01-1' and fiscal_year < 2019 and actual_value is not null "
                                 "order by fiscal_year desc limit 1")[0]
    row = progress(built, "M01-1", 2019)
    assert row["actual_value"] == last_reported[1] + items
    assert row["source_detail"].startswith(f"provisional: FY{last_reported[0]} reported count + {items} open datasets")


def test_homepage_baseline_matches_plan(built: Path) -> None:
    row = progress(built, "M13-1", 2016)
    assert row["baseline_actual_value"] == PLAN_FY2015_HOMEPAGE_ACCESSES
    assert bool(row["baseline_matches_plan"]) is True
    # fixture: each year adds 100,000 accesses; path 2,578,895 → 3,000,000 over FY2015-FY2020
    assert row["actual_value"] == PLAN_FY2015_HOMEPAGE_ACCESSES + 100_000
    assert row["achievement_rate"] == pytest.approx(round(100_000 / (3_000_000 - 2_578_895), 4))
    assert row["expected_progress_rate"] == pytest.approx(0.2)
    assert row["progress_status"] == "on_track"


def test_gis_logins_per_business_day(built: Path) -> None:
    # fixture: every weekday (holidays included) has 58 + (fiscal year − 2015) logins; rule changed (issue 13):
    # the denominator is the year's 開庁日 from dim_date, not the days someone used the GIS
    calendar = list(csv.DictReader((REPO_ROOT / "seeds" / "calendar_dates.csv").open(encoding="utf-8")))
    fy2017 = [row for row in calendar if row["fiscal_year"] == "2017"]
    weekdays = sum(row["is_weekend"] == "false" for row in fy2017)
    business_days = sum(row["is_business_day"] == "true" for row in fy2017)
    assert progress(built, "M03-1", 2017)["actual_value"] == pytest.approx(60.0 * weekdays / business_days)
    assert progress(built, "M03-1", 2017)["progress_status"] == "achieved"  # '↑': above the baseline 58


def test_convenience_store_share_is_ratio_of_sums(built: Path) -> None:
    # fixture: per month 900 counter issuances and 18 × (months since 2016-01) convenience-store issuances
    months_since = range(15, 27)  # April 2017 .. March 2018
    convenience = sum(18 * m for m in months_since)
    expected = 100 * convenience / (convenience + 900 * 12)
    row = progress(built, "M09-1", 2017)
    assert row["actual_value"] == pytest.approx(expected)
    assert row["source_detail"].startswith("fct_certificate_issuance_monthly")


def test_report_and_milestone_indicators(built: Path) -> None:
    assert progress(built, "M04-1", 2016)["progress_status"] == "on_track"  # due FY2017, not done yet
    assert progress(built, "M04-1", 2017)["progress_status"] == "achieved"
    assert progress(built, "M16-1", 2018)["progress_status"] == "achieved"  # 0 incidents, reached early
    assert progress(built, "M14-1", 2017)["progress_status"] == "at_risk"  # 224: 0.3448 vs 0.4 expected
    assert progress(built, "M02-1", 2017)["progress_status"] == "no_data"
    m01 = progress(built, "M01-1", 2017)
    assert m01["source_detail"] == "fct_indicator_reports: count reported by the department for the year"


def test_forecast_needs_three_years(built: Path) -> None:
    rows = query(built, "select fiscal_year, forecast_point_count, forecast_target_year_value "
                        "from main.mart_kpi_indicator_progress where indicator_id = 'M14-1' order by 1")
    assert rows[:2] == [(2016, 1, None), (2017, 2, None)]
    row = progress(built, "M14-1", 2018)
    # 204, 224, 244 in FY2016-2018: exactly linear, so FY2020 = 284 with a zero-width interval
    assert row["forecast_target_year_value"] == pytest.approx(284.0)
    assert row["forecast_lower"] == pytest.approx(284.0)
    assert bool(row["will_reach_target_forecast"]) is False


def test_monthly_fytd_accesses(built: Path) -> None:
    rows = query(built, "select actual_value_fytd from main.mart_kpi_indicator_progress_monthly "
                        "where indicator_id = 'M13-1' and fiscal_month_start_date = date '2016-03-01'")
    assert rows == [(float(PLAN_FY2015_HOMEPAGE_ACCESSES),)]


def test_measure_grades(built: Path) -> None:
    grades = dict(query(built, "select measure_id, suggested_grade from main.mart_plan_measure_status "
                               "where fiscal_year = 2018"))
    assert len(grades) == 35
    assert grades[3] == "A"  # both GIS indicators above baseline
    assert grades[14] == "B"  # its only indicator at risk
    assert grades[24] == "C"  # M24-1 off track against 1.5 × its first measurement
    assert grades[5] == "not_evaluable"  # no data
    reason = query(built, "select grade_reason_ja from main.mart_plan_measure_status "
                          "where measure_id = 3 and fiscal_year = 2018")
    assert reason == [("指標2件中2件が目標達成または順調",)]


def test_previous_plan_table1(built: Path) -> None:
    rows = query(built, "select grade, project_count from main.mart_previous_plan_evaluation order by sort_order")
    assert rows == [("AA", 1), ("A", 68), ("B", 6), ("C", 0), ("その他", 1), ("合計", 76)]
    assert query(built, "select count(*) from main.mart_previous_plan_projects") == [(76,)]


def test_expectation_suites_and_golden_records_pass(built: Path) -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    sys.path.insert(0, str(REPO_ROOT))
    import great_expectations as gx

    from expectations.marts import golden_record_checks, mart_suites

    con = duckdb.connect(str(built), read_only=True)
    try:
        context = gx.get_context(mode="ephemeral")
        datasource = context.data_sources.add_pandas("kpi_test")
        failures = []
        for suite_name, table_name, expectations in mart_suites():
            frame = con.sql(f"select * from {table_name}").df()
            batch = datasource.add_dataframe_asset(name=suite_name).add_batch_definition_whole_dataframe(
                suite_name).get_batch(batch_parameters={"dataframe": frame})
            result = batch.validate(gx.ExpectationSuite(name=suite_name, expectations=expectations))
            failures += [(suite_name, r.expectation_config.type) for r in result.results if not r.success]
        checks = golden_record_checks(con, stale_after_days=45)
    finally:
        con.close()
    assert failures == []
    assert [(name, passed) for name, passed, _, _ in checks if not passed] == []
    assert [(name, message) for name, _, message, severity in checks if severity == "warn"] == []
    assert len(checks) == 5


def test_quarantined_files_make_indicators_not_evaluable(built: Path, tmp_path: Path) -> None:
    database = tmp_path / "quarantine.duckdb"
    shutil.copyfile(built, database)
    con = duckdb.connect(str(database))
    try:
        con.execute("update raw.source_load_status set files_quarantined_open = 2 "
                    "where source_table = 'certificate_issuances'")
    finally:
        con.close()
    dbt_build(database, tmp_path, AS_OF_DATE, "--indirect-selection", "cautious",
              "--select", "int_indicator_progress_scored+")
    row = progress(database, "M09-1", 2017)
    assert row["progress_status"] == "not_evaluable"
    assert bool(row["passed_quality_checks"]) is False
    assert progress(database, "M13-1", 2017)["progress_status"] == "on_track"  # other sources unaffected
    grade = query(database, "select suggested_grade, grade_reason_ja from main.mart_plan_measure_status "
                            "where measure_id = 9 and fiscal_year = 2017")
    assert grade == [("not_evaluable", "指標1件中1件のデータが古いか品質確認が済んでいないため評価できない")]
