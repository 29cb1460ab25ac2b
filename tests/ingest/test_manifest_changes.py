"""The manifest is appended to, not rewritten, per run (issue 12, item 2): a run's new and changed file versions
go into one change file beside the base, a reader applies them in order, every MAX_CHANGE_FILES runs the
manifest is written whole again, and a change file that does not read stops the refresh instead of being
taken for fewer versions."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ingest.common import lake


def _version(number: int) -> dict:
    sha = f"{number:064x}"
    return {
        "sha256": sha, "kind": "certificates", "path": f"/landing/certificates/c{number}.csv",
        "file_name": f"c{number}.csv", "size_bytes": 100 + number, "mtime_ns": 10**18 + number,
        "tables": ["certificate_issuances"], "fiscal_months": [f"2021-{1 + number % 12:02d}"], "rows_in": number,
        "rows_out": number, "loaded_at": datetime(2021, 4, 1, 9, number % 60), "run_id": f"run-{number}",
        "parts": [{"table": "certificate_issuances", "fiscal_month": f"2021-{1 + number % 12:02d}", "rows": number,
                   "parquet": f"certificate_issuances/fiscal_month=2021-{1 + number % 12:02d}/{sha[:16]}.parquet",
                   "scope": [""], "live": True, "sha256": "ab" * 32, "bytes": 1000}],
        "status": "live", "status_note": {}, "archive": f"{sha[:2]}/{sha}/c{number}.csv",
    }


def _change_files(lake_dir: Path) -> list[str]:
    return sorted(p.name for p in lake_dir.glob("_manifest.*.*.parquet") if p.name != lake.PREVIOUS_MANIFEST_NAME)


def _append_run(lake_dir: Path, first_new: int, replaced: int) -> list[dict]:
    """What one ingest run does: one older version's part replaced, two new versions, one write."""
    rows = lake.read_manifest(lake_dir)
    read = len(rows)
    rows[replaced]["parts"][0].update(live=False, replaced_by=f"{first_new:064x}")
    rows += [_version(first_new), _version(first_new + 1)]
    lake.write_manifest(lake_dir, rows, shared_from=read, changed={replaced})
    return rows


def test_a_run_appends_one_change_file_and_a_reader_applies_it(tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    lake.write_manifest(lake_dir, [_version(n) for n in range(10)])
    base = (lake_dir / lake.MANIFEST_NAME).read_bytes()
    expected = _append_run(lake_dir, 100, replaced=3)
    assert (lake_dir / lake.MANIFEST_NAME).read_bytes() == base, "the base is not rewritten"
    assert len(_change_files(lake_dir)) == 1
    assert lake.read_manifest(lake_dir, shared=True) == expected, "what the run keeps for the steps after it"
    lake._SHARED.clear()
    assert lake.read_manifest(lake_dir) == expected, "a fresh read"
    assert expected[3]["parts"][0]["live"] is False and len(expected) == 12


def test_after_max_change_files_the_manifest_is_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setattr(lake, "MAX_CHANGE_FILES", 3)
    lake_dir = tmp_path / "lake"
    lake.write_manifest(lake_dir, [_version(n) for n in range(20)])
    for run in range(3):
        _append_run(lake_dir, 100 + 2 * run, replaced=run)
    assert len(_change_files(lake_dir)) == 3
    before_whole_write = lake.read_manifest(lake_dir)
    expected = _append_run(lake_dir, 200, replaced=10)
    assert _change_files(lake_dir) == [], "a whole write removes the change files it includes"
    assert lake.read_manifest(lake_dir) == expected
    assert lake.read_manifest_file(lake_dir / lake.PREVIOUS_MANIFEST_NAME) == before_whole_write, (
        "the previous copy is the manifest as it read before, its change files applied")


def test_change_files_of_an_older_base_are_ignored(tmp_path: Path) -> None:
    """A kill between a whole write's rename and its removal of the old change files leaves them behind: they
    belong to another generation and are not applied."""
    lake_dir = tmp_path / "lake"
    lake.write_manifest(lake_dir, [_version(n) for n in range(10)])
    _append_run(lake_dir, 100, replaced=3)
    stale = lake_dir / _change_files(lake_dir)[0]
    kept = stale.read_bytes()
    rows = [_version(n) for n in range(5)]
    lake.write_manifest(lake_dir, rows)  # an operator's action: whole
    assert _change_files(lake_dir) == []
    stale.write_bytes(kept)
    assert lake.read_manifest(lake_dir) == rows


def test_a_change_file_that_does_not_read_is_damage_not_fewer_versions(tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    lake.write_manifest(lake_dir, [_version(n) for n in range(10)])
    first = _append_run(lake_dir, 100, replaced=3)
    _append_run(lake_dir, 200, replaced=4)
    second = lake_dir / _change_files(lake_dir)[1]
    second.write_bytes(second.read_bytes()[:40])
    with pytest.raises(lake.ManifestDamaged, match=r"warehouse verify --repair"):
        lake.read_manifest(lake_dir)
    rows, why = lake.read_manifest_as_far_as_it_reads(lake_dir)
    assert rows == first and second.name in why, "a repair starts from the base and the change files that read"


def test_a_lost_change_file_is_damage_even_the_last(tmp_path: Path) -> None:
    """The head names the last committed change file: losing it (or the head) stops the refresh instead of
    publishing without that run's versions."""
    lake_dir = tmp_path / "lake"
    lake.write_manifest(lake_dir, [_version(n) for n in range(10)])
    first = _append_run(lake_dir, 100, replaced=3)
    _append_run(lake_dir, 200, replaced=4)
    last = lake_dir / _change_files(lake_dir)[-1]
    kept = last.read_bytes()
    last.unlink()
    with pytest.raises(lake.ManifestDamaged, match=last.name):
        lake.read_manifest(lake_dir)
    assert lake.read_manifest_as_far_as_it_reads(lake_dir)[0] == first
    last.write_bytes(kept)
    (lake_dir / lake.HEAD_NAME).unlink()
    with pytest.raises(lake.ManifestDamaged, match=lake.HEAD_NAME):
        lake.read_manifest(lake_dir)


def test_a_change_file_after_the_head_is_not_committed_and_is_written_over(tmp_path: Path) -> None:
    """A kill after a change file's rename and before the head moved: that run is not recorded (its parts are
    orphans the next lake check moves aside, its landing files are read again), and the next run takes its name."""
    lake_dir = tmp_path / "lake"
    lake.write_manifest(lake_dir, [_version(n) for n in range(10)])
    committed = _append_run(lake_dir, 100, replaced=3)
    head = (lake_dir / lake.HEAD_NAME).read_bytes()
    _append_run(lake_dir, 200, replaced=4)
    (lake_dir / lake.HEAD_NAME).write_bytes(head)  # as if killed before the head was written
    assert lake.read_manifest(lake_dir) == committed
    expected = _append_run(lake_dir, 300, replaced=5)
    assert len(_change_files(lake_dir)) == 2 and lake.read_manifest(lake_dir) == expected
    assert {row["sha256"] for row in expected} >= {f"{300:064x}"} and f"{200:064x}" not in {
        row["sha256"] for row in expected}


def test_a_whole_write_killed_before_its_rename_leaves_the_old_manifest_as_it_was(tmp_path: Path) -> None:
    """A whole write names its new generation in the head before the new base is renamed in, keeping the old
    generation's count beside it: killed in between, the old base still reads with all its change files."""
    lake_dir = tmp_path / "lake"
    lake.write_manifest(lake_dir, [_version(n) for n in range(10)])
    expected = _append_run(lake_dir, 100, replaced=3)
    head = lake_dir / lake.HEAD_NAME
    head.write_text("0123456789ab 0\n" + head.read_text(encoding="utf-8"), encoding="utf-8")
    assert lake.read_manifest(lake_dir) == expected
