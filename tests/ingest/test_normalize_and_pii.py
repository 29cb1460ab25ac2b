"""和暦 and number normalisation, encoding detection and the PII patterns."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from ingest.common.encoding import detect_encoding
from ingest.common.findings import Rejected
from ingest.common.normalize import (
    find_month,
    nfkc,
    parse_date,
    parse_fiscal_year,
    parse_integer,
    parse_month,
)
from ingest.common.pii import is_my_number, scan_frame


@pytest.mark.parametrize("text, expected", [
    ("令和2年4月1日", date(2020, 4, 1)), ("R2.4.1", date(2020, 4, 1)), ("R02/04/01", date(2020, 4, 1)),
    ("平成31年4月30日", date(2019, 4, 30)), ("令和元年5月1日", date(2019, 5, 1)), ("H31.4.30", date(2019, 4, 30)),
    ("２０２０年４月１日", date(2020, 4, 1)), ("2020/4/1", date(2020, 4, 1)), ("20200401", date(2020, 4, 1)),
    ("2020-04-01 00:00:00", date(2020, 4, 1)), ("令和 2年 4月 1日", date(2020, 4, 1)),
])
def test_dates_in_every_common_form(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["平成31年5月1日", "令和元年4月30日", "R2.13.1", "令和2年4月31日", "昨日"])
def test_impossible_dates_are_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_fiscal_years_months_and_numbers() -> None:
    assert parse_fiscal_year("H28年度") == 2016 and parse_fiscal_year("令和2年度") == 2020
    assert parse_fiscal_year("令和元年度") == 2019 and parse_fiscal_year("2020") == 2020
    assert parse_month("令和2年4月") == parse_month("2020-04") == parse_month("R2.4") == date(2020, 4, 1)
    assert find_month("certificates_2020-04") == find_month("令和2年4月分 交付件数") == date(2020, 4, 1)
    assert find_month("2019") is None
    assert parse_integer("１，２３４") == 1234 and parse_integer("12件") == 12 and parse_integer("△5") == -5
    assert nfkc("ＡＢＣ１２３　") == "ABC123"
    with pytest.raises(ValueError):
        parse_integer("1.5")


def test_my_number_check_digit() -> None:
    assert is_my_number("123456789018")
    assert not is_my_number("123456789012")
    assert not is_my_number("12345678901")


def test_pii_patterns_find_each_kind_and_spare_dates_and_versions() -> None:
    frame = pl.DataFrame({
        "source_row_number": list(range(1, 9)),
        "cell": ["(03)3962-5315", "taro@example.jp", "接続元192.168.0.1", "申請者123456789018",
                 "2020-04-01 10:00:00", "Chrome/32.0.1700.77", "R02/04/01", "123456789012"],
    })
    found = {(f.row, f.reason) for f in scan_frame(frame, {}, {"cell": "備考"})}
    assert found == {(1, "PII: phone"), (2, "PII: email"), (3, "PII: ip"), (4, "PII: my_number")}
    assert scan_frame(frame.head(1), {"cell": frozenset({"phone"})}, {}) == []


def test_encoding_detection(tmp_path) -> None:
    text = "交付日,件数\r\n令和2年4月1日,1\r\n"
    cases = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp932": "cp932"}
    for encoding, expected in cases.items():
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        assert detect_encoding(path) == expected
    bad = tmp_path / "utf16.csv"
    bad.write_bytes(text.encode("utf-16"))
    with pytest.raises(Rejected, match="UTF-16"):
        detect_encoding(bad)
