"""Each kind of bad input is refused clearly: quarantined with a report naming row/column, lake byte-identical."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest import ingest_file
from tests.ingest.conftest import CERT_HEADER, certificate_rows, lake_snapshot, write_csv, write_xlsx

Writer = Callable[[Path], tuple[Path, str]]  # writes a bad file under landing; returns (path, kind)


def _cert(name: str, rows: list[list[object]], encoding: str = "cp932", **kwargs) -> Writer:
    return lambda landing: (write_csv(landing / "certificates" / name, rows, encoding, **kwargs), "certificates")


def _with(row: int, column: int, value: str) -> list[list[object]]:
    rows = certificate_rows()
    rows[row][column] = value
    return rows


def _euc_jp(landing: Path) -> tuple[Path, str]:
    path = landing / "certificates" / "euc_2020-04.csv"
    path.write_bytes("\r\n".join(",".join(map(str, r)) for r in certificate_rows()).encode("euc_jp"))
    return path, "certificates"


def _utf16(landing: Path) -> tuple[Path, str]:
    path = landing / "certificates" / "utf16_2020-04.csv"
    path.write_bytes("\r\n".join(",".join(map(str, r)) for r in certificate_rows()).encode("utf-16"))
    return path, "certificates"


def _mixed(landing: Path) -> tuple[Path, str]:
    rows = certificate_rows()
    text = [",".join(map(str, r)) for r in rows]
    data = ("\r\n".join(text[:4]) + "\r\n").encode("utf-8") + ("\r\n".join(text[4:]) + "\r\n").encode("cp932")
    path = landing / "certificates" / "mixed_2020-04.csv"
    path.write_bytes(data)
    return path, "certificates"


def _truncated(landing: Path) -> tuple[Path, str]:
    path = write_csv(landing / "certificates" / "cut_2020-04.csv", certificate_rows(), "cp932")
    data = path.read_bytes()
    path.write_bytes(data[: data.rstrip(b"\r\n").rfind(b",")])  # cut inside the last row, no final newline
    return path, "certificates"


def _empty(landing: Path) -> tuple[Path, str]:
    path = landing / "certificates" / "empty_2020-04.csv"
    path.write_bytes(b"")
    return path, "certificates"


def _gis_phone(landing: Path) -> tuple[Path, str]:
    rows = [["日時", "職員ID", "所属", "操作", "地図名"], ["2020-04-01 09:00:00", "S1", "IT推進課", "地図表示", "都市計画図"],
            ["2020-04-01 09:01:00", "S1", "IT推進課", "地図表示", "連絡 090-1234-5678"]]
    return write_csv(landing / "gis" / "gis_2020-04.csv", rows), "gis"


def _web_email(landing: Path) -> tuple[Path, str]:
    rows = [["日付", "ページURL", "ページタイトル", "デバイス", "ページビュー数"],
            ["2020-04-01", "/a.html", "お問い合わせ taro.yamada@example.jp", "PC", "5"]]
    return write_csv(landing / "web_access" / "analytics_2020-04.csv", rows, "utf-8-sig"), "web_access"


def _indicator_ip(landing: Path) -> tuple[Path, str]:
    rows = [["指標ID", "年度", "実績値", "備考"], ["M01-1", "令和2年度", "250", "接続元 192.168.10.25 で確認"]]
    return write_xlsx(landing / "indicator_reports" / "IT推進課_R2.xlsx", rows), "indicator_reports"


def _mynumber(landing: Path) -> tuple[Path, str]:
    rows = [row + ["備考"] if i == 0 else row + [""] for i, row in enumerate(certificate_rows())]
    rows[5][-1] = "申請者 1234 5678 9018"  # spaced: not 12 contiguous digits → not a finding
    rows[6][-1] = "申請者123456789018"  # valid check digit (see test_pii)
    return write_csv(landing / "certificates" / "mn_2020-04.csv", rows, "cp932"), "certificates"


CASES: dict[str, tuple[Writer, str, str | None, int | None, str | None]] = {
    # name: (writer, reason fragment, column, row, value that must not appear in the report)
    "wrong encoding (EUC-JP)": (_euc_jp, "encoding", None, None, None),
    "wrong encoding (UTF-16)": (_utf16, "encoding", None, None, None),
    "mixed encoding": (_mixed, "mixed encoding", None, None, None),
    "missing required column": (_cert("missing_2020-04.csv", [r[:4] for r in certificate_rows()]),
                                "missing or renamed required column", "件数", None, None),
    "renamed required column": (_cert("renamed_2020-04.csv", [CERT_HEADER[:4] + ["数量"]] + certificate_rows()[1:]),
                                "missing or renamed required column", "件数", None, None),
    "wrong type": (_cert("type_2020-04.csv", _with(2, 4, "十二")), "wrong type", "件数", 2, None),
    "negative count": (_cert("neg_2020-04.csv", _with(3, 4, "-5")), "negative value", "件数", 3, None),
    "implausible count": (_cert("big_2020-04.csv", _with(1, 4, "250,000")), "above plausible maximum", "件数", 1,
                          None),
    "date outside declared month": (_cert("certificates_2020-04.csv", _with(4, 0, "令和2年5月1日")),
                                    "outside the month the file declares", "交付日", 4, None),
    "date outside title-row month": (
        lambda landing: (write_xlsx(landing / "certificates" / "title.xlsx",
                                    [["令和2年4月分 証明書交付件数"], *_with(2, 0, "2020-03-31")]), "certificates"),
        "outside the month the file declares", "交付日", 2, None),
    "future date": (_cert("future.csv", _with(5, 0, "令和30年4月1日")), "date in the future", "交付日", 5, None),
    "era boundary violated": (_cert("era.csv", _with(1, 0, "平成31年5月1日")), "outside the era", "交付日", 1, None),
    "unknown office name": (_cert("office_2020-04.csv", _with(2, 1, "渋谷区民事務所")), "unknown value", "窓口", 2,
                            "渋谷"),
    "duplicate keys": (_cert("dup_2020-04.csv", certificate_rows() + [certificate_rows()[4]]), "duplicate key",
                       None, 10, None),
    "truncated last line": (_truncated, "truncated last line", None, 9, None),
    "empty file": (_empty, "empty file", None, None, None),
    "header only": (_cert("header_2020-04.csv", [CERT_HEADER]), "header only", None, None, None),
    "PII my number": (_mynumber, "PII: my_number", "備考", 6, "123456789018"),
    "PII phone": (_gis_phone, "PII: phone", "地図名", 2, "090-1234-5678"),
    "PII e-mail": (_web_email, "PII: email", "ページタイトル", 1, "taro.yamada"),
    "PII IP address": (_indicator_ip, "PII: ip", "備考", 1, "192.168.10.25"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_quarantined_and_lake_untouched(settings, case: str) -> None:
    baseline = write_csv(settings.landing_dir / "certificates" / "base_2020-03.csv",
                         [CERT_HEADER, ["令和2年3月2日", "本庁舎", "住民票の写し", "窓口", "10"]], "cp932")
    assert ingest_file(settings, baseline, "certificates", "base").status == "loaded"
    before = lake_snapshot(settings)
    writer, reason, column, row, secret = CASES[case]
    path, kind = writer(settings.landing_dir)
    outcome = ingest_file(settings, path, kind, "bad")
    assert outcome.status == "quarantined", outcome.message
    assert lake_snapshot(settings) == before
    assert not path.exists()
    quarantined = Path(outcome.path)
    assert quarantined.parent == settings.quarantine_dir and quarantined.exists()
    report = json.loads(quarantined.with_name(quarantined.name + ".report.json").read_text(encoding="utf-8"))
    assert report["file"] == path.name and report["kind"] == kind and report["message"]
    assert any(reason in finding["reason"] for finding in report["findings"]), report
    if column is not None:
        assert any(finding["column"] in {column} for finding in report["findings"]), report
    if row is not None:
        assert any(finding["row"] == row for finding in report["findings"]), report
    if secret is not None:
        assert secret not in json.dumps(report, ensure_ascii=False) and secret not in outcome.message


def test_extra_unknown_column_warns_and_loads(settings) -> None:
    rows = [row + (["担当者メモ"] if i == 0 else ["特になし"]) for i, row in enumerate(certificate_rows())]
    path = write_csv(settings.landing_dir / "certificates" / "extra_2020-04.csv", rows, "cp932")
    outcome = ingest_file(settings, path, "certificates", "t")
    assert outcome.status == "loaded", outcome.message
    assert any("担当者メモ" in warning for warning in outcome.warnings)


def test_public_phone_column_is_allowed_but_phone_elsewhere_is_not(settings) -> None:
    header = ["全国地方公共団体コード", "ID", "名称", "住所", "電話番号", "備考"]
    good = write_csv(settings.landing_dir / "energy" / "shisetsu_ok.csv",
                     [header, ["131199", "F1", "区役所", "板橋2-66-1", "03-3964-1111", ""]])
    assert ingest_file(settings, good, "energy", "t").status == "loaded"
    bad = write_csv(settings.landing_dir / "energy" / "shisetsu_bad.csv",
                    [header, ["131199", "F1", "区役所", "板橋2-66-1", "03-3964-1111", "担当 03-1234-5678"]])
    outcome = ingest_file(settings, bad, "energy", "t")
    assert outcome.status == "quarantined"
    assert {(f["row"], f["column"], f["reason"]) for f in outcome.findings} == {(1, "備考", "PII: phone")}
