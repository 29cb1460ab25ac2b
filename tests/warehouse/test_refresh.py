"""The refresh job end to end: demo, status, no-op, a reader during refresh, a failing step, rollback."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DEMO_END, REPO, run_warehouse, warehouse_env

pytestmark = pytest.mark.slow

LAKE_TABLES = {"certificate_issuances", "web_page_views_daily", "gis_events", "energy_readings_monthly",
               "energy_readings_interval", "facilities", "indicator_reports"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_demo_publishes_every_source_through_the_last_month(demo_home: Path):
    completed = run_warehouse(demo_home, "--json", "status", check=True)
    status = json.loads(completed.stdout)
    assert status["published"]["version_id"].startswith("warehouse-")
    assert LAKE_TABLES <= set(status["sources"]), status["sources"].keys()
    for name in LAKE_TABLES - {"facilities", "indicator_reports", "energy_readings_interval"}:
        source = status["sources"][name]
        assert source["last_month"] == DEMO_END, (name, source)
        assert source["rows"] > 0 and source["is_fresh"], (name, source)
    assert status["runs"][0]["status"] == "success"
    with duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True) as con:
        runs = con.sql("select run_id, status from meta.refresh_runs").fetchall()
        assert runs[-1][1] == "success"
        assert con.sql("select count(*) from meta.quality_results where not success").fetchall()[0][0] == 0
        assert con.sql("select count(*) from meta.quality_results").fetchall()[0][0] > 20
    assert (demo_home / "docs" / "catalog.json").exists()


def test_second_refresh_without_new_files_changes_nothing(demo_home_copy: Path):
    before = _sha(demo_home_copy / "warehouse.duckdb")
    lake_before = _tree_digest(demo_home_copy / "lake")
    completed = run_warehouse(demo_home_copy, "--json", "refresh")
    assert completed.returncode == 0, completed.stderr
    record = json.loads(completed.stdout)
    assert record["status"] == "no_op"
    assert "nothing new" in record["message"]
    assert _sha(demo_home_copy / "warehouse.duckdb") == before
    assert _tree_digest(demo_home_copy / "lake") == lake_before
    ledger = (demo_home_copy / "runs" / "ledger.jsonl").read_text().splitlines()
    assert json.loads(ledger[-1])["status"] == "no_op", "a no-op run is recorded under runs/"
    # landing files seen again are counted, not listed: the ledger must not grow by the landing folder each month
    assert record["files"] == [], record["files"][:3]
    landing_files = [p for p in (demo_home_copy / "landing").rglob("*") if p.is_file()]
    assert record["sources"]["certificate_issuances"]["files_unchanged"] == len(
        [p for p in landing_files if p.parent.name == "certificates"])


def test_reader_during_refresh_sees_no_error_and_new_data_after_reconnect(demo_home_copy: Path):
    published = demo_home_copy / "warehouse.duckdb"
    reader = textwrap.dedent(f"""
        import duckdb, sys, time, pathlib
        stop = pathlib.Path({str(demo_home_copy / 'stop-reader')!r})
        con = duckdb.connect({str(published)!r}, read_only=True)
        first = con.sql("select version_id from meta.warehouse_version").fetchall()[0][0]
        queries = 0
        while not stop.exists():
            con.sql("select fiscal_year, count(*) from main.mart_kpi_indicator_progress group by 1").fetchall()
            queries += 1
            time.sleep(0.05)
        con.close()
        con = duckdb.connect({str(published)!r}, read_only=True)
        second = con.sql("select version_id from meta.warehouse_version").fetchall()[0][0]
        print(first, second, queries)
    """)
    process = subprocess.Popen([sys.executable, "-c", reader], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=warehouse_env(demo_home_copy))
    time.sleep(2)
    completed = run_warehouse(demo_home_copy, "--json", "refresh", "--full-rebuild")
    (demo_home_copy / "stop-reader").touch()
    stdout, stderr = process.communicate(timeout=60)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert process.returncode == 0, stderr
    first, second, queries = stdout.split()
    assert int(queries) > 10, "the reader kept querying while the refresh ran"
    assert first != second
    assert second == json.loads(completed.stdout)["warehouse_version"]


def _project_copy(tmp_path: Path) -> Path:
    """A copy of the dbt project (models, seeds, macros, tests) that a test may break."""
    project = tmp_path / "project"
    for name in ("models", "seeds", "macros", "tests/dbt", "expectations"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "dbt_project.yml", project / "dbt_project.yml")
    return project


def test_failed_quality_gate_keeps_the_last_good_warehouse(demo_home_copy: Path, tmp_path: Path):
    """A gate that only great-expectations checks fails (a 42nd indicator slipped into the plan's seed while the
    plan has 41): nothing is published, and no file is blamed for it."""
    project = _project_copy(tmp_path)
    seed = project / "seeds" / "plan_indicators.csv"
    lines = seed.read_text(encoding="utf-8").splitlines(keepends=True)
    copied = next(line for line in lines if line.startswith("M01-1,"))
    seed.write_text("".join([*lines, copied.replace("M01-1,", "M01-9,", 1)]), encoding="utf-8")
    before = _sha(demo_home_copy / "warehouse.duckdb")
    completed = run_warehouse(demo_home_copy, "--json", "refresh", WAREHOUSE_DBT_PROJECT_DIR=str(project))
    assert completed.returncode == 1, completed.stdout[-2000:]
    record = json.loads(completed.stdout)
    assert record["failed_step"] == "quality_gates"
    assert "quality checks failed" in record["message"] and "41 indicators per fiscal year" in record["message"]
    assert _sha(demo_home_copy / "warehouse.duckdb") == before


def test_failing_dbt_model_leaves_published_file_byte_identical(demo_home_copy: Path, tmp_path: Path):
    project = _project_copy(tmp_path)
    broken = next(project.glob("models/marts/**/mart_web_access_monthly.sql"))
    broken.write_text(broken.read_text() + "\nthis is not sql\n")
    before = _sha(demo_home_copy / "warehouse.duckdb")
    completed = run_warehouse(demo_home_copy, "--json", "refresh", WAREHOUSE_DBT_PROJECT_DIR=str(project))
    assert completed.returncode == 1
    record = json.loads(completed.stdout)
    assert record["status"] == "failed" and record["failed_step"] == "dbt build"
    assert "mart_web_access_monthly" in record["message"]
    assert "published warehouse was not changed" in record["message"]
    assert _sha(demo_home_copy / "warehouse.duckdb") == before
    assert not list((demo_home_copy / "build").glob("*.duckdb")), "the half-built file is removed"


def test_rollback_republishes_the_previous_version(demo_home_copy: Path):
    first = json.loads((demo_home_copy / "published.json").read_text())["version_id"]
    run_warehouse(demo_home_copy, "refresh", "--full-rebuild", check=True)
    second = json.loads((demo_home_copy / "published.json").read_text())["version_id"]
    assert first != second
    completed = run_warehouse(demo_home_copy, "--json", "rollback", check=True)
    assert json.loads(completed.stdout)["warehouse_version"] == first
    with duckdb.connect(str(demo_home_copy / "warehouse.duckdb"), read_only=True) as con:
        assert con.sql("select version_id from meta.warehouse_version").fetchall()[0][0] == first


def test_refresh_is_locked_against_a_second_concurrent_run(demo_home_copy: Path):
    import fcntl

    with (demo_home_copy / ".refresh.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        completed = run_warehouse(demo_home_copy, "refresh")
    assert completed.returncode == 75
    assert "another refresh is running" in completed.stderr
