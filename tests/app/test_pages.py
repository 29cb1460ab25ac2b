"""Every page and switch, run headless with streamlit.testing.v1.AppTest against a synthetic warehouse."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, PAGES
from tests.app.fixture_warehouse import build_fixture_warehouse

EXPECTED_TITLES_JA = {"overview": "計画の概要", "indicator": "指標の詳細", "certificates": "証明書交付",
                      "homepage": "ホームページ", "gis": "GIS", "energy": "エネルギー", "previous_plan": "前計画の評価",
                      "catalog": "データカタログと品質", "yearly_report": "年次報告"}


def run_page(page: str, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    return at


def all_text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.title] \
        + [e.value for e in at.subheader] + [str(m.label) + " " + str(m.value) for m in at.metric]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_japanese_without_errors(app_env: Path, page: str) -> None:
    at = run_page(page)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [EXPECTED_TITLES_JA[page]]
    text = all_text(at)
    assert "公開版" in text and "warehouse-20210410T000000Z-fixture" in text
    assert not [w.value for w in at.warning if "読み込めませんでした" in w.value]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_english(app_env: Path, page: str) -> None:
    at = run_page(page, lang="en", era="seireki")
    assert not at.exception, at.exception
    assert "Published version" in all_text(at)


def test_overview_counts_all_35_measures_with_status(app_env: Path) -> None:
    at = run_page("overview")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["推進施策"] == "35施策"
    status_total = sum(int(v) for k, v in metrics.items() if k != "推進施策")
    assert status_total == 35
    assert any("データ時点" in c.value and "品質チェック合格" in c.value for c in at.caption)
    assert any("要約" in c.value for c in at.caption)  # every chart has a text summary
    assert len(at.dataframe) >= 6  # status table + one table per basic goal


def test_overview_filters_narrow_the_measures(app_env: Path) -> None:
    at = run_page("overview")
    at.multiselect(key="ov_status").set_value(["achieved"]).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["推進施策"] == f"{metrics['◎ 達成']}施策"
    at.multiselect(key="ov_status").set_value([]).run()
    at.multiselect(key="ov_strategy").set_value(["マイナンバー法への対応"]).run()
    assert {m.label: m.value for m in at.metric}["推進施策"] != "35施策"


def test_era_switch_changes_fiscal_year_labels(app_env: Path) -> None:
    at = run_page("overview")
    assert any("令和2年度" in c.value for c in at.caption)
    at.sidebar.radio(key="era").set_value("seireki").run()
    assert any("2020年度" in c.value for c in at.caption)
    assert not any("令和2年度" in c.value for c in at.caption)


def test_language_switch_translates_navigation_and_labels(app_env: Path) -> None:
    at = run_page("overview")
    at.sidebar.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert "Plan overview" in [t.value for t in at.title]
    assert any(m.label == "Measures" for m in at.metric)


def test_fiscal_year_switch(app_env: Path) -> None:
    at = run_page("indicator")
    at.sidebar.selectbox(key="fiscal_year_switch").set_value(2019).run()
    assert any("令和元年度" in m.label for m in at.metric)


def test_indicator_page_shows_target_definition_freshness_and_downloads(app_env: Path) -> None:
    at = run_page("indicator")
    at.selectbox(key="ind_pick").set_value("M13-1").run()
    text = all_text(at)
    assert "区ホームページのアクセス件数" in text or "M13-1" in text
    labels = [m.label for m in at.metric]
    assert any(label.startswith("目標") for label in labels)
    assert any("データ時点" in c.value for c in at.caption)
    assert any("月別の実績" in m.value for m in at.markdown)
    assert len(at.get("download_button")) == 2
    assert at.table  # the definition table


def test_certificates_page_shows_real_mynumber_data(app_env: Path) -> None:
    at = run_page("certificates")
    text = all_text(at)
    assert "コンビニ交付率" in text
    assert "56.3%" in text  # Itabashi on 2022-12-31, from the real file
    assert "23区中" in text


def test_certificates_page_says_when_real_data_is_missing(app_env: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_REAL_DATA", str(tmp_path / "nothing-here"))
    at = run_page("certificates")
    assert not at.exception
    assert any("実データが見つかりません" in w.value for w in at.warning)


def test_catalog_lists_datasets_runs_and_quality(app_env: Path) -> None:
    at = run_page("catalog")
    frames = [d.value for d in at.dataframe]
    tables = frames[0]
    assert "mart_kpi_indicator_progress" in set(tables["table"])
    described = tables[tables["table"] == "mart_kpi_indicator_progress"].iloc[0]
    assert described["粒度"] == "One row per indicator and fiscal year"
    assert described["所管課"] == "IT推進課"
    assert any("synthetic fixture" in str(f.to_dict()) for f in frames)  # refresh runs
    assert any("2 / 2" == m.value for m in at.metric)  # quality results


def test_previous_plan_reproduces_table1(app_env: Path) -> None:
    at = run_page("previous_plan")
    table = at.table[0].value
    assert list(table.index[:5]) == ["AA", "A", "B", "C", "その他"]
    assert table.loc["A", "事業数"] == "68件"
    assert table.loc["合計", "事業数"] == "76件"
    assert len(at.dataframe[-1].value) == 76


def test_yearly_report_page_lists_all_measures(app_env: Path) -> None:
    at = run_page("yearly_report")
    frame = at.dataframe[0].value
    assert frame["NO."].nunique() == 35
    assert any(m.value == "35施策" for m in at.metric)
    assert at.get("download_button")


def test_empty_home_shows_first_run_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "empty"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = "\n".join(i.value for i in at.info)
    assert "warehouse demo" in text and "make run" in text and "warehouse refresh" in text


def test_new_publish_is_picked_up_without_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    build_fixture_warehouse(home)
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("fixture" in c.value for c in at.caption)
    # publish a new version the way the refresh does: a finished file renamed over the served path
    staging = tmp_path / "next"
    build_fixture_warehouse(staging)
    import duckdb

    con = duckdb.connect(str(staging / "warehouse.duckdb"))
    con.execute("update meta.warehouse_version set version_id = 'warehouse-20210510T000000Z-second'")
    con.execute("checkpoint")
    con.close()
    os.replace(staging / "warehouse.duckdb", home / "warehouse.duckdb")
    (home / "published.json").write_text(json.dumps({"version_id": "warehouse-20210510T000000Z-second"}))
    at.run()
    assert not at.exception
    assert any("warehouse-20210510T000000Z-second" in c.value for c in at.caption)


def test_report_workbook_has_all_35_measures_and_indicators(fixture_home: Path, tmp_path: Path) -> None:
    from warehouse.report import write_yearly_report
    from warehouse.settings import load_settings

    out = write_yearly_report(load_settings(fixture_home), 2020, tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[4]]
    assert header[:7] == ["NO.", "事業名", "重点戦略", "基本目標", "所管課", "指標ID", "指標"]
    assert header[-1] == "所管課コメント"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    measure_ids = {r[0] for r in rows if r[0] is not None}
    indicator_ids = [r[5] for r in rows if r[5]]
    assert measure_ids == set(range(1, 36))
    assert len(indicator_ids) == 41 and "M13-1" in indicator_ids
    assert "令和2年度" in sheet["A1"].value
    assert all(r[-1] is None for r in rows)  # comment column left for the departments


def test_report_on_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    from warehouse.report import ReportError, write_yearly_report
    from warehouse.settings import load_settings

    with pytest.raises(ReportError, match="warehouse demo"):
        write_yearly_report(load_settings(tmp_path / "none"), 2020)
    shutil.rmtree(tmp_path / "none", ignore_errors=True)
