"""Step 2, verify: check the lake and the closed years' snapshots before anything reads them; restore or set
aside what is damaged; stop on a lost manifest."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.common import lake
from warehouse.closing import repair_closed_years
from warehouse.platform.faults import kill_point
from warehouse.refresh.errors import RefreshFailed
from warehouse.refresh.load import full_load_reason
from warehouse.refresh.plan import DBT_CODE_PATHS, code_fingerprint
from warehouse.verify import record_result, repair_lake

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh


def verify_lake(run: Refresh) -> None:
    """The verify step: every lake file against the size the manifest recorded, and against its checksum.

    When the load will most likely be incremental (it reads only the changed months), the checksum is skipped for
    parts an earlier check hashed intact and not written since, until the last full hash is older than
    [refresh] full_verify_days. A load that reads more than that hashes what it reads first (hash_before_load)."""
    with run.step("verify", "checking the lake files against the manifest"):
        run.incremental_expected = incremental_load_expected(run)
        result = repair_lake(run.settings, run.record.run_id, today=run.as_of, rebuild=False,
                             quick=run.incremental_expected)
        record_result(run.settings, result, run.as_of)
        if not result.manifest_ok:
            raise RefreshFailed("verify", result.issues[0].detail)
        _take_result(run, result, "verify")
        closed = repair_closed_years(run.settings, run.record.run_id)
        if closed.issues:
            run.record.closed_years = {"repaired": closed.repaired, "set_aside": closed.set_aside}
            for line in closed.repaired:
                run.log.info("closed years: %s", line)
            for item in closed.set_aside:
                run.log.warning("closed years: FY%s set aside: %s", item["fiscal_year"], item["reason"])
            done = [f"restored {len(closed.repaired)} snapshot(s)" if closed.repaired else "",
                    f"set aside {len(closed.set_aside)} closed year(s)" if closed.set_aside else ""]
            run.progress("closed_years", f"{' and '.join(filter(None, done))} (the run's message says which)")
    kill_point("refresh.after_verify")


def _take_result(run: Refresh, result, label: str) -> None:
    run.lake_hashed_in_full = run.lake_hashed_in_full or result.full
    for line in result.repaired:
        run.log.info("%s: %s", label, line)
    run.set_aside.extend(result.set_aside)
    before = run.record.lake or {}
    run.record.lake = {"summary": result.summary(), "repaired": before.get("repaired", []) + result.repaired,
                       "set_aside": before.get("set_aside", []) + result.set_aside}


def incremental_load_expected(run: Refresh) -> bool:
    """What the load step will most likely do, known before ingest (load.full_load_reason)."""
    return full_load_reason(run, code_fingerprint(run.settings, DBT_CODE_PATHS)) is None


def hash_before_load(run: Refresh, months: dict[str, list[str]] | None) -> bool:
    """Before the load reads lake parts the quick verify did not hash, hash them: every part for a full load
    (months None), the changed months' parts for an incremental one. Damage is repaired as the verify step would
    repair it. Returns True when the lake was repaired or a file set aside (the load must then be full)."""
    if run.lake_hashed_in_full:
        return False
    settings = run.settings
    if months is not None:
        rows = lake.read_manifest(settings.lake_dir, shared=True)
        wanted = {(table, month) for table, table_months in months.items() for month in table_months}
        parts = [part for row in rows if row.get("status", "live") == "live" for part in row["parts"]
                 if part.get("live") and part.get("sha256") and (part["table"], part["fiscal_month"]) in wanted]
        if all(_intact(settings.lake_dir / part["parquet"], part["sha256"]) for part in parts):
            return False
    run.progress(run.current_step, "hashing every lake file first (the load reads parts the quick check trusted)")
    result = repair_lake(settings, run.record.run_id, today=run.as_of, rebuild=False, quick=False)
    record_result(settings, result, run.as_of)
    if not result.manifest_ok:
        raise RefreshFailed(run.current_step, result.issues[0].detail)
    _take_result(run, result, "hash before load")
    return bool(result.repaired or result.set_aside)


def _intact(path, sha256: str) -> bool:
    try:
        return lake.file_sha256(path) == sha256
    except OSError:
        return False
