"""Atomic publish and rollback on real DuckDB files, with a reader in another process."""
from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from warehouse.platform import database
from warehouse.platform.settings import load_settings


def _build(settings, run_id: str, value: int) -> Path:
    path = settings.build_dir / f"{run_id}.duckdb"
    with database.connect_build(path) as con:
        con.execute("create schema meta")
        con.execute("create table meta.marker as select ? as value", [value])
        con.execute("create table main.numbers as select range as n from range(100000)")
    database.finalize_build(path)
    return path


def _marker(path: Path) -> int:
    with database.connect_read_only(path) as con:
        return con.sql("select value from meta.marker").fetchall()[0][0]


@pytest.fixture()
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "home"))
    return load_settings()


def test_publish_swaps_file_and_keeps_versions(settings):
    first = database.publish(settings, _build(settings, "20260101T000000Z-aaaaaa", 1), "20260101T000000Z-aaaaaa")
    assert _marker(settings.published_path) == 1
    database.publish(settings, _build(settings, "20260201T000000Z-bbbbbb", 2), "20260201T000000Z-bbbbbb")
    assert _marker(settings.published_path) == 2
    assert [p.name for p in database.list_versions(settings)] == [
        "warehouse-20260101T000000Z-aaaaaa.duckdb", "warehouse-20260201T000000Z-bbbbbb.duckdb"]
    assert not list(settings.build_dir.glob("*.duckdb")), "the build file moves into versions/"
    rolled = database.rollback(settings)
    assert rolled.version_id == first.version_id
    assert _marker(settings.published_path) == 1
    assert database.current_version(settings)["rolled_back_from"] == "warehouse-20260201T000000Z-bbbbbb"


def test_rollback_without_older_version_is_a_clear_error(settings):
    with pytest.raises(database.PublishError, match="nothing is published"):
        database.rollback(settings)
    database.publish(settings, _build(settings, "20260101T000000Z-aaaaaa", 1), "20260101T000000Z-aaaaaa")
    with pytest.raises(database.PublishError, match="oldest version"):
        database.rollback(settings)


def test_versions_are_pruned_to_the_configured_count(settings, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_PUBLISH_VERSIONS_KEPT", "2")
    settings = load_settings()
    for month in range(1, 5):
        run_id = f"2026{month:02d}01T000000Z-cccccc"
        database.publish(settings, _build(settings, run_id, month), run_id)
    assert len(database.list_versions(settings)) == 2
    assert _marker(settings.published_path) == 4


def test_build_with_wal_is_refused(settings):
    path = settings.build_dir / "x.duckdb"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    Path(f"{path}.wal").write_bytes(b"pending")
    with pytest.raises(database.PublishError, match="write-ahead log"):
        database.publish(settings, path, "x")


def test_connect_build_refuses_the_published_file(settings):
    settings.home.mkdir(parents=True)
    with pytest.raises(database.PublishError, match="refusing"):
        database.connect_build(settings.published_path)


def test_reader_in_another_process_keeps_reading_during_publish(settings, tmp_path):
    """A dashboard's read-only connection sees no lock error while a new version is swapped in."""
    database.publish(settings, _build(settings, "20260101T000000Z-aaaaaa", 1), "20260101T000000Z-aaaaaa")
    before = hashlib.sha256(settings.published_path.read_bytes()).hexdigest()
    reader = textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(settings.published_path)!r}, read_only=True)
        seen = set()
        deadline = time.time() + 6
        while time.time() < deadline:
            seen.add(con.sql("select value from meta.marker").fetchall()[0][0])
            con.sql("select sum(n) from main.numbers").fetchall()
            time.sleep(0.01)
        con.close()
        con = duckdb.connect({str(settings.published_path)!r}, read_only=True)
        after = con.sql("select value from meta.marker").fetchall()[0][0]
        print(sorted(seen), after)
    """)
    process = subprocess.Popen([sys.executable, "-c", reader], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(1.5)
    build = _build(settings, "20260201T000000Z-bbbbbb", 2)  # writer works while the reader holds its connection
    database.publish(settings, build, "20260201T000000Z-bbbbbb")
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert stdout.strip() == "[1] 2", "reader kept the old version until it reconnected, then saw the new one"
    assert hashlib.sha256(database.list_versions(settings)[0].read_bytes()).hexdigest() == before
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        assert con.sql("select value from meta.marker").fetchall()[0][0] == 2


def test_a_failed_publish_keeps_the_served_version_and_leaves_no_half_release(settings):
    import errno

    database.publish(settings, _build(settings, "20260101T000000Z-aaaaaa", 1), "20260101T000000Z-aaaaaa")

    def disk_full(db_path: Path, target: Path) -> None:
        target.mkdir()
        (target / "part.csv").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        database.publish(settings, _build(settings, "20260201T000000Z-bbbbbb", 2), "20260201T000000Z-bbbbbb",
                         export=disk_full)
    assert _marker(settings.published_path) == 1
    assert [p.name for p in settings.releases_dir.iterdir()] == ["warehouse-20260101T000000Z-aaaaaa"]
    assert [p.name for p in database.list_versions(settings)] == ["warehouse-20260101T000000Z-aaaaaa.duckdb"]
    assert database.check_home(settings).repairs == []


def test_published_file_is_reached_through_links_into_one_release(settings):
    database.publish(settings, _build(settings, "20260101T000000Z-aaaaaa", 1), "20260101T000000Z-aaaaaa")
    release = settings.releases_dir / "warehouse-20260101T000000Z-aaaaaa"
    assert settings.published_path.resolve() == (release / "warehouse.duckdb").resolve()
    assert settings.docs_dir.resolve() == (release / "docs").resolve()
    assert settings.open_dir.resolve() == (release / "open").resolve()
    assert database.current_version(settings)["version_id"] == release.name
    kept = database.list_versions(settings)[0]
    assert kept.stat().st_ino != settings.published_path.stat().st_ino
