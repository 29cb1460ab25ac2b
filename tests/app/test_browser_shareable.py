"""Issue 14 item 4 in a real browser (Debian's chromium via Playwright, `streamlit run` on a copy of the demo):
a copied link opens the same view, a chart's CSV download holds the chart's rows, the print layout has no sidebar.
"""
from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import polars as pl
import pytest

from tests.app.conftest import warehouse_value
from tests.app.test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, assert_clean, serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def share_home(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("share") / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    return home


@pytest.fixture(scope="module")
def server(share_home: Path) -> Iterator[str]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk"
    with serve_app(share_home) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    """A fresh browser context per test: a new session, as when a colleague opens a pasted link."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP", accept_downloads=True)
    yield context.new_page()
    context.close()


def open_indicator(page, address: str) -> str:
    """Open an indicator page address and wait until Streamlit has rendered it; the visible text."""
    page.goto(address, wait_until="domcontentloaded")
    page.get_by_role("heading", name="指標の詳細", exact=True).first.wait_for(timeout=60000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60000)
    page.wait_for_function("() => new URLSearchParams(location.search).get('indicator') !== null", timeout=30000)
    page.wait_for_timeout(1200)  # charts (vega) draw after the script finishes
    return page.inner_text("body")


def test_a_copied_url_opens_the_same_indicator_and_year(browser, page, server: str) -> None:
    text = open_indicator(page, f"{server}/indicator?indicator=M09-1&year=2019&era=seireki")
    assert_clean(page, "indicator", text)
    assert "M09-1 " in text and "実績（2019年度）" in text
    copied = page.url  # what the address bar holds now: the view, complete with its defaults
    assert parse_qs(urlparse(copied).query) == {"indicator": ["M09-1"], "year": ["2019"], "era": ["seireki"],
                                                 "lang": ["ja"]}
    assert urlparse(copied).path == "/indicator"

    colleague = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
    try:
        other = colleague.new_page()
        pasted = open_indicator(other, copied)
        assert_clean(other, "indicator", pasted)
        assert "M09-1 " in pasted and "実績（2019年度）" in pasted
        assert other.get_by_role("heading", name="M09-1", exact=False).first.is_visible()
    finally:
        colleague.close()


def test_choosing_another_indicator_and_page_updates_the_url(page, server: str) -> None:
    open_indicator(page, f"{server}/indicator?indicator=M13-1&year=2019")
    picker = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first  # the indicator picker
    picker.click()
    page.keyboard.type("M09-1")
    page.keyboard.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('indicator') === 'M09-1'",
                           timeout=60000)
    page.get_by_role("heading", name="M09-1", exact=False).first.wait_for(timeout=60000)
    assert parse_qs(urlparse(page.url).query)["year"] == ["2019"]  # the other selections stay in the link
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="計画の概要").click()
    page.wait_for_function("() => location.pathname === '/' || location.pathname === '/overview'", timeout=60000)
    page.wait_for_function("() => new URLSearchParams(location.search).get('year') === '2019'", timeout=60000)
    # the URL changes before the overview has drawn: wait for its year (fails after 60 s if it never shows)
    page.get_by_test_id("stMain").get_by_text("令和元年度").first.wait_for(timeout=60000)
    assert "令和元年度" in page.inner_text("body")


def test_an_unknown_value_in_a_url_shows_a_notice_and_the_default(page, server: str) -> None:
    text = open_indicator(page, f"{server}/indicator?indicator=M99-9&year=1999")
    assert_clean(page, "indicator", text)
    assert "「indicator=M99-9」は使えない値" in text and "「year=1999」は使えない値" in text
    assert "M13-1 " in text and "実績（令和2年度）" in text
    assert parse_qs(urlparse(page.url).query)["indicator"] == ["M13-1"]


def test_a_charts_csv_download_holds_the_charts_rows(page, server: str, share_home: Path) -> None:
    open_indicator(page, f"{server}/indicator?indicator=M13-1&year=2020")
    button = page.get_by_test_id("stDownloadButton").filter(has_text="CSVをダウンロード").first
    with page.expect_download(timeout=30000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "indicator_M13-1.csv"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = pl.read_csv(io.BytesIO(data[3:]))
    assert rows.columns[:3] == ["年度", "実績", "前年度の同じ月まで"]
    years = warehouse_value(share_home, "select count(*) from mart_kpi_indicator_progress "
                                        "where indicator_id = 'M13-1'")
    assert rows.height == years  # one row per fiscal year the chart draws
    actual = warehouse_value(share_home, "select actual_value from mart_kpi_indicator_progress "
                                         "where indicator_id = 'M13-1' and fiscal_year = 2020")
    assert rows.filter(pl.col("年度") == "令和2年度")["実績"].to_list() == [actual]
    assert "出典: mart_kpi_indicator_progress" in page.inner_text("body") and "更新日時: " in page.inner_text("body")


def test_the_print_layout_has_no_sidebar_toolbar_or_buttons(page, server: str) -> None:
    open_indicator(page, f"{server}/indicator?indicator=M13-1&year=2020")
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.is_visible()
    page.emulate_media(media="print")
    page.wait_for_timeout(500)
    assert not sidebar.is_visible()
    assert not page.get_by_test_id("stHeader").is_visible()
    assert page.get_by_test_id("stDownloadButton").count() >= 3
    assert all(not b.is_visible() for b in page.get_by_test_id("stDownloadButton").all())
    assert page.get_by_test_id("stVegaLiteChart").first.is_visible()
    breaks = page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]')]"
                           ".map(e => getComputedStyle(e).breakInside)")
    assert breaks and set(breaks) == {"avoid"}  # a chart is never split across two pages
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "indicator_print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    (SCREENSHOTS / "indicator_print.pdf").write_bytes(pdf)
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert pdf.startswith(b"%PDF") and len(pages) >= 2  # the whole page flows over pages, not one screen of it
