"""The returned 取り組み状況 workbook → measure_evaluations rows; every refusal names the cell (取り組み状況!Q12).

The reader checks that the workbook is ours (both sheets, their headers in row 4, the fiscal year in B3, a year
not yet closed), then yields one row per measure that has anything filled in, with the sheet rows it came from.
The transform checks each cell (measure number, grades, personal data) and names the cell in each finding.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from ingest.common.contract import Layout
from ingest.common.findings import Finding, Rejected
from ingest.common.normalize import nfkc, parse_fiscal_year
from ingest.common.pii import scan_frame
from ingest.common.reader import RawTable
from ingest.evaluations.contract import CONTRACT, FIELDS
from ingest.evaluations.workbook import (
    DECIDED_GRADES,
    DECISION_COLUMNS,
    DECISION_INPUTS,
    DECISION_SHEET,
    DEPARTMENT_INPUTS,
    FISCAL_YEAR_CELL,
    FISCAL_YEAR_LABEL_CELL,
    FISCAL_YEAR_LABELS,
    HEADER_ROW,
    REPORT_COLUMNS,
    SELF_ASSESSMENT_GRADES,
    SHEET,
    cell_of,
)
from warehouse.platform.closed_years import closed_fiscal_years

MEASURES_SEED = Path(__file__).resolve().parents[2] / "seeds" / "plan_measures.csv"
HEADER = [field.label for field in FIELDS]
TEXT_COLUMNS = ("department_remark_ja", "next_year_plan_ja", "decided_reason_ja")


@lru_cache(maxsize=1)
def known_measure_ids() -> frozenset[int]:
    """Measure numbers of the plan (seeds/plan_measures.csv)."""
    with MEASURES_SEED.open(encoding="utf-8") as handle:
        return frozenset(int(row["measure_id"]) for row in csv.DictReader(handle))


def _not_ours(path: Path, where: str, problem_en: str, problem_ja: str) -> Rejected:
    """The refusal for a workbook that is not the 取り組み状況 workbook `warehouse report` writes."""
    return Rejected(
        f"{path.name}: {where}: {problem_en}. Only the 取り組み状況 workbook written by `warehouse report "
        "--fiscal-year N` can be loaded here: write it again, copy the entries into it without adding or moving "
        "rows and columns, and put it in landing/evaluations/ again.",
        [Finding(0, where, f"not the 取り組み状況 workbook: {problem_en}")],
        message_ja=(f"{path.name}: {where}: {problem_ja}。ここに置けるのは `warehouse report --fiscal-year N` が書き出した"
                    "取り組み状況のブックだけです。ブックを書き出し直し、行や列を足したり動かしたりせずに記入内容を写して、"
                    "landing/evaluations/ に置き直してください。"),
        next_step="fix_and_resend",
    )


def _text(value: Any) -> str | None:
    """A cell as NFKC text (numbers written without a trailing .0); None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfkc(str(value))


def _rows(book: Any, sheet: str) -> list[tuple[Any, ...]]:
    return list(book[sheet].iter_rows(values_only=True))


def _check_headers(path: Path, rows: list[tuple[Any, ...]], sheet: str, columns: tuple[tuple[str, str, str], ...]) -> None:
    found = list(rows[HEADER_ROW - 1]) if len(rows) >= HEADER_ROW else []
    found += [None] * (len(columns) - len(found))
    for index, (key, ja, en) in enumerate(columns):
        if _text(found[index]) not in (ja, en):
            where = cell_of(sheet, key, HEADER_ROW)
            raise _not_ours(path, where, f"the header should be {ja} ({en}), found {_text(found[index]) or 'nothing'}",
                            f"見出しは「{ja}」のはずですが「{_text(found[index]) or '空欄'}」です")


def _fiscal_year(path: Path, rows: list[tuple[Any, ...]], sheet: str) -> int:
    label = _text(rows[2][0]) if len(rows) >= 3 and rows[2] else None
    value = _text(rows[2][1]) if len(rows) >= 3 and len(rows[2]) > 1 else None
    where = f"{sheet}!{FISCAL_YEAR_CELL}"
    if label not in FISCAL_YEAR_LABELS:
        raise _not_ours(path, f"{sheet}!{FISCAL_YEAR_LABEL_CELL}", "the label 年度 is missing",
                        "「年度」の欄がありません")
    try:
        year = parse_fiscal_year(value)
    except ValueError:
        year = None
    if year is None:
        raise _not_ours(path, where, "the fiscal year is empty or not a year (e.g. 2020 or 令和2年度)",
                        "年度が空か、年度として読めません（例: 2020、令和2年度）")
    return year


def _closed(path: Path, year: int) -> Rejected:
    where = f"{SHEET}!{FISCAL_YEAR_CELL}"
    return Rejected(
        f"{path.name}: {where}: fiscal year {year} is closed (`warehouse close-year {year}`): its reported grades "
        "and comments can no longer change. Put this year's entries in a workbook for an open year, or ask the "
        "planning office (IT推進課) whether the closed year must really be corrected.",
        [Finding(0, f"年度（{where}）", f"fiscal year {year} is closed")],
        message_ja=(f"{path.name}: {where}: {year}年度は確定済み（warehouse close-year {year}）のため、評価とコメントは"
                    "変更できません。まだ確定していない年度のブックに記入するか、確定済みの年度を本当に直す必要があるか"
                    "IT推進課に相談してください。"),
        next_step="fix_and_resend",
    )


def read_workbook(path: Path, ctx) -> RawTable:
    """The returned workbook as one row per measure with entries; Rejected when it is not ours or its year is closed."""
    import openpyxl

    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        raise _not_ours(path, path.name, "not an Excel workbook (.xlsx)", "Excel のブック（.xlsx）ではありません")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged or foreign file
        raise Rejected(
            f"{path.name}: not a readable Excel workbook; open it, save it again as .xlsx and send it again.",
            [Finding(0, None, "damaged or unreadable workbook")],
            message_ja=f"{path.name}: Excel のブックとして読み取れません。開いて .xlsx で保存し直し、もう一度置いてください。",
            next_step="resend_complete",
        ) from error
    try:
        for sheet in (SHEET, DECISION_SHEET):
            if sheet not in book.sheetnames:
                raise _not_ours(path, path.name, f"there is no sheet {sheet} (sheets: {', '.join(book.sheetnames)})",
                                f"シート「{sheet}」がありません（あるシート: {'、'.join(book.sheetnames)}）")
        report_rows, decision_rows = _rows(book, SHEET), _rows(book, DECISION_SHEET)
    finally:
        book.close()
    _check_headers(path, report_rows, SHEET, REPORT_COLUMNS)
    _check_headers(path, decision_rows, DECISION_SHEET, DECISION_COLUMNS)
    year = _fiscal_year(path, report_rows, SHEET)
    if _fiscal_year(path, decision_rows, DECISION_SHEET) != year:
        raise _not_ours(path, f"{DECISION_SHEET}!{FISCAL_YEAR_CELL}", f"the fiscal year differs from {SHEET}",
                        f"年度がシート「{SHEET}」と違います")
    if year in closed_fiscal_years(ctx.settings.home):
        raise _closed(path, year)
    return RawTable(list(HEADER), [], _measure_rows(report_rows, decision_rows, year), "xlsx", 0, SHEET)


def _entries(rows: list[tuple[Any, ...]], columns: tuple[tuple[str, str, str], ...],
             inputs: tuple[str, ...]) -> dict[str, tuple[int, dict[str, str | None]]]:
    """Measure number as written → (sheet row, {input key: text}) for each measure row with a number or an entry."""
    keys = [key for key, _, _ in columns]
    found: dict[str, tuple[int, dict[str, str | None]]] = {}
    for offset, row in enumerate(rows[HEADER_ROW:], start=HEADER_ROW + 1):
        cells = dict(zip(keys, list(row) + [None] * (len(keys) - len(row))))
        number = _text(cells["measure_id"])
        values = {key: _text(cells[key]) for key in inputs}
        if number is None and not any(values.values()):
            continue  # the other rows of a measure block (merged cells), or blank rows
        found.setdefault(number or f"(row {offset})", (offset, values))
    return found


def _measure_rows(report_rows: list[tuple[Any, ...]], decision_rows: list[tuple[Any, ...]],
                  year: int) -> Iterator[tuple[int, list[str | None]]]:
    """(data row, cells in HEADER order) for each measure with an entry on either sheet."""
    department = _entries(report_rows, REPORT_COLUMNS, DEPARTMENT_INPUTS)
    decisions = _entries(decision_rows, DECISION_COLUMNS, DECISION_INPUTS)
    for number in dict.fromkeys([*department, *decisions]):
        report_row, entered = department.get(number, (None, {}))
        decision_row, decided = decisions.get(number, (None, {}))
        if not any(entered.values()) and not any(decided.values()):
            continue
        measure = None if number.startswith("(row ") else number
        row = report_row or decision_row
        yield row - HEADER_ROW, [measure, str(year), entered.get("self_assessed_grade"),
                                 entered.get("department_comment"), entered.get("next_year_plan_ja"),
                                 decided.get("decided_grade"), decided.get("decided_reason_ja"),
                                 None if report_row is None else str(report_row),
                                 None if decision_row is None else str(decision_row)]


def _measure_number(text: str | None) -> int | None:
    try:
        return int(float(text)) if text is not None and float(text).is_integer() else None
    except ValueError:
        return None


def transform(frame: pl.DataFrame, ctx, findings: list[Finding]) -> pl.DataFrame:
    """Check each cell, naming it (sheet!cell) in every finding; rows with a problem are dropped (the file is refused)."""
    records = frame.to_dicts()
    bad_rows: set[int] = set()

    def cell(record: dict[str, Any], key: str) -> str:
        if key in DECISION_INPUTS or (key == "measure_id" and record["report_row"] is None):
            return cell_of(DECISION_SHEET, key, int(record["decision_row"]))
        return cell_of(SHEET, key, int(record["report_row"]))

    def refuse(record: dict[str, Any], key: str, label: str, reason: str) -> None:
        findings.append(Finding(int(record["source_row_number"]), f"{label}（{cell(record, key)}）", reason))
        bad_rows.add(int(record["source_row_number"]))

    rows: list[dict[str, Any]] = []
    for record in records:
        measure = _measure_number(record["measure_id"])
        if record["measure_id"] is None:
            refuse(record, "measure_id", "NO.", "missing required value")
        elif measure not in known_measure_ids():
            refuse(record, "measure_id", "NO.", f"unknown measure (the plan's measures are 1-{max(known_measure_ids())})")
        self_grade = (record["self_assessed_grade"] or "").upper() or None
        if self_grade == "AA":
            refuse(record, "self_assessed_grade", "自己評価", "AA is decision-only (self-assessment: A, B or C)")
        elif self_grade is not None and self_grade not in SELF_ASSESSMENT_GRADES:
            refuse(record, "self_assessed_grade", "自己評価",
                   f"value not allowed (allowed: {', '.join(SELF_ASSESSMENT_GRADES)})")
        decided = (record["decided_grade"] or "").upper() or None
        if decided is not None and decided not in DECIDED_GRADES:
            refuse(record, "decided_grade", "決定評価", f"value not allowed (allowed: {', '.join(DECIDED_GRADES)})")
        if decided is not None and record["decided_reason_ja"] is None:
            refuse(record, "decided_reason_ja", "決定の理由", "missing required value")
        rows.append({"measure_id": measure, "fiscal_year": int(record["fiscal_year"]),
                     "self_assessed_grade": self_grade, "department_remark_ja": record["department_remark_ja"],
                     "next_year_plan_ja": record["next_year_plan_ja"], "decided_grade": decided,
                     "decided_reason_ja": record["decided_reason_ja"],
                     "source_row_number": int(record["source_row_number"])})
    texts = frame.select([*TEXT_COLUMNS, "source_row_number"])
    by_row = {int(r["source_row_number"]): r for r in records}
    labels = {"department_remark_ja": ("department_comment", "所管課コメント"),
              "next_year_plan_ja": ("next_year_plan_ja", "次年度の取組"), "decided_reason_ja": ("decided_reason_ja", "決定の理由")}
    for finding in scan_frame(texts, {}, {}):  # the PII scan every kind gets, here naming the cell
        key, label = labels[str(finding.column)]
        refuse(by_row[finding.row], key, label, finding.reason)
    schema = {"measure_id": pl.Int32, "fiscal_year": pl.Int32, "self_assessed_grade": pl.String,
              "department_remark_ja": pl.String, "next_year_plan_ja": pl.String, "decided_grade": pl.String,
              "decided_reason_ja": pl.String, "source_row_number": pl.Int64}
    return pl.DataFrame([r for r in rows if r["source_row_number"] not in bad_rows], schema=schema, orient="row")


LAYOUTS = (Layout("evaluations_workbook", "evaluations", CONTRACT.table, FIELDS, transform, declares_month=False),)
