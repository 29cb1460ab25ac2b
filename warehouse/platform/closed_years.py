"""Closed fiscal years: which years were reported (`warehouse close-year N`), readable by every layer.

A year is closed when `<home>/closed_years/fy<N>.json` exists; it is written last, after the snapshot of the
figures as reported (`fy<N>.parquet`), so a closed year always has its snapshot. Ingest reads this to refuse
workbooks for a closed year; the build loads the snapshots as a source.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

CLOSED_YEARS_DIR = "closed_years"
_RECORD_NAME = re.compile(r"^fy(\d{4})\.json$")


def closed_years_dir(home: Path) -> Path:
    return Path(home) / CLOSED_YEARS_DIR


def record_path(home: Path, fiscal_year: int) -> Path:
    return closed_years_dir(home) / f"fy{fiscal_year}.json"


def snapshot_path(home: Path, fiscal_year: int) -> Path:
    return closed_years_dir(home) / f"fy{fiscal_year}.parquet"


def closed_fiscal_years(home: Path) -> set[int]:
    """The fiscal years closed in this home (e.g. {2020}); empty when none is."""
    folder = closed_years_dir(home)
    if not folder.is_dir():
        return set()
    return {int(match.group(1)) for path in folder.iterdir() if (match := _RECORD_NAME.match(path.name))}


def closed_year_record(home: Path, fiscal_year: int) -> dict[str, Any] | None:
    """Who closed the year, when, from which published version (None when the year is not closed)."""
    path = record_path(home, fiscal_year)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def closed_years_fingerprint(home: Path) -> str:
    """What the closed years are, for the refresh's fingerprint: closing or reopening a year makes a new build."""
    parts = [record_path(home, year).read_text(encoding="utf-8") for year in sorted(closed_fiscal_years(home))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
