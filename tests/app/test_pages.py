"""Every page and switch, run headless with streamlit.testing.v1.AppTest against the real demo warehouse."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from app.formatting import format_number
from ingest.registry import CONTRACTS
from tests.app.conftest import APP, PAGES, warehouse_value

EXPECTED_TITLES_JA = {"overview": "計画の概要", "indicator": "指標の詳細", "certificates": "証明書交付",
                      "homepage": "ホームページ", "gis": "GIS", "energy": "エネルギー", "previous_plan": "前計画の評価",
                      "catalog": "データカタログと品質", "yearly_report": "年次報告"}
EXPECTED_TITLES_EN = {"overview": "Plan overview", "indicator": "Indicator detail", "certificates": "Certificates",
                      "homepage": "Website", "gis": "GIS", "energy": "Energy", "previous_plan": "Previous plan",
                      "catalog": "Data catalog and quality", "yearly_report": "Yearly report"}


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


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def published_version(home: Path) -> str:
    return str(warehouse_value(home, "select version_id from meta.warehouse_version"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_japanese_with_freshness_and_quality(app_env: Path, page: str) -> None:
    at = run_page(page)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [EXPECTED_TITLES_JA[page]]
    text = all_text(at)
    assert f"公開版: `{published_version(app_env)}`" in text
    assert "データ時点: 2021年3月31日" in text  # the demo's data end, in the header of every page
    assert not at.warning, [w.value for w in at.warning]  # no query failed on the real marts
    if page not in ("catalog", "yearly_report"):
        assert "要約" in text  # every chart has its one-line summary
        assert any(e.label == "表で見る" for e in at.expander)  # ... and its table alternative
        assert "品質チェック合格" in "\n".join(c.value for c in at.caption[1:])  # the KPI's own status line


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_english(app_env: Path, page: str) -> None:
    at = run_page(page, lang="en", era="seireki")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [EXPECTED_TITLES_EN[page]]
    assert "Published version" in all_text(at)
    assert not at.warning


def test_overview_shows_35_measures_with_status_and_grades(app_env: Path) -> None:
    at = run_page("overview")
    shown = metrics(at)
    assert shown["推進施策"] == "35施策"
    assert sum(int(v) for k, v in shown.items() if k != "推進施策") == 35
    assert any("令和2年度" in c.value for c in at.caption)  # the latest complete year is the default
    grade_a = warehouse_value(app_env, "select count(*) from mart_plan_measure_status "
                                       "where fiscal_year = 2020 and suggested_grade = 'A'")
    assert f"A（計画どおり） {grade_a}" in all_text(at)
    tables = [t.value for t in at.table]
    assert sum(len(t) for t in tables) == 35  # one table per basic goal, all 35 measures
    assert "指標1件中1件が目標達成または順調" in set(tables[0]["評価の理由"])


def test_overview_filters_narrow_the_measures(app_env: Path) -> None:
    at = run_page("overview")
    at.multiselect(key="ov_status").set_value(["achieved"]).run()
    shown = metrics(at)
    assert shown["推進施策"] == f"{shown['◎ 達成']}施策"
    at.multiselect(key="ov_status").set_value([]).run()
    at.multiselect(key="ov_strategy").set_value(["マイナンバー法への対応"]).run()
    assert metrics(at)["推進施策"] != "35施策"


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
    assert "Measures" in metrics(at)


def test_fiscal_year_switch(app_env: Path) -> None:
    at = run_page("indicator")
    at.sidebar.selectbox(key="fiscal_year_switch").set_value(2019).run()
    assert "実績（令和元年度）" in metrics(at)


def test_indicator_page_shows_actual_baseline_target_forecast_and_definition(app_env: Path) -> None:
    at = run_page("indicator")
    at.selectbox(key="ind_pick").set_value("M13-1").run()
    shown = metrics(at)
    assert shown["現状値（平成27年度）"] == "257.9万件"
    assert shown["目標（令和2年度）"] == "300万件"
    actual = warehouse_value(app_env, "select actual_value from mart_kpi_indicator_progress "
                                      "where indicator_id = 'M13-1' and fiscal_year = 2020")
    assert shown["実績（令和2年度）"] == f"{float(actual) / 10_000:.1f}".rstrip("0").rstrip(".") + "万件"
    text = all_text(at)
    assert "基準値の再計算: 2,578,895件（◯ 計画の現状値と一致）" in text
    assert "予測（目標年度）" in text
    assert any("月別の実績" in m.value for m in at.markdown)
    # CSV and Excel of the yearly table (the chart's rows), CSV of the monthly chart
    assert [b.proto.label for b in at.get("download_button")] == ["CSVをダウンロード", "Excelをダウンロード",
                                                                 "CSVをダウンロード"]
    definition = at.table[0].value
    assert "fct_web_page_views_daily" in definition.loc["算出方法"].iloc[0]


def test_certificates_page_shows_the_fy2020_share_and_the_40_percent_target(app_env: Path) -> None:
    at = run_page("certificates")
    share = warehouse_value(app_env, "select actual_value from mart_kpi_indicator_progress "
                                     "where indicator_id = 'M09-1' and fiscal_year = 2020")
    shown = metrics(at)
    assert shown["コンビニ交付率（令和2年度）"] == f"{float(share):.1f}%"
    assert shown["目標（令和2年度）"] == "40%"
    assert f"コンビニ交付率 {float(share):.1f}%（令和2年度）" in all_text(at)
    assert "56.3%" in all_text(at)  # Itabashi's real My Number card rate on 2022-12-31
    assert "23区中" in all_text(at)


def test_certificates_page_says_when_real_data_is_missing(app_env: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_REAL_DATA", str(tmp_path / "nothing-here"))
    at = run_page("certificates")
    assert not at.exception
    assert any("実データが見つかりません" in w.value for w in at.warning)


def test_homepage_shows_the_fy2015_baseline_and_the_3_million_target(app_env: Path) -> None:
    at = run_page("homepage")
    shown = metrics(at)
    assert shown["現状値（平成27年度）"] == "2,578,895件"
    assert shown["目標（令和2年度）"] == "3,000,000件"
    text = all_text(at)
    assert "平成27年度 2,578,895件（現状値 2,578,895）" in text  # recomputed FY2015 total = the plan's
    fy2020 = warehouse_value(app_env, "select sum(page_view_count) from mart_web_access_monthly where fiscal_year = 2020")
    assert f"令和2年度 {format_number(fy2020)}件（目標 3,000,000）" in text


def test_gis_page_shows_logins_per_day_against_the_baseline(app_env: Path) -> None:
    at = run_page("gis")
    logins = warehouse_value(app_env, "select actual_value from mart_kpi_indicator_progress "
                                      "where indicator_id = 'M03-1' and fiscal_year = 2020")
    assert metrics(at)["ログイン数（日平均）（令和2年度）"] == format_number(logins, 1)
    assert "現状値 58" in all_text(at)


def test_energy_metric_switch(app_env: Path) -> None:
    at = run_page("energy")
    at.radio(key="energy_metric").set_value("co2_kg").run()
    assert not at.exception and not at.warning
    assert any(label.startswith("CO₂") for label in metrics(at))


def test_catalog_lists_datasets_runs_quality_and_freshness(app_env: Path) -> None:
    at = run_page("catalog")
    frames = [d.value for d in at.dataframe]
    tables = frames[0]
    assert {"mart_kpi_indicator_progress", "mart_plan_measure_status", "source_load_status"} <= set(tables["table"])
    assert "raw" not in set(tables["schema"])  # the app lists only what the sandbox lets it read
    described = tables[tables["table"] == "mart_kpi_indicator_progress"].iloc[0]
    assert described["粒度"].startswith("One row per indicator")
    checks = warehouse_value(app_env, "select count(*) from meta.quality_results")
    assert metrics(at)["品質チェックの結果"] == f"{checks} / {checks}"
    freshness = frames[-1]
    assert "files_quarantined_open" in freshness.columns and len(freshness) == len(CONTRACTS)  # one row per lake table


def test_previous_plan_reproduces_table1(app_env: Path) -> None:
    at = run_page("previous_plan")
    table = at.table[0].value
    assert list(table.index) == ["AA", "A", "B", "C", "その他", "合計"]
    assert list(table["事業数"]) == ["1件", "68件", "6件", "0件", "1件", "76件"]
    assert list(table["計画書の表1"]) == list(table["事業数"])
    assert len(at.dataframe[-1].value) == 76


def test_yearly_report_page_lists_all_measures(app_env: Path) -> None:
    at = run_page("yearly_report")
    frame = at.dataframe[0].value
    assert frame["NO."].nunique() == 35 and len(frame) == 41
    assert metrics(at)["推進施策"] == "35施策"
    assert at.get("download_button")


def test_report_workbook_for_fy2020_has_all_35_measures_and_41_indicators(demo_home: Path, tmp_path: Path) -> None:
    from warehouse.platform.settings import load_settings
    from warehouse.products.report import write_yearly_report

    out = write_yearly_report(load_settings(demo_home), 2020, tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(out).active
    assert "令和2年度" in sheet["A1"].value
    header = [c.value for c in sheet[4]]
    assert header[:7] == ["NO.", "事業名", "重点戦略", "基本目標", "所管課", "指標ID", "指標"]
    assert header[-1] == "所管課コメント"
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=5)]
    assert {r["NO."] for r in rows if r["NO."] is not None} == set(range(1, 36))
    indicators = {r["指標ID"]: r for r in rows if r["指標ID"]}
    assert len(indicators) == 41
    actual = warehouse_value(demo_home, "select actual_value from mart_kpi_indicator_progress "
                                        "where indicator_id = 'M13-1' and fiscal_year = 2020")
    assert indicators["M13-1"]["実績"] == actual and indicators["M13-1"]["指標の状況"] == "達成"
    assert all(r["所管課コメント"] is None for r in rows)  # left for the departments


def test_report_on_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    from warehouse.platform.settings import load_settings
    from warehouse.products.report import ReportError, write_yearly_report

    with pytest.raises(ReportError, match="warehouse demo"):
        write_yearly_report(load_settings(tmp_path / "none"), 2020)


def test_empty_home_shows_first_run_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "empty"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    text = "\n".join(i.value for i in at.info)
    assert "warehouse demo" in text and "make run" in text and "warehouse refresh" in text


def test_new_publish_is_picked_up_without_restart(demo_home_copy: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    home = demo_home_copy
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any(published_version(home) in c.value for c in at.caption)
    # publish the way the refresh does: a finished, checkpointed file renamed over the served path
    staging = tmp_path / "next.duckdb"
    shutil.copy2(home / "warehouse.duckdb", staging)
    con = duckdb.connect(str(staging))
    con.execute("update meta.warehouse_version set version_id = 'warehouse-20210510T000000Z-second'")
    con.execute("checkpoint")
    con.close()
    os.replace(staging, home / "warehouse.duckdb")
    at.run()
    assert not at.exception and not at.warning
    assert any("warehouse-20210510T000000Z-second" in c.value for c in at.caption)
