"""Step 8, publish: the run's record, the quality results and the fingerprint into the build file, then one
release folder (file, docs, open data) switched in by one rename (warehouse/platform/database.py)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.platform import database, ledger
from warehouse.platform.faults import kill_point
from warehouse.refresh.publish_changes import record_changes_against_served

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh


def publish_release(run: Refresh, build_path: Path, docs_out: Path, gate: Any) -> None:
    """The publish step; the open-data export (step 9) runs inside it, before the switch."""
    from warehouse.refresh.export import export_open_data_step

    kill_point("publish.start")
    try:
        with run.step("publish", "writing the release (file, docs, open data) and switching to it"):
            run.record.status = "success"
            run.record.warehouse_version = f"{database.VERSION_PREFIX}{run.record.run_id}"
            run.record.finished_at = ledger.utc_now()
            history = [r for r in ledger.read_all(run.settings) if r.get("run_id") != run.record.run_id]
            write_meta(build_path, run.record, history, gate.rows)
            record_changes_against_served(run, build_path)
            database.finalize_build(build_path)
            kill_point("publish.after_finalize")
            database.publish(run.settings, build_path, run.record.run_id, docs_out,
                             export=lambda db_path, target: export_open_data_step(run, db_path, target))
    except BaseException:
        run.record.warehouse_version = None
        raise
    finally:
        if docs_out.exists():
            shutil.rmtree(docs_out)


def write_meta(build_path: Path, record: ledger.RunRecord, history: list[dict[str, object]],
               quality_rows: list[dict[str, object]]) -> None:
    """Carry the ledger, the quality results and the version fingerprint inside the published file."""
    runs = [*history, record.to_dict()]
    with database.connect_build(build_path) as con:
        con.execute("create schema if not exists meta")
        con.execute(
            "create or replace table meta.refresh_runs (run_id varchar, kind varchar, started_at timestamptz, "
            "finished_at timestamptz, status varchar, failed_step varchar, message varchar, as_of_date date, "
            "warehouse_version varchar, step_seconds json, sources json, quality json)"
        )
        for run in runs:
            con.execute(
                "insert into meta.refresh_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run["run_id"], run["kind"], run["started_at"], run.get("finished_at"), run["status"],
                 run.get("failed_step"), run.get("message"), run.get("as_of_date"), run.get("warehouse_version"),
                 json.dumps(run.get("step_seconds") or {}), json.dumps(run.get("sources") or {}),
                 json.dumps(run.get("quality") or {})],
            )
        con.execute(
            "create or replace table meta.quality_results (run_id varchar, suite_name varchar, "
            "table_name varchar, expectation varchar, success boolean, details varchar, severity varchar)"
        )
        for row in quality_rows:
            con.execute(
                "insert into meta.quality_results values (?, ?, ?, ?, ?, ?, ?)",
                [record.run_id, row["suite_name"], row["table_name"], row["expectation"], row["success"],
                 row.get("details", ""), row.get("severity", "error")],
            )
        con.execute(
            "create or replace table meta.warehouse_version as select ? as version_id, ? as run_id, "
            "? as fingerprint, cast(? as date) as as_of_date, current_timestamp as built_at",
            [f"{database.VERSION_PREFIX}{record.run_id}", record.run_id, record.fingerprint, record.as_of_date],
        )
        con.execute("create or replace table meta.source_load_status as select * from raw.source_load_status")
        con.execute("comment on table meta.source_load_status is 'One row per lake table: files and rows loaded, "
                    "the latest date its rows cover (data_through_date) and files waiting in quarantine.'")
        con.execute(f"comment on table meta.refresh_runs is 'One row per refresh run up to and including the run "
                    f"that built this file ({record.run_id}).'")
        con.execute("comment on table meta.quality_results is 'One row per quality expectation checked on this "
                    "file before it was published (severity error blocks the publish; warning is only reported).'")


