"""`warehouse status`: the last runs, what each lake table holds, freshness, quarantine."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, timedelta

import duckdb

from warehouse.closing import check_closed_years
from warehouse.platform import database, ledger
from warehouse.platform.closed_years import RecordDamaged, closed_fiscal_years, closed_year_record
from warehouse.platform.database import file_pattern
from warehouse.platform.settings import Settings


def _seconds(run: dict[str, object]) -> float:
    try:
        started = datetime.fromisoformat(str(run["started_at"]))
        finished = datetime.fromisoformat(str(run["finished_at"]))
    except (KeyError, TypeError, ValueError):
        return 0.0
    return (finished - started).total_seconds()


def _source_summary(settings: Settings, stale_after: int, today: date) -> dict[str, dict[str, object]]:
    """Read the lake itself (the system of record), not the published file."""
    from ingest.registry import data_through_sql  # ingest pulls in polars: only when there is a lake

    sources: dict[str, dict[str, object]] = {}
    if not settings.lake_dir.exists():
        return sources
    con = duckdb.connect()
    try:
        for table_dir in sorted(p for p in settings.lake_dir.iterdir() if p.is_dir() and not p.name.startswith("_")):
            files = sorted(table_dir.glob("fiscal_month=*/*.parquet"))
            months = sorted({f.parent.name.removeprefix("fiscal_month=") for f in files})
            item: dict[str, object] = {"files": len(files), "rows": 0, "first_month": months[0] if months else None,
                                       "last_month": months[-1] if months else None, "last_file": None,
                                       "last_loaded_at": None, "data_through_date": None, "is_fresh": False}
            if files:
                # the home path is bound, never pasted into SQL, and its glob characters are escaped
                glob = file_pattern(table_dir) + "/fiscal_month=*/*.parquet"
                rows, last_loaded, data_through = con.execute(
                    f"select count(*), max(loaded_at), {data_through_sql(table_dir.name)} "
                    "from read_parquet(?, hive_partitioning = true, union_by_name = true)", [glob]
                ).fetchall()[0]
                last_file = con.execute(
                    "select source_file_name from read_parquet(?, union_by_name = true) "
                    "order by loaded_at desc limit 1", [glob]
                ).fetchall()
                item.update(rows=rows, last_loaded_at=str(last_loaded) if last_loaded else None,
                            data_through_date=data_through.isoformat() if data_through else None,
                            last_file=last_file[0][0] if last_file else None)
                if data_through is not None:
                    item["is_fresh"] = (today - data_through) <= timedelta(days=stale_after)
                else:
                    item["is_fresh"] = True  # masters (facilities) have no date to be stale by
            sources[table_dir.name] = item
    finally:
        con.close()
    return sources


def _quarantine(settings: Settings) -> list[dict[str, object]]:
    if not settings.quarantine_dir.exists():
        return []
    items = []
    for report in sorted(settings.quarantine_dir.glob("*.report.json")):
        try:
            payload = json.loads(report.read_text(encoding="utf-8"))
        except ValueError:
            payload = {}
        items.append({"file": report.name.removesuffix(".report.json"), "message": payload.get("message", "")})
    return items


def _versions(settings: Settings, current: str | None) -> list[dict[str, object]]:
    """Kept versions, newest first: whether each has its release folder and kept copy (stat only)."""
    ids = sorted({p.stem for p in database.list_versions(settings)} | set(database.list_releases(settings)),
                 reverse=True)
    items = []
    for version_id in ids:
        release = database.read_release(database.release_dir(settings, version_id)) or {}
        items.append({"version_id": version_id, "served": version_id == current,
                      "published_at": release.get("published_at"), "size_bytes": release.get("size_bytes"),
                      "release_folder": bool(release),
                      "kept_copy": (settings.versions_dir / f"{version_id}.duckdb").is_file()})
    return items


def collect_status(settings: Settings, last_runs: int = 10, home: database.HomeReport | None = None
                   ) -> dict[str, object]:
    """Everything `warehouse status` prints, as plain data (also its --json output).

    home: the check the CLI ran before the command (repairs made); the served file is checked in full here
    (checksum and open), since status is where a damaged file must show.
    """
    today = settings.as_of_date
    stale_after = settings.refresh.stale_after_days
    warnings: list[str] = []
    records = ledger.read_all(settings, warnings=warnings)
    runs = [
        {"run_id": r["run_id"], "kind": r["kind"], "status": r["status"], "started_at": r["started_at"],
         "finished_at": r.get("finished_at"), "seconds": _seconds(r), "message": str(r.get("message") or ""),
         "failed_step": r.get("failed_step"), "warehouse_version": r.get("warehouse_version")}
        for r in records[-last_runs:]
    ]
    runs.reverse()
    check = database.check_home(settings, full=True)
    published = database.current_version(settings)
    served = _served_file(settings, check)
    problems = [*(home.problems if home else []), *check.problems]
    return {
        "home": str(settings.home),
        "as_of_date": today.isoformat(),
        "published": published,
        "served_file": served,
        "home_check": {"ok": not problems, "problems": list(dict.fromkeys(problems)),
                       "repairs": [*(home.repairs if home else []), *check.repairs],
                       "refresh_running": check.refresh_running},
        "ledger_warnings": warnings,
        "versions_kept": [p.name for p in database.list_versions(settings)],
        "versions": _versions(settings, str(published["version_id"]) if published else None),
        "sources": _source_summary(settings, stale_after, today),
        "runs": runs,
        "quarantine": _quarantine(settings),
        "lake_verify": _last_verify(settings),
        "last_digest": _last_digest(settings),
        "closed_years": _closed_years(settings),
        "closed_year_problems": _closed_year_problems(settings),
    }


def _closed_years(settings: Settings) -> list[dict[str, object]]:
    """The records of the closed years (a damaged one is left out here and shown in closed_year_problems)."""
    records = []
    for year in sorted(closed_fiscal_years(settings.home)):
        try:
            records.append(closed_year_record(settings.home, year))
        except RecordDamaged:
            continue
    return records


def _closed_year_problems(settings: Settings) -> list[dict[str, object]]:
    """Closed years whose record or snapshot is damaged now (the next refresh restores or sets them aside)."""
    return [asdict(issue) for issue in check_closed_years(settings.home)]


def _last_digest(settings: Settings) -> dict[str, object] | None:
    """The newest digest (digests/<run_id>.md): what it counted and whether it was sent."""
    from warehouse.digest import last_digest

    return last_digest(settings)


def _last_verify(settings: Settings) -> dict[str, object] | None:
    """The last lake verification (every refresh starts with one; `warehouse verify` too)."""
    from warehouse.verify import last_result

    return last_result(settings)


def _served_file(settings: Settings, check: database.HomeReport) -> dict[str, object]:
    """Does the served file open, and is it the file recorded at publish?"""
    path = settings.published_path
    if not path.exists():
        return {"path": str(path), "exists": False, "opens": False, "error": "nothing is published"}
    error = database.opens(path)
    return {"path": str(path), "exists": True, "opens": error is None, "error": error,
            "checksum_ok": bool(check.served.get("sound", error is None)) if check.served else None}
