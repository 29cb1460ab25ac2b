"""`warehouse close-year N`: record that fiscal year N was reported, with the figures as reported.

The snapshot (`<home>/closed_years/fy<N>.parquet`, one row per indicator of FY N) is taken from the published
warehouse and loaded into every later build as `raw.closed_year_indicator_figures`; a corrected file for FY N
still changes the lake and the facts, while the closed-year views and the yearly report keep the figures as
reported and show the correction beside them (mart_kpi_reported_figures).

Every refresh first checks each closed year's record and snapshot (check_closed_years, repair_closed_years): a
missing or damaged snapshot is restored from the published warehouse's raw.closed_year_indicator_figures when
it holds that close's rows, else the year is set aside (loaded as not closed, refresh exit 3); a damaged record
is set aside too. What is damaged is moved to closed_years/_damaged/<run_id>/, never deleted.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.platform import database, durable, ledger
from warehouse.platform.closed_years import (
    CLOSED_YEARS_DIR,
    DAMAGED_DIR,
    RecordDamaged,
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
    try:
        existing = closed_year_record(settings.home, fiscal_year)
    except RecordDamaged as exc:
        raise CloseYearError(f"FY{fiscal_year}'s record is damaged ({exc}); move it aside with `warehouse "
                             f"close-year {fiscal_year} --reopen --reason TEXT` (or `warehouse refresh`), then close "
                             "the year again") from exc
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

    record = {
        "fiscal_year": fiscal_year, "closed_at": closed_at.isoformat() + "Z", "closed_by": who,
        "reported_warehouse_version": version_id, "published_as_of_date": str(published_as_of),
        "indicator_rows": frame.height, **_write_snapshot(settings.home, fiscal_year, frame),
    }
    durable.write_text(record_path(settings.home, fiscal_year), json.dumps(record, ensure_ascii=False, indent=2))
    _record_in_ledger(settings, f"{who} closed FY{fiscal_year}: {frame.height} indicator figures as reported in "
                                f"{version_id} kept in {CLOSED_YEARS_DIR}/{record['snapshot']}")
    return record


def _write_snapshot(home: Path, fiscal_year: int, frame) -> dict[str, Any]:
    """Write fy<N>.parquet durably; its name, SHA-256 and size for the record."""
    folder = closed_years_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    snapshot = snapshot_path(home, fiscal_year)
    temp = folder / f".{snapshot.name}.tmp"
    frame.write_parquet(temp)
    durable.replace(temp, snapshot)
    return {"snapshot": snapshot.name, "snapshot_sha256": hashlib.sha256(snapshot.read_bytes()).hexdigest(),
            "snapshot_bytes": snapshot.stat().st_size}


def reopen_year(settings: Settings, fiscal_year: int, reason: str) -> dict[str, Any]:
    """Undo close_year: the record and snapshot move to closed_years/_reopened/<stamp>/ (never deleted). A damaged
    record is moved the same way."""
    try:
        existing = closed_year_record(settings.home, fiscal_year)
    except RecordDamaged as exc:
        existing = {"fiscal_year": fiscal_year, "closed_by": "unknown (damaged record)", "closed_at": "unknown",
                    "record_damaged": str(exc)}
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


@dataclass
class ClosedYearIssue:
    """A closed year whose record or snapshot is not what `close-year` wrote."""

    fiscal_year: int
    problem: str  # record_damaged | snapshot_missing | snapshot_damaged
    file: str  # relative to the home, e.g. closed_years/fy2020.parquet
    detail: str


@dataclass
class ClosedYearsCheck:
    """What a refresh's check of the closed years found, restored and set aside (kept in the run record)."""

    issues: list[ClosedYearIssue] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    set_aside: list[dict[str, Any]] = field(default_factory=list)  # fiscal_year, file, reason

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def snapshot_problem(home: Path, fiscal_year: int, record: dict[str, Any]) -> ClosedYearIssue | None:
    """Why fy<N>.parquet is not the snapshot its record describes (None when it is): size and SHA-256 when the
    record has them, else readable as Parquet with the snapshot's columns and the recorded number of rows."""
    path = snapshot_path(home, fiscal_year)
    name = f"{CLOSED_YEARS_DIR}/{path.name}"
    if not path.is_file():
        return ClosedYearIssue(fiscal_year, "snapshot_missing", name, f"{name} is missing")
    size = path.stat().st_size
    if record.get("snapshot_bytes") is not None and size != record["snapshot_bytes"]:
        return ClosedYearIssue(fiscal_year, "snapshot_damaged", name,
                               f"{name} has {size} bytes, {record['snapshot_bytes']} were written")
    if record.get("snapshot_sha256"):
        if hashlib.sha256(path.read_bytes()).hexdigest() != record["snapshot_sha256"]:
            return ClosedYearIssue(fiscal_year, "snapshot_damaged", name,
                                   f"{name} does not match the checksum recorded when it was written")
        return None
    try:
        with duckdb.connect() as con:
            relation = con.sql("select * from read_parquet(?)", params=[database.file_pattern(path)])
            columns, rows = set(relation.columns), relation.aggregate("count(*)").fetchall()[0][0]
    except duckdb.Error as exc:
        return ClosedYearIssue(fiscal_year, "snapshot_damaged", name, f"{name} cannot be read ({type(exc).__name__})")
    missing = [column for column, _ in SNAPSHOT_COLUMNS if column not in columns]
    if missing or rows != record["indicator_rows"]:
        detail = (f"lacks the column(s) {', '.join(missing)}" if missing
                  else f"has {rows} rows, {record['indicator_rows']} were written")
        return ClosedYearIssue(fiscal_year, "snapshot_damaged", name, f"{name} {detail}")
    return None


def check_closed_years(home: Path) -> list[ClosedYearIssue]:
    """Every closed year's record readable and its snapshot the one recorded; changes nothing."""
    issues = []
    for year in sorted(closed_fiscal_years(home)):
        try:
            record = closed_year_record(home, year)
        except RecordDamaged as exc:
            issues.append(ClosedYearIssue(year, "record_damaged", f"{CLOSED_YEARS_DIR}/{record_path(home, year).name}",
                                          str(exc)))
            continue
        if record is not None and (issue := snapshot_problem(home, year, record)) is not None:
            issues.append(issue)
    return issues


def loadable_closed_years(home: Path) -> list[int]:
    """The closed years a build loads: those whose record and snapshot pass the check (a year set aside by
    repair_closed_years is loaded as not closed until it is reopened and closed again)."""
    damaged = {issue.fiscal_year for issue in check_closed_years(home)}
    return sorted(closed_fiscal_years(home) - damaged)


def repair_closed_years(settings: Settings, run_id: str) -> ClosedYearsCheck:
    """The refresh's check, under the lock: move what is damaged to closed_years/_damaged/<run_id>/, restore a
    snapshot from the published warehouse when it holds the same close's rows, else set the year aside."""
    home = settings.home
    result = ClosedYearsCheck(issues=check_closed_years(home))
    kept = closed_years_dir(home) / DAMAGED_DIR / run_id
    where = f"{CLOSED_YEARS_DIR}/{DAMAGED_DIR}/{run_id}/"
    for issue in result.issues:
        year = issue.fiscal_year
        if issue.problem == "record_damaged":
            moved = [path.name for path in (record_path(home, year), snapshot_path(home, year)) if _move_aside(path, kept)]
            result.set_aside.append({"fiscal_year": year, "file": issue.file, "reason": (
                f"{issue.file} が読めないため {where} に移しました。この更新では FY{year} を確定していない年度として"
                f"扱いました。移したファイルを確かめ、`warehouse close-year {year}` で確定し直してください。 / "
                f"{issue.detail}; moved to {where} ({', '.join(moved)}) and this refresh treats FY{year} as not "
                f"closed. Check the kept files, then close the year again: `warehouse close-year {year}`.")})
            continue
        record = closed_year_record(home, year) or {}
        damaged_note = ""
        if issue.problem == "snapshot_damaged" and _move_aside(snapshot_path(home, year), kept):
            damaged_note = f"; the damaged file is kept in {where}"
        restored, why_not = _restore_snapshot(settings, year, record)
        if restored is not None:
            from_version = restored.pop("from_version")
            if any(record.get(key) != value for key, value in restored.items()):  # same rows, other bytes
                durable.write_text(record_path(home, year), json.dumps(
                    {**record, **restored, "snapshot_restored": {"at": ledger.utc_now(), "by_run": run_id,
                                                                 "from_version": from_version}},
                    ensure_ascii=False, indent=2))
            result.repaired.append(f"{issue.detail}{damaged_note}: restored from the published warehouse's "
                                   f"raw.closed_year_indicator_figures ({record['indicator_rows']} rows, same close)")
            continue
        result.set_aside.append({"fiscal_year": year, "file": issue.file, "reason": (
            f"{issue.file} がないか壊れていて、公開中の倉庫にも同じ確定時の数値がないため復元できませんでした"
            f"{'（壊れたファイルは ' + where + ' に保管）' if damaged_note else ''}。この更新では FY{year} を確定して"
            f"いない年度として扱いました。`warehouse close-year {year} --reopen --reason 理由` で確定を取り消し、"
            f"`warehouse close-year {year}` で確定し直してください。 / {issue.detail}{damaged_note}, and {why_not}: "
            f"this refresh treats FY{year} as not closed. Reopen it and close it again: `warehouse close-year {year} "
            f"--reopen --reason TEXT`, then `warehouse close-year {year}`.")})
    return result


def _move_aside(path: Path, kept: Path) -> bool:
    """Move a damaged file into kept/ (never delete it); False when there is no such file."""
    if not path.exists():
        return False
    kept.mkdir(parents=True, exist_ok=True)
    durable.replace(path, kept / path.name)
    durable.fsync_dir(path.parent)
    return True


def _restore_snapshot(settings: Settings, fiscal_year: int, record: dict[str, Any]
                      ) -> tuple[dict[str, Any] | None, str]:
    """fy<N>.parquet written again from the published warehouse's rows of the same close (version and time);
    the new name, SHA-256, size and version restored from, or None and why not."""
    if not settings.published_path.exists():
        return None, f"there is no published warehouse at {settings.published_path} to restore it from"
    closed_at = datetime.fromisoformat(str(record["closed_at"]).removesuffix("Z"))
    selected = ", ".join(f"cast({name} as {dtype}) as {name}" for name, dtype in SNAPSHOT_COLUMNS)
    try:
        with database.connect_read_only(settings.published_path) as con:
            version = con.sql("select version_id from meta.warehouse_version").fetchall()[0][0]
            frame = con.sql(f"select {selected} from raw.closed_year_indicator_figures where fiscal_year = ? "
                            "and reported_warehouse_version = ? and closed_at = ? order by indicator_id",
                            params=[fiscal_year, record["reported_warehouse_version"], closed_at]).pl()
    except duckdb.Error as exc:
        return None, f"the published warehouse cannot be read for it ({type(exc).__name__})"
    if frame.height != record["indicator_rows"]:
        return None, (f"the published warehouse ({version}) holds {frame.height} of its {record['indicator_rows']} "
                      "rows")
    return {**_write_snapshot(settings.home, fiscal_year, frame), "from_version": version}, ""


def load_closed_year_figures(con: duckdb.DuckDBPyConnection, home: Path | None) -> int:
    """raw.closed_year_indicator_figures in a build: every closed year's snapshot that passes the check (empty
    when none is closed, or with no home: raw tables written by a test fixture)."""
    columns = ", ".join(f"{name} {dtype}" for name, dtype in SNAPSHOT_COLUMNS)
    con.execute(f"create or replace table raw.closed_year_indicator_figures ({columns})")
    paths = [database.file_pattern(snapshot_path(home, year)) for year in loadable_closed_years(home)] if home else []
    if paths:
        selected = ", ".join(f"cast({name} as {dtype})" for name, dtype in SNAPSHOT_COLUMNS)
        con.execute(f"insert into raw.closed_year_indicator_figures select {selected} from read_parquet(?)", [paths])
    return len(paths)
