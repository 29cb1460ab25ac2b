"""The 取り組み状況 workbook's layout, shared by the writer (warehouse/products/report.py) and the reader (parser.py).

Sheet 取り組み状況 holds one block of rows per measure (one row per indicator; measure columns merged); the owner
department fills 自己評価, 次年度の取組 and 所管課コメント. Sheet 推進本部の決定評価 holds one row per measure; the
planning office fills 決定評価 and 決定の理由 for the ICT推進・活用本部. The fiscal year sits in B3 of both.
"""
from __future__ import annotations

SHEET = "取り組み状況"
DECISION_SHEET = "推進本部の決定評価"
GUIDE_SHEET = "記入のしかた"
HEADER_ROW = 4  # 1-based row of the column headers on both data sheets; data starts below it
FISCAL_YEAR_LABEL_CELL = "A3"
FISCAL_YEAR_CELL = "B3"
FISCAL_YEAR_LABELS = ("年度", "Fiscal year")

# (key, Japanese header, English header) of sheet 取り組み状況, in column order.
REPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("measure_id", "NO.", "No."),
    ("measure_name_ja", "事業名", "Measure"),
    ("strategy_id", "重点戦略", "Focus strategy"),
    ("goal_name_ja", "基本目標", "Basic goal"),
    ("owner_departments_ja", "所管課", "Department"),
    ("indicator_id", "指標ID", "Indicator ID"),
    ("indicator_name_ja", "指標", "Indicator"),
    ("baseline_text_ja", "現状", "Baseline"),
    ("target_text_ja", "目標", "Target"),
    ("target_fiscal_year", "目標年度", "Target year"),
    ("actual_value", "実績", "Actual"),
    ("achievement_rate", "達成率", "Achievement"),
    ("progress_status", "指標の状況", "Indicator status"),
    ("data_through_date", "データ時点", "Data through"),
    ("revision_after_closing", "確定後の修正", "Revised after closing"),
    ("suggested_grade", "評価(案)", "Suggested grade"),
    ("grade_reason_ja", "評価の理由", "Reason"),
    ("self_assessed_grade", "自己評価", "Self-assessment"),
    ("decided_grade", "決定評価", "Decided grade"),
    ("next_year_plan_ja", "次年度の取組", "Next year's plan"),
    ("department_comment", "所管課コメント", "Department comment"),
)
# (key, Japanese header, English header) of sheet 推進本部の決定評価, in column order.
DECISION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("measure_id", "NO.", "No."),
    ("measure_name_ja", "事業名", "Measure"),
    ("owner_departments_ja", "所管課", "Department"),
    ("suggested_grade", "評価(案)", "Suggested grade"),
    ("self_assessed_grade", "自己評価", "Self-assessment"),
    ("decided_grade", "決定評価", "Decided grade"),
    ("decided_reason_ja", "決定の理由", "Reason for the decision"),
)
# Cells a department fills on 取り組み状況, and the planning office on 推進本部の決定評価; the rest is locked.
DEPARTMENT_INPUTS = ("self_assessed_grade", "next_year_plan_ja", "department_comment")
DECISION_INPUTS = ("decided_grade", "decided_reason_ja")
# Measure-level columns of 取り組み状況: one merged cell per measure block.
MEASURE_COLUMNS = ("measure_id", "measure_name_ja", "strategy_id", "goal_name_ja", "owner_departments_ja",
                   "suggested_grade", "grade_reason_ja", "self_assessed_grade", "decided_grade", "next_year_plan_ja",
                   "department_comment")

# The plan's grades (表1 of the plan): AA is the ward's own judgement (区民満足度（区の評価）を著しく高めた), decided
# by the ICT推進・活用本部, so a department assesses itself A, B or C.
SELF_ASSESSMENT_GRADES = ("A", "B", "C")
DECIDED_GRADES = ("AA", "A", "B", "C")
GRADE_DEFINITIONS_JA = {
    "AA": "区民満足度（区の評価）を著しく高めた取り組みがあった（推進本部の決定のみ）",
    "A": "計画どおり進捗しており、目標としている成果が上がっている",
    "B": "概ね計画どおり進捗しているが、さらに工夫の余地がある",
    "C": "実績が計画を下回っており、さらなる努力又は計画の見直しが必要",
}
GRADE_DEFINITIONS_EN = {
    "AA": "markedly raised residents' satisfaction (the ward's judgement; decided by the ICT推進・活用本部 only)",
    "A": "on plan, and the targeted results are appearing",
    "B": "broadly on plan, with room for improvement",
    "C": "results below plan: more effort or a revised plan is needed",
}


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index (0 → A)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def cell_of(sheet: str, key: str, row: int) -> str:
    """The cell of column key at 1-based sheet row, e.g. 取り組み状況!Q12."""
    columns = REPORT_COLUMNS if sheet == SHEET else DECISION_COLUMNS
    index = [name for name, _, _ in columns].index(key)
    return f"{sheet}!{column_letter(index)}{row}"
