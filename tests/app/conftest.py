"""App test fixtures: the session's real demo warehouse (tests/conftest.py `demo_home`) and AppTest helpers."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
PAGES = ("overview", "indicator", "certificates", "homepage", "gis", "energy", "previous_plan", "catalog",
         "yearly_report")


@pytest.fixture()
def app_env(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at the real demo home for one test."""
    monkeypatch.setenv("WAREHOUSE_HOME", str(demo_home))
    return demo_home


_SNAPSHOTS: dict[tuple[str, int, int], Path] = {}


def _snapshot(path: Path) -> Path:
    """A private copy of a published file: DuckDB refuses a second, differently configured connection to the
    file the app's sandbox holds open in this same process."""
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_mtime_ns)
    if key not in _SNAPSHOTS:
        target = Path(tempfile.mkdtemp(prefix="expected_")) / "warehouse.duckdb"
        shutil.copy2(path, target)
        _SNAPSHOTS[key] = target
    return _SNAPSHOTS[key]


def warehouse_value(home: Path, sql: str, params: list | None = None) -> object:
    """One value read from (a copy of) the published demo file: the expected figure a page must show."""
    con = duckdb.connect(str(_snapshot(home / "warehouse.duckdb")), read_only=True)
    try:
        row = con.execute(sql, params or []).fetchone()
    finally:
        con.close()
    assert row is not None, f"no row for {sql}"
    return row[0]
