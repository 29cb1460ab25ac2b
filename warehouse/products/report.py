"""The yearly progress report (「取り組み状況」): one block per measure with its indicators, as an Excel workbook.

Laid out like the plan's appendix tables (NO., 事業名, 重点戦略, 所管課, 指標, 現状, 目標) plus the year's
actual, achievement, suggested grade and reason, and the cells the cycle fills: the owner department's 自己評価,
次年度の取組 and 所管課コメント on sheet 取り組み状況, the ICT推進・活用本部's 決定評価 and its reason on sheet
推進本部の決定評価 (layout: ingest/evaluations/workbook.py). Returned to landing/evaluations/, the filled workbook
is loaded by ingest (kind evaluations); what is already recorded is written back in, so a new copy carries it.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ingest.evaluations.workbook import (
    DECIDED_GRADES,
    DECISION_COLUMNS,
    DECISION_INPUTS,
    DECISION_SHEET,
    DEPARTMENT_INPUTS,
    FISCAL_YEAR_LABELS,
    GRADE_DEFINITIONS_EN,
    GRADE_DEFINITIONS_JA,
    GUIDE_SHEET,
    HEADER_ROW,
    MEASURE_COLUMNS,
    REPORT_COLUMNS,
    SELF_ASSESSMENT_GRADES,
    SHEET,
)
from warehouse.platform.settings import Settings
from warehouse.platform.wareki import fiscal_year_label

Runner = Callable[[str, Sequence[Any] | None], pl.DataFrame]

COLUMNS_JA: dict[str, str] = {key: ja for key, ja, _ in REPORT_COLUMNS}
COLUMNS_EN: dict[str, str] = {key: en for key, _, en in REPORT_COLUMNS}
STATUS_JA = {"achieved": "達成", "on_track": "順調", "at_risk": "要注意", "off_track": "遅れ",
             "not_evaluable": "評価不能", "no_data": "データなし"}
GRADE_JA = {"not_evaluable": "評価不能"}
COLUMN_WIDTHS = {"measure_id": 5, "measure_name_ja": 28, "strategy_id": 8, "goal_name_ja": 18,
                 "owner_departments_ja": 16, "indicator_id": 8, "indicator_name_ja": 40, "baseline_text_ja": 14,
                 "target_text_ja": 12, "target_fiscal_year": 8, "actual_value": 12, "achievement_rate": 9,
                 "progress_status": 10, "data_through_date": 11, "revision_after_closing": 30, "suggested_grade": 8,
                 "grade_reason_ja": 30, "self_assessed_grade": 8, "decided_grade": 8, "next_year_plan_ja": 36,
                 "department_comment": 36, "decided_reason_ja": 40}


class ReportError(RuntimeError):
    """The report cannot be produced from what is published."""


REPORTED_FIGURES_TABLE = "main.mart_kpi_reported_figures"  # absent in files published before close-year existed
# Columns a closed year shows as reported (mart_kpi_reported_figures.reported_<name>), whatever the lake says now.
REPORTED_COLUMNS = ("actual_value", "achievement_rate", "progress_status", "data_through_date", "suggested_grade",
                    "grade_reason_ja")
REQUIRED_TABLES = ("seeds.plan_measures", "main.dim_indicator", "main.mart_kpi_indicator_progress",
                   "main.mart_plan_measure_status")


def _present_tables(run: Runner) -> set[str]:
    frame = run("select schema_name || '.' || table_name as name from duckdb_tables() "
                "where database_name = current_database()", None)
    return set(frame["name"].to_list())


def _missing_tables(run: Runner) -> list[str]:
    present = _present_tables(run)
    return [name for name in REQUIRED_TABLES if name not in present]


def _number_text(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


def _revision_text(row: dict[str, Any], lang: str) -> str | None:
    """確定後の修正: old → new, the file (or lake tables) and the date it was loaded."""
    if not row["is_revised_after_closing"]:
        return None
    source = row["revision_source_file_name"] or row["revision_source_table"] or ""
    loaded = row["revision_loaded_date"].isoformat() if row["revision_loaded_date"] else ""
    where = "、".join(part for part in (source, loaded) if part) if lang == "ja" else ", ".join(
        part for part in (source, loaded) if part)
    change = f"{_number_text(row['reported_actual_value'])} → {_number_text(row['current_actual_value'])}"
    return f"{change}（{where}）" if lang == "ja" and where else f"{change} ({where})" if where else change


def reported_figures(run: Runner, fiscal_year: int) -> pl.DataFrame:
    """The closed year's figures as reported, one row per indicator (empty when the year is not closed)."""
    if REPORTED_FIGURES_TABLE not in _present_tables(run):
        return pl.DataFrame()
    return run(f"select * from {REPORTED_FIGURES_TABLE} where fiscal_year = ? order by indicator_id", [fiscal_year])


def apply_reported_figures(frame: pl.DataFrame, reported: pl.DataFrame, lang: str = "ja") -> pl.DataFrame:
    """For a closed year: the figures as reported replace today's, and revisions fill 確定後の修正."""
    if reported.is_empty():
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias("revision_after_closing"),
                                  pl.lit(None, dtype=pl.Date).alias("closed_on"))
    revisions = reported.select(
        "indicator_id",
        *[pl.col(f"reported_{name}").alias(f"reported__{name}") for name in REPORTED_COLUMNS],
        pl.Series("revision_after_closing", [_revision_text(row, lang) for row in reported.to_dicts()],
                  dtype=pl.String),
        pl.col("closed_at").cast(pl.Date).alias("closed_on"),
    )
    joined = frame.with_columns(pl.col(name).cast(pl.Float64) for name in ("actual_value", "achievement_rate")) \
        .join(revisions, on="indicator_id", how="left")
    closed = pl.col("closed_on").is_not_null()
    return joined.with_columns(
        pl.when(closed).then(pl.col(f"reported__{name}")).otherwise(pl.col(name)).alias(name)
        for name in REPORTED_COLUMNS
    ).drop(f"reported__{name}" for name in REPORTED_COLUMNS)


def build_report_frame(run: Runner, fiscal_year: int, lang: str = "ja") -> pl.DataFrame:
    """One row per indicator (all 41 of the 35 measures), ordered by measure and indicator, for one fiscal year;
    a closed year shows its figures as reported, with any later revision in revision_after_closing."""
    missing = _missing_tables(run)
    if missing:
        raise ReportError(f"the published warehouse lacks {', '.join(missing)}: run `warehouse refresh` "
                          "(or `warehouse demo`) first")
    frame = run(
        "select m.measure_id, m.name_ja as measure_name_ja, coalesce(m.strategy_id, '') as strategy_id, "
        "g.name_ja as goal_name_ja, m.owner_departments_ja, i.indicator_id, "
        "case when i.sub_item_ja is not null and i.sub_item_ja <> '' then i.sub_item_ja || ': ' || i.name_ja "
        "else i.name_ja end as indicator_name_ja, i.baseline_text_ja, i.target_text_ja, i.target_fiscal_year, "
        "p.actual_value, p.achievement_rate, p.progress_status, p.data_through_date, "
        "s.computed_grade as suggested_grade, s.computed_reason_ja as grade_reason_ja, s.self_assessed_grade, "
        "s.decided_grade, s.decided_reason_ja, s.next_year_plan_ja, s.department_remark_ja as department_comment "
        "from seeds.plan_measures as m "
        "left join seeds.plan_basic_goals as g on g.goal_id = m.main_goal_id "
        "left join main.dim_indicator as i on i.measure_id = m.measure_id "
        "left join main.mart_kpi_indicator_progress as p on p.indicator_id = i.indicator_id and p.fiscal_year = ? "
        "left join main.mart_plan_measure_status as s on s.measure_id = m.measure_id and s.fiscal_year = ? "
        "order by m.measure_id, i.indicator_seq",
        [fiscal_year, fiscal_year],
    )
    frame = apply_reported_figures(frame, reported_figures(run, fiscal_year), lang)
    return frame.with_columns(pl.lit(None).alias(key) for key in COLUMNS_JA if key not in frame.columns)


def _cell_value(key: str, value: Any, lang: str) -> Any:
    """What a cell shows: status and grade codes in Japanese, decimals as floats, dates as ISO text."""
    if value is None:
        return None
    if lang == "ja" and key == "progress_status":
        return STATUS_JA.get(str(value), value)
    if lang == "ja" and key == "suggested_grade":
        return GRADE_JA.get(str(value), value)
    if key in ("achievement_rate", "actual_value"):
        return float(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def report_workbook_bytes(frame: pl.DataFrame, fiscal_year: int, lang: str = "ja") -> bytes:
    """The report as .xlsx bytes: sheet 取り組み状況 (one merged block per measure), sheet 推進本部の決定評価 (one row
    per measure) and 記入のしかた; only the cells to fill are unlocked, grades are picked from a list."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    formats = _formats(book)
    _write_progress_sheet(book, formats, frame, fiscal_year, lang)
    _write_decision_sheet(book, formats, frame, fiscal_year, lang)
    _write_guide_sheet(book, formats, lang)
    book.close()
    return buffer.getvalue()


def _formats(book: Any) -> dict[str, Any]:
    font = {"font_name": "Yu Gothic", "font_size": 10, "valign": "top", "text_wrap": True, "border": 1}
    return {
        "title": book.add_format({"font_name": "Yu Gothic", "bold": True, "font_size": 14}),
        "note": book.add_format({"font_name": "Yu Gothic", "font_size": 10}),
        "label": book.add_format({"font_name": "Yu Gothic", "font_size": 10, "bold": True}),
        "head": book.add_format({**font, "bold": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter"}),
        "input_head": book.add_format({**font, "bold": True, "bg_color": "#FFE699", "align": "center",
                                       "valign": "vcenter"}),
        "cell": book.add_format(font),
        "number": book.add_format({**font, "num_format": "#,##0.##"}),
        "percent": book.add_format({**font, "num_format": "0.0%"}),
        "input": book.add_format({**font, "bg_color": "#FFF2CC", "locked": False}),
    }


def _header(sheet: Any, formats: dict[str, Any], columns: tuple[tuple[str, str, str], ...], inputs: tuple[str, ...],
            lang: str) -> None:
    for col, (key, ja, en) in enumerate(columns):
        sheet.write(HEADER_ROW - 1, col, en if lang == "en" else ja,
                    formats["input_head"] if key in inputs else formats["head"])
        sheet.set_column(col, col, COLUMN_WIDTHS.get(key, 12))


def _fiscal_year_cells(sheet: Any, formats: dict[str, Any], fiscal_year: int, lang: str) -> None:
    sheet.write(2, 0, FISCAL_YEAR_LABELS[1] if lang == "en" else FISCAL_YEAR_LABELS[0], formats["label"])
    sheet.write_number(2, 1, fiscal_year, formats["label"])


def _grade_list(sheet: Any, first_row: int, last_row: int, col: int, grades: tuple[str, ...], lang: str) -> None:
    """A drop-down of the allowed grades; anything else is refused by Excel (and by ingest)."""
    sheet.data_validation(first_row, col, last_row, col, {
        "validate": "list", "source": list(grades),
        "error_title": "評価" if lang == "ja" else "Grade",
        "error_message": (f"{'、'.join(grades)} のどれかを選んでください。" if lang == "ja"
                          else f"Choose one of {', '.join(grades)}."),
    })


def _write_progress_sheet(book: Any, formats: dict[str, Any], frame: pl.DataFrame, fiscal_year: int,
                          lang: str) -> None:
    sheet = book.add_worksheet(SHEET)
    label = fiscal_year_label(fiscal_year)
    sheet.write(0, 0, f"『ICT推進・活用計画2020』の取り組み状況（{label}・{fiscal_year}年度）"
                if lang == "ja" else f"ICT Plan 2020 progress report, FY{fiscal_year}", formats["title"])
    sheet.write(1, 0, "評価(案)は指標の実績から算出した目安です。所管課は黄色の欄（自己評価・次年度の取組・所管課コメント）に"
                      "記入してください（記入のしかたは「記入のしかた」シート）。"
                if lang == "ja" else "Suggested grades are computed from the indicators; departments fill in the yellow "
                "cells (self-assessment, next year's plan, comment); see the sheet 記入のしかた.", formats["note"])
    _fiscal_year_cells(sheet, formats, fiscal_year, lang)
    closed_on = frame["closed_on"].drop_nulls() if "closed_on" in frame.columns else pl.Series([], dtype=pl.Date)
    if closed_on.len():
        sheet.write(2, 3, f"{label}は{closed_on.max().isoformat()}に確定しました。数値は報告時のもので、確定後に読み込まれた"
                          "修正は「確定後の修正」欄に示します。" if lang == "ja" else
                    f"FY{fiscal_year} was closed on {closed_on.max().isoformat()}: figures are as reported; corrections "
                    "loaded since are shown under 'Revised after closing'.", formats["note"])
    _header(sheet, formats, REPORT_COLUMNS, DEPARTMENT_INPUTS, lang)
    order = [key for key, _, _ in REPORT_COLUMNS]
    rows = [{key: record.get(key) for key in order} for record in frame.to_dicts()]
    row_index = start = HEADER_ROW

    def format_of(key: str) -> Any:
        return formats["input"] if key in DEPARTMENT_INPUTS else formats["percent"] if key == "achievement_rate" \
            else formats["number"] if key == "actual_value" else formats["cell"]

    for position, record in enumerate(rows):
        for col, key in enumerate(order):
            value = _cell_value(key, record[key], lang)
            if value is None:
                sheet.write_blank(row_index, col, None, format_of(key))
            else:
                sheet.write(row_index, col, value, format_of(key))
        last_of_measure = position == len(rows) - 1 or rows[position + 1]["measure_id"] != record["measure_id"]
        if last_of_measure:
            if row_index > start:
                for key in MEASURE_COLUMNS:
                    col = order.index(key)
                    value = _cell_value(key, record[key], lang)
                    sheet.merge_range(start, col, row_index, col, "" if value is None else value, format_of(key))
            start = row_index + 1
        row_index += 1
    _grade_list(sheet, HEADER_ROW, row_index - 1, order.index("self_assessed_grade"), SELF_ASSESSMENT_GRADES, lang)
    sheet.freeze_panes(HEADER_ROW, 2)
    sheet.autofilter(HEADER_ROW - 1, 0, row_index - 1, len(order) - 1)
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(HEADER_ROW - 1)


def _write_decision_sheet(book: Any, formats: dict[str, Any], frame: pl.DataFrame, fiscal_year: int,
                          lang: str) -> None:
    sheet = book.add_worksheet(DECISION_SHEET)
    sheet.write(0, 0, f"ICT推進・活用本部の決定評価（{fiscal_year_label(fiscal_year)}・{fiscal_year}年度）"
                if lang == "ja" else f"Grades decided by the ICT推進・活用本部, FY{fiscal_year}", formats["title"])
    sheet.write(1, 0, "IT推進課が本部の決定を黄色の欄（決定評価・決定の理由）に記入します。AA は本部の決定だけで使えます。"
                if lang == "ja" else "The planning office records the 本部's decision in the yellow cells (decided grade "
                "and reason). AA can only be decided here.", formats["note"])
    _fiscal_year_cells(sheet, formats, fiscal_year, lang)
    _header(sheet, formats, DECISION_COLUMNS, DECISION_INPUTS, lang)
    order = [key for key, _, _ in DECISION_COLUMNS]
    measures = frame.unique("measure_id", keep="first", maintain_order=True).to_dicts()
    for offset, record in enumerate(measures):
        for col, key in enumerate(order):
            value = _cell_value(key, record.get(key), lang)
            fmt = formats["input"] if key in DECISION_INPUTS else formats["cell"]
            if value is None:
                sheet.write_blank(HEADER_ROW + offset, col, None, fmt)
            else:
                sheet.write(HEADER_ROW + offset, col, value, fmt)
    last = HEADER_ROW + len(measures) - 1
    _grade_list(sheet, HEADER_ROW, last, order.index("decided_grade"), DECIDED_GRADES, lang)
    sheet.freeze_panes(HEADER_ROW, 2)
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)


def _write_guide_sheet(book: Any, formats: dict[str, Any], lang: str) -> None:
    sheet = book.add_worksheet(GUIDE_SHEET)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 100)
    lines_ja = [
        ("記入のしかた", ""),
        ("1", f"所管課は「{SHEET}」シートの黄色の欄に記入します: 自己評価（A・B・C から選択）、次年度の取組、所管課コメント。"),
        ("2", f"ICT推進・活用本部の決定は、IT推進課が「{DECISION_SHEET}」シートの決定評価（AA・A・B・C）と決定の理由に記入します。"),
        ("3", "行や列を足したり、動かしたり、シート名や見出しを変えたりしないでください（取り込めなくなります）。"),
        ("4", "個人の氏名・電話番号・メールアドレスなど個人情報は書かないでください（書かれたブックは取り込みません）。"),
        ("5", "記入したブックは IT推進課が landing/evaluations/ に置き、次の更新で取り込みます。同じ年度のブックを置き直すと前のものと置き換わります。"),
        ("", ""),
        ("評価", "基準（計画書 表1）"),
        *[(grade, text) for grade, text in GRADE_DEFINITIONS_JA.items()],
    ]
    lines_en = [
        ("How to fill in", ""),
        ("1", f"Departments fill the yellow cells of sheet {SHEET}: self-assessment (A, B or C), next year's plan, comment."),
        ("2", (f"The planning office records the ICT推進・活用本部's decision on sheet {DECISION_SHEET}: grade (AA, A, B, C) "
              "and reason.")),
        ("3", "Do not add, move or rename rows, columns, sheets or headers (the workbook would be refused)."),
        ("4", "Write no personal data (names, phone numbers, e-mail addresses): a workbook holding them is refused."),
        ("5", ("The planning office puts the workbook in landing/evaluations/; the next refresh loads it. A later "
              "workbook for the same fiscal year replaces the earlier one.")),
        ("", ""),
        ("Grade", "Definition (the plan's table 1)"),
        *[(grade, text) for grade, text in GRADE_DEFINITIONS_EN.items()],
    ]
    for row, (first, second) in enumerate(lines_en if lang == "en" else lines_ja):
        sheet.write(row, 0, first, formats["label"] if row == 0 else formats["note"])
        sheet.write(row, 1, second, formats["note"])


def _open_runner(settings: Settings) -> tuple[Runner, Callable[[], None]]:
    """A read-only runner on the published file, through the analysts' SQL sandbox."""
    from warehouse.serving.sandbox import open_sandbox

    path = settings.published_path
    if not path.exists():
        raise ReportError(f"no published warehouse at {path}: run `warehouse demo` or `warehouse refresh` first")
    sandbox = open_sandbox(settings, max_rows=100_000)
    return (lambda sql, params: sandbox.query(sql, list(params or [])).frame), sandbox.close


def write_yearly_report(settings: Settings, fiscal_year: int, out_path: Path | None = None) -> Path:
    """Write the FY's 取り組み状況 workbook (default: <home>/reports/torikumi_jokyo_FY<year>.xlsx) and return its path."""
    run, close = _open_runner(settings)
    try:
        frame = build_report_frame(run, fiscal_year)
    finally:
        close()
    target = out_path or settings.home / "reports" / f"torikumi_jokyo_FY{fiscal_year}.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(report_workbook_bytes(frame, fiscal_year))
    return target
