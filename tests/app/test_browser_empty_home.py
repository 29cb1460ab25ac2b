"""A ward that starts from nothing: `warehouse refresh` on an empty home exits 0 and publishes, and the dashboard
opened on it in a real browser (Debian's Chromium via Playwright) shows every page without an error, saying
that there is no data yet and which landing folder to put files in."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.app.test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, assert_clean, screenshot, serve_app
from tests.conftest import run_warehouse

pytestmark = [pytest.mark.browser, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
# url path -> page heading (Japanese)
PAGES = {"overview": "計画の概要", "indicator": "指標の詳細", "certificates": "証明書交付", "homepage": "ホームページ",
         "gis": "GIS", "energy": "エネルギー", "previous_plan": "前計画の評価", "catalog": "データカタログと品質",
         "yearly_report": "年次報告", "sql_console": "SQLコンソール", "open_data": "オープンデータ"}


@pytest.fixture(scope="module")
def empty_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home where the first refresh ran with no files at all."""
    home = tmp_path_factory.mktemp("empty") / "home"
    completed = run_warehouse(home, "refresh")
    assert completed.returncode == 0, f"refresh exited {completed.returncode}:\n{completed.stderr[-3000:]}"
    return home


@pytest.fixture(scope="module")
def server(empty_home: Path) -> Iterator[str]:
    with serve_app(empty_home) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
        yield context.new_page()
        browser.close()


def test_refresh_on_an_empty_home_published_the_plan(empty_home: Path) -> None:
    con = duckdb.connect(str(empty_home / "warehouse.duckdb"), read_only=True)
    try:
        assert con.sql("select count(*) from meta.warehouse_version").fetchall() == [(1,)]
        assert con.sql("select count(distinct indicator_id), count(distinct progress_status) "
                       "from main.mart_kpi_indicator_progress where indicator_id <> 'M01-1'").fetchall() == [(40, 1)]
        assert con.sql("select sum(rows_loaded) from meta.source_load_status").fetchall() == [(0,)]
    finally:
        con.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_says_no_data_yet_without_an_error(page, server: str, empty_home: Path, name: str) -> None:
    page.goto(f"{server}/" if name == "overview" else f"{server}/{name}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=PAGES[name], exact=True).first.wait_for(timeout=60000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60000)
    page.wait_for_timeout(800)
    text = page.inner_text("body")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, SCREENSHOTS / f"empty_home_{name}.png")
    assert_clean(page, name, text)
    assert "まだデータがありません" in text, f"{name}: {text[:1500]}"
    assert f"{empty_home / 'landing' / 'certificates'}/" in text  # which folder to put files in
    assert "README" in text
    assert "公開版" in text
