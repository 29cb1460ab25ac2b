"""Issue 10 — real files first: files shaped like the public ones a ward receives load, or are refused in words."""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from ingest import ingest_file, ingest_landing
from tests.ingest.conftest import CERT_HEADER, certificate_rows, lake_snapshot, write_csv, write_xlsx
from tests.ingest.shapes import (
    KOKYO_SHISETSU_56,
    common_log_lines,
    kokyo_shisetsu_rows,
    my_number_like_ids,
    nginx_main_lines,
    power_company_hourly,
    write_text,
)


def read_table(settings, table: str) -> pl.DataFrame:
    return pl.read_parquet(settings.lake_dir / table / "**" / "*.parquet", hive_partitioning=True)


def report_of(outcome) -> dict:
    quarantined = Path(outcome.path)
    return json.loads(quarantined.with_name(quarantined.name + ".report.json").read_text(encoding="utf-8"))


def write_mapping(settings, kind: str, name: str, text: str) -> Path:
    path = settings.mappings_dir / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- item 5: public identifiers are not PII ------------------------------------------------------------------

def test_56_column_public_facility_list_with_my_number_like_ids_loads_whole(settings) -> None:
    ids = my_number_like_ids(count=12)
    path = write_csv(settings.landing_dir / "energy" / "131199_public_facility.csv", kokyo_shisetsu_rows(ids),
                     "utf-8-sig")
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "facilities")
    assert frame.height == 12 and sorted(frame["facility_code"]) == sorted(ids)
    assert set(frame["source_layout"]) == {"kokyo_shisetsu_v2"}
    assert frame["postal_code"][0].isdigit() and len(frame["postal_code"][0]) == 7
    assert set(frame["facility_kind_ja"]) <= {"区民集会所", "図書館", "体育館", "児童館", "地域センター", "区役所"}
    blobs = b"".join(p.read_bytes() for p in settings.lake_dir.rglob("*.parquet"))
    assert b"3579-2001" not in blobs and b"3579-3001" not in blobs  # public phone and FAX are read, not stored


def test_my_number_still_refused_in_free_text_and_unnamed_columns(settings) -> None:
    ids = my_number_like_ids(count=3)
    rows = kokyo_shisetsu_rows(ids)
    rows[2][KOKYO_SHISETSU_56.index("説明")] = f"問い合わせ者 {ids[0]}"  # the same digits, in a free-text column
    path = write_csv(settings.landing_dir / "energy" / "shisetsu_free_text.csv", rows)
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "quarantined"
    assert {(f["row"], f["column"], f["reason"]) for f in outcome.findings} == {(2, "説明", "PII: my_number")}
    unnamed = [row + ([""] if i == 0 else [ids[1] if i == 1 else ""]) for i, row in enumerate(kokyo_shisetsu_rows(ids))]
    path = write_csv(settings.landing_dir / "energy" / "shisetsu_unnamed.csv", unnamed)
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "quarantined"
    assert [(f["row"], f["reason"]) for f in outcome.findings] == [(1, "PII: my_number")]
    assert ids[1] not in json.dumps(report_of(outcome), ensure_ascii=False)


def test_a_mapping_declares_more_public_identifier_columns(settings) -> None:
    numbers = my_number_like_ids(prefix="900000", count=2)
    header = ["日時", "職員ID", "所属", "操作", "地図名", "端末番号"]
    rows = [header, ["2020-04-01 09:00:00", "S1", "IT推進課", "地図表示", "都市計画図", numbers[0]],
            ["2020-04-01 09:05:00", "S2", "IT推進課", "ログイン", "", numbers[1]]]
    path = write_csv(settings.landing_dir / "gis" / "gis_terminal_2020-04.csv", rows)
    outcome = ingest_file(settings, path, "gis", "t")
    assert outcome.status == "quarantined"
    report = report_of(outcome)
    step = report["next_step"]
    assert step["action"] == "declare_public_identifier"
    assert 'public_identifier_columns = ["端末番号"]' in step["example"]
    assert step["mapping_file"].startswith(str(settings.mappings_dir / "gis"))
    write_mapping(settings, "gis", "terminal.toml", step["example"].split("\n", 1)[1])
    again = write_csv(settings.landing_dir / "gis" / "gis_terminal_2020-04.csv", rows)
    outcome = ingest_file(settings, again, "gis", "t2")
    assert outcome.status == "loaded", outcome.message
    assert any("端末番号" in warning for warning in outcome.warnings)  # read for the check, never stored


# --- item 7: logs as they come ----------------------------------------------------------------------------------

def test_common_log_format_with_host_names_loads_as_unknown_devices_not_bots(settings) -> None:
    lines = common_log_lines()
    path = write_text(settings.landing_dir / "web_access" / "access_log_2020-04.log", "\n".join(lines) + "\n")
    outcome = ingest_file(settings, path, "web_access", "t")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "web_access_log").sort("source_row_number")
    assert frame.height == len(lines)
    assert set(frame["device_type"]) == {"unknown"} and not frame["is_bot"].any()
    assert frame["response_bytes"].to_list()[2] is None and frame["response_bytes"].to_list()[0] == 5120
    assert frame["client_hash"].n_unique() == 5 and frame["requested_at"][0] == datetime(2020, 4, 1, 9, 0, 1)
    assert frame["request_path"][3] == "/kosodate/index.html"
    blobs = b"".join(p.read_bytes() for p in settings.lake_dir.rglob("*.parquet"))
    for secret in (b"ws1.example.ne.jp", b"ocn.ne.jp", b"192.0.2.10", b"frank", b"03-1234-5678"):
        assert secret not in blobs


def test_nginx_main_format_loads_and_drops_the_forwarded_for_field(settings) -> None:
    path = write_text(settings.landing_dir / "web_access" / "nginx_access_2020-04.log",
                      "\n".join(nginx_main_lines()) + "\n")
    outcome = ingest_file(settings, path, "web_access", "t")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "web_access_log").sort("source_row_number")
    assert frame["device_type"].to_list() == ["pc", "smartphone", "other"]
    assert frame["is_bot"].to_list() == [False, False, True]
    assert frame["referrer_host"][1] == "www.google.com"
    blobs = b"".join(p.read_bytes() for p in settings.lake_dir.rglob("*.parquet"))
    assert b"198.51.100.7" not in blobs and b"203.0.113" not in blobs


# --- item 6: mappings in the data home ------------------------------------------------------------------------------

HOURLY_MAPPING = """
# 電力会社の需要実績（1時間値、万kW）: 積み重なった表のうち「当日実績(万kW)」の表を読む
table = "energy_readings_interval"
match = ["juyo_*.csv"]
declares_month = false

[block]
title = "当日実績(万kW)"

[columns]
reading_start_at = ["DATE", "TIME"]
usage_value = "当日実績(万kW)"

[constants]
facility_code = "AREA-TOKYO"
meter_type = "electricity"
interval_minutes = 60

[units]
usage_value = "万kW"
"""


def test_hourly_demand_csv_with_title_line_and_date_time_columns_loads_through_a_home_mapping(settings) -> None:
    mapping = write_mapping(settings, "energy", "juyo.toml", HOURLY_MAPPING)
    assert mapping.parent == settings.home / "mappings" / "energy"
    path = write_text(settings.landing_dir / "energy" / "juyo_20200401.csv", power_company_hourly(), "cp932")
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "energy_readings_interval").sort("reading_start_at")
    assert frame.height == 24 and set(frame["facility_code"]) == {"AREA-TOKYO"}
    assert frame["reading_start_at"][0] == datetime(2020, 4, 1, 0, 0)
    assert frame["reading_start_at"][23] == datetime(2020, 4, 1, 23, 0)
    assert frame["usage_value"][0] == 2500 * 10_000  # 2,500 万kW for one hour = 25,000,000 kWh
    assert set(frame["usage_unit"]) == {"kWh"} and set(frame["interval_minutes"]) == {60}


def test_stacked_tables_picked_by_index(settings) -> None:
    text = HOURLY_MAPPING.replace('title = "当日実績(万kW)"', "index = 4")
    write_mapping(settings, "energy", "juyo.toml", text)
    path = write_text(settings.landing_dir / "energy" / "juyo_20200402.csv", power_company_hourly("2020/4/2"), "cp932")
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "loaded", outcome.message
    assert outcome.rows_out == 24


def test_a_tighter_limit_in_the_mapping_refuses_implausible_values_naming_the_unit(settings) -> None:
    write_mapping(settings, "energy", "juyo.toml", HOURLY_MAPPING + "[limits]\nusage_value = 1e6\n")
    path = write_text(settings.landing_dir / "energy" / "juyo_20200403.csv", power_company_hourly("2020/4/3"), "cp932")
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "quarantined"
    report = report_of(outcome)
    (problem,) = report["problems"]
    assert problem["kind"] == "above_maximum" and problem["count"] == 24 and problem["first_rows"] == [1, 2, 3, 4, 5]
    assert "単位" in report["message_ja"] and "check the unit" in report["message_en"]


def test_gj_table_stays_gj_and_mwh_becomes_kwh(settings) -> None:
    write_mapping(settings, "energy", "gj.toml", """
match = ["energy_gj_*.csv"]
table = "energy_readings_monthly"
declares_month = false
[columns]
facility_code = "施設番号"
reading_month = "年月"
electricity_kwh = "電気(MWh)"
gas_m3 = "都市ガス(GJ)"
[units]
electricity_kwh = "MWh"
gas_m3 = "GJ"
""")
    rows = [["令和2年度 施設別エネルギー使用量"], [], ["施設番号", "施設名", "年月", "電気(MWh)", "都市ガス(GJ)"],
            ["F001", "本庁舎", "令和2年4月", "120.5", "310.2"], ["F001", "本庁舎", "令和2年5月", "110", "280"]]
    path = write_csv(settings.landing_dir / "energy" / "energy_gj_R2.csv", rows)
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "energy_readings_monthly").sort("reading_month", "meter_type")
    electricity = frame.filter(pl.col("meter_type") == "electricity")
    gas = frame.filter(pl.col("meter_type") == "gas")
    assert electricity["usage_value"].to_list() == [120_500.0, 110_000.0] and set(electricity["usage_unit"]) == {"kWh"}
    assert gas["usage_value"].to_list() == [310.2, 280.0] and set(gas["usage_unit"]) == {"GJ"}


def test_long_energy_table_with_a_unit_column_loads_without_a_mapping(settings) -> None:
    rows = [["施設コード", "年月", "エネルギー種別", "使用量", "単位"],
            ["F001", "2020-04", "電気", "1.5", "MWh"], ["F001", "2020-04", "都市ガス", "120", "GJ"],
            ["F001", "2020-04", "水道", "30", "㎥"]]
    path = write_csv(settings.landing_dir / "energy" / "energy_long_2020.csv", rows)
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "energy_readings_monthly")
    assert dict(zip(frame["meter_type"], zip(frame["usage_value"], frame["usage_unit"]))) == {
        "electricity": (1500.0, "kWh"), "gas": (120.0, "GJ"), "water": (30.0, "m3")}


def test_an_unknown_unit_is_refused_with_the_known_ones_naming_the_mapping(settings) -> None:
    mapping = write_mapping(settings, "energy", "kcal.toml", """
match = ["heat_*.csv"]
table = "energy_readings_monthly"
[columns]
usage_value = "熱量"
meter_type = "種類"
[units]
usage_value = "kcal"
""")
    rows = [["施設コード", "年月", "種類", "熱量"], ["F001", "2020-04", "ガス", "1000"]]
    path = write_csv(settings.landing_dir / "energy" / "heat_2020.csv", rows)
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "quarantined"
    report = report_of(outcome)
    assert "kcal" in report["message_en"] and "MWh" in report["message_en"] and "GJ" in report["message_en"]
    assert report["next_step"]["action"] == "fix_mapping" and report["next_step"]["mapping_file"] == str(mapping)
    assert "warehouse files retry heat_2020.csv" in report["message_ja"]


def test_a_unit_in_a_cell_that_does_not_fit_the_meter_is_refused(settings) -> None:
    rows = [["施設コード", "年月", "エネルギー種別", "使用量", "単位"], ["F001", "2020-04", "水道", "30", "kWh"],
            ["F001", "2020-04", "電気", "30", "cal"]]
    path = write_csv(settings.landing_dir / "energy" / "energy_long_bad.csv", rows)
    outcome = ingest_file(settings, path, "energy", "t")
    assert outcome.status == "quarantined"
    kinds = {p["kind"] for p in report_of(outcome)["problems"]}
    assert kinds == {"unit_meter", "unknown_unit"}, kinds


def test_header_below_title_and_blank_lines_is_found(settings) -> None:
    rows = [["証明書交付件数（令和2年4月分）"]] + [[] for _ in range(20)] + [["作成: 戸籍住民課"]] + [[]] * 6 + \
        certificate_rows()
    path = write_csv(settings.landing_dir / "certificates" / "交付件数_R2-04.csv", rows, "cp932")
    outcome = ingest_file(settings, path, "certificates", "t")
    assert outcome.status == "loaded", outcome.message
    assert outcome.fiscal_months == ["2020-04"]


def test_workbook_with_a_cover_sheet_reads_the_sheet_that_has_the_table(settings) -> None:
    import xlsxwriter

    path = settings.landing_dir / "indicator_reports" / "IT推進課_R2.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("表紙").write(0, 0, "令和2年度 指標実績報告 IT推進課")
    sheet = workbook.add_worksheet("実績")
    for r, row in enumerate([["指標ID", "年度", "実績値", "備考"], ["M01-1", "令和2年度", "250", "順調"]]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    workbook.close()
    outcome = ingest_file(settings, path, "indicator_reports", "t")
    assert outcome.status == "loaded", outcome.message


def test_mappings_for_other_kinds_rename_columns_and_add_constants(settings) -> None:
    write_mapping(settings, "certificates", "kiosk_system.toml", """
# コンビニ交付システムの書き出し: 窓口の列がない
match = ["conbini_*.csv"]
[columns]
issued_date = "処理日"
certificate_type_code = "帳票"
issued_count = "交付枚数"
[constants]
channel_code = "コンビニ交付"
office_code = "なし"
""")
    rows = [["処理日", "帳票", "交付枚数"], ["2020/04/01", "住民票の写し", "31"], ["2020/04/01", "印鑑登録証明書", "12"]]
    path = write_csv(settings.landing_dir / "certificates" / "conbini_2020-04.csv", rows, "cp932")
    outcome = ingest_file(settings, path, "certificates", "t")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "certificate_issuances")
    assert set(frame["channel_code"]) == {"convenience_store"} and set(frame["office_code"]) == {"none"}


def test_real_cambridge_gas_still_loads_through_the_shipped_mapping(settings) -> None:
    building = settings.real_data_dir / "cambridge_estates_energy" / "UCam_Building_b110"
    if not building.exists():
        pytest.skip(f"real data not found at {building}")
    target = settings.landing_dir / "energy" / "cambridge" / building.name / "gas" / "2019.csv"
    target.parent.mkdir(parents=True)
    shutil.copyfile(building / "gas" / "2019.csv", target)
    outcome = ingest_file(settings, target, "energy", "t")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "energy_readings_interval")
    assert set(frame["meter_type"]) == {"gas"} and set(frame["usage_unit"]) == {"kWh"}


# --- item 8: messages a department can act on -----------------------------------------------------------------------

def test_report_lists_every_kind_of_problem_once_with_counts_in_both_languages(settings) -> None:
    rows = certificate_rows(4)
    rows[1][4] = "-5"
    rows[4][4] = "-1"
    rows[2][1] = "渋谷区民事務所"
    rows[3][0] = "令和30年4月1日"
    rows[5][3] = "連絡 090-1234-5678"
    path = write_csv(settings.landing_dir / "certificates" / "many_2020-04.csv", rows, "cp932")
    outcome = ingest_file(settings, path, "certificates", "t", today=date(2020, 5, 10))
    assert outcome.status == "quarantined"
    report = report_of(outcome)
    for key in ("message_ja", "message_en", "problems", "expected_headers", "found_headers", "next_step"):
        assert report[key], key
    by_kind = {(p["kind"], p["column"]): p for p in report["problems"]}
    assert by_kind[("negative", "件数")]["count"] == 2 and by_kind[("negative", "件数")]["first_rows"] == [1, 4]
    assert by_kind[("unknown_value", "窓口")]["count"] == 1
    assert by_kind[("pii", "交付方法")]["count"] == 1  # found in the raw cell: counted once, not twice
    assert any(kind == "future_date" for kind, _ in by_kind)
    assert len(report["findings"]) == len({(f["row"], f["column"], f["reason"]) for f in report["findings"]})
    assert report["expected_headers"] == CERT_HEADER and report["found_headers"] == CERT_HEADER
    assert "負の値" not in report["message_en"] and "マイナスの値" in report["message_ja"]
    assert "090-1234-5678" not in json.dumps(report, ensure_ascii=False) and "渋谷" not in json.dumps(report)
    assert "2020-05-10" in report["message_en"]  # future means after the as-of date the run was given
    assert outcome.message_ja == report["message_ja"]


def test_renamed_headers_suggest_a_mapping_in_the_home_with_an_example(settings) -> None:
    rows = [["処理日", "窓口", "証明書種別", "交付方法", "交付数"]] + certificate_rows()[1:]
    path = write_csv(settings.landing_dir / "certificates" / "renamed_2020-04.csv", rows, "cp932")
    outcome = ingest_file(settings, path, "certificates", "t")
    report = report_of(outcome)
    assert report["expected_headers"] == CERT_HEADER
    assert report["found_headers"] == rows[0]
    step = report["next_step"]
    assert step["action"] == "add_mapping"
    assert step["mapping_file"].startswith(str(settings.mappings_dir / "certificates"))
    assert 'office_code = "窓口"' in step["example"] and 'issued_count = "交付数"' in step["example"]
    assert "期待する見出し: 交付日、窓口、証明書種別、交付方法、件数" in report["message_ja"]
    assert "このファイルの見出し: 処理日、窓口、証明書種別、交付方法、交付数" in report["message_ja"]
    example = step["example"].replace('"？"', '"処理日"')
    write_mapping(settings, "certificates", Path(step["mapping_file"]).name, example)
    again = write_csv(settings.landing_dir / "certificates" / "renamed_2020-04.csv", rows, "cp932")
    assert ingest_file(settings, again, "certificates", "t2").status == "loaded"


def test_no_message_points_into_the_source_code(settings) -> None:
    cases = [
        ("certificates", "nothing_2020-04.csv", [["a", "b"], ["1", "2"]]),
        ("energy", "strange.csv", [["x", "y", "z"], ["1", "2", "3"]]),
        ("certificates", "renamed_2020-04.csv", [CERT_HEADER[:4] + ["数量"]] + certificate_rows()[1:]),
    ]
    for kind, name, rows in cases:
        outcome = ingest_file(settings, write_csv(settings.landing_dir / kind / name, rows), kind, "t")
        text = json.dumps(report_of(outcome), ensure_ascii=False)
        assert "contract.py" not in text and "ingest/" not in text and ".py" not in text, text


# --- item 1 / 6 / 7 of the brief: ingest-time checks, damaged files, the as-of date --------------------------------

def test_a_damaged_workbook_is_quarantined_and_the_other_files_load(settings) -> None:
    good = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(), "cp932")
    noise = settings.landing_dir / "energy" / "random.xlsx"
    noise.write_bytes(os.urandom(4096))
    valid = write_xlsx(settings.landing_dir / "indicator_reports" / "tmp.xlsx", [["指標ID", "年度", "実績値"], ["M01-1", "2020", "1"]])
    cut = settings.landing_dir / "indicator_reports" / "IT推進課_cut.xlsx"
    cut.write_bytes(valid.read_bytes()[: valid.stat().st_size // 2])
    valid.unlink()
    empty_zip = settings.landing_dir / "gis" / "gis_2020-04.xlsx"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    report = ingest_landing(settings, "r1")
    statuses = {Path(f.path).name.split("__")[-1]: f.status for f in report.files}
    assert statuses == {"c_2020-04.csv": "loaded", "random.xlsx": "quarantined", "IT推進課_cut.xlsx": "quarantined",
                        "gis_2020-04.xlsx": "quarantined"}
    assert good.exists()
    for outcome in report.files:
        if outcome.status == "quarantined":
            text = report_of(outcome)
            assert text["next_step"]["action"] == "resend_complete", text
            assert "Traceback" not in text["message_en"] and outcome.path.endswith(".xlsx")


def test_future_dates_are_judged_by_the_as_of_date(settings) -> None:
    path = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(3), "cp932")
    outcome = ingest_file(settings, path, "certificates", "t", today=date(2020, 4, 2))
    assert outcome.status == "quarantined"
    assert {f["row"] for f in outcome.findings} == {7, 8, 9}
    assert all("after 2020-04-02" in f["reason"] for f in outcome.findings)
    again = write_csv(settings.landing_dir / "certificates" / "c_2020-04.csv", certificate_rows(3), "cp932")
    assert ingest_file(settings, again, "certificates", "t", today=date(2020, 4, 3)).status == "loaded"


def test_a_report_for_a_fiscal_year_not_yet_begun_is_refused(settings) -> None:
    rows = [["指標ID", "年度", "実績値", "所属"], ["M01-1", "令和3年度", "10", "IT推進課"]]
    path = write_xlsx(settings.landing_dir / "indicator_reports" / "IT推進課_R3.xlsx", rows)
    outcome = ingest_file(settings, path, "indicator_reports", "t", today=date(2021, 3, 31))
    assert outcome.status == "quarantined"
    assert report_of(outcome)["problems"][0]["kind"] == "future_fiscal_year"


def test_a_key_already_loaded_by_a_file_this_one_does_not_replace_is_refused(settings, monkeypatch) -> None:
    from dataclasses import replace

    from ingest import KINDS

    spec = KINDS["certificates"]
    contract = spec.contracts["certificate_issuances"]
    monkeypatch.setitem(spec.contracts, "certificate_issuances", replace(contract, replace_scope=None))
    first = write_csv(settings.landing_dir / "certificates" / "a_2020-04.csv", certificate_rows(2), "cp932")
    assert ingest_file(settings, first, "certificates", "t").status == "loaded"
    before = lake_snapshot(settings)
    rows = [CERT_HEADER, ["令和2年4月3日", "本庁舎", "住民票の写し", "窓口", "5"], certificate_rows(2)[2]]
    second = write_csv(settings.landing_dir / "certificates" / "b_2020-04.csv", rows, "cp932")
    outcome = ingest_file(settings, second, "certificates", "t")
    assert outcome.status == "quarantined"
    assert [(f["row"], f["reason"]) for f in outcome.findings] == [
        (2, "duplicate key across files (already loaded from a_2020-04.csv, row 2)")]
    assert lake_snapshot(settings) == before
    assert report_of(outcome)["problems"][0]["kind"] == "duplicate_across_files"


def test_a_mapping_whose_headers_do_not_fit_points_at_that_mapping(settings) -> None:
    mapping = write_mapping(settings, "gis", "vendor.toml",
                            'match = ["oplog_*.csv"]\n[columns]\nevent_at = ["操作日", "操作時刻"]\n')
    rows = [["日付", "時刻", "職員ID", "所属", "操作", "地図名"], ["2020-04-01", "09:00", "S1", "IT推進課", "ログイン", ""]]
    path = write_csv(settings.landing_dir / "gis" / "oplog_2020-04.csv", rows)
    outcome = ingest_file(settings, path, "gis", "t")
    report = report_of(outcome)
    assert report["next_step"]["action"] == "fix_mapping" and report["next_step"]["mapping_file"] == str(mapping)
    assert "操作日" in report["message_ja"] and "日付" in report["message_ja"]
    mapping.write_text('match = ["oplog_*.csv"]\n[columns]\nevent_at = ["日付", "時刻"]\n', encoding="utf-8")
    again = write_csv(settings.landing_dir / "gis" / "oplog_2020-04.csv", rows)
    outcome = ingest_file(settings, again, "gis", "t2")
    assert outcome.status == "loaded", outcome.message
    frame = read_table(settings, "gis_events")
    assert frame["event_at"].to_list() == [datetime(2020, 4, 1, 9, 0)]
