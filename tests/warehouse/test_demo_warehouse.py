"""What `warehouse demo` must show (issues 2-4), checked on the published demo warehouse."""
from __future__ import annotations

import codecs
import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.conftest import WAREHOUSE, warehouse_env

pytestmark = pytest.mark.slow

FIRST_PLAN_YEAR = 2016
CURRENT_FISCAL_YEAR = 2021  # DEMO_AS_OF 2021-04-20 falls in FY2021 (令和3年度)


@pytest.fixture(scope="module")
def con(demo_home: Path):
    connection = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    yield connection
    connection.close()


def test_every_extract_kind_loaded_including_cp932_and_excel(demo_home: Path, con):
    landing = demo_home / "landing"
    assert list(landing.rglob("*.xlsx")), "the demo writes Excel extracts"
    cp932 = [p for p in landing.rglob("*.csv") if _is_cp932_only(p)]
    assert cp932, "the demo writes CP932 extracts"
    quarantine = demo_home / "quarantine"
    assert not (quarantine.exists() and list(quarantine.glob("*.report.json"))), "no sample file is rejected"
    lake_files = {p.name for p in (demo_home / "lake").rglob("*.parquet")}
    assert lake_files
    for table in ("certificate_issuances", "web_page_views_daily", "gis_events", "energy_readings_monthly",
                  "energy_readings_interval", "facilities", "indicator_reports"):
        assert con.sql(f"select count(*) from raw.{table}").fetchall()[0][0] > 0, table
    schools = con.sql("select count(*) from main.dim_facility where is_school").fetchall()[0][0]
    assert schools == 74, "the real Itabashi school list is part of the facility master"


def _is_cp932_only(path: Path) -> bool:
    data = path.read_bytes()[:200_000]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return False
    except UnicodeDecodeError:
        codecs.getincrementaldecoder("cp932")().decode(data, final=False)
        return True


def test_every_indicator_has_every_fiscal_year(con):
    indicators = con.sql("select count(*) from seeds.plan_indicators").fetchall()[0][0]
    rows = con.sql(
        "select fiscal_year, count(distinct indicator_id) from main.mart_kpi_indicator_progress group by 1 order by 1"
    ).fetchall()
    assert rows == [(year, indicators) for year in range(FIRST_PLAN_YEAR, CURRENT_FISCAL_YEAR + 1)]
    assert indicators == 41


def test_all_35_measures_have_a_status_every_year(con):
    rows = con.sql("select fiscal_year, count(distinct measure_id), count(*) from main.mart_plan_measure_status "
                   "group by 1 order by 1").fetchall()
    assert rows == [(year, 35, 35) for year in range(FIRST_PLAN_YEAR, CURRENT_FISCAL_YEAR + 1)]
    grades = {g for (g,) in con.sql("select distinct suggested_grade from main.mart_plan_measure_status").fetchall()}
    assert grades <= {"AA", "A", "B", "C", "not_evaluable"}
    assert {"A", "B"} <= grades
    reasons = con.sql("select count(*) from main.mart_plan_measure_status where grade_reason_ja is null "
                      "or grade_reason_ja = ''").fetchall()[0][0]
    assert reasons == 0, "every grade comes with its reason in words"


def test_previous_plan_table1_is_reproduced_exactly(con):
    rows = con.sql("select grade, project_count from main.mart_previous_plan_evaluation order by sort_order").fetchall()
    assert rows == [("AA", 1), ("A", 68), ("B", 6), ("C", 0), ("その他", 1), ("合計", 76)]


def test_fy2015_homepage_accesses_equal_the_plan_baseline(con):
    total = con.sql("select sum(page_view_count) from main.mart_web_access_monthly where fiscal_year = 2015").fetchall()
    assert total == [(2_578_895,)]
    row = con.sql("select baseline_value, baseline_actual_value, baseline_matches_plan "
                  "from main.mart_kpi_indicator_progress where indicator_id = 'M13-1' and fiscal_year = 2016").fetchall()
    assert row == [(2_578_895.0, 2_578_895.0, True)]


def test_docs_catalog_describes_every_mart_column(demo_home: Path):
    catalog = json.loads((demo_home / "docs" / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((demo_home / "docs" / "manifest.json").read_text(encoding="utf-8"))
    marts = [(uid, node) for uid, node in manifest["nodes"].items()
             if node["resource_type"] == "model" and node["name"].startswith("mart_")]
    assert len(marts) >= 9
    for uid, node in marts:
        assert "One row per" in node["description"] or "one row per" in node["description"], node["name"]
        columns = catalog["nodes"][uid]["columns"]
        undocumented = [c for c in columns if not node["columns"].get(c, {}).get("description")]
        assert not undocumented, (node["name"], undocumented)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_warehouse_serve_answers_on_localhost(demo_home: Path):
    port = _free_port()
    server = subprocess.Popen([WAREHOUSE, "serve", "--port", str(port), "--address", "127.0.0.1"],
                              env=warehouse_env(demo_home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("warehouse serve did not answer /_stcore/health within 60 s")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_warehouse_report_writes_the_yearly_report_workbook(demo_home: Path, tmp_path: Path):
    from openpyxl import load_workbook

    out = tmp_path / "report_fy2020.xlsx"
    completed = subprocess.run([WAREHOUSE, "--json", "report", "--fiscal-year", "2020", "--out", str(out)],
                               env=warehouse_env(demo_home), capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["path"] == str(out)
    sheet = load_workbook(out, read_only=True).worksheets[0]
    text = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    joined = "\n".join(text)
    assert "令和2年度" in joined
    for indicator_id in ("M01-1", "M09-1", "M13-1", "M35-1"):
        assert indicator_id in joined, indicator_id
