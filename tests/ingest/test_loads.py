"""Loads are idempotent per file version, a corrected month replaces exactly that month, reading is chunked."""
from __future__ import annotations

import polars as pl
import pytest

from ingest import ingest_file, ingest_landing
from ingest.common import lake
from ingest.common.pipeline import OriginalChanged, _archive_unchanged
from tests.ingest.conftest import CERT_HEADER, certificate_rows, lake_snapshot, write_csv


def test_same_file_twice_is_a_no_op(settings) -> None:
    path = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    first = ingest_landing(settings, "r1")
    assert [f.status for f in first.files] == ["loaded"] and first.changed == {"certificate_issuances": {"2020-04"}}
    before = lake_snapshot(settings)
    copy = write_csv(settings.landing_dir / "certificates" / "copy" / "same.csv", certificate_rows(), "cp932")
    second = ingest_landing(settings, "r2")
    assert sorted(f.status for f in second.files) == ["unchanged", "unchanged"]
    assert second.changed == {} and lake_snapshot(settings) == before
    assert path.exists() and copy.exists()


def test_corrected_month_replaces_only_that_month_and_says_so(settings) -> None:
    write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    may = [CERT_HEADER, ["令和2年5月1日", "本庁舎", "住民票の写し", "窓口", "50"]]
    write_csv(settings.landing_dir / "certificates" / "c_2020-05.csv", may, "cp932")
    ingest_landing(settings, "r1")
    corrected = certificate_rows()
    corrected[1][4] = "999"
    write_csv(settings.landing_dir / "certificates" / "c_2020-04_corrected.csv", corrected, "cp932")
    report = ingest_landing(settings, "r2")
    statuses = {f.path.rsplit("/", 1)[-1]: f.status for f in report.files}
    assert statuses == {"c_2020-04.csv": "unchanged", "c_2020-04_corrected.csv": "replaced", "c_2020-05.csv": "unchanged"}
    outcome = next(f for f in report.files if f.status == "replaced")
    assert outcome.replaced == [{"table": "certificate_issuances", "fiscal_month": "2020-04",
                                 "sha256": lake.file_sha256(settings.landing_dir / "certificates" / "c_2020-04.csv"),
                                 "file_name": "c_2020-04.csv"}]
    assert "replaced certificate_issuances 2020-04 from c_2020-04.csv" in outcome.message
    assert report.changed == {"certificate_issuances": {"2020-04"}}
    april = list((settings.lake_dir / "certificate_issuances" / "fiscal_month=2020-04").glob("*.parquet"))
    assert [p.name for p in april] == [f"{outcome.sha256[:16]}.parquet"]
    frame = pl.read_parquet(settings.lake_dir / "certificate_issuances" / "**" / "*.parquet", hive_partitioning=True)
    assert frame.filter(pl.col("fiscal_month") == "2020-04").height == 9
    assert 999 in frame["issued_count"].to_list() and 1234 not in frame.filter(
        pl.col("source_row_number") == 1)["issued_count"].to_list()
    assert frame.filter(pl.col("fiscal_month") == "2020-05")["issued_count"].to_list() == [50]


def test_interval_files_of_different_facilities_coexist_and_partial_overlap_is_refused(settings) -> None:
    def interval(name: str, facilities: list[str]):
        rows = [["施設コード", "計測日時", "電力量(kWh)"]] + [[f, "2020-04-01 00:00", "1.5"] for f in facilities]
        return write_csv(settings.landing_dir / "energy" / name, rows)

    assert ingest_file(settings, interval("a_2020-04.csv", ["F1", "F2"]), "energy", "r").status == "loaded"
    assert ingest_file(settings, interval("b_2020-04.csv", ["F3"]), "energy", "r").status == "loaded"
    before = lake_snapshot(settings)
    partial = ingest_file(settings, interval("c_2020-04.csv", ["F2"]), "energy", "r")
    assert partial.status == "quarantined" and "covers only part" in partial.message
    assert lake_snapshot(settings) == before
    full = ingest_file(settings, interval("d_2020-04.csv", ["F1", "F2", "F9"]), "energy", "r")
    assert full.status == "replaced" and [r["file_name"] for r in full.replaced] == ["a_2020-04.csv"]


def test_small_chunks_give_the_same_lake_rows(settings) -> None:
    rows = [CERT_HEADER] + [[f"令和2年4月{d}日", "本庁舎", t, "窓口", str(d)] for d in range(1, 31)
                            for t in ("住民票の写し", "印鑑登録証明書", "納税証明書")]
    path = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", rows, "cp932")
    outcome = ingest_file(settings, path, "certificates", "r", chunk_rows=7)
    assert outcome.status == "loaded" and outcome.rows_in == outcome.rows_out == 90
    frame = pl.read_parquet(settings.lake_dir / "certificate_issuances" / "**" / "*.parquet")
    assert frame["source_row_number"].sort().to_list() == list(range(1, 91))
    assert frame["issued_count"].sum() == 3 * sum(range(1, 31))


def test_duplicates_across_chunks_are_found(settings) -> None:
    rows = certificate_rows(5) + [certificate_rows(1)[1]]
    path = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", rows, "cp932")
    outcome = ingest_file(settings, path, "certificates", "r", chunk_rows=4)
    assert outcome.status == "quarantined"
    assert outcome.findings[0]["row"] == 16 and "same as row 1" in outcome.findings[0]["reason"]


def test_orphan_parquet_from_a_crash_is_moved_aside_not_deleted(settings) -> None:
    from datetime import date

    from warehouse.verify import repair_lake

    path = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    ingest_landing(settings, "r1")
    orphan = settings.lake_dir / "certificate_issuances" / "fiscal_month=2020-06" / "deadbeefdeadbeef.parquet"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"half written")
    report = repair_lake(settings, "r2", today=date(2021, 4, 20), rebuild=False)
    assert [issue.problem for issue in report.issues] == ["orphan"]
    assert not orphan.exists() and path.exists()
    kept = settings.lake_dir / "_orphans" / "certificate_issuances" / "fiscal_month=2020-06" / "deadbeefdeadbeef.parquet"
    assert kept.read_bytes() == b"half written"


def test_salt_file_is_created_private_and_reused(settings, tmp_path) -> None:
    salt_path = tmp_path / "salt" / "ip_salt"
    first = lake.ensure_salt(salt_path)
    assert len(first) == 32 and (salt_path.stat().st_mode & 0o777) == 0o600
    assert lake.ensure_salt(salt_path) == first


def test_an_original_that_cannot_be_archived_records_nothing_of_the_run(settings, monkeypatch) -> None:
    """Originals are archived beside the main thread; if one fails (a full disk, a file copied again meanwhile),
    the run's manifest is not written at all: no version is listed without its original, the landing files stay,
    and the next run loads them."""
    april = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    may = [CERT_HEADER, ["令和2年5月1日", "本庁舎", "住民票の写し", "窓口", "50"]]
    write_csv(settings.landing_dir / "certificates" / "c_2020-05.csv", may, "cp932")
    real_archive = lake.archive_original

    def fails_for_may(archive_dir, source, sha256, file_name, origin):
        if file_name == "c_2020-05.csv":
            raise OSError(28, "No space left on device")
        return real_archive(archive_dir, source, sha256, file_name, origin)

    monkeypatch.setattr(lake, "archive_original", fails_for_may)
    with pytest.raises(OSError, match="No space left"):
        ingest_landing(settings, "r1")
    assert lake.read_manifest(settings.lake_dir) == [], "no version of the run is recorded"
    assert april.exists()
    monkeypatch.setattr(lake, "archive_original", real_archive)
    report = ingest_landing(settings, "r2")
    assert sorted(f.status for f in report.files) == ["loaded", "loaded"]
    assert len(lake.read_manifest(settings.lake_dir)) == 2


def test_an_original_changed_before_it_is_archived_is_not_kept(settings) -> None:
    path = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    stat = path.stat()
    sha = lake.file_sha256(path)
    with pytest.raises(OriginalChanged, match="changed while ingest archived it"):
        _archive_unchanged(settings.archive_dir, path, sha, {"kind": "certificates"}, stat.st_size + 1,
                           stat.st_mtime_ns)
    assert not (settings.archive_dir / lake.archive_relative(sha, path.name)).exists()
    assert _archive_unchanged(settings.archive_dir, path, sha, {"kind": "certificates"}, stat.st_size,
                              stat.st_mtime_ns) == lake.archive_relative(sha, path.name)


def test_the_rows_ingest_wrote_are_what_a_fresh_read_gives(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a run that loads and replaces, the steps after ingest use the rows ingest wrote instead of parsing the
    manifest again (lake.write_manifest's shared_from): they must equal a fresh read, value for value."""
    write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    ingest_landing(settings, "r1")
    lake.read_manifest(settings.lake_dir, shared=True)  # as the verify step reads it before ingest
    corrected = certificate_rows()
    corrected[1][4] = "999"
    write_csv(settings.landing_dir / "certificates" / "c_2020-04_corrected.csv", corrected, "cp932")
    may = [CERT_HEADER, ["令和2年5月1日", "本庁舎", "住民票の写し", "窓口", "50"]]
    write_csv(settings.landing_dir / "certificates" / "c_2020-05.csv", may, "cp932")
    report = ingest_landing(settings, "r2")
    assert sorted(f.status for f in report.files) == ["loaded", "replaced", "unchanged"]
    with monkeypatch.context() as patched:  # no parse: the rows ingest wrote are the shared ones
        patched.setattr(lake, "read_manifest_file", lambda path: pytest.fail("the manifest was parsed again"))
        shared = lake.read_manifest(settings.lake_dir, shared=True)
    fresh = lake.read_manifest(settings.lake_dir)
    assert shared is not fresh and shared == fresh
    assert [list(row) for row in shared[1:]] == [list(row) for row in fresh[1:]]  # the new rows' keys, in order
    assert [type(row["loaded_at"]) for row in shared] == [type(row["loaded_at"]) for row in fresh]
    replaced = [part for row in shared for part in row["parts"] if part.get("replaced_by")]
    assert len(replaced) == 1 and not replaced[0]["live"]
