"""The yearly cycle's workbook round trip (issue 14 item 1), with the real CLI, refresh, dbt and app.

`warehouse report --fiscal-year 2020` writes the 取り組み状況 workbook; departments fill their cells and the
planning office the 本部's decision with openpyxl, as they would in Excel; the workbook dropped into
landing/evaluations/ is loaded by a real `warehouse refresh`; the comments and the three grades are then in the
marts, on the overview and yearly report pages (AppTest), and written back into the next copy of the workbook."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from ingest.common.normalize import nfkc
from ingest.evaluations.workbook import DECISION_COLUMNS, DECISION_SHEET, HEADER_ROW, REPORT_COLUMNS, SHEET
from tests.conftest import run_warehouse

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
# What the departments write (measure: self-assessment, comment, next year's plan) and what the 本部 decides.
ENTRIES = {
    1: ("A", "オープンデータを計画どおり公開した。", "APIでの提供を始める。"),
    13: ("B", "閲覧数は伸びたが、スマートフォン向けの改善が残る。", "スマートフォン表示を改善する。"),
    35: ("C", "研修の受講が計画を下回った。", "受講しやすい日程に見直す。"),
}
DECISIONS = {13: ("AA", "区民満足度を著しく高めた（評価会議 2021年6月）")}
# Ingest stores every cell NFKC-folded (full-width brackets become ASCII), as for every other kind.
STORED_REASON = nfkc(DECISIONS[13][1])


def headers(sheet) -> list[str]:
    return [cell.value for cell in sheet[HEADER_ROW]]


def measure_rows(sheet) -> dict[int, int]:
    """Measure number → the sheet row of its block's first line."""
    return {int(row[0].value): row[0].row for row in sheet.iter_rows(min_row=HEADER_ROW + 1) if row[0].value}


def fill_as_departments_and_office(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    report, decisions = book[SHEET], book[DECISION_SHEET]
    column = {name: index + 1 for index, name in enumerate(headers(report))}
    for measure, (grade, comment, plan) in ENTRIES.items():
        row = measure_rows(report)[measure]
        report.cell(row, column["自己評価"]).value = grade
        report.cell(row, column["所管課コメント"]).value = comment
        report.cell(row, column["次年度の取組"]).value = plan
    decided = {name: index + 1 for index, name in enumerate(headers(decisions))}
    for measure, (grade, reason) in DECISIONS.items():
        row = measure_rows(decisions)[measure]
        decisions.cell(row, decided["決定評価"]).value = grade
        decisions.cell(row, decided["決定の理由"]).value = reason
    book.save(path)


def read(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def cycled_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home that published, wrote the FY2020 workbook, and loaded it back filled in."""
    home = tmp_path_factory.mktemp("cycle") / "home"
    run_warehouse(home, "refresh", check=True)
    run_warehouse(home, "report", "--fiscal-year", "2020", check=True)
    written = home / "reports" / "torikumi_jokyo_FY2020.xlsx"
    returned = home / "landing" / "evaluations" / "torikumi_jokyo_FY2020_記入済.xlsx"
    returned.parent.mkdir(parents=True)
    shutil.copy2(written, returned)
    fill_as_departments_and_office(returned)
    completed = run_warehouse(home, "refresh")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return home


def test_the_marts_carry_comments_and_all_three_grades_with_the_workbook(cycled_home: Path) -> None:
    rows = read(cycled_home, "select measure_id, computed_grade, self_assessed_grade, department_remark_ja, "
                             "next_year_plan_ja, decided_grade, decided_reason_ja, suggested_grade, decision_source, "
                             "source_file_name, evaluation_run_id from main.mart_plan_measure_status "
                             "where fiscal_year = 2020 "
                             "and (self_assessed_grade is not null or decided_grade is not null) order by 1")
    refreshes = [json.loads(line) for line in (cycled_home / "runs" / "ledger.jsonl").read_text().splitlines()]
    loading_run = [record["run_id"] for record in refreshes if record.get("kind") == "refresh"][-1]
    assert [row[0] for row in rows] == sorted(ENTRIES)
    for measure, computed, grade, comment, plan, decided, reason, suggested, source, file_name, run_id in rows:
        assert (grade, comment, plan) == ENTRIES[measure]
        assert computed == "not_evaluable"  # the rules' grade: this home has no data
        assert (decided, reason) == ((DECISIONS[measure][0], STORED_REASON) if measure in DECISIONS else (None, None))
        assert suggested == (decided or computed)  # a decision is the grade that stands
        assert source == ("workbook" if decided else None)
        assert file_name == "torikumi_jokyo_FY2020_記入済.xlsx"
        assert run_id == loading_run  # the second refresh, which read the returned workbook
    # every measure still appears, with or without an evaluation; nothing leaks into other years
    assert read(cycled_home, "select count(*) from main.mart_plan_measure_status where fiscal_year = 2020") == [(35,)]
    assert read(cycled_home, "select count(*) from main.fct_measure_evaluations") == [(3,)]
    assert read(cycled_home, "select count(*) from main.mart_plan_measure_status where fiscal_year <> 2020 "
                             "and self_assessed_grade is not null") == [(0,)]
    assert read(cycled_home, "select count(*) from meta.quality_results where not success") == [(0,)]


def run_page(home: Path, page: str, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in {"fiscal_year_switch": 2020, **state}.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_the_overview_shows_the_three_grades_side_by_side_with_the_comment(
        cycled_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_HOME", str(cycled_home))
    at = run_page(cycled_home, "overview")
    rows = [row for table in at.table for row in table.value.to_dict("records")]
    assert len(rows) == 35
    by_measure = {int(str(row["施策"]).split(".")[0]): row for row in rows}
    for measure, (grade, comment, _) in ENTRIES.items():
        row = by_measure[measure]
        assert row["自己評価"].startswith(grade + "（"), row
        assert row["所管課コメント"] == comment
        assert row["評価(案)"] == "評価不能"
    assert by_measure[13]["決定評価"] == f"AA：{STORED_REASON}"
    assert by_measure[2]["自己評価"] == "—" and by_measure[2]["決定評価"] == "—"


def test_the_yearly_report_page_shows_the_grades_and_comments(
        cycled_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_HOME", str(cycled_home))
    at = run_page(cycled_home, "yearly_report", report_year=2020)
    frame = at.dataframe[0].value
    firsts = frame.drop_duplicates("NO.").set_index("NO.")
    for measure, (grade, comment, plan) in ENTRIES.items():
        assert (firsts.loc[measure, "自己評価"], firsts.loc[measure, "所管課コメント"],
                firsts.loc[measure, "次年度の取組"]) == (grade, comment, plan)
    assert (firsts.loc[13, "決定評価"], firsts.loc[13, "決定の理由"]) == ("AA", STORED_REASON)
    assert firsts.loc[1, "評価(案)"] == "not_evaluable"


def test_the_next_yearly_report_workbook_carries_what_was_recorded(cycled_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "next.xlsx"
    run_warehouse(cycled_home, "report", "--fiscal-year", "2020", check=True)
    shutil.copy2(cycled_home / "reports" / "torikumi_jokyo_FY2020.xlsx", out)
    book = openpyxl.load_workbook(out)
    report, decisions = book[SHEET], book[DECISION_SHEET]
    assert headers(report) == [ja for _, ja, _ in REPORT_COLUMNS]
    assert headers(decisions) == [ja for _, ja, _ in DECISION_COLUMNS]
    column = {name: index + 1 for index, name in enumerate(headers(report))}
    rows = measure_rows(report)
    for measure, (grade, comment, plan) in ENTRIES.items():
        cells = [report.cell(rows[measure], column[name]).value
                 for name in ("評価(案)", "自己評価", "決定評価", "次年度の取組", "所管課コメント")]
        assert cells == ["評価不能", grade, DECISIONS.get(measure, (None,))[0], plan, comment]
    decided = {name: index + 1 for index, name in enumerate(headers(decisions))}
    row = measure_rows(decisions)[13]
    assert [decisions.cell(row, decided[name]).value for name in ("自己評価", "決定評価", "決定の理由")] == \
        ["B", "AA", STORED_REASON]
