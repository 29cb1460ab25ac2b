"""End to end in a real browser: Debian's Chromium via Playwright against `streamlit run` on the demo warehouse.

One app server and one browser for the module; the pages are visited in order, a screenshot of each is kept in
test-artifacts/screenshots/, and the last test browses the pages while `warehouse refresh --full-rebuild`
publishes a new version into the same home.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.formatting import format_number
from tests.app.conftest import APP, warehouse_value
from tests.conftest import run_warehouse

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]
# page url -> Japanese labels that must be visible once it has rendered (the first is the page heading)
PAGE_LABELS = {
    "overview": ["計画の概要", "推進施策", "35施策", "状況別の施策数", "評価(案)", "データ時点"],
    "indicator": ["指標の詳細", "区ホームページにアクセス件数（年間）", "目標（令和2年度）", "300万件", "257.9万件",
                  "データ時点", "品質チェック合格"],
    "certificates": ["証明書交付", "コンビニ交付率（令和2年度）", "40%", "マイナンバーカード交付率"],
    "homepage": ["ホームページ", "2,578,895件", "3,000,000件", "年度別アクセス件数"],
    "gis": ["GIS", "ログイン数（日平均）", "所属別の地図表示数"],
    "energy": ["エネルギー", "前年度比", "使用量の多い施設"],
    "previous_plan": ["前計画の評価", "表1 第3次電子区役所推進計画の評価別事業数", "68件", "76件"],
    "catalog": ["データカタログと品質", "データセット", "品質チェックの結果"],
    "yearly_report": ["年次報告", "取り組み状況", "35施策"],
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def browser_home(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the session's demo home: the refresh test publishes into it."""
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    if (demo_home.parent / "ip_salt").exists():
        shutil.copy2(demo_home.parent / "ip_salt", home.parent / "ip_salt")
    return home


@contextlib.contextmanager
def serve_app(home: Path) -> Iterator[str]:
    """`streamlit run app/streamlit_app.py` on a free port, as `warehouse serve` starts it; yields its URL."""
    port = _free_port()
    env = {**os.environ, "WAREHOUSE_HOME": str(home), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = (home.parent / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", APP, "--server.port", str(port),
                             "--server.headless", "true", "--server.address", "127.0.0.1",
                             "--client.toolbarMode", "viewer"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise AssertionError(f"streamlit did not become healthy on {url}: see {log.name}")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def server(browser_home: Path) -> Iterator[str]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk"
    with serve_app(browser_home) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
        yield context.new_page()
        browser.close()


def visit(page, url: str, name: str) -> str:
    """Open one page, wait until Streamlit has finished running it, return the visible text."""
    page.goto(f"{url}/" if name == "overview" else f"{url}/{name}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=PAGE_LABELS[name][0], exact=True).first.wait_for(timeout=60000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60000)
    page.wait_for_timeout(1200)  # charts (vega) draw after the script finishes
    return page.inner_text("body")


def screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to its height first."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(max(int(height), 1000), 8000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1440, "height": 1000})


def assert_clean(page, name: str, text: str) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, f"{name}: {text[:2000]}"
    assert "Traceback" not in text and "Page not found" not in text, f"{name}: {text[:2000]}"
    assert "読み込めませんでした" not in text, f"{name} showed a read error: {text[:2000]}"


@pytest.mark.parametrize("name", list(PAGE_LABELS))
def test_page_in_browser(page, server: str, browser_home: Path, name: str) -> None:
    text = visit(page, server, name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, SCREENSHOTS / f"{name}.png")
    assert_clean(page, name, text)
    for label in PAGE_LABELS[name]:
        assert label in text, f"{label!r} not visible on {name}"
    assert "公開版" in text and "データ時点: 2021年3月31日" in text
    if name == "certificates":
        share = warehouse_value(browser_home, "select actual_value from mart_kpi_indicator_progress "
                                              "where indicator_id = 'M09-1' and fiscal_year = 2020")
        assert f"{float(share):.1f}%" in text
    if name == "homepage":
        total = warehouse_value(browser_home, "select sum(page_view_count) from mart_web_access_monthly "
                                              "where fiscal_year = 2020")
        assert f"{format_number(total)}件" in text


def test_pages_stay_error_free_while_a_refresh_runs(page, server: str, browser_home: Path) -> None:
    before = warehouse_value(browser_home, "select version_id from meta.warehouse_version")
    result: dict[str, object] = {}
    refresh = threading.Thread(target=lambda: result.setdefault(
        "completed", run_warehouse(browser_home, "refresh", "--full-rebuild")))
    refresh.start()
    names = list(PAGE_LABELS)
    visited = 0
    while refresh.is_alive():
        name = names[visited % len(names)]
        assert_clean(page, name, visit(page, server, name))
        visited += 1
    refresh.join()
    completed = result["completed"]
    assert completed.returncode == 0, f"refresh exited {completed.returncode}:\n{completed.stdout[-3000:]}"
    after = warehouse_value(browser_home, "select version_id from meta.warehouse_version")
    assert after != before
    for name in ("overview", "homepage"):  # the new version is served without a restart
        text = visit(page, server, name)
        assert_clean(page, name, text)
        assert str(after) in text
        visited += 1
    assert visited >= len(names)
