"""closed_fiscal_years: the years whose record file exists, nothing else; a damaged record or snapshot is found."""
from __future__ import annotations

import hashlib
import json

import polars as pl
import pytest

from warehouse.closing import SNAPSHOT_COLUMNS, check_closed_years, loadable_closed_years
from warehouse.platform.closed_years import (
    RecordDamaged,
    closed_fiscal_years,
    closed_year_record,
    record_path,
    snapshot_path,
)

RECORD = {"fiscal_year": 2020, "closed_at": "2021-05-10T01:02:03Z", "closed_by": "ito",
          "reported_warehouse_version": "warehouse-20210510T000000Z-abcdef", "indicator_rows": 41,
          "snapshot": "fy2020.parquet"}


def test_a_home_without_closed_years_has_none(tmp_path):
    assert closed_fiscal_years(tmp_path) == set()
    assert closed_year_record(tmp_path, 2020) is None


def test_only_record_files_count(tmp_path):
    record_path(tmp_path, 2020).parent.mkdir(parents=True)
    record_path(tmp_path, 2020).write_text(json.dumps(RECORD), encoding="utf-8")
    snapshot_path(tmp_path, 2021).write_bytes(b"")  # a snapshot without its record: the close did not finish
    (record_path(tmp_path, 2022).parent / ".fy2022.json.tmp-1").write_text("{}", encoding="utf-8")
    assert closed_fiscal_years(tmp_path) == {2020}
    assert closed_year_record(tmp_path, 2020)["closed_by"] == "ito"


def _write_record(home, record) -> None:
    record_path(home, 2020).parent.mkdir(parents=True, exist_ok=True)
    record_path(home, 2020).write_text(json.dumps(record), encoding="utf-8")


@pytest.mark.parametrize(("content", "reason"), [
    (b"{not json", "is not JSON"),
    (b"\xff\xfe\x00", "is not JSON"),
    (b"[2020]", "holds a JSON list"),
    (json.dumps({"fiscal_year": 2020, "closed_by": "ito"}).encode(), "lacks closed_at, reported_warehouse_version"),
    (json.dumps({**RECORD, "fiscal_year": 2019}).encode(), "records fiscal year 2019"),
])
def test_a_damaged_record_says_what_is_wrong(tmp_path, content, reason):
    record_path(tmp_path, 2020).parent.mkdir(parents=True)
    record_path(tmp_path, 2020).write_bytes(content)
    with pytest.raises(RecordDamaged, match=reason):
        closed_year_record(tmp_path, 2020)
    assert closed_fiscal_years(tmp_path) == {2020}  # still closed: the refresh moves it aside and says so
    [issue] = check_closed_years(tmp_path)
    assert (issue.problem, issue.file) == ("record_damaged", "closed_years/fy2020.json")
    assert loadable_closed_years(tmp_path) == []


def _snapshot_frame(rows: int) -> pl.DataFrame:
    types = {"integer": pl.Int32, "varchar": pl.Utf8, "double": pl.Float64, "date": pl.Date, "timestamp": pl.Datetime}
    return pl.DataFrame({name: pl.Series(name, [None] * rows, dtype=types[dtype]) for name, dtype in SNAPSHOT_COLUMNS}
                        ).with_columns(pl.lit(2020, dtype=pl.Int32).alias("fiscal_year"))


def test_a_record_without_checksum_is_verified_by_reading_its_snapshot(tmp_path):
    _write_record(tmp_path, RECORD)  # written before records carried the snapshot's size and SHA-256
    snapshot = snapshot_path(tmp_path, 2020)
    _snapshot_frame(41).write_parquet(snapshot)
    assert check_closed_years(tmp_path) == [] and loadable_closed_years(tmp_path) == [2020]

    _snapshot_frame(40).write_parquet(snapshot)
    [issue] = check_closed_years(tmp_path)
    assert issue.problem == "snapshot_damaged" and "has 40 rows, 41 were written" in issue.detail

    _snapshot_frame(41).drop("closed_by").write_parquet(snapshot)
    assert "lacks the column(s) closed_by" in check_closed_years(tmp_path)[0].detail

    _snapshot_frame(41).write_parquet(snapshot)
    snapshot.write_bytes(snapshot.read_bytes()[:-100])
    [issue] = check_closed_years(tmp_path)
    assert issue.problem == "snapshot_damaged" and "cannot be read" in issue.detail
    assert loadable_closed_years(tmp_path) == []

    snapshot.unlink()
    assert check_closed_years(tmp_path)[0].problem == "snapshot_missing"


def test_a_record_with_checksum_catches_changed_bytes_of_the_same_size(tmp_path):
    snapshot = snapshot_path(tmp_path, 2020)
    snapshot.parent.mkdir(parents=True)
    _snapshot_frame(41).write_parquet(snapshot)
    data = snapshot.read_bytes()
    _write_record(tmp_path, {**RECORD, "snapshot_sha256": hashlib.sha256(data).hexdigest(), "snapshot_bytes": len(data)})
    assert check_closed_years(tmp_path) == []
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x01
    snapshot.write_bytes(bytes(changed))
    assert "does not match the checksum" in check_closed_years(tmp_path)[0].detail
    snapshot.write_bytes(data + b"\0")
    assert f"has {len(data) + 1} bytes, {len(data)} were written" in check_closed_years(tmp_path)[0].detail
