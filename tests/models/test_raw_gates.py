"""The raw quality gates give exactly the rows that validating every chunk's whole rows with great-expectations
gives (as the gates did before they judged value checks on reduced values and uniqueness on the key columns),
for a clean lake and for one with a violation of each kind, whichever files are gated and however they chunk."""
from __future__ import annotations

import copy
import datetime as dt
import gc
import weakref
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
import pytest

import expectations
from expectations.raw_contracts import raw_suites
from tests.models.foundation_raw_fixture import fixture_rows, lineage, write_raw_database
from warehouse.platform.database import connect_read_only


def clean_rows() -> dict[str, list[dict[str, Any]]]:
    """The foundation fixture without the superseded indicator report (ingest would have replaced it)."""
    rows = fixture_rows()
    rows["indicator_reports"] = [row for row in rows["indicator_reports"]
                                 if row["source_file_name"] != "indicators_kouhou_2016.xlsx"]
    return rows


@pytest.fixture()
def validated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The frames great-expectations validates, as "table:part": part "values_<n>" and "keys_<n>" for the reduced
    checks of the chunks from the n-th on, a chunk's number for its whole rows."""
    parts: list[str] = []
    validate = expectations._validate

    def recording(context, gx, suite_name, table, suite, frame, part) -> list[dict]:
        parts.append(f"{table}:{part}")
        return validate(context, gx, suite_name, table, suite, frame, part)

    monkeypatch.setattr(expectations, "_validate", recording)
    return parts


def gate(database: Path, raw_files: dict[str, list[str]] | None = None) -> list[dict]:
    """The raw suites' rows as run_gates gives them."""
    context = expectations._quiet_context(gx, False)
    rows = []
    with connect_read_only(database) as con:
        for suite_name, table, suite in raw_suites():
            files = None if raw_files is None else raw_files.get(table, [])
            rows += expectations._raw_suite_rows(con, context, gx, suite_name, table, suite, files)
    return rows


def whole_rows(database: Path, raw_files: dict[str, list[str]] | None = None) -> list[dict]:
    """The reference: every chunk's whole rows (select *) validated against its whole suite."""
    context = expectations._quiet_context(gx, False)
    rows = []
    with connect_read_only(database) as con:
        for suite_name, table, suite in raw_suites():
            files = None if raw_files is None else raw_files.get(table, [])
            for part, shas in enumerate(expectations._raw_chunks(con, table, files)[0]):
                where = "source_file_sha256 in (" + ", ".join(f"'{sha}'" for sha in shas) + ")"  # no month filter
                frame = expectations._frame(con, f"select * from raw.{table} where {where}")
                rows += expectations._validate(context, gx, suite_name, table, suite, frame, part)
    return rows


def lake(tmp_path: Path, rows: dict[str, list[dict[str, Any]]]) -> Path:
    database = tmp_path / "lake.duckdb"
    write_raw_database(database, rows)
    return database


def failures(rows: list[dict]) -> list[tuple[str, str, str]]:
    return [(str(row["table_name"]), str(row["expectation"]), str(row["details"])) for row in rows if not row["success"]]


def test_a_clean_lake_passes_with_the_rows_of_whole_chunk_validation(tmp_path: Path, validated: list[str]) -> None:
    database = lake(tmp_path, clean_rows())
    rows = gate(database)
    checked = list(validated)
    assert rows == whole_rows(database)
    assert len(rows) == sum(len(suite) for _, _, suite in raw_suites()) and not failures(rows)
    # no chunk's whole rows were needed: each table's values were checked reduced, its key on the key columns
    assert {part.split(":")[1] for part in checked} == {"values_0", "keys_0"}, checked


def _set(rows: dict, table: str, index: int, **values: Any) -> None:
    rows[table][index] = {**rows[table][index], **values}


def _duplicate(rows: dict, table: str, index: int) -> None:
    rows[table].append(copy.deepcopy(rows[table][index]))


def _null_office(rows: dict) -> None:
    _set(rows, "certificate_issuances", 3, office_code=None)


def _unknown_device(rows: dict) -> None:
    _set(rows, "web_access_log", 7, device_type="toaster")


def _status_out_of_range(rows: dict) -> None:
    _set(rows, "web_access_log", 8, http_status=700)


def _negative_usage(rows: dict) -> None:
    _set(rows, "energy_readings_interval", 5, usage_value=-1.0)


def _nan_usage(rows: dict) -> None:
    _set(rows, "energy_readings_interval", 6, usage_value=float("nan"))


def _nan_beside_a_latitude_out_of_range(rows: dict) -> None:
    """latitude is optional: DuckDB orders NaN above every number, pandas reads it as null."""
    _set(rows, "facilities", 0, latitude=float("nan"))
    _set(rows, "facilities", 1, latitude=99.0)


def _duplicate_reading(rows: dict) -> None:
    _duplicate(rows, "energy_readings_interval", 10)


VIOLATIONS = {
    _null_office: [("certificate_issuances", "expect_column_values_to_not_be_null(office_code)",
                    "unexpected_count=1")],
    _unknown_device: [("web_access_log", "expect_column_values_to_be_in_set(device_type)", "unexpected_count=1")],
    _status_out_of_range: [("web_access_log", "expect_column_values_to_be_between(http_status)",
                            "unexpected_count=1")],
    _negative_usage: [("energy_readings_interval", "expect_column_values_to_be_between(usage_value)",
                       "unexpected_count=1")],
    _nan_usage: [("energy_readings_interval", "expect_column_values_to_not_be_null(usage_value)",
                  "unexpected_count=1")],
    _nan_beside_a_latitude_out_of_range: [("facilities", "expect_column_values_to_be_between(latitude)",
                                           "unexpected_count=1")],
    _duplicate_reading: [("energy_readings_interval", "expect_compound_columns_to_be_unique()",
                          "unexpected_count=2")],
}


@pytest.mark.parametrize("inject", list(VIOLATIONS), ids=lambda inject: inject.__name__.strip("_"))
def test_a_violation_fails_the_same_rows_with_the_same_details(tmp_path: Path, inject) -> None:
    rows = clean_rows()
    inject(rows)
    database = lake(tmp_path, rows)
    gated = gate(database)
    assert failures(gated) == VIOLATIONS[inject]
    assert gated == whole_rows(database)


def interval_lake(tmp_path: Path, bad_reading: bool) -> Path:
    """Energy readings in three files sorted by sha: F001's 96 (one negative when bad_reading), S001's 96, and
    S001_201604_again.csv repeating S001's first 5 readings; with chunks of at most 100 rows, a chunk each."""
    rows = clean_rows()
    if bad_reading:
        _set(rows, "energy_readings_interval", 100, usage_value=-1.0)
    again = [{**row, **lineage("S001_201604_again.csv", number, row["reading_start_at"].date(),
                               dt.datetime(2016, 5, 10))}
             for number, row in enumerate(rows["energy_readings_interval"][:5], 1)]
    rows["energy_readings_interval"] += again
    return lake(tmp_path, rows)


def interval_parts(validated: list[str]) -> list[str]:
    return [part.split(":")[1] for part in validated if part.startswith("energy_readings_interval:")]


def test_a_failing_group_of_chunks_is_validated_chunk_by_chunk(tmp_path: Path, validated: list[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 100 rows, checked 2 at a time: F001's bad reading fails the first group, whose chunks are then
    validated on their whole rows (only F001's fails); the third chunk passes on its own reduced check."""
    monkeypatch.setattr(expectations, "RAW_CHUNK_ROWS", 100)
    monkeypatch.setattr(expectations, "CHUNKS_PER_CHECK", 2)
    database = interval_lake(tmp_path, bad_reading=True)
    rows = gate(database)
    assert interval_parts(validated) == ["values_0", "0", "1", "values_2", "keys_2"]
    assert rows == whole_rows(database)
    suite = next(suite for _, table, suite in raw_suites() if table == "energy_readings_interval")
    interval = [row for row in rows if row["table_name"] == "energy_readings_interval"]
    assert len(interval) == 3 * len(suite)
    assert failures(rows) == [("energy_readings_interval", "expect_column_values_to_be_between(usage_value)",
                               "unexpected_count=1")]
    assert failures(interval[:len(suite)]) and not failures(interval[len(suite):])


def test_a_key_repeated_in_two_chunks_of_a_group_fails_neither(tmp_path: Path, validated: list[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """S001's readings repeated in the next chunk fail the group's key check, but not either chunk's, as before
    (the staging model's dbt test checks the key over the whole table)."""
    monkeypatch.setattr(expectations, "RAW_CHUNK_ROWS", 100)
    database = interval_lake(tmp_path, bad_reading=False)
    rows = gate(database)
    assert interval_parts(validated) == ["values_0", "keys_0", "0", "1", "2"]
    assert rows == whole_rows(database) and not failures(rows)


def test_only_the_gated_files_are_judged(tmp_path: Path, validated: list[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expectations, "RAW_CHUNK_ROWS", 100)
    database = interval_lake(tmp_path, bad_reading=True)
    not_f001 = {"energy_readings_interval": ["sha-S001_201604.csv"], "web_access_log": ["sha-access_20160401.log"]}
    rows = gate(database, not_f001)
    assert interval_parts(validated) == ["values_0", "keys_0"]
    assert rows == whole_rows(database, not_f001)
    assert not failures(rows) and {row["table_name"] for row in rows} == set(not_f001)


def test_great_expectations_keeps_no_frame_it_validated() -> None:
    """A datasource's engine keeps every batch it validated; each frame's own datasource is deleted after use
    (sharing one kept 320 MB per million raw rows until the gates ended)."""
    frame = pd.DataFrame({"a": [1, 2]})
    kept = weakref.ref(frame)
    rows = expectations._validate(expectations._quiet_context(gx, False), gx, "s", "t",
                                  [gx.expectations.ExpectColumnValuesToNotBeNull(column="a")], frame, 0)
    del frame
    gc.collect()
    assert rows[0]["success"] and kept() is None


@pytest.mark.parametrize("bad_reading", [False, True])
def test_the_load_s_partition_counts_give_the_same_chunks_and_rows(tmp_path: Path, bad_reading: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A built file has raw.lake_partitions (the load counts each version's rows per fiscal month): the gates then
    chunk by those counts and read only the gated versions' months, and judge exactly the rows a scan would."""
    import duckdb

    from warehouse.refresh.load import write_partitions

    monkeypatch.setattr(expectations, "RAW_CHUNK_ROWS", 100)
    database = interval_lake(tmp_path, bad_reading=bad_reading)
    gated = {"energy_readings_interval": ["sha-S001_201604.csv", "sha-F001_201604.csv"],
             "web_access_log": ["sha-access_20160401.log"]}
    scanned = gate(database, gated)
    with duckdb.connect(str(database)) as con:
        tables = [table for (table,) in con.sql(
            "select table_name from information_schema.columns where table_schema = 'raw' and column_name in "
            "('fiscal_month', 'source_file_sha256') group by 1 having count(*) = 2").fetchall()]
        write_partitions(con, tables, None)
    with connect_read_only(database) as con:
        from_partitions = [expectations._raw_chunks(con, table, files) for table, files in gated.items()]
    assert all(months for _, months in from_partitions), "the versions' months are known"
    assert gate(database, gated) == scanned == whole_rows(database, gated)
    assert bool(failures(scanned)) == bad_reading
