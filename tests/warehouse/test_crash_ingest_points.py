"""Kills during ingest lose no row: SIGKILL at every lake kill point (docs/fault_injection.md), then the
next run's lake check and ingest end with exactly the lake an uninterrupted ingest writes.

These points are reached before any dbt build, so the cases run ingest alone (seconds each); the whole
refresh after a kill is covered by test_crash_kill_points.py."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import REPO, warehouse_env

INGEST = "from ingest import ingest_landing; from warehouse.platform.settings import load_settings; " \
         "ingest_landing(load_settings(), 'run-under-test')"
POINTS = [
    ("ingest.after_archive", 1), ("ingest.after_archive", 4),
    ("ingest.after_lake_part", 1), ("ingest.after_lake_part", 5),
    ("lake.manifest_before_replace", 1),  # ingest writes the manifest once per run: there is no second write
    ("ingest.after_manifest", 1), ("ingest.after_manifest", 6),
]


def _env(home: Path, **extra: str) -> dict[str, str]:
    """One salt for every home here, so client hashes compare across homes."""
    return warehouse_env(home, WAREHOUSE_INGEST_SALT_FILE=str(home.parent.parent / "shared_ip_salt"), **extra)


def _ingest(home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", INGEST], env=_env(home, **extra), cwd=REPO, check=False,
                          capture_output=True, text=True, timeout=300)


def _recover(home: Path) -> None:
    """What the next refresh does first: check and repair the lake, then ingest what is in landing."""
    code = ("from datetime import date; from warehouse.platform.settings import load_settings; "
            "from warehouse.verify import repair_lake; "
            "r = repair_lake(load_settings(), 'recovery', today=date(2021, 4, 20), rebuild=False); "
            "assert r.manifest_ok and not r.set_aside, r.to_dict()")
    checked = subprocess.run([sys.executable, "-c", code], env=_env(home), cwd=REPO, capture_output=True, check=False,
                             text=True, timeout=300)
    assert checked.returncode == 0, checked.stderr[-3000:]
    completed = _ingest(home)
    assert completed.returncode == 0, completed.stderr[-3000:]


def _lake_rows(home: Path) -> dict[str, pl.DataFrame]:
    """Every live row of every lake table (lineage timestamps dropped), in a stable order."""
    from ingest.common import lake

    rows = lake.read_manifest(home / "lake")
    tables: dict[str, list[Path]] = {}
    for part in lake.live_parts(rows):
        tables.setdefault(part["table"], []).append(home / "lake" / part["parquet"])
    result = {}
    for table, files in tables.items():
        frame = pl.read_parquet([str(f) for f in files], glob=False).drop("loaded_at")
        result[table] = frame.sort(frame.columns)
    return result


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One month of every kind of sample extract, plus a corrected certificates file for the same month."""
    from demo_data import write_sample_extracts

    folder = tmp_path_factory.mktemp("landing") / "landing"
    write_sample_extracts(folder, start_month="2021-03", end_month="2021-03", seed=20160201,
                          real_data_dir=REPO.parent / "shared" / "data" / "real")
    return folder


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> dict[str, pl.DataFrame]:
    home = tmp_path_factory.mktemp("reference") / "home"
    shutil.copytree(landing, home / "landing")
    assert _ingest(home).returncode == 0
    return _lake_rows(home)


@pytest.mark.parametrize(("point", "after"), POINTS, ids=[f"{p}#{n}" for p, n in POINTS])
def test_a_kill_during_ingest_loses_no_row(tmp_path: Path, landing: Path, uninterrupted, point: str, after: int):
    home = tmp_path / "home"
    shutil.copytree(landing, home / "landing")
    killed = _ingest(home, WAREHOUSE_KILL_AT=point, WAREHOUSE_KILL_AFTER=str(after))
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-2000:])
    _recover(home)
    recovered = _lake_rows(home)
    assert set(recovered) == set(uninterrupted)
    for table, frame in uninterrupted.items():
        assert recovered[table].equals(frame), table
    leftovers = [p for p in (home / "lake").rglob("*") if ".tmp-" in p.name]
    assert not leftovers, leftovers


@pytest.mark.parametrize("point", ["ingest.after_manifest", "lake.manifest_before_replace"])
def test_a_kill_after_a_correction_is_committed_finishes_the_replacement(tmp_path: Path, landing: Path, point: str):
    """Killed after the corrected file's version is in the manifest's change file but before the replaced part is
    deleted, or before that change file is renamed into place: the next run's lake check deletes the replaced
    part (or sets the unrecorded new one aside and ingest reads the file again), and the month holds the corrected
    rows only once."""
    home = tmp_path / "home"
    shutil.copytree(landing, home / "landing")
    assert _ingest(home).returncode == 0
    before = _lake_rows(home)["certificate_issuances"].height
    original = next((home / "landing" / "certificates").glob("*2021-03*"))
    corrected = original.with_name("certificates_2021-03_corrected" + original.suffix)
    corrected.write_bytes(original.read_bytes() + b"\r\n")
    killed = _ingest(home, WAREHOUSE_KILL_AT=point)
    assert killed.returncode == -signal.SIGKILL
    stale = list((home / "lake" / "certificate_issuances").glob("fiscal_month=2021-03/*.parquet"))
    assert len(stale) == 2, "the replaced part is still on disk"
    changes = [p.name for p in (home / "lake").glob("_manifest.*.*.parquet") if p.name != "_manifest.prev.parquet"]
    assert len(changes) == (point == "ingest.after_manifest"), "the run appends, and only a whole file is renamed"
    _recover(home)
    assert len(list((home / "lake" / "certificate_issuances").glob("fiscal_month=2021-03/*.parquet"))) == 1
    assert _lake_rows(home)["certificate_issuances"].height == before
