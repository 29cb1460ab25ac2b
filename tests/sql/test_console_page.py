"""The SQL console page, headless (AppTest) on the app's synthetic warehouse: results, refusals as messages."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.app.fixture_warehouse import build_fixture_warehouse


@pytest.fixture(scope="module")
def console_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("console") / "home"
    build_fixture_warehouse(home)
    return home


def open_console(home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/sql_console.py").run()
    return at


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql_console_input").set_value(sql)
    at.button(key="sql_console_run").click().run()
    return at


def test_query_shows_rows_timing_and_downloads(console_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_sql(open_console(console_home, monkeypatch), "select 1 as one union all select 2")
    assert not at.exception and not at.error
    assert any("2行" in c.value for c in at.caption)
    assert len(at.dataframe) >= 1
    assert any(e.label.startswith("main.") for e in at.expander)  # the table browser


@pytest.mark.parametrize("attempt", ["select * from read_csv('/etc/passwd')", "drop table main.x",
                                     "attach '/tmp/x.duckdb'", "set threads = 8"])
def test_escape_attempts_show_a_message_not_a_traceback(console_home: Path, monkeypatch: pytest.MonkeyPatch,
                                                         attempt: str) -> None:
    at = run_sql(open_console(console_home, monkeypatch), attempt)
    assert not at.exception
    assert at.error and at.error[0].value.startswith("実行できないクエリです")
