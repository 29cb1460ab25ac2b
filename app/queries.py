"""Parameterised read queries for every page; each takes a runner run(sql, params) -> polars.DataFrame.

They read the marts exactly as models/marts/**/*.yml describe them, and the refresh's bookkeeping in schema
meta, through the same sandbox analysts use. The only thing looked up at run time is which tables the
published file has (Catalog), so a page can say "not published yet" instead of failing.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

Runner = Callable[[str, Sequence[Any] | None], pl.DataFrame]

READABLE_SCHEMAS = ("main", "seeds", "meta")  # what warehouse.serving.sandbox lets analysts (and the app) read


@dataclass(frozen=True)
class Catalog:
    """Which tables the published file has, as 'schema.table' (lower case); marts live in main."""

    tables: frozenset[str] = field(default_factory=frozenset)

    def has(self, table: str) -> bool:
        return (table if "." in table else f"main.{table}") in self.tables


def load_catalog(run: Runner) -> Catalog:
    """Every readable table of the published file, in one query."""
    frame = run("select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database() and schema_name in (?, ?, ?)", list(READABLE_SCHEMAS))
    return Catalog(frozenset(f"{s}.{t}".lower() for s, t in frame.iter_rows()))


def is_empty_warehouse(catalog: Catalog) -> bool:
    """True when the file lacks the plan's KPI mart (a fresh, half-built or foreign file)."""
    return not catalog.has("mart_kpi_indicator_progress")


# ---------------------------------------------------------------- header: version, freshness, quality

def warehouse_version(run: Runner, catalog: Catalog) -> dict[str, Any]:
    """meta.warehouse_version of the published file (version id, as-of date, built_at); {} when absent."""
    if not catalog.has("meta.warehouse_version"):
        return {}
    rows = run("select version_id, run_id, as_of_date, built_at from meta.warehouse_version limit 1", None).to_dicts()
    return rows[0] if rows else {}


def source_freshness(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """One row per lake table: files and rows loaded, newest data date, open quarantined files."""
    if not catalog.has("meta.source_load_status"):
        return pl.DataFrame(schema={"source_table": pl.String, "data_through_date": pl.Date,
                                    "files_quarantined_open": pl.Int64})
    return run("select source_table, files_loaded, rows_loaded, last_loaded_at, data_through_date, "
               "files_quarantined_open from meta.source_load_status order by source_table", None)


def quality_by_table(run: Runner, catalog: Catalog) -> dict[str, bool]:
    """table_name -> all its expectations passed, for the run that built the published file."""
    if not catalog.has("meta.quality_results"):
        return {}
    frame = run(
        "select table_name, bool_and(success) as passed from meta.quality_results "
        "where run_id = (select max(run_id) from meta.quality_results) group by table_name",
        None,
    )
    return {str(r["table_name"]): bool(r["passed"]) for r in frame.to_dicts()}


def data_quality_warnings(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """mart_data_quality_warnings: data the build kept but someone should look at (warnings first)."""
    if not catalog.has("mart_data_quality_warnings"):
        return pl.DataFrame()
    return run("select warning_code, severity, source_table, subject, row_count, first_date, last_date, file_count, "
               "example_file_name, message_ja, message_en from main.mart_data_quality_warnings "
               "order by severity = 'info', warning_code, source_table, subject", None)


def quality_results(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Every quality expectation checked before the published file went live."""
    if not catalog.has("meta.quality_results"):
        return pl.DataFrame()
    return run("select suite_name, table_name, expectation, success, details from meta.quality_results "
               "order by success, suite_name, table_name, expectation", None)


def refresh_runs(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """The refresh ledger carried inside the published file, newest first."""
    if not catalog.has("meta.refresh_runs"):
        return pl.DataFrame()
    return run("select run_id, kind, started_at, finished_at, status, failed_step, message, as_of_date, "
               "warehouse_version from meta.refresh_runs order by started_at desc", None)



def publish_change_log(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """One row per publish up to the served one (meta.publish_change_log), newest first; empty in older files."""
    if not catalog.has("meta.publish_change_log"):
        return pl.DataFrame()
    return run("select version_id, published_at, compared_with_version, note, marts_changed, rows_added, "
               "rows_removed, rows_changed, indicator_values_changed from meta.publish_change_log "
               "order by published_at desc", None)


def publish_mart_changes(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Per mart, what the served version changed against the previous one: rows added, removed, changed."""
    if not catalog.has("meta.publish_mart_changes"):
        return pl.DataFrame()
    return run("select mart_name, key_columns, rows_before, rows_after, rows_added, rows_removed, rows_changed "
               "from meta.publish_mart_changes order by mart_name", None)


def publish_indicator_changes(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Per indicator × fiscal year, the actual and status before → after the served version's publish."""
    if not catalog.has("meta.publish_indicator_changes"):
        return pl.DataFrame()
    return run("select indicator_id, fiscal_year, change_kind, old_actual_value, new_actual_value, "
               "old_progress_status, new_progress_status from meta.publish_indicator_changes "
               "order by indicator_id, fiscal_year", None)

# ---------------------------------------------------------------- plan and indicators

def fiscal_years(run: Runner) -> pl.DataFrame:
    """Fiscal years with indicator rows: fiscal_year, is_complete, has_actuals (oldest first)."""
    return run(
        "select p.fiscal_year, coalesce(bool_and(y.is_complete), false) as is_complete, "
        "count(p.actual_value) > 0 as has_actuals from main.mart_kpi_indicator_progress as p "
        "left join main.dim_fiscal_year as y on y.fiscal_year = p.fiscal_year group by p.fiscal_year order by 1",
        None,
    )


def default_fiscal_year(years: pl.DataFrame) -> int:
    """The year a planner looks at first: the latest complete year with actuals, else the latest with any."""
    for condition in (pl.col("is_complete") & pl.col("has_actuals"), pl.col("has_actuals"), pl.lit(True)):
        chosen = years.filter(condition)
        if chosen.height:
            return int(chosen["fiscal_year"].max())
    raise ValueError("mart_kpi_indicator_progress has no fiscal years: the refresh published an empty mart")


def measures_overview(run: Runner, fiscal_year: int) -> pl.DataFrame:
    """One row per measure (35) in a fiscal year: names, departments, status counts, the suggested grade and its
    reason, the department's self-assessment and comment, and the decided grade and its reason."""
    return run(
        "select s.measure_id, s.measure_name_ja, s.measure_name_en, s.strategy_id, s.main_goal_id, "
        "s.goal_name_ja, s.goal_name_en, f.name_ja as strategy_name_ja, f.name_en as strategy_name_en, "
        "s.owner_departments_ja, s.indicator_count, s.achieved_count, s.on_track_count, s.at_risk_count, "
        "s.off_track_count, s.no_data_count, s.not_evaluable_count, s.computed_grade, s.suggested_grade, "
        "s.grade_reason_ja, s.grade_reason_en, s.is_human_decision, s.decided_by, s.decided_on, s.measure_status, "
        "s.computed_reason_ja, s.computed_reason_en, s.self_assessed_grade, s.decided_grade, s.decided_reason_ja, "
        "s.department_remark_ja "
        "from main.mart_plan_measure_status as s "
        "left join seeds.plan_focus_strategies as f on f.strategy_id = s.strategy_id "
        "where s.fiscal_year = ? order by s.measure_id",
        [fiscal_year],
    )


def indicator_source_tables(run: Runner, catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """Indicator source (dim_indicator.source_name) -> the lake tables seeds/plan_indicators.csv names for it."""
    if not catalog.has("dim_indicator"):
        return {}
    frame = run("select distinct source_name, source_lake_tables from main.dim_indicator", None)
    tables: dict[str, list[str]] = {}
    for source, names in frame.iter_rows():
        tables.setdefault(str(source), [])
        tables[str(source)] += [name for name in str(names or "").split() if name not in tables[str(source)]]
    return {source: tuple(names) for source, names in tables.items()}


def measure_departments(run: Runner) -> pl.DataFrame:
    """bridge_measure_department: measure_id -> each owning department (the split dim_department uses)."""
    return run("select measure_id, department_name_ja from main.bridge_measure_department "
               "order by department_name_ja, measure_id", None)


def build_stale_after_days(run: Runner) -> int | None:
    """The freshness threshold the published build used (mart_kpi_indicator_progress.stale_after_days);
    None for a file built before the mart carried it."""
    has_column = run("select count(*) as n from duckdb_columns() where database_name = current_database() "
                     "and schema_name = 'main' and table_name = 'mart_kpi_indicator_progress' "
                     "and column_name = 'stale_after_days'", None)
    if not int(has_column["n"][0]):
        return None
    value = run("select max(stale_after_days) as days from main.mart_kpi_indicator_progress", None)["days"][0]
    return None if value is None else int(value)


def measure_trends(run: Runner) -> pl.DataFrame:
    """Per measure, mean achievement rate (%) by fiscal year as a list, for sparklines."""
    frame = run(
        "select measure_id, fiscal_year, round(100 * avg(achievement_rate), 1) as rate "
        "from main.mart_kpi_indicator_progress group by measure_id, fiscal_year order by measure_id, fiscal_year",
        None,
    )
    return (frame.with_columns(pl.col("measure_id").cast(pl.Int64))
            .group_by("measure_id", maintain_order=True)
            .agg(pl.col("rate").cast(pl.Float64).alias("trend")))


def indicator_list(run: Runner) -> pl.DataFrame:
    """Every indicator of the plan (41) with its measure, for pickers."""
    return run("select indicator_id, measure_id, name_ja, name_en, sub_item_ja, measure_name_ja, measure_name_en "
               "from main.dim_indicator order by measure_id, indicator_seq", None)


def indicator_definition(run: Runner, indicator_id: str) -> dict[str, Any]:
    """dim_indicator's row for one indicator: texts, unit, direction, baseline, target, source, owner."""
    rows = run("select * from main.dim_indicator where indicator_id = ?", [indicator_id]).to_dicts()
    return rows[0] if rows else {}


def indicator_progress(run: Runner, indicator_id: str) -> pl.DataFrame:
    """mart_kpi_indicator_progress rows of one indicator, by fiscal year."""
    return run("select * from main.mart_kpi_indicator_progress where indicator_id = ? order by fiscal_year",
               [indicator_id])


def indicator_monthly(run: Runner, indicator_id: str) -> pl.DataFrame:
    """Month and fiscal-year-to-date values of an indicator tracked monthly (M03-1, M03-2, M09-1, M13-1)."""
    return run(
        "select fiscal_month_start_date as month_start_date, fiscal_year, actual_value_month, actual_value_fytd, "
        "target_value_fytd, on_track_this_month from main.mart_kpi_indicator_progress_monthly "
        "where indicator_id = ? order by fiscal_month_start_date", [indicator_id])


def indicator_year_to_date(run: Runner, indicator_id: str) -> pl.DataFrame:
    """Fiscal years still in progress of an indicator tracked monthly: the last month with data, the value to
    date and the same months of the previous year (mart_kpi_indicator_progress_monthly); empty otherwise."""
    return run(
        "select fiscal_year, fiscal_month_start_date as through_month, fiscal_month_number as months, "
        "actual_value_fytd, previous_year_actual_value_fytd from main.mart_kpi_indicator_progress_monthly "
        "where indicator_id = ? and not is_fiscal_year_complete and actual_value_fytd is not null "
        "qualify row_number() over (partition by fiscal_year order by fiscal_month_start_date desc) = 1 "
        "order by fiscal_year", [indicator_id])


def kpi_progress_for_year(run: Runner, fiscal_year: int) -> pl.DataFrame:
    """All indicators' progress in one fiscal year."""
    return run("select * from main.mart_kpi_indicator_progress where fiscal_year = ? order by indicator_id",
               [fiscal_year])


def indicator_year(run: Runner, indicator_id: str, fiscal_year: int) -> dict[str, Any]:
    """One indicator's mart row for one fiscal year ({} when there is none)."""
    rows = run("select * from main.mart_kpi_indicator_progress where indicator_id = ? and fiscal_year = ?",
               [indicator_id, fiscal_year]).to_dicts()
    return rows[0] if rows else {}


# ---------------------------------------------------------------- certificates

def certificate_channel_shift(run: Runner) -> pl.DataFrame:
    """Issued count and share (%) per month x channel, with the plan's 40% convenience-store target."""
    return run(
        "select fiscal_month_start_date as month_start_date, fiscal_year, channel_code, channel_name_ja, "
        "channel_name_en, channel_sort_order, issued_count, total_issued_count, channel_share_pct, "
        "convenience_store_target_pct from main.mart_certificate_channel_shift "
        "order by fiscal_month_start_date, channel_sort_order", None)


def certificate_breakdown(run: Runner, dimension: str, fiscal_year: int) -> pl.DataFrame:
    """Issued count per certificate type or office x channel in one fiscal year, with display names."""
    joins = {
        "certificate_type": ("main.dim_certificate_type", "certificate_type_code", "certificate_type_name"),
        "office": ("main.dim_certificate_office", "office_code", "office_name"),
    }
    if dimension not in joins:
        raise ValueError(f"unknown breakdown {dimension!r}: use certificate_type or office")
    table, key, name = joins[dimension]
    return run(
        f"select d.{name}_ja as category_ja, d.{name}_en as category_en, d.sort_order, "
        "c.channel_name_ja, c.channel_name_en, c.sort_order as channel_sort_order, "
        "sum(f.issued_count) as issued_count from main.fct_certificate_issuance_monthly as f "
        f"join {table} as d on d.{key} = f.{key} "
        "join main.dim_certificate_channel as c on c.channel_code = f.channel_code "
        "where f.fiscal_year = ? group by all order by d.sort_order, c.sort_order",
        [fiscal_year],
    )


# ---------------------------------------------------------------- web, GIS, energy

def web_monthly(run: Runner) -> pl.DataFrame:
    """Page views per month (all and per device) with the fiscal-year-to-date total and the annual target."""
    return run(
        "select fiscal_month_start_date as month_start_date, fiscal_year, page_view_count, pc_page_view_count, "
        "smartphone_page_view_count, tablet_page_view_count, other_page_view_count, fiscal_ytd_page_view_count, "
        "yoy_change_pct, annual_target_page_views from main.mart_web_access_monthly "
        "order by fiscal_month_start_date", None)


def web_top_pages(run: Runner, fiscal_year: int, limit: int = 10) -> pl.DataFrame:
    """Most viewed pages in a fiscal year."""
    return run("select page_path, max(page_title_ja) as page_title_ja, sum(page_view_count) as page_view_count "
               "from main.fct_web_page_views_daily where fiscal_year = ? group by page_path order by 3 desc limit ?",
               [fiscal_year, limit])


def gis_monthly(run: Runner) -> pl.DataFrame:
    """GIS use per month x department: logins, logins per business day, map opens, distinct maps."""
    return run("select fiscal_month_start_date as month_start_date, fiscal_year, department_name_ja, login_count, "
               "business_days, logins_per_business_day, map_open_count, distinct_map_count "
               "from main.mart_gis_usage_monthly order by fiscal_month_start_date, department_name_ja", None)


def gis_ward_monthly(run: Runner) -> pl.DataFrame:
    """Ward-wide GIS use per month: logins, the month's business days (dim_date), logins per business day."""
    return run("select distinct fiscal_month_start_date as month_start_date, ward_login_count as login_count, "
               "business_days, ward_logins_per_business_day as logins_per_business_day "
               "from main.mart_gis_usage_monthly order by 1", None)


ENERGY_METRICS = ("electricity_kwh", "gas_m3", "water_m3", "co2_kg")


def _energy_metric(metric: str) -> str:
    if metric not in ENERGY_METRICS:
        raise ValueError(f"unknown energy metric {metric!r}: use one of {', '.join(ENERGY_METRICS)}")
    return metric


def energy_monthly_totals(run: Runner) -> pl.DataFrame:
    """Electricity, gas, water and CO2 of all facilities per month (nulls count as no reading)."""
    return run("select fiscal_month_start_date as month_start_date, fiscal_year, count(*) as facility_count, "
               "sum(electricity_kwh) as electricity_kwh, sum(gas_m3) as gas_m3, sum(water_m3) as water_m3, "
               "sum(co2_kg) as co2_kg from main.mart_facility_energy_monthly group by all order by 1", None)


def energy_by_facility(run: Runner, metric: str, fiscal_year: int) -> pl.DataFrame:
    """One metric per facility in a fiscal year, with name, kind and coordinates (largest first)."""
    column = _energy_metric(metric)
    return run(f"select facility_code, facility_name_ja, facility_kind_ja, latitude, longitude, "
               f"sum({column}) as value from main.mart_facility_energy_monthly where fiscal_year = ? "
               "group by all order by value desc nulls last", [fiscal_year])


# ---------------------------------------------------------------- previous plan and catalog

def previous_table1(run: Runner) -> pl.DataFrame:
    """Table 1 of the plan (AA, A, B, C, その他, 合計) recomputed from the 76 projects, with the printed counts."""
    return run("select grade, criterion_ja, project_count, table1_project_count, matches_table1, sort_order "
               "from main.mart_previous_plan_evaluation order by sort_order", None)


def previous_projects(run: Runner) -> pl.DataFrame:
    """The 76 projects of the previous plan with their grades."""
    return run("select project_no, section_name_ja, project_name_ja, is_added_in_supplement, departments_ja, grade, "
               "grade_criterion_ja, summary_ja from main.mart_previous_plan_projects order by project_no", None)


def dataset_comments(run: Runner) -> pl.DataFrame:
    """Readable tables with their persisted descriptions (DuckDB comments written by dbt persist_docs)."""
    return run("select schema_name, table_name, comment, estimated_size as row_estimate from duckdb_tables() "
               "where database_name = current_database() and schema_name in (?, ?, ?) "
               "order by schema_name, table_name", list(READABLE_SCHEMAS))


def column_comments(run: Runner, schema: str, table: str) -> pl.DataFrame:
    """Columns of one table with their types and descriptions."""
    return run("select column_name, data_type, comment from duckdb_columns() "
               "where database_name = current_database() and schema_name = ? and table_name = ? "
               "order by column_index", [schema, table])
