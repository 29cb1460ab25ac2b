"""The open data's Excel files: every value type, XML's special characters, Japanese text, nulls and NaN read back
as written, by openpyxl (cell by cell, as Excel stores them) and by polars (calamine), with the table and widths
write_excel gave."""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import polars as pl
import pytest

from warehouse.products.xlsx import column_letters, write_xlsx

MIXED = pl.DataFrame({
    "text": ["x & <y> \"q\"", " leading space", "土木計画・交通安全課", None, "bell\x07removed", "_x0041_ stays"],
    "day": [dt.date(2020, 4, 1), None, dt.date(2021, 1, 31), dt.date(1999, 12, 31), dt.date(1900, 2, 28),
            dt.date(1900, 3, 1)],
    "usage": [1.5, None, float("nan"), 2e20, -0.25, 1e-7],
    "count": pl.Series([1, 2, None, 4, 5, -6], dtype=pl.Int32),
    "flag": [True, False, None, True, True, False],
    "at": [dt.datetime(2020, 4, 1, 9, 30), None, None, None, None, dt.datetime(2021, 1, 1)],
})


def test_every_value_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xlsx"
    write_xlsx(MIXED, path, "mixed")
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "mixed"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == MIXED.columns
    expected_days = [dt.datetime.combine(day, dt.time()) if day else None for day in MIXED["day"]]
    assert [row[1] for row in rows[1:]] == expected_days  # 28 Feb and 1 Mar 1900 either side of Excel's leap day
    assert [row[0] for row in rows[1:]] == ["x & <y> \"q\"", " leading space", "土木計画・交通安全課", None,
                                            "bellremoved", "_x005F_x0041_ stays"]  # Excel reads _x005F_ as "_"
    assert [row[2] for row in rows[1:]] == [1.5, None, "#NUM!", 2e20, -0.25, 1e-7]  # NaN as write_excel wrote it
    assert [row[3] for row in rows[1:]] == [1, 2, None, 4, 5, -6]
    assert [row[4] for row in rows[1:]] == [True, False, None, True, True, False]
    assert [row[5] for row in rows[1:]] == list(MIXED["at"])
    assert list(sheet.tables) == ["Table1"] and sheet.tables["Table1"].ref == "A1:F7"
    assert sheet.freeze_panes == "A2"


def test_polars_reads_the_dataset_back_unchanged(tmp_path: Path) -> None:
    frame = MIXED.drop("text").with_columns(pl.col("usage").fill_nan(None))
    write_xlsx(frame, tmp_path / "typed.xlsx", "typed")
    back = pl.read_excel(tmp_path / "typed.xlsx")
    assert back.columns == frame.columns
    assert back["day"].to_list() == frame["day"].to_list()
    assert back["usage"].to_list() == frame["usage"].to_list()
    assert back["count"].to_list() == frame["count"].to_list()
    assert back["flag"].to_list() == frame["flag"].to_list()


def test_every_part_is_well_formed_xml_and_widths_fit_japanese(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xlsx"
    write_xlsx(MIXED, path, "mixed")
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            ElementTree.fromstring(package.read(name))
    widths = {letter: dimension.width for letter, dimension in
              openpyxl.load_workbook(path).active.column_dimensions.items()}
    assert widths["A"] >= 2 * len("土木計画・交通安全課")  # a wide character takes two columns


def test_a_dataset_without_rows_is_its_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_xlsx(MIXED.clear(), path, "empty")
    sheet = openpyxl.load_workbook(path).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [MIXED.columns]
    assert not sheet.tables  # an Excel table needs a data row
    with pytest.raises(ValueError, match="without columns"):
        write_xlsx(pl.DataFrame(), tmp_path / "none.xlsx", "none")


def test_column_letters() -> None:
    assert [column_letters(index) for index in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
