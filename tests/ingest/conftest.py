"""Fixtures for ingest tests: an isolated data home, a salt in tmp, and writers for landing files."""
from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest

from warehouse.platform.settings import Settings, load_settings

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
TODAY = None  # tests use the real date; fixture dates are in 2020


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose data home and salt file live in tmp_path."""
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WAREHOUSE_INGEST_SALT_FILE", str(tmp_path / "salt" / "ip_salt"))
    loaded = load_settings()
    for kind in ("certificates", "web_access", "gis", "energy", "indicator_reports"):
        (loaded.landing_dir / kind).mkdir(parents=True, exist_ok=True)
    return loaded


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8", newline_at_end: bool = True) -> Path:
    """Write rows as CSV in the given encoding (cp932, utf-8, utf-8-sig)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    text = buffer.getvalue()
    if not newline_at_end:
        text = text.rstrip("\r\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "Sheet1") -> Path:
    """Write rows to the first sheet of an .xlsx (None leaves a cell empty)."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    worksheet = workbook.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                worksheet.write(r, c, value)
    workbook.close()
    return path


def lake_snapshot(settings: Settings) -> dict[str, str]:
    """Relative path → SHA-256 of every file under the lake (to prove a rejection changed nothing)."""
    if not settings.lake_dir.exists():
        return {}
    return {
        path.relative_to(settings.lake_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(settings.lake_dir.rglob("*")) if path.is_file()
    }


CERT_HEADER = ["交付日", "窓口", "証明書種別", "交付方法", "件数"]


def certificate_rows(days: int = 3) -> list[list[object]]:
    """A small April 2020 certificates extract with 和暦 dates, full-width digits and separators."""
    rows: list[list[object]] = [CERT_HEADER]
    for day in range(1, days + 1):
        rows.append([f"令和2年4月{day}日", "本庁舎", "住民票の写し", "窓口", "１，２３４"])
        rows.append([f"R2.4.{day}", "赤塚区民事務所", "印鑑登録証明書", "自動交付機", "12"])
        rows.append([f"R02/04/{day:02d}", "", "課税(非課税)証明書", "コンビニ交付", "7"])
    return rows
