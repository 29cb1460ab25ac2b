"""The yearly progress report (「取り組み状況」): one block per measure with its indicators, as an Excel workbook.

Laid out like the plan's appendix tables (NO., 事業名, 重点戦略, 所管課, 指標, 現状, 目標) plus the year's
actual, achievement, suggested grade and reason, and an empty column for the department's comment.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.platform.settings import Settings
from warehouse.platform.wareki import fiscal_year_label

Runner = Callable[[str, Sequence[Any] | None], pl.DataFrame]

COLUMNS_JA: dict[str, str] = {
    "measure_id": "NO.", "measure_name_ja": "事業名", "strategy_id": "重点戦略", "goal_name_ja": "基本目標",
    "owner_departments_ja": "所管課", "indicator_id": "指標ID", "indicator_name_ja": "指標",
    "baseline_text_ja": "現状", "target_text_ja": "目標", "target_fiscal_year": "目標年度",
    "actual_value": "実績", "achievement_rate": "達成率", "progress_status": "指標の状況",
    "data_through_date": "データ時点", "suggested_grade": "評価(案)", "grade_reason_ja": "評価の理由", "department_comment": "所管課コメント",
}
COLUMNS_EN: dict[str, str] = {
    "measure_id": "No.", "measure_name_ja": "Measure", "strategy_id": "Focus strategy", "goal_name_ja": "Basic goal",
    "owner_departments_ja": "Department", "indicator_id": "Indicator ID", "indicator_name_ja": "Indicator",
    "baseline_text_ja": "Baseline", "target_text_ja": "Target", "target_fiscal_year": "Target year",
    "actual_value": "Actual", "achievement_rate": "Achievement", "progress_status": "Indicator status",
    "data_through_date": "Data through", "suggested_grade": "Suggested grade", "grade_reason_ja": "Reason", "department_comment": "Department comment",
}
MEASURE_COLUMNS = ("measure_id", "measure_name_ja", "strategy_id", "goal_name_ja", "owner_departments_ja",
                   "suggested_grade", "grade_reason_ja", "department_comment")
STATUS_JA = {"achieved": "達成", "on_track": "順調", "at_risk": "要注意", "off_track": "遅れ",
             "not_evaluable": "評価不能", "no_data": "データなし"}
GRADE_JA = {"not_evaluable": "評価不能"}


class ReportError(RuntimeError):
    """The report cannot be produced from what is published."""


REQUIRED_TABLES = ("seeds.plan_measures", "main.dim_indicator", "main.mart_kpi_indicator_progress",
                   "main.mart_plan_measure_status")


def _missing_tables(run: Runner) -> list[str]:
    frame = run("select schema_name || '.' || table_name as name from duckdb_tables() "
                "where database_name = current_database()", None)
    present = set(frame["name"].to_list())
    return [name for name in REQUIRED_TABLES if name not in present]


def build_report_frame(run: Runner, fiscal_year: int) -> pl.DataFrame:
    """One row per indicator (all 41 of the 35 measures), ordered by measure and indicator, for one fiscal year."""
    missing = _missing_tables(run)
    if missing:
        raise ReportError(f"the published warehouse lacks {', '.join(missing)}: run `warehouse refresh` "
                          "(or `warehouse demo`) first")
    return run(
        "select m.measure_id, m.name_ja as measure_name_ja, coalesce(m.strategy_id, '') as strategy_id, "
        "g.name_ja as goal_name_ja, m.owner_departments_ja, i.indicator_id, "
        "case when i.sub_item_ja is not null and i.sub_item_ja <> '' then i.sub_item_ja || ': ' || i.name_ja "
        "else i.name_ja end as indicator_name_ja, i.baseline_text_ja, i.target_text_ja, i.target_fiscal_year, "
        "p.actual_value, p.achievement_rate, p.progress_status, p.data_through_date, "
        "s.suggested_grade, s.grade_reason_ja, cast(null as varchar) as department_comment "
        "from seeds.plan_measures as m "
        "left join seeds.plan_basic_goals as g on g.goal_id = m.main_goal_id "
        "left join main.dim_indicator as i on i.measure_id = m.measure_id "
        "left join main.mart_kpi_indicator_progress as p on p.indicator_id = i.indicator_id and p.fiscal_year = ? "
        "left join main.mart_plan_measure_status as s on s.measure_id = m.measure_id and s.fiscal_year = ? "
        "order by m.measure_id, i.indicator_seq",
        [fiscal_year, fiscal_year],
    )


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
    """The report as .xlsx bytes: title, header, one merged block per measure, comment column left empty."""
    import xlsxwriter

    names = COLUMNS_EN if lang == "en" else COLUMNS_JA
    order = list(COLUMNS_JA)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("取り組み状況")
    font = {"font_name": "Yu Gothic", "font_size": 10, "valign": "top", "text_wrap": True, "border": 1}
    title = book.add_format({"font_name": "Yu Gothic", "bold": True, "font_size": 14})
    head = book.add_format({**font, "bold": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter"})
    cell = book.add_format(font)
    number = book.add_format({**font, "num_format": "#,##0.##"})
    percent = book.add_format({**font, "num_format": "0.0%"})
    comment = book.add_format({**font, "bg_color": "#FFF2CC"})
    label = fiscal_year_label(fiscal_year)
    sheet.write(0, 0, f"『ICT推進・活用計画2020』の取り組み状況（{label}・{fiscal_year}年度）"
                if lang == "ja" else f"ICT Plan 2020 progress report, FY{fiscal_year}", title)
    sheet.write(1, 0, "評価(案)は指標の実績から算出した目安です。所管課コメント欄に記入してください。"
                if lang == "ja" else "Suggested grades are computed from the indicators; departments fill in the comment column.")
    widths = {"measure_id": 5, "measure_name_ja": 28, "strategy_id": 8, "goal_name_ja": 18, "owner_departments_ja": 16,
              "indicator_id": 8, "indicator_name_ja": 40, "baseline_text_ja": 14, "target_text_ja": 12,
              "target_fiscal_year": 8, "actual_value": 12, "achievement_rate": 9, "progress_status": 10, "data_through_date": 11,
              "suggested_grade": 8, "grade_reason_ja": 30, "department_comment": 36}
    header_row = 3
    for col, key in enumerate(order):
        sheet.write(header_row, col, names[key], head)
        sheet.set_column(col, col, widths[key])
    rows = frame.select(order).to_dicts()
    row_index = header_row + 1
    start = row_index
    for position, record in enumerate(rows):
        for col, key in enumerate(order):
            value = _cell_value(key, record[key], lang)
            fmt = percent if key == "achievement_rate" else number if key == "actual_value" else \
                comment if key == "department_comment" else cell
            if value is None:
                sheet.write_blank(row_index, col, None, fmt)
            else:
                sheet.write(row_index, col, value, fmt)
        last_of_measure = position == len(rows) - 1 or rows[position + 1]["measure_id"] != record["measure_id"]
        if last_of_measure:
            if row_index > start:
                for key in MEASURE_COLUMNS:
                    col = order.index(key)
                    value = _cell_value(key, record[key], lang)
                    fmt = comment if key == "department_comment" else cell
                    if value is None:
                        sheet.merge_range(start, col, row_index, col, "", fmt)
                    else:
                        sheet.merge_range(start, col, row_index, col, value, fmt)
            start = row_index + 1
        row_index += 1
    sheet.freeze_panes(header_row + 1, 2)
    sheet.autofilter(header_row, 0, row_index - 1, len(order) - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    book.close()
    return buffer.getvalue()


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
