"""Run the real `dbt build` of this project into a scratch DuckDB file, and read it back."""
from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from warehouse.platform.settings import load_settings
from warehouse.refresh.dbt_runner import dbt_vars, invoke_dbt

REPO_ROOT = Path(__file__).resolve().parents[2]


def dbt_build(database: Path, work: Path, as_of_date: str, *selection: str) -> subprocess.CompletedProcess[str]:
    """`dbt build` into database with the given as_of_date and selection flags; fails the test with dbt's
    errors when dbt fails."""
    completed = invoke_dbt(["build", *selection], build_path=database, project_dir=REPO_ROOT, work_dir=work,
                           dbt_vars=dbt_vars(load_settings(), date.fromisoformat(as_of_date)), timeout=600)
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
