"""Damage nobody reported, and the home check that repairs it (issue 11, items 3 and 4): a damaged served file and
damaged kept versions, rollback that verifies and skips, rollback during a refresh, leftovers, an old-layout home.

Small warehouses published with warehouse.platform.database (no refresh) keep these fast; the CLI is run for real."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_warehouse
from warehouse.platform import database, ledger
from warehouse.platform.settings import load_settings

RUNS = ("20210201T000000Z-aaaaaa", "20210301T000000Z-bbbbbb", "20210401T000000Z-cccccc")


def _build(settings, run_id: str, value: int) -> Path:
    path = settings.build_dir / f"{run_id}.duckdb"
    with database.connect_build(path) as con:
        con.execute("create schema meta")
        con.execute("create table meta.warehouse_version as select ? as version_id, ? as value",
                    [f"{database.VERSION_PREFIX}{run_id}", value])
        con.execute("create table main.numbers as select range as n from range(50000)")
    database.finalize_build(path)
    return path


def _docs(settings, run_id: str) -> Path:
    docs = settings.build_dir / f"{run_id}.docs"
    docs.mkdir(parents=True)
    (docs / "manifest.json").write_text(json.dumps({"nodes": {}, "run": run_id}), encoding="utf-8")
    return docs


def _export(db: Path, target: Path) -> None:
    target.mkdir()
    with duckdb.connect(str(db), read_only=True) as con:
        version = con.sql("select version_id from meta.warehouse_version").fetchall()[0][0]
    (target / "catalog.json").write_text(json.dumps({"dataset": [], "version": version}), encoding="utf-8")


def _value(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql("select value from meta.warehouse_version").fetchall()[0][0]


def _damage(path: Path, keep_mtime: bool = False) -> None:
    """Overwrite bytes in the middle of a file in place (the size stays; bit rot keeps the mtime too)."""
    stat = path.stat()
    with path.open("r+b") as handle:
        handle.seek(stat.st_size // 3)
        handle.write(os.urandom(8192))
    if keep_mtime:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "home"))
    settings = load_settings()
    for number, run_id in enumerate(RUNS, start=1):
        database.publish(settings, _build(settings, run_id, number), run_id, _docs(settings, run_id), export=_export)
    return settings


def _version(run_id: str) -> str:
    return f"{database.VERSION_PREFIX}{run_id}"


def _assert_whole(settings, value: int) -> None:
    home = settings.home
    version = Path(os.readlink(home / "current")).name
    assert _value(home / "warehouse.duckdb") == value
    assert json.loads((home / "published.json").read_text())["version_id"] == version
    assert json.loads((home / "open" / "catalog.json").read_text())["version"] == version
    assert json.loads((home / "docs" / "manifest.json").read_text())["run"] == version.removeprefix("warehouse-")


def test_layout_after_publish(settings) -> None:
    home = settings.home
    _assert_whole(settings, 3)
    for name, target in database.LINKS.items():
        assert os.readlink(home / name) == target
    served = (home / "warehouse.duckdb").resolve()
    kept = home / "versions" / f"{_version(RUNS[2])}.duckdb"
    assert served.stat().st_ino != kept.stat().st_ino, "a kept version is never the served file's inode"
    assert kept.stat().st_nlink == 1
    record = json.loads(kept.with_suffix(".json").read_text())
    assert record["sha256"] == database.sha256_file(kept) == json.loads((home / "published.json").read_text())["sha256"]
    assert not list(settings.build_dir.glob("*.duckdb")), "the build file moved into its release"


@pytest.mark.parametrize("keep_mtime", [False, True], ids=["rewritten", "bit-rot"])
def test_damaged_served_file_is_repaired_from_its_kept_copy(settings, keep_mtime: bool) -> None:
    served = (settings.home / "warehouse.duckdb").resolve()
    _damage(served, keep_mtime=keep_mtime)
    completed = run_warehouse(settings.home, "status", "--json")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr
    report = json.loads(completed.stdout)
    assert report["served_file"]["opens"] and report["served_file"]["checksum_ok"]
    assert any("damaged" in line and "restored" in line for line in report["home_check"]["repairs"]), report
    _assert_whole(settings, 3)
    assert database.sha256_file(served) == json.loads((settings.home / "published.json").read_text())["sha256"]
    repair = ledger.read_all(settings)[-1]
    assert repair["kind"] == "repair" and "restored" in repair["message"]
    runs = json.loads(run_warehouse(settings.home, "status", "--json").stdout)["runs"]
    assert runs[0]["kind"] == "repair", "status shows the repair"


def test_damaged_served_file_and_kept_copy_fall_back_to_the_newest_sound_version(settings) -> None:
    _damage((settings.home / "warehouse.duckdb").resolve())
    _damage(settings.versions_dir / f"{_version(RUNS[2])}.duckdb")
    completed = run_warehouse(settings.home, "status", "--json")
    report = json.loads(completed.stdout)
    assert completed.returncode == 0, completed.stderr
    assert any(f"now serving {_version(RUNS[1])}" in line for line in report["home_check"]["repairs"]), report
    _assert_whole(settings, 2)


def test_status_reports_a_served_file_that_does_not_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "home"))
    settings = load_settings()
    database.publish(settings, _build(settings, RUNS[0], 1), RUNS[0])
    served = (settings.home / "warehouse.duckdb").resolve()
    served.write_bytes(b"not a duckdb file at all" * 100)  # and no kept copy to repair it from:
    (settings.versions_dir / f"{_version(RUNS[0])}.duckdb").write_bytes(b"also damaged")
    completed = run_warehouse(settings.home, "status", "--json")
    assert completed.returncode == 1
    report = json.loads(completed.stdout)
    assert report["served_file"]["opens"] is False and report["served_file"]["error"]
    assert any("damaged" in p for p in report["home_check"]["problems"]), report
    human = run_warehouse(settings.home, "status")
    assert human.returncode == 1 and "is not sound" in human.stderr and "Traceback" not in human.stderr


def test_rollback_verifies_and_skips_a_damaged_version(settings) -> None:
    # the version before the served one is damaged in its release folder and in versions/
    _damage(database.release_dir(settings, _version(RUNS[1])) / "warehouse.duckdb")
    _damage(settings.versions_dir / f"{_version(RUNS[1])}.duckdb")
    completed = run_warehouse(settings.home, "rollback", "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["warehouse_version"] == _version(RUNS[0])
    assert f"skipped {_version(RUNS[1])}" in completed.stderr and "damaged" in completed.stderr
    _assert_whole(settings, 1)


def test_rollback_repairs_a_damaged_release_copy_from_its_kept_copy(settings) -> None:
    _damage(database.release_dir(settings, _version(RUNS[1])) / "warehouse.duckdb", keep_mtime=True)
    completed = run_warehouse(settings.home, "rollback", "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["warehouse_version"] == _version(RUNS[1])
    _assert_whole(settings, 2)


def test_rollback_never_serves_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "home"))
    settings = load_settings()
    for number, run_id in enumerate(RUNS[:2], start=1):
        database.publish(settings, _build(settings, run_id, number), run_id)
    _damage(database.release_dir(settings, _version(RUNS[0])) / "warehouse.duckdb")
    _damage(settings.versions_dir / f"{_version(RUNS[0])}.duckdb")
    completed = run_warehouse(settings.home, "rollback")
    assert completed.returncode == 1
    assert _version(RUNS[0]) in completed.stderr and "no older version can be served" in completed.stderr
    assert _value(settings.home / "warehouse.duckdb") == 2, "the served version stays"


def test_rollback_during_a_refresh_exits_75(settings) -> None:
    with (settings.home / ".refresh.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        completed = run_warehouse(settings.home, "rollback")
    assert completed.returncode == 75 and "a refresh is running" in completed.stderr
    _assert_whole(settings, 3)


def test_leftovers_are_removed_only_when_no_refresh_runs(settings) -> None:
    home = settings.home
    half = settings.releases_dir / f"{database.VERSION_PREFIX}20210501T000000Z-dddddd"
    half.mkdir()
    (half / "warehouse.duckdb").write_bytes(b"half")
    (home / ".current.tmp-999").symlink_to("releases/nowhere")
    (settings.build_dir / "20210501T000000Z-dddddd.duckdb").write_bytes(b"build")
    (settings.build_dir / "ingest_staging").mkdir()  # not ours to remove
    (settings.versions_dir / f"{database.VERSION_PREFIX}20210501T000000Z-dddddd.duckdb").write_bytes(b"half copy")
    open_dir = (home / "open").resolve()
    (open_dir.parent / ".open.tmp-999").mkdir()
    with (home / ".refresh.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        running = run_warehouse(home, "status", "--json")
        assert half.exists(), "a running refresh's files are not leftovers"
    assert json.loads(running.stdout)["home_check"]["refresh_running"]
    completed = run_warehouse(home, "status", "--json")
    assert completed.returncode == 0, completed.stderr
    assert not half.exists() and not (home / ".current.tmp-999").is_symlink()
    assert not (open_dir.parent / ".open.tmp-999").exists()
    assert [p.name for p in settings.build_dir.iterdir()] == ["ingest_staging"]
    assert not (settings.versions_dir / f"{database.VERSION_PREFIX}20210501T000000Z-dddddd.duckdb").exists()
    _assert_whole(settings, 3)


@pytest.mark.parametrize("damage", ["current-deleted", "current-dangling", "link-deleted", "pointer-overwritten",
                                    "docs-replaced-by-folder"])
def test_pointer_and_links_are_repaired(settings, damage: str) -> None:
    home = settings.home
    if damage == "current-deleted":
        (home / "current").unlink()
    elif damage == "current-dangling":
        (home / "current").unlink()
        (home / "current").symlink_to("releases/warehouse-19990101T000000Z-000000")
    elif damage == "link-deleted":
        (home / "warehouse.duckdb").unlink()
    elif damage == "pointer-overwritten":  # writes through the link: release.json of the served version
        (home / "published.json").write_text("{garbage", encoding="utf-8")
    elif damage == "docs-replaced-by-folder":
        (home / "docs").unlink()
        (home / "docs").mkdir()
    completed = run_warehouse(home, "status", "--json")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr
    _assert_whole(settings, 3)


def test_old_layout_home_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home from before release folders: plain warehouse.duckdb, hard-linked versions/, published.json."""
    home = tmp_path / "home"
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    settings = load_settings()
    (home / "versions").mkdir(parents=True)
    for number, run_id in enumerate(RUNS[:2], start=1):
        build = _build(settings, run_id, number)
        kept = home / "versions" / f"{_version(run_id)}.duckdb"
        os.replace(build, kept)
        docs = home / "versions" / f"{_version(run_id)}.docs"
        docs.mkdir()
        (docs / "manifest.json").write_text(json.dumps({"run": run_id}), encoding="utf-8")
    os.link(home / "versions" / f"{_version(RUNS[1])}.duckdb", home / "warehouse.duckdb")
    shutil.copytree(home / "versions" / f"{_version(RUNS[1])}.docs", home / "docs")
    (home / "open").mkdir()
    (home / "open" / "catalog.json").write_text(json.dumps({"dataset": [], "version": _version(RUNS[1])}))
    (home / "published.json").write_text(json.dumps({"version_id": _version(RUNS[1]), "run_id": RUNS[1]}))
    (home / "runs").mkdir()
    completed = run_warehouse(home, "status", "--json")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr
    report = json.loads(completed.stdout)
    assert any("migrated" in line for line in report["home_check"]["repairs"]), report
    _assert_whole(settings, 2)
    served = (home / "warehouse.duckdb").resolve()
    assert all(p.stat().st_nlink == 1 for p in (home / "versions").glob("*.duckdb"))
    assert served.stat().st_ino != (home / "versions" / f"{_version(RUNS[1])}.duckdb").stat().st_ino
    assert not list((home / "versions").glob("*.docs"))
    rolled = run_warehouse(home, "rollback", "--json")
    assert rolled.returncode == 0, rolled.stderr
    assert _value(home / "warehouse.duckdb") == 1
