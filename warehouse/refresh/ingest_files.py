"""Step 3, ingest: new and changed landing files → validated lake (bad files → quarantine/)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from warehouse.platform.faults import kill_point
from warehouse.verify import stamp_written_parts

if TYPE_CHECKING:
    from warehouse.refresh.run import Refresh


def ingest_new_files(run: Refresh) -> Any:
    """The ingest step; returns ingest's report (one outcome per file) and records it in the run."""
    from ingest import ingest_landing  # imported here: ingest pulls in polars, not needed by `status`

    with run.step("ingest", "reading new files from landing/"):
        report = ingest_landing(run.settings, run.record.run_id, today=run.as_of, progress=_every_tenth_second(run))
        record_ingest(run, report)
        stamp_written_parts(run.settings, {outcome.sha256 for outcome in report.files
                                           if outcome.status in {"loaded", "replaced"}})
    kill_point("refresh.after_ingest")
    return report


def _every_tenth_second(run: Refresh) -> Callable[[str, int, int], None]:
    """Ingest's progress, at most ten lines a second: it reports every landing file, and after ten years most of
    the 36,000 are skipped as unchanged within a second or two (drawing each took longer than checking it)."""
    shown = [float("-inf")]

    def forward(description: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= 0.1 or done >= total:
            shown[0] = now
            run.progress("ingest", f"{description} ({done}/{total})")
    return forward


def record_ingest(run: Refresh, report: Any) -> None:
    """Each file's outcome in the run record, and counts per lake table. A landing file seen again unchanged is
    only counted (files_unchanged): listing the whole landing folder in every run's record would grow the ledger
    by the size of the history each month."""
    for outcome in report.files:
        if not outcome.seen_before:
            entry = outcome.to_dict()
            run.record.files.append({k: (sorted(v) if isinstance(v, set) else v) for k, v in entry.items()})
        for table in outcome.tables or [outcome.kind]:
            counts = run.record.sources.setdefault(table, {})
            key = f"files_{outcome.status}"
            counts[key] = counts.get(key, 0) + 1
            counts["rows_in"] = counts.get("rows_in", 0) + int(outcome.rows_in or 0)
            counts["rows_out"] = counts.get("rows_out", 0) + int(outcome.rows_out or 0)


def quarantined_count(report: Any) -> int:
    """Files of this run that went to quarantine/."""
    return sum(1 for outcome in report.files if outcome.status == "quarantined")


def files_of_this_run(report: Any) -> dict[str, list[str]]:
    """Lake table → sha256 of the file versions this run added (the rows the raw suites gate)."""
    files: dict[str, list[str]] = {}
    for outcome in report.files:
        if outcome.status in {"loaded", "replaced"}:
            for table in outcome.tables or []:
                files.setdefault(table, []).append(outcome.sha256)
    return files
