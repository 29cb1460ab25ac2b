"""The one way this project runs dbt: the refresh's build and docs steps and tests/models/dbt_harness.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from warehouse.platform.settings import PROJECT_ROOT, Settings
from warehouse.refresh.errors import DbtFailed


def dbt_executable() -> str:
    """The dbt beside this Python (the venv's), else the one on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_vars(settings: Settings, as_of: date) -> dict[str, object]:
    """The project variables every build gets: the as-of date and the freshness threshold it is judged by."""
    return {"as_of_date": as_of.isoformat(), "stale_after_days": settings.refresh.stale_after_days}


def invoke_dbt(args: list[str], *, build_path: Path, project_dir: Path, work_dir: Path, dbt_vars: dict[str, object],
               threads: int | None = None, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """One dbt command against build_path (the profile reads WAREHOUSE_BUILD_PATH); target/ and logs/ go
    under work_dir. Returns the finished process; the caller decides what a failure means."""
    command = [
        dbt_executable(), *args,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(dbt_vars),
    ]
    env = {
        **os.environ,
        "WAREHOUSE_BUILD_PATH": str(build_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    if threads is not None:
        env["WAREHOUSE_DBT_THREADS"] = str(threads)
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, cwd=project_dir,
                          timeout=timeout)


def run_dbt(settings: Settings, build_path: Path, args: list[str], as_of: date, log) -> None:
    """Run one dbt command of the refresh against the build file; raise DbtFailed naming the failing nodes."""
    log.info("dbt %s", " ".join(args))
    completed = invoke_dbt(args, build_path=build_path, project_dir=settings.dbt_project_dir,
                           work_dir=settings.dbt_dir, dbt_vars=dbt_vars(settings, as_of),
                           threads=settings.refresh.dbt_threads)
    log.info("dbt output:\n%s", completed.stdout[-20000:])
    if completed.returncode != 0:
        failures = dbt_failures(settings.dbt_dir / "target")
        raise DbtFailed(f"dbt {args[0]}", _dbt_failure_summary(failures, completed), failures)


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


def _dbt_failure_summary(failing: list[tuple[str, str, str]], completed: subprocess.CompletedProcess[str]) -> str:
    if failing:
        shown = [f"{uid} ({status}): {message}" for uid, status, message in failing[:5]]
        return "; ".join(shown) + (f" (and {len(failing) - 5} more)" if len(failing) > 5 else "")
    tail = [line for line in completed.stdout.splitlines() if "rror" in line][-3:]
    return " | ".join(tail) or f"dbt exited with code {completed.returncode}"
