"""All five kinds load — CP932 and Excel included — and the real public files load as the issue requires."""
from __future__ import annotations

import shutil
from datetime import date, datetime

import polars as pl
import pytest

from ingest import ingest_file, ingest_landing
from tests.ingest.conftest import certificate_rows, write_csv, write_xlsx


def read_table(settings, table: str) -> pl.DataFrame:
    """Every live lake file of a table, partition column included."""
    return pl.read_parquet(settings.lake_dir / table / "**" / "*.parquet", hive_partitioning=True)


def test_certificates_cp932_csv_loads_with_codes_and_wareki(settings) -> None:
    path = write_csv(settings.landing_dir / "certificates" / "certificates_2020-04.csv", certificate_rows(), "cp932")
    outcome = ingest_file(settings, path, "certificates", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "certificate_issuances").sort("source_row_number")
    assert frame.height == 9
    assert frame["issued_date"].to_list()[:3] == [date(2020, 4, 1)] * 3
    assert frame["issued_count"].to_list()[:3] == [1234, 12, 7]
    assert frame["office_code"].to_list()[:3] == ["honcho", "akatsuka", "none"]
    assert frame["channel_code"].to_list()[:3] == ["counter", "kiosk", "convenience_store"]
    assert set(frame["fiscal_month"]) == {"2020-04"}
    assert (settings.lake_dir / "certificate_issuances" / "fiscal_month=2020-04" / f"{outcome.sha256[:16]}.parquet").exists()


def test_certificates_xlsx_with_title_row_loads(settings) -> None:
    rows = [["令和2年5月分 証明書交付件数"], [], *certificate_rows(1)]
    rows[3:] = [[cell.replace("4月", "5月").replace(".4.", ".5.").replace("/04/", "/05/") if isinstance(cell, str)
                 else cell for cell in row] for row in rows[3:]]
    path = write_xlsx(settings.landing_dir / "certificates" / "交付件数.xlsx", rows)
    outcome = ingest_file(settings, path, "certificates", "t1")
    assert outcome.status == "loaded", outcome.message
    assert outcome.fiscal_months == ["2020-05"] and outcome.rows_out == 3


def test_web_analytics_export_utf8_bom_loads(settings) -> None:
    rows = [["日付", "ページURL", "ページタイトル", "デバイス", "ページビュー数"],
            ["2020/4/1", "https://www.city.itabashi.tokyo.jp/kurashi/index.html?x=1", "くらし", "PC", "1,200"],
            ["2020/4/1", "/kurashi/index.html", "くらし", "スマートフォン", "3,400"]]
    path = write_csv(settings.landing_dir / "web_access" / "analytics_2020-04.csv", rows, "utf-8-sig")
    outcome = ingest_file(settings, path, "web_access", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "web_page_views_daily")
    assert set(frame["page_path"]) == {"/kurashi/index.html"}
    assert sorted(frame["page_view_count"]) == [1200, 3400]
    assert sorted(frame["device_type"]) == ["pc", "smartphone"]


def test_gis_events_load(settings) -> None:
    rows = [["日時", "職員ID", "所属", "操作", "地図名"],
            ["2020-04-01 08:59:10", "S0001", "IT推進課", "ログイン", ""],
            ["2020-04-01 09:00:00", "S0001", "IT推進課", "地図表示", "都市計画図"],
            ["2020-04-01 09:01:00", "S0001", "IT推進課", "レイヤ追加", "都市計画図"],
            ["2020-04-01 09:02:00", "S0002", "都市計画課", "印刷", "道路台帳"],
            ["2020-04-01 09:02:00", "S0002", "都市計画課", "エクスポート", "道路台帳"]]
    path = write_csv(settings.landing_dir / "gis" / "gis_2020-04.csv", rows)
    outcome = ingest_file(settings, path, "gis", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "gis_events").sort("source_row_number")
    assert frame["event_type"].to_list() == ["login", "map_open", "layer_add", "print", "export"]
    assert frame["event_at"][0] == datetime(2020, 4, 1, 8, 59, 10)
    assert frame["map_name_ja"][0] is None


def test_energy_monthly_xlsx_unpivots_meters(settings) -> None:
    rows = [["施設コード", "施設名", "年月", "電気使用量(kWh)", "ガス使用量(m3)", "水道使用量(m3)"],
            ["F001", "本庁舎", "令和2年4月", "120,000", "3,000", "900"],
            ["F001", "本庁舎", "令和2年5月", "110,000", "2,500", "850"],
            ["F002", "赤塚小学校", "令和2年4月", "20,000", None, "300"]]
    path = write_xlsx(settings.landing_dir / "energy" / "energy_monthly_R2.xlsx", rows)
    outcome = ingest_file(settings, path, "energy", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "energy_readings_monthly")
    assert frame.height == 8  # F002 has no gas reading
    f001 = frame.filter((pl.col("facility_code") == "F001") & (pl.col("reading_month") == date(2020, 4, 1)))
    assert dict(zip(f001["meter_type"], f001["usage_value"])) == {"electricity": 120000.0, "gas": 3000.0,
                                                                   "water": 900.0}
    assert set(frame.filter(pl.col("meter_type") == "gas")["usage_unit"]) == {"m3"}
    assert sorted(set(frame["fiscal_month"])) == ["2020-04", "2020-05"]


def test_energy_interval_csv_loads_as_30_minute_electricity(settings) -> None:
    rows = [["施設コード", "計測日時", "電力量(kWh)"]] + [
        ["F001", f"2020/04/01 {h:02d}:{m:02d}", f"{10 + h}.5"] for h in range(3) for m in (0, 30)]
    path = write_csv(settings.landing_dir / "energy" / "interval_F001_2020-04.csv", rows, "cp932")
    outcome = ingest_file(settings, path, "energy", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "energy_readings_interval")
    assert frame.height == 6 and set(frame["interval_minutes"]) == {30} and set(frame["meter_type"]) == {"electricity"}


@pytest.mark.parametrize("layout", ["v1", "v2"])
def test_public_facility_master_layouts_load_and_drop_contact_columns(settings, layout: str) -> None:
    if layout == "v1":
        header = ["都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "名称", "住所", "方書", "緯度",
                  "経度", "電話番号", "郵便番号"]
        row = ["131199", "F001", "東京都", "板橋区", "板橋区役所本庁舎", "東京都板橋区板橋２丁目６６番１号", "", "35.7512",
               "139.7094", "03-3964-1111", "173-8501"]
    else:
        header = ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "住所", "緯度", "経度", "電話番号",
                  "連絡先メールアドレス", "郵便番号"]
        row = ["131199", "F001", "板橋区", "板橋区役所本庁舎", "東京都板橋区板橋２丁目６６番１号", "35.7512",
               "139.7094", "03-3964-1111", "info@city.itabashi.tokyo.jp", "1738501"]
    path = write_csv(settings.landing_dir / "energy" / f"kokyo_shisetsu_{layout}.csv", [header, row], "cp932")
    outcome = ingest_file(settings, path, "energy", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "facilities")
    assert frame["source_layout"].to_list() == [f"kokyo_shisetsu_{layout}"]
    assert frame["postal_code"].to_list() == ["1738501"]
    assert "板橋2丁目66番1号" in frame["address_ja"][0]  # NFKC folded the full-width digits
    assert not any("03-3964" in str(v) or "@" in str(v) for v in frame.row(0))


def test_indicator_report_xlsx_loads_with_department_from_title(settings) -> None:
    rows = [["所属：IT推進課 令和2年度 指標実績報告"], ["指標ID", "年度", "実績値", "備考"],
            ["M01-1", "令和2年度", "250", "順調"], ["M03-1", "R2", "61（日平均）", None],
            ["M01-1", "H28年度", "200", None]]
    path = write_xlsx(settings.landing_dir / "indicator_reports" / "IT推進課_R2.xlsx", rows)
    outcome = ingest_file(settings, path, "indicator_reports", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "indicator_reports").sort("source_row_number")
    assert frame["fiscal_year"].to_list() == [2020, 2020, 2016]
    assert frame["reported_value"].to_list() == [250.0, 61.0, 200.0]
    assert frame["reported_value_text_ja"][1] == "61(日平均)"
    assert set(frame["reporting_department_ja"]) == {"IT推進課"}
    assert sorted(set(frame["fiscal_month"])) == ["2016-04", "2020-04"]


def test_real_apache_log_loads_and_no_raw_ip_reaches_the_lake(settings) -> None:
    source = settings.real_data_dir / "web_access" / "elastic_apache_logs_semicomplete_2015.log"
    if not source.exists():
        pytest.skip(f"real data not found at {source}")
    target = settings.landing_dir / "web_access" / source.name
    shutil.copyfile(source, target)
    report = ingest_landing(settings, "t1")
    (outcome,) = report.files
    assert outcome.status == "loaded", outcome.message
    assert outcome.rows_out == 10000
    frame = read_table(settings, "web_access_log")
    first = frame.sort("source_row_number")["requested_at"][0]
    assert first == datetime(2015, 5, 17, 19, 5, 3)  # 10:05:03 +0000 is 19:05:03 JST
    assert frame["client_hash"].n_unique() == 1753
    assert 0 < frame["is_bot"].sum() < frame.height and 0 < frame["is_page"].sum() < frame.height
    ips = {line.split(" ", 1)[0] for line in source.read_text(encoding="utf-8").splitlines()}
    blobs = [path.read_bytes() for path in settings.lake_dir.rglob("*.parquet")]
    assert blobs
    leaked = [ip for ip in ips if any(ip.encode() in blob for blob in blobs)]
    assert leaked == []


def test_real_school_list_loads_as_facilities(settings) -> None:
    source = settings.real_data_dir / "itabashi_kyoiku_kikan" / "itabashi_kyoiku_kikan_ichiran.csv"
    if not source.exists():
        pytest.skip(f"real data not found at {source}")
    target = settings.landing_dir / "energy" / source.name
    shutil.copyfile(source, target)
    outcome = ingest_file(settings, target, "energy", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "facilities")
    assert frame.height == 74 and frame["facility_code"].n_unique() == 74
    assert set(frame["source_layout"]) == {"kyoiku_kikan"}
    assert {"小学校", "中学校"} <= set(frame["facility_kind_ja"])
    assert frame.filter(pl.col("address_ja").str.contains("向原3丁目")).height >= 1


def test_real_cambridge_hourly_files_load_through_the_mapping_file(settings) -> None:
    building = settings.real_data_dir / "cambridge_estates_energy" / "UCam_Building_b110"
    if not building.exists():
        pytest.skip(f"real data not found at {building}")
    target = settings.landing_dir / "energy" / "cambridge" / building.name / "electricity" / "2020.csv"
    target.parent.mkdir(parents=True)
    shutil.copyfile(building / "electricity" / "2020.csv", target)
    outcome = ingest_file(settings, target, "energy", "t1")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "energy_readings_interval")
    assert frame.height == 8784 and set(frame["facility_code"]) == {"b110"}
    assert set(frame["interval_minutes"]) == {60} and set(frame["meter_type"]) == {"electricity"}
    assert frame.filter(pl.col("usage_value") == 0).height == 599  # upstream zero-filled gaps, kept as sent
    assert len(outcome.fiscal_months) == 12
