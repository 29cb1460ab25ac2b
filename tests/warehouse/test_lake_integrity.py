"""The lake proves itself and never shrinks by accident (issue 11, items 1-2) and operators manage it
(`warehouse files`, issue 10 item 2): lost or torn manifests, deleted and damaged lake files with and without
their archived originals, landing files still being written, removing and retrying file versions."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, run_warehouse, warehouse_env

pytestmark = pytest.mark.slow

MARTS = ("fct_certificate_issuance_monthly", "mart_web_access_monthly", "mart_facility_energy_monthly")


def _marts(home: Path) -> dict[str, list[tuple]]:
    """Rows of a few marts; floats rounded (parallel sums differ in the last bits from run to run)."""
    def rounded(row: tuple) -> tuple:
        return tuple(round(value, 6) if isinstance(value, float) else value for value in row)

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return {name: sorted((rounded(r) for r in con.sql(f"select * from main.{name}").fetchall()), key=repr)
                for name in MARTS}


def _lake_files(home: Path) -> dict[str, bytes]:
    return {p.relative_to(home / "lake").as_posix(): p.read_bytes()
            for p in sorted((home / "lake").rglob("*.parquet")) if not p.name.startswith("_")}


def _certificate_part(home: Path) -> Path:
    return next((home / "lake" / "certificate_issuances").glob("fiscal_month=2021-03/*.parquet"))


@pytest.fixture(scope="module")
def small_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One month of every kind, published."""
    home = tmp_path_factory.mktemp("lake") / "home"
    run_warehouse(home, "demo", "--start", "2021-03", "--end", "2021-03", check=True)
    return home


@pytest.fixture()
def home(small_home: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(small_home, copy, symlinks=True)
    if (small_home.parent / "ip_salt").exists():
        shutil.copy2(small_home.parent / "ip_salt", tmp_path / "ip_salt")
    return copy


def _refresh(home: Path, *args: str, **env: str) -> tuple[int, dict]:
    completed = run_warehouse(home, "--json", "refresh", *args, **env)
    try:
        record = json.loads(completed.stdout)
    except ValueError:
        record = {"stdout": completed.stdout, "stderr": completed.stderr}
    return completed.returncode, record


@pytest.mark.parametrize("damage", ["deleted", "truncated", "garbage"])
def test_a_lost_or_torn_manifest_stops_the_refresh_and_repair_rebuilds_it(home: Path, damage: str):
    before, lake_before = _marts(home), _lake_files(home)
    manifest = home / "lake" / "_manifest.parquet"
    if damage == "deleted":
        manifest.unlink()
    elif damage == "truncated":
        manifest.write_bytes(manifest.read_bytes()[: manifest.stat().st_size // 2])
    else:
        manifest.write_bytes(b"PAR1 not a manifest")
    # a new month arrives meanwhile: it must wait, not be loaded into a lake whose index is lost
    code, record = _refresh(home, "--full-rebuild")
    assert code == 1, record
    assert record["failed_step"] == "verify"
    assert "warehouse verify --repair" in record["message"] and "_manifest.parquet" in record["message"]
    assert _lake_files(home) == lake_before, "nothing in the lake was deleted"
    repaired = run_warehouse(home, "--json", "verify", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "manifest rebuilt" in json.loads(repaired.stdout)["repaired"][0]
    assert run_warehouse(home, "verify").returncode == 0
    code, record = _refresh(home, "--full-rebuild")
    assert code == 0, record
    assert _marts(home) == before
    assert _lake_files(home) == lake_before


def test_a_damaged_change_file_stops_the_refresh_and_repair_keeps_every_version(home: Path):
    """A refresh appends its versions to the manifest as one change file; when that file no longer reads, the
    next refresh stops (never fewer versions), and the repair starts from the base and adopts the rest."""
    original = next((home / "landing" / "certificates").glob("*2021-03*"))
    original.with_name("certificates_2021-03_corrected" + original.suffix).write_bytes(original.read_bytes() + b"\r\n")
    code, record = _refresh(home)
    assert code == 0, record
    changes = [p for p in (home / "lake").glob("_manifest.*.*.parquet") if p.name != "_manifest.prev.parquet"]
    assert len(changes) == 1, "the run appended one change file, not a new manifest"
    from ingest.common import lake

    lake_before = _lake_files(home)
    versions_before = {(row["sha256"], row["status"]) for row in lake.read_manifest(home / "lake")}
    live_before = lake.live_parquet_files(lake.read_manifest(home / "lake"))
    changes[0].write_bytes(b"PAR1 torn")
    code, record = _refresh(home)
    assert code == 1 and record["failed_step"] == "verify", record
    assert changes[0].name in record["message"] and "warehouse verify --repair" in record["message"]
    assert _lake_files(home) == lake_before, "nothing in the lake was deleted"
    repaired = run_warehouse(home, "--json", "verify", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "as far as it reads" in json.loads(repaired.stdout)["repaired"][0]
    assert run_warehouse(home, "verify").returncode == 0
    # what the next refresh publishes: the same versions with the same live parts (a refresh after a rebuilt
    # manifest is the torn-manifest test's)
    rows = lake.read_manifest(home / "lake")
    assert {(row["sha256"], row["status"]) for row in rows} == versions_before
    assert lake.live_parquet_files(rows) == live_before and _lake_files(home) == lake_before


def test_manifest_rebuilt_without_its_previous_copy_keeps_every_row(home: Path):
    before, lake_before = _marts(home), _lake_files(home)
    (home / "lake" / "_manifest.parquet").unlink()
    (home / "lake" / "_manifest.prev.parquet").unlink(missing_ok=True)
    assert run_warehouse(home, "verify", "--repair").returncode == 0
    code, record = _refresh(home, "--full-rebuild")
    assert code == 0, record
    assert _marts(home) == before and _lake_files(home) == lake_before
    # the landing files are recognised as already loaded, not loaded twice
    assert all(item["status"] == "unchanged" for item in record["files"]), record["files"]
    assert sum(counts.get("files_unchanged", 0) for counts in record["sources"].values()) >= len(
        list((home / "landing").rglob("*.*"))), record["sources"]


@pytest.mark.parametrize("damage", ["deleted", "corrupted"])
def test_a_damaged_lake_file_is_restored_from_its_archived_original(home: Path, damage: str):
    before = _marts(home)
    part = _certificate_part(home)
    original = part.read_bytes()
    if damage == "deleted":
        part.unlink()
    else:
        part.write_bytes(original[:100] + bytes(len(original) - 100))
    for landing in (home / "landing" / "certificates").glob("*"):
        landing.unlink()  # the department's copy is gone too: only the archive can help
    checked = run_warehouse(home, "--json", "verify")
    assert checked.returncode == 1
    problems = {issue["problem"] for issue in json.loads(checked.stdout)["issues"]}
    assert problems == {"missing" if damage == "deleted" else "damaged"}
    code, record = _refresh(home)
    assert code == 0, record
    assert part.read_bytes() == original, "restored byte for byte"
    assert _marts(home) == before
    assert any("restored" in line for line in record["lake"]["repaired"])
    status = json.loads(run_warehouse(home, "--json", "status", check=True).stdout)
    assert status["lake_verify"]["ok"] and any("restored" in line for line in status["lake_verify"]["repaired"])


def test_the_refresh_hashes_only_parts_written_since_the_last_check_until_a_full_check_is_due(home: Path):
    """A refresh re-hashes a part whose size or mtime changed since a check hashed it intact; a part rotted in
    place (same size, same mtime) is found by the next full hash ([refresh] full_verify_days) or by
    `warehouse verify`, which always hashes every part. Likewise a temp file a kill left behind (never data):
    the lake's go at every run, the archive's (seconds to walk at ten years) at the next full check."""
    code, record = _refresh(home)  # the first check since the demo: every part hashed, stamps recorded
    assert code == 0, record
    stamps = json.loads((home / "runs" / "verified_parts.json").read_text(encoding="utf-8"))
    part = _certificate_part(home)
    assert part.relative_to(home / "lake").as_posix() in stamps["parts"]
    original, stat = part.read_bytes(), part.stat()
    rotted = original[:100] + bytes(len(original) - 100)
    lake_temp = part.with_name("part.parquet.tmp-999")
    archive_temp = next(p for p in (home / "archive").rglob("*") if p.is_file()).with_name("original.csv.tmp-999")
    for temp in (lake_temp, archive_temp):
        temp.write_bytes(b"half a copy")

    part.write_bytes(rotted)  # written again: a new mtime, the same size
    code, record = _refresh(home)
    assert code == 0, record
    assert any("restored" in line for line in record["lake"]["repaired"]), record["lake"]
    assert part.read_bytes() == original
    assert not lake_temp.exists() and archive_temp.exists()  # a quick check sweeps the lake only

    stat = part.stat()
    part.write_bytes(rotted)
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # bit rot: size and mtime as hashed intact
    code, record = _refresh(home)
    assert code == 0 and not record["lake"]["repaired"], "the quick check trusts a part unchanged since it was hashed"
    assert part.read_bytes() == rotted
    checked = run_warehouse(home, "--json", "verify")
    assert checked.returncode == 1 and {i["problem"] for i in json.loads(checked.stdout)["issues"]} == {"damaged"}
    code, record = _refresh(home, WAREHOUSE_REFRESH_FULL_VERIFY_DAYS="0")  # a full check is due
    assert code == 0, record
    assert any("restored" in line for line in record["lake"]["repaired"]), record["lake"]
    assert part.read_bytes() == original
    assert not archive_temp.exists()
    assert any("original.csv.tmp-999" in line for line in record["lake"]["repaired"]), record["lake"]


def _rot_in_place(part: Path) -> bytes:
    """Bit rot that keeps the size and the mtime a check stamped: the quick check trusts the part."""
    original, stat = part.read_bytes(), part.stat()
    part.write_bytes(original[:100] + bytes(len(original) - 100))
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return original


def test_a_full_rebuild_hashes_every_part_even_those_the_quick_check_trusts(home: Path):
    before = _marts(home)
    code, record = _refresh(home)  # stamps every part as hashed intact
    assert code == 0, record
    part = _certificate_part(home)
    original = _rot_in_place(part)
    code, record = _refresh(home, "--full-rebuild")
    assert code == 0, record
    assert any("restored" in line for line in record["lake"]["repaired"]), record["lake"]
    assert part.read_bytes() == original
    assert _marts(home) == before


def _correct_last_reading(csv: Path) -> None:
    """A department sends a corrected file: the last reading's last digit changed, the file settled."""
    text = csv.read_text(encoding="utf-8").rstrip()
    csv.write_text(text[:-1] + str((int(text[-1]) + 1) % 10) + "\n", encoding="utf-8")
    os.utime(csv, (time.time() - 600, time.time() - 600))


def test_parts_ingest_writes_are_stamped_as_hashed(home: Path):
    """Ingest hashes each part as it writes it: the next quick check need not hash it again."""
    from ingest.common import lake

    code, record = _refresh(home)
    assert code == 0, record
    corrected = home / "landing" / "energy" / "energy_interval_school-7d34e715_2021-03.csv"
    _correct_last_reading(corrected)
    code, record = _refresh(home)
    assert code == 0, record
    new_version = next(item for item in record["files"] if item["path"] == str(corrected))
    assert new_version["status"] == "replaced", new_version
    stamps = json.loads((home / "runs" / "verified_parts.json").read_text(encoding="utf-8"))["parts"]
    written = [part["parquet"] for row in lake.read_manifest(home / "lake") if row["sha256"] == new_version["sha256"]
               for part in row["parts"] if part.get("live")]
    assert written and all(stamps.get(path) == [(home / "lake" / path).stat().st_size,
                                                (home / "lake" / path).stat().st_mtime_ns] for path in written)


def test_an_incremental_load_hashes_the_trusted_parts_of_the_months_it_reads(home: Path):
    """A corrected file for one school changes March's interval readings; the incremental load reads every live
    part of that month, so a part of another facility that rotted in place is hashed, restored, and the load
    becomes full."""
    from ingest.common import lake

    code, record = _refresh(home)
    assert code == 0, record
    rows = lake.read_manifest(home / "lake")
    other = next(home / "lake" / part["parquet"] for row in rows if row["file_name"].startswith("energy_interval_F0001")
                 for part in row["parts"] if part.get("live"))
    original = _rot_in_place(other)
    _correct_last_reading(home / "landing" / "energy" / "energy_interval_school-7d34e715_2021-03.csv")
    code, record = _refresh(home)
    assert code == 0, record
    assert any("restored" in line for line in record["lake"]["repaired"]), record["lake"]
    assert other.read_bytes() == original
    log = (home / "runs" / f"{record['run_id']}.log").read_text(encoding="utf-8")
    assert "load: full load of the lake into a new build file (verify repaired the lake" in log, log[-3000:]


def test_a_damaged_lake_file_without_any_original_is_set_aside_never_silently_lost(home: Path):
    part = _certificate_part(home)
    part.unlink()
    shutil.rmtree(home / "archive")
    for landing in (home / "landing" / "certificates").glob("*"):
        landing.unlink()
    code, record = _refresh(home)
    assert code == 3, record
    assert "set aside" in record["message"] and "certificates_2021-03" in record["message"]
    assert "Send" in record["message"], "the message says what to do"
    listed = json.loads(run_warehouse(home, "--json", "files").stdout)
    assert [e["status"] for e in listed if e["name"].startswith("certificates_2021-03")] == ["set_aside"]
    assert _marts(home)["fct_certificate_issuance_monthly"] == []
    code, record = _refresh(home)
    assert code == 0, record


def test_a_file_still_being_written_is_left_in_landing(home: Path):
    """A writer appends slowly, pausing mid-line and at line boundaries, while refreshes run: the month is
    never loaded in part; once the file is complete and settled it loads whole."""
    source = next((home / "landing" / "certificates").glob("*2021-03*"))
    data = source.read_bytes()
    target = home / "landing" / "certificates" / "certificates_2021-03_corrected.csv"
    target = target.with_suffix(source.suffix)
    writer = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        f"data = open({str(source)!r}, 'rb').read()\n"
        f"out = open({str(target)!r}, 'wb')\n"
        "step = max(1, len(data) // 40)\n"
        "for i in range(0, len(data), step):\n"
        "    out.write(data[i:i + step]); out.flush(); time.sleep(0.15)\n"
        "out.close()\n")])
    try:
        time.sleep(0.5)
        while writer.poll() is None:
            code, record = _refresh(home, WAREHOUSE_INGEST_SETTLE_SECONDS="2")
            assert code in (0, 3), record
            mine = [f for f in record["files"] if f["path"] == str(target)]
            assert all(f["status"] == "waiting" for f in mine), mine
            assert not list((home / "quarantine").glob("*corrected*")), "a partial file is not quarantined"
    finally:
        writer.wait(timeout=60)
    assert target.read_bytes() == data
    time.sleep(2.2)
    code, record = _refresh(home, WAREHOUSE_INGEST_SETTLE_SECONDS="2")
    assert code == 0, record
    mine = [f for f in record["files"] if f["path"] == str(target)]
    assert mine and mine[0]["status"] == "unchanged", "same content as the month already loaded"


def test_a_file_that_changes_while_it_is_read_stays_in_landing(home: Path, monkeypatch: pytest.MonkeyPatch):
    import ingest
    from warehouse.platform.settings import load_settings

    for key, value in warehouse_env(home).items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    target = home / "landing" / "gis" / "gis_2021-03_resent.csv"
    source = next((home / "landing" / "gis").glob("*2021-03*"))
    lines = source.read_bytes().splitlines(keepends=True)
    target.write_bytes(b"".join(lines[: len(lines) // 2]))
    real_stage = ingest.stage_file

    def stage_then_append(*args, **kwargs):
        staged = real_stage(*args, **kwargs)
        with target.open("ab") as handle:  # the copy goes on while ingest reads
            handle.write(b"".join(lines[len(lines) // 2:]))
        return staged

    monkeypatch.setattr(ingest, "stage_file", stage_then_append)
    manifest_before = (home / "lake" / "_manifest.parquet").read_bytes()
    report = ingest.ingest_landing(settings, "test-run")
    mine = [f for f in report.files if f.path == str(target)]
    assert [f.status for f in mine] == ["waiting"]
    assert target.exists() and (home / "lake" / "_manifest.parquet").read_bytes() == manifest_before


def test_files_lists_removes_and_readmits_versions(home: Path):
    listed = json.loads(run_warehouse(home, "--json", "files", check=True).stdout)
    names = {entry["name"]: entry for entry in listed}
    certificates = next(name for name in names if name.startswith("certificates_2021-03"))
    assert names[certificates]["status"] == "live" and names[certificates]["rows"] > 0
    assert names[certificates]["months"] == ["2021-03"] and names[certificates]["run_id"]
    removed = run_warehouse(home, "files", "remove", certificates, "--reason", "sent twice by mistake")
    assert removed.returncode == 0, removed.stderr
    code, record = _refresh(home)
    assert code == 0, record
    assert _marts(home)["fct_certificate_issuance_monthly"] == []
    ledger = [json.loads(line) for line in (home / "runs" / "ledger.jsonl").read_text().splitlines() if line.strip()]
    assert any(r["kind"] == "files" and "sent twice by mistake" in r["message"] for r in ledger)
    listed = {e["name"]: e for e in json.loads(run_warehouse(home, "--json", "files").stdout)}
    assert listed[certificates]["status"] == "removed" and "sent twice by mistake" in listed[certificates]["note"]
    # the landing file is still there but is not read back in by itself
    code, record = _refresh(home)
    assert code == 0 and record["status"] == "no_op", record
    readmitted = run_warehouse(home, "files", "retry", certificates)
    assert readmitted.returncode == 0, readmitted.stderr
    code, record = _refresh(home)
    assert code == 0, record
    assert _marts(home)["fct_certificate_issuance_monthly"] != []


def test_files_retry_reads_a_quarantined_file_again_after_a_setting_is_fixed(home: Path):
    source = next((home / "landing" / "certificates").glob("*2021-03*"))
    new = source.with_name("certificates_2021-03_resent" + source.suffix)
    new.write_bytes(source.read_bytes() + b"\r\n")  # the same month sent again, one blank line longer
    code, record = _refresh(home, WAREHOUSE_INGEST_MAX_PLAUSIBLE_DAILY_COUNT="1")  # a setting set too low
    assert code == 3, record
    assert not new.exists() and list((home / "quarantine").glob("*certificates_2021-03_resent.csv"))
    listed = {e["name"]: e for e in json.loads(run_warehouse(home, "--json", "files").stdout)}
    assert listed["certificates_2021-03_resent.csv"]["status"] == "quarantined"
    retried = run_warehouse(home, "--json", "files", "retry", "certificates_2021-03_resent.csv")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert json.loads(retried.stdout)["status"] == "replaced"
    assert not list((home / "quarantine").glob("*certificates_2021-03_resent.csv*"))
    code, record = _refresh(home)
    assert code == 0, record


def test_a_file_that_fails_a_build_rule_is_set_aside_and_the_rest_publishes(home: Path, tmp_path: Path):
    """A rule only the build can check (here a singular dbt test added to a copy of the project) fails for one
    new file: that file version is set aside with the rule named, another new file still publishes, and the
    next refresh exits 0."""
    project = tmp_path / "project"
    for name in ("models", "seeds", "macros", "tests/dbt", "expectations"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "dbt_project.yml", project / "dbt_project.yml")
    (project / "tests" / "dbt" / "assert_no_gis_event_on_january_11.sql").write_text(
        "select * from {{ ref('stg_gis__events') }} where strftime(event_at, '%m-%d') = '01-11'\n", encoding="utf-8")
    env = {"WAREHOUSE_DBT_PROJECT_DIR": str(project)}
    code, record = _refresh(home, **env)
    assert code == 0, record  # nothing dated 01-11 yet
    gis = next((home / "landing" / "gis").glob("*2021-03*"))
    bad = home / "landing" / "gis" / "gis_2021-01.csv"
    bad.write_bytes(gis.read_bytes().replace(b"2021-03-", b"2021-01-"))
    web = next((home / "landing" / "web_access").glob("*2021-03*"))
    good = web.with_name(web.name.replace("2021-03", "2021-01"))
    good.write_bytes(web.read_bytes().replace(b"2021-03-", b"2021-01-"))
    code, record = _refresh(home, **env)
    assert code == 3, record
    assert "gis_2021-01.csv" in record["message"] and "assert_no_gis_event_on_january_11" in record["message"]
    listed = {e["name"]: e for e in json.loads(run_warehouse(home, "--json", "files").stdout)}
    assert listed["gis_2021-01.csv"]["status"] == "set_aside"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        gis_files = {row[0] for row in con.sql("select distinct source_file_name from raw.gis_events").fetchall()}
        web_files = {row[0] for row in con.sql("select distinct source_file_name from raw.web_page_views_daily").fetchall()}
    assert "gis_2021-01.csv" not in gis_files and good.name in web_files
    code, record = _refresh(home, **env)
    assert code == 0, record


def test_a_lost_releases_folder_is_served_again_from_the_kept_copy(home: Path):
    """releases/ deleted (docs and open data with it): the kept copy in versions/ is served again at once, and
    the next refresh rebuilds the docs and open data instead of calling the home unchanged."""
    before = _marts(home)
    shutil.rmtree(home / "releases")
    status = run_warehouse(home, "--json", "status")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["published"] and any("releases/ is lost" in line for line in report["home_check"]["repairs"])
    assert _marts(home) == before
    code, record = _refresh(home)
    assert code == 0 and record["status"] == "success", record
    assert (home / "docs" / "catalog.json").exists() and (home / "open" / "catalog.json").exists()
    code, record = _refresh(home)
    assert code == 0 and record["status"] == "no_op", record


def test_a_lost_lake_is_loaded_again_from_the_archive(home: Path):
    """lake/ deleted whole, and the departments' landing copies gone too: the refresh stops instead of
    publishing an empty warehouse, and `verify --repair` loads every archived original again."""
    before = _marts(home)
    shutil.rmtree(home / "lake")
    shutil.rmtree(home / "landing")
    code, record = _refresh(home)
    assert code == 1 and record["failed_step"] == "verify", record
    assert "the lake was lost" in record["message"] and "warehouse verify --repair" in record["message"]
    assert _marts(home) == before, "the published warehouse is untouched"
    repaired = run_warehouse(home, "--json", "verify", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "loaded again" in json.loads(repaired.stdout)["repaired"][0]
    code, record = _refresh(home, "--full-rebuild")
    assert code == 0, record
    assert _marts(home) == before
