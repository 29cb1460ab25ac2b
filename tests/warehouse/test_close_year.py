"""`warehouse close-year N`: the figures as reported stay what the yearly report shows, a later correction appears
beside them as 確定後の修正; every publish records what changed against the previous one (meta, app, open data)."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.conftest import run_warehouse
from warehouse.platform.closed_years import closed_fiscal_years, closed_year_record, snapshot_path
from warehouse.refresh.publish_changes import FIRST_PUBLISH_NOTE

pytestmark = pytest.mark.slow

FISCAL_YEAR = 2020
INDICATOR = "M14-1"  # a department-reported count (SNS posts): its FY2020 report is corrected after closing
UNAFFECTED_MARTS = ("mart_certificate_channel_shift", "mart_web_access_monthly", "mart_gis_usage_monthly",
                    "mart_facility_energy_monthly", "mart_previous_plan_projects")


def read_published(path: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    """Rows from a private copy of a published file (the app's sandbox may hold the original open)."""
    copy = path.parent / f".copy-{path.stat().st_ino}-{path.stat().st_mtime_ns}.duckdb"
    if not copy.exists():
        shutil.copy2(path.resolve(), copy)
    con = duckdb.connect(str(copy), read_only=True)
    try:
        return con.sql(sql, params=params or []).pl()
    finally:
        con.close()


@dataclass(frozen=True)
class Corrected:
    home: Path
    before: Path  # the published file before the correction (the demo's)
    file_name: str
    old_value: float
    new_value: float
    close_record: dict


def _find_report(home: Path, indicator_id: str, fiscal_year: int) -> tuple[Path, int, float]:
    """The archived indicator report holding indicator_id for fiscal_year: path, row, value."""
    for path in sorted((home / "archive").rglob(f"indicator_report_FY{fiscal_year}_*.xlsx")):
        sheet = openpyxl.load_workbook(path).active
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row, 1).value == indicator_id:
                return path, row, float(sheet.cell(row, 3).value)
    raise AssertionError(f"no archived report for {indicator_id} FY{fiscal_year}")


@pytest.fixture(scope="module")
def corrected(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Corrected:
    """The demo home; FY2020 closed; then the department's FY2020 workbook sent again with one value corrected
    (opened and saved with openpyxl, as a department would) and refreshed."""
    root = tmp_path_factory.mktemp("close_year")
    home = root / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    if (demo_home.parent / "ip_salt").exists():
        shutil.copy2(demo_home.parent / "ip_salt", root / "ip_salt")
    before = root / "before.duckdb"
    shutil.copy2((home / "warehouse.duckdb").resolve(), before)

    closed = run_warehouse(home, "--json", "close-year", str(FISCAL_YEAR), check=True)
    original, row, old_value = _find_report(home, INDICATOR, FISCAL_YEAR)
    book = openpyxl.load_workbook(original)
    new_value = old_value + 37
    book.active.cell(row, 3).value = new_value
    book.active.cell(row, 4).value = "確定後に集計誤りを修正"
    landing = home / "landing" / "indicator_reports"
    landing.mkdir(parents=True, exist_ok=True)
    book.save(landing / original.name)
    run_warehouse(home, "--json", "refresh", check=True)
    return Corrected(home, before, original.name, old_value, new_value, json.loads(closed.stdout))


def test_close_year_keeps_who_when_and_the_figures_as_reported(corrected: Corrected):
    record = closed_year_record(corrected.home, FISCAL_YEAR)
    assert record == {key: corrected.close_record[key] for key in record}
    closed_at = datetime.fromisoformat(record["closed_at"].removesuffix("Z")).replace(tzinfo=UTC)
    assert record["closed_by"] and 0 <= (datetime.now(UTC) - closed_at).total_seconds() < 3600
    assert record["reported_warehouse_version"] == read_published(
        corrected.before, "select version_id from meta.warehouse_version").item()
    assert closed_fiscal_years(corrected.home) == {FISCAL_YEAR}
    snapshot = pl.read_parquet(snapshot_path(corrected.home, FISCAL_YEAR))
    assert snapshot.height == 41 == record["indicator_rows"]
    assert snapshot.filter(pl.col("indicator_id") == INDICATOR)["actual_value"].item() == corrected.old_value
    ledger = [json.loads(line) for line in (corrected.home / "runs" / "ledger.jsonl").read_text().splitlines()]
    closes = [entry for entry in ledger if entry["kind"] == "close_year"]
    assert len(closes) == 1 and f"closed FY{FISCAL_YEAR}" in closes[0]["message"]
    assert record["closed_by"] in closes[0]["message"]


def test_a_corrected_file_loads_and_the_reported_figure_stays_beside_the_revision(corrected: Corrected):
    published = corrected.home / "warehouse.duckdb"
    facts = read_published(published, "select actual_value from mart_kpi_indicator_progress "
                                      "where indicator_id = ? and fiscal_year = ?", [INDICATOR, FISCAL_YEAR])
    assert facts["actual_value"].item() == corrected.new_value  # the lake and the facts take the new value
    reported = read_published(published, "select * from mart_kpi_reported_figures where fiscal_year = ?",
                              [FISCAL_YEAR])
    assert reported.height == 41
    revised = reported.filter(pl.col("is_revised_after_closing"))
    assert revised["indicator_id"].to_list() == [INDICATOR]  # exactly the corrected figure
    row = revised.row(0, named=True)
    assert (row["reported_actual_value"], row["current_actual_value"]) == (corrected.old_value, corrected.new_value)
    assert row["revision_source_file_name"] == corrected.file_name
    assert row["revision_loaded_date"] == datetime.now(UTC).date()
    assert row["reported_source_file_name"] == corrected.file_name  # the same report, sent again


def _report_rows(path: Path) -> tuple[openpyxl.worksheet.worksheet.Worksheet, dict[str, dict]]:
    sheet = openpyxl.load_workbook(path).active
    header_row = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "NO.")
    header = [c.value for c in sheet[header_row]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=header_row + 1)]
    return sheet, {r["指標ID"]: r for r in rows if r["指標ID"]}


def test_yearly_report_workbook_shows_the_reported_figure_and_the_revision(corrected: Corrected, tmp_path: Path):
    out = tmp_path / "fy2020.xlsx"
    run_warehouse(corrected.home, "report", "--fiscal-year", str(FISCAL_YEAR), "--out", str(out), check=True)
    sheet, indicators = _report_rows(out)
    assert indicators[INDICATOR]["実績"] == corrected.old_value
    revision = indicators[INDICATOR]["確定後の修正"]
    assert f"{corrected.old_value:,.0f} → {corrected.new_value:,.0f}" in revision and corrected.file_name in revision
    assert [key for key, row in indicators.items() if row["確定後の修正"]] == [INDICATOR]
    notes = " ".join(str(c.value) for row in sheet.iter_rows(max_row=3) for c in row if c.value)
    assert f"{corrected.close_record['closed_at'][:10]}に確定" in notes

    open_year = tmp_path / "fy2019.xlsx"  # a year that is not closed shows today's figures, no revision column values
    run_warehouse(corrected.home, "report", "--fiscal-year", "2019", "--out", str(open_year), check=True)
    _, indicators_2019 = _report_rows(open_year)
    assert not any(row["確定後の修正"] for row in indicators_2019.values())


def test_yearly_report_page_shows_the_reported_figure_and_the_revision(corrected: Corrected,
                                                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WAREHOUSE_HOME", str(corrected.home))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["report_year"] = FISCAL_YEAR
    at.run()
    at.switch_page("app_pages/yearly_report.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    row = table[table["指標ID"] == INDICATOR].iloc[0]
    assert row["実績"] == corrected.old_value
    assert f"{corrected.old_value:,.0f} → {corrected.new_value:,.0f}" in row["確定後の修正"]
    shown = "\n".join(str(e.value) for e in [*at.markdown, *at.info])
    assert "確定後の修正" in shown and INDICATOR in shown and corrected.file_name in shown


def _rows_by_key(path: Path, mart: str, key: list[str]) -> dict[tuple, tuple]:
    frame = read_published(path, f"select * from main.{mart}")
    values = frame.with_columns(pl.col(c).round(6) for c, t in frame.schema.items() if t in (pl.Float64, pl.Float32))
    return {tuple(r[k] for k in key): tuple(r.values()) for r in values.to_dicts()}


def test_publish_records_exactly_what_changed_against_the_previous_version(corrected: Corrected):
    published = corrected.home / "warehouse.duckdb"
    previous = read_published(corrected.before, "select version_id from meta.warehouse_version").item()
    marts = {row["mart_name"]: row for row in read_published(
        published, "select * from meta.publish_mart_changes").to_dicts()}
    assert {row["compared_with_version"] for row in read_published(
        published, "select compared_with_version from meta.publish_mart_changes").to_dicts()} == {previous}
    # the KPI mart, checked against a comparison done here by key with polars
    key = ["indicator_id", "fiscal_year"]
    old, new = (_rows_by_key(path, "mart_kpi_indicator_progress", key) for path in (corrected.before, published))
    changed = {k for k in old.keys() & new.keys() if old[k] != new[k]}
    assert (INDICATOR, FISCAL_YEAR) in changed and {k[0] for k in changed} == {INDICATOR}
    kpi = marts["mart_kpi_indicator_progress"]
    assert (kpi["rows_added"], kpi["rows_removed"], kpi["rows_changed"]) == (0, 0, len(changed))
    for name in UNAFFECTED_MARTS:  # nothing they are built from changed
        assert (marts[name]["rows_added"], marts[name]["rows_removed"], marts[name]["rows_changed"]) == (0, 0, 0)
    # the closed year's mart was empty before FY2020 was closed: all its rows are added
    reported = marts["mart_kpi_reported_figures"]
    assert (reported["rows_before"], reported["rows_after"], reported["rows_added"]) == (0, 41, 41)
    assert sum(1 for row in marts.values() if row["rows_added"] or row["rows_removed"] or row["rows_changed"]) == 2

    indicators = read_published(published, "select indicator_id, fiscal_year, change_kind, old_actual_value, "
                                           "new_actual_value from meta.publish_indicator_changes")
    assert indicators.rows() == [(INDICATOR, FISCAL_YEAR, "changed", corrected.old_value, corrected.new_value)]

    log = read_published(published, "select * from meta.publish_change_log order by published_at")
    assert log["compared_with_version"].to_list() == [None, previous]
    assert log["note"].to_list()[0] == FIRST_PUBLISH_NOTE
    assert log.row(1, named=True)["indicator_values_changed"] == 1

    catalog = json.loads((corrected.home / "open" / "catalog.json").read_text(encoding="utf-8"))
    assert [entry["compared_with_version"] for entry in catalog["change_log"]] == [previous, None]
    assert catalog["change_log"][0]["indicator_values_changed"] == 1
    assert "変更履歴" in (corrected.home / "open" / "README.md").read_text(encoding="utf-8")


def test_the_first_publish_says_it_has_nothing_to_compare_with(demo_home: Path):
    published = demo_home / "warehouse.duckdb"
    log = read_published(published, "select compared_with_version, note from meta.publish_change_log")
    assert log.rows() == [(None, FIRST_PUBLISH_NOTE)]
    assert read_published(published, "select count(*) as n from meta.publish_mart_changes")["n"].item() == 0
    catalog = json.loads((demo_home / "open" / "catalog.json").read_text(encoding="utf-8"))
    assert [entry["note"] for entry in catalog["change_log"]] == [FIRST_PUBLISH_NOTE]


def test_catalog_page_shows_the_changes_since_the_previous_publish(corrected: Corrected,
                                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WAREHOUSE_HOME", str(corrected.home))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/catalog.py").run()
    assert not at.exception, at.exception
    assert "前回公開からの変更" in [tab.label for tab in at.tabs]
    indicator_table = next(frame.value for frame in at.dataframe if "old_actual_value" in frame.value.columns)
    assert indicator_table["indicator_id"].tolist() == [INDICATOR]
    assert indicator_table["new_actual_value"].tolist() == [corrected.new_value]


# --- refusals ------------------------------------------------------------------------------------------------

def test_close_year_refuses_without_a_published_warehouse(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    completed = run_warehouse(home, "close-year", "2020")
    assert completed.returncode == 1
    assert "no published warehouse" in completed.stderr and "warehouse refresh" in completed.stderr
    assert closed_fiscal_years(home) == set()


def test_close_year_refuses_a_year_in_progress(demo_home_copy: Path):
    completed = run_warehouse(demo_home_copy, "close-year", "2021")  # as of 2021-04-20
    assert completed.returncode == 1
    assert "FY2021 is still in progress" in completed.stderr and "2022-03-31" in completed.stderr
    assert not (demo_home_copy / "closed_years").exists()


def test_close_year_refuses_a_year_the_published_version_does_not_hold_whole(demo_home_copy: Path):
    completed = run_warehouse(demo_home_copy, "close-year", "2021", WAREHOUSE_AS_OF_DATE="2022-05-10")
    assert completed.returncode == 1
    assert "built as of 2021-04-20, before FY2021 ended" in completed.stderr
    assert closed_fiscal_years(demo_home_copy) == set()


def test_close_year_refuses_a_closed_year_and_says_how_to_reopen(demo_home_copy: Path):
    run_warehouse(demo_home_copy, "close-year", "2020", check=True)
    record = closed_year_record(demo_home_copy, 2020)
    status = run_warehouse(demo_home_copy, "--json", "status", check=True)
    assert json.loads(status.stdout)["closed_years"] == [record]
    again = run_warehouse(demo_home_copy, "close-year", "2020")
    assert again.returncode == 1
    assert f"FY2020 is already closed: by {record['closed_by']} at {record['closed_at']}" in again.stderr
    assert "warehouse close-year 2020 --reopen" in again.stderr

    reopened = run_warehouse(demo_home_copy, "close-year", "2020", "--reopen", "--reason", "報告書の差し替え")
    assert reopened.returncode == 0, reopened.stderr
    assert closed_fiscal_years(demo_home_copy) == set()
    kept = list((demo_home_copy / "closed_years" / "_reopened").glob("fy2020-*/fy2020.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == record
    ledger = (demo_home_copy / "runs" / "ledger.jsonl").read_text(encoding="utf-8")
    assert "reopened FY2020" in ledger and "報告書の差し替え" in ledger

    not_closed = run_warehouse(demo_home_copy, "close-year", "2020", "--reopen")
    assert not_closed.returncode == 1 and "FY2020 is not closed" in not_closed.stderr
