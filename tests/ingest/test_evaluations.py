"""The returned 取り組み状況 workbook (kind evaluations): what loads, and each refusal naming sheet, row and column.

The workbooks are written by the report's own writer (warehouse/products/report.py) and filled with openpyxl
the way a department or the planning office fills them; the slow round trip through a real refresh is in
tests/warehouse/test_evaluation_round_trip.py."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ingest import ingest_file
from ingest.common import lake
from ingest.evaluations.workbook import DECISION_COLUMNS, DECISION_SHEET, REPORT_COLUMNS, SHEET
from tests.ingest.conftest import lake_snapshot
from warehouse.platform.closed_years import record_path
from warehouse.products.report import report_workbook_bytes

# Measures 1-3 as the report lays them out: measure 2 has two indicators (a merged block of two rows).
INDICATORS = [(1, "M01-1"), (2, "M02-1"), (2, "M02-2"), (3, "M03-1")]


def blank_workbook(path: Path, fiscal_year: int = 2020, lang: str = "ja") -> Path:
    """The 取り組み状況 workbook as `warehouse report` writes it (for three measures), nothing filled in yet."""
    keys = [key for key, _, _ in REPORT_COLUMNS] + ["decided_reason_ja"]
    rows = [{key: None for key in keys} | {"measure_id": measure, "indicator_id": indicator,
                                           "measure_name_ja": f"施策{measure}", "suggested_grade": "A"}
            for measure, indicator in INDICATORS]
    frame = pl.DataFrame(rows, schema={key: pl.Int64 if key == "measure_id" else pl.String for key in keys})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(report_workbook_bytes(frame, fiscal_year, lang))
    return path


def column(sheet: str, header: str) -> int:
    """1-based column of a header on one of the workbook's sheets."""
    columns = REPORT_COLUMNS if sheet == SHEET else DECISION_COLUMNS
    return [ja for _, ja, _ in columns].index(header) + 1


def fill(path: Path, report: dict[tuple[int, str], object] = {},  # noqa: B006 - read only
         decisions: dict[tuple[int, str], object] = {}) -> Path:  # noqa: B006
    """Type values into cells as a department (report) or the planning office (decisions) would: (sheet row, header)."""
    book = openpyxl.load_workbook(path)
    for (row, header), value in report.items():
        book[SHEET].cell(row, column(SHEET, header)).value = value
    for (row, header), value in decisions.items():
        book[DECISION_SHEET].cell(row, column(DECISION_SHEET, header)).value = value
    book.save(path)
    return path


def landing(settings, name: str = "torikumi_jokyo_FY2020.xlsx") -> Path:
    return blank_workbook(settings.landing_dir / "evaluations" / name)


def quarantine_report(settings, outcome) -> dict:
    assert outcome.status == "quarantined", outcome.message
    reports = list(Path(settings.quarantine_dir).glob("*.report.json"))
    assert len(reports) == 1
    return json.loads(reports[0].read_text(encoding="utf-8"))


def assert_names_cell(report: dict, cell: str, *words: str) -> None:
    """The Japanese and English messages both name the cell (sheet, column and row) and say why."""
    for text in (report["message_ja"], report["message_en"], report["message"]):
        assert cell in text, text
    for word in words:
        assert word in report["message_ja"] + report["message_en"], report["message_en"]


def read_lake(settings) -> pl.DataFrame:
    return pl.read_parquet(Path(settings.lake_dir) / "measure_evaluations" / "**" / "*.parquet", hive_partitioning=True)


# Sheet rows of measures 1-3 on 取り組み状況 (header in row 4; measure 2 spans rows 6-7) and 推進本部の決定評価.
M1, M2, M3 = 5, 6, 8
D1, D2, D3 = 5, 6, 7


def test_filled_workbook_loads_one_row_per_measure_with_an_entry(settings) -> None:
    path = fill(landing(settings),
                {(M1, "自己評価"): "A", (M1, "所管課コメント"): "計画どおり公開した。", (M1, "次年度の取組"): "API 提供",
                 (M3, "自己評価"): "ｂ"},
                {(D1, "決定評価"): "AA", (D1, "決定の理由"): "区民満足度を著しく高めた"})
    outcome = ingest_file(settings, path, "evaluations", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_lake(settings).sort("measure_id")
    assert frame.select("measure_id", "fiscal_year", "self_assessed_grade", "department_remark_ja",
                        "next_year_plan_ja", "decided_grade", "decided_reason_ja").rows() == [
        (1, 2020, "A", "計画どおり公開した。", "API 提供", "AA", "区民満足度を著しく高めた"),
        (3, 2020, "B", None, None, None, None),  # full-width ｂ read as B; measure 2 has no entry
    ]
    assert set(frame["source_file_name"]) == {path.name}
    assert frame["source_row_number"].to_list() == [M1 - 4, M3 - 4]
    assert set(frame["fiscal_month"]) == {"2020-04"}


def test_the_english_workbook_of_the_app_loads_too(settings) -> None:
    path = blank_workbook(settings.landing_dir / "evaluations" / "progress_FY2020_en.xlsx", lang="en")
    assert openpyxl.load_workbook(path)[SHEET]["A3"].value == "Fiscal year"
    outcome = ingest_file(settings, fill(path, {(M2, "自己評価"): "C"}, {(D3, "決定評価"): "A", (D3, "決定の理由"): "ok"}),
                          "evaluations", "t1")
    assert outcome.status == "loaded", outcome.message
    assert read_lake(settings).sort("measure_id").select("measure_id", "self_assessed_grade", "decided_grade").rows() \
        == [(2, "C", None), (3, None, "A")]


def test_a_later_workbook_for_the_year_replaces_the_earlier(settings) -> None:
    first = fill(landing(settings, "torikumi_v1.xlsx"), {(M1, "自己評価"): "B", (M2, "自己評価"): "C"})
    assert ingest_file(settings, first, "evaluations", "t1").status == "loaded"
    second = fill(landing(settings, "torikumi_v2.xlsx"), {(M1, "自己評価"): "A"})
    outcome = ingest_file(settings, second, "evaluations", "t2")
    assert outcome.status == "replaced", outcome.message
    assert [r["file_name"] for r in outcome.replaced] == ["torikumi_v1.xlsx"]
    assert read_lake(settings).select("measure_id", "self_assessed_grade").rows() == [(1, "A")]


@pytest.mark.parametrize(("report", "decisions", "cell", "words"), [
    ({(M3, "自己評価"): "AA"}, {}, f"{SHEET}!R{M3}", ("AA は推進本部が決める評価です", "decided by the ICT推進・活用本部 only")),
    ({(M2, "自己評価"): "S"}, {}, f"{SHEET}!R{M2}", ("使えない値です（使える値: A, B, C）", "allowed: A, B, C")),
    ({}, {(D2, "決定評価"): "A+", (D2, "決定の理由"): "理由"}, f"{DECISION_SHEET}!F{D2}",
     ("使える値: AA, A, B, C", "allowed: AA, A, B, C")),
    ({}, {(D3, "決定評価"): "B"}, f"{DECISION_SHEET}!G{D3}", ("値が空です", "empty, but a value is required")),
    ({(M1, "NO."): 36, (M1, "自己評価"): "A"}, {}, f"{SHEET}!A{M1}",
     ("計画にない施策の番号です（施策は 1-35）", "not a measure of the plan")),
    ({(M2, "所管課コメント"): "詳しくは tanaka@example.jp まで"}, {}, f"{SHEET}!U{M2}",
     ("個人情報と思われる値（メールアドレス）", "looks like personal data (an e-mail address)")),
    ({(M1, "次年度の取組"): "担当 03-3579-2222"}, {}, f"{SHEET}!T{M1}", ("電話番号", "a phone number")),
], ids=["self_AA", "grade_outside_list", "decided_outside_list", "decision_without_reason", "unknown_measure",
        "comment_with_email", "plan_with_phone"])
def test_a_bad_cell_refuses_the_workbook_naming_sheet_row_and_column(settings, report, decisions, cell,
                                                                       words) -> None:
    before = lake_snapshot(settings)
    outcome = ingest_file(settings, fill(landing(settings), report, decisions), "evaluations", "t1")
    assert_names_cell(quarantine_report(settings, outcome), cell, *words)
    assert lake_snapshot(settings) == before


def test_a_workbook_for_a_closed_year_is_refused_naming_the_year_cell(settings) -> None:
    assert ingest_file(settings, fill(landing(settings, "first.xlsx"), {(M1, "自己評価"): "A"}), "evaluations",
                       "t1").status == "loaded"
    before = lake_snapshot(settings)
    record = record_path(settings.home, 2020)  # what `warehouse close-year 2020` leaves in the home
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"fiscal_year": 2020}), encoding="utf-8")
    outcome = ingest_file(settings, fill(landing(settings, "late.xlsx"), {(M1, "自己評価"): "C"}), "evaluations", "t2")
    report = quarantine_report(settings, outcome)
    assert_names_cell(report, f"{SHEET}!B3", "2020年度は確定済み", "fiscal year 2020 is closed")
    assert lake_snapshot(settings) == before
    assert read_lake(settings)["self_assessed_grade"].to_list() == ["A"]


def test_a_workbook_that_is_not_ours_is_refused_naming_what_differs(settings, tmp_path: Path) -> None:
    moved = fill(landing(settings, "moved.xlsx"), {(4, "自己評価"): "評価"})  # a header typed over
    report = quarantine_report(settings, ingest_file(settings, moved, "evaluations", "t1"))
    assert_names_cell(report, f"{SHEET}!R4", "取り組み状況のブックの形になっていません", "not the 取り組み状況 workbook")
    other = settings.landing_dir / "evaluations" / "someone_elses.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "集計"
    book.active.append(["NO.", "自己評価"])
    book.save(other)
    outcome = ingest_file(settings, other, "evaluations", "t2")
    assert outcome.status == "quarantined"
    message = json.loads(min(Path(settings.quarantine_dir).glob("*someone_elses*.report.json")).read_text())
    assert f"シート「{SHEET}」がありません" in message["message_ja"]
    assert f"there is no sheet {SHEET}" in message["message_en"]
    assert not (Path(settings.lake_dir) / "measure_evaluations").exists()
    assert lake.read_manifest(settings.lake_dir) == []
