"""Issue 14 item 4 with AppTest: the view in the URL, every chart's CSV + 出典 + 更新日時, a year in progress as
year to date. Runs the real app on real demo warehouses (the session's complete one and one seen mid-year)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from app.ui import csv_bytes
from tests.app.conftest import APP, PAGES, warehouse_value
from tests.conftest import run_warehouse

# A demo seen on 2020-11-20: FY2020 has data April to October only (seven months), FY2019 is complete.
MID_YEAR_START, MID_YEAR_END, MID_YEAR_AS_OF = "2019-04", "2020-10", "2020-11-20"


def open_link(page: str, **params: str) -> AppTest:
    """Open the app the way a pasted link does: /<page>?key=value… on a fresh session."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def chart_data(chart) -> dict[str, pl.DataFrame]:
    """The rows an Altair chart drew, per named dataset (Arrow streams inside the element)."""
    return {d.name: pl.from_arrow(pa.ipc.open_stream(d.data.data).read_all()) for d in chart.proto.datasets}


def metric_labels(at: AppTest) -> list[str]:
    return [m.label for m in at.metric]


def test_a_copied_link_opens_the_same_indicator_year_era_and_language(app_env: Path) -> None:
    at = open_link("indicator", indicator="M09-1", year="2019", era="seireki", lang="ja")
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert at.subheader[0].value.startswith("M09-1 ")
    assert "実績（2019年度）" in metric_labels(at)
    assert at.sidebar.radio(key="era").value == "seireki"
    assert at.sidebar.selectbox(key="fiscal_year_switch").value == 2019
    assert at.query_params == {"indicator": "M09-1", "year": "2019", "era": "seireki", "lang": "ja"}

    english = open_link("indicator", indicator="M03-1", year="2018", lang="en")
    assert english.subheader[0].value.startswith("M03-1 ")
    assert [t.value for t in english.title] == ["Indicator detail"]
    assert any(label.startswith("Actual") and "FY2018" in label for label in metric_labels(english))


def test_changing_a_selection_updates_the_url(app_env: Path) -> None:
    at = open_link("indicator")
    assert at.query_params["indicator"] == "M13-1"  # the defaults are written too: the link is complete
    assert at.query_params["year"] == "2020" and at.query_params["lang"] == "ja"
    at.selectbox(key="ind_pick").set_value("M09-1").run()
    at.sidebar.selectbox(key="fiscal_year_switch").set_value(2018).run()
    at.sidebar.radio(key="era").set_value("seireki").run()
    assert at.query_params == {"indicator": "M09-1", "year": "2018", "era": "seireki", "lang": "ja"}
    assert "実績（2018年度）" in metric_labels(at)
    # the widgets lead after the first run: the URL the session wrote does not pull the selection back
    at.selectbox(key="ind_pick").set_value("M03-1").run()
    assert at.query_params["indicator"] == "M03-1" and at.subheader[0].value.startswith("M03-1 ")


def test_unknown_values_in_a_link_fall_back_to_defaults_with_a_notice(app_env: Path) -> None:
    at = open_link("indicator", indicator="M99-9", year="1999", era="showa", lang="fr")
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert len(notices) == 4, notices
    for fragment in ("lang=fr", "era=showa", "year=1999", "indicator=M99-9"):
        assert any(f"「{fragment}」" in notice and "既定の表示" in notice for notice in notices), fragment
    assert at.subheader[0].value.startswith("M13-1 ")  # the defaults are shown ...
    assert "実績（令和2年度）" in metric_labels(at)
    assert at.query_params == {"indicator": "M13-1", "year": "2020", "era": "wareki", "lang": "ja"}  # ... and linked

    garbled = open_link("overview", year="二〇二〇")  # not a number at all: a notice, never an exception
    assert not garbled.exception
    assert ["year=二〇二〇" in w.value for w in garbled.warning] == [True]
    assert garbled.query_params["year"] == "2020"


def test_csv_is_utf8_with_bom_and_holds_exactly_the_rows_with_japanese_headers() -> None:
    table = pl.DataFrame({"年度": ["令和元年度", "令和2年度（10月まで）"], "実績": [2983010.0, 2201283.0],
                          "月": [[4, 5], [6]]})
    data = csv_bytes(table)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    back = pl.read_csv(io.BytesIO(data[3:]))
    assert back.columns == ["年度", "実績", "月"]
    assert back.height == table.height
    assert back["年度"].to_list() == table["年度"].to_list() and back["実績"].to_list() == table["実績"].to_list()
    assert back["月"].to_list() == ["4 5", "6"]


@pytest.mark.parametrize("page", PAGES)
def test_every_chart_offers_its_csv_source_and_update_time(app_env: Path, page: str) -> None:
    at = open_link(page)
    assert not at.exception
    charts = at.get("vega_lite_chart")
    csv_buttons = [b for b in at.get("download_button") if b.proto.label == "CSVをダウンロード"]
    sources = [c.value for c in at.caption if c.value.startswith("出典: ") and " ・ 更新日時: " in c.value]
    assert len(csv_buttons) >= len(charts) and len(sources) == len(charts), (page, len(charts))
    published = json.loads((app_env / "published.json").read_text(encoding="utf-8"))
    version = str(published["version_id"])
    for text in sources:
        assert f"`{version}`" in text and "更新日時: " in text and "—" not in text.split("更新日時: ")[1]


def test_indicator_charts_name_their_mart_extract_and_the_plans_definition(app_env: Path) -> None:
    at = open_link("indicator", indicator="M13-1")
    sources = [c.value for c in at.caption if c.value.startswith("出典: ")]
    assert sources[0].startswith("出典: mart_kpi_indicator_progress（← landing/web_access）")
    assert sources[1].startswith("出典: mart_kpi_indicator_progress_monthly（← landing/web_access）")
    for text in sources:
        assert "計画での指標の定義: M13-1 区ホームページにアクセス件数（年間）（現状値 2,578,895（平成27年度）→ " \
               "目標 3,000,000（令和2年度））" in text


@pytest.fixture(scope="module")
def mid_year_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo published on 2020-11-20: FY2020 is in progress with seven months of data."""
    home = tmp_path_factory.mktemp("mid_year") / "home"
    run_warehouse(home, "demo", "--start", MID_YEAR_START, "--end", MID_YEAR_END, check=True,
                  WAREHOUSE_AS_OF_DATE=MID_YEAR_AS_OF)
    return home


def test_a_year_in_progress_is_drawn_as_year_to_date_beside_the_same_months_of_the_year_before(
        mid_year_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_HOME", str(mid_year_home))
    so_far = warehouse_value(mid_year_home, "select sum(page_view_count) from mart_web_access_monthly "
                                            "where fiscal_year = 2020")
    same_months_before = warehouse_value(
        mid_year_home, "select sum(page_view_count) from mart_web_access_monthly where fiscal_year = 2019 "
                       "and month(fiscal_month_start_date) between 4 and 10")
    full_year_before = warehouse_value(mid_year_home, "select sum(page_view_count) from mart_web_access_monthly "
                                                      "where fiscal_year = 2019")
    assert so_far < full_year_before  # what a full-year point would wrongly show as a fall
    # the rule lives in the mart: the same months of the previous year, beside the year to date
    assert warehouse_value(mid_year_home, "select previous_year_actual_value_fytd "
                                          "from mart_kpi_indicator_progress_monthly where indicator_id = 'M13-1' "
                                          "and fiscal_month_start_date = date '2020-10-01'") == same_months_before
    assert warehouse_value(mid_year_home, "select bool_or(is_fiscal_year_complete) "
                                          "from mart_kpi_indicator_progress_monthly where fiscal_year = 2020") is False

    at = open_link("indicator", indicator="M13-1", year="2020")
    assert not at.exception and not at.warning
    assert "実績（令和2年度（10月まで））" in metric_labels(at)
    change = (so_far / same_months_before - 1) * 100
    assert [m.delta for m in at.metric if m.label.startswith("実績")] == [f"前年度同期比 {change:+.1f}%"]
    assert any("令和2年度（10月まで）は年度の途中です" in i.value for i in at.info)
    years = at.dataframe[0].value
    row = years[years["年度"] == "令和2年度（10月まで）"].iloc[0]
    assert row["実績"] == so_far and row["前年度の同じ月まで"] == same_months_before
    assert "令和2年度" not in set(years["年度"])  # no row pretends to be the full year
    # in the chart, the year in progress is not on the line of full years: it is its own layer
    chart = at.get("vega_lite_chart")[0]
    layers, data = json.loads(chart.proto.spec)["layer"], chart_data(chart)
    ytd_layers = [layer for layer in layers if layer.get("encoding", {}).get("shape")]
    assert len(ytd_layers) == 1 and ytd_layers[0]["mark"]["filled"] is False  # open points, apart from the line
    ytd_rows = data[ytd_layers[0]["data"]["name"]]
    assert set(ytd_rows.select("fiscal_year_label", "series", "value").iter_rows()) == {
        ("令和2年度（10月まで）", "年度途中の値", so_far),
        ("令和2年度（10月まで）", "前年度の同じ月まで", same_months_before)}
    line_layers = [layer for layer in layers if layer["mark"]["type"] == "line"
                   and layer["encoding"]["y"]["field"] == "actual_value"]
    line_years = set(data[line_layers[0]["data"]["name"]]["fiscal_year"].to_list())
    assert 2020 not in line_years and 2019 in line_years

    homepage = open_link("homepage", year="2020")
    by_year = homepage.dataframe[0].value
    assert list(by_year["年度"])[-1] == "令和2年度（10月まで）" and list(by_year["月数"])[-1] == 7
