"""Any subset of data publishes (issue 10): an empty home, a home with one kind of file, readings for a facility
the master does not list, files dated outside today's calendar. Each runs the real `warehouse refresh`, twice
where a file could have frozen the warehouse: both exit 0 and the quality gates pass."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from demo_data import write_sample_extracts
from demo_data.facilities import PUBLIC_MASTER_NAME, SCHOOL_MASTER_NAME
from tests.conftest import run_warehouse
from tests.ingest.test_evaluations import M1, blank_workbook, fill

pytestmark = pytest.mark.slow

# The marts each landing kind fills (beside the KPI and plan marts, which every build fills from the seeds).
KIND_MARTS = {
    "certificates": ["mart_certificate_channel_shift"],
    "web_access": ["mart_web_access_monthly"],
    "gis": ["mart_gis_usage_monthly"],
    "energy": ["mart_facility_energy_monthly"],
    "indicator_reports": ["fct_indicator_reports"],
    "evaluations": ["fct_measure_evaluations"],
}
SOURCE_MARTS = [mart for marts in KIND_MARTS.values() for mart in marts]


@pytest.fixture(scope="module")
def landing_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small fiscal year (FY2020) of every kind's sample landing files, written once for the module, and the
    FY2020 取り組み状況 workbook returned with one self-assessment."""
    landing = tmp_path_factory.mktemp("samples") / "landing"
    write_sample_extracts(landing, "2020-04", "2021-03", facilities=6, interval_facilities=1, interval_months=1)
    fill(blank_workbook(landing / "evaluations" / "torikumi_jokyo_FY2020.xlsx"), {(M1, "自己評価"): "A"})
    return landing


def home_with(tmp_path: Path, landing_files: Path, kinds: list[str]) -> Path:
    home = tmp_path / "home"
    for kind in kinds:
        shutil.copytree(landing_files / kind, home / "landing" / kind)
    return home


def write_gis_log(path: Path, month: str) -> None:
    """A small GIS usage log in the landing layout (日時, 職員ID, 所属, 操作, 地図名) for two weekdays of month."""
    lines = ["日時,職員ID,所属,操作,地図名"]
    for day in ("08", "09"):
        for staff in ("a01", "a02"):
            lines.append(f"{month}-{day}T09:00:00,{staff},IT推進課,ログイン,")
            lines.append(f"{month}-{day}T09:05:00,{staff},IT推進課,地図表示,都市計画図")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def assert_published(home: Path, completed) -> None:
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"refresh exited {completed.returncode}:\n{output[-4000:]}"
    assert (home / "warehouse.duckdb").exists()
    assert read(home, "select count(*) from meta.warehouse_version") == [(1,)]
    assert read(home, "select count(*) from meta.quality_results where not success") == [(0,)]
    # the whole plan is always there: 41 indicators and 35 measures in every fiscal year
    years = read(home, "select count(distinct fiscal_year) from main.mart_kpi_indicator_progress")[0][0]
    assert read(home, "select count(*) from main.mart_kpi_indicator_progress") == [(41 * years,)]
    assert read(home, "select count(*) from main.mart_plan_measure_status") == [(35 * years,)]
    assert "Calculating Metrics" not in output  # the quality gates draw no progress bars


def test_empty_home_publishes_the_plan_with_no_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    completed = run_warehouse(home, "refresh")
    assert_published(home, completed)
    assert read(home, "select distinct progress_status from main.mart_kpi_indicator_progress "
                      "where indicator_id <> 'M01-1'") == [("no_data",)]
    assert read(home, "select distinct suggested_grade from main.mart_plan_measure_status") == [("not_evaluable",)]
    for mart in SOURCE_MARTS:
        assert read(home, f"select count(*) from main.{mart}") == [(0,)], mart
    assert read(home, "select count(*) from main.mart_data_quality_warnings") == [(0,)]
    again = run_warehouse(home, "refresh")
    assert again.returncode == 0, again.stdout[-3000:]


@pytest.mark.parametrize("kind", list(KIND_MARTS))
def test_a_home_with_one_kind_publishes_that_kinds_marts(tmp_path: Path, landing_files: Path, kind: str) -> None:
    home = home_with(tmp_path, landing_files, [kind])
    completed = run_warehouse(home, "refresh")
    assert_published(home, completed)
    for mart in SOURCE_MARTS:
        rows = read(home, f"select count(*) from main.{mart}")[0][0]
        assert (rows > 0) == (mart in KIND_MARTS[kind]), f"{mart}: {rows} rows with only {kind} files"


def test_unregistered_facilities_and_dates_outside_the_calendar_never_freeze_the_warehouse(
        tmp_path: Path, landing_files: Path) -> None:
    """Energy readings without the facility masters, a GIS log from 2009 and one from after the as-of date: the
    June 2021 log is loaded by a refresh dated July 2021 (ingest refuses files dated after the as-of date), then
    the warehouse is rebuilt as of 2021-04-20 (tests/conftest.py), so the lake holds rows after the as-of date.
    Both refreshes publish with warnings, and so does the next one."""
    home = home_with(tmp_path, landing_files, ["energy"])
    for name in (SCHOOL_MASTER_NAME, PUBLIC_MASTER_NAME):
        (home / "landing" / "energy" / name).unlink(missing_ok=True)
    gis_dir = home / "landing" / "gis"
    gis_dir.mkdir(parents=True)
    for month in ("2009-05", "2021-06"):  # an old log found in a cupboard, and a log of a later month
        write_gis_log(gis_dir / f"gis_events_{month}.csv", month)
    assert_published(home, run_warehouse(home, "refresh", WAREHOUSE_AS_OF_DATE="2021-07-10"))
    assert_published(home, run_warehouse(home, "refresh"))

    assert read(home, "select count(*) from main.dim_facility where is_registered") == [(0,)]
    assert read(home, "select count(*) from main.dim_facility where facility_name_ja not like '未登録の施設 %'") \
        == [(0,)]
    assert read(home, "select count(*) from main.mart_facility_energy_monthly "
                      "where facility_name_ja is null or is_registered_facility") == [(0,)]
    warnings = dict(read(home, "select warning_code, count(*) from main.mart_data_quality_warnings group by 1"))
    assert warnings["unregistered_facility"] == read(home, "select count(*) from main.dim_facility")[0][0]
    assert warnings["dated_before_fy2015"] == 1 and warnings["dated_after_as_of_date"] == 1
    months = read(home, "select min(fiscal_month_start_date), max(fiscal_month_start_date), "
                        "bool_or(is_after_as_of_date) from main.dim_fiscal_month")
    assert str(months[0][0]) == "2009-04-01" and str(months[0][1]) == "2021-06-01" and months[0][2] is True
    # both logs stay in the GIS mart; the June 2021 log is not counted in FY2021 as of 2021-04-20
    assert read(home, "select count(*) from main.mart_gis_usage_monthly "
                      "where fiscal_month_start_date in (date '2009-05-01', date '2021-06-01')") == [(2,)]
    assert read(home, "select actual_value from main.mart_kpi_indicator_progress "
                      "where indicator_id = 'M03-1' and fiscal_year = 2021") == [(None,)]
    assert_published(home, run_warehouse(home, "refresh", "--full-rebuild"))
