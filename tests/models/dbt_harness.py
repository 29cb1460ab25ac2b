"""Run the real `dbt build` of this project into a scratch DuckDB file, and read it back."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")


def dbt_build(database: Path, work: Path, as_of_date: str, *selection: str) -> subprocess.CompletedProcess[str]:
    """`dbt build` into database with the given as_of_date and selection flags; fails the test with dbt's
    errors when dbt fails."""
    env = {**os.environ, "WAREHOUSE_BUILD_PATH": str(database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(DBT), "build",
        "--profiles-dir", str(REPO_ROOT), "--project-dir", str(REPO_ROOT),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", f"{{as_of_date: '{as_of_date}', stale_after_days: 45}}",
        *selection,
    ]
    completed = subprocess.run(command, check=False, env=env, capture_output=True, text=True, cwd=REPO_ROOT,
                               timeout=600)
    if completed.returncode != 0:
        failures = [line for line in completed.stdout.splitlines() if "ERROR" in line or "FAIL" in line]
        pytest.fail(f"dbt build exited {completed.returncode}:\n"
                    + "\n".join(failures[-40:] or [completed.stdout[-6000:]]))
    return completed


def query(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a read-only query on the built file, closed right after (dbt may reopen the file)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.sql(sql, params=params).fetchall()
    finally:
        con.close()
