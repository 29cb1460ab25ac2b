"""`warehouse close-year N`: record that fiscal year N was reported, with the figures as reported.

The snapshot (`<home>/closed_years/fy<N>.parquet`, one row per indicator of FY N) is taken from the published
warehouse and loaded into every later build as `raw.closed_year_indicator_figures`; a corrected file for FY N
still changes the lake and the facts, while the closed-year views and the yearly report keep the figures as
reported and show the correction beside them (mart_kpi_reported_figures).
"""
from __future__ import annotations

import getpass
import hashlib
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.platform import database, durable, ledger
from warehouse.platform.closed_years import (
    closed_fiscal_years,
    closed_year_record,
    closed_years_dir,
    record_path,
    snapshot_path,
)
from warehouse.platform.settings import Settings

# The snapshot's columns, in the order the build's raw table declares them.
SNAPSHOT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("fiscal_year", "integer"),
    ("indicator_id", "varchar"),
    ("measure_id", "integer"),
    ("actual_value", "double"),
    ("achievement_rate", "double"),
    ("progress_status", "varchar"),
    ("target_value", "double"),
    ("target_text_ja", "varchar"),
    ("data_through_date", "date"),
    ("suggested_grade", "varchar"),
    ("grade_reason_ja", "varchar"),
    ("reported_source_file_name", "varchar"),
    ("reported_loaded_at", "timestamp"),
    ("reported_warehouse_version", "varchar"),
    ("closed_at", "timestamp"),
    ("closed_by", "varchar"),
)

SNAPSHOT_SQL = """
select
    p.fiscal_year, p.indicator_id, p.measure_id, p.actual_value, p.achievement_rate, p.progress_status,
    p.target_value, p.target_text_ja, p.data_through_date, s.suggested_grade, s.grade_reason_ja,
    r.source_file_name as reported_source_file_name, r.loaded_at as reported_loaded_at,
    cast(? as varchar) as reported_warehouse_version, cast(? as timestamp) as closed_at,
    cast(? as varchar) as closed_by
from main.mart_kpi_indicator_progress as p
left join main.mart_plan_measure_status as s on s.measure_id = p.measure_id and s.fiscal_year = p.fiscal_year
left join main.fct_indicator_reports as r on r.indicator_id = p.indicator_id and r.fiscal_year = p.fiscal_year
where p.fiscal_year = ?
order by p.indicator_id
"""


class CloseYearError(RuntimeError):
    """The year cannot be closed (or reopened); the message says why and what to do."""


def fiscal_year_end(fiscal_year: int) -> date:
    return date(fiscal_year + 1, 3, 31)


def close_year(settings: Settings, fiscal_year: int, as_of: date) -> dict[str, Any]:
    """Snapshot FY N's figures from the published warehouse and record the year as reported. Call under the
    refresh lock. Returns the record written to closed_years/fy<N>.json."""
    existing = closed_year_record(settings.home, fiscal_year)
    if existing is not None:
        raise CloseYearError(
            f"FY{fiscal_year} is already closed: by {existing.get('closed_by')} at {existing.get('closed_at')} "
            f"(figures of {existing.get('reported_warehouse_version')}); to close it again with today's figures, "
            f"first reopen it: `warehouse close-year {fiscal_year} --reopen --reason TEXT`")
    if as_of <= fiscal_year_end(fiscal_year):
        raise CloseYearError(
            f"FY{fiscal_year} is still in progress: it ends on {fiscal_year_end(fiscal_year)} and the as-of date is "
            f"{as_of}; close it after the year has ended and its last files are loaded")
    current = database.current_version(settings)
    if current is None or not settings.published_path.exists():
        raise CloseYearError(f"no published warehouse at {settings.published_path}: run `warehouse refresh` "
                             "first, then close the year from the figures it publishes")
    version_id = str(current["version_id"])
    closed_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    who = getpass.getuser()
    try:
        with database.connect_read_only(settings.published_path) as con:
            published_as_of = con.sql("select as_of_date from meta.warehouse_version").fetchall()[0][0]
            frame = con.sql(SNAPSHOT_SQL, params=[version_id, closed_at, who, fiscal_year]).pl()
    except duckdb.Error as exc:
        raise CloseYearError(f"the published warehouse {settings.published_path} cannot give the figures of "
                             f"FY{fiscal_year} ({type(exc).__name__}: {exc}); run `warehouse refresh` first") from exc
    if published_as_of is not None and published_as_of <= fiscal_year_end(fiscal_year):
        raise CloseYearError(
            f"the published warehouse ({version_id}) was built as of {published_as_of}, before FY{fiscal_year} "
            "ended: run `warehouse refresh` so it holds the whole year, then close it")
    if frame.is_empty():
        raise CloseYearError(f"the published warehouse ({version_id}) has no figures for FY{fiscal_year}: "
                             "check the fiscal year (e.g. 2020 for 令和2年度)")

    folder = closed_years_dir(settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    snapshot = snapshot_path(settings.home, fiscal_year)
    temp = folder / f".{snapshot.name}.tmp"
    frame.write_parquet(temp)
    durable.replace(temp, snapshot)
    record = {
        "fiscal_year": fiscal_year, "closed_at": closed_at.isoformat() + "Z", "closed_by": who,
        "reported_warehouse_version": version_id, "published_as_of_date": str(published_as_of),
        "indicator_rows": frame.height, "snapshot": snapshot.name,
        "snapshot_sha256": hashlib.sha256(snapshot.read_bytes()).hexdigest(),
    }
    durable.write_text(record_path(settings.home, fiscal_year), json.dumps(record, ensure_ascii=False, indent=2))
    _record_in_ledger(settings, f"{who} closed FY{fiscal_year}: {frame.height} indicator figures as reported in "
                                f"{version_id} kept in {snapshot.relative_to(settings.home)}")
    return record


def reopen_year(settings: Settings, fiscal_year: int, reason: str) -> dict[str, Any]:
    """Undo close_year: the record and snapshot move to closed_years/_reopened/<stamp>/ (never deleted)."""
    existing = closed_year_record(settings.home, fiscal_year)
    if existing is None:
        closed = ", ".join(f"FY{year}" for year in sorted(closed_fiscal_years(settings.home))) or "none"
        raise CloseYearError(f"FY{fiscal_year} is not closed (closed years: {closed})")
    who = getpass.getuser()
    kept = closed_years_dir(settings.home) / "_reopened" / f"fy{fiscal_year}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    kept.mkdir(parents=True)
    # the record goes first: without it the year is open, and a snapshot left behind is ignored
    shutil.move(record_path(settings.home, fiscal_year), kept / record_path(settings.home, fiscal_year).name)
    if snapshot_path(settings.home, fiscal_year).exists():
        shutil.move(snapshot_path(settings.home, fiscal_year), kept / snapshot_path(settings.home, fiscal_year).name)
    durable.fsync_dir(closed_years_dir(settings.home))
    _record_in_ledger(settings, f"{who} reopened FY{fiscal_year} (closed by {existing.get('closed_by')} at "
                                f"{existing.get('closed_at')}): {reason or 'no reason given'}; kept in "
                                f"{kept.relative_to(settings.home)}")
    return {**existing, "reopened_by": who, "reason": reason, "kept_in": str(kept)}


def _record_in_ledger(settings: Settings, message: str) -> None:
    now = ledger.utc_now()
    ledger.append(settings, ledger.RunRecord(run_id=ledger.new_run_id(), kind="close_year", started_at=now,
                                             as_of_date=settings.as_of_date.isoformat(), finished_at=now,
                                             status="success", message=message))


def load_closed_year_figures(con: duckdb.DuckDBPyConnection, home: Path | None) -> int:
    """raw.closed_year_indicator_figures in a build: every closed year's snapshot (empty when none is closed, or
    with no home: raw tables written by a test fixture)."""
    columns = ", ".join(f"{name} {dtype}" for name, dtype in SNAPSHOT_COLUMNS)
    con.execute(f"create or replace table raw.closed_year_indicator_figures ({columns})")
    paths = [database.file_pattern(snapshot_path(home, year)) for year in sorted(closed_fiscal_years(home))] if home else []
    if paths:
        selected = ", ".join(f"cast({name} as {dtype})" for name, dtype in SNAPSHOT_COLUMNS)
        con.execute(f"insert into raw.closed_year_indicator_figures select {selected} from read_parquet(?)", [paths])
    return len(paths)
