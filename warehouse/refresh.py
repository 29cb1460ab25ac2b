"""The monthly KPI refresh: landing → lake → new DuckDB file → dbt build → quality gates → publish.

Every step either completes or leaves the published warehouse untouched: the build happens in a separate
file, and publishing is a single rename (warehouse/platform/database.py).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import yaml

from warehouse.platform import database, ledger
from warehouse.platform.faults import kill_point
from warehouse.platform.settings import PROJECT_ROOT, Settings

# What makes two builds identical besides the lake: the code that turns lake into marts.
CODE_PATHS = ("models", "seeds", "macros", "tests/dbt", "dbt_project.yml", "expectations",
              "warehouse/products/open_data.toml")

Progress = Callable[[str, str], None]  # (step, message)


class RefreshFailed(RuntimeError):
    """A step failed; the published warehouse was not touched."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


class DbtFailed(RefreshFailed):
    """dbt failed; `failures` lists the failing nodes as (unique_id, status, first line of the message)."""

    def __init__(self, step: str, message: str, failures: list[tuple[str, str, str]]) -> None:
        super().__init__(step, message)
        self.failures = failures


class RefreshLocked(RuntimeError):
    """Another refresh holds the lock on this warehouse home."""


@dataclass
class RefreshOutcome:
    record: ledger.RunRecord
    exit_code: int


def as_of_date() -> date:
    """Today, unless WAREHOUSE_AS_OF_DATE pins it (tests, reproducible rebuilds); Settings.as_of_date holds
    the same value, checked once at start (an impossible date is a SettingsError naming the variable)."""
    from warehouse.platform.settings import as_of_date_from_env

    return as_of_date_from_env()


@contextlib.contextmanager
def refresh_lock(settings: Settings) -> Iterator[None]:
    """One refresh per warehouse home at a time (cron can overlap a slow run)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    handle = (settings.home / ".refresh.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise RefreshLocked(
            f"another refresh is running on {settings.home} (lock {settings.home / '.refresh.lock'}); "
            "wait for it to finish"
        ) from exc
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def code_fingerprint(settings: Settings) -> str:
    digest = hashlib.sha256()
    for name in CODE_PATHS:
        base = settings.dbt_project_dir / name
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(settings.dbt_project_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def lake_fingerprint(settings: Settings) -> str:
    """What the lake holds, from the manifest: every live part and its checksum (a damaged file is found by
    `verify`, which runs first; names and sizes alone would miss it)."""
    from ingest.common import lake

    digest = hashlib.sha256()
    for part in sorted(lake.live_parts(lake.read_manifest(settings.lake_dir)), key=lambda p: p["parquet"]):
        digest.update(f"{part['parquet']}|{part.get('sha256') or part.get('rows')}\n".encode())
    return digest.hexdigest()


def published_fingerprint(settings: Settings) -> str | None:
    if database.current_version(settings) is None:
        return None
    try:
        with database.connect_read_only(settings.published_path) as con:
            row = con.sql("select fingerprint from meta.warehouse_version").fetchall()
    except duckdb.Error:  # an older or foreign file: rebuild
        return None
    return row[0][0] if row else None


def raw_source_columns(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    """Lake table → [(column, type)] from the generated dbt source YAML (rendered from the ingest contracts)."""
    path = settings.dbt_project_dir / "models" / "staging" / "_raw__sources.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables: dict[str, list[tuple[str, str]]] = {}
    for source in document["sources"]:
        if source["name"] != "raw":
            continue
        for table in source["tables"]:
            tables[table["name"]] = [(c["name"], c.get("data_type", "varchar")) for c in table.get("columns", [])]
    return tables


def open_quarantine_by_table(settings: Settings) -> dict[str, int]:
    """Lake table → quarantined files of its kind still waiting in quarantine/ (their sources are suspect)."""
    from ingest import KINDS

    counts: dict[str, int] = {}
    if not settings.quarantine_dir.exists():
        return counts
    for report in settings.quarantine_dir.glob("*.report.json"):
        try:
            kind = json.loads(report.read_text(encoding="utf-8")).get("kind")
        except ValueError:
            kind = None
        tables = list(KINDS[kind].contracts) if kind in KINDS else list(raw_source_columns(settings))
        for table in tables:
            counts[table] = counts.get(table, 0) + 1
    return counts


def live_files_by_table(settings: Settings, exclude: set[str] = frozenset()) -> dict[str, list[Path]]:
    """Lake table → the Parquet files of its live versions (the manifest decides, not a folder listing)."""
    from ingest.common import lake

    files: dict[str, list[Path]] = {}
    for row in lake.read_manifest(settings.lake_dir):
        if row.get("status", "live") != "live" or row["sha256"] in exclude:
            continue
        for part in row["parts"]:
            if part.get("live"):
                files.setdefault(part["table"], []).append(settings.lake_dir / part["parquet"])
    return {table: sorted(paths) for table, paths in files.items()}


def load_raw(settings: Settings, build_path: Path, quarantined_open: dict[str, int],
             exclude: set[str] = frozenset()) -> dict[str, dict[str, object]]:
    """Copy every live lake file (less `exclude`d versions) into schema raw of the build file; write
    raw.source_load_status."""
    from ingest.registry import data_through_sql

    status: dict[str, dict[str, object]] = {}
    live = live_files_by_table(settings, exclude)
    with database.connect_build(build_path) as con:
        con.execute("create schema if not exists raw")
        for table, columns in raw_source_columns(settings).items():
            files = live.get(table, [])
            if files:
                con.execute(
                    f"create or replace table raw.{table} as "
                    "select * from read_parquet(?, hive_partitioning = true, union_by_name = true)",
                    [[database.file_pattern(path) for path in files]],
                )
            else:
                declared = [(name, dtype) for name, dtype in columns if name != "fiscal_month"]
                column_sql = ", ".join(f'"{name}" {dtype}' for name, dtype in [*declared, ("fiscal_month", "varchar")])
                con.execute(f"create or replace table raw.{table} ({column_sql})")
            rows, loaded_at, data_through = con.sql(
                f"select count(*), max(loaded_at), {data_through_sql(table)} from raw.{table}"
            ).fetchall()[0]
            status[table] = {
                "files_loaded": len(files),
                "rows_loaded": rows,
                "last_loaded_at": loaded_at,
                "data_through_date": data_through,
            }
        load_open_data_items(con)
        con.execute(
            "create or replace table raw.source_load_status (source_table varchar, files_loaded bigint, "
            "rows_loaded bigint, last_loaded_at timestamp, data_through_date date, files_quarantined_open bigint)"
        )
        for table, values in status.items():
            con.execute(
                "insert into raw.source_load_status values (?, ?, ?, ?, ?, ?)",
                [table, values["files_loaded"], values["rows_loaded"], values["last_loaded_at"],
                 values["data_through_date"], quarantined_open.get(table, 0)],
            )
    return status


def load_open_data_items(con) -> None:
    """The datasets this warehouse publishes as open data (warehouse/products/open_data.toml): they count toward
    measure 1's indicator (オープンデータの項目数). Taken from the registry, not from open/, so a build does
    not depend on what the previous export happened to write."""
    from warehouse.products.open_data import load_registry

    _, datasets = load_registry()
    con.execute("create or replace table raw.open_data_items (dataset_id varchar, source_table varchar, "
                "title_ja varchar, title_en varchar, update_frequency varchar)")
    for spec in datasets:
        con.execute("insert into raw.open_data_items values (?, ?, ?, ?, ?)",
                    [spec.id, spec.table, spec.title_ja, spec.title_en, spec.update_frequency])


def _dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(settings: Settings, build_path: Path, args: list[str], as_of: date, log) -> None:
    """Run one dbt command against the build file; raise RefreshFailed naming the failing nodes."""
    target = settings.dbt_dir / "target"
    command = [
        _dbt_executable(), *args,
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", str(target),
        "--log-path", str(settings.dbt_dir / "logs"),
        "--vars", json.dumps({"as_of_date": as_of.isoformat(),
                              "stale_after_days": settings.refresh.stale_after_days}),
    ]
    env = {
        **os.environ,
        "WAREHOUSE_BUILD_PATH": str(build_path),
        "WAREHOUSE_DBT_THREADS": str(settings.get("refresh", "dbt_threads")),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    log.info("dbt %s", " ".join(args))
    completed = subprocess.run(command, check=False, env=env, capture_output=True, text=True, cwd=settings.dbt_project_dir)
    log.info("dbt output:\n%s", completed.stdout[-20000:])
    if completed.returncode != 0:
        failures = _dbt_failures(target)
        raise DbtFailed(f"dbt {args[0]}", _dbt_failure_summary(failures, completed), failures)


def _dbt_failures(target: Path) -> list[tuple[str, str, str]]:
    results = target / "run_results.json"
    failing: list[tuple[str, str, str]] = []
    if results.exists():
        try:
            for result in json.loads(results.read_text())["results"]:
                if result["status"] in {"error", "fail", "runtime error"}:
                    message = (result.get("message") or "").strip().splitlines()
                    failing.append((result["unique_id"], result["status"], message[0] if message else ""))
        except (KeyError, ValueError):
            pass
    return failing


def _dbt_failure_summary(failing: list[tuple[str, str, str]], completed: subprocess.CompletedProcess[str]) -> str:
    if failing:
        shown = [f"{uid} ({status}): {message}" for uid, status, message in failing[:5]]
        return "; ".join(shown) + (f" (and {len(failing) - 5} more)" if len(failing) > 5 else "")
    tail = [line for line in completed.stdout.splitlines() if "rror" in line][-3:]
    return " | ".join(tail) or f"dbt exited with code {completed.returncode}"


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


class Refresh:
    """One run of the refresh job. `run()` returns the ledger record and an exit code."""

    def __init__(self, settings: Settings, progress: Progress | None = None, kind: str = "refresh",
                 full_rebuild: bool = False) -> None:
        self.settings = settings
        self.progress = progress or (lambda step, message: None)
        self.as_of = as_of_date()
        self.record = ledger.RunRecord(run_id=ledger.new_run_id(), kind=kind, started_at=ledger.utc_now(),
                                       as_of_date=self.as_of.isoformat())
        self.full_rebuild = full_rebuild
        self.set_aside: list[dict[str, str]] = []
        self.warnings: list[str] = []
        self.log = ledger.run_logger(settings, self.record.run_id)

    @contextlib.contextmanager
    def step(self, name: str, message: str) -> Iterator[None]:
        self._current_step = name
        self.progress(name, message)
        self.log.info("step %s: %s", name, message)
        started = time.perf_counter()
        try:
            yield
        except RefreshFailed:
            raise
        except Exception as exc:  # any unexpected error is reported against its step
            self.log.exception("step %s failed", name)
            raise RefreshFailed(name, f"{type(exc).__name__}: {exc}") from exc
        finally:
            self.record.step_seconds[name] = round(time.perf_counter() - started, 3)

    def run(self) -> RefreshOutcome:
        build_path = self.settings.build_dir / f"{self.record.run_id}.duckdb"
        exit_code = 0
        try:
            with self._lock():
                # Under the lock, before this run leaves any trace: finish or undo what a killed run left.
                try:
                    self._check_home()
                    ledger.append(self.settings, self.record)  # "running": a killed run leaves a trace
                except OSError as exc:
                    raise RefreshFailed("check_home", f"{type(exc).__name__}: {exc}") from exc
                kill_point("refresh.after_running_record")
                try:
                    exit_code = self._run_locked(build_path)
                finally:  # scratch space of ingest and of lake repairs: only ever touched under the lock
                    for scratch in ("ingest_staging", "restore_staging"):
                        shutil.rmtree(self.settings.build_dir / scratch, ignore_errors=True)
        except RefreshLocked as exc:
            self.record.status, self.record.failed_step, self.record.message = "failed", "lock", str(exc)
            exit_code = 75
        except RefreshFailed as exc:
            self.record.status, self.record.failed_step = "failed", exc.step
            cause = exc.__cause__
            hint = (" The disk is full: free space in the warehouse home and run the refresh again."
                    if cause is not None and database.disk_full(cause) else "")
            self.record.message = (f"step '{exc.step}' failed: {exc.message}. The published warehouse was not "
                                   f"changed.{hint} Details: {self.settings.runs_dir / (self.record.run_id + '.log')}")
            exit_code = 1
        except BaseException as exc:  # a bug outside any step: record it, then let the CLI report it
            self.record.status, self.record.failed_step = "failed", "refresh"
            self.record.message = f"{type(exc).__name__}: {exc}"
            self.log.exception("refresh failed outside a step")
            raise
        finally:
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
        return RefreshOutcome(self.record, exit_code)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """The refresh lock; a `status` that is repairing the home holds it for a moment, so wait up to 3 s."""
        deadline = time.monotonic() + 3
        while True:
            try:
                lock = refresh_lock(self.settings)
                lock.__enter__()
                break
            except RefreshLocked:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
        try:
            yield
        finally:
            lock.__exit__(None, None, None)

    def _check_home(self) -> None:
        report = database.check_home(self.settings, locked=True)
        for line in report.repairs:
            self.log.info("home check: %s", line)
        if report.repairs:
            self.progress("check_home", f"repaired {len(report.repairs)} thing(s) in the home (see `warehouse status`)")
        for line in report.problems:
            self.log.warning("home check: %s", line)

    def _run_locked(self, build_path: Path) -> int:
        from ingest import ingest_landing  # imported here: ingest pulls in polars, not needed by `status`

        with self.step("verify", "checking every lake file against the manifest"):
            self._verify_lake()
        kill_point("refresh.after_verify")
        with self.step("ingest", "reading new files from landing/"):
            report = ingest_landing(self.settings, self.record.run_id, today=self.as_of,
                                    progress=lambda desc, done, total: self.progress("ingest", f"{desc} ({done}/{total})"))
            self._record_ingest(report)
        kill_point("refresh.after_ingest")
        quarantined = sum(1 for f in report.files if f.status == "quarantined")

        with self.step("plan", "deciding whether anything changed"):
            self.record.fingerprint = hashlib.sha256(
                f"{lake_fingerprint(self.settings)}|{code_fingerprint(self.settings)}|{self.as_of}|"
                f"{sorted(open_quarantine_by_table(self.settings).items())}".encode()
            ).hexdigest()
            unchanged = (not self.full_rebuild) and published_fingerprint(self.settings) == self.record.fingerprint
        if unchanged:
            self.record.status = "no_op"
            self.record.message = ("nothing new: no new or changed files, models or seeds since the published "
                                   "version; the published warehouse was left as it is")
            self.record.message += self._problems_note(quarantined)
            current = database.current_version(self.settings)
            self.record.warehouse_version = str(current["version_id"]) if current else None
            return 3 if quarantined or self.set_aside else 0

        with self.step("load_raw", "copying the lake into a new build file"):
            if build_path.exists():
                build_path.unlink()
            status = self._load_raw(build_path)
        kill_point("refresh.after_load_raw")

        with self.step("dbt_build", "dbt build (seeds, models, tests)"):
            self._build_setting_aside_failing_files(build_path)
        kill_point("refresh.after_dbt_build")
        for table, values in status.items():
            self.record.sources.setdefault(table, {})["rows_in_warehouse"] = int(values["rows_loaded"])
        newest = max((v["data_through_date"] for v in status.values() if v["data_through_date"]), default=None)
        if newest is not None and newest > self.as_of:
            self.warnings.append(
                f"the as-of date {self.as_of} is before the newest data in the lake ({newest}): months after it are "
                "kept but not counted in the fiscal year in progress; check WAREHOUSE_AS_OF_DATE")

        docs_out = self.settings.build_dir / f"{self.record.run_id}.docs"
        with self.step("dbt_docs", "dbt docs generate (the data catalog)"):
            run_dbt(self.settings, build_path, ["docs", "generate", "--no-compile"], self.as_of, self.log)
            docs_out.mkdir(parents=True, exist_ok=True)
            for name in ("catalog.json", "manifest.json", "index.html", "run_results.json"):
                source = self.settings.dbt_dir / "target" / name
                if source.exists():
                    shutil.copy2(source, docs_out / name)

        with self.step("quality_gates", "great-expectations suites and golden records"):
            from expectations import run_gates

            gate = run_gates(build_path, raw_files=self._files_of_this_run(report))
            if gate.failed:
                gate = self._gate_setting_aside_failing_files(build_path, report, gate)
            self.record.quality = {"passed": gate.passed, "failed": gate.failed, "total": gate.total}

        # Publish: one release folder (file, docs, open data) switched in by one rename (warehouse/platform/database.py).
        kill_point("publish.start")
        try:
            with self.step("publish", "writing the release (file, docs, open data) and switching to it"):
                self.record.status = "success"
                self.record.warehouse_version = f"{database.VERSION_PREFIX}{self.record.run_id}"
                self.record.finished_at = ledger.utc_now()
                history = [r for r in ledger.read_all(self.settings) if r.get("run_id") != self.record.run_id]
                write_meta(build_path, self.record, history, gate.rows)
                database.finalize_build(build_path)
                kill_point("publish.after_finalize")
                database.publish(self.settings, build_path, self.record.run_id, docs_out,
                                 export=self._export_open_data)
        except BaseException:
            self.record.warehouse_version = None
            raise
        finally:
            if docs_out.exists():
                shutil.rmtree(docs_out)

        self.record.message += f"published {self.record.warehouse_version}"
        self.record.message += self._problems_note(quarantined)
        return 3 if quarantined or self.set_aside else 0

    def _problems_note(self, quarantined: int) -> str:
        note = "".join(f"; warning: {warning}" for warning in self.warnings)
        note += f"; {quarantined} file(s) quarantined (see quarantine/)" if quarantined else ""
        if self.set_aside:
            note += (f"; {len(self.set_aside)} file version(s) set aside and not published: "
                     + "; ".join(f"{item['file_name']}: {item['reason']}" for item in self.set_aside)
                     + " (`warehouse files` lists them)")
        return note

    def _verify_lake(self) -> None:
        """Check the lake before anything reads it; restore or set aside what is damaged; stop on a lost manifest."""
        from warehouse.verify import record_result, repair_lake

        result = repair_lake(self.settings, self.record.run_id, today=self.as_of, rebuild=False)
        record_result(self.settings, result)
        if not result.manifest_ok:
            raise RefreshFailed("verify", result.issues[0].detail)
        for line in result.repaired:
            self.log.info("verify: %s", line)
        self.set_aside.extend(result.set_aside)
        self.record.lake = {"summary": result.summary(), "repaired": result.repaired, "set_aside": result.set_aside}

    def _load_raw(self, build_path: Path, exclude: set[str] = frozenset()) -> dict[str, dict[str, object]]:
        self._build_path = build_path
        return load_raw(self.settings, build_path, open_quarantine_by_table(self.settings), exclude=exclude)

    def _build_setting_aside_failing_files(self, build_path: Path) -> None:
        """dbt build; if a rule fails, set aside the file versions that make it fail and build again."""
        from warehouse import attribution

        try:
            run_dbt(self.settings, build_path, ["build"], self.as_of, self.log)
            return
        except DbtFailed as failure:
            first = failure
        target_manifest = self.settings.dbt_dir / "target" / "manifest.json"
        tables = attribution.upstream_raw_tables(target_manifest, [uid for uid, _, _ in first.failures])
        rules = "; ".join(attribution.describe_rule(target_manifest, uid, message)
                          for uid, _, message in first.failures[:3])

        def passes(excluded: set[str]) -> bool:
            self._load_raw(build_path, excluded)
            try:
                run_dbt(self.settings, build_path, ["build"], self.as_of, self.log)
                return True
            except DbtFailed:
                return False

        if not self._set_aside_culprits(tables, rules, passes):
            raise first
        run_dbt(self.settings, build_path, ["build"], self.as_of, self.log)

    def _gate_setting_aside_failing_files(self, build_path: Path, report, gate):
        """A quality gate failed: if files new since the published version make it fail, set them aside,
        rebuild and gate again; otherwise the gate stops the publish as before."""
        from expectations import run_gates

        failing = [row for row in gate.rows if not row["success"]]
        lake_tables = set(raw_source_columns(self.settings))
        failing_tables = {str(row["table_name"]) for row in failing}
        tables = min(failing_tables, lake_tables)  # a mart: any table may feed it
        rules = "; ".join(f"the quality check '{row['expectation']}' on {row['table_name']} failed "
                          f"({str(row.get('details', ''))[:200]})" for row in failing[:3])
        this_run = self._files_of_this_run(report)

        def gated(excluded: set[str]):
            files = {table: [sha for sha in shas if sha not in excluded] for table, shas in this_run.items()}
            return run_gates(build_path, raw_files=files)

        def passes(excluded: set[str]) -> bool:
            self._load_raw(build_path, excluded)
            try:
                run_dbt(self.settings, build_path, ["build"], self.as_of, self.log)
            except DbtFailed:
                return False
            return not gated(excluded).failed

        if not self._set_aside_culprits(tables, rules, passes):
            raise RefreshFailed("quality_gates", gate.summary())
        run_dbt(self.settings, build_path, ["build"], self.as_of, self.log)
        final = gated({item["sha256"] for item in self.set_aside})
        if final.failed:
            raise RefreshFailed("quality_gates", final.summary())
        return final

    def _set_aside_culprits(self, tables: set[str], rules: str, passes) -> bool:
        """Find the new file versions (feeding `tables`) without which `passes`; set them aside with the rule in
        words and reload the raw tables from what is left. False when the files are not the cause."""
        from ingest.common import lake
        from warehouse import attribution
        from warehouse.verify import set_aside

        rows = lake.read_manifest(self.settings.lake_dir)
        published = attribution.published_versions(self.settings, tables) or set()
        suspects = [row["sha256"] for row in sorted(rows, key=lambda r: r["loaded_at"])
                    if row.get("status", "live") == "live" and set(row["tables"]) & tables
                    and row["sha256"] not in published]
        if not suspects:
            return False
        self.progress(self._current_step, f"a rule failed; finding which of {len(suspects)} new file(s) fail it")
        found = attribution.isolate(suspects, passes, attribution.MAX_BUILDS)
        if found is None:
            return False
        for sha in found.culprits + found.undetermined:
            row = next(r for r in rows if r["sha256"] == sha)
            undecided = sha in found.undetermined
            months = ", ".join(row["fiscal_months"][:6]) + ("…" if len(row["fiscal_months"]) > 6 else "")
            reason = (f"with this file in the lake {rules}"
                      + (" (one of several new files that could not be told apart within the build budget)"
                         if undecided else "")
                      + f". Its {row['rows_out']} rows in {', '.join(row['tables'])} ({months}) are not published. "
                      "Check the file against that rule, correct it and drop it into "
                      f"landing/{row['kind']}/ again; or, if the file is right, fix the rule and run "
                      f"`warehouse files retry {row['file_name']}`.")
            set_aside(self.settings, rows, sha, reason=reason, rule=rules, run_id=self.record.run_id)
            self.set_aside.append({"file_name": row["file_name"], "sha256": sha, "reason": reason})
        lake.write_manifest(self.settings.lake_dir, rows)
        self.log.info("set aside after %s extra builds: %s", found.builds, self.set_aside)
        self._load_raw(self._build_path)  # the lake now holds what passed: build from it as the next run would
        return True

    def _export_open_data(self, db_path: Path, target: Path) -> None:
        """The open-data export of the new file into its release folder (before the switch).

        An export bug does not stop the publish (the warehouse is sound): the release then carries the served
        version's open/ and the message says so. A full disk does stop it (the publish fails cleanly).
        """
        started = time.perf_counter()
        self.progress("open_data", "writing open-data exports")
        try:
            from warehouse.products.open_data import export_open_data

            export_open_data(self.settings, db_path=db_path, target_dir=target)
        except Exception as exc:
            if database.disk_full(exc):
                raise
            self.log.exception("open-data export failed")
            source = database.carry_over_open(self.settings, target)
            self.record.message = (f"open-data export failed ({type(exc).__name__}: {exc}); open/ "
                                   + (f"keeps the export of {source}; " if source else "is empty; "))
        finally:
            self.record.step_seconds["open_data"] = round(time.perf_counter() - started, 3)

    @staticmethod
    def _files_of_this_run(report) -> dict[str, list[str]]:
        """Lake table → sha256 of the file versions this run added (the rows the raw suites gate)."""
        files: dict[str, list[str]] = {}
        for outcome in report.files:
            if outcome.status in {"loaded", "replaced"}:
                for table in outcome.tables or []:
                    files.setdefault(table, []).append(outcome.sha256)
        return files

    def _record_ingest(self, report) -> None:
        for outcome in report.files:
            entry = outcome.to_dict() if hasattr(outcome, "to_dict") else dict(outcome.__dict__)
            self.record.files.append({k: (sorted(v) if isinstance(v, set) else v) for k, v in entry.items()})
            for table in outcome.tables or [outcome.kind]:
                counts = self.record.sources.setdefault(table, {})
                key = f"files_{outcome.status}"
                counts[key] = counts.get(key, 0) + 1
                counts["rows_in"] = counts.get("rows_in", 0) + int(outcome.rows_in or 0)
                counts["rows_out"] = counts.get("rows_out", 0) + int(outcome.rows_out or 0)
