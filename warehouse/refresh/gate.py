"""Step 7, gate: the great-expectations suites and golden records on the build file; when they fail, new file
versions that make them fail are set aside like a failing build rule."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from warehouse.refresh.dbt_runner import run_dbt
from warehouse.refresh.errors import DbtFailed, RefreshFailed
from warehouse.refresh.ingest_files import files_of_this_run
from warehouse.refresh.load import raw_source_columns
from warehouse.refresh.set_aside import set_aside_culprits

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh


def run_quality_gates(run: Refresh, build_path: Path, report: Any) -> Any:
    """The gate step; returns the gate result whose rows go into meta.quality_results."""
    with run.step("quality_gates", "great-expectations suites and golden records"):
        gate = _run_gates(run, build_path, files_of_this_run(report))
        if gate.failed:
            gate = gate_setting_aside_failing_files(run, build_path, report, gate)
        run.record.quality = {"passed": gate.passed, "failed": gate.failed, "total": gate.total}
    return gate


def gate_setting_aside_failing_files(run: Refresh, build_path: Path, report: Any, gate: Any) -> Any:
    """A quality gate failed: if files new since the published version make it fail, set them aside,
    rebuild and gate again; otherwise the gate stops the publish as before."""
    failing = [row for row in gate.rows if not row["success"]]
    lake_tables = set(raw_source_columns(run.settings))
    failing_tables = {str(row["table_name"]) for row in failing}
    tables = min(failing_tables, lake_tables)  # a mart: any table may feed it
    rules = "; ".join(f"the quality check '{row['expectation']}' on {row['table_name']} failed "
                      f"({str(row.get('details', ''))[:200]})" for row in failing[:3])
    this_run = files_of_this_run(report)

    def gated(excluded: set[str]):
        files = {table: [sha for sha in shas if sha not in excluded] for table, shas in this_run.items()}
        return _run_gates(run, build_path, files)

    def passes(excluded: set[str]) -> bool:
        run.load_raw(build_path, excluded)
        try:
            run_dbt(run.settings, build_path, ["build"], run.as_of, run.log)
        except DbtFailed:
            return False
        return not gated(excluded).failed

    if not set_aside_culprits(run, tables, rules, passes):
        raise RefreshFailed("quality_gates", gate.summary())
    run_dbt(run.settings, build_path, ["build"], run.as_of, run.log)
    final = gated({item["sha256"] for item in run.set_aside})
    if final.failed:
        raise RefreshFailed("quality_gates", final.summary())
    return final


def _run_gates(run: Refresh, build_path: Path, raw_files: dict[str, list[str]]) -> Any:
    from expectations import run_gates  # great-expectations takes seconds to import: only here

    return run_gates(build_path, raw_files=raw_files, memory_limit=run.settings.refresh.duckdb_memory_limit)
