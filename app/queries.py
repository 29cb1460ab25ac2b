"""Parameterised read queries for every page; each takes a runner run(sql, params) -> polars.DataFrame.

Marts are still evolving, so queries look at the published catalog first (Catalog) and pick the first known
column name that exists. Identifiers only ever come from the fixed candidate lists below, never from users.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

Runner = Callable[[str, Sequence[Any] | None], pl.DataFrame]

MONTH_COLUMNS = ("fiscal_month_start_date", "month_start_date", "reading_month", "access_month", "event_month",
                 "issued_month", "month_start", "calendar_month_start_date")


@dataclass(frozen=True)
class Catalog:
    """Which tables and columns the published file has (schema-qualified, lower case)."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def qualified(self, table: str) -> str | None:
        """'main.mart_x' for 'mart_x' (marts live in main), or the name itself when already qualified."""
        if "." in table:
            return table if table in self.columns else None
        for schema in ("main", "marts", "seeds"):
            name = f"{schema}.{table}"
            if name in self.columns:
                return name
        return None

    def has(self, table: str) -> bool:
        return self.qualified(table) is not None

    def cols(self, table: str) -> tuple[str, ...]:
        name = self.qualified(table)
        return self.columns.get(name, ()) if name else ()

    def pick(self, table: str, *candidates: str) -> str | None:
        """The first candidate column the table has (None when it has none of them)."""
        present = set(self.cols(table))
        return next((c for c in candidates if c in present), None)


def load_catalog(run: Runner) -> Catalog:
    """Read every user table's columns from duckdb_columns() in one query."""
    frame = run(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where not internal and database_name = current_database() order by schema_name, table_name, column_index",
        None,
    )
    columns: dict[str, list[str]] = {}
    for schema, table, column in frame.iter_rows():
        columns.setdefault(f"{schema}.{table}".lower(), []).append(str(column).lower())
    return Catalog({k: tuple(v) for k, v in columns.items()})


def is_empty_warehouse(catalog: Catalog) -> bool:
    """True when the file holds none of the tables the app reads (a fresh or broken publish)."""
    return not any(catalog.has(t) for t in ("plan_measures", "mart_kpi_indicator_progress", "mart_plan_measure_status"))


# ---------------------------------------------------------------- header: version, freshness, quality

def warehouse_version(run: Runner, catalog: Catalog) -> dict[str, Any]:
    """meta.warehouse_version of the published file (version id, as-of date, built_at); {} when absent."""
    if not catalog.has("meta.warehouse_version"):
        return {}
    rows = run("select * from meta.warehouse_version limit 1", None).to_dicts()
    return rows[0] if rows else {}


def source_freshness(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """One row per source: newest data date and load time (raw.source_load_status or meta.source_freshness)."""
    if catalog.has("raw.source_load_status"):
        return run("select * from raw.source_load_status order by source_table", None)
    if catalog.has("meta.source_freshness"):
        return run("select * from meta.source_freshness", None)
    return pl.DataFrame()


def quality_by_table(run: Runner, catalog: Catalog) -> dict[str, bool]:
    """table_name -> all expectations passed, for the latest run in meta.quality_results."""
    if not catalog.has("meta.quality_results"):
        return {}
    frame = run(
        "select table_name, bool_and(success) as passed from meta.quality_results "
        "where run_id = (select max(run_id) from meta.quality_results) group by table_name",
        None,
    )
    return {str(r["table_name"]): bool(r["passed"]) for r in frame.to_dicts()}


def quality_results(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Every quality expectation row, newest run first."""
    if not catalog.has("meta.quality_results"):
        return pl.DataFrame()
    return run("select * from meta.quality_results order by run_id desc, suite_name, table_name, expectation", None)


def refresh_runs(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """The refresh ledger carried inside the published file, newest first."""
    if not catalog.has("meta.refresh_runs"):
        return pl.DataFrame()
    return run(
        "select run_id, kind, started_at, finished_at, status, failed_step, message, as_of_date, "
        "warehouse_version from meta.refresh_runs order by started_at desc",
        None,
    )


# ---------------------------------------------------------------- plan and indicators

def fiscal_years(run: Runner, catalog: Catalog) -> list[int]:
    """Fiscal years that have indicator progress rows (newest last); the plan period when none."""
    for table in ("mart_kpi_indicator_progress", "mart_plan_measure_status"):
        if catalog.has(table):
            frame = run(f"select distinct fiscal_year from {catalog.qualified(table)} order by fiscal_year", None)
            years = [int(y) for y in frame["fiscal_year"].to_list() if y is not None]
            if years:
                return years
    return list(range(2016, 2021))


def measures_overview(run: Runner, catalog: Catalog, fiscal_year: int) -> pl.DataFrame:
    """One row per measure (35): goal, strategy, departments, status, suggested grade, reason."""
    status_table = catalog.qualified("mart_plan_measure_status")
    status_col = catalog.pick("mart_plan_measure_status", "measure_status", "progress_status", "status")
    grade_col = catalog.pick("mart_plan_measure_status", "suggested_grade")
    reason_ja = catalog.pick("mart_plan_measure_status", "grade_reason_ja")
    reason_en = catalog.pick("mart_plan_measure_status", "grade_reason_en")
    if status_table and status_col:
        extra = (f"st.{status_col} as measure_status, "
                 f"{'st.' + grade_col if grade_col else 'null'} as suggested_grade, "
                 f"{'st.' + reason_ja if reason_ja else 'null'} as grade_reason_ja, "
                 f"{'st.' + reason_en if reason_en else 'null'} as grade_reason_en")
        join = f"left join {status_table} as st on st.measure_id = m.measure_id and st.fiscal_year = ?"
        params: list[Any] = [fiscal_year]
    else:
        extra = ("cast(null as varchar) as measure_status, cast(null as varchar) as suggested_grade, "
                 "cast(null as varchar) as grade_reason_ja, cast(null as varchar) as grade_reason_en")
        join, params = "", []
    frame = run(
        "select m.measure_id, m.name_ja, m.name_en, m.strategy_id, m.main_goal_id, m.owner_departments_ja, "
        "g.name_ja as goal_name_ja, g.name_en as goal_name_en, "
        "s.name_ja as strategy_name_ja, s.name_en as strategy_name_en, "
        f"{extra} "
        "from seeds.plan_measures as m "
        "left join seeds.plan_basic_goals as g on g.goal_id = m.main_goal_id "
        "left join seeds.plan_focus_strategies as s on s.strategy_id = m.strategy_id "
        f"{join} order by m.measure_id",
        params,
    )
    if not (status_table and status_col):
        frame = frame.drop("measure_status").join(
            measure_status_from_indicators(run, catalog, fiscal_year), on="measure_id", how="left")
    return frame


def measure_status_from_indicators(run: Runner, catalog: Catalog, fiscal_year: int) -> pl.DataFrame:
    """Worst indicator status per measure, used when mart_plan_measure_status is not published yet."""
    if not catalog.has("mart_kpi_indicator_progress"):
        return pl.DataFrame(schema={"measure_id": pl.Int64, "measure_status": pl.String})
    return run(
        "select measure_id, case "
        "when bool_or(progress_status = 'off_track') then 'off_track' "
        "when bool_or(progress_status = 'at_risk') then 'at_risk' "
        "when bool_or(progress_status = 'on_track') then 'on_track' "
        "when bool_or(progress_status = 'achieved') then 'achieved' "
        "when bool_or(progress_status = 'not_evaluable') then 'not_evaluable' "
        "else 'no_data' end as measure_status "
        f"from {catalog.qualified('mart_kpi_indicator_progress')} where fiscal_year = ? group by measure_id",
        [fiscal_year],
    ).with_columns(pl.col("measure_id").cast(pl.Int64))


def measure_trends(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Per measure, mean achievement rate (%) by fiscal year, as a list for sparklines."""
    if not catalog.has("mart_kpi_indicator_progress"):
        return pl.DataFrame(schema={"measure_id": pl.Int64, "trend": pl.List(pl.Float64)})
    frame = run(
        "select measure_id, fiscal_year, round(100 * avg(achievement_rate), 1) as rate "
        f"from {catalog.qualified('mart_kpi_indicator_progress')} "
        "group by measure_id, fiscal_year order by measure_id, fiscal_year",
        None,
    )
    return (frame.with_columns(pl.col("measure_id").cast(pl.Int64))
            .group_by("measure_id", maintain_order=True)
            .agg(pl.col("rate").cast(pl.Float64).fill_null(0.0).alias("trend")))


def indicator_list(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Every indicator of the plan with its measure, for pickers."""
    del catalog
    return run(
        "select i.indicator_id, i.measure_id, i.name_ja, i.name_en, i.sub_item_ja, m.name_ja as measure_name_ja, "
        "m.name_en as measure_name_en from seeds.plan_indicators as i "
        "join seeds.plan_measures as m on m.measure_id = i.measure_id order by i.measure_id, i.indicator_seq",
        None,
    )


def indicator_definition(run: Runner, catalog: Catalog, indicator_id: str) -> dict[str, Any]:
    """The plan's definition of one indicator, enriched with dim_indicator when it is published."""
    rows = run("select * from seeds.plan_indicators where indicator_id = ?", [indicator_id]).to_dicts()
    definition = rows[0] if rows else {}
    if catalog.has("dim_indicator"):
        dim = run(f"select * from {catalog.qualified('dim_indicator')} where indicator_id = ?",
                  [indicator_id]).to_dicts()
        if dim:
            definition = {**definition, **{k: v for k, v in dim[0].items() if v is not None}}
    return definition


def indicator_progress(run: Runner, catalog: Catalog, indicator_id: str) -> pl.DataFrame:
    """mart_kpi_indicator_progress rows of one indicator, by fiscal year."""
    if not catalog.has("mart_kpi_indicator_progress"):
        return pl.DataFrame()
    return run(f"select * from {catalog.qualified('mart_kpi_indicator_progress')} "
               "where indicator_id = ? order by fiscal_year", [indicator_id])


def indicator_monthly(run: Runner, catalog: Catalog, indicator_id: str) -> pl.DataFrame:
    """Monthly actuals of one indicator (only where the source is monthly), with a normalised month column."""
    table = "mart_kpi_indicator_progress_monthly"
    month = catalog.pick(table, *MONTH_COLUMNS)
    value = catalog.pick(table, "actual_value", "monthly_value", "value")
    if not (month and value):
        return pl.DataFrame()
    return run(f"select {month} as month_start_date, {value} as actual_value "
               f"from {catalog.qualified(table)} where indicator_id = ? order by 1", [indicator_id])


def kpi_progress_for_year(run: Runner, catalog: Catalog, fiscal_year: int) -> pl.DataFrame:
    """All indicators' progress in one fiscal year (the yearly report and the overview metrics)."""
    if not catalog.has("mart_kpi_indicator_progress"):
        return pl.DataFrame()
    return run(f"select * from {catalog.qualified('mart_kpi_indicator_progress')} where fiscal_year = ? "
               "order by indicator_id", [fiscal_year])


# ---------------------------------------------------------------- certificates

def _month_expr(catalog: Catalog, table: str) -> str | None:
    column = catalog.pick(table, *MONTH_COLUMNS)
    if column:
        return column
    day = catalog.pick(table, "issued_date", "access_date")
    return f"cast(date_trunc('month', {day}) as date)" if day else None


def certificate_monthly(run: Runner, catalog: Catalog, certificate_type: str | None, office: str | None,
                        first_fiscal_year: int, last_fiscal_year: int) -> pl.DataFrame:
    """Issued count per month × channel (optionally one certificate type / office), for the channel shift."""
    table = "fct_certificate_issuance_monthly"
    if not catalog.has(table):
        table = "raw.certificate_issuances"
        if not catalog.has(table):
            return pl.DataFrame()
    month = _month_expr(catalog, table)
    count = catalog.pick(table, "issued_count", "certificate_count")
    if not (month and count):
        return pl.DataFrame()
    return run(
        f"select {month} as month_start_date, channel_code, sum({count}) as issued_count "
        f"from {catalog.qualified(table)} "
        "where (? is null or certificate_type_code = ?) and (? is null or office_code = ?) "
        f"and {month} >= make_date(?, 4, 1) and {month} < make_date(?, 4, 1) "
        "group by 1, 2 order by 1, 2",
        [certificate_type, certificate_type, office, office, first_fiscal_year, last_fiscal_year + 1],
    )


def certificate_breakdown(run: Runner, catalog: Catalog, dimension: str, fiscal_year: int) -> pl.DataFrame:
    """Issued count per certificate type or office × channel in one fiscal year."""
    if dimension not in ("certificate_type_code", "office_code"):
        raise ValueError(f"unknown breakdown {dimension!r}: use certificate_type_code or office_code")
    table = "fct_certificate_issuance_monthly" if catalog.has("fct_certificate_issuance_monthly") \
        else "raw.certificate_issuances"
    month = _month_expr(catalog, table)
    count = catalog.pick(table, "issued_count", "certificate_count")
    if not (catalog.has(table) and month and count):
        return pl.DataFrame()
    return run(
        f"select {dimension} as code, channel_code, sum({count}) as issued_count "
        f"from {catalog.qualified(table)} where {month} >= make_date(?, 4, 1) and {month} < make_date(?, 4, 1) "
        "group by 1, 2 order by 1, 2",
        [fiscal_year, fiscal_year + 1],
    )


def certificate_years(run: Runner, catalog: Catalog) -> list[int]:
    """Fiscal years with certificate data."""
    table = "fct_certificate_issuance_monthly" if catalog.has("fct_certificate_issuance_monthly") \
        else "raw.certificate_issuances"
    month = _month_expr(catalog, table)
    if not (catalog.has(table) and month):
        return []
    frame = run(f"select distinct case when month({month}) >= 4 then year({month}) else year({month}) - 1 end "
                f"as fiscal_year from {catalog.qualified(table)} order by 1", None)
    return [int(y) for y in frame["fiscal_year"].to_list()]


# ---------------------------------------------------------------- web, GIS, energy

def _web_table(catalog: Catalog) -> str | None:
    for table in ("fct_web_page_views_daily", "raw.web_page_views_daily"):
        if catalog.has(table) and catalog.pick(table, "page_view_count") and catalog.pick(table, "access_date"):
            return catalog.qualified(table)
    return None


def web_monthly(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Page views per month (all pages and devices)."""
    table = _web_table(catalog)
    if not table:
        return pl.DataFrame()
    return run(f"select cast(date_trunc('month', access_date) as date) as month_start_date, "
               f"sum(page_view_count) as page_view_count from {table} group by 1 order by 1", None)


def web_top_pages(run: Runner, catalog: Catalog, fiscal_year: int, limit: int = 10) -> pl.DataFrame:
    """Most viewed pages in a fiscal year."""
    table = _web_table(catalog)
    if not table:
        return pl.DataFrame()
    title = "max(page_title_ja)" if "page_title_ja" in catalog.cols(table) else "max(page_path)"
    return run(f"select page_path, {title} as page_title_ja, sum(page_view_count) as page_view_count "
               f"from {table} where access_date >= make_date(?, 4, 1) and access_date < make_date(?, 4, 1) "
               "group by 1 order by 3 desc limit ?", [fiscal_year, fiscal_year + 1, limit])


def web_devices(run: Runner, catalog: Catalog, fiscal_year: int) -> pl.DataFrame:
    """Page views per device type in a fiscal year."""
    table = _web_table(catalog)
    if not table or "device_type" not in catalog.cols(table):
        return pl.DataFrame()
    return run(f"select device_type, sum(page_view_count) as page_view_count from {table} "
               "where access_date >= make_date(?, 4, 1) and access_date < make_date(?, 4, 1) "
               "group by 1 order by 2 desc", [fiscal_year, fiscal_year + 1])


def gis_monthly(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """GIS logins per day and maps opened per month, by department and month."""
    table = "mart_gis_usage_monthly"
    month = catalog.pick(table, *MONTH_COLUMNS)
    dept = catalog.pick(table, "department_name_ja", "department_ja")
    logins = catalog.pick(table, "logins_per_day", "logins_per_business_day", "login_count_per_day", "avg_daily_logins")
    maps = catalog.pick(table, "map_open_count", "maps_opened", "map_count", "maps_per_month")
    if month and dept and (logins or maps):
        return run(f"select {month} as month_start_date, {dept} as department_name_ja, "
                   f"{logins or 'null'} as logins_per_day, {maps or 'null'} as map_open_count "
                   f"from {catalog.qualified(table)} order by 1, 2", None)
    if catalog.has("raw.gis_events"):  # aggregate only: staff ids never leave the query
        return run(
            "select cast(date_trunc('month', event_at) as date) as month_start_date, department_name_ja, "
            "count(*) filter (where event_type = 'login') / count(distinct cast(event_at as date)) "
            "as logins_per_day, count(*) filter (where event_type = 'map_open') as map_open_count "
            "from raw.gis_events group by 1, 2 order by 1, 2", None)
    return pl.DataFrame()


def energy_monthly(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Electricity, gas, water and CO₂ per facility and month, with facility names and coordinates."""
    table = "mart_facility_energy_monthly"
    month = catalog.pick(table, *MONTH_COLUMNS)
    if not (catalog.has(table) and month):
        return pl.DataFrame()
    picks = {
        "electricity_kwh": catalog.pick(table, "electricity_kwh", "energy_kwh", "electricity_usage_kwh"),
        "gas_m3": catalog.pick(table, "gas_m3", "gas_usage_m3"),
        "water_m3": catalog.pick(table, "water_m3", "water_usage_m3"),
        "co2_kg": catalog.pick(table, "co2_kg", "co2_emissions_kg", "co2_t", "co2_tonnes"),
    }
    values = ", ".join(f"{('e.' + col) if col else 'null'} as {alias}" for alias, col in picks.items())
    has_dim = catalog.has("dim_facility")
    name_in_mart = catalog.pick(table, "facility_name_ja")
    name = f"e.{name_in_mart}" if name_in_mart else ("f.facility_name_ja" if has_dim else "e.facility_code")
    coords = "f.latitude, f.longitude" if has_dim else "null as latitude, null as longitude"
    join = f"left join {catalog.qualified('dim_facility')} as f on f.facility_code = e.facility_code" \
        if has_dim else ""
    return run(f"select e.facility_code, {name} as facility_name_ja, {coords}, e.{month} as month_start_date, "
               f"{values} from {catalog.qualified(table)} as e {join} order by 4, 1", None)


def facilities(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Facility master with coordinates (for the map)."""
    if not catalog.has("dim_facility"):
        return pl.DataFrame()
    return run(f"select facility_code, facility_name_ja, latitude, longitude from "
               f"{catalog.qualified('dim_facility')} where latitude is not null", None)


# ---------------------------------------------------------------- previous plan and catalog

def previous_projects(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """The 76 projects of the previous plan with their grades."""
    table = "mart_previous_plan_projects" if catalog.has("mart_previous_plan_projects") \
        else "seeds.previous_plan_projects"
    if not catalog.has(table):
        return pl.DataFrame()
    return run(f"select * from {catalog.qualified(table)} order by project_no", None)


def previous_table1(run: Runner, catalog: Catalog) -> pl.DataFrame:
    """Table 1 of the plan: grade, criterion and number of projects (counted from the 76 projects)."""
    if not catalog.has("seeds.previous_plan_grade_definitions"):
        return pl.DataFrame()
    return run(
        "select d.grade, d.criterion_table1_ja as criterion_ja, d.table1_project_count, "
        "count(p.project_no) as counted_projects from seeds.previous_plan_grade_definitions as d "
        "left join seeds.previous_plan_projects as p on p.grade = d.grade "
        "group by d.grade, d.criterion_table1_ja, d.table1_project_count, d.sort_order order by d.sort_order",
        None,
    )


def dataset_comments(run: Runner) -> pl.DataFrame:
    """Tables with their persisted descriptions (DuckDB comments written by dbt persist_docs)."""
    return run("select schema_name, table_name, comment, estimated_size as row_estimate from duckdb_tables() "
               "where not internal and database_name = current_database() order by schema_name, table_name", None)


def column_comments(run: Runner, schema: str, table: str) -> pl.DataFrame:
    """Columns of one table with their types and descriptions."""
    return run("select column_name, data_type, comment from duckdb_columns() "
               "where database_name = current_database() and schema_name = ? and table_name = ? "
               "order by column_index", [schema, table])
