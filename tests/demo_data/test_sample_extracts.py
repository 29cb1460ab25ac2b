"""The sample-extract generator: determinism, the plan's anchors, encodings, formats and speed."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import time
from pathlib import Path

import polars as pl
import pytest

from demo_data import KINDS, default_end_month, write_sample_extracts
from demo_data.common import (
    business_days,
    fiscal_year_business_days,
    fiscal_year_months,
    stable_code,
)
from warehouse.platform.settings import load_settings

REAL = load_settings().real_data_dir
SCHOOLS = REAL / "itabashi_kyoiku_kikan" / "itabashi_kyoiku_kikan_ichiran.csv"
needs_real = pytest.mark.skipif(not SCHOOLS.is_file(), reason=f"real school list not found at {SCHOOLS}")


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _csv_rows(path: Path, encoding: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(encoding))))


@pytest.fixture(scope="module")
def fy2015_to_2017(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """FY2015 through December 2017 (covers the baseline year, the kiosk's end and convenience-store start)."""
    root = tmp_path_factory.mktemp("landing")
    summary = write_sample_extracts(root, "2015-04", "2017-12", real_data_dir=REAL, interval_months=2)
    return root, summary


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    first = write_sample_extracts(tmp_path / "a", "2019-01", "2019-03", real_data_dir=REAL)
    second = write_sample_extracts(tmp_path / "b", "2019-01", "2019-03", real_data_dir=REAL)
    digests = _digests(tmp_path / "a")
    assert digests == _digests(tmp_path / "b")
    assert len(digests) == sum(first.files.values()) == sum(second.files.values())
    assert first.rows == second.rows


def test_a_different_seed_gives_different_data(tmp_path: Path) -> None:
    write_sample_extracts(tmp_path / "a", "2019-01", "2019-01", seed=1, real_data_dir=REAL)
    write_sample_extracts(tmp_path / "b", "2019-01", "2019-01", seed=2, real_data_dir=REAL)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a["gis/gis_events_2019-01.csv"] != b["gis/gis_events_2019-01.csv"]


def test_a_month_is_the_same_whatever_the_span(fy2015_to_2017: tuple[Path, object], tmp_path: Path) -> None:
    root, _ = fy2015_to_2017
    write_sample_extracts(tmp_path, "2016-03", "2016-03", real_data_dir=REAL)
    for name in ("web_access/web_access_2016-03.csv", "gis/gis_events_2016-03.csv",
                 "certificates/certificates_2016-03.csv"):
        assert (tmp_path / name).read_bytes() == (root / name).read_bytes(), name


def test_fy2015_homepage_total_is_the_plans_baseline(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    total = 0
    for month in fiscal_year_months(2015):
        frame = pl.read_csv(root / "web_access" / f"web_access_{month}.csv")  # polars skips the BOM
        total += int(frame["ページビュー数"].sum())
    assert total == 2_578_895


def test_fy2016_homepage_grows_toward_the_target(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    total = sum(int(pl.read_csv(root / "web_access" / f"web_access_{m}.csv")["ページビュー数"].sum())
                for m in fiscal_year_months(2016))
    assert 2_578_895 < total < 3_000_000


def test_gis_fy2015_means_round_to_the_plans_baselines(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    frames = [pl.read_csv(root / "gis" / f"gis_events_{m}.csv", infer_schema=False) for m in fiscal_year_months(2015)]
    events = pl.concat(frames)
    logins = events.filter(pl.col("操作") == "ログイン")
    login_days = logins["日時"].str.slice(0, 10).n_unique()
    assert login_days == fiscal_year_business_days(2015)
    assert round(logins.height / login_days) == 58
    assert round(events.filter(pl.col("操作") == "地図表示").height / 12) == 220
    assert events.filter(pl.col("操作") == "ログイン")["地図名"].null_count() == logins.height
    assert set(events["操作"].unique()) == {"ログイン", "地図表示", "レイヤ追加", "印刷", "エクスポート"}
    assert events["職員ID"].str.contains(r"^S\d{6}$").all()


def test_gis_events_only_on_business_days(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    from demo_data.common import Month
    month = Month(2016, 1)
    events = pl.read_csv(root / "gis" / f"gis_events_{month}.csv", infer_schema=False)
    days = {dt.date.fromisoformat(d) for d in events["日時"].str.slice(0, 10).unique()}
    assert days == set(business_days(month))
    assert dt.date(2016, 1, 11) not in days  # 成人の日


def _channels_by_month(root: Path) -> dict[str, set[str]]:
    out = {}
    for path in sorted((root / "certificates").glob("certificates_*.csv")):
        out[path.stem[-7:]] = {row["交付方法"] for row in _csv_rows(path, "cp932")}
    return out


def test_convenience_store_starts_2016_01_and_kiosk_ends_2017_09(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    channels = _channels_by_month(root)
    assert len(channels) == 33
    for month, names in channels.items():
        assert ("コンビニ交付" in names) == (month >= "2016-01"), month
        assert ("自動交付機" in names) == (month <= "2017-09"), month
        assert "オンライン" not in names


def test_certificate_files_look_like_the_departments(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    heisei = _csv_rows(root / "certificates" / "certificates_2015-04.csv", "cp932")
    assert list(heisei[0]) == ["交付日", "窓口", "証明書種別", "交付方法", "件数"]
    assert heisei[0]["交付日"] == "平成27年4月1日"
    full_width = _csv_rows(root / "certificates" / "certificates_2016-04.csv", "cp932")
    assert full_width[0]["交付日"].startswith("平成２８年") and full_width[0]["件数"].isdigit()
    assert not full_width[0]["件数"].isascii()
    short = _csv_rows(root / "certificates" / "certificates_2017-04.csv", "cp932")
    assert short[0]["交付日"].startswith("H29.4.")
    conv = [r for r in heisei if r["交付方法"] in {"コンビニ交付", "郵送"}]
    assert conv and all(r["窓口"] == "なし" for r in conv)
    counter = {r["窓口"] for r in heisei if r["交付方法"] == "窓口"}
    assert counter == {"本庁舎", "赤塚区民事務所", "板橋区民事務所", "上板橋区民事務所", "志村区民事務所",
                       "高島平区民事務所", "常盤台区民事務所"}


def test_certificate_volume_is_about_1_2_million_a_year(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    import unicodedata
    total = 0
    for month in fiscal_year_months(2016):
        for row in _csv_rows(root / "certificates" / f"certificates_{month}.csv", "cp932"):
            total += int(unicodedata.normalize("NFKC", row["件数"]).replace(",", ""))
    assert 1_100_000 <= total <= 1_300_000


def test_certificate_weekends_only_convenience_store(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    rows = _csv_rows(root / "certificates" / "certificates_2016-05.csv", "cp932")
    weekend = {r["交付方法"] for r in rows if r["交付日"].startswith("平成２８年５月１日")}  # a Sunday
    assert weekend == {"コンビニ交付"}


def test_encodings_headers_and_all_kinds(fy2015_to_2017: tuple[Path, object]) -> None:
    root, summary = fy2015_to_2017
    for kind in KINDS:
        assert any((root / kind).iterdir()), kind
        assert summary.files[kind] > 0 and (kind == "energy" or summary.rows[kind] > 0)
    web = (root / "web_access" / "web_access_2016-04.csv").read_bytes()
    assert web.startswith(b"\xef\xbb\xbf")
    assert web.decode("utf-8-sig").splitlines()[0] == "日付,ページURL,ページタイトル,デバイス,ページビュー数"
    gis = (root / "gis" / "gis_events_2016-04.csv").read_bytes()
    assert not gis.startswith(b"\xef\xbb\xbf")
    assert gis.decode("utf-8").splitlines()[0] == "日時,職員ID,所属,操作,地図名"
    for path in (root / "certificates").glob("*.csv"):
        path.read_bytes().decode("cp932")
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")


def test_smartphone_share_grows(tmp_path: Path) -> None:
    write_sample_extracts(tmp_path, "2025-06", "2025-06", real_data_dir=REAL)
    late = pl.read_csv(tmp_path / "web_access" / "web_access_2025-06.csv")
    share = late.filter(pl.col("デバイス") == "smartphone")["ページビュー数"].sum() / late["ページビュー数"].sum()
    assert 0.6 < share < 0.75


@needs_real
def test_energy_uses_the_real_schools_and_matching_codes(fy2015_to_2017: tuple[Path, object]) -> None:
    root, summary = fy2015_to_2017
    energy = root / "energy"
    assert (energy / "facilities_kyoiku_kikan.csv").read_bytes() == SCHOOLS.read_bytes()
    schools = _csv_rows(SCHOOLS, "utf-8-sig")
    public = _csv_rows(energy / "facilities_kokyo_shisetsu_v2.csv", "utf-8-sig")
    assert len(public) == 30 and summary.facilities == 104
    assert all(35.74 <= float(r["緯度"]) <= 35.80 and 139.63 <= float(r["経度"]) <= 139.73 for r in public)
    master_codes = {stable_code("school", r["教育機関_学校名"]) for r in schools} | {r["ID"] for r in public}
    monthly = pl.read_excel(energy / "energy_monthly_FY2016.xlsx")
    assert monthly.columns == ["施設コード", "施設名", "年月", "電気使用量(kWh)", "ガス使用量(m3)", "水道使用量(m3)"]
    assert set(monthly["施設コード"]) == master_codes
    assert monthly.height == 104 * 12
    school_kwh = monthly.filter(pl.col("施設コード").str.starts_with("school-"))["電気使用量(kWh)"]
    assert 10_000 < school_kwh.median() < 40_000


def test_interval_readings_add_up_to_the_monthly_total(fy2015_to_2017: tuple[Path, object]) -> None:
    root, _ = fy2015_to_2017
    energy = root / "energy"
    monthly = pl.read_excel(energy / "energy_monthly_FY2017.xlsx")
    files = sorted(energy.glob("energy_interval_*.csv"))
    assert len(files) == 4 * 2
    for path in files:
        interval = pl.read_csv(path, schema_overrides={"施設コード": pl.String})
        code = interval["施設コード"][0]
        month = dt.date.fromisoformat(path.stem[-7:] + "-01")
        assert interval.height == 48 * (dt.date(month.year + month.month // 12, month.month % 12 + 1, 1) - month).days
        total = monthly.filter((pl.col("施設コード") == code) & (pl.col("年月") == month))["電気使用量(kWh)"][0]
        assert interval["電力量(kWh)"].sum() == pytest.approx(total, rel=0.01)


def test_synthetic_schools_when_the_real_list_is_missing(tmp_path: Path) -> None:
    summary = write_sample_extracts(tmp_path, "2020-04", "2020-04", real_data_dir=tmp_path / "nowhere")
    assert any("SYNTHETIC" in note for note in summary.notes)
    assert not (tmp_path / "energy" / "facilities_kyoiku_kikan.csv").exists()
    public = _csv_rows(tmp_path / "energy" / "facilities_kokyo_shisetsu_v2.csv", "utf-8-sig")
    assert len(public) == 104


def test_facilities_argument_scales_the_master(tmp_path: Path) -> None:
    summary = write_sample_extracts(tmp_path, "2020-04", "2020-04", facilities=300, real_data_dir=REAL)
    monthly = pl.read_excel(tmp_path / "energy" / "energy_monthly_FY2020.xlsx")
    assert summary.facilities == 300 and monthly["施設コード"].n_unique() == 300


def test_indicator_reports_per_department_and_year(tmp_path: Path) -> None:
    write_sample_extracts(tmp_path, "2020-01", "2021-04", real_data_dir=REAL)
    files = sorted((tmp_path / "indicator_reports").glob("*.xlsx"))
    # reports exist for the fiscal years that end (March) inside the span: FY2019 and FY2020
    assert files and {p.name.split("_")[2] for p in files} == {"FY2019", "FY2020"}
    it = pl.read_excel(tmp_path / "indicator_reports" / "indicator_report_FY2020_IT推進課.xlsx", infer_schema_length=0)
    assert it.columns == ["指標ID", "年度", "実績値", "備考"]
    assert "M01-1" in set(it["指標ID"]) and "M03-1" not in set(it["指標ID"])
    assert set(it["年度"]) <= {"令和2年度", "R2年度"}


def test_default_end_month_honours_the_as_of_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_AS_OF_DATE", "2021-01-15")
    assert default_end_month() == "2020-12"
    monkeypatch.setenv("WAREHOUSE_AS_OF_DATE", "15/01/2021")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        default_end_month()


def test_bad_months_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        write_sample_extracts(tmp_path, "2015/04", "2015-05")
    with pytest.raises(ValueError, match="before start_month"):
        write_sample_extracts(tmp_path, "2016-04", "2015-05")


def test_two_years_generate_in_under_ten_seconds(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    started = time.perf_counter()
    summary = write_sample_extracts(tmp_path, "2019-04", "2021-03", real_data_dir=REAL,
                                    progress=lambda kind, done, total: calls.append((kind, done, total)))
    assert time.perf_counter() - started < 10
    assert summary.months_covered == 24
    assert ("gis", 24, 24) in calls and ("energy", 2, 2) in calls and {c[0] for c in calls} == set(KINDS)
