"""How this project runs dbt: in the refresh's own process (`run_dbt`, dbt's dbtRunner: no second Python start,
no second import of dbt), or as a child process with a timeout (`invoke_dbt`, tests/models/dbt_harness.py).
Both take the same arguments and environment."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from warehouse.platform.settings import PROJECT_ROOT, Settings
from warehouse.refresh.errors import DbtFailed


def dbt_executable() -> str:
    """The dbt beside this Python (the venv's), else the one on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_vars(settings: Settings, as_of: date, tests_changed_months_only: bool = False) -> dict[str, object]:
    """The project variables every build gets: the as-of date and the freshness threshold it is judged by; and
    whether the data tests of the big row-level models read only the fiscal months the load step replaced
    (true only on an incremental load: macros/get_where_subquery.sql)."""
    return {"as_of_date": as_of.isoformat(), "stale_after_days": settings.refresh.stale_after_days,
            "tests_changed_months_only": tests_changed_months_only}


def invoke_dbt(args: list[str], *, build_path: Path, project_dir: Path, work_dir: Path, dbt_vars: dict[str, object],
               threads: int | None = None, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """One dbt command against build_path (the profile reads WAREHOUSE_BUILD_PATH); target/ and logs/ go
    under work_dir. Returns the finished process; the caller decides what a failure means."""
    command = [dbt_executable(), *dbt_arguments(args, project_dir=project_dir, work_dir=work_dir, dbt_vars=dbt_vars)]
    env = {**os.environ, **dbt_environment(build_path, threads)}
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, cwd=project_dir,
                          timeout=timeout)


def dbt_arguments(args: list[str], *, project_dir: Path, work_dir: Path, dbt_vars: dict[str, object]) -> list[str]:
    return [
        *args,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(dbt_vars),
    ]


def dbt_environment(build_path: Path, threads: int | None, memory_limit: str | None = None) -> dict[str, str]:
    """What profiles.yml reads (the build file, threads, DuckDB's memory limit), and no telemetry."""
    env = {"WAREHOUSE_BUILD_PATH": str(build_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    if threads is not None:
        env["WAREHOUSE_DBT_THREADS"] = str(threads)
    if memory_limit is not None:
        env["WAREHOUSE_DUCKDB_MEMORY_LIMIT"] = memory_limit
    return env


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` set while dbt runs in this process, then as it was."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_dbt(settings: Settings, build_path: Path, args: list[str], as_of: date, log,
            tests_changed_months_only: bool = False) -> None:
    """Run one dbt command of the refresh in this process against the build file; raise DbtFailed naming the
    failing nodes. dbt's console output goes to the run's log, not to the terminal (the CLI prints one line per
    step, and `--json` prints one document). tests_changed_months_only: see dbt_vars."""
    root_handlers = logging.root.handlers[:]  # importing dbt adds a stderr handler that would print others' INFO
    from dbt.cli.main import dbtRunner  # dbt takes ~2 s to import: only when a refresh builds

    log.info("dbt %s%s", " ".join(args),
             " (data tests read only the changed fiscal months)" if tests_changed_months_only else "")
    lines: list[str] = []

    def collect(event) -> None:
        if event.info.level in {"info", "warn", "error"} and event.info.msg:
            lines.append(str(event.info.msg))

    arguments = [*dbt_arguments(args, project_dir=settings.dbt_project_dir, work_dir=settings.dbt_dir,
                                dbt_vars=dbt_vars(settings, as_of, tests_changed_months_only)),
                 "--log-level", "none"]
    with _environment(dbt_environment(build_path, settings.refresh.dbt_threads,
                                      settings.refresh.duckdb_memory_limit)):
        result = dbtRunner(callbacks=[collect]).invoke(arguments)
    logging.root.handlers[:] = root_handlers
    output = "\n".join(lines)
    log.info("dbt output:\n%s", output[-20000:])
    if not result.success:
        failures = dbt_failures(settings.dbt_dir / "target")
        raise DbtFailed(f"dbt {args[0]}", _dbt_failure_summary(failures, output, result.exception), failures)


def dbt_failures(target: Path) -> list[tuple[str, str, str]]:
    """Failing nodes of the last dbt command: (unique_id, status, first line of the message)."""
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


def _dbt_failure_summary(failing: list[tuple[str, str, str]], output: str, exception: BaseException | None) -> str:
    if failing:
        shown = [f"{uid} ({status}): {message}" for uid, status, message in failing[:5]]
        return "; ".join(shown) + (f" (and {len(failing) - 5} more)" if len(failing) > 5 else "")
    tail = [line for line in output.splitlines() if "rror" in line][-3:]
    if exception is not None:
        tail.append(f"{type(exception).__name__}: {str(exception).strip()[:300]}")
    return " | ".join(tail) or "dbt failed without naming a node"
