"""App test fixtures: a synthetic published warehouse (fixture_warehouse.py) and AppTest helpers."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.fixture_warehouse import build_fixture_warehouse

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
PAGES = ("overview", "indicator", "certificates", "homepage", "gis", "energy", "previous_plan", "catalog",
         "yearly_report")


@pytest.fixture(scope="session")
def fixture_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose warehouse.duckdb holds the real seeds and synthetic mart-shaped tables."""
    home = tmp_path_factory.mktemp("app_fixture") / "home"
    build_fixture_warehouse(home)
    return home


@pytest.fixture()
def app_env(fixture_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at the fixture home for one test."""
    monkeypatch.setenv("WAREHOUSE_HOME", str(fixture_home))
    return fixture_home
