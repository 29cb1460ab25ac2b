"""Shared helpers for the sample extracts: months, Japanese calendar, 和暦, seeded RNG, exact rounding."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import xlsxwriter

from warehouse.platform import wareki

# Fixed document timestamp so the same arguments give byte-identical .xlsx files.
XLSX_CREATED = dt.datetime(2016, 2, 1, 9, 0, 0)

KIND_IDS = {"certificates": 1, "web_access": 2, "gis": 3, "energy": 4, "indicator_reports": 5, "facilities": 6}


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; also the key that seeds each month's random stream."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Read 'YYYY-MM'; say what was wrong if it is not."""
        try:
            year_text, month_text = text.strip().split("-")
            month = cls(int(year_text), int(month_text))
        except ValueError as exc:
            raise ValueError(f"month {text!r} is not in the form YYYY-MM (e.g. 2015-04)") from exc
        if not 1 <= month.month <= 12:
            raise ValueError(f"month {text!r} has month {month.month}; use 01-12")
        return month

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def prev(self) -> Month:
        return Month(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    @property
    def fiscal_year(self) -> int:
        """Japanese fiscal year: April to March, named after the April year."""
        return self.year if self.month >= 4 else self.year - 1

    def days(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=i) for i in range(self.last_day.day)]

    @property
    def index(self) -> int:
        """Months since 2015-04 (the plan's baseline month), for smooth trends."""
        return (self.year - 2015) * 12 + self.month - 4


def month_range(start: Month, end: Month) -> list[Month]:
    """Inclusive list of months from start to end."""
    months, current = [], start
    while current <= end:
        months.append(current)
        current = current.next()
    return months


def fiscal_year_months(fiscal_year: int) -> list[Month]:
    """The twelve months of a fiscal year, April first."""
    return month_range(Month(fiscal_year, 4), Month(fiscal_year + 1, 3))


def rng_for(seed: int, kind: str, month: Month | None = None, part: int = 0) -> np.random.Generator:
    """One independent random stream per (seed, kind, month): a month's data does not depend on the span."""
    key = [seed, KIND_IDS[kind], part]
    if month is not None:
        key += [month.year, month.month]
    return np.random.default_rng(np.random.SeedSequence(key))


# ---------------------------------------------------------------- business days and 和暦 (one home each)

CALENDAR_SEED = Path(__file__).resolve().parent.parent / "seeds" / "calendar_dates.csv"


@cache
def _business_days_by_month() -> dict[tuple[int, int], tuple[dt.date, ...]]:
    """The ward's 開庁日 from seeds/calendar_dates.csv (jpholiday; the same rule dim_date uses)."""
    by_month: dict[tuple[int, int], list[dt.date]] = {}
    with CALENDAR_SEED.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["is_business_day"] == "true":
                day = dt.date.fromisoformat(row["calendar_date"])
                by_month.setdefault((day.year, day.month), []).append(day)
    return {key: tuple(days) for key, days in by_month.items()}


def is_new_year_closure(day: dt.date) -> bool:
    """年末年始 closure of ward offices: 12/29 to 1/3."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: dt.date) -> bool:
    """Ward offices are open: weekday, not a national holiday, not 年末年始 (seeds/calendar_dates.csv)."""
    return day in _business_days_by_month().get((day.year, day.month), ())


def business_days(month: Month) -> list[dt.date]:
    return list(_business_days_by_month().get((month.year, month.month), ()))


def fiscal_year_business_days(fiscal_year: int) -> int:
    return sum(len(business_days(m)) for m in fiscal_year_months(fiscal_year))


wareki_year = wareki.era_year
wareki_long = wareki.date_long
wareki_short = wareki.date_short


def wareki_fiscal_year(fiscal_year: int, short: bool) -> str:
    """Fiscal year label: 令和2年度 / R2年度; FY2019 is 令和元年度 (R1年度)."""
    return wareki.fiscal_year_label(fiscal_year, short=short)


@cache
def seed_names(seed: str) -> dict[str, str]:
    """code -> name_ja of a code seed (certificate_types, certificate_offices, certificate_channels), in sort order:
    the codes the generator writes are the ones the warehouse knows."""
    path = CALENDAR_SEED.parent / f"{seed}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: int(row["sort_order"]))
    return {row[next(iter(row))]: row["name_ja"] for row in rows}


FULLWIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


def to_fullwidth_digits(text: str) -> str:
    return text.translate(FULLWIDTH)


# ---------------------------------------------------------------- numbers and files


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total over weights exactly (largest remainder), deterministic on ties."""
    weights = np.asarray(weights, dtype=float)
    if total == 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    sign = 1 if total > 0 else -1
    quotas = abs(total) * weights / weights.sum()
    base = np.floor(quotas).astype(np.int64)
    remainder = abs(total) - int(base.sum())
    order = np.lexsort((np.arange(len(weights)), -(quotas - base)))
    base[order[:remainder]] += 1
    return sign * base


def adjust_to_total(counts: np.ndarray, target: int) -> np.ndarray:
    """Shift integer counts so they sum to target exactly, spreading the difference over the largest rows."""
    counts = counts.astype(np.int64).copy()
    diff = int(target - counts.sum())
    if diff == 0:
        return counts
    share = apportion(diff, counts.astype(float) if counts.sum() > 0 else np.ones(len(counts)))
    counts += share
    if (counts < 0).any():
        raise ValueError(f"cannot reach total {target}: the rows are too small to absorb {diff}")
    return counts


def stable_code(prefix: str, name: str) -> str:
    """Facility code from a name: prefix + sha1 of the NFKC-normalised, stripped name, first 8 hex digits."""
    normalised = unicodedata.normalize("NFKC", name).strip()
    return f"{prefix}-{hashlib.sha1(normalised.encode('utf-8')).hexdigest()[:8]}"


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_xlsx(path: Path, sheet_name: str, header: list[str], rows: list[list[object]],
               formats: dict[int, str] | None = None) -> None:
    """One-sheet workbook with a fixed creation time (byte-identical reruns); formats: column → number format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    workbook.set_properties({"created": XLSX_CREATED, "author": "板橋区", "title": sheet_name})
    sheet = workbook.add_worksheet(sheet_name)
    cell_formats = {col: workbook.add_format({"num_format": fmt}) for col, fmt in (formats or {}).items()}
    sheet.write_row(0, 0, header)
    for row_number, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                sheet.write_datetime(row_number, col, dt.datetime(value.year, value.month, value.day),
                                     cell_formats.get(col))
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(row_number, col, value, cell_formats.get(col))
            elif isinstance(value, (int, float, np.integer, np.floating)):
                sheet.write_number(row_number, col, float(value), cell_formats.get(col))
            else:
                sheet.write_string(row_number, col, str(value))
    workbook.close()
