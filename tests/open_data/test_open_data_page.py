"""The open-data page lists what `warehouse export` published, with downloads; it explains when nothing is."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.app.fixture_warehouse import build_fixture_warehouse
from warehouse.platform.settings import load_settings
from warehouse.products.open_data import export_open_data, published_item_count


def open_page(home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/open_data.py").run()
    return at


def test_page_lists_exported_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    build_fixture_warehouse(home)
    at = open_page(home, monkeypatch)
    assert not at.exception and any("warehouse export" in i.value for i in at.info)
    report = export_open_data(load_settings(home=home))
    at = open_page(home, monkeypatch)
    assert not at.exception
    count = published_item_count(load_settings(home=home))
    assert count == len(report.datasets)
    assert at.metric[0].value == str(count)
    assert len(at.subheader) == count
