"""The run ledger cannot crash the tool: whole-line appends, a torn line skipped with a warning, a "running"
record for every run, a killed run recorded as killed by the next command (issue 11, items 3 and 5)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_warehouse
from warehouse.platform import database, ledger
from warehouse.platform.settings import load_settings


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return load_settings()


def _record(run_id: str, status: str = "success") -> ledger.RunRecord:
    return ledger.RunRecord(run_id=run_id, kind="refresh", started_at="2021-04-20T00:00:00+00:00",
                            as_of_date="2021-04-20", status=status, message=f"run {run_id}")


def test_torn_last_line_is_skipped_with_a_warning_and_the_next_append_is_whole(settings) -> None:
    ledger.append(settings, _record("20210420T000000Z-aaaaaa"))
    path = settings.runs_dir / ledger.LEDGER_FILE
    with path.open("ab") as handle:  # what a kill or a full disk mid-append leaves: no newline at the end
        handle.write(b'{"run_id": "20210420T000001Z-bbbbbb", "kind": "refr')
    warnings: list[str] = []
    assert [r["run_id"] for r in ledger.read_all(settings, warnings)] == ["20210420T000000Z-aaaaaa"]
    assert len(warnings) == 1 and "line 2" in warnings[0] and "torn" in warnings[0]
    ledger.append(settings, _record("20210420T000002Z-cccccc"))
    assert [r["run_id"] for r in ledger.read_all(settings)] == ["20210420T000000Z-aaaaaa", "20210420T000002Z-cccccc"]
    assert path.read_bytes().endswith(b"\n")


def test_garbage_lines_do_not_hide_the_others(settings) -> None:
    settings.runs_dir.mkdir()
    path = settings.runs_dir / ledger.LEDGER_FILE
    good = json.dumps(_record("20210420T000000Z-aaaaaa").to_dict())
    path.write_bytes(b"\x00\x00\x00\n" + good.encode() + b"\n[1, 2]\n{}\n\xff\xfe broken\n")
    warnings: list[str] = []
    assert [r["run_id"] for r in ledger.read_all(settings, warnings)] == ["20210420T000000Z-aaaaaa"]
    assert len(warnings) == 4


def test_a_run_is_recorded_running_then_finished_and_read_once(settings) -> None:
    record = _record("20210420T000000Z-aaaaaa", status="running")
    ledger.append(settings, record)
    record.status = "success"
    ledger.append(settings, record)
    lines = (settings.runs_dir / ledger.LEDGER_FILE).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["running", "success"]
    assert [(r["run_id"], r["status"]) for r in ledger.read_all(settings)] == [("20210420T000000Z-aaaaaa", "success")]


def test_a_killed_run_is_recorded_by_the_next_check_but_not_while_the_lock_is_held(settings) -> None:
    settings.releases_dir.mkdir()
    ledger.append(settings, _record("20210420T000000Z-aaaaaa", status="running"))
    with database.home_lock(settings):  # a refresh is running: its record is not stale
        report = database.check_home(settings)
        assert report.refresh_running and report.ok
    assert ledger.read_all(settings)[-1]["status"] == "running"
    report = database.check_home(settings)
    assert any("was killed" in line for line in report.repairs), report
    runs = ledger.read_all(settings)
    killed = next(r for r in runs if r["run_id"] == "20210420T000000Z-aaaaaa")
    assert killed["status"] == "killed" and "nothing it did was published" in killed["message"]
    repair = runs[-1]
    assert repair["kind"] == "repair" and repair["status"] == "repaired" and "was killed" in repair["message"]
    assert database.check_home(settings).repairs == [], "nothing left to repair"


def test_status_survives_a_torn_ledger(settings) -> None:
    ledger.append(settings, _record("20210420T000000Z-aaaaaa"))
    with (settings.runs_dir / ledger.LEDGER_FILE).open("ab") as handle:
        handle.write(b'{"run_id": "torn')
    completed = run_warehouse(settings.home, "status", "--json")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["runs"][0]["run_id"] == "20210420T000000Z-aaaaaa"
    assert report["ledger_warnings"] and "Traceback" not in completed.stderr
    human = run_warehouse(settings.home, "status")
    assert human.returncode == 0 and "torn" in human.stderr
