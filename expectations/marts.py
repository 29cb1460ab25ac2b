"""great-expectations suites and golden-record checks for the KPI and plan marts.

dbt owns schema and value tests; these guard what dbt cannot state per model: the marts' shape (41
indicators and 35 measures every fiscal year), freshness flags, and golden records taken from the plan
itself (Table 1, the FY2015 homepage total). Rules behind the numbers: docs/kpi_rules.md.
"""
from __future__ import annotations

import os
from datetime import timedelta

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import great_expectations as gx

INDICATOR_COUNT = 41
MEASURE_COUNT = 35
FIRST_FISCAL_YEAR = 2016
PROGRESS_STATUSES = ["achieved", "on_track", "at_risk", "off_track", "no_data", "not_evaluable"]
GRADES = ["AA", "A", "B", "C", "not_evaluable"]
# 表1 第3次電子区役所推進計画の評価別事業数, as printed in the plan (grade, count, row order)
TABLE1_COUNTS: list[tuple[str, int, int]] = [
    ("AA", 1, 1), ("A", 68, 2), ("B", 6, 3), ("C", 0, 4), ("その他", 1, 5), ("合計", 76, 6),
]
# M13-1 現状: 区ホームページアクセス件数 FY2015 (平成27年度)
PLAN_FY2015_HOMEPAGE_ACCESSES = 2_578_895

KPI_MART = "main.mart_kpi_indicator_progress"
KPI_MONTHLY_MART = "main.mart_kpi_indicator_progress_monthly"
MEASURE_MART = "main.mart_plan_measure_status"
TABLE1_MART = "main.mart_previous_plan_evaluation"
PROJECTS_MART = "main.mart_previous_plan_projects"


def _kpi_progress_expectations() -> list:
    """Shape and value ranges of mart_kpi_indicator_progress."""
    e = gx.expectations
    return [
        e.ExpectCompoundColumnsToBeUnique(column_list=["indicator_id", "fiscal_year"]),
        e.ExpectColumnUniqueValueCountToBeBetween(column="indicator_id", min_value=INDICATOR_COUNT,
                                                  max_value=INDICATOR_COUNT),
        e.ExpectColumnMinToBeBetween(column="fiscal_year", min_value=FIRST_FISCAL_YEAR, max_value=FIRST_FISCAL_YEAR),
        e.ExpectColumnValuesToNotBeNull(column="progress_status"),
        e.ExpectColumnValuesToBeInSet(column="progress_status", value_set=PROGRESS_STATUSES),
        e.ExpectColumnValuesToNotBeNull(column="fiscal_year_label_ja"),
        e.ExpectColumnValuesToNotBeNull(column="evaluation_date"),
        e.ExpectColumnValuesToBeBetween(column="expected_progress_rate", min_value=0, max_value=1),
        e.ExpectColumnValuesToBeInSet(column="source_kind", value_set=["system", "report"]),
    ]


def _kpi_monthly_expectations() -> list:
    """Shape of mart_kpi_indicator_progress_monthly: four in-year indicators, one row per month."""
    e = gx.expectations
    return [
        e.ExpectCompoundColumnsToBeUnique(column_list=["indicator_id", "fiscal_month_start_date"]),
        e.ExpectColumnValuesToBeInSet(column="indicator_id", value_set=["M03-1", "M03-2", "M09-1", "M13-1"]),
        e.ExpectColumnValuesToBeBetween(column="fiscal_month_number", min_value=1, max_value=12),
        e.ExpectColumnValuesToBeBetween(column="actual_value_month", min_value=0),
    ]


def _measure_status_expectations() -> list:
    """Shape and grades of mart_plan_measure_status."""
    e = gx.expectations
    return [
        e.ExpectCompoundColumnsToBeUnique(column_list=["measure_id", "fiscal_year"]),
        e.ExpectColumnUniqueValueCountToBeBetween(column="measure_id", min_value=MEASURE_COUNT,
                                                  max_value=MEASURE_COUNT),
        e.ExpectColumnValuesToBeInSet(column="suggested_grade", value_set=GRADES),
        e.ExpectColumnValuesToNotBeNull(column="grade_reason_ja"),
        e.ExpectColumnValuesToNotBeNull(column="is_human_decision"),
        e.ExpectColumnSumToBeBetween(column="indicator_count", min_value=1),
    ]


def _table1_expectations() -> list:
    """Table 1 golden record: six rows, counts as printed, total 76."""
    e = gx.expectations
    return [
        e.ExpectTableRowCountToEqual(value=len(TABLE1_COUNTS)),
        e.ExpectColumnValuesToBeInSet(column="grade", value_set=[grade for grade, _, _ in TABLE1_COUNTS]),
        e.ExpectColumnPairValuesToBeEqual(column_A="project_count", column_B="table1_project_count"),
        e.ExpectColumnMaxToBeBetween(column="project_count", min_value=76, max_value=76),
    ]


def _projects_expectations() -> list:
    """The previous plan's 76 projects, each with a grade of the plan's legend."""
    e = gx.expectations
    return [
        e.ExpectTableRowCountToEqual(value=76),
        e.ExpectColumnValuesToBeUnique(column="project_no"),
        e.ExpectColumnValuesToBeInSet(column="grade", value_set=["AA", "A", "B", "C", "その他"]),
    ]


def mart_suites() -> list[tuple[str, str, list]]:
    """(suite_name, table_name, expectations) for every KPI/plan mart; run on `select * from table_name`."""
    return [
        ("mart_kpi_indicator_progress", KPI_MART, _kpi_progress_expectations()),
        ("mart_kpi_indicator_progress_monthly", KPI_MONTHLY_MART, _kpi_monthly_expectations()),
        ("mart_plan_measure_status", MEASURE_MART, _measure_status_expectations()),
        ("mart_previous_plan_evaluation", TABLE1_MART, _table1_expectations()),
        ("mart_previous_plan_projects", PROJECTS_MART, _projects_expectations()),
    ]


def _rows_per_year_check(con: duckdb.DuckDBPyConnection, table: str, key: str, expected: int,
                         what: str) -> tuple[str, bool, str]:
    """Every fiscal year of table has exactly `expected` distinct keys, and the years are contiguous."""
    rows = con.sql(
        f"select fiscal_year, count(*), count(distinct {key}) from {table} group by fiscal_year order by fiscal_year"
    ).fetchall()
    name = f"{table}: {expected} {what} per fiscal year"
    if not rows:
        return name, False, f"{table} is empty; expected {expected} {what} for every fiscal year from FY2016"
    wrong = [f"FY{year}: {count} rows/{distinct} {what}" for year, count, distinct in rows
             if count != expected or distinct != expected]
    years = [year for year, _, _ in rows]
    if years != list(range(FIRST_FISCAL_YEAR, years[-1] + 1)):
        wrong.append(f"fiscal years {years} are not FY{FIRST_FISCAL_YEAR}..FY{years[-1]} without gaps")
    if wrong:
        return name, False, "; ".join(wrong) + f" — check the fiscal-year spine in {table} (macros/kpi)"
    return name, True, f"FY{years[0]}-FY{years[-1]}: {expected} {what} each"


def _freshness_check(con: duckdb.DuckDBPyConnection, stale_after_days: int) -> tuple[str, bool, str]:
    """is_data_fresh agrees with data_through_date vs evaluation_date, and stale rows are never scored."""
    rows = con.sql(
        f"""
        select indicator_id, fiscal_year, data_through_date, evaluation_date, is_data_fresh, progress_status
        from {KPI_MART}
        where actual_value is not null
        """
    ).fetchall()
    name = f"{KPI_MART}: freshness flags"
    problems: list[str] = []
    stale: list[str] = []
    for indicator_id, fiscal_year, through, evaluated, is_fresh, status in rows:
        expected_fresh = through >= evaluated - timedelta(days=stale_after_days)
        if bool(is_fresh) != expected_fresh:
            problems.append(f"{indicator_id} FY{fiscal_year}: is_data_fresh={is_fresh} but data through {through}, "
                            f"judged at {evaluated}, stale after {stale_after_days} days")
        if not expected_fresh:
            stale.append(f"{indicator_id} FY{fiscal_year}")
            if status != "not_evaluable":
                problems.append(f"{indicator_id} FY{fiscal_year}: stale data scored as {status}")
    if problems:
        return name, False, "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    message = f"{len(rows)} scored rows consistent"
    if stale:
        message += f"; stale (not_evaluable): {', '.join(stale[:10])}" + (" …" if len(stale) > 10 else "")
    return name, True, message


def _table1_check(con: duckdb.DuckDBPyConnection) -> tuple[str, bool, str]:
    """mart_previous_plan_evaluation reproduces Table 1 row for row."""
    rows = con.sql(f"select grade, project_count, sort_order from {TABLE1_MART} order by sort_order").fetchall()
    name = f"{TABLE1_MART}: Table 1 of the plan"
    if [tuple(row) for row in rows] != TABLE1_COUNTS:
        return name, False, f"got {rows}, the plan prints {TABLE1_COUNTS}; check seeds/previous_plan_projects.csv"
    return name, True, "AA 1, A 68, B 6, C 0, その他 1, 合計 76"


def _homepage_baseline_check(con: duckdb.DuckDBPyConnection) -> tuple[str, bool, str, str]:
    """When a full FY2015 of web data exists, M13-1's recomputed baseline should equal the plan's 2,578,895.

    A warning, not a gate: the ward's own FY2015 export may legitimately count differently from the figure
    printed in the plan (other pages, another analytics tool), and a valid file must never stop a publish.
    The KPI model tests (tests/models/kpi) still prove on known data that the computation reproduces it."""
    rows = con.sql(
        f"""
        select max(baseline_actual_value), bool_or(baseline_matches_plan)
        from {KPI_MART}
        where indicator_id = 'M13-1'
        """
    ).fetchall()
    name = f"{KPI_MART}: M13-1 FY2015 homepage accesses = 2,578,895"
    baseline, matches = rows[0] if rows else (None, None)
    if matches is None:
        return name, True, "no complete FY2015 of web data in this build; golden record not applicable", "error"
    if not matches or round(baseline) != PLAN_FY2015_HOMEPAGE_ACCESSES:
        return name, True, (f"warning: FY2015 page views total {baseline:,.0f}, the plan states "
                            f"{PLAN_FY2015_HOMEPAGE_ACCESSES:,}; check that the FY2015 web extracts are complete "
                            f"(published anyway)"), "warn"
    return name, True, f"FY2015 total {baseline:,.0f} equals the plan", "error"


def _stale_after_days() -> int:
    """stale_after_days from the settings (the same value the refresh passes to dbt)."""
    from warehouse.platform.settings import load_settings

    return int(load_settings().get("refresh", "stale_after_days"))


def golden_record_checks(con: duckdb.DuckDBPyConnection,
                         stale_after_days: int | None = None) -> list[tuple]:
    """(name, passed, message, severity) for the checks that need SQL across rows; names start with the table.

    severity 'warn' marks a check whose finding is reported (passed stays True) but never stops a publish."""
    days = _stale_after_days() if stale_after_days is None else stale_after_days
    checks = [
        _rows_per_year_check(con, KPI_MART, "indicator_id", INDICATOR_COUNT, "indicators"),
        _rows_per_year_check(con, MEASURE_MART, "measure_id", MEASURE_COUNT, "measures"),
        _freshness_check(con, days),
        _table1_check(con),
        _homepage_baseline_check(con),
    ]
    return [check if len(check) == 4 else (*check, "error") for check in checks]
