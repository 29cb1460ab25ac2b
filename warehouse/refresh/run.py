"""One run of the refresh: each step is a function of its own module, called in order by `_run_locked`."""
from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from warehouse.digest import digest_after_refresh
from warehouse.platform import database, heap, ledger
from warehouse.platform.faults import kill_point
from warehouse.platform.settings import Settings, as_of_date_from_env
from warehouse.refresh.build import build, generate_docs
from warehouse.refresh.errors import RefreshFailed, RefreshLocked
from warehouse.refresh.export import export_open_data_step
from warehouse.refresh.gate import run_quality_gates
from warehouse.refresh.ingest_files import ingest_new_files, quarantined_count
from warehouse.refresh.load import load_lake, load_raw, open_quarantine_by_table, start_published_copy
from warehouse.refresh.lock import waiting_refresh_lock
from warehouse.refresh.plan import needs_build
from warehouse.refresh.publish import publish_release
from warehouse.refresh.verify_lake import hash_before_load, verify_lake

Progress = Callable[[str, str], None]  # (step, message)
SCRATCH_DIRS = ("ingest_staging", "restore_staging")  # ingest's and lake repair's, only touched under the lock


@dataclass
class RefreshOutcome:
    record: ledger.RunRecord
    exit_code: int


def as_of_date() -> date:
    """Today, unless WAREHOUSE_AS_OF_DATE pins it (read by warehouse/platform/settings.py, checked there)."""
    return as_of_date_from_env()


class Refresh:
    """One run of the refresh job. `run()` returns the ledger record and an exit code."""

    def __init__(self, settings: Settings, progress: Progress | None = None, kind: str = "refresh",
                 full_rebuild: bool = False) -> None:
        self.settings = settings
        self.progress = progress or (lambda step, message: None)
        self.as_of = settings.as_of_date
        self.record = ledger.RunRecord(run_id=ledger.new_run_id(), kind=kind, started_at=ledger.utc_now(),
                                       as_of_date=self.as_of.isoformat())
        self.full_rebuild = full_rebuild
        self.dbt_code_fingerprint = ""  # set by the plan step: models, seeds, macros, dbt_project.yml
        self.load_plan = None  # set by the load step: incremental or full, and why
        self.incremental_expected = False  # set by the verify step (verify_lake.incremental_load_expected)
        self.lake_hashed_in_full = False  # every live part hashed in this run (not only those new since a check)
        self.set_aside: list[dict[str, str]] = []
        self.warnings: list[str] = []
        self.log = ledger.run_logger(settings, self.record.run_id)
        self.build_path = settings.build_dir / f"{self.record.run_id}.duckdb"
        self.current_step = ""

    @contextlib.contextmanager
    def step(self, name: str, message: str) -> Iterator[None]:
        """Time a step, log it, and report any unexpected error against it (RefreshFailed)."""
        self.current_step = name
        self.progress(name, message)
        self.log.info("step %s: %s", name, message)
        started = time.perf_counter()
        try:
            yield
            heap.freeze()  # what the step read and keeps (the manifest's rows) is not walked again by the collector
        except RefreshFailed:
            raise
        except Exception as exc:  # any unexpected error is reported against its step
            self.log.exception("step %s failed", name)
            raise RefreshFailed(name, f"{type(exc).__name__}: {exc}") from exc
        finally:
            self.record.step_seconds[name] = round(time.perf_counter() - started, 3)

    def run(self) -> RefreshOutcome:
        exit_code = 0
        try:
            with waiting_refresh_lock(self.settings), heap.long_lived_scope():
                self._start()
                try:
                    exit_code = self._run_locked(self.build_path)
                    digest_after_refresh(self)  # never raises; notes itself in the message
                finally:
                    for scratch in SCRATCH_DIRS:
                        shutil.rmtree(self.settings.build_dir / scratch, ignore_errors=True)
        except RefreshLocked as exc:
            self.record.status, self.record.failed_step, self.record.message = "failed", "lock", str(exc)
            exit_code = 75
        except RefreshFailed as exc:
            self._record_failure(exc)
            exit_code = 1
        except BaseException as exc:  # a bug outside any step: record it, then let the CLI report it
            self.record.status, self.record.failed_step = "failed", "refresh"
            self.record.message = f"{type(exc).__name__}: {exc}"
            self.log.exception("refresh failed outside a step")
            raise
        finally:
            self._finish()
        return RefreshOutcome(self.record, exit_code)

    def _run_locked(self, build_path: Path) -> int:
        """The steps after the lock: verify → ingest → plan → load → build → docs → gate → publish (+ export)."""
        verify_lake(self)
        base = start_published_copy(self)  # copied while ingest runs
        try:
            report = ingest_new_files(self)
            if not needs_build(self):
                return self._no_op(quarantined_count(report))
            status = load_lake(self, build_path, base)
        finally:
            if base is not None:
                base.discard()
        build(self, build_path, status)
        docs_out = generate_docs(self, build_path)
        gate = run_quality_gates(self, build_path, report)
        publish_release(self, build_path, docs_out, gate)
        self.record.message += f"published {self.record.warehouse_version}"
        return self._exit_code(quarantined_count(report))

    def load_raw(self, build_path: Path, exclude: set[str] = frozenset()) -> dict[str, dict[str, object]]:
        """The lake (less `exclude`d file versions) into schema raw of build_path."""
        hash_before_load(self, None)
        self.build_path = build_path
        return load_raw(self.settings, build_path, open_quarantine_by_table(self.settings), exclude=exclude)

    def _export_open_data(self, db_path: Path, target: Path) -> None:
        """The export step as database.publish calls it (kept for the kill-point tests)."""
        export_open_data_step(self, db_path, target)

    def _start(self) -> None:
        """Under the lock, before this run leaves any trace: finish or undo what a killed run left, then
        record the run as running (a killed run leaves a trace)."""
        try:
            report = database.check_home(self.settings, locked=True)
            for line in report.repairs:
                self.log.info("home check: %s", line)
            if report.repairs:
                self.progress("check_home",
                              f"repaired {len(report.repairs)} thing(s) in the home (see `warehouse status`)")
            for line in report.problems:
                self.log.warning("home check: %s", line)
            ledger.append(self.settings, self.record)
        except OSError as exc:
            raise RefreshFailed("check_home", f"{type(exc).__name__}: {exc}") from exc
        kill_point("refresh.after_running_record")

    def _no_op(self, quarantined: int) -> int:
        self.record.status = "no_op"
        self.record.message = ("nothing new: no new or changed files, models or seeds since the published "
                               "version; the published warehouse was left as it is")
        current = database.current_version(self.settings)
        self.record.warehouse_version = str(current["version_id"]) if current else None
        return self._exit_code(quarantined)

    def _exit_code(self, quarantined: int) -> int:
        """Add warnings and problems to the message; 3 when files were quarantined or set aside (or a closed
        year), else 0."""
        self.record.message += self._problems_note(quarantined)
        return 3 if quarantined or self.set_aside or self.record.closed_years.get("set_aside") else 0

    def _problems_note(self, quarantined: int) -> str:
        note = "".join(f"; warning: {warning}" for warning in self.warnings)
        note += "".join(f"; closed year snapshot {line}" for line in self.record.closed_years.get("repaired", []))
        note += "".join(f"; FY{item['fiscal_year']} set aside (published as not closed): {item['reason']}"
                        for item in self.record.closed_years.get("set_aside", []))
        note += f"; {quarantined} file(s) quarantined (see quarantine/)" if quarantined else ""
        if self.set_aside:
            note += (f"; {len(self.set_aside)} file version(s) set aside and not published: "
                     + "; ".join(f"{item['file_name']}: {item['reason']}" for item in self.set_aside)
                     + " (`warehouse files` lists them)")
        return note

    def _record_failure(self, exc: RefreshFailed) -> None:
        self.record.status, self.record.failed_step = "failed", exc.step
        cause = exc.__cause__
        hint = (" The disk is full: free space in the warehouse home and run the refresh again."
                if cause is not None and database.disk_full(cause) else "")
        self.record.message = (f"step '{exc.step}' failed: {exc.message}. The published warehouse was not "
                               f"changed.{hint} Details: {self.settings.runs_dir / (self.record.run_id + '.log')}")

    def _finish(self) -> None:
        """Remove the build file and docs of this run, and append the outcome to the ledger."""
        build_path = self.settings.build_dir / f"{self.record.run_id}.duckdb"
        for leftover in (build_path, Path(f"{build_path}.wal")):
            if leftover.exists():
                leftover.unlink()
        shutil.rmtree(self.settings.build_dir / f"{self.record.run_id}.docs", ignore_errors=True)
        self.record.finished_at = ledger.utc_now()
        self.log.info("finished: %s %s", self.record.status, self.record.message)
        try:
            ledger.append(self.settings, self.record)
        except OSError:  # a full disk: the run's outcome is in the exit code and the log
            self.log.exception("could not append the run to the ledger")
        ledger.close_logger(self.log)
