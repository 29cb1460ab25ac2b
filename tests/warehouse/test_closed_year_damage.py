"""A closed year's snapshot or record damaged after closing: the refresh restores the snapshot from the published
warehouse (exit 0, like verify's restored lake parts), or sets the year aside and publishes it as not closed
(exit 3, with the file, the reason and the next step); the damaged file is moved to closed_years/_damaged/."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import run_warehouse
from warehouse.platform.closed_years import closed_fiscal_years, record_path, snapshot_path

pytestmark = pytest.mark.slow

FISCAL_YEAR = 2020
INDICATOR = "M14-1"


def _refresh(home: Path) -> tuple[int, dict]:
    completed = run_warehouse(home, "--json", "refresh")
    assert completed.returncode in (0, 3), completed.stderr[-3000:]
    return completed.returncode, json.loads(completed.stdout)


def _reported(home: Path) -> pl.DataFrame:
    """The closed year's figures as the published warehouse reports them."""
    with duckdb.connect(str((home / "warehouse.duckdb").resolve()), read_only=True) as con:
        return con.sql("select indicator_id, reported_actual_value from mart_kpi_reported_figures "
                       "where fiscal_year = ? order by indicator_id", params=[FISCAL_YEAR]).pl()


def _damaged_files(home: Path) -> dict[str, bytes]:
    folder = home / "closed_years" / "_damaged"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _status(home: Path) -> dict:
    completed = run_warehouse(home, "--json", "status")
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def test_a_deleted_or_changed_snapshot_is_restored_from_the_published_warehouse(demo_home_copy: Path):
    home = demo_home_copy
    run_warehouse(home, "close-year", str(FISCAL_YEAR), check=True)
    assert _refresh(home)[0] == 0
    reported = _reported(home)
    assert reported.height == 41
    snapshot = snapshot_path(home, FISCAL_YEAR)
    original = pl.read_parquet(snapshot)
    record_before = record_path(home, FISCAL_YEAR).read_text(encoding="utf-8")
    assert json.loads(record_before)["snapshot_bytes"] == snapshot.stat().st_size

    snapshot.unlink()
    problems = _status(home)["closed_year_problems"]
    assert [(p["fiscal_year"], p["problem"]) for p in problems] == [(FISCAL_YEAR, "snapshot_missing")]
    code, record = _refresh(home)
    assert code == 0, record["message"]
    assert record["status"] in ("success", "no_op")  # no_op when the rows were written to the very same bytes
    assert len(record["closed_years"]["repaired"]) == 1 and not record["closed_years"]["set_aside"]
    assert "closed_years/fy2020.parquet is missing: restored from the published warehouse" in record["message"]
    assert pl.read_parquet(snapshot).equals(original)  # the same rows, in the same order
    current = json.loads(record_path(home, FISCAL_YEAR).read_text(encoding="utf-8"))
    assert hashlib.sha256(snapshot.read_bytes()).hexdigest() == current["snapshot_sha256"]
    assert _reported(home).equals(reported)
    assert _status(home)["closed_year_problems"] == []

    data = bytearray(snapshot.read_bytes())  # bytes changed, size kept: only the checksum tells
    data[len(data) // 2] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    code, record = _refresh(home)
    assert code == 0 and len(record["closed_years"]["repaired"]) == 1, record["message"]
    assert f"kept in closed_years/_damaged/{record['run_id']}/" in record["message"]
    assert _damaged_files(home) == {f"{record['run_id']}/fy2020.parquet": bytes(data)}  # kept, never deleted
    assert pl.read_parquet(snapshot).equals(original)
    assert _reported(home).equals(reported)

    code, record = _refresh(home)  # nothing left to repair
    assert (code, record["status"], record["closed_years"]) == (0, "no_op", {})


def test_a_damaged_snapshot_with_no_published_copy_sets_the_year_aside(demo_home_copy: Path):
    home = demo_home_copy  # the published warehouse was built before the close: it has no copy of the snapshot
    run_warehouse(home, "close-year", str(FISCAL_YEAR), check=True)
    snapshot = snapshot_path(home, FISCAL_YEAR)
    truncated = snapshot.read_bytes()[:3000]
    snapshot.write_bytes(truncated)

    for attempt in range(2):  # the next refresh says the same, until the year is reopened and closed again
        completed = run_warehouse(home, "--json", "refresh")
        assert completed.returncode == 3, completed.stderr[-3000:]
        record = json.loads(completed.stdout)
        assert record["status"] in ("success", "no_op")
        [item] = record["closed_years"]["set_aside"]
        assert item["fiscal_year"] == FISCAL_YEAR and item["file"] == "closed_years/fy2020.parquet"
        for text in ("closed_years/fy2020.parquet", "復元できませんでした", "確定し直してください",
                     "holds 0 of its 41 rows", "warehouse close-year 2020 --reopen --reason",
                     "this refresh treats FY2020 as not closed"):
            assert text in item["reason"] and text in completed.stderr, text
        assert ("has 3000 bytes" if attempt == 0 else "is missing") in item["reason"]
        assert _reported(home).height == 0  # published as not closed
        assert closed_fiscal_years(home) == {FISCAL_YEAR}  # the record stays until the operator reopens
        [kept] = _damaged_files(home).items()
        assert kept[0].endswith("/fy2020.parquet") and kept[1] == truncated

    run_warehouse(home, "close-year", str(FISCAL_YEAR), "--reopen", "--reason", "snapshot damaged", check=True)
    run_warehouse(home, "close-year", str(FISCAL_YEAR), check=True)
    code, record = _refresh(home)
    assert (code, record["closed_years"]) == (0, {}), record["message"]
    assert _reported(home).height == 41


def test_a_garbage_record_is_moved_aside_and_status_still_works(demo_home_copy: Path):
    home = demo_home_copy
    run_warehouse(home, "close-year", str(FISCAL_YEAR), check=True)
    assert _refresh(home)[0] == 0
    assert _reported(home).height == 41
    garbage = b"\x00\xff not a record {"
    record_path(home, FISCAL_YEAR).write_bytes(garbage)
    snapshot = snapshot_path(home, FISCAL_YEAR).read_bytes()

    status = _status(home)
    assert status["closed_years"] == []
    assert [(p["fiscal_year"], p["problem"]) for p in status["closed_year_problems"]] == [(FISCAL_YEAR, "record_damaged")]
    printed = " ".join(run_warehouse(home, "status", check=True).stderr.split())  # the console writes to stderr
    assert "FY2020 closed, but closed_years/fy2020.json is not JSON" in printed

    completed = run_warehouse(home, "--json", "refresh")
    assert completed.returncode == 3, completed.stderr[-3000:]
    record = json.loads(completed.stdout)
    assert record["status"] == "success"  # a new build: the year is no longer loaded as closed
    [item] = record["closed_years"]["set_aside"]
    for text in ("closed_years/fy2020.json が読めない", "closed_years/fy2020.json is not JSON",
                 f"moved to closed_years/_damaged/{record['run_id']}/", "`warehouse close-year 2020`"):
        assert text in item["reason"] and text in completed.stderr, text
    assert _damaged_files(home) == {f"{record['run_id']}/fy2020.json": garbage,
                                    f"{record['run_id']}/fy2020.parquet": snapshot}
    assert closed_fiscal_years(home) == set()
    assert _reported(home).height == 0
    assert _status(home)["closed_year_problems"] == []

    code, record = _refresh(home)  # the year is simply open now
    assert (code, record["status"]) == (0, "no_op")
