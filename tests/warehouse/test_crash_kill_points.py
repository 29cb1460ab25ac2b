"""Fault injection (issue 11): SIGKILL at every named kill point of publish, export, ledger and rollback, and at
random moments; after each, one whole version is served and the next plain refresh leaves a clean home whose
marts equal an uninterrupted run's. docs/fault_injection.md lists the points.

Cost is kept low with one-month homes built once per module:
- `base`: a demo of February 2021, published.
- publish-phase points: `snapshot` is `base` + `refresh --full-rebuild` killed at `publish.after_finalize`
  (a finished, checked build waiting to be published). Each case copies it and runs the rest of that refresh
  (the publish and the ledger record, the same calls `Refresh` makes: PUBLISH_DRIVER) with the kill point set.
  The lake is unchanged, so the next plain refresh is a no-op whichever version ended up served, and the
  marts must equal `base`'s.
- whole-refresh points (REFRESH_POINTS, extend the list for new `ingest.*`/`refresh.*` points) and random
  moments: `pending` is `base` + March's landing files; a real `warehouse refresh` is killed, then the next
  plain refresh must publish marts equal to `reference` (the same refresh, uninterrupted).
- rollback points: a real `warehouse rollback` on `reference` (two versions) is killed.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, WAREHOUSE, run_warehouse, warehouse_env

pytestmark = pytest.mark.slow

KILLED = -signal.SIGKILL
MARTS = ("mart_certificate_channel_shift", "mart_gis_usage_monthly", "mart_kpi_indicator_progress",
         "mart_web_access_monthly", "mart_facility_energy_monthly")

# Points reached while publishing a finished build (warehouse/platform/database.py, warehouse/products/open_data.py,
# warehouse/platform/ledger.py), in the order they are reached. Each id is (point, extra environment).
PUBLISH_POINTS: list[tuple[str, dict[str, str]]] = [
    ("publish.after_release_dir", {}),
    ("publish.after_move_build", {}),
    ("publish.after_docs", {}),
    ("open_data.after_dataset", {}),
    ("open_data.before_swap", {}),
    ("publish.after_open", {}),
    ("publish.after_version_copy", {}),
    ("publish.after_release_json", {}),
    ("publish.after_version_record", {}),
    ("current.before_rename", {}),
    ("current.after_rename", {}),
    ("publish.after_switch", {}),
    ("publish.after_links", {}),
    ("prune.after_kept_copy", {"WAREHOUSE_PUBLISH_VERSIONS_KEPT": "1"}),
    ("publish.after_prune", {}),
    ("ledger.after_run_file", {}),
    ("ledger.after_append", {}),
]

# Points reached by a whole `warehouse refresh` of new files (the lead's ingest.* / refresh.* points go here).
REFRESH_POINTS: list[str] = [
    "refresh.after_running_record",
    "ingest.after_lake_part",
    "refresh.after_ingest",
    "publish.after_open",
]

# Points reached by `warehouse rollback`.
ROLLBACK_POINTS: list[str] = [
    "ledger.after_run_file",  # the rollback's "running" record
    "rollback.before_switch",
    "current.before_rename",
    "current.after_rename",
    "rollback.after_switch",
    "rollback.after_release_note",
]

PUBLISH_DRIVER = """
import json, shutil, sys
from pathlib import Path
from warehouse.platform import database, ledger
from warehouse.refresh import Refresh
from warehouse.platform.settings import load_settings

settings = load_settings()
running = [r for r in ledger.read_all(settings) if r["status"] == "running"][-1]
refresh = Refresh.__new__(Refresh)  # the run that was stopped right before publishing, resumed
refresh.settings, refresh.progress = settings, (lambda step, message: None)
refresh.record = ledger.RunRecord(**running)
refresh.log = ledger.run_logger(settings, refresh.record.run_id)
build = settings.build_dir / f"{refresh.record.run_id}.duckdb"
docs = settings.build_dir / f"{refresh.record.run_id}.docs"
refresh.record.status = "success"
refresh.record.warehouse_version = database.VERSION_PREFIX + refresh.record.run_id
database.publish(settings, build, refresh.record.run_id, docs, export=refresh._export_open_data)
shutil.rmtree(docs, ignore_errors=True)
refresh.record.message += "published " + refresh.record.warehouse_version
refresh.record.finished_at = ledger.utc_now()
ledger.append(settings, refresh.record)
"""


# --- helpers -----------------------------------------------------------------------------------------------

def copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    if (source.parent / "ip_salt").exists():
        shutil.copy2(source.parent / "ip_salt", target.parent / "ip_salt")
    return target


def marts(home: Path) -> dict[str, list[tuple]]:
    """Rows of a few marts, floats rounded (parallel sums differ in the last bits)."""
    def rounded(row: tuple) -> tuple:
        return tuple(round(value, 6) if isinstance(value, float) else value for value in row)

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return {name: sorted((rounded(r) for r in con.sql(f"select * from main.{name}").fetchall()), key=repr)
                for name in MARTS}


def served_version(home: Path) -> str:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql("select version_id from meta.warehouse_version").fetchall()[0][0]


def assert_one_version(home: Path) -> str:
    """The served file, its pointer, docs/ and open/ all belong to one complete release; the file opens."""
    current = home / "current"
    assert current.is_symlink(), "current is the commit point"
    version = Path(os.readlink(current)).name
    release = home / "releases" / version
    assert (home / "warehouse.duckdb").resolve() == (release / "warehouse.duckdb").resolve()
    assert (home / "docs").resolve() == (release / "docs").resolve()
    assert (home / "open").resolve() == (release / "open").resolve()
    assert (home / "published.json").resolve() == (release / "release.json").resolve()
    pointer = json.loads((home / "published.json").read_text(encoding="utf-8"))
    assert pointer["version_id"] == version
    assert served_version(home) == version, "the served file is the version its pointer names"
    assert (release / "docs" / "manifest.json").is_file(), "docs of this version"
    catalog = json.loads((release / "open" / "catalog.json").read_text(encoding="utf-8"))
    assert catalog["dataset"], "the open-data export of this version"
    from warehouse.platform.database import sha256_file

    assert sha256_file(release / "warehouse.duckdb") == pointer["sha256"]
    kept = home / "versions" / f"{version}.duckdb"
    assert kept.is_file() and kept.stat().st_ino != (release / "warehouse.duckdb").stat().st_ino
    return version


def stray_files(home: Path) -> list[str]:
    """Build and temp files, half-built releases, unfinished ledger records."""
    found = [str(p.relative_to(home)) for p in (home / "build").glob("2*")] if (home / "build").exists() else []
    for pattern in (".current.tmp*", ".*tmp-link*", ".open.*", ".docs.*", ".warehouse.duckdb.*", "releases/.*",
                    "releases/*/.*", "versions/.*", "runs/.*tmp*"):
        found += [str(p.relative_to(home)) for p in home.glob(pattern)]
    for release in (home / "releases").iterdir():
        if not (release / "release.json").is_file():
            found.append(f"{release.relative_to(home)} (no release.json)")
    for version in (home / "versions").glob("*.duckdb"):
        if not version.with_suffix(".json").is_file():
            found.append(f"{version.relative_to(home)} (no record)")
    from warehouse.platform.ledger import LEDGER_FILE

    runs: dict[str, str] = {}
    for line in (home / "runs" / LEDGER_FILE).read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        runs[record["run_id"]] = record["status"]
    found += [f"run {run_id} still 'running'" for run_id, status in runs.items() if status == "running"]
    return found


def killed_run(home: Path, args: list[str], point: str, **extra: str) -> subprocess.CompletedProcess[str]:
    completed = run_warehouse(home, *args, WAREHOUSE_KILL_AT=point, **extra)
    assert completed.returncode == KILLED, (point, completed.returncode, completed.stderr[-2000:])
    return completed


def next_refresh_is_clean(home: Path, expected_marts: dict[str, list[tuple]]) -> dict[str, object]:
    """`warehouse status` repairs and reports; the next plain refresh exits 0 and leaves nothing behind."""
    status = run_warehouse(home, "status", "--json")
    assert status.returncode == 0, status.stdout[-2000:] + status.stderr[-2000:]
    assert json.loads(status.stdout)["served_file"]["opens"]
    served_after_kill = assert_one_version(home)
    completed = run_warehouse(home, "refresh", "--json")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    record = json.loads(completed.stdout)
    assert stray_files(home) == []
    version = assert_one_version(home)
    assert marts(home) == expected_marts
    return {"record": record, "version": version, "served_after_kill": served_after_kill}


# --- homes built once per module -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def crash_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crash")


@pytest.fixture(scope="module")
def base(crash_root: Path) -> Path:
    home = crash_root / "base" / "home"
    run_warehouse(home, "demo", "--start", "2021-02", "--end", "2021-02", check=True)
    return home


@pytest.fixture(scope="module")
def base_marts(base: Path) -> dict[str, list[tuple]]:
    return marts(base)


@pytest.fixture(scope="module")
def pending(crash_root: Path, base: Path) -> Path:
    """base + March's landing files (not yet refreshed)."""
    from demo_data import write_sample_extracts
    from warehouse.platform.settings import load_settings

    home = copy_home(base, crash_root / "pending" / "home")
    march = crash_root / "march"
    write_sample_extracts(march, start_month="2021-03", end_month="2021-03", seed=20160201,
                          real_data_dir=load_settings().real_data_dir)
    for path in march.rglob("*"):
        if path.is_file():
            target = home / "landing" / path.relative_to(march)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return home


@pytest.fixture(scope="module")
def reference(crash_root: Path, pending: Path) -> Path:
    """pending, refreshed without interruption: the marts every interrupted run must end with."""
    home = copy_home(pending, crash_root / "reference" / "home")
    run_warehouse(home, "refresh", check=True)
    assert stray_files(home) == []
    return home


@pytest.fixture(scope="module")
def snapshot(crash_root: Path, base: Path) -> Path:
    """A refresh stopped right before publishing: its build file, docs and "running" record are there."""
    home = copy_home(base, crash_root / "snapshot" / "home")
    killed_run(home, ["refresh", "--full-rebuild"], "publish.after_finalize")
    assert list((home / "build").glob("*.duckdb")) and list((home / "build").glob("*.docs"))
    return home


# --- the cases -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("point", "extra"), PUBLISH_POINTS, ids=[p for p, _ in PUBLISH_POINTS])
def test_kill_while_publishing(point: str, extra: dict[str, str], snapshot: Path, base: Path,
                               base_marts: dict[str, list[tuple]], tmp_path: Path) -> None:
    home = copy_home(snapshot, tmp_path / "home")
    before = served_version(base)
    env = warehouse_env(home, WAREHOUSE_KILL_AT=point, **extra)
    completed = subprocess.run([sys.executable, "-c", PUBLISH_DRIVER], env=env, cwd=REPO, capture_output=True,
                               text=True, timeout=300, check=False)
    assert completed.returncode == KILLED, (point, completed.returncode, completed.stderr[-2000:])
    outcome = next_refresh_is_clean(home, base_marts)
    # the lake is unchanged: a no-op (a rebuild only if models changed meanwhile, e.g. a working tree in edit)
    assert outcome["record"]["status"] in {"no_op", "success"}, outcome["record"]["message"]
    published_before_kill = point in {"current.after_rename", "publish.after_switch", "publish.after_links",
                                      "prune.after_kept_copy", "publish.after_prune", "ledger.after_run_file",
                                      "ledger.after_append"}
    assert (outcome["served_after_kill"] != before) == published_before_kill, (point, outcome, before)


@pytest.mark.parametrize("point", REFRESH_POINTS)
def test_kill_during_a_refresh_of_new_files(point: str, pending: Path, reference: Path, tmp_path: Path) -> None:
    home = copy_home(pending, tmp_path / "home")
    killed_run(home, ["refresh"], point)
    outcome = next_refresh_is_clean(home, marts(reference))
    assert outcome["record"]["status"] in {"success", "no_op"}


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_at_a_random_moment(seed: int, pending: Path, reference: Path, tmp_path: Path) -> None:
    """SIGKILL from outside after a random delay within an uninterrupted refresh's duration."""
    home = copy_home(pending, tmp_path / "home")
    record = json.loads((reference / "runs" / "ledger.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    duration = sum(record["step_seconds"].values()) + 2
    delay = random.Random(seed).uniform(1.0, duration)
    process = subprocess.Popen([WAREHOUSE, "refresh"], env=warehouse_env(home), cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGKILL)  # the refresh and its dbt child, as a power cut would
    process.wait(timeout=60)
    outcome = next_refresh_is_clean(home, marts(reference))
    assert outcome["record"]["status"] in {"success", "no_op"}, (delay, outcome["record"]["message"])


@pytest.mark.parametrize("point", ROLLBACK_POINTS)
def test_kill_during_rollback(point: str, reference: Path, base_marts: dict[str, list[tuple]],
                              tmp_path: Path) -> None:
    home = copy_home(reference, tmp_path / "home")
    newer = served_version(home)
    killed_run(home, ["rollback"], point)
    status = run_warehouse(home, "status", "--json")
    assert status.returncode == 0, status.stdout[-2000:] + status.stderr[-2000:]
    version = assert_one_version(home)
    assert stray_files(home) == []
    if version == newer:  # killed before the switch: the rollback can simply be run again
        run_warehouse(home, "rollback", check=True)
        version = assert_one_version(home)
    assert version != newer
    assert marts(home) == base_marts, "the version before is served whole"


@pytest.mark.parametrize("point", ["open_data.after_dataset", "open_data.before_swap", "open_data.between_renames"])
def test_kill_during_warehouse_export(point: str, reference: Path, tmp_path: Path) -> None:
    """`warehouse export` rewrites the served release's open/: killed anywhere, open/ is whole afterwards."""
    home = copy_home(reference, tmp_path / "home")
    killed_run(home, ["export"], point)
    status = run_warehouse(home, "status", "--json")
    assert status.returncode == 0, status.stdout[-2000:] + status.stderr[-2000:]
    assert_one_version(home)
    assert stray_files(home) == []
    assert run_warehouse(home, "export").returncode == 0


def test_killed_between_swap_and_pointer_cannot_disagree(snapshot: Path, tmp_path: Path) -> None:
    """The issue's half state (new file served, pointer naming the old one) has no moment to exist: the served
    file and published.json are both reached through `current`, switched by one rename."""
    home = copy_home(snapshot, tmp_path / "home")
    env = warehouse_env(home, WAREHOUSE_KILL_AT="current.after_rename")
    completed = subprocess.run([sys.executable, "-c", PUBLISH_DRIVER], env=env, cwd=REPO, capture_output=True,
                               text=True, timeout=300, check=False)
    assert completed.returncode == KILLED
    # right after the kill, before any repair: file and pointer agree
    pointer = json.loads((home / "published.json").read_text(encoding="utf-8"))
    assert pointer["version_id"] == served_version(home) == Path(os.readlink(home / "current")).name
    assert (home / "warehouse.duckdb").is_symlink() and (home / "published.json").is_symlink()


# --- a full disk, and a home path that must never reach SQL as text ----------------------------------------------

SITECUSTOMIZE = """
import errno, os
_target = os.environ.get("WAREHOUSE_TEST_ENOSPC")
if _target:  # tests only: this durable.* write fails as on a full disk
    from warehouse.platform import durable

    def _full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    setattr(durable, _target, _full)
"""


def test_disk_full_fails_cleanly_and_recovers(base: Path, base_marts: dict[str, list[tuple]], tmp_path: Path) -> None:
    home = copy_home(base, tmp_path / "home")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    before = served_version(home)
    python_path = os.pathsep.join(p for p in (str(hook), os.environ.get("PYTHONPATH", "")) if p)
    completed = run_warehouse(home, "refresh", "--full-rebuild", "--json", WAREHOUSE_TEST_ENOSPC="copy_file",
                              PYTHONPATH=python_path)
    assert completed.returncode == 1, completed.stdout[-2000:] + completed.stderr[-2000:]
    record = json.loads(completed.stdout)
    assert record["failed_step"] == "publish" and "disk is full" in record["message"], record["message"]
    assert "Traceback" not in completed.stderr
    assert served_version(home) == before and assert_one_version(home) == before
    assert stray_files(home) == [], "the half-built release is removed at once"
    next_refresh_is_clean(home, base_marts)  # space is back


WEIRD = "it's */板橋 [区]"  # a quote, a comment end, glob characters and Japanese


def test_home_path_with_quote_comment_and_japanese(reference: Path, tmp_path: Path) -> None:
    """status, sql, export and rollback in such a home: the path is bound (never pasted into SQL) and escaped
    where DuckDB would read it as a glob; a torn ledger line on top stops nothing."""
    home = copy_home(reference, tmp_path / WEIRD / "home")
    with (home / "runs" / "ledger.jsonl").open("ab") as handle:
        handle.write(b'{"run_id": "torn by a kill')
    status = run_warehouse(home, "status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["sources"]["certificate_issuances"]["rows"] > 0 and report["ledger_warnings"]
    assert report["sources"]["certificate_issuances"]["last_month"] == "2021-03"
    query = run_warehouse(home, "sql", "select count(*) as n from mart_gis_usage_monthly", "--format", "csv")
    assert query.returncode == 0 and int(query.stdout.splitlines()[1]) > 0, query.stderr
    export = run_warehouse(home, "export")
    assert export.returncode == 0, export.stderr
    assert run_warehouse(home, "rollback").returncode == 0
    assert_one_version(home)
    assert stray_files(home) == []


def test_refresh_in_a_home_path_with_quote_comment_and_japanese(pending: Path, reference: Path,
                                                                 tmp_path: Path) -> None:
    home = copy_home(pending, tmp_path / WEIRD / "home")
    completed = run_warehouse(home, "refresh", "--json")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert json.loads(completed.stdout)["status"] == "success"
    assert marts(home) == marts(reference)
    assert_one_version(home)
    assert stray_files(home) == []
