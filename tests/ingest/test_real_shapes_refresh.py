"""Issue 10, end to end: real-world shapes go through the whole refresh, and the refresh after them exits 0.

These need the whole warehouse (lake, models, gates): they may fail until every part of issue 10 has landed.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_warehouse
from tests.ingest.conftest import certificate_rows, write_csv
from tests.ingest.shapes import (
    common_log_lines,
    kokyo_shisetsu_rows,
    my_number_like_ids,
    power_company_hourly,
    write_text,
)
from tests.ingest.test_real_shapes import HOURLY_MAPPING

pytestmark = pytest.mark.slow


def _small_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    landing = home / "landing"
    write_csv(landing / "energy" / "131199_public_facility.csv", kokyo_shisetsu_rows(my_number_like_ids(count=12)),
              "utf-8-sig")
    write_text(landing / "web_access" / "access_log_2020-04.log", "\n".join(common_log_lines()) + "\n")
    (home / "mappings" / "energy").mkdir(parents=True)
    (home / "mappings" / "energy" / "juyo.toml").write_text(HOURLY_MAPPING, encoding="utf-8")
    write_text(landing / "energy" / "juyo_20200401.csv", power_company_hourly(), "cp932")
    (home / "mappings" / "energy" / "gj.toml").write_text(
        'match = ["energy_gj_*.csv"]\ntable = "energy_readings_monthly"\ndeclares_month = false\n'
        '[columns]\nfacility_code = "ID"\nreading_month = "年月"\nelectricity_kwh = "電気(MWh)"\ngas_m3 = "都市ガス(GJ)"\n'
        '[units]\nelectricity_kwh = "MWh"\ngas_m3 = "GJ"\n', encoding="utf-8")
    write_csv(landing / "energy" / "energy_gj_R2.csv",
              [["ID", "年月", "電気(MWh)", "都市ガス(GJ)"], ["131199000001", "2020-04", "12.5", "31.2"],
               ["UNREGISTERED-9", "2020-04", "3.0", "8.0"]])
    write_csv(landing / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    return home


def _quiet_refresh(home: Path):
    return run_warehouse(home, "--json", "refresh", WAREHOUSE_INGEST_SETTLE_SECONDS="0")


def test_real_shapes_publish_and_the_next_refresh_exits_0(tmp_path: Path) -> None:
    home = _small_home(tmp_path)
    first = _quiet_refresh(home)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    assert not list((home / "quarantine").glob("*.report.json")) if (home / "quarantine").exists() else True
    second = _quiet_refresh(home)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]


def test_a_damaged_workbook_does_not_stop_the_month(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_csv(home / "landing" / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    damaged = home / "landing" / "energy" / "energy_R2.xlsx"
    damaged.parent.mkdir(parents=True, exist_ok=True)
    damaged.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    first = _quiet_refresh(home)
    assert first.returncode == 3, first.stdout[-4000:] + first.stderr[-4000:]
    (report,) = (home / "quarantine").glob("*.report.json")
    payload = json.loads(report.read_text(encoding="utf-8"))
    assert payload["file"] == "energy_R2.xlsx" and payload["next_step"]["action"] == "resend_complete"
    assert (home / "warehouse.duckdb").exists()
    second = _quiet_refresh(home)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
