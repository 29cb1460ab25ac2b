"""Small DuckDB files for tests that need a published warehouse without running the pipeline."""
from __future__ import annotations

from pathlib import Path

import duckdb


def write_warehouse(path: Path, sql: str) -> Path:
    """Run sql into a new DuckDB file, checkpoint and close it, as the publish step leaves a file."""
    con = duckdb.connect(str(path))
    try:
        con.execute(sql)
        con.execute("checkpoint")
    finally:
        con.close()
    return path
