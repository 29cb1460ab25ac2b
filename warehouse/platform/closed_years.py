"""Closed fiscal years: which years were reported (`warehouse close-year N`), readable by every layer.

A year is closed when `<home>/closed_years/fy<N>.json` exists; it is written last, after the snapshot of the
figures as reported (`fy<N>.parquet`), so a closed year always has its snapshot (and the record its size and
SHA-256). Ingest reads this to refuse workbooks for a closed year; the build loads the snapshots as a source.
A record or snapshot damaged later is found by the refresh's check (warehouse/closing.py, check_closed_years).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

CLOSED_YEARS_DIR = "closed_years"
DAMAGED_DIR = "_damaged"  # closed_years/_damaged/<run_id>/: records and snapshots the refresh moved aside
# What every record written by `warehouse close-year` holds; without one of them the record is damaged.
RECORD_FIELDS = ("fiscal_year", "closed_at", "closed_by", "reported_warehouse_version", "indicator_rows")
_RECORD_NAME = re.compile(r"^fy(\d{4})\.json$")


def closed_years_dir(home: Path) -> Path:
    return Path(home) / CLOSED_YEARS_DIR


def record_path(home: Path, fiscal_year: int) -> Path:
    return closed_years_dir(home) / f"fy{fiscal_year}.json"


def snapshot_path(home: Path, fiscal_year: int) -> Path:
    return closed_years_dir(home) / f"fy{fiscal_year}.parquet"


class RecordDamaged(ValueError):
    """fy<N>.json exists but is not a close record (not JSON, or fields missing); the message says which."""


def closed_fiscal_years(home: Path) -> set[int]:
    """The fiscal years closed in this home (e.g. {2020}); empty when none is."""
    folder = closed_years_dir(home)
    if not folder.is_dir():
        return set()
    return {int(match.group(1)) for path in folder.iterdir() if (match := _RECORD_NAME.match(path.name))}


def closed_year_record(home: Path, fiscal_year: int) -> dict[str, Any] | None:
    """Who closed the year, when, from which published version (None when the year is not closed); raises
    RecordDamaged when the file cannot be read as a close record."""
    path = record_path(home, fiscal_year)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # not JSON, or not UTF-8
        raise RecordDamaged(f"{CLOSED_YEARS_DIR}/{path.name} is not JSON ({type(exc).__name__}: {exc})") from exc
    if not isinstance(record, dict):
        raise RecordDamaged(f"{CLOSED_YEARS_DIR}/{path.name} holds a JSON {type(record).__name__}, not a close record")
    missing = [name for name in RECORD_FIELDS if name not in record]
    if missing:
        raise RecordDamaged(f"{CLOSED_YEARS_DIR}/{path.name} lacks {', '.join(missing)}")
    if record["fiscal_year"] != fiscal_year:
        raise RecordDamaged(f"{CLOSED_YEARS_DIR}/{path.name} records fiscal year {record['fiscal_year']!r}")
    return record


def closed_years_fingerprint(home: Path, years: set[int] | list[int] | None = None) -> str:
    """What the closed years are, for the refresh's fingerprint: closing or reopening a year makes a new build.
    `years`: the closed years the build loads (default every closed year)."""
    chosen = closed_fiscal_years(home) if years is None else years
    parts = [record_path(home, year).read_bytes() for year in sorted(chosen)]
    return hashlib.sha256(b"\n".join(parts)).hexdigest()
